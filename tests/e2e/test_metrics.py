"""Metrics sent by the real OpenTelemetry SDK (and a hand-built request) land in otel_metrics_* exactly."""

from __future__ import annotations

import grpc
import pytest
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as GrpcMetricExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as HttpMetricExporter
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, InstrumentationScope, KeyValue
from opentelemetry.proto.metrics.v1 import metrics_pb2
from opentelemetry.proto.resource.v1.resource_pb2 import Resource as ResourceProto
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    MetricExporter,
    MetricExportResult,
    MetricsData,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.metrics.view import ExponentialBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from tests.e2e.conftest import grpc_endpoint, http_url

CUMULATIVE = 2
# Count, Sum, BucketCounts, ExplicitBounds, Min, Max of 1, 5, 7, 100 over bounds [0, 5, 10].
HISTOGRAM_COLUMNS = (4, 113.0, [0, 2, 1, 1], [0.0, 5.0, 10.0], 1.0, 100.0)
# Count, Sum, Scale, ZeroCount, PositiveOffset, PositiveBucketCounts, NegativeOffset, NegativeBucketCounts
# of 0, 1, 2, 3, 4 at scale 0: bucket i holds (2^i, 2^(i+1)], so 1 is in bucket -1, 3 and 4 in bucket 1.
EXPONENTIAL_COLUMNS = (5, 10.0, 0, 1, -1, [1, 1, 2, 0], 0, [0])
SERVICE = "fraud-api"
SCOPE = ("inferwatch.tests", "1.2.3")
FRAUD = {"model": "fraud", "batch": True, "shard": 3, "ratio": 0.5}
FRAUD_AS_TEXT = {"batch": "true", "model": "fraud", "ratio": "0.5", "shard": "3"}
CHURN = {"model": "churn"}

COMMON_COLUMNS = """
MetricName, MetricDescription, MetricUnit, ServiceName, ResourceAttributes, ScopeName, ScopeVersion,
Attributes, toUnixTimestamp64Nano(StartTimeUnix), toUnixTimestamp64Nano(TimeUnix), Flags
"""

EXEMPLAR_COLUMNS = """
Exemplars.FilteredAttributes, arrayMap(t -> toUnixTimestamp64Nano(t), Exemplars.TimeUnix), Exemplars.Value,
Exemplars.SpanId, Exemplars.TraceId
"""


class RecordingExporter(MetricExporter):
    """Keeps what the SDK hands to the OTLP exporter (the oracle), then exports it for real."""

    def __init__(self, inner: MetricExporter) -> None:
        # The periodic reader reads the exporter's preferences from these attributes.
        super().__init__(inner._preferred_temporality, inner._preferred_aggregation)
        self.inner = inner
        self.exported: list[MetricsData] = []

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs
    ) -> MetricExportResult:
        self.exported.append(metrics_data)
        result = self.inner.export(metrics_data, timeout_millis=timeout_millis, **kwargs)
        assert result is MetricExportResult.SUCCESS
        return result

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return self.inner.force_flush(timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs) -> None:
        self.inner.shutdown(timeout_millis=timeout_millis, **kwargs)


def _send_sdk_metrics(exporter: MetricExporter) -> list[MetricsData]:
    """Record deterministic values, export twice (force_flush, then shutdown), return what was sent."""
    recording = RecordingExporter(exporter)
    provider = MeterProvider(
        resource=Resource.create({"service.name": SERVICE, "ml.model.name": "fraud-detector"}),
        metric_readers=[PeriodicExportingMetricReader(recording, export_interval_millis=3_600_000)],
        views=[
            View(
                instrument_name="inference.latency.exp",
                aggregation=ExponentialBucketHistogramAggregation(max_size=4, max_scale=0),
            )
        ],
    )
    meter = provider.get_meter(*SCOPE)
    queue_depths = iter([(7, 3.5), (8, 4.25)])

    def observe_queues(options: CallbackOptions) -> list[Observation]:
        gpu, cpu = next(queue_depths)
        return [Observation(gpu, {"queue": "gpu"}), Observation(cpu, {"queue": "cpu"})]

    meter.create_observable_gauge("queue.depth", [observe_queues], unit="{request}", description="Queued")
    predictions = meter.create_counter("predictions", unit="1", description="Predictions served")
    inflight = meter.create_up_down_counter("inflight.requests", description="Requests in flight")
    latency = meter.create_histogram(
        "inference.latency", unit="ms", description="Latency", explicit_bucket_boundaries_advisory=[0, 5, 10]
    )
    latency_exp = meter.create_histogram("inference.latency.exp", unit="ms")

    predictions.add(2, FRAUD)
    predictions.add(3, FRAUD)
    predictions.add(1, CHURN)
    inflight.add(4)
    inflight.add(-6)
    latency.record(1, FRAUD)
    latency.record(5, FRAUD)
    # Measured inside a sampled span, 7 becomes an exemplar (the SDK's default trace-based filter).
    with TracerProvider().get_tracer("scorer").start_as_current_span("score"):
        latency.record(7, FRAUD)
    latency.record(100, FRAUD)
    for value in (0, 1, 2, 3, 4):
        latency_exp.record(value)
    assert provider.force_flush(10_000)
    predictions.add(10, FRAUD)
    provider.shutdown()
    assert len(recording.exported) == 2
    return recording.exported


