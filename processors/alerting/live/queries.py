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

from collections.abc import Sequence
from datetime import timedelta

from processors.ml import conventions as keys
from processors.ml.signals.queries import PERCENTILES, SPAN_STAGES, Query, Window

REQUEST_SCAN_SLACK = timedelta(minutes=5)
DEPLOYMENT_LOOKBACK = timedelta(hours=24)  # service_up: models seen this long before the window end

# Infrastructure metrics (OpenTelemetry semantic conventions; kubeletstats, k8scluster, docker_stats and
# process receivers). Utilizations are ratios 0..1; of several names reported for one pod the highest wins.
CPU_METRICS = (
    "k8s.pod.cpu_limit_utilization",
    "k8s.container.cpu_limit_utilization",
    "container.cpu.utilization",
    "process.cpu.utilization",
)
MEMORY_METRICS = (
    "k8s.pod.memory_limit_utilization",
    "k8s.container.memory_limit_utilization",
    "container.memory.utilization",
    "process.memory.utilization",
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


def latency_query(window: Window, *, by_version: bool = True) -> Query:
    """Exact percentiles (numpy's linear method) of each stage's and the whole request's duration, ns."""
    levels = ", ".join(str(level) for level in PERCENTILES)
    sql = f"""
SELECT ModelName AS model, {_version(by_version, "ModelVersion")}, Stage AS stage, count() AS count,
       quantilesExactInclusive({levels})(DurationNs) AS quantiles_ns
FROM ml_stage_spans
WHERE {_between("Timestamp")}
  AND Stage IN ({_sql_list(SPAN_STAGES)}) AND ModelName != ''
GROUP BY model, version, stage"""
    return Query(sql.strip(), _window_parameters(window))


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


def metrics_query(window: Window) -> Query:
    """Every point of the queue-depth and infrastructure metrics in the window, per model (a point naming
    none: every model of its service), version, pod and metric: average, maximum and increase."""
    metrics = (keys.QUEUE_DEPTH_METRIC, *CPU_METRICS, *MEMORY_METRICS, *RESTART_METRICS)
    sql = f"""
SELECT model, version, pod, metric, avg(value) AS average, max(value) AS maximum,
       max(value) - min(value) AS increase
FROM (
    SELECT arrayJoin(if(named_model != '', [named_model], services.models)) AS model,
           {_point_version()} AS version, {_pod()} AS pod, MetricName AS metric, Value AS value,
           {_point_model()} AS named_model
    FROM otel_metrics_gauge AS points
    LEFT JOIN (
        SELECT ServiceName, groupUniqArray(ModelName) AS models FROM ml_deployments
        WHERE ServiceName != '' GROUP BY ServiceName
    ) AS services ON points.ServiceName = services.ServiceName
    WHERE MetricName IN ({_sql_list(metrics)}) AND {_between("TimeUnix")}
)
WHERE model != ''
GROUP BY model, version, pod, metric"""
    return Query(sql.strip(), _window_parameters(window))


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
