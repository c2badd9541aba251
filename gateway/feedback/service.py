"""The feedback service every way in shares: validate a batch of labels, store the valid ones.

Reads: a ``Clock`` (the receipt time stands in for a missing event time). Writes: ``ml_labels``
through ``LabelStore``. Config keys: ``feedback.max_batch_labels``.

The gRPC ``FeedbackService``, the ``POST /api/v1/feedback`` route and ``inferwatch feedback import``
(through the route, or directly when no gateway runs) all call ``submit``. It answers only after the
accepted labels are stored (synchronous insert); a storage failure raises, so the caller answers
UNAVAILABLE / 503 and the client retries the whole batch (a label stored twice counts once).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gateway.clock import Clock
from gateway.feedback.store import LabelStore
from processors.feedback.labels import ItemError, validate_batch
from processors.otlp.errors import PayloadError


class BatchTooLarge(PayloadError):
    """The request carries more labels than ``feedback.max_batch_labels``: refused as a whole
    (INVALID_ARGUMENT / 400: the same request can never succeed)."""


@dataclass(frozen=True)
class SubmitResult:
    accepted: int
    rejected: int
    errors: tuple[ItemError, ...]

    def document(self) -> dict[str, Any]:
        """The JSON answer of the API route (the gRPC response has the same fields)."""
        return {
            "accepted": self.accepted,
            "rejected": self.rejected,
            "errors": [{"index": error.index, "message": error.message} for error in self.errors],
        }


class FeedbackService:
    def __init__(self, store: LabelStore, clock: Clock, max_batch_labels: int) -> None:
        self.store = store
        self.clock = clock
        self.max_batch_labels = max_batch_labels

    def submit(self, items: Iterable[Mapping[str, Any]], source: str) -> SubmitResult:
        """Validate ``items`` (``processors.feedback.labels.validate_label`` mappings) and store the
        valid ones; raises ``BatchTooLarge`` and whatever the insert raised."""
        items = list(items)
        if len(items) > self.max_batch_labels:
            raise BatchTooLarge(
                f"{len(items)} labels in one request, at most {self.max_batch_labels} "
                "(feedback.max_batch_labels): send smaller batches"
            )
        batch = validate_batch(items, self.clock.now_unix_nano())
        self.store.store(batch.labels, source)
        return SubmitResult(batch.accepted, batch.rejected, batch.errors)
