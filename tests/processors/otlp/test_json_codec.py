from __future__ import annotations

import json
from typing import Any

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.metrics.v1.metrics_pb2 import (
    Exemplar,
    ExponentialHistogramDataPoint,
    HistogramDataPoint,
    Metric,
    NumberDataPoint,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from processors.otlp.errors import PayloadError
from processors.otlp.json_codec import decode_json, decode_protobuf, encode_json
from processors.otlp.signals import Signal

TRACE_HEX = "5b8efff798038103d269b633813fc60c"
SPAN_HEX = "eee19b7ec3c1b174"
PARENT_HEX = "eee19b7ec3c1b173"
LINK_TRACE_HEX = "0102030405060708090a0b0c0d0e0f10"
LINK_SPAN_HEX = "1112131415161718"


def _body(document: Any) -> bytes:
    return json.dumps(document).encode()


def _trace_document(**span: Any) -> dict[str, Any]:
    return {"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}


def _first_span(request: ExportTraceServiceRequest) -> Span:
    return request.resource_spans[0].scope_spans[0].spans[0]


def test_trace_json_with_hex_ids_matches_protobuf() -> None:
    document = {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "model"}}]},
                "scopeSpans": [
                    {
                        "scope": {"name": "inferwatch.test"},
                        "spans": [
                            {
                                "traceId": TRACE_HEX,
                                "spanId": SPAN_HEX,
                                "parentSpanId": PARENT_HEX,
                                "name": "predict",
                                "kind": 2,
                                "startTimeUnixNano": "1700000000000000000",
                                "endTimeUnixNano": "1700000000500000000",
                                "links": [{"traceId": LINK_TRACE_HEX, "spanId": LINK_SPAN_HEX}],
                                "status": {"code": 2, "message": "boom"},
                            }
                        ],
                    }
                ],
            }
        ]
    }
    expected = ExportTraceServiceRequest()
    resource_spans = expected.resource_spans.add()
    resource_spans.resource.attributes.add(key="service.name").value.string_value = "model"
    scope_spans = resource_spans.scope_spans.add()
    scope_spans.scope.name = "inferwatch.test"
    span = scope_spans.spans.add(
        trace_id=bytes.fromhex(TRACE_HEX),
        span_id=bytes.fromhex(SPAN_HEX),
        parent_span_id=bytes.fromhex(PARENT_HEX),
        name="predict",
        kind=Span.SPAN_KIND_SERVER,
        start_time_unix_nano=1_700_000_000_000_000_000,
        end_time_unix_nano=1_700_000_000_500_000_000,
    )
    span.links.add(trace_id=bytes.fromhex(LINK_TRACE_HEX), span_id=bytes.fromhex(LINK_SPAN_HEX))
    span.status.code = 2
    span.status.message = "boom"

    decoded = decode_json(Signal.TRACES, _body(document))

    assert decoded == expected
    assert decode_protobuf(Signal.TRACES, expected.SerializeToString()) == decoded


def test_log_json_with_hex_ids_matches_protobuf() -> None:
    document = {
        "resourceLogs": [
            {
                "scopeLogs": [
                    {
                        "logRecords": [
                            {
                                "timeUnixNano": "1700000000000000000",
                                "severityNumber": 17,
                                "body": {"stringValue": "failed"},
                                "traceId": TRACE_HEX,
                                "spanId": SPAN_HEX,
                            }
                        ]
                    }
                ]
            }
        ]
    }
    expected = ExportLogsServiceRequest()
    expected.resource_logs.add().scope_logs.add().log_records.append(
        LogRecord(
            time_unix_nano=1_700_000_000_000_000_000,
            severity_number=17,
            body=AnyValue(string_value="failed"),
            trace_id=bytes.fromhex(TRACE_HEX),
            span_id=bytes.fromhex(SPAN_HEX),
        )
    )
    assert decode_json(Signal.LOGS, _body(document)) == expected


