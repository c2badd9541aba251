"""``inferwatch signals`` against real gateways: SDK spans, logs and OTLP metrics with known truth.

One scenario is sent once (module fixture) with EXPLICIT timestamps, and its truth kept here: 200
requests of fraud-detector 2.1.0 with stage durations from a seeded RNG, injected errors, one request
split over three exports and two gateways (children first, parent last), one request called through a
CLIENT span, 20 requests of a new version 2.2.0, one structured prediction log record, and queue-depth
and active-request metrics. Every number the dashboard shows is compared with numpy or plain Python.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

import numpy as np
import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcSpanExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpSpanExporter
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.metrics.v1 import metrics_pb2
from opentelemetry.proto.resource.v1.resource_pb2 import Resource as ResourceProto
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

from gateway.cli.main import main as inferwatch
from processors.ml.signals import error_rate_tier, format_instant
from tests.e2e.conftest import GatewayFactory, grpc_endpoint, http_url

MODEL, SERVICE, CALLER = "fraud-detector", "fraud-api", "checkout-api"
STAGES = ("queue", "preprocess", "inference", "postprocess")
MS, SECOND, MINUTE = 1_000_000, 1_000_000_000, 60_000_000_000
NETWORK_NS = 7 * MS  # the caller's CLIENT span is this much longer than the model's SERVER span
LOG_LATENCY_MS = 87
INFERWATCH = [sys.executable, "-m", "gateway"]


@dataclass
class Request:
    """One request as sent, and what the gateway should derive from it."""

    version: str
    start: int
    stages: dict[str, int]
    overhead: int
    attributes: dict = field(default_factory=dict)  # on the SERVER span
    server_error: str | None = None  # status message of an ERROR server span
    exception: tuple[str, Exception] | None = None  # (stage, exception) recorded on that stage span
    error_class: str | None = None  # the expected class, None when the request succeeds
    value: float | None = None
    confidence: float | None = None
    prediction_class: str | None = None
    trace_id: str = ""

    @property
    def duration(self) -> int:
        return sum(self.stages.values()) + self.overhead


def _faults() -> dict[int, dict]:
    """Index of a 2.1.0 request → how it fails (http status, exception, bad prediction, explicit class)."""
    faults: dict[int, dict] = {}
    for index in (3, 4, 5):
        faults[index] = {"status": 400, "class": "client_400"}
    for index in (6, 7):
        faults[index] = {"status": 429, "class": "client_429"}
    for index in (8, 9):
        faults[index] = {"status": 503, "server_error": "Service Unavailable", "class": "server_503"}
    faults[10] = {"exception": ("inference", TimeoutError("inference exceeded 2000 ms")), "class": "timeout"}
    # an application class outranks the 500 the server answered with
    faults[11] = {
        "exception": ("inference", TimeoutError("Timeout waiting for GPU")),
        "status": 500,
        "server_error": "Internal Server Error",
        "class": "timeout",
    }
    faults[12] = {"exception": ("preprocess", ConnectionError("redis: connection refused")), "class": "cache"}
    faults[13] = {
        "exception": ("inference", FileNotFoundError("model weights not found: /models/fraud/weights.bin")),
        "class": "model_load",
    }
    faults[14] = {"value": math.nan, "class": "invalid_prediction"}
    faults[15] = {"confidence": 1.7, "class": "invalid_prediction"}
    # an explicit ml.error.class outranks everything
    faults[16] = {
        "status": 503,
        "explicit": "feature_store_unavailable",
        "class": "feature_store_unavailable",
    }
    return faults


def plan(end: int) -> list[Request]:
    """The requests of the window ending at ``end``: 200 of 2.1.0, then 20 of 2.2.0 from 13 minutes before."""
    rng = np.random.default_rng(20260209)
    start = end - 60 * MINUTE

    def stages() -> dict[str, int]:
        medians = {"queue": 2, "preprocess": 5, "inference": 40, "postprocess": 3}
        return {stage: int(rng.lognormal(math.log(ms * MS), 0.5)) for stage, ms in medians.items()}

    def predict(request: Request) -> Request:
        request.value = float(rng.normal(0.2, 0.1))
        request.confidence = float(rng.uniform(0.3, 1.0))
        request.prediction_class = "fraud" if request.value > 0.3 else "legit"
        return request

    starts = sorted(int(x) for x in rng.choice(44 * 60 * 1000, size=190, replace=False) * MS + start + MINUTE)
    starts += [start + 30 * MINUTE + 500 * MS + k * MS for k in range(10)]  # a burst: 10 at once
    requests = [predict(Request("2.1.0", at, stages(), int(rng.integers(0, MS)))) for at in starts]
    for index, fault in _faults().items():
        request = requests[index]
        request.error_class = fault["class"]
        request.exception = fault.get("exception")
        request.server_error = fault.get("server_error")
        if "status" in fault:
            request.attributes["http.response.status_code"] = fault["status"]
        if "explicit" in fault:
            request.attributes["ml.error.class"] = fault["explicit"]
        if "value" in fault:
            request.value = fault["value"]
        if "confidence" in fault:
            request.confidence = fault["confidence"]
        if "status" in fault or "exception" in fault:  # a failed request answers without a prediction
            request.value = request.confidence = request.prediction_class = None
    rollout = end - 13 * MINUTE
    for index in range(20):
        request = predict(Request("2.2.0", rollout + index * 30 * SECOND, stages(), int(rng.integers(0, MS))))
        if index in (5, 6):
            request.attributes["http.response.status_code"] = 500 + 4 * (index - 5)  # 500, 504
            request.server_error = "upstream failed"
            request.error_class = f"server_{500 + 4 * (index - 5)}"
            request.value = request.confidence = request.prediction_class = None
        requests.append(request)
    return requests


def _resource(version: str, service: str = SERVICE) -> Resource:
    return Resource.create({"service.name": service, "ml.model.name": MODEL, "ml.model.version": version})


def _server_attributes(request: Request, index: int) -> dict:
    attributes = {"ml.request.id": f"req-{request.version}-{index}", **request.attributes}
    if request.prediction_class is not None:
        attributes["ml.prediction.class"] = request.prediction_class
    if request.value is not None:
        attributes["ml.prediction.value"] = request.value
    if request.confidence is not None:
        attributes["ml.prediction.confidence"] = request.confidence
    return attributes


def start_server_span(tracer, request: Request, index: int, context=None):
    span = tracer.start_span(
        "POST /predict",
        context=context,
        kind=SpanKind.SERVER,
        attributes=_server_attributes(request, index),
        start_time=request.start,
    )
    request.trace_id = format(span.get_span_context().trace_id, "032x")
    return span


def end_server_span(span, request: Request) -> None:
    if request.server_error is not None or request.exception is not None:
        span.set_status(Status(StatusCode.ERROR, request.server_error or ""))
    span.end(end_time=request.start + request.duration)


def send_stage_spans(tracer, request: Request, server, stages=STAGES) -> None:
    """Stage spans one after the other, from the request's start plus its overhead."""
    context = trace.set_span_in_context(server)
    at = request.start + request.overhead // 2
    for stage in STAGES:
        if stage in stages:
            span = tracer.start_span(stage, context=context, attributes={"ml.stage": stage}, start_time=at)
            if request.exception is not None and request.exception[0] == stage:
                span.record_exception(request.exception[1], timestamp=at + 1)
                span.set_status(Status(StatusCode.ERROR, str(request.exception[1])))
            span.end(end_time=at + request.stages[stage])
        at += request.stages[stage]


