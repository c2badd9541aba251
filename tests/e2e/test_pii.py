"""PII sent by the real OpenTelemetry SDK is hashed, dropped or redacted before anything is stored."""

from __future__ import annotations

import hashlib
import hmac
import os

from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

from processors.otlp.signals import Signal
from tests.e2e.conftest import grpc_endpoint

SALT = "s3cr3t-salt"
PII_SETTINGS = ("ml.pii.hash_keys=[user.id]", "ml.pii.drop_keys=[user.ssn]", f"ml.pii.salt={SALT}")
USER_ID = "u-93e1f7"
SSN = "078-05-1120"
EMAIL = "jane.doe@example.com"
OWNER_EMAIL = "ml-owner@example.org"
PHONE = "+1 (415) 555-0132"
UK_PHONE = "020 7946 0958"
# Each clear value, and the part of it most likely to survive a partial redaction.
CLEAR_VALUES = (
    USER_ID,
    SSN,
    EMAIL,
    "jane.doe",
    OWNER_EMAIL,
    "ml-owner",
    PHONE,
    "555-0132",
    UK_PHONE,
    "7946 0958",
)
REDACTED_EMAIL = "[REDACTED:email]"
REDACTED_PHONE = "[REDACTED:phone]"
RESOURCE = {
    "service.name": "pii-api",
    "ml.model.name": "fraud-detector",
    "ml.model.version": "2.1.0",
    "user.id": USER_ID,
    "user.ssn": SSN,
    "owner": OWNER_EMAIL,
}
# Tables that must receive a row, so that "nowhere" covers the derived ML tables too.
FILLED = ("otel_traces", "otel_logs", "otel_metrics_sum", "ml_requests", "ml_stage_spans", "ml_features")


def hashed(text: str) -> str:
    return "hmac-sha256:" + hmac.new(SALT.encode(), text.encode(), hashlib.sha256).hexdigest()


def _send_span(endpoint: str) -> None:
    provider = TracerProvider(resource=Resource.create(RESOURCE))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=endpoint, insecure=True)))
    attributes = {
        "user.id": USER_ID,
        "user.ssn": SSN,
        "customer": f"mail {EMAIL}",
        "phone": PHONE,
        "ml.stage": "inference",
        "ml.feature.contact": EMAIL,
        "ml.prediction.class": "approve",
    }
    tracer = provider.get_tracer("inferwatch.tests")
    with tracer.start_as_current_span("predict", kind=SpanKind.SERVER, attributes=attributes) as span:
        span.add_event("notify", {"to": EMAIL, "user.id": USER_ID, "user.ssn": SSN})
        span.set_status(Status(StatusCode.ERROR, f"could not notify {EMAIL}"))
    provider.shutdown()


def _send_logs(endpoint: str) -> None:
    provider = LoggerProvider(resource=Resource.create(RESOURCE))
    provider.add_log_record_processor(
        SimpleLogRecordProcessor(OTLPLogExporter(endpoint=endpoint, insecure=True))
    )
    logger = provider.get_logger("inferwatch.tests")
    logger.emit(
        severity_number=SeverityNumber.WARN,
        event_name="ml.inference",
        body=f"user {EMAIL} called from {UK_PHONE}",
        attributes={
            "user.id": USER_ID,
            "user.ssn": SSN,
            "contact": f"call {PHONE} or mail {EMAIL}",
            "model": "fraud-detector",
            "version": "2.1.0",
            "prediction": "approve",
            "ml.feature.phone": UK_PHONE,
        },
    )
    logger.emit(
        severity_number=SeverityNumber.INFO,
        body={"user.id": USER_ID, "user.ssn": SSN, "reply_to": EMAIL, "call": PHONE},
    )
    logger.emit(severity_number=SeverityNumber.DEBUG, body=[EMAIL, "ok", PHONE])
    provider.shutdown()


def _send_metric(endpoint: str) -> None:
    reader = PeriodicExportingMetricReader(
        OTLPMetricExporter(endpoint=endpoint, insecure=True), export_interval_millis=3_600_000
    )
    provider = MeterProvider(resource=Resource.create(RESOURCE), metric_readers=[reader])
    counter = provider.get_meter("inferwatch.tests").create_counter("predictions")
    counter.add(1, {"user.id": USER_ID, "user.ssn": SSN, "contact": EMAIL, "model": "fraud"})
    provider.shutdown()


def _send_all(gateway) -> None:
    endpoint = grpc_endpoint(gateway)
    _send_span(endpoint)
    _send_logs(endpoint)
    _send_metric(endpoint)


def _tables(gateways) -> list[str]:
    rows = gateways.rows(
        "SELECT name FROM system.tables WHERE database = currentDatabase() "
        "AND engine NOT IN ('Null', 'MaterializedView') ORDER BY name"
    )
    return [name for (name,) in rows]


def _clear_values_stored(gateways) -> dict[str, list[str]]:
    """Each table (and view) whose rows, read as text, contain a clear value: which values."""
    found: dict[str, list[str]] = {}
    for table in _tables(gateways):
        for clear in CLEAR_VALUES:
            rows = gateways.rows(
                f"SELECT count() FROM {table} "
                "WHERE positionCaseInsensitive(toString(tuple(*)), {clear:String}) > 0",
                {"clear": clear},
            )
            if rows[0][0]:
                found.setdefault(table, []).append(clear)
    return found


def _files_under(directory: str) -> dict[str, bytes]:
    found = {}
    for root, _, names in os.walk(directory):
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as handle:
                found[path] = handle.read()
    return found