def test_metric_json_with_hex_exemplar_ids_matches_protobuf() -> None:
    exemplar_json = {"asDouble": 1.5, "timeUnixNano": "5", "traceId": TRACE_HEX, "spanId": SPAN_HEX}
    point_json = {"timeUnixNano": "7", "exemplars": [exemplar_json]}
    document = {
        "resourceMetrics": [
            {
                "scopeMetrics": [
                    {
                        "metrics": [
                            {"name": "g", "gauge": {"dataPoints": [{**point_json, "asInt": "3"}]}},
                            {
                                "name": "s",
                                "sum": {
                                    "dataPoints": [{**point_json, "asDouble": 2.5}],
                                    "aggregationTemporality": 2,
                                    "isMonotonic": True,
                                },
                            },
                            {
                                "name": "h",
                                "histogram": {
                                    "dataPoints": [
                                        {
                                            **point_json,
                                            "count": "3",
                                            "bucketCounts": ["1", "2"],
                                            "explicitBounds": [1.0],
                                        }
                                    ]
                                },
                            },
                            {
                                "name": "e",
                                "exponentialHistogram": {
                                    "dataPoints": [{**point_json, "count": "0", "scale": 3}]
                                },
                            },
                        ]
                    }
                ]
            }
        ]
    }
    exemplar = Exemplar(
        as_double=1.5, time_unix_nano=5, trace_id=bytes.fromhex(TRACE_HEX), span_id=bytes.fromhex(SPAN_HEX)
    )
    expected = ExportMetricsServiceRequest()
    metrics = expected.resource_metrics.add().scope_metrics.add().metrics
    metrics.add(name="g").gauge.data_points.append(
        NumberDataPoint(time_unix_nano=7, as_int=3, exemplars=[exemplar])
    )
    total = metrics.add(name="s").sum
    total.data_points.append(NumberDataPoint(time_unix_nano=7, as_double=2.5, exemplars=[exemplar]))
    total.aggregation_temporality = 2
    total.is_monotonic = True
    metrics.add(name="h").histogram.data_points.append(
        HistogramDataPoint(
            time_unix_nano=7, count=3, bucket_counts=[1, 2], explicit_bounds=[1.0], exemplars=[exemplar]
        )
    )
    metrics.add(name="e").exponential_histogram.data_points.append(
        ExponentialHistogramDataPoint(time_unix_nano=7, scale=3, exemplars=[exemplar])
    )
    assert decode_json(Signal.METRICS, _body(document)) == expected


def test_hex_ids_are_case_insensitive() -> None:
    upper = decode_json(
        Signal.TRACES, _body(_trace_document(traceId=TRACE_HEX.upper(), spanId="EeE19B7eC3c1B174"))
    )
    span = _first_span(upper)
    assert span.trace_id == bytes.fromhex(TRACE_HEX)
    assert span.span_id == bytes.fromhex(SPAN_HEX)


def test_hex_of_the_wrong_length_is_decoded_for_validation_to_reject() -> None:
    span = _first_span(decode_json(Signal.TRACES, _body(_trace_document(traceId="abcd", spanId=""))))
    assert span.trace_id == b"\xab\xcd"
    assert span.span_id == b""


@pytest.mark.parametrize(
    ("signal", "document", "path"),
    [
        (
            Signal.TRACES,
            {"resourceSpans": [{"scopeSpans": [{}, {"spans": [{}, {}, {}, {"traceId": "zz" * 16}]}]}]},
            "resourceSpans[0].scopeSpans[1].spans[3].traceId",
        ),
        (
            Signal.TRACES,
            _trace_document(spanId=SPAN_HEX, parentSpanId="0g00000000000000"),
            "resourceSpans[0].scopeSpans[0].spans[0].parentSpanId",
        ),
        (
            Signal.TRACES,
            _trace_document(links=[{"traceId": TRACE_HEX, "spanId": "abc"}]),
            "resourceSpans[0].scopeSpans[0].spans[0].links[0].spanId",
        ),
        (
            Signal.TRACES,
            {"resource_spans": [{"scope_spans": [{"spans": [{"trace_id": "ab cd"}]}]}]},
            "resource_spans[0].scope_spans[0].spans[0].trace_id",
        ),
        (
            Signal.LOGS,
            {"resourceLogs": [{"scopeLogs": [{"logRecords": [{"spanId": "xyz0"}]}]}]},
            "resourceLogs[0].scopeLogs[0].logRecords[0].spanId",
        ),
        (
            Signal.METRICS,
            {
                "resourceMetrics": [
                    {
                        "scopeMetrics": [
                            {
                                "metrics": [
                                    {
                                        "name": "h",
                                        "histogram": {
                                            "dataPoints": [{}, {"exemplars": [{"traceId": "+/=="}]}]
                                        },
                                    }
                                ]
                            }
                        ]
                    }
                ]
            },
            "resourceMetrics[0].scopeMetrics[0].metrics[0].histogram.dataPoints[1].exemplars[0].traceId",
        ),
    ],
)
def test_invalid_hex_names_the_path(signal: Signal, document: dict[str, Any], path: str) -> None:
    with pytest.raises(PayloadError, match=r"invalid hex") as raised:
        decode_json(signal, _body(document))
    assert str(raised.value).startswith(f"{path}: invalid hex ")


