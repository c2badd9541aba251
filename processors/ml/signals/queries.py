"""The SQL of the operations dashboard: one query per section, parameters bound by ClickHouse.

Reads: nothing itself (pure). The SQL reads ``ml_stage_spans``, ``ml_request_breakdown``,
``ml_deployments``, ``ml_requests``, and the metrics ``ml.queue.depth`` (``otel_metrics_gauge``) and
``ml.requests.active`` (``otel_metrics_sum``). Writes: nothing.

User input reaches ClickHouse only as bound parameters (``{model:String}``), never in the SQL text;
the only values written into the text are this package's constants. Definitions: docs/signals.md.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from processors.ml import conventions as keys

PERCENTILES = (0.5, 0.75, 0.95, 0.99, 0.999)
SPAN_STAGES = (
    keys.STAGE_REQUEST,
    keys.STAGE_QUEUE,
    keys.STAGE_PREPROCESS,
    keys.STAGE_INFERENCE,
    keys.STAGE_POSTPROCESS,
)
STAGE_ORDER = (*SPAN_STAGES, keys.STAGE_NETWORK)
DEPLOYMENT_LOOKBACK = timedelta(hours=24)


@dataclass(frozen=True)
class Window:
    """The closed interval [start, end] of request start times, in ns since the Unix epoch."""

    start_unix_nano: int
    end_unix_nano: int

    @classmethod
    def ending(cls, end_unix_nano: int, length: timedelta) -> Window:
        if length <= timedelta(0):
            raise ValueError(f"the window length must be positive, got {length}")
        return cls(end_unix_nano - length // timedelta(microseconds=1) * 1000, end_unix_nano)

    @property
    def seconds(self) -> float:
        return (self.end_unix_nano - self.start_unix_nano) / 1e9


@dataclass(frozen=True)
class SignalsRequest:
    model: str
    window: Window
    version: str | None = None
    low_confidence_threshold: float = 0.5


@dataclass(frozen=True)
class Query:
    sql: str
    parameters: Mapping[str, Any]


# ---- SQL -------------------------------------------------------------------------------------


def _in_window(column: str) -> str:
    return (
        f"{column} BETWEEN fromUnixTimestamp64Nano({{start_ns:Int64}}) "
        "AND fromUnixTimestamp64Nano({end_ns:Int64})"
    )


def _where(conditions: Sequence[str], indent: str = "") -> str:
    return f"{indent}WHERE " + f"\n{indent}  AND ".join(conditions)


def _request_conditions(request: SignalsRequest) -> list[str]:
    conditions = ["ModelName = {model:String}", _in_window("RequestStart")]
    if request.version is not None:
        conditions.append("ModelVersion = {version:String}")
    return conditions


def _parameters(request: SignalsRequest, **extra: Any) -> dict[str, Any]:
    parameters: dict[str, Any] = {
        "model": request.model,
        "start_ns": request.window.start_unix_nano,
        "end_ns": request.window.end_unix_nano,
        **extra,
    }
    if request.version is not None:
        parameters["version"] = request.version
    return parameters


def _sql_list(values: Sequence[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)  # constants of this module only


def latency_query(request: SignalsRequest) -> Query:
    levels = ", ".join(str(level) for level in PERCENTILES)
    span_conditions = ["ModelName = {model:String}", _in_window("Timestamp")]
    if request.version is not None:
        span_conditions.append("ModelVersion = {version:String}")
    span_conditions.append(f"Stage IN ({_sql_list(SPAN_STAGES)})")
    sql = f"""
SELECT ModelVersion AS version, Stage AS stage, count() AS count,
       quantilesExactInclusive({levels})(DurationNs) AS quantiles_ns
FROM ml_stage_spans
{_where(span_conditions)}
GROUP BY version, stage
UNION ALL
SELECT ifNull(ModelVersion, '') AS version, '{keys.STAGE_NETWORK}' AS stage, count() AS count,
       quantilesExactInclusive({levels})(NetworkNs) AS quantiles_ns
FROM ml_request_breakdown
{_where([*_request_conditions(request), "NetworkNs > 0"])}
GROUP BY version"""
    return Query(sql.strip(), _parameters(request))


def throughput_query(request: SignalsRequest) -> Query:
    sql = f"""
SELECT count() AS requests, countIf(NOT Failed) AS successful, countIf(Failed) AS failed,
       countIf(ErrorClass = 'timeout') AS timeouts
FROM ml_request_breakdown
{_where(_request_conditions(request))}"""
    return Query(sql.strip(), _parameters(request))


def concurrency_query(request: SignalsRequest) -> Query:
    # Each request is the closed interval [RequestStart, RequestStart + RequestNs]: at equal times
    # starts (+1) count before ends (-1), so requests that touch overlap.
    sql = f"""