def flush(factory: GatewayFactory) -> None:
    for gateway in factory.started:
        for writer in gateway.writers.values():
            writer.flush(timeout=30)


def send_split_request(factory: GatewayFactory, request: Request) -> None:
    """Children first in two exports (gRPC, HTTP) to the first gateway, the parent last to the second."""
    first, second = factory.started
    providers = []
    for exporter in (
        GrpcSpanExporter(endpoint=grpc_endpoint(first), insecure=True),
        HttpSpanExporter(endpoint=f"{http_url(first)}/v1/traces"),
        GrpcSpanExporter(endpoint=grpc_endpoint(second), insecure=True),
    ):
        provider = TracerProvider(resource=_resource(request.version))
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        providers.append(provider)
    server = start_server_span(providers[2].get_tracer("split"), request, 0)
    send_stage_spans(providers[0].get_tracer("split"), request, server, ("queue", "preprocess"))
    flush(factory)
    send_stage_spans(providers[1].get_tracer("split"), request, server, ("inference", "postprocess"))
    flush(factory)
    end_server_span(server, request)
    flush(factory)
    for provider in providers:
        provider.shutdown()


def send_called_request(endpoint: str, tracer, request: Request) -> None:
    """A caller's CLIENT span parents the model's SERVER span; the difference is network time."""
    caller = TracerProvider(resource=Resource.create({"service.name": CALLER}))
    caller.add_span_processor(SimpleSpanProcessor(GrpcSpanExporter(endpoint=endpoint, insecure=True)))
    client = caller.get_tracer("caller").start_span(
        "POST fraud-api/predict", kind=SpanKind.CLIENT, start_time=request.start - 3 * MS
    )
    server = start_server_span(tracer, request, 1, trace.set_span_in_context(client))
    send_stage_spans(tracer, request, server)
    end_server_span(server, request)
    client.end(end_time=request.start + request.duration + NETWORK_NS - 3 * MS)
    caller.shutdown()


