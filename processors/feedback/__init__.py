"""Ground truth: labels for predictions, and their join with the predictions (issue #5).

Reads: the .sql templates in ``sql/`` beside this module. Writes: nothing (the gateway applies them
after ``processors.ml.tables``, whose ``ml_requests`` the views read).

A label is ``(model, request id) -> class or value``. Labels arrive through three doors (the gRPC
``inferwatch.v1.FeedbackService``, OTLP log records with event name ``ml.feedback``, and file
import) and all land in ``ml_labels``, a ReplacingMergeTree on ``(ModelName, RequestId)`` whose
version is ``ReceivedAt``: a duplicate collapses into one row and a correction sent later wins.
Readers take the latest label with ``argMax(..., ReceivedAt)`` (the view ``ml_labeled_predictions``
does), since merges happen whenever ClickHouse gets to them.
"""

from __future__ import annotations

from processors.otlp_tables import Migration, load_migrations

OWNER = "feedback"


def migrations() -> list[Migration]:
    return load_migrations(__package__, OWNER)
