"""The dashboard's result: frozen dataclasses shaped from the rows of ``queries.build_queries``.

Reads: nothing (pure): rows as decoded from ClickHouse's JSONEachRow, by query name. Writes: nothing.
``Signals.to_json()`` is the document ``inferwatch signals --format json`` prints (docs/signals.md).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from processors.ml.signals.queries import STAGE_ORDER, SignalsRequest, Window

ERROR_GROUPS = ("client", "server", "application")
# The guide's alert thresholds: a tier holds the rates up to and including its ceiling, so
# ok ≤ 1% < warning ≤ 5% < critical ≤ 10% < emergency.
ERROR_RATE_TIERS = (("ok", 0.01), ("warning", 0.05), ("critical", 0.10))
EMERGENCY = "emergency"
Rows = Sequence[Mapping[str, Any]]


def error_rate_tier(rate: float) -> str:
    """ok, warning, critical or emergency for an error rate in [0, 1]."""
    if math.isnan(rate) or rate < 0:
        raise ValueError(f"an error rate is a share in [0, 1], got {rate}")
    for tier, ceiling in ERROR_RATE_TIERS:
        if rate <= ceiling:
            return tier
    return EMERGENCY


def error_group(error_class: str) -> str:
    """client (``client_*``: 4xx and their gRPC codes), server (``server_*``: 5xx) or application."""
    if error_class.startswith("client_"):
        return "client"
    if error_class.startswith("server_"):
        return "server"
    return "application"


def format_instant(unix_nano: int) -> str:
    """ISO 8601 in UTC with a ``Z``, microseconds only when there are any."""
    instant = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=unix_nano // 1000)
    return instant.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class StageLatency:
    version: str
    stage: str
    count: int
    p50_ms: float
    p75_ms: float
    p95_ms: float
    p99_ms: float
    p999_ms: float


@dataclass(frozen=True)
class GaugeSummary:
    last: float | None  # the latest value of each series, added up
    avg: float | None
    max: float | None
    points: int


@dataclass(frozen=True)
class LatestValue:
    last: float | None  # the latest value of each series, added up
    points: int


@dataclass(frozen=True)
class Throughput:
    requests: int
    requests_per_second: float
    successful: int
    failed: int
    timeouts: int
    timeout_rate: float | None  # None without requests
    peak_concurrent_requests: int
    queue_depth: GaugeSummary
    active_requests: LatestValue


@dataclass(frozen=True)
class GroupCount:
    count: int
    share: float | None  # of all requests


@dataclass(frozen=True)
class ErrorClassCount:
    error_class: str
    group: str
    count: int
    share: float | None  # of all requests


@dataclass(frozen=True)
class Errors:
    requests: int
    failed: int
    error_rate: float | None
    tier: str | None
    groups: Mapping[str, GroupCount]
    classes: tuple[ErrorClassCount, ...]


@dataclass(frozen=True)
class ClassShare:
    prediction_class: str
    count: int
    share: float  # of the requests with a prediction class


@dataclass(frozen=True)
class ValueStats:
    count: int
    mean: float | None
    median: float | None
    std: float | None  # population standard deviation (ddof=0)
    min: float | None
    max: float | None


@dataclass(frozen=True)
class ConfidenceStats:
    count: int
    mean: float | None
    threshold: float
    below_threshold: int
    below_threshold_share: float | None


@dataclass(frozen=True)
class Predictions:
    classes: tuple[ClassShare, ...]
    value: ValueStats
    confidence: ConfidenceStats


@dataclass(frozen=True)
class Deployment:
    version: str
    deployed_at_unix_nano: int
    before_window_end_seconds: float
    last_seen_unix_nano: int
    service: str
    environment: str
    events: int


@dataclass(frozen=True)
class Signals:
    model: str
    version: str | None
    window: Window
    latency: tuple[StageLatency, ...]
    throughput: Throughput
    errors: Errors
    predictions: Predictions
    deployments: tuple[Deployment, ...]

    @property
    def has_data(self) -> bool:
        return bool(self.throughput.requests or self.latency or self.deployments)

    def to_json(self) -> dict[str, Any]:
        """Plain dicts, lists and numbers: the ``--format json`` document (keys in a fixed order)."""
        document = _plain(dataclasses.asdict(self))
        document["window"] = {
            "start": format_instant(self.window.start_unix_nano),
            "end": format_instant(self.window.end_unix_nano),
            **document["window"],
            "seconds": self.window.seconds,
        }
        for deployment in document["deployments"]:
            deployment["deployed_at"] = format_instant(deployment["deployed_at_unix_nano"])
        return document


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


# ---- shaping ---------------------------------------------------------------------------------


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _share(count: int, total: int) -> float | None:
    return count / total if total else None


def _version_key(version: str) -> tuple:
    """Versions in release order: 2.10.0 after 2.9.1."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"[.\-+]", version)
    )


