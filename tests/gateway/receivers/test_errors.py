"""Tests for gateway.receivers.errors.status_for: the one failure → gRPC/HTTP status mapping."""

from __future__ import annotations

import grpc
import pytest

from gateway.ingest.writer import QueueFull
from gateway.receivers.errors import ErrorStatus, RequestTooLarge, UnsupportedMediaType, status_for
from gateway.storage.client import StorageUnavailable
from processors.otlp.errors import PayloadError


@pytest.mark.parametrize(
    ("error", "grpc_code", "http_status", "retry_after"),
    [
        pytest.param(
            PayloadError("spans[0].traceId: invalid"),
            grpc.StatusCode.INVALID_ARGUMENT,
            400,
            None,
            id="payload",
        ),
        pytest.param(RequestTooLarge(1024), grpc.StatusCode.RESOURCE_EXHAUSTED, 413, None, id="too-large"),
        pytest.param(
            UnsupportedMediaType("text/plain"), grpc.StatusCode.INVALID_ARGUMENT, 415, None, id="media-type"
        ),
        pytest.param(QueueFull(2.5), grpc.StatusCode.UNAVAILABLE, 503, 2.5, id="queue-full"),
        pytest.param(
            StorageUnavailable("connection refused"), grpc.StatusCode.UNAVAILABLE, 503, 5.0, id="storage"
        ),
        pytest.param(KeyError("bug"), grpc.StatusCode.INTERNAL, 500, None, id="bug"),
    ],
)
def test_status_for_each_kind(
    error: Exception, grpc_code: grpc.StatusCode, http_status: int, retry_after: float | None
) -> None:
    status = status_for(error)
    assert (status.grpc_code, status.http_status, status.retry_after_seconds) == (
        grpc_code,
        http_status,
        retry_after,
    )


def test_permanent_errors_carry_their_message() -> None:
    assert status_for(PayloadError("spans[0].traceId: invalid hex")) == ErrorStatus(
        grpc.StatusCode.INVALID_ARGUMENT, 400, "spans[0].traceId: invalid hex"
    )
    assert "1024 byte limit" in status_for(RequestTooLarge(1024)).message
    assert "'text/plain'" in status_for(UnsupportedMediaType("text/plain")).message


def test_storage_retry_after_is_configurable() -> None:
    assert status_for(StorageUnavailable("down"), storage_retry_after=12.0).retry_after_seconds == 12.0
    # The queue's own hint wins for a full queue.
    assert status_for(QueueFull(3.0), storage_retry_after=12.0).retry_after_seconds == 3.0


def test_internal_errors_do_not_leak_their_message() -> None:
    status = status_for(RuntimeError("password=hunter2 at /secret/path"))
    assert status.message == "internal error: RuntimeError"