def test_invalid_hex_message_shows_the_value() -> None:
    with pytest.raises(PayloadError) as raised:
        decode_json(Signal.TRACES, _body(_trace_document(traceId="zz")))
    assert str(raised.value) == 'resourceSpans[0].scopeSpans[0].spans[0].traceId: invalid hex "zz"'


def test_id_that_is_not_a_string_is_a_payload_error() -> None:
    with pytest.raises(PayloadError, match=r"spans\[0\]\.spanId: expected a hex string, got number"):
        decode_json(Signal.TRACES, _body(_trace_document(spanId=12)))


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"{", "Expecting property name"),
        (b"", "Expecting value"),
        (b"\xff\xfe{}", "invalid UTF-8 at byte 0"),
        (b"[]", "top level must be an object, got array"),
        (b'"resourceSpans"', "top level must be an object, got string"),
        (b"null", "top level must be an object, got null"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"resourceSpans": {}}', "resourceSpans"),
        (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": 5}]}]}]}', "name"),
        (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"startTimeUnixNano": "soon"}]}]}]}', "soon"),
        (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"kind": 1e400}]}]}]}', "infinity"),
    ],
)
def test_malformed_json_is_a_payload_error(body: bytes, detail: str) -> None:
    with pytest.raises(PayloadError) as raised:
        decode_json(Signal.TRACES, body)
    assert str(raised.value).startswith("cannot decode ExportTraceServiceRequest JSON: ")
    assert detail in str(raised.value)


def test_unknown_fields_are_ignored() -> None:
    document = _trace_document(traceId=TRACE_HEX, name="predict", futureField={"x": [1, 2]})
    document["futureTopLevel"] = "x"
    document["resourceSpans"][0]["scopeSpans"][0]["scope"] = {"name": "s", "newScopeField": True}
    request = decode_json(Signal.TRACES, _body(document))
    span = _first_span(request)
    assert span.name == "predict"
    assert span.trace_id == bytes.fromhex(TRACE_HEX)
    assert request.resource_spans[0].scope_spans[0].scope.name == "s"


@pytest.mark.parametrize("start", ["1700000000000000001", 1700000000000000001])
def test_64_bit_integers_as_strings_or_numbers(start: Any) -> None:
    span = _first_span(decode_json(Signal.TRACES, _body(_trace_document(startTimeUnixNano=start))))
    assert span.start_time_unix_nano == 1_700_000_000_000_000_001


def test_snake_case_keys_and_enum_names_are_accepted() -> None:
    document = {
        "resource_spans": [
            {
                "scope_spans": [
                    {"spans": [{"trace_id": TRACE_HEX, "kind": "SPAN_KIND_CLIENT", "end_time_unix_nano": 9}]}
                ]
            }
        ]
    }
    span = _first_span(decode_json(Signal.TRACES, _body(document)))
    assert span.trace_id == bytes.fromhex(TRACE_HEX)
    assert span.kind == Span.SPAN_KIND_CLIENT
    assert span.end_time_unix_nano == 9


