"""Write and read evaluated signal series (``ml_drift``, ``ml_quality``, ``ml_performance``).

Reads/writes: ClickHouse through a clickhouse-connect client. Row shape: ``processors.ml.series``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from processors.ml.series import COLUMNS, SERIES_TABLES, SignalPoint


def write_points(client: Any, table: str, points: Iterable[SignalPoint], evaluated_at_unix_nano: int) -> int:
    """Insert ``points`` into ``table`` (one of ``SERIES_TABLES``); returns how many were written."""
    if table not in SERIES_TABLES:
        raise ValueError(f"not a series table: {table!r}; expected one of {', '.join(SERIES_TABLES)}")
    rows = [point.row(evaluated_at_unix_nano) for point in points]
    if rows:
        client.insert(table, rows, column_names=list(COLUMNS))
    return len(rows)


@dataclass(frozen=True)
class StoredPoint:
    """The latest stored value of one series."""

    signal: str
    model: str
    version: str
    labels: Mapping[str, str]
    value: float
    samples: int
    window_end_unix_nano: int
    details: str


def latest_points(
    client: Any,
    table: str,
    signals: Sequence[str],
    since_unix_nano: int,
    model: str | None = None,
) -> list[StoredPoint]:
    """The newest point (by window end, then evaluation time) of every series of ``signals`` whose
    window ended at or after ``since_unix_nano``; optionally of one model only."""
    if table not in SERIES_TABLES:
        raise ValueError(f"not a series table: {table!r}")
    conditions = ["Signal IN {signals:Array(String)}", "WindowEnd >= fromUnixTimestamp64Nano({since:Int64})"]
    parameters: dict[str, Any] = {"signals": list(signals), "since": since_unix_nano}
    if model is not None:
        conditions.append("ModelName = {model:String}")
        parameters["model"] = model
    sql = f"""
SELECT Signal, ModelName, ModelVersion, argMax(Labels, (WindowEnd, EvaluatedAt)),
       argMax(Value, (WindowEnd, EvaluatedAt)), argMax(Samples, (WindowEnd, EvaluatedAt)),
       toUnixTimestamp64Nano(max(WindowEnd)), argMax(Details, (WindowEnd, EvaluatedAt))
FROM {table}
WHERE {" AND ".join(conditions)}
GROUP BY Signal, ModelName, ModelVersion, LabelsKey
ORDER BY Signal, ModelName, ModelVersion, LabelsKey"""
    result = client.query(sql, parameters=parameters)
    return [
        StoredPoint(row[0], row[1], row[2], dict(row[3]), float(row[4]), int(row[5]), int(row[6]), row[7])
        for row in result.result_rows
    ]