def send_prediction_log(endpoint: str, at: int) -> None:
    """The guide's structured prediction log, through the SDK logger (no trace around it)."""
    provider = LoggerProvider(resource=Resource.create({"service.name": SERVICE}))
    provider.add_log_record_processor(
        SimpleLogRecordProcessor(OTLPLogExporter(endpoint=endpoint, insecure=True))
    )
    provider.get_logger("fraud.predictions").emit(
        timestamp=at,
        body="prediction served",
        attributes={
            "model": MODEL,
            "version": "2.1.0",
            "request_id": "abc123",
            "latency_ms": LOG_LATENCY_MS,
            "prediction": 0,
            "confidence": 0.92,
            "input_hash": "d41d8cd98f00b204e9800998ecf8427e",
        },
    )
    provider.shutdown()


def _kv(attributes: dict) -> list[KeyValue]:
    return [KeyValue(key=key, value=AnyValue(string_value=value)) for key, value in attributes.items()]


def send_metrics(url: str, start: int) -> None:
    """ml.queue.depth gauges (two series of the model, one of another, one point before the window)
    and an ml.requests.active up-down counter, as one raw OTLP/HTTP request."""

    def gauge(
        name: str, points: list[tuple[int, float]], attributes: dict | None = None
    ) -> metrics_pb2.Metric:
        return metrics_pb2.Metric(
            name=name,
            gauge=metrics_pb2.Gauge(
                data_points=[
                    metrics_pb2.NumberDataPoint(
                        time_unix_nano=at, as_double=value, attributes=_kv(attributes or {})
                    )
                    for at, value in points
                ]
            ),
        )

    def resource(resource_attributes: dict, metrics: list[metrics_pb2.Metric]) -> metrics_pb2.ResourceMetrics:
        return metrics_pb2.ResourceMetrics(
            resource=ResourceProto(attributes=_kv(resource_attributes)),
            scope_metrics=[metrics_pb2.ScopeMetrics(metrics=metrics)],
        )

    active = metrics_pb2.Metric(
        name="ml.requests.active",
        sum=metrics_pb2.Sum(
            aggregation_temporality=metrics_pb2.AGGREGATION_TEMPORALITY_CUMULATIVE,
            is_monotonic=False,
            data_points=[
                metrics_pb2.NumberDataPoint(start_time_unix_nano=start, time_unix_nano=at, as_int=value)
                for at, value in ((start + 30 * MINUTE, 4), (start + 58 * MINUTE, 5))
            ],
        ),
    )
    depth = [(start - 5 * MINUTE, 50.0), (start + 10 * MINUTE, 3.0), (start + 20 * MINUTE, 7.0)]
    depth.append((start + 50 * MINUTE, 2.0))
    request = ExportMetricsServiceRequest(
        resource_metrics=[
            resource(
                {"service.name": SERVICE, "ml.model.name": MODEL}, [gauge("ml.queue.depth", depth), active]
            ),
            # no model named: belongs to the model through its service
            resource(
                {"service.name": SERVICE},
                [
                    gauge(
                        "ml.queue.depth",
                        [(start + 15 * MINUTE, 1.0), (start + 55 * MINUTE, 4.0)],
                        {"worker": "b"},
                    )
                ],
            ),
            resource(
                {"service.name": "churn-api", "ml.model.name": "churn-model"},
                [gauge("ml.queue.depth", [(start + 30 * MINUTE, 100.0)])],
            ),
        ]
    )
    post = urllib.request.Request(
        f"{url}/v1/metrics",
        data=request.SerializeToString(),
        headers={"Content-Type": "application/x-protobuf"},
        method="POST",
    )
    with urllib.request.urlopen(post, timeout=30) as response:
        assert response.status == 200


