"""The one mapping from failures to gRPC status codes and HTTP statuses (OTLP spec semantics).

Permanent: bad input → INVALID_ARGUMENT / 400 (the client must not retry).
Too large → RESOURCE_EXHAUSTED / 413, without RetryInfo so it is not retried.
Retryable: queue full or storage down → UNAVAILABLE with RetryInfo / 503 with Retry-After.
Anything else is a bug: INTERNAL / 500, logged by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from gateway.ingest.writer import QueueFull
from gateway.storage.client import StorageUnavailable
from processors.otlp.errors import PayloadError


class RequestTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"request exceeds the {limit} byte limit (measured after decompression)")
        self.limit = limit


class UnsupportedMediaType(Exception):
    def __init__(self, content_type: str) -> None:
        super().__init__(
            f"unsupported Content-Type {content_type!r}: use application/x-protobuf or application/json"
        )


@dataclass(frozen=True)
class ErrorStatus:
    grpc_code: grpc.StatusCode
    http_status: int
    message: str
    retry_after_seconds: float | None = None


def status_for(error: BaseException, *, storage_retry_after: float = 5.0) -> ErrorStatus:
    if isinstance(error, PayloadError):
        return ErrorStatus(grpc.StatusCode.INVALID_ARGUMENT, 400, str(error))
    if isinstance(error, RequestTooLarge):
        return ErrorStatus(grpc.StatusCode.RESOURCE_EXHAUSTED, 413, str(error))
    if isinstance(error, UnsupportedMediaType):
        return ErrorStatus(grpc.StatusCode.INVALID_ARGUMENT, 415, str(error))
    if isinstance(error, QueueFull):
        return ErrorStatus(grpc.StatusCode.UNAVAILABLE, 503, str(error), error.retry_after_seconds)
    if isinstance(error, StorageUnavailable):
        return ErrorStatus(grpc.StatusCode.UNAVAILABLE, 503, str(error), storage_retry_after)
    return ErrorStatus(grpc.StatusCode.INTERNAL, 500, f"internal error: {type(error).__name__}")
