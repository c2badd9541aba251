"""The SQL of the live alert signals: one query per family, every model (and version) at once.

Reads: nothing itself (pure). The SQL reads ``ml_requests``, ``ml_stage_spans``, ``ml_deployments``,
``otel_metrics_gauge``. Writes: nothing.

The definitions are the dashboard's (``processors.ml.signals.queries``, docs/signals.md), grouped by
model and version instead of filtered to one model, so one query per family serves 100 rules over 50
models. Two deliberate differences, both for speed: requests are read from ``ml_requests`` restricted to
parts whose ``Start`` lies within ``REQUEST_SCAN_SLACK`` of the window (the span of a request that starts
more than 5 minutes before or after its request span is left out of that request), and a metric point
that names no model belongs to the models its service reported in ``ml_deployments`` (the dashboard asks
``ml_requests``). The request counts of every rule window are read in one pass (``requests_query``).
Values are bound parameters (``{start_ns:Int64}``); only this module's constants are written into the text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from processors.ml import conventions as keys
from processors.ml.signals.queries import PERCENTILES, SPAN_STAGES, Query, Window

REQUEST_SCAN_SLACK = timedelta(minutes=5)
DEPLOYMENT_LOOKBACK = timedelta(hours=24)  # service_up: models seen this long before the window end

# Infrastructure metrics (OpenTelemetry semantic conventions; kubeletstats, k8scluster, docker_stats and
# process receivers). Utilizations are ratios 0..1; of several names reported for one pod the highest wins.
HOST_CPU_METRIC = "system.cpu.utilization"  # hostmetrics: per cpu and state; busy = 1 - idle
HOST_MEMORY_METRIC = "system.memory.utilization"  # hostmetrics: per state; the "used" point
CPU_METRICS = (
    "k8s.pod.cpu_limit_utilization",
    "k8s.container.cpu_limit_utilization",
    "container.cpu.utilization",
    "process.cpu.utilization",
    HOST_CPU_METRIC,
)
MEMORY_METRICS = (
    "k8s.pod.memory_limit_utilization",
    "k8s.container.memory_limit_utilization",
    "container.memory.utilization",
    "process.memory.utilization",
    HOST_MEMORY_METRIC,
)
RESTART_METRICS = ("k8s.container.restarts",)
# The pod of a point: the first of these resource attributes that is set.
POD_ATTRIBUTES = ("k8s.pod.name", "container.name", "service.instance.id", "host.name")


def _ns(delta: timedelta) -> int:
    return delta // timedelta(microseconds=1) * 1000


def _between(column: str, start: str = "start_ns", end: str = "end_ns") -> str:
    return (
        f"{column} BETWEEN fromUnixTimestamp64Nano({{{start}:Int64}}) "
        f"AND fromUnixTimestamp64Nano({{{end}:Int64}})"
    )


def _window_parameters(window: Window) -> dict[str, int]:
    return {"start_ns": window.start_unix_nano, "end_ns": window.end_unix_nano}


def _sql_list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)  # constants of this module only


def _version(by_version: bool, expression: str) -> str:
    # Baselines are per model across its versions, so a new version has one from its first minute.
    return f"{expression} AS version" if by_version else "'' AS version"


def requests_query(
    boundaries: Sequence[int],
    ranges: Sequence[tuple[int, int]],
    low_confidence: float,
    *,
    by_version: bool = True,
) -> Query:
    """Requests, failures by group and class, timeouts and confidences per model (and version) and segment.

    A request counts when its start lies in one of ``ranges`` (half-open, ns); its segment is the index of
    the last of the sorted ``boundaries`` at or before its start (``buckets.plan_requests`` makes both).
    The counts are additive, so the segments of a window add up to the window.
    """
    slack = _ns(REQUEST_SCAN_SLACK)
    sql = f"""
SELECT model, {_version(by_version, "version_")},
       arrayCount(x -> x <= start_ns, {{boundaries:Array(Int64)}}) - 1 AS segment,
       count() AS requests, countIf(failed) AS failures,
       countIf(error_class = 'timeout') AS timeouts,
       countIf(failed AND startsWith(error_class, 'client_')) AS client_errors,
       countIf(failed AND startsWith(error_class, 'server_')) AS server_errors,
       sumMapIf([error_class], [toUInt64(1)], failed) AS classes,
       count(confidence) AS confidence_count, sum(confidence) AS confidence_sum,
       countIf(confidence < {{low_confidence:Float64}}) AS confidence_below
