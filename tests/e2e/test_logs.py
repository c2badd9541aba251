"""Log records sent by the real OpenTelemetry SDK (and a hand-built request) land in otel_logs exactly."""

from __future__ import annotations

import base64
import logging

import grpc
import pytest
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter as GrpcLogExporter
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter as HttpLogExporter
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import (
    AnyValue,
    ArrayValue,
    InstrumentationScope,
    KeyValue,
    KeyValueList,
)
from opentelemetry.proto.logs.v1 import logs_pb2
from opentelemetry.proto.resource.v1.resource_pb2 import Resource as ResourceProto
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler, ReadableLogRecord
from opentelemetry.sdk._logs.export import (
    BatchLogRecordProcessor,
    InMemoryLogRecordExporter,
    LogRecordExporter,
    SimpleLogRecordProcessor,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from tests.e2e.conftest import grpc_endpoint, http_url

SERVICE = "fraud-api"
LOGGER_NAME = "inferwatch.tests.scoring"
EXTRA = {"model": "fraud", "shard": 3, "batch": True, "ratio": 0.5}
EXTRA_AS_TEXT = {"model": "fraud", "shard": "3", "batch": "true", "ratio": "0.5"}

SELECT_LOGS = """
SELECT Body, SeverityText, SeverityNumber, TraceId, SpanId, TraceFlags, ServiceName, ResourceAttributes,
       ScopeName, ScopeVersion, LogAttributes, toUnixTimestamp64Nano(Timestamp),
       toUnixTimestamp(TimestampTime), EventName
FROM otel_logs ORDER BY SeverityNumber
"""


def _as_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _send_logs(exporter: LogRecordExporter) -> list[ReadableLogRecord]:
    """Log through Python's logging module; return the SDK's records in emission order (the oracle)."""
    memory = InMemoryLogRecordExporter()
    provider = LoggerProvider(
        resource=Resource.create({"service.name": SERVICE, "ml.model.name": "fraud-detector"})
    )
    provider.add_log_record_processor(SimpleLogRecordProcessor(memory))
    provider.add_log_record_processor(BatchLogRecordProcessor(exporter))
    handler = LoggingHandler(logger_provider=provider)
    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.addHandler(handler)
    try:
        with TracerProvider().get_tracer("scorer").start_as_current_span("predict"):
            logger.warning("score %.2f above threshold", 0.97, extra=EXTRA)
        try:
            raise ValueError("model failed")
        except ValueError:
            logger.exception("inference error")
        logger.info({"threshold": 0.9, "model": "fraud", "retries": 2})
    finally:
        logger.removeHandler(handler)
    assert provider.force_flush(10_000)
    provider.shutdown()
    return list(memory.get_finished_logs())


# The SDK's LoggingHandler is what applications use today; its successor lives in a package we do not ship.
@pytest.mark.filterwarnings("ignore:`LoggingHandler` in `opentelemetry-sdk` is deprecated:DeprecationWarning")
@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_sdk_logs_are_stored_exactly(gateways, transport):
    gateway = gateways.start()
    if transport == "grpc":
        exporter = GrpcLogExporter(endpoint=grpc_endpoint(gateway), insecure=True)
    else:
        exporter = HttpLogExporter(endpoint=f"{http_url(gateway)}/v1/logs")
    sent = _send_logs(exporter)
    warning, error, structured = (readable.log_record for readable in sent)
    resource = {key: _as_text(value) for key, value in sent[0].resource.attributes.items()}

    rows = gateways.rows(SELECT_LOGS)

    assert len(rows) == 3
    row_structured, row_warning, row_error = rows  # INFO 9, WARN 13, ERROR 17
    for row, record in zip(rows, (structured, warning, error), strict=True):
        assert row[6:10] == (SERVICE, resource, LOGGER_NAME, "")
        assert row[10] == {key: _as_text(value) for key, value in record.attributes.items()}
        assert list(row[10]) == sorted(row[10]), "map keys are sorted"
        assert row[11] == record.timestamp
        assert row[12] == record.timestamp // 1_000_000_000
        assert row[13] == ""
    assert resource["service.name"] == SERVICE
    assert resource["ml.model.name"] == "fraud-detector"
    assert list(row_warning[7]) == sorted(row_warning[7]), "map keys are sorted"

    assert row_warning[:6] == (
        "score 0.97 above threshold",
        "WARN",
        13,
        f"{warning.trace_id:032x}",
        f"{warning.span_id:016x}",
        int(warning.trace_flags),
    )
    assert warning.trace_id != 0
    assert row_warning[5] & 1 == 1, "sampled"
    assert EXTRA_AS_TEXT.items() <= row_warning[10].items()
    assert row_warning[10]["code.function.name"] == "_send_logs"

    assert row_error[:6] == ("inference error", "ERROR", 17, "", "", 0)
    assert row_error[10]["exception.type"] == "ValueError"
    assert row_error[10]["exception.message"] == "model failed"
    assert "Traceback" in row_error[10]["exception.stacktrace"]

    assert row_structured[:3] == ('{"model":"fraud","retries":2,"threshold":0.9}', "INFO", 9)


def _text(value: str) -> AnyValue:
    return AnyValue(string_value=value)


def _attributes(**values: AnyValue) -> list[KeyValue]:
    return [KeyValue(key=key, value=value) for key, value in values.items()]


T0 = 1_700_000_000_123_456_789
TRACE_ID = bytes.fromhex("0AF7651916CD43DD8448EB211C80319C")
SPAN_ID = bytes.fromhex("B7AD6B7169203331")
RAW = b"\x00\xffraw"
# Arrays and maps are stored as JSON, like the collector's pcommon.Value.AsString: "/" is not escaped.
ARRAY_AS_TEXT = '["a/b",-1,false,0.25]'


def _record(time: int, observed: int, body: AnyValue | None, **fields) -> logs_pb2.LogRecord:
    return logs_pb2.LogRecord(time_unix_nano=time, observed_time_unix_nano=observed, body=body, **fields)


def _hand_built_request() -> ExportLogsServiceRequest:
    """Bodies of every kind, an untimed record, an event: what logging handlers rarely send."""
    kvlist = KeyValueList(
        values=_attributes(
            b=_text("x"),
            a=AnyValue(int_value=1),
            d=AnyValue(double_value=2.5),
            c=AnyValue(bool_value=True),
            e=_text('GET /v1/score "ok"\n'),
            f=AnyValue(bytes_value=RAW),
        )
    )
    array = ArrayValue(
        values=[_text("a/b"), AnyValue(int_value=-1), AnyValue(bool_value=False), AnyValue(double_value=0.25)]
    )
    records = [
        _record(
            T0,
            T0 + 1,
            AnyValue(kvlist_value=kvlist),
            severity_number=logs_pb2.SEVERITY_NUMBER_INFO,
            severity_text="Information",
            attributes=_attributes(
                user=_text("u1"), attempt=AnyValue(int_value=2), routes=AnyValue(array_value=array)
            ),
            trace_id=TRACE_ID,
            span_id=SPAN_ID,
            flags=0x101,
        ),
        _record(T0 + 1, 0, AnyValue(array_value=array), severity_number=logs_pb2.SEVERITY_NUMBER_FATAL4),
        _record(0, T0 + 2, _text("untimed"), severity_number=logs_pb2.SEVERITY_NUMBER_DEBUG),
        _record(T0 + 3, T0 + 4, AnyValue(int_value=42), event_name="model.prediction"),
        _record(T0 + 4, 0, AnyValue(double_value=1.5)),
        _record(T0 + 5, 0, AnyValue(bool_value=True)),
        _record(T0 + 6, 0, AnyValue(bytes_value=RAW)),
        _record(T0 + 7, 0, None),
    ]
    return ExportLogsServiceRequest(
        resource_logs=[
            logs_pb2.ResourceLogs(
                resource=ResourceProto(attributes=_attributes(**{"service.name": _text("batch-scorer")})),
                schema_url="https://opentelemetry.io/schemas/1.26.0",
                scope_logs=[
                    logs_pb2.ScopeLogs(
                        scope=InstrumentationScope(
                            name="scorer", version="0.9", attributes=_attributes(tier=_text("gold"))
                        ),
                        schema_url="https://example.com/scope",
                        log_records=records,
                    )
                ],
            )
        ]
    )


def test_hand_built_logs_are_stored_exactly(gateways):
    gateway = gateways.start()
    with grpc.insecure_channel(grpc_endpoint(gateway)) as channel:
        export = channel.unary_unary(
            "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
            request_serializer=ExportLogsServiceRequest.SerializeToString,
            response_deserializer=ExportLogsServiceResponse.FromString,
        )
        response = export(_hand_built_request(), timeout=10)
    assert not response.HasField("partial_success")

    rows = gateways.rows(
        "SELECT toUnixTimestamp64Nano(Timestamp), Body, SeverityText, SeverityNumber, TraceId, SpanId,"
        " TraceFlags, LogAttributes, EventName FROM otel_logs ORDER BY Timestamp"
    )
    raw = base64.b64encode(RAW).decode()
    assert rows == [
        (
            T0,
            f'{{"a":1,"b":"x","c":true,"d":2.5,"e":"GET /v1/score \\"ok\\"\\n","f":"{raw}"}}',
            "Information",
            9,
            "0af7651916cd43dd8448eb211c80319c",
            "b7ad6b7169203331",
            1,
            {"attempt": "2", "routes": ARRAY_AS_TEXT, "user": "u1"},
            "",
        ),
        (T0 + 1, ARRAY_AS_TEXT, "", 24, "", "", 0, {}, ""),
        (T0 + 2, "untimed", "", 5, "", "", 0, {}, ""),
        (T0 + 3, "42", "", 0, "", "", 0, {}, "model.prediction"),
        (T0 + 4, "1.5", "", 0, "", "", 0, {}, ""),
        (T0 + 5, "true", "", 0, "", "", 0, {}, ""),
        (T0 + 6, raw, "", 0, "", "", 0, {}, ""),
        (T0 + 7, "", "", 0, "", "", 0, {}, ""),
    ]

    scope = gateways.rows(
        "SELECT DISTINCT ServiceName, ResourceAttributes, ResourceSchemaUrl, ScopeName, ScopeVersion,"
        " ScopeAttributes, ScopeSchemaUrl, TimestampTime = toDateTime(Timestamp) FROM otel_logs"
    )
    assert scope == [
        (
            "batch-scorer",
            {"service.name": "batch-scorer"},
            "https://opentelemetry.io/schemas/1.26.0",
            "scorer",
            "0.9",
            {"tier": "gold"},
            "https://example.com/scope",
            True,
        )
    ]