def test_pii_is_nowhere_in_clickhouse_nor_in_the_spool(gateways):
    gateway = gateways.start(*PII_SETTINGS)
    _send_all(gateway)

    for table in FILLED:
        assert gateways.rows(f"SELECT count() FROM {table}")[0][0] > 0, f"{table} got no row"
    assert _clear_values_stored(gateways) == {}
    spool = gateway.config.resolved_spool_dir()
    assert os.path.isdir(os.path.join(spool, "traces"))
    for path, content in _files_under(spool).items():
        for clear in CLEAR_VALUES:
            assert clear.encode() not in content, f"{clear!r} is in {path}"


def test_without_protection_the_same_search_finds_the_clear_values(gateways):
    """The control of the test above: its search is not blind to the columns PII lands in."""
    gateway = gateways.start("ml.pii.redact_patterns=[]")
    _send_all(gateway)

    found = _clear_values_stored(gateways)

    assert set(found["otel_traces"]) == set(CLEAR_VALUES) - {UK_PHONE, "7946 0958"}
    assert set(found["otel_logs"]) == set(CLEAR_VALUES)
    assert set(found["otel_metrics_sum"]) >= {USER_ID, SSN, EMAIL, OWNER_EMAIL}
    assert EMAIL in found["ml_features"] and UK_PHONE in found["ml_features"]


def test_pii_is_hashed_dropped_and_redacted_where_expected(gateways):
    gateway = gateways.start(*PII_SETTINGS)
    _send_all(gateway)
    user = hashed(USER_ID)

    span = gateways.rows(
        "SELECT ResourceAttributes, SpanAttributes, StatusMessage, Events.Attributes FROM otel_traces"
    )
    assert len(span) == 1
    resource, attributes, status_message, event_attributes = span[0]
    assert {key: resource[key] for key in RESOURCE if key in resource} == {
        "service.name": "pii-api",
        "ml.model.name": "fraud-detector",
        "ml.model.version": "2.1.0",
        "user.id": user,
        "owner": REDACTED_EMAIL,
    }
    assert attributes == {
        "user.id": user,
        "customer": f"mail {REDACTED_EMAIL}",
        "phone": REDACTED_PHONE,
        "ml.stage": "inference",
        "ml.feature.contact": REDACTED_EMAIL,
        "ml.prediction.class": "approve",
    }
    assert status_message == f"could not notify {REDACTED_EMAIL}"
    assert event_attributes == [{"to": REDACTED_EMAIL, "user.id": user}]

    logs = gateways.rows(
        "SELECT Body, LogAttributes, ResourceAttributes FROM otel_logs ORDER BY SeverityNumber"
    )
    (listed, _, _), (structured, structured_attributes, _), (text, text_attributes, log_resource) = logs
    assert text == f"user {REDACTED_EMAIL} called from {REDACTED_PHONE}"
    assert text_attributes == {
        "user.id": user,
        "contact": f"call {REDACTED_PHONE} or mail {REDACTED_EMAIL}",
        "model": "fraud-detector",
        "version": "2.1.0",
        "prediction": "approve",
        "ml.feature.phone": REDACTED_PHONE,
    }
    assert structured == (
        f'{{"call":"{REDACTED_PHONE}","reply_to":"{REDACTED_EMAIL}","user.id":"{user}"}}'
    ), "kvlist bodies are stored as JSON with sorted keys"
    assert listed == f'["{REDACTED_EMAIL}","ok","{REDACTED_PHONE}"]'
    assert structured_attributes == {}
    assert log_resource["user.id"] == user and "user.ssn" not in log_resource

    metric = gateways.rows("SELECT Attributes, ResourceAttributes FROM otel_metrics_sum")
    assert metric[0][0] == {"user.id": user, "contact": REDACTED_EMAIL, "model": "fraud"}
    assert metric[0][1]["user.id"] == user and "user.ssn" not in metric[0][1]


def test_request_without_pii_is_stored_as_received(gateways, monkeypatch):
    """The zero-copy path: the receiver's bytes are spooled as they are when nothing had to change."""
    gateway = gateways.start(*PII_SETTINGS)
    writer = gateway.writers[Signal.TRACES]
    submitted: list[bytes] = []
    submit = writer.submit

    def recording_submit(payload: bytes, partition_days: frozenset[int] = frozenset()) -> None:
        submitted.append(payload)
        submit(payload, partition_days)

    monkeypatch.setattr(writer, "submit", recording_submit)
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.add(key="service.name").value.string_value = "pii-api"
    span = resource_spans.scope_spans.add().spans.add(
        trace_id=bytes(range(1, 17)), span_id=bytes(range(1, 9)), name="predict"
    )
    span.start_time_unix_nano = gateway.clock.now_unix_nano()
    span.end_time_unix_nano = span.start_time_unix_nano + 1_000
    span.attributes.add(key="ml.model.version").value.string_value = "2.1.0"
    clean = request.SerializeToString()
    span.attributes.add(key="user.id").value.string_value = USER_ID
    with_pii = request.SerializeToString()

    gateway.export.export(Signal.TRACES, ExportTraceServiceRequest.FromString(clean), clean)
    gateway.export.export(Signal.TRACES, ExportTraceServiceRequest.FromString(with_pii), with_pii)

    assert submitted[0] is clean
    assert submitted[1] != with_pii and USER_ID.encode() not in submitted[1]
    assert gateways.rows(
        "SELECT SpanAttributes['user.id'] FROM otel_traces ORDER BY length(SpanAttributes)"
    ) == [
        ("",),
        (hashed(USER_ID),),
    ]