def _one(rows: Rows) -> Mapping[str, Any]:
    return rows[0] if rows else {}


def shape_latency(rows: Rows) -> tuple[StageLatency, ...]:
    stages = [
        StageLatency(
            row["version"], row["stage"], int(row["count"]), *(float(q) / 1e6 for q in row["quantiles_ns"])
        )
        for row in rows
    ]
    return tuple(sorted(stages, key=lambda item: (_version_key(item.version), STAGE_ORDER.index(item.stage))))


def shape_throughput(window: Window, rows: Mapping[str, Rows]) -> Throughput:
    counts, depth, active = _one(rows["throughput"]), _one(rows["queue_depth"]), _one(rows["active_requests"])
    requests = int(counts.get("requests") or 0)
    timeouts = int(counts.get("timeouts") or 0)
    depth_points, active_points = int(depth.get("points") or 0), int(active.get("points") or 0)
    return Throughput(
        requests=requests,
        requests_per_second=requests / window.seconds,
        successful=int(counts.get("successful") or 0),
        failed=int(counts.get("failed") or 0),
        timeouts=timeouts,
        timeout_rate=_share(timeouts, requests),
        peak_concurrent_requests=int(_one(rows["concurrency"]).get("peak_concurrent_requests") or 0),
        queue_depth=GaugeSummary(
            last=_float(depth.get("last")) if depth_points else None,
            avg=_float(depth.get("avg")) if depth_points else None,
            max=_float(depth.get("max")) if depth_points else None,
            points=depth_points,
        ),
        active_requests=LatestValue(_float(active.get("last")) if active_points else None, active_points),
    )


def shape_errors(throughput: Throughput, rows: Rows) -> Errors:
    requests = throughput.requests
    classes = tuple(
        ErrorClassCount(
            row["error_class"],
            error_group(row["error_class"]),
            int(row["count"]),
            _share(int(row["count"]), requests),
        )
        for row in rows
    )
    groups = {}
    for group in ERROR_GROUPS:
        count = sum(item.count for item in classes if item.group == group)
        groups[group] = GroupCount(count, _share(count, requests))
    rate = _share(throughput.failed, requests)
    return Errors(
        requests, throughput.failed, rate, None if rate is None else error_rate_tier(rate), groups, classes
    )


def shape_predictions(threshold: float, class_rows: Rows, stats_rows: Rows) -> Predictions:
    classified = sum(int(row["count"]) for row in class_rows)
    classes = tuple(
        ClassShare(row["prediction_class"], int(row["count"]), int(row["count"]) / classified)
        for row in class_rows
    )
    stats = _one(stats_rows)
    value_count, confidence_count = (
        int(stats.get("value_count") or 0),
        int(stats.get("confidence_count") or 0),
    )
    below = int(stats.get("confidence_below") or 0)
    value = ValueStats(
        value_count,
        *(_float(stats.get(f"value_{name}")) for name in ("mean", "median", "std", "min", "max")),
    )
    confidence = ConfidenceStats(
        confidence_count,
        _float(stats.get("confidence_mean")),
        threshold,
        below,
        _share(below, confidence_count),
    )
    return Predictions(classes, value, confidence)


def shape_deployments(window: Window, rows: Rows) -> tuple[Deployment, ...]:
    return tuple(
        Deployment(
            version=row["version"],
            deployed_at_unix_nano=int(row["deployed_at_ns"]),
            before_window_end_seconds=(window.end_unix_nano - int(row["deployed_at_ns"])) / 1e9,
            last_seen_unix_nano=int(row["last_seen_ns"]),
            service=row["service"],
            environment=row["environment"],
            events=int(row["events"]),
        )
        for row in rows
    )


def shape_signals(request: SignalsRequest, rows: Mapping[str, Rows]) -> Signals:
    """The dashboard from the rows of every query in ``build_queries(request)``, by the same names."""
    throughput = shape_throughput(request.window, rows)
    return Signals(
        model=request.model,
        version=request.version,
        window=request.window,
        latency=shape_latency(rows["latency"]),
        throughput=throughput,
        errors=shape_errors(throughput, rows["error_classes"]),
        predictions=shape_predictions(
            request.low_confidence_threshold, rows["prediction_classes"], rows["prediction_stats"]
        ),
        deployments=shape_deployments(request.window, rows["deployments"]),
    )
