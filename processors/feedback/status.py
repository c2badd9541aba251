"""How many labels each model has, and how many still wait for their prediction.

Reads: nothing. Writes: nothing (pure). The SQL reads the views of ``sql/0001_labels.sql``; the
gateway's cleanup task (which publishes the ``unmatched_labels`` signal) and
``inferwatch feedback status`` both run it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

UNMATCHED_SIGNAL = "unmatched_labels"


def counts_query(model: str | None) -> tuple[str, dict[str, Any]]:
    """(sql, parameters): one row per model: model, labels, unmatched, oldest_unmatched_unix_nano.

    Read-only sessions cannot change settings, so the join relies on the default: a model without
    unmatched labels gets 0 from the LEFT JOIN."""
    where = "" if model is None else "WHERE ModelName = {model:String}"
    sql = f"""
SELECT l.ModelName AS model, l.labels AS labels, u.unmatched AS unmatched,
       if(u.unmatched = 0, NULL, u.oldest) AS oldest_unmatched_unix_nano
FROM (SELECT ModelName, count() AS labels FROM ml_latest_labels {where} GROUP BY ModelName) AS l
LEFT JOIN (
    SELECT ModelName, count() AS unmatched, toUnixTimestamp64Nano(min(LabelReceivedAt)) AS oldest
    FROM ml_unmatched_labels {where} GROUP BY ModelName
) AS u ON l.ModelName = u.ModelName
ORDER BY model"""
    return sql, ({} if model is None else {"model": model})


@dataclass(frozen=True)
class ModelLabels:
    """Label counts of one model: the latest label per request id, and those without a prediction."""

    model: str
    labels: int
    unmatched: int
    oldest_unmatched_unix_nano: int | None  # receipt time of the oldest unmatched label

    @property
    def matched(self) -> int:
        return self.labels - self.unmatched

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> ModelLabels:
        oldest = row.get("oldest_unmatched_unix_nano")
        return cls(
            str(row["model"]),
            int(row["labels"]),
            int(row["unmatched"]),
            None if oldest is None else int(oldest),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "labels": self.labels,
            "matched": self.matched,
            "unmatched": self.unmatched,
            "oldest_unmatched_unix_nano": self.oldest_unmatched_unix_nano,
        }


def render_table(counts: list[ModelLabels], retention_text: str) -> str:
    """The ``inferwatch feedback status`` table."""
    if not counts:
        return "no labels yet\n"
    header = ("MODEL", "LABELS", "MATCHED", "UNMATCHED")
    rows = [(c.model, str(c.labels), str(c.matched), str(c.unmatched)) for c in counts]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    lines.append(f"unmatched labels are kept {retention_text} after receipt (feedback.unmatched_retention)")
    return "\n".join(lines) + "\n"
