"""Ground truth in, as a gateway subsystem: the gRPC FeedbackService, the API route, the cleanup task.

Reads: ``Gateway.config.feedback``, ``clickhouse.cluster``. Writes: ``ml_labels`` (labels; deletes of
expired unmatched labels), ``ml_performance`` (signal ``unmatched_labels`` per model). Config keys:
``feedback.*``.

``register_feedback(gateway)`` adds ``inferwatch.v1.FeedbackService`` to ``gateway.grpc_services``,
``POST /api/v1/feedback`` to ``gateway.api`` and the periodic task ``feedback`` to ``gateway.tasks``.
The task deletes labels received more than ``feedback.unmatched_retention`` ago whose (model, request
id) still has no prediction, then publishes how many labels wait per model. OTLP ``ml.feedback`` log
records need nothing here: a materialized view turns them into labels as they are stored.
"""

from __future__ import annotations

import logging
from typing import Any

from gateway.clock import Clock
from gateway.config import Config
from gateway.feedback.grpc_service import feedback_handler
from gateway.feedback.service import FeedbackService, SubmitResult
from gateway.feedback.store import LabelStore
from gateway.receivers.api_routes import ApiError, ApiRequest, ApiResponse
from gateway.scheduling import PeriodicTask
from gateway.storage.client import StorageUnavailable
from processors.feedback.status import UNMATCHED_SIGNAL
from processors.ml.series import SignalPoint
from processors.otlp.errors import PayloadError

log = logging.getLogger(__name__)

FEEDBACK_PATH = "/api/v1/feedback"
API_SOURCES = ("api", "file")


def feedback_service(client: Any, config: Config, clock: Clock) -> FeedbackService:
    """The service on ``client``: what the gateway serves, and what the CLI uses when no gateway runs."""
    store = LabelStore(client, config.clickhouse.cluster, config.clickhouse.database)
    return FeedbackService(store, clock, config.feedback.max_batch_labels)


def submit_document(service: FeedbackService, body: Any) -> SubmitResult:
    """Submit the body ``{"labels": [...], "source": "api" | "file"}``; ``PayloadError`` when malformed."""
    if not isinstance(body, dict) or not isinstance(body.get("labels"), list):
        raise PayloadError('expected a JSON object {"labels": [{"request_id": ..., "model": ..., ...}, ...]}')
    source = body.get("source", "api")
    if source not in API_SOURCES:
        raise PayloadError(f"source: must be one of {', '.join(API_SOURCES)}, got {source!r}")
    return service.submit(body["labels"], source)


def api_handler(service: FeedbackService):
    def handle(request: ApiRequest) -> ApiResponse:
        try:
            result = submit_document(service, request.body)
        except PayloadError as error:
            raise ApiError(400, str(error)) from None
        except StorageUnavailable as error:
            raise ApiError(503, f"{error}; retry the batch") from None
        return ApiResponse(200, result.document())

    return handle


def cleanup(store: LabelStore, config: Config, now_unix_nano: int) -> int:
    """Delete expired unmatched labels and publish ``unmatched_labels`` per model; returns deletions."""
    feedback = config.feedback
    retention_ns = int(feedback.unmatched_retention.total_seconds() * 1e9)
    interval_ns = int(feedback.cleanup_interval.total_seconds() * 1e9)
    deleted = store.delete_unmatched(now_unix_nano - retention_ns)
    if deleted:
        log.info("feedback: deleted %d labels that found no prediction within the retention", deleted)
    window_end = now_unix_nano // interval_ns * interval_ns  # aligned: replicas write the same key
    points = [
        SignalPoint(
            UNMATCHED_SIGNAL,
            counts.model,
            "",
            float(counts.unmatched),
            window_end - interval_ns,
            window_end,
            samples=counts.labels,
            details={"matched": counts.matched, "retention_seconds": retention_ns // 1_000_000_000},
        )
        for counts in store.counts()
    ]
    store.write_signal(points, now_unix_nano)
    return deleted


def register_feedback(gateway: Any) -> None:
    """Serve FeedbackService and ``POST /api/v1/feedback``; schedule the ``feedback`` cleanup task."""
    service = feedback_service(gateway.open_client(), gateway.config, gateway.clock)
    gateway.grpc_services.append(feedback_handler(service))
    gateway.api.register("POST", FEEDBACK_PATH, api_handler(service))
    gateway.tasks.append(
        PeriodicTask(
            "feedback",
            gateway.config.feedback.cleanup_interval.total_seconds(),
            lambda now: cleanup(service.store, gateway.config, now),
            gateway.clock,
        )
    )
