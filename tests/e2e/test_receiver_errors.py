"""OTLP error semantics over real sockets (REFERENCE §1): bad data, partial success, limits, back-pressure."""

from __future__ import annotations

import gzip
import json
import urllib.error
import urllib.request

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from tests.e2e.conftest import grpc_endpoint, http_url

TRACE_EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
START = 1_760_000_000_000_000_000


def make_request(*spans: tuple[bytes, bytes, int, int], service: str = "svc") -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    attribute = resource_spans.resource.attributes.add()
    attribute.key, attribute.value.string_value = "service.name", service
    scope_spans = resource_spans.scope_spans.add()
    for index, (trace_id, span_id, start, end) in enumerate(spans):
        span = scope_spans.spans.add()
        span.trace_id, span.span_id, span.name = trace_id, span_id, f"span-{index}"
        span.start_time_unix_nano, span.end_time_unix_nano = start, end
    return request


PROTOBUF = {"Content-Type": "application/x-protobuf"}
GOOD = (bytes(range(1, 17)), bytes(range(1, 9)), START, START + 5_000)


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read()


def grpc_export(gateway, payload: bytes, *, compression=None):
    with grpc.insecure_channel(grpc_endpoint(gateway)) as channel:
        call = channel.unary_unary(
            TRACE_EXPORT, request_serializer=None, response_deserializer=ExportTraceServiceResponse.FromString
        )
        return call.with_call(payload, timeout=30, compression=compression)


# ---- HTTP ------------------------------------------------------------------------------------


