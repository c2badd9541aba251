"""Regressions of the per-request aggregate: replays, other services' CLIENT spans, JSON-body logs."""

from __future__ import annotations

import json

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1 import trace_pb2

from processors.otlp.signals import Signal

START = 1_760_000_000_000_000_000
MS = 1_000_000
TRACE = bytes(range(1, 17))


def _span(
    request, span_id: int, name: str, start_ms: int, end_ms: int, *, parent: int = 0, kind=1, **attributes
):
    resource_spans = request.resource_spans[0]
    span = resource_spans.scope_spans[0].spans.add()
    span.trace_id, span.span_id, span.name, span.kind = TRACE, span_id.to_bytes(8, "big"), name, kind
    if parent:
        span.parent_span_id = parent.to_bytes(8, "big")
    span.start_time_unix_nano, span.end_time_unix_nano = START + start_ms * MS, START + end_ms * MS
    for key, value in attributes.items():
        attribute = span.attributes.add()
        attribute.key = key.replace("_", ".")
        if isinstance(value, int):
            attribute.value.int_value = value
        else:
            attribute.value.string_value = value
    return span


def _request(service: str, model: str | None) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    for key, value in (("service.name", service), ("ml.model.name", model), ("ml.model.version", "2.1.0")):
        if value:
            attribute = resource_spans.resource.attributes.add()
            attribute.key, attribute.value.string_value = key, value
    resource_spans.scope_spans.add()
    return request


def test_replayed_spans_count_once_and_other_services_failures_are_not_the_models(gateways):
    gateway = gateways.start()
    model = _request("fraud-api", "fraud-detector")
    _span(model, 2, "POST /predict", 1, 11, parent=1, kind=trace_pb2.Span.SPAN_KIND_SERVER)
    queue = _span(model, 3, "queue", 1, 4, parent=2)
    queue.attributes.add(key="ml.stage").value.string_value = "queue"
    caller = _request("checkout-api", None)
    _span(caller, 1, "call fraud", 0, 12, kind=trace_pb2.Span.SPAN_KIND_CLIENT)
    failing = _span(caller, 9, "call payments", 20, 30, kind=trace_pb2.Span.SPAN_KIND_CLIENT)
    failing.attributes.add(key="http.response.status_code").value.int_value = 503
    failing.status.code = trace_pb2.Status.STATUS_CODE_ERROR
    for request in (model, caller, model):  # the model's spans delivered twice (a client retry)
        gateway.export.export(Signal.TRACES, request)

    rows = gateways.rows("SELECT RequestNs, QueueNs, NetworkNs, Failed, ErrorClass FROM ml_request_breakdown")
    assert rows == [(10 * MS, 3 * MS, 2 * MS, False, "")]


def test_version_from_a_json_body_prediction_log_is_a_deployment(gateways):
    gateway = gateways.start()
    request = ExportLogsServiceRequest()
    resource_logs = request.resource_logs.add()
    attribute = resource_logs.resource.attributes.add()
    attribute.key, attribute.value.string_value = "service.name", "fraud-api"
    record = resource_logs.scope_logs.add().log_records.add()
    record.time_unix_nano = START
    record.body.string_value = json.dumps(
        {
            "model": "fraud-detector",
            "version": "2.3.0",
            "request_id": "r9",
            "latency_ms": 12,
            "prediction": 1,
            "confidence": 0.8,
        }
    )
    gateway.export.export(Signal.LOGS, request)

    assert gateways.rows("SELECT ModelVersion, RequestNs, PredictionClass FROM ml_request_breakdown") == [
        ("2.3.0", 12 * MS, "1")
    ]
    assert gateways.rows(
        "SELECT ModelName, ModelVersion, toUnixTimestamp64Nano(DeployedAt) FROM ml_deployments"
    ) == [("fraud-detector", "2.3.0", START)]