FROM (
    SELECT any(ModelName) AS model, ifNull(any(ModelVersion), '') AS version_,
           toUnixTimestamp64Nano(min(RequestStart)) AS start_ns, max(ErrorCandidate) AS candidate,
           candidate.1 > 0 AS failed, candidate.2 AS error_class,
           any(Confidence) AS raw_confidence,
           if(raw_confidence BETWEEN 0 AND 1, raw_confidence, NULL) AS confidence
    FROM ml_requests
    WHERE {_between("Start", "scan_start_ns", "scan_end_ns")}
      AND arrayExists(r -> toUnixTimestamp64Nano(Start) BETWEEN r.1 - {slack} AND r.2 + {slack},
                      {{ranges:Array(Tuple(Int64, Int64))}})
    GROUP BY TraceId
    HAVING model IS NOT NULL
       AND arrayExists(r -> start_ns >= r.1 AND start_ns < r.2, {{ranges:Array(Tuple(Int64, Int64))}})
)
GROUP BY model, version, segment"""
    return Query(
        sql.strip(),
        {
            "boundaries": list(boundaries),
            "ranges": [tuple(item) for item in ranges],
            "scan_start_ns": min(lo for lo, _ in ranges) - slack,
            "scan_end_ns": max(hi for _, hi in ranges) + slack,
            "low_confidence": low_confidence,
        },
    )


def _windows(windows: Window | Sequence[Window]) -> list[Window]:
    listed = [windows] if isinstance(windows, Window) else list(windows)
    if not listed or len({window.end_unix_nano for window in listed}) != 1:
        raise ValueError("windows: one or more windows with one end")
    return listed


def _window_set_parameters(windows: Sequence[Window]) -> dict[str, int]:
    parameters = {"start_ns": min(w.start_unix_nano for w in windows), "end_ns": windows[0].end_unix_nano}
    parameters.update({f"start_{k}_ns": window.start_unix_nano for k, window in enumerate(windows)})
    return parameters


def _per_window(aggregates: Sequence[tuple[str, str, str]], time: str, windows: Sequence[Window]) -> str:
    """``name_k`` columns for each window ``k`` of ``aggregates`` (name, function, argument): the longest
    window aggregates every row read, a shorter one only its rows (the ``-If`` combinator), so several
    windows with one end cost one scan."""
    longest = min(window.start_unix_nano for window in windows)
    columns = []
    for k, window in enumerate(windows):
        condition = f"{time} >= fromUnixTimestamp64Nano({{start_{k}_ns:Int64}})"
        for name, function, argument in aggregates:
            if window.start_unix_nano == longest:
                columns.append(f"{function}({argument}) AS {name}_{k}")
            else:
                arguments = f"{argument}, {condition}" if argument else condition
                base, parameters = function.partition("(")[::2]  # quantiles(0.5)(x) -> quantilesIf(0.5)(x, c)
                combined = f"{base}If({parameters}" if parameters else f"{base}If"
                columns.append(f"{combined}({arguments}) AS {name}_{k}")
    return ",\n       ".join(columns)


def split_windows(rows: Sequence[Mapping[str, Any]], count: int) -> list[list[dict[str, Any]]]:
    """The rows of a multi-window query as ``count`` row lists with plain column names (``quantiles_ns``
    for ``quantiles_ns_2``); a group with no row in a window is not in that window's list."""
    per_window: list[list[dict[str, Any]]] = []
    for k in range(count):
        suffix = f"_{k}"
        rows_k = []
        for row in rows:
            if not row[f"count{suffix}"]:
                continue
            plain = {key: value for key, value in row.items() if not key[-1].isdigit()}
            plain.update({key[: -len(suffix)]: value for key, value in row.items() if key.endswith(suffix)})
            rows_k.append(plain)
        per_window.append(rows_k)
    return per_window


