"""Configuration of ground truth in: how long labels without a prediction wait, batch limits.

Reads: nothing. Writes: nothing (pure). Config keys: ``feedback.*``. Part of ``gateway.config.Config``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

Problems = list[tuple[str, str]]


@dataclass(frozen=True)
class FeedbackConfig:
    # A label whose prediction has not arrived is kept this long (from its receipt) so that a late
    # prediction still joins; then the cleanup deletes it. Matched labels live as long as ML data.
    unmatched_retention: timedelta = timedelta(days=7)
    # How often the cleanup runs; it also publishes the unmatched_labels signal per model.
    cleanup_interval: timedelta = timedelta(hours=1)
    # Most labels one gRPC or API request may carry (file import sends batches of 10,000).
    max_batch_labels: int = 100_000

    def validate(self) -> Problems:
        problems: Problems = []
        if self.unmatched_retention <= timedelta(0):
            problems.append(("unmatched_retention", "must be positive, e.g. 7d"))
        if self.cleanup_interval <= timedelta(0):
            problems.append(("cleanup_interval", "must be positive, e.g. 1h"))
        if self.max_batch_labels < 1:
            problems.append(("max_batch_labels", f"must be at least 1, got {self.max_batch_labels}"))
        return problems