@dataclass
class Scenario:
    factory: GatewayFactory
    url: str
    end: int
    requests: list[Request]
    log_at: int

    @property
    def start(self) -> int:
        return self.end - 60 * MINUTE


@pytest.fixture(scope="module")
def scenario(chdb_dir, tmp_path_factory) -> Scenario:
    # Sent once for the module: two gateways (so one request can arrive through both) on one database.
    factory = GatewayFactory(chdb_dir, tmp_path_factory.mktemp("signals"))
    try:
        first = factory.start()
        factory.start(f"data_dir={tmp_path_factory.mktemp('signals-second')}")
        end = (time.time_ns() // MINUTE - 5) * MINUTE
        requests = plan(end)
        endpoint = grpc_endpoint(first)
        send_split_request(factory, requests[0])
        bulk = TracerProvider(resource=_resource("2.1.0"))
        bulk.add_span_processor(BatchSpanProcessor(GrpcSpanExporter(endpoint=endpoint, insecure=True)))
        rollout = TracerProvider(resource=_resource("2.2.0"))
        rollout.add_span_processor(BatchSpanProcessor(GrpcSpanExporter(endpoint=endpoint, insecure=True)))
        send_called_request(endpoint, bulk.get_tracer("fraud"), requests[1])
        for index, request in enumerate(requests[2:], start=2):
            tracer = (bulk if request.version == "2.1.0" else rollout).get_tracer("fraud")
            server = start_server_span(tracer, request, index)
            send_stage_spans(tracer, request, server)
            end_server_span(server, request)
        # the first sighting of 2.1.0 is three days old: not a rollout of the last 24 h
        old = Request("2.1.0", end - 3 * 24 * 60 * MINUTE, dict.fromkeys(STAGES, MS), 0)
        end_server_span(start_server_span(bulk.get_tracer("fraud"), old, 999), old)
        for provider in (bulk, rollout):
            assert provider.force_flush(30_000)
            provider.shutdown()
        log_at = end - 35 * MINUTE
        send_prediction_log(endpoint, log_at)
        send_metrics(http_url(first), end - 60 * MINUTE)
        flush(factory)
        yield Scenario(factory, http_url(first), end, requests, log_at)
    finally:
        factory.close()


# ---- the oracle ------------------------------------------------------------------------------


def expected_latency(scenario: Scenario) -> dict[tuple[str, str], list[int]]:
    durations: dict[tuple[str, str], list[int]] = {}
    for request in scenario.requests:
        durations.setdefault((request.version, "request"), []).append(request.duration)
        for stage in STAGES:
            durations.setdefault((request.version, stage), []).append(request.stages[stage])
    durations[("2.1.0", "network")] = [NETWORK_NS]
    return durations


def expected_intervals(scenario: Scenario) -> list[tuple[int, int]]:
    intervals = [(request.start, request.start + request.duration) for request in scenario.requests]
    return [*intervals, (scenario.log_at, scenario.log_at + LOG_LATENCY_MS * MS)]


def peak_overlap(intervals: list[tuple[int, int]]) -> int:
    """Most closed intervals sharing an instant (starts before ends at equal times)."""
    events = sorted([(start, 0) for start, _ in intervals] + [(end, 1) for _, end in intervals])
    running = peak = 0
    for _, kind in events:
        running += 1 if kind == 0 else -1
        peak = max(peak, running)
    return peak


def last_span_start(request: Request) -> int:
    """Start of the request's last span (postprocess): what ml_deployments.LastSeen keeps."""
    return request.start + request.overhead // 2 + sum(request.stages[stage] for stage in STAGES[:-1])


def flat(document, path: str = "") -> dict:
    """{"a.b.0.c": leaf}: a JSON document as pytest.approx can compare it."""
    if isinstance(document, dict):
        return {k: v for key, item in document.items() for k, v in flat(item, f"{path}.{key}").items()}
    if isinstance(document, list):
        return {k: v for index, item in enumerate(document) for k, v in flat(item, f"{path}.{index}").items()}
    return {path: document}


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*INFERWATCH, "signals", *args], capture_output=True, timeout=60)