def test_http_json_with_hex_ids_is_stored(gateway, gateways):
    body = {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "json-svc"}}]},
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": "5B8EFFF798038103D269B633813FC60C",
                                "spanId": "EEE19B7EC3C1B174",
                                "name": "json-span",
                                "kind": 2,
                                "startTimeUnixNano": "1760000000000000000",
                                "endTimeUnixNano": 1760000000000001000,
                                "attributes": [{"key": "n", "value": {"intValue": "5"}}],
                                "unknownField": "ignored",
                            }
                        ]
                    }
                ],
            }
        ]
    }
    status, headers, response = post(
        f"{http_url(gateway)}/v1/traces", json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert json.loads(response) == {}
    stored = gateways.rows(
        "SELECT TraceId, SpanId, SpanName, SpanKind, Duration, SpanAttributes FROM otel_traces"
    )
    assert stored == [
        (
            "5b8efff798038103d269b633813fc60c",
            "eee19b7ec3c1b174",
            "json-span",
            "SPAN_KIND_SERVER",
            1000,
            {"n": "5"},
        )
    ]


def test_http_gzip_protobuf_is_stored(gateway, gateways):
    body = gzip.compress(make_request(GOOD).SerializeToString())
    status, headers, response = post(
        f"{http_url(gateway)}/v1/traces",
        body,
        {"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"},
    )
    assert status == 200
    assert headers["Content-Type"] == "application/x-protobuf"
    assert not ExportTraceServiceResponse.FromString(response).HasField("partial_success")
    assert gateways.rows("SELECT count() FROM otel_traces") == [(1,)]


def test_http_malformed_protobuf_is_400_with_status(gateway, gateways):
    status, _, response = post(f"{http_url(gateway)}/v1/traces", b"\x0a\xff\xff\xff", PROTOBUF)
    assert status == 400
    error = status_pb2.Status.FromString(response)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert "ExportTraceServiceRequest" in error.message
    assert gateways.rows("SELECT count() FROM otel_traces") == [(0,)]


def test_http_malformed_json_is_400_with_json_status(gateway):
    status, headers, response = post(
        f"{http_url(gateway)}/v1/traces", b'{"resourceSpans": [', {"Content-Type": "application/json"}
    )
    assert status == 400
    assert headers["Content-Type"] == "application/json"
    assert json.loads(response)["code"] == grpc.StatusCode.INVALID_ARGUMENT.value[0]


def test_http_wrong_content_type_is_415(gateway):
    status, _, response = post(f"{http_url(gateway)}/v1/traces", b"hello", {"Content-Type": "text/plain"})
    assert status == 415
    assert "application/x-protobuf" in status_pb2.Status.FromString(response).message


def test_http_oversize_is_413(gateways):
    gateway = gateways.start("receivers.max_request_size=1KiB")
    big = make_request(*[(bytes([i + 1] * 16), bytes([i + 1] * 8), START, START + 1) for i in range(40)])
    assert big.ByteSize() > 1024
    status, _, _ = post(f"{http_url(gateway)}/v1/traces", big.SerializeToString(), PROTOBUF)
    assert status == 413
    # a gzip body small on the wire but large once decompressed is measured after decompression
    bomb = gzip.compress(b"\x00" * 10_000)
    status, _, _ = post(
        f"{http_url(gateway)}/v1/traces",
        bomb,
        {"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"},
    )
    assert status == 413


def test_http_partial_success_stores_the_valid_rest(gateway, gateways):
    request = make_request(
        GOOD,
        (b"\x01" * 15, b"\x02" * 8, START, START + 1),  # trace id not 16 bytes
        (b"\x03" * 16, b"\x04" * 8, START + 10, START),  # ends before it starts
    )
    status, _, response = post(f"{http_url(gateway)}/v1/traces", request.SerializeToString(), PROTOBUF)
    assert status == 200
    partial = ExportTraceServiceResponse.FromString(response).partial_success
    assert partial.rejected_spans == 2
    assert "trace" in partial.error_message and "end" in partial.error_message
    assert gateways.rows("SELECT SpanName FROM otel_traces") == [("span-0",)]


def test_http_empty_request_is_success(gateway, gateways):
    status, _, response = post(f"{http_url(gateway)}/v1/traces", b"", PROTOBUF)
    assert status == 200
    assert not ExportTraceServiceResponse.FromString(response).HasField("partial_success")
    status, _, response = post(f"{http_url(gateway)}/v1/traces", b"{}", {"Content-Type": "application/json"})
    assert status == 200
    assert gateways.rows("SELECT count() FROM otel_traces") == [(0,)]


def test_http_health_and_readiness(gateway):
    with urllib.request.urlopen(f"{http_url(gateway)}/healthz", timeout=10) as response:
        assert response.status == 200
    with urllib.request.urlopen(f"{http_url(gateway)}/readyz", timeout=10) as response:
        assert response.status == 200
        assert b"ready" in response.read()
    gateway.http.set_serving(False)
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(f"{http_url(gateway)}/readyz", timeout=10)
    with raised.value as error:
        assert error.code == 503


# ---- gRPC ------------------------------------------------------------------------------------


def test_grpc_partial_success_and_gzip(gateway, gateways):
    request = make_request(GOOD, (b"\x05" * 16, b"\x06" * 7, START, START + 1))
    response, call = grpc_export(gateway, request.SerializeToString(), compression=grpc.Compression.Gzip)
    assert call.code() == grpc.StatusCode.OK
    assert response.partial_success.rejected_spans == 1
    assert "span_id" in response.partial_success.error_message
    assert gateways.rows("SELECT SpanName FROM otel_traces") == [("span-0",)]


def test_grpc_malformed_is_invalid_argument(gateway):
    with pytest.raises(grpc.RpcError) as raised:
        grpc_export(gateway, b"\x0a\xff\xff\xff")
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "ExportTraceServiceRequest" in raised.value.details()


def test_grpc_oversize_is_resource_exhausted(gateways):
    gateway = gateways.start("receivers.max_request_size=1KiB")
    big = make_request(*[(bytes([i + 1] * 16), bytes([i + 1] * 8), START, START + 1) for i in range(40)])
    with pytest.raises(grpc.RpcError) as raised:
        grpc_export(gateway, big.SerializeToString())
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_queue_full_is_unavailable_with_retry_info(gateways):
    # A long flush interval and a tiny queue: the first request fills it, the next must be told to retry.
    gateway = gateways.start(
        "ingest.flush_interval=1h",
        "ingest.max_batch_bytes=100",
        "ingest.max_queue_bytes=100",
        "ingest.retry_after=3s",
    )
    payload = make_request(GOOD).SerializeToString()
    grpc_export(gateway, payload)
    with pytest.raises(grpc.RpcError) as raised:
        grpc_export(gateway, payload)
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    details = dict(raised.value.trailing_metadata())["grpc-status-details-bin"]
    status = status_pb2.Status.FromString(details)
    info = error_details_pb2.RetryInfo()
    assert status.details[0].Unpack(info)
    assert info.retry_delay.seconds == 3

    code, headers, _ = post(f"{http_url(gateway)}/v1/traces", payload, PROTOBUF)
    assert code == 503
    assert headers["Retry-After"] == "3"
    # the accepted request is still stored once the writer flushes
    assert gateways.rows("SELECT count() FROM otel_traces") == [(1,)]


def test_grpc_health_service(gateway):
    with grpc.insecure_channel(grpc_endpoint(gateway)) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for service in ("", "opentelemetry.proto.collector.trace.v1.TraceService"):
            reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