def _sent(exported: list[MetricsData], name: str) -> list[tuple]:
    """(metric, point) pairs of one metric, in export order."""
    pairs = []
    for metrics_data in exported:
        for resource_metrics in metrics_data.resource_metrics:
            for scope_metrics in resource_metrics.scope_metrics:
                pairs.extend(
                    (metric, point)
                    for metric in scope_metrics.metrics
                    if metric.name == name
                    for point in metric.data.data_points
                )
    assert pairs, f"the SDK exported no {name}"
    return pairs


def _exemplar_columns(exemplars) -> tuple:
    return (
        [dict(exemplar.filtered_attributes or {}) for exemplar in exemplars],
        [exemplar.time_unix_nano for exemplar in exemplars],
        [float(exemplar.value) for exemplar in exemplars],
        [f"{exemplar.span_id:016x}" for exemplar in exemplars],
        [f"{exemplar.trace_id:032x}" for exemplar in exemplars],
    )


@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_sdk_metrics_are_stored_exactly(gateways, transport):
    gateway = gateways.start()
    if transport == "grpc":
        exporter = GrpcMetricExporter(endpoint=grpc_endpoint(gateway), insecure=True)
    else:
        exporter = HttpMetricExporter(endpoint=f"{http_url(gateway)}/v1/metrics")
    exported = _send_sdk_metrics(exporter)
    resource = {key: str(value) for key, value in exported[0].resource_metrics[0].resource.attributes.items()}
    assert resource["ml.model.name"] == "fraud-detector"
    assert resource["telemetry.sdk.language"] == "python"

    def common(sent_point: tuple, attributes: dict[str, str]) -> tuple:
        """The COMMON_COLUMNS of a point the SDK sent (the SDK sets no flags)."""
        metric, point = sent_point
        return (
            metric.name,
            metric.description,
            metric.unit,
            SERVICE,
            resource,
            *SCOPE,
            attributes,
            point.start_time_unix_nano or 0,
            point.time_unix_nano,
            0,
        )

    # Gauge: one point per attribute set per collection; ints travel as as_int, floats as as_double.
    rows = gateways.rows(
        f"SELECT {COMMON_COLUMNS}, Value, Exemplars.Value FROM otel_metrics_gauge"
        " ORDER BY TimeUnix, Attributes['queue']"
    )
    sent = sorted(
        _sent(exported, "queue.depth"), key=lambda pair: (pair[1].time_unix_nano, pair[1].attributes["queue"])
    )
    assert rows == [
        (*common(pair, {"queue": pair[1].attributes["queue"]}), value, [])
        for pair, value in zip(sent, [3.5, 7.0, 4.25, 8.0], strict=True)
    ]
    assert rows[0][1:3] == ("Queued", "{request}")
    assert rows[0][8] == 0, "the SDK sends gauges without a start time"
    assert list(rows[0][4]) == sorted(rows[0][4]), "map keys are sorted"

    # Sums: cumulative (2); a counter is monotonic, an up-down counter is not; the start time stays.
    rows = gateways.rows(
        f"SELECT {COMMON_COLUMNS}, Value, AggregationTemporality, IsMonotonic FROM otel_metrics_sum"
        " ORDER BY MetricName, TimeUnix, Attributes['model']"
    )
    inflight = _sent(exported, "inflight.requests")
    predictions = _sent(exported, "predictions")
    fraud = [pair for pair in predictions if pair[1].attributes == FRAUD]
    churn = [pair for pair in predictions if pair[1].attributes == CHURN]
    assert rows == [
        (*common(inflight[0], {}), -2.0, CUMULATIVE, False),
        (*common(inflight[1], {}), -2.0, CUMULATIVE, False),
        (*common(churn[0], CHURN), 1.0, CUMULATIVE, True),
        (*common(fraud[0], FRAUD_AS_TEXT), 5.0, CUMULATIVE, True),
        (*common(churn[1], CHURN), 1.0, CUMULATIVE, True),
        (*common(fraud[1], FRAUD_AS_TEXT), 15.0, CUMULATIVE, True),
    ]
    assert rows[0][1:3] == ("Requests in flight", "")
    assert rows[3][8] == rows[5][8] < rows[3][9] < rows[5][9], "cumulative: same start, later time"

    # Explicit-bucket histogram (upper bounds inclusive).
    rows = gateways.rows(
        f"SELECT {COMMON_COLUMNS}, Count, Sum, BucketCounts, ExplicitBounds, Min, Max,"
        f" AggregationTemporality, {EXEMPLAR_COLUMNS} FROM otel_metrics_histogram ORDER BY TimeUnix"
    )
    sent = _sent(exported, "inference.latency")
    assert rows == [
        (*common(pair, FRAUD_AS_TEXT), *HISTOGRAM_COLUMNS, CUMULATIVE, *_exemplar_columns(pair[1].exemplars))
        for pair in sent
    ]
    assert rows[0][1:3] == ("Latency", "ms")
    first_exemplars = rows[0][-5:]
    assert first_exemplars[:3] == ([{}], [sent[0][1].exemplars[0].time_unix_nano], [7.0])
    assert len(first_exemplars[3][0]) == 16 and len(first_exemplars[4][0]) == 32, "hex ids"
    assert rows[1][-5:] == ([], [], [], [], []), "a collection empties the reservoir"

    # Exponential histogram at scale 0 (base 2); 0 goes to the zero count.
    rows = gateways.rows(
        f"SELECT {COMMON_COLUMNS}, Count, Sum, Scale, ZeroCount, PositiveOffset, PositiveBucketCounts,"
        " NegativeOffset, NegativeBucketCounts, Min, Max, AggregationTemporality"
        " FROM otel_metrics_exponential_histogram ORDER BY TimeUnix"
    )
    sent = _sent(exported, "inference.latency.exp")
    assert rows == [(*common(pair, {}), *EXPONENTIAL_COLUMNS, 0.0, 4.0, CUMULATIVE) for pair in sent]

    assert gateways.rows("SELECT count() FROM otel_metrics_summary") == [(0,)]


