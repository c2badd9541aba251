"""Reads of the performance subsystem: labelled predictions, confidence sums, stored series, versions.

Reads: ClickHouse (``ml_labeled_predictions``, ``ml_features``, ``ml_performance``, ``ml_drift``,
``ml_request_breakdown``, ``ml_model_versions``, ``ml_latest_labels``) through a clickhouse-connect
client, or any object with ``rows(sql, parameters)`` such as the CLI's read-only session. The SQL is
``processors/performance/queries/*.sql``. Writes: nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from string import Template
from typing import Any, Protocol

from processors.performance import query
from processors.performance.estimation import AccuracyEstimate
from processors.performance.evaluation import LabeledPredictions
from processors.performance.triggers import DailyValue

DAY_NS = 86_400 * 10**9
Key = tuple[str, str]  # (model, version)


class RowSource(Protocol):
    def rows(self, sql: str, parameters: dict[str, Any]) -> Sequence[Sequence[Any]]: ...


@dataclass
class ClientRows:
    """``RowSource`` over a clickhouse-connect client."""

    client: Any

    def rows(self, sql: str, parameters: dict[str, Any]) -> Sequence[Sequence[Any]]:
        return self.client.query(sql, parameters=parameters).result_rows


def labeled_predictions(
    source: RowSource, start: int, end: int, model: str = "", version: str = ""
) -> dict[Key, LabeledPredictions]:
    parameters = {"start": start, "end": end, "model": model, "version": version}
    grouped: dict[Key, list[Sequence[Any]]] = defaultdict(list)
    for row in source.rows(query("labeled_predictions"), parameters):
        grouped[(row[0], row[1])].append(row[2:])
    return {key: LabeledPredictions.from_rows(rows) for key, rows in grouped.items()}


def confidence_estimates(
    source: RowSource, start: int, end: int, length: int, model: str = "", version: str = ""
) -> dict[tuple[str, str, int], AccuracyEstimate]:
    """CBPE estimate per (model, version, window index)."""
    parameters = {"start": start, "end": end, "length": length, "model": model, "version": version}
    return {
        (row[0], row[1], int(row[2])): AccuracyEstimate.from_sums(int(row[3]), float(row[4]), float(row[5]))
        for row in source.rows(query("confidence_sums"), parameters)
    }


@dataclass(frozen=True)
class StoredWindow:
    feature: str
    start: int
    end: int
    value: float
    samples: int


def window_series(
    source: RowSource, table: str, signal: str, since: int, window: str = ""
) -> dict[Key, list[StoredWindow]]:
    if table not in ("ml_performance", "ml_drift"):
        raise ValueError(f"not a series table: {table!r}")
    sql = Template(query("window_series")).substitute(table=table)
    grouped: dict[Key, list[StoredWindow]] = defaultdict(list)
    for row in source.rows(sql, {"signal": signal, "since": since, "window": window}):
        grouped[(row[0], row[1])].append(
            StoredWindow(row[2], int(row[3]), int(row[4]), float(row[5]), int(row[6]))
        )
    return grouped


def daily_values(windows: Sequence[StoredWindow]) -> list[DailyValue]:
    """Stored windows as daily values: the day a window ends in (its last instant), latest window last."""
    ordered = sorted(windows, key=lambda w: w.end)
    return [DailyValue((w.end - 1) // DAY_NS * DAY_NS, w.value, w.samples, w.feature) for w in ordered]


def daily_error_rates(source: RowSource, since: int) -> dict[Key, list[DailyValue]]:
    grouped: dict[Key, list[DailyValue]] = defaultdict(list)
    for row in source.rows(query("daily_error_rate"), {"since": since}):
        grouped[(row[0], row[1])].append(DailyValue(int(row[2]), float(row[3]), int(row[4])))
    return grouped


def model_versions(source: RowSource, since: int) -> dict[Key, int]:
    """First sighting (ns) of every model version seen since ``since``."""
    return {(row[0], row[1]): int(row[2]) for row in source.rows(query("model_versions"), {"since": since})}


def labels_since(source: RowSource, model: str, since: int) -> int:
    rows = source.rows(query("labels_since"), {"model": model, "since": since})
    return int(rows[0][0]) if rows else 0