SELECT max(running) AS peak_concurrent_requests
FROM (
    SELECT sum(delta) OVER (ORDER BY at, delta DESC ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
        AS running
    FROM (
        SELECT arrayJoin([(start_ns, toInt8(1)), (start_ns + toInt64(RequestNs), toInt8(-1))]) AS event,
               event.1 AS at, event.2 AS delta
        FROM (
            SELECT toUnixTimestamp64Nano(RequestStart) AS start_ns, RequestNs
            FROM ml_request_breakdown
{_where(_request_conditions(request), " " * 12)}
        )
    )
)"""
    return Query(sql.strip(), _parameters(request))


def _metric_conditions(request: SignalsRequest, metric: str) -> list[str]:
    # The model is the point's ml.model.name, else the resource's; a point naming no model belongs
    # to it when it comes from a service that reported the model's requests.
    model = (
        f"coalesce(nullIf(Attributes['{keys.MODEL_NAME}'], ''), "
        f"nullIf(ResourceAttributes['{keys.MODEL_NAME}'], ''))"
    )
    conditions = [
        f"MetricName = '{metric}'",
        _in_window("TimeUnix"),
        f"""ifNull({model} = {{model:String}},
               ServiceName IN (SELECT assumeNotNull(ServiceName) FROM ml_requests
                               WHERE ModelName = {{model:String}} AND ServiceName IS NOT NULL))""",
    ]
    if request.version is not None:  # points that name no version are kept
        conditions.append(
            f"coalesce(nullIf(Attributes['{keys.MODEL_VERSION}'], ''), "
            f"nullIf(ResourceAttributes['{keys.MODEL_VERSION}'], ''), "
            "{version:String}) = {version:String}"
        )
    return conditions


def queue_depth_query(request: SignalsRequest) -> Query:
    # One series per (service, resource, attributes): ``last`` adds the series' latest values (the
    # depth of all instances together); avg and max are over every point.
    sql = f"""
SELECT sum(series_last) AS last, sum(series_sum) / sum(series_points) AS avg, max(series_max) AS max,
       sum(series_points) AS points
FROM (
    SELECT argMax(Value, TimeUnix) AS series_last, sum(Value) AS series_sum, max(Value) AS series_max,
           count() AS series_points
    FROM otel_metrics_gauge
{_where(_metric_conditions(request, keys.QUEUE_DEPTH_METRIC), " " * 4)}
    GROUP BY ServiceName, ResourceAttributes, Attributes
)"""
    return Query(sql.strip(), _parameters(request))


def active_requests_query(request: SignalsRequest) -> Query:
    sql = f"""
SELECT sum(series_last) AS last, sum(series_points) AS points
FROM (
    SELECT argMax(Value, TimeUnix) AS series_last, count() AS series_points
    FROM otel_metrics_sum
{_where(_metric_conditions(request, keys.REQUESTS_ACTIVE_METRIC), " " * 4)}
    GROUP BY ServiceName, ResourceAttributes, Attributes
)"""
    return Query(sql.strip(), _parameters(request))


def error_classes_query(request: SignalsRequest) -> Query:
    sql = f"""
SELECT ErrorClass AS error_class, count() AS count
FROM ml_request_breakdown
{_where([*_request_conditions(request), "Failed"])}
GROUP BY error_class
ORDER BY count DESC, error_class"""
    return Query(sql.strip(), _parameters(request))


def prediction_classes_query(request: SignalsRequest) -> Query:
    sql = f"""
SELECT PredictionClass AS prediction_class, count() AS count
FROM ml_request_breakdown
{_where([*_request_conditions(request), "PredictionClass IS NOT NULL"])}
GROUP BY prediction_class
ORDER BY count DESC, prediction_class"""
    return Query(sql.strip(), _parameters(request))


def prediction_stats_query(request: SignalsRequest) -> Query:
    # Non-finite values and confidences outside [0, 1] are invalid predictions (an error class),
    # left out of the statistics. std is the population standard deviation (numpy ddof=0).
    sql = f"""
SELECT count(value) AS value_count, avg(value) AS value_mean,
       quantileExactInclusive(0.5)(value) AS value_median, stddevPopStable(value) AS value_std,
       min(value) AS value_min, max(value) AS value_max,
       count(confidence) AS confidence_count, avg(confidence) AS confidence_mean,
       countIf(confidence < {{low_confidence:Float64}}) AS confidence_below
FROM (
    SELECT if(isFinite(PredictionValue), PredictionValue, NULL) AS value,
           if(Confidence BETWEEN 0 AND 1, Confidence, NULL) AS confidence
    FROM ml_request_breakdown
{_where(_request_conditions(request), " " * 4)}
)"""
    return Query(sql.strip(), _parameters(request, low_confidence=request.low_confidence_threshold))


def deployments_query(request: SignalsRequest) -> Query:
    lookback_ns = DEPLOYMENT_LOOKBACK // timedelta(microseconds=1) * 1000
    sql = """
SELECT ModelVersion AS version, toUnixTimestamp64Nano(DeployedAt) AS deployed_at_ns,
       toUnixTimestamp64Nano(LastSeen) AS last_seen_ns, ServiceName AS service,
       Environment AS environment, Events AS events
FROM ml_deployments
WHERE ModelName = {model:String}
  AND DeployedAt BETWEEN fromUnixTimestamp64Nano({since_ns:Int64}) AND fromUnixTimestamp64Nano({end_ns:Int64})
ORDER BY DeployedAt, version"""
    end = request.window.end_unix_nano
    return Query(sql.strip(), {"model": request.model, "since_ns": end - lookback_ns, "end_ns": end})


def known_models_query() -> Query:
    sql = """
SELECT DISTINCT assumeNotNull(ModelName) AS model FROM ml_requests
WHERE ModelName IS NOT NULL ORDER BY model"""
    return Query(sql.strip(), {})


def build_queries(request: SignalsRequest) -> dict[str, Query]:
    """Every query of the dashboard by section name; ``shape_signals`` takes their rows by the same names."""
    return {
        "latency": latency_query(request),
        "throughput": throughput_query(request),
        "concurrency": concurrency_query(request),
        "queue_depth": queue_depth_query(request),
        "active_requests": active_requests_query(request),
        "error_classes": error_classes_query(request),
        "prediction_classes": prediction_classes_query(request),
        "prediction_stats": prediction_stats_query(request),
        "deployments": deployments_query(request),
    }


def suggest_models(model: str, known: Sequence[str]) -> list[str]:
    """Known model names that look like ``model`` first, then the rest."""
    close = difflib.get_close_matches(model, known, n=3, cutoff=0.5)
    return [*close, *(name for name in known if name not in close)]