def _text(value: str) -> AnyValue:
    return AnyValue(string_value=value)


def _attributes(**values: AnyValue) -> list[KeyValue]:
    return [KeyValue(key=key, value=value) for key, value in values.items()]


T0 = 1_700_000_000_123_456_789
T1 = T0 + 60_000_000_001
TRACE_ID = bytes.fromhex("0af7651916cd43dd8448eb211c80319c")
SPAN_ID = bytes.fromhex("b7ad6b7169203331")
# Exact as a double, and past 32 bits: as_int is a signed fixed 64-bit field.
BIG_NEGATIVE = -(2**40) - 7


def _hand_built_request() -> ExportMetricsServiceRequest:
    """Summary, int gauge with exemplars, and a histogram without sum/min/max: what the SDK never sends."""
    summary = metrics_pb2.Metric(
        name="inference.latency.summary",
        description="Latency quantiles",
        unit="s",
        summary=metrics_pb2.Summary(
            data_points=[
                metrics_pb2.SummaryDataPoint(
                    attributes=_attributes(model=_text("fraud")),
                    start_time_unix_nano=T0,
                    time_unix_nano=T1,
                    count=10,
                    sum=123.5,
                    quantile_values=[
                        metrics_pb2.SummaryDataPoint.ValueAtQuantile(quantile=0.0, value=1.5),
                        metrics_pb2.SummaryDataPoint.ValueAtQuantile(quantile=0.5, value=10.0),
                        metrics_pb2.SummaryDataPoint.ValueAtQuantile(quantile=0.99, value=40.25),
                        metrics_pb2.SummaryDataPoint.ValueAtQuantile(quantile=1.0, value=42.0),
                    ],
                    flags=1,
                )
            ]
        ),
    )
    gauge = metrics_pb2.Metric(
        name="queue.size",
        gauge=metrics_pb2.Gauge(
            data_points=[
                metrics_pb2.NumberDataPoint(
                    attributes=_attributes(
                        shard=AnyValue(int_value=-3),
                        hot=AnyValue(bool_value=False),
                        routes=AnyValue(
                            array_value=ArrayValue(values=[_text("/v1/score"), _text("/v2/score")])
                        ),
                    ),
                    time_unix_nano=T1,
                    as_int=BIG_NEGATIVE,
                    exemplars=[
                        metrics_pb2.Exemplar(
                            filtered_attributes=_attributes(user=_text("u1")),
                            time_unix_nano=T0 + 5,
                            as_int=9,
                            trace_id=TRACE_ID,
                            span_id=SPAN_ID,
                        ),
                        metrics_pb2.Exemplar(time_unix_nano=T0 + 6, as_double=0.5),
                    ],
                ),
                metrics_pb2.NumberDataPoint(time_unix_nano=T1, as_int=0),
            ]
        ),
    )
    histogram = metrics_pb2.Metric(
        name="batch.size",
        histogram=metrics_pb2.Histogram(
            aggregation_temporality=metrics_pb2.AGGREGATION_TEMPORALITY_DELTA,
            data_points=[
                metrics_pb2.HistogramDataPoint(
                    start_time_unix_nano=T0,
                    time_unix_nano=T1,
                    count=3,
                    bucket_counts=[3],
                    exemplars=[metrics_pb2.Exemplar(time_unix_nano=T0, as_double=2.5, span_id=SPAN_ID)],
                )
            ],
        ),
    )
    return ExportMetricsServiceRequest(
        resource_metrics=[
            metrics_pb2.ResourceMetrics(
                resource=ResourceProto(attributes=_attributes(**{"service.name": _text("batch-scorer")})),
                schema_url="https://opentelemetry.io/schemas/1.26.0",
                scope_metrics=[
                    metrics_pb2.ScopeMetrics(
                        scope=InstrumentationScope(
                            name="scorer",
                            version="0.9",
                            attributes=_attributes(tier=_text("gold")),
                            dropped_attributes_count=2,
                        ),
                        schema_url="https://example.com/scope",
                        metrics=[summary, gauge, histogram],
                    )
                ],
            )
        ]
    )