def test_bytes_attribute_values_stay_base64() -> None:
    attributes = [{"key": "traceId", "value": {"bytesValue": "AQID"}}]
    span = _first_span(decode_json(Signal.TRACES, _body(_trace_document(attributes=attributes))))
    assert span.attributes[0] == KeyValue(key="traceId", value=AnyValue(bytes_value=b"\x01\x02\x03"))


def _sample_trace_request() -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    scope_spans = request.resource_spans.add().scope_spans.add()
    span = scope_spans.spans.add(
        trace_id=bytes.fromhex(TRACE_HEX),
        span_id=bytes.fromhex(SPAN_HEX),
        parent_span_id=bytes.fromhex(PARENT_HEX),
        kind=Span.SPAN_KIND_SERVER,
        start_time_unix_nano=1_700_000_000_000_000_000,
        name="predict",
    )
    span.attributes.add(key="blob").value.bytes_value = b"\x00\xff"
    span.links.add(trace_id=bytes.fromhex(LINK_TRACE_HEX), span_id=bytes.fromhex(LINK_SPAN_HEX))
    return request


def test_encode_json_writes_otlp_json() -> None:
    document = json.loads(encode_json(_sample_trace_request()))
    span = document["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    assert span["traceId"] == TRACE_HEX
    assert span["spanId"] == SPAN_HEX
    assert span["parentSpanId"] == PARENT_HEX
    assert span["links"] == [{"traceId": LINK_TRACE_HEX, "spanId": LINK_SPAN_HEX}]
    assert span["kind"] == 2
    assert span["startTimeUnixNano"] == "1700000000000000000"
    assert span["attributes"][0]["value"] == {"bytesValue": "AP8="}


def test_encode_json_of_a_response() -> None:
    response = ExportTraceServiceResponse()
    response.partial_success.rejected_spans = 2
    response.partial_success.error_message = "2 spans rejected"
    assert json.loads(encode_json(response)) == {
        "partialSuccess": {"rejectedSpans": "2", "errorMessage": "2 spans rejected"}
    }
    assert encode_json(ExportTraceServiceResponse()) == b"{}"


def _sample_logs_request() -> ExportLogsServiceRequest:
    request = ExportLogsServiceRequest()
    request.resource_logs.add().scope_logs.add().log_records.add(
        time_unix_nano=3,
        trace_id=bytes.fromhex(TRACE_HEX),
        span_id=bytes.fromhex(SPAN_HEX),
        severity_text="é",
    )
    return request


def _sample_metrics_request() -> ExportMetricsServiceRequest:
    request = ExportMetricsServiceRequest()
    exemplar = Exemplar(as_int=-4, trace_id=bytes.fromhex(TRACE_HEX), span_id=bytes.fromhex(SPAN_HEX))
    metrics = request.resource_metrics.add().scope_metrics.add().metrics
    metrics.append(Metric(name="g"))
    metrics[0].gauge.data_points.add(as_int=-(2**63), exemplars=[exemplar])
    metrics.add(name="x").exponential_histogram.data_points.add(count=2, exemplars=[exemplar])
    metrics.add(name="q").summary.data_points.add(count=2)
    return request


@pytest.mark.parametrize(
    ("signal", "request_message"),
    [
        (Signal.TRACES, _sample_trace_request()),
        (Signal.LOGS, _sample_logs_request()),
        (Signal.METRICS, _sample_metrics_request()),
    ],
)
def test_encode_then_decode_round_trips(signal: Signal, request_message: Any) -> None:
    assert decode_json(signal, encode_json(request_message)) == request_message


def test_decode_protobuf_round_trips() -> None:
    request = _sample_trace_request()
    assert decode_protobuf(Signal.TRACES, request.SerializeToString()) == request
    assert decode_protobuf(Signal.TRACES, b"") == ExportTraceServiceRequest()


@pytest.mark.parametrize("body", [b"\xff\xff\xff\xff", b"\x0a\x05\x01"])
def test_decode_protobuf_rejects_garbage(body: bytes) -> None:
    with pytest.raises(PayloadError, match=r"^cannot decode ExportTraceServiceRequest protobuf: "):
        decode_protobuf(Signal.TRACES, body)
