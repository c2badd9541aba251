"""Spans sent by the real OpenTelemetry SDK over gRPC and HTTP land in otel_traces exactly."""

from __future__ import annotations

import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcSpanExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags

from processors.otlp.signals import Signal
from tests.e2e.conftest import grpc_endpoint, http_url

ATTRIBUTES = {
    "str": "text",
    "int": 42,
    "negative": -7,
    "float": 0.25,
    "bool": True,
    "str_list": ["a", "b"],
    "int_list": [1, 2],
    "float_list": [0.5, 1.5],
    "bool_list": [True, False],
}
ATTRIBUTES_AS_TEXT = {
    "str": "text",
    "int": "42",
    "negative": "-7",
    "float": "0.25",
    "bool": "true",
    "str_list": '["a","b"]',
    "int_list": "[1,2]",
    "float_list": "[0.5,1.5]",
    "bool_list": "[true,false]",
}


def _send_spans(exporter) -> list:
    memory = InMemorySpanExporter()
    provider = TracerProvider(
        resource=Resource.create(
            {"service.name": "fraud-api", "ml.model.name": "fraud-detector", "ml.model.version": "2.1.0"}
        )
    )
    provider.add_span_processor(SimpleSpanProcessor(memory))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    tracer = provider.get_tracer("inferwatch.tests", "1.2.3")
    linked = SpanContext(
        trace_id=0x0102030405060708090A0B0C0D0E0F10,
        span_id=0x1112131415161718,
        is_remote=True,
        trace_flags=TraceFlags(1),
    )
    with tracer.start_as_current_span("predict", kind=SpanKind.SERVER, attributes=ATTRIBUTES) as request:
        request.add_event("cache.miss", {"key": "user:1", "size": 3})
        with tracer.start_as_current_span(
            "inference", links=[Link(linked, {"link.kind": "batch", "position": 7})]
        ) as inference:
            inference.set_status(Status(StatusCode.ERROR, "model failed"))
    assert provider.force_flush(10_000)
    provider.shutdown()
    return sorted(memory.get_finished_spans(), key=lambda span: span.name)


SELECT_SPANS = """
SELECT SpanName, TraceId, SpanId, ParentSpanId, SpanKind, ServiceName, ResourceAttributes,
       ScopeName, ScopeVersion, SpanAttributes, toUnixTimestamp64Nano(Timestamp), Duration,
       StatusCode, StatusMessage, Events.Name, arrayMap(t -> toUnixTimestamp64Nano(t), Events.Timestamp),
       Events.Attributes, Links.TraceId, Links.SpanId, Links.Attributes
FROM otel_traces ORDER BY SpanName
"""


@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_sdk_spans_are_stored_exactly(gateways, transport):
    gateway = gateways.start()
    if transport == "grpc":
        exporter = GrpcSpanExporter(endpoint=grpc_endpoint(gateway), insecure=True)
    else:
        exporter = HttpSpanExporter(endpoint=f"{http_url(gateway)}/v1/traces")
    inference, predict = _send_spans(exporter)

    rows = gateways.rows(SELECT_SPANS)

    assert len(rows) == 2
    row_inference, row_predict = rows
    trace_id = f"{predict.context.trace_id:032x}"
    assert row_predict[:6] == (
        "predict",
        trace_id,
        f"{predict.context.span_id:016x}",
        "",
        "SPAN_KIND_SERVER",
        "fraud-api",
    )
    resource = row_predict[6]
    assert resource["service.name"] == "fraud-api"
    assert resource["ml.model.version"] == "2.1.0"
    assert resource["telemetry.sdk.language"] == "python"
    assert list(resource) == sorted(resource), "map keys are sorted"
    assert row_predict[7:9] == ("inferwatch.tests", "1.2.3")
    assert row_predict[9] == ATTRIBUTES_AS_TEXT
    assert row_predict[10] == predict.start_time
    assert row_predict[11] == predict.end_time - predict.start_time
    assert row_predict[12:14] == ("STATUS_CODE_UNSET", "")
    assert row_predict[14] == ["cache.miss"]
    assert row_predict[15] == [predict.events[0].timestamp]
    assert row_predict[16] == [{"key": "user:1", "size": "3"}]
    assert row_predict[17:] == ([], [], [])

    assert row_inference[:5] == (
        "inference",
        trace_id,
        f"{inference.context.span_id:016x}",
        f"{predict.context.span_id:016x}",
        "SPAN_KIND_INTERNAL",
    )
    assert row_inference[12:14] == ("STATUS_CODE_ERROR", "model failed")
    assert row_inference[17] == ["0102030405060708090a0b0c0d0e0f10"]
    assert row_inference[18] == ["1112131415161718"]
    assert row_inference[19] == [{"link.kind": "batch", "position": "7"}]

    lookup = gateways.rows("SELECT TraceId, Start, End FROM otel_traces_trace_id_ts")
    assert [row[0] for row in lookup] == [trace_id]


def test_slash_in_array_attribute_is_not_escaped(gateways):
    gateway = gateways.start()
    _send_one = TracerProvider(resource=Resource.create({"service.name": "paths"}))
    _send_one.add_span_processor(
        SimpleSpanProcessor(GrpcSpanExporter(endpoint=grpc_endpoint(gateway), insecure=True))
    )
    with _send_one.get_tracer("t").start_as_current_span("s", attributes={"routes": ["/v1/score", "/v2"]}):
        pass
    _send_one.shutdown()
    assert gateways.rows("SELECT SpanAttributes['routes'] FROM otel_traces") == [('["/v1/score","/v2"]',)]


def test_request_spanning_150_days_is_stored_in_batches_of_at_most_100_partitions(gateways):
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    gateway = gateways.start()
    request = ExportTraceServiceRequest()
    scope_spans = request.resource_spans.add().scope_spans.add()
    day = 86_400 * 10**9
    start = 1_750_000_000_000_000_000
    for index in range(150):
        span = scope_spans.spans.add()
        span.trace_id = (index + 1).to_bytes(16, "big")
        span.span_id = (index + 1).to_bytes(8, "big")
        span.name = "old"
        span.start_time_unix_nano = start + index * day
        span.end_time_unix_nano = span.start_time_unix_nano + 1
    response = gateway.export.export(Signal.TRACES, request)
    assert not response.HasField("partial_success")
    assert gateways.rows("SELECT count(), uniqExact(toDate(Timestamp)) FROM otel_traces") == [(150, 150)]
    assert gateway.writers[Signal.TRACES].stats.inserts >= 2