def latency_query(windows: Window | Sequence[Window], *, by_version: bool = True) -> Query:
    """Exact percentiles (numpy's linear method) of each stage's and the whole request's duration, ns,
    in every window (one end; columns ``count_k``, ``quantiles_ns_k``, see ``split_windows``)."""
    listed = _windows(windows)
    levels = ", ".join(str(level) for level in PERCENTILES)
    aggregates = (
        ("count", "count", ""),
        ("quantiles_ns", f"quantilesExactInclusive({levels})", "DurationNs"),
    )
    sql = f"""
SELECT ModelName AS model, {_version(by_version, "ModelVersion")}, Stage AS stage,
       {_per_window(aggregates, "Timestamp", listed)}
FROM ml_stage_spans
WHERE {_between("Timestamp")}
  AND Stage IN ({_sql_list(SPAN_STAGES)}) AND ModelName != ''
GROUP BY model, version, stage"""
    return Query(sql.strip(), _window_set_parameters(listed))


def _point_model() -> str:
    return (
        f"coalesce(nullIf(Attributes['{keys.MODEL_NAME}'], ''), "
        f"nullIf(ResourceAttributes['{keys.MODEL_NAME}'], ''), '')"
    )


def _point_version() -> str:
    return (
        f"coalesce(nullIf(Attributes['{keys.MODEL_VERSION}'], ''), "
        f"nullIf(ResourceAttributes['{keys.MODEL_VERSION}'], ''), '')"
    )


def _pod() -> str:
    parts = ", ".join(f"nullIf(ResourceAttributes['{name}'], '')" for name in POD_ATTRIBUTES)
    return f"coalesce({parts}, '')"


def metrics_query(windows: Window | Sequence[Window]) -> Query:
    """Every point of the queue-depth and infrastructure metrics in every window (one end), per model (a
    point naming none: every model of its service), version, pod and metric: average, maximum and
    increase (columns ``count_k``, ``average_k``, ``maximum_k``, ``increase_k``, see ``split_windows``)."""
    listed = _windows(windows)
    metrics = (keys.QUEUE_DEPTH_METRIC, *CPU_METRICS, *MEMORY_METRICS, *RESTART_METRICS)
    aggregates = (
        ("count", "count", ""),
        ("average", "avg", "value"),
        ("maximum", "max", "value"),
        ("minimum", "min", "value"),
    )
    sql = f"""
SELECT model, version, pod, metric,
       {_per_window(aggregates, "time", listed)}
FROM (
    SELECT arrayJoin(if(named_model != '', [named_model], services.models)) AS model,
           {_point_version()} AS version, {_pod()} AS pod, MetricName AS metric,
           if(MetricName = '{HOST_CPU_METRIC}', 1 - Value, Value) AS value,
           TimeUnix AS time, {_point_model()} AS named_model
    FROM otel_metrics_gauge AS points
    LEFT JOIN (
        SELECT ServiceName, groupUniqArray(ModelName) AS models FROM ml_deployments
        WHERE ServiceName != '' GROUP BY ServiceName
    ) AS services ON points.ServiceName = services.ServiceName
    WHERE MetricName IN ({_sql_list(metrics)}) AND {_between("TimeUnix")}
      AND (MetricName NOT IN ('{HOST_CPU_METRIC}', '{HOST_MEMORY_METRIC}')
           OR Attributes['state'] = if(MetricName = '{HOST_CPU_METRIC}', 'idle', 'used'))
)
WHERE model != ''
GROUP BY model, version, pod, metric"""
    return Query(sql.strip(), _window_set_parameters(listed))


def service_up_query(window: Window) -> Query:
    """1 for a model that sent a span or log record in the window, 0 for one seen only in the 24 h before."""
    sql = """
SELECT ModelName AS model, '' AS version, '' AS pod,
       toFloat64(max(LastSeen) >= fromUnixTimestamp64Nano({start_ns:Int64})) AS value
FROM ml_deployments
WHERE LastSeen >= fromUnixTimestamp64Nano({seen_since_ns:Int64})
  AND DeployedAt <= fromUnixTimestamp64Nano({end_ns:Int64})
GROUP BY model"""
    return Query(
        sql.strip(),
        {**_window_parameters(window), "seen_since_ns": window.end_unix_nano - _ns(DEPLOYMENT_LOOKBACK)},
    )