# ---- tests -----------------------------------------------------------------------------------


def test_cli_json_matches_the_oracle(scenario):
    requests = scenario.requests
    result = run_cli(
        "--model", MODEL, "--since", "1h", "--until", format_instant(scenario.end), "--format", "json",
        "--url", scenario.url,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    document = json.loads(result.stdout)
    assert list(document) == [
        "model", "version", "window", "latency", "throughput", "errors", "predictions", "deployments",
    ]  # fmt: skip
    assert document["window"] == {
        "start": format_instant(scenario.start),
        "end": format_instant(scenario.end),
        "start_unix_nano": scenario.start,
        "end_unix_nano": scenario.end,
        "seconds": 3600.0,
    }

    # latency: exact percentiles (quantileExactInclusive is numpy's default "linear" method)
    expected = expected_latency(scenario)
    latency = {(row["version"], row["stage"]): row for row in document["latency"]}
    assert sorted(latency) == sorted(expected)
    assert [(row["version"], row["stage"]) for row in document["latency"]] == [
        (version, stage)
        for version in ("2.1.0", "2.2.0")
        for stage in ("request", *STAGES, "network")
        if (version, stage) in expected
    ]
    for key, durations in expected.items():
        row = latency[key]
        percentiles = np.percentile(durations, [50, 75, 95, 99, 99.9]) / MS
        assert row["count"] == len(durations), key
        assert [row["p50_ms"], row["p75_ms"], row["p95_ms"], row["p99_ms"], row["p999_ms"]] == pytest.approx(
            list(percentiles), rel=1e-12
        ), key

    # throughput: every request in the window, the log record's included
    failed = [request for request in requests if request.error_class]
    total = len(requests) + 1
    throughput = document["throughput"]
    timeouts = sum(request.error_class == "timeout" for request in requests)
    assert throughput == {
        "requests": total,
        "requests_per_second": total / 3600,
        "successful": total - len(failed),
        "failed": len(failed),
        "timeouts": timeouts,
        "timeout_rate": timeouts / total,
        "peak_concurrent_requests": peak_overlap(expected_intervals(scenario)),
        "queue_depth": {"last": 2.0 + 4.0, "avg": (3 + 7 + 2 + 1 + 4) / 5, "max": 7.0, "points": 5},
        "active_requests": {"last": 5.0, "points": 2},
    }
    assert throughput["peak_concurrent_requests"] >= 10

    # errors: exact counts per class, and the tier of the rate
    classes: dict[str, int] = {}
    for request in failed:
        classes[request.error_class] = classes.get(request.error_class, 0) + 1
    errors = document["errors"]
    assert {row["error_class"]: row["count"] for row in errors["classes"]} == classes
    assert classes == {
        "client_400": 3,
        "client_429": 2,
        "server_503": 2,
        "server_500": 1,
        "server_504": 1,
        "timeout": 2,
        "cache": 1,
        "model_load": 1,
        "invalid_prediction": 2,
        "feature_store_unavailable": 1,
    }
    for row in errors["classes"]:
        assert row["share"] == row["count"] / total
    assert errors["groups"] == {
        "client": {"count": 5, "share": 5 / total},
        "server": {"count": 4, "share": 4 / total},
        "application": {"count": 7, "share": 7 / total},
    }
    assert errors["error_rate"] == len(failed) / total
    assert errors["tier"] == error_rate_tier(len(failed) / total) == "critical"

    # predictions: of every request (not the sampled ml_features), the log record's "0" included
    predictions = document["predictions"]
    labels = [request.prediction_class for request in requests if request.prediction_class] + ["0"]
    assert {row["prediction_class"]: row["count"] for row in predictions["classes"]} == {
        label: labels.count(label) for label in set(labels)
    }
    values = [
        request.value for request in requests if request.value is not None and math.isfinite(request.value)
    ]
    values.append(0.0)
    assert predictions["value"] == pytest.approx(
        {
            "count": len(values),
            "mean": np.mean(values),
            "median": np.median(values),
            "std": np.std(values, ddof=0),
            "min": min(values),
            "max": max(values),
        },
        rel=1e-9,
    )
    confidences = [c for c in (request.confidence for request in requests) if c is not None and 0 <= c <= 1]
    confidences.append(0.92)
    below = sum(c < 0.5 for c in confidences)
    assert predictions["confidence"] == pytest.approx(
        {
            "count": len(confidences),
            "mean": np.mean(confidences),
            "threshold": 0.5,
            "below_threshold": below,
            "below_threshold_share": below / len(confidences),
        },
        rel=1e-9,
    )

    # deployments: 2.2.0 first seen 13 minutes before the end; 2.1.0 three days ago, so not listed
    rollout = min(request.start for request in requests if request.version == "2.2.0")
    assert document["deployments"] == [
        {
            "version": "2.2.0",
            "deployed_at_unix_nano": rollout,
            "before_window_end_seconds": 13 * 60.0,
            "last_seen_unix_nano": max(last_span_start(r) for r in requests if r.version == "2.2.0"),
            "service": SERVICE,
            "environment": "",
            "events": 20 * 5,
            "deployed_at": format_instant(rollout),
        }
    ]


BREAKDOWN = """
SELECT toUnixTimestamp64Nano(RequestStart), ModelName, ModelVersion, RequestNs, QueueNs, PreprocessNs,
       InferenceNs, PostprocessNs, NetworkNs, Failed, ErrorClass, PredictionClass, PredictionValue, Confidence
FROM ml_request_breakdown WHERE TraceId = {trace_id:String}
"""


def expected_breakdown(request: Request, network: int = 0) -> tuple:
    stages = tuple(request.stages[stage] for stage in STAGES)
    prediction = (request.prediction_class, request.value, request.confidence)
    return (request.start, MODEL, request.version, request.duration, *stages, network, False, "", *prediction)


def test_request_split_across_exports_and_gateways_adds_up(scenario):
    # children in two exports to one gateway, the parent last through another: separate inserts
    # (the writers are flushed between them), which background merges may have combined since
    split = scenario.requests[0]
    rows = scenario.factory.rows(BREAKDOWN, {"trace_id": split.trace_id})
    assert rows == [expected_breakdown(split)]


def test_network_time_is_the_callers_client_span_minus_the_server_span(scenario):
    called = scenario.requests[1]
    assert scenario.factory.rows(BREAKDOWN, {"trace_id": called.trace_id}) == [
        expected_breakdown(called, NETWORK_NS)
    ]


def test_structured_prediction_log_is_a_request(scenario):
    rows = scenario.factory.rows(BREAKDOWN, {"trace_id": "request:abc123"})
    assert rows == [
        (scenario.log_at, MODEL, "2.1.0", LOG_LATENCY_MS * MS, 0, 0, 0, 0, 0, False, "", "0", 0.0, 0.92)
    ]


def _comparable(rows: list[tuple]) -> list[tuple]:
    return [tuple("NaN" if isinstance(v, float) and math.isnan(v) else v for v in row) for row in rows]


def test_merged_parts_give_the_same_breakdown(scenario):
    # Background merges combine the partial rows of a request; OPTIMIZE FINAL forces them.
    everything = "SELECT * FROM ml_request_breakdown ORDER BY TraceId"
    before = _comparable(scenario.factory.rows(everything))
    scenario.factory.rows("OPTIMIZE TABLE ml_requests FINAL")
    assert _comparable(scenario.factory.rows(everything)) == before
    called = scenario.requests[1]
    assert scenario.factory.rows(BREAKDOWN, {"trace_id": called.trace_id}) == [
        expected_breakdown(called, NETWORK_NS)
    ]


def test_version_filter_and_low_confidence_override(scenario, capsys):
    status = inferwatch(
        ["signals", "--model", MODEL, "--version", "2.2.0", "--low-confidence", "0.9", "--since", "1h",
         "--until", format_instant(scenario.end), "--format", "json", "--url", scenario.url]
    )  # fmt: skip
    assert status == 0
    document = json.loads(capsys.readouterr().out)
    rollout = [request for request in scenario.requests if request.version == "2.2.0"]
    assert document["version"] == "2.2.0"
    assert {row["version"] for row in document["latency"]} == {"2.2.0"}
    assert document["throughput"]["requests"] == 20
    assert {row["error_class"]: row["count"] for row in document["errors"]["classes"]} == {
        "server_500": 1,
        "server_504": 1,
    }
    assert document["errors"]["error_rate"] == 0.1
    assert document["errors"]["tier"] == "critical", "exactly 10% is critical; emergency is above 10%"
    confidences = [request.confidence for request in rollout if request.confidence is not None]
    assert document["predictions"]["confidence"]["threshold"] == 0.9
    assert document["predictions"]["confidence"]["below_threshold"] == sum(c < 0.9 for c in confidences)
    assert [row["version"] for row in document["deployments"]] == ["2.2.0"], "rollouts of every version"


def test_table_format(scenario, capsys):
    status = inferwatch(
        ["signals", "--model", MODEL, "--until", format_instant(scenario.end), "--url", scenario.url]
    )
    assert status == 0
    text = capsys.readouterr().out
    request = next(line for line in text.splitlines() if line.startswith("2.1.0    request "))
    p50 = np.percentile([r.duration for r in scenario.requests if r.version == "2.1.0"], 50) / MS
    assert request.split()[2:4] == ["200", f"{p50:.1f}"]
    assert "VERSION  STAGE        COUNT" in text
    assert "ERRORS  error rate 7.2%: CRITICAL" in text
    assert "version 2.2.0 rolled out 13 minutes before" in text


def test_unknown_model_suggests_the_known_ones(scenario, capsys):
    assert inferwatch(["signals", "--model", "fraud-detecter", "--url", scenario.url]) == 1
    assert "unknown model 'fraud-detecter'. Known models: fraud-detector" in capsys.readouterr().err


def test_model_without_data_in_the_window(scenario, capsys):
    until = format_instant(scenario.end - 24 * 60 * MINUTE)
    status = inferwatch(
        ["signals", "--model", MODEL, "--until", until, "--format", "json", "--url", scenario.url]
    )
    assert status == 0
    captured = capsys.readouterr()
    assert (
        f"no requests of model 'fraud-detector' between {format_instant(scenario.end - 25 * 60 * MINUTE)}"
        in (captured.err)
    )
    document = json.loads(captured.out)
    assert document["latency"] == document["deployments"] == document["errors"]["classes"] == []
    assert document["predictions"]["classes"] == []
    assert document["throughput"]["requests"] == 0
    assert document["throughput"]["queue_depth"] == {"last": None, "avg": None, "max": None, "points": 0}
    assert document["errors"]["error_rate"] is None and document["errors"]["tier"] is None


def _post_query(url: str, document: dict) -> tuple[int, bytes]:
    request = urllib.request.Request(
        f"{url}/api/v1/query",
        data=json.dumps(document).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_query_api_binds_parameters_in_clickhouse(scenario):
    sql = "SELECT count() AS n FROM ml_stage_spans WHERE ModelName = {model:String} AND Stage = 'request'"
    bound = {"query": sql, "format": "json"}
    assert _post_query(scenario.url, {**bound, "parameters": {"model": MODEL}}) == (200, b'{"n":221}\n')
    injected = {"model": f"{MODEL}' OR 1=1 --"}
    assert _post_query(scenario.url, {**bound, "parameters": injected}) == (200, b'{"n":0}\n')
    status, body = _post_query(scenario.url, {**bound, "parameters": {"model": MODEL, "other": 1}})
    assert status == 400 and b"'other' has no {other:Type} placeholder" in body
    status, body = _post_query(scenario.url, {**bound, "parameters": {"model": [MODEL]}})
    assert status == 400 and b"must be a string, number, boolean or null" in body
    assert _post_query(scenario.url, {**bound, "parameters": ["x"]})[0] == 400


def test_query_command_binds_params(scenario, capsys):
    sql = (
        "SELECT count() AS n FROM ml_stage_spans WHERE ModelName = {model:String} AND Stage = {stage:String}"
    )
    arguments = ["query", "--format", "json", "--url", scenario.url, "--param", f"model={MODEL}"]
    assert inferwatch([*arguments, "--param", "stage=inference", sql]) == 0
    assert capsys.readouterr().out == '{"n":220}\n', (
        "220 in the window; the old request has no inference span"
    )
    assert inferwatch([*arguments, sql]) == 1, "a placeholder without its parameter"
    assert "query failed" in capsys.readouterr().err


def test_direct_read_only_session_gives_the_same_document(scenario, capsys):
    window = ["--model", MODEL, "--until", format_instant(scenario.end), "--format", "json"]
    assert inferwatch(["signals", *window, "--url", scenario.url]) == 0
    through_gateway = json.loads(capsys.readouterr().out)
    direct = [
        f"clickhouse.dsn=chdb://{scenario.factory.chdb_dir}",
        f"clickhouse.database={scenario.factory.database}",
        "receivers.http.endpoint=127.0.0.1:1",  # no gateway answers there
    ]
    assert inferwatch(["signals", *window, *(f"--set={item}" for item in direct)]) == 0
    # equal up to the last bit of sums, whose order ClickHouse's parallel aggregation does not fix
    direct_document, gateway_document = flat(json.loads(capsys.readouterr().out)), flat(through_gateway)
    assert direct_document.keys() == gateway_document.keys()
    numbers = {key for key, value in gateway_document.items() if isinstance(value, float)}
    assert {key: direct_document[key] for key in numbers} == pytest.approx(
        {key: gateway_document[key] for key in numbers}, rel=1e-12
    )
    assert {k: v for k, v in direct_document.items() if k not in numbers} == {
        k: v for k, v in gateway_document.items() if k not in numbers
    }