def test_hand_built_metrics_are_stored_exactly(gateways):
    gateway = gateways.start()
    with grpc.insecure_channel(grpc_endpoint(gateway)) as channel:
        export = channel.unary_unary(
            "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
            request_serializer=ExportMetricsServiceRequest.SerializeToString,
            response_deserializer=ExportMetricsServiceResponse.FromString,
        )
        response = export(_hand_built_request(), timeout=10)
    assert not response.HasField("partial_success")
    origin = ("batch-scorer", {"service.name": "batch-scorer"}, "scorer", "0.9")
    scope = ("https://opentelemetry.io/schemas/1.26.0", {"tier": "gold"}, 2, "https://example.com/scope")
    scope_columns = "ResourceSchemaUrl, ScopeAttributes, ScopeDroppedAttrCount, ScopeSchemaUrl"

    rows = gateways.rows(
        f"SELECT {COMMON_COLUMNS}, {scope_columns}, Count, Sum, ValueAtQuantiles.Quantile,"
        " ValueAtQuantiles.Value FROM otel_metrics_summary"
    )
    quantiles = ([0.0, 0.5, 0.99, 1.0], [1.5, 10.0, 40.25, 42.0])
    summary_head = ("inference.latency.summary", "Latency quantiles", "s", *origin, {"model": "fraud"})
    assert rows == [(*summary_head, T0, T1, 1, *scope, 10, 123.5, *quantiles)]

    rows = gateways.rows(
        f"SELECT {COMMON_COLUMNS}, {scope_columns}, Value, {EXEMPLAR_COLUMNS}"
        " FROM otel_metrics_gauge ORDER BY Value"
    )
    exemplars = (
        [{"user": "u1"}, {}],
        [T0 + 5, T0 + 6],
        [9.0, 0.5],
        [SPAN_ID.hex(), ""],
        [TRACE_ID.hex(), ""],
    )
    assert rows == [
        (
            "queue.size",
            "",
            "",
            *origin,
            {"hot": "false", "routes": '["/v1/score","/v2/score"]', "shard": "-3"},
            0,
            T1,
            0,
            *scope,
            BIG_NEGATIVE,
            *exemplars,
        ),
        ("queue.size", "", "", *origin, {}, 0, T1, 0, *scope, 0.0, [], [], [], [], []),
    ]
    assert rows[0][-1] == ["0af7651916cd43dd8448eb211c80319c", ""], "trace ids are lowercase hex"

    rows = gateways.rows(
        "SELECT MetricName, Count, Sum, BucketCounts, ExplicitBounds, Min, Max, AggregationTemporality,"
        f" {EXEMPLAR_COLUMNS} FROM otel_metrics_histogram"
    )
    delta = metrics_pb2.AGGREGATION_TEMPORALITY_DELTA
    assert rows == [
        ("batch.size", 3, 0.0, [3], [], 0.0, 0.0, delta, [{}], [T0], [2.5], [SPAN_ID.hex()], [""])
    ]
