"""The ML signal tables: DDL and materialized views over the OTLP tables.

Reads: the .sql templates in ``sql/`` beside this module. Writes: nothing (the gateway applies them
after ``processors.otlp_tables``, whose tables these views read).

Every derivation runs inside ClickHouse as rows arrive, keyed so that spans of one request that
arrive in different batches, out of order or through different gateway replicas still add up:
``ml_requests`` is an AggregatingMergeTree keyed by trace id, read with ``GROUP BY TraceId``.
"""

from __future__ import annotations

from functools import cache

from processors.ml import conventions as keys
from processors.otlp_tables import Migration, load_migrations

OWNER = "ml"

# Patterns that name an application error class in exception types and messages, first match wins.
# re2 syntax (ClickHouse ``match``); case-insensitive.
APPLICATION_ERROR_PATTERNS: tuple[tuple[str, str], ...] = (
    ("timeout", r"(?i)time[d _-]?out|deadline"),
    ("model_load", r"(?i)model.{0,30}(load|not found|missing)|load.{0,30}model|weights|checkpoint"),
    ("database", r"(?i)database|\bsql|psycopg|pymysql|postgres|mysql|mongo|OperationalError|IntegrityError"),
    ("cache", r"(?i)cache|redis|memcache"),
    ("preprocessing", r"(?i)preprocess|feature|tokeni[sz]|transform|schema"),
)
CLIENT_HTTP_CODES = (400, 401, 403, 404, 429)
SERVER_HTTP_CODES = (500, 502, 503, 504)
# gRPC status codes that stand for an HTTP class (rpc.grpc.status_code).
GRPC_CLASSES = {
    3: "client_400",
    16: "client_401",
    7: "client_403",
    5: "client_404",
    8: "client_429",
    13: "server_500",
    14: "server_503",
    4: "timeout",
    2: "unknown",
}


def _sql_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _error_candidate() -> str:
    """(priority, class) of one span or record; the request's class is the max over its spans.

    Reads the aliases err_explicit, err_http, err_grpc, err_stage, err_text, err_failed,
    pred_value, pred_confidence (see the views). Priority: explicit ml.error.class (6) >
    client HTTP/gRPC codes (5) > application class from exception text or the failing stage (4) >
    invalid prediction (3) > server codes (2) > any other failure (1) > none (0).
    """
    branches = ["err_explicit != '', (6, err_explicit)"]
    branches.append(f"err_http IN {CLIENT_HTTP_CODES}, (5, concat('client_', toString(err_http)))")
    branches.append("err_http BETWEEN 400 AND 499, (5, 'client_other')")
    for code, name in GRPC_CLASSES.items():
        if name.startswith("client_"):
            branches.append(f"err_grpc = {code}, (5, '{name}')")
    failed = "(err_failed OR err_http >= 400 OR err_text != '' OR (err_grpc IS NOT NULL AND err_grpc != 0))"
    for name, pattern in APPLICATION_ERROR_PATTERNS:
        branches.append(f"{failed} AND match(err_text, {_sql_string(pattern)}), (4, '{name}')")
    branches.append("err_grpc = 4, (4, 'timeout')")
    branches.append(f"{failed} AND err_stage = 'preprocess', (4, 'preprocessing')")
    branches.append(
        "(pred_value IS NOT NULL AND (isNaN(pred_value) OR isInfinite(pred_value)))"
        " OR (pred_confidence IS NOT NULL AND (isNaN(pred_confidence) OR pred_confidence < 0"
        " OR pred_confidence > 1)), (3, 'invalid_prediction')"
    )
    branches.append(f"err_http IN {SERVER_HTTP_CODES}, (2, concat('server_', toString(err_http)))")
    branches.append("err_http >= 500, (2, 'server_other')")
    for code, name in GRPC_CLASSES.items():
        if name.startswith("server_"):
            branches.append(f"err_grpc = {code}, (2, '{name}')")
    branches.append(f"{failed}, (1, 'unknown')")
    return "multiIf(" + ", ".join(branches) + ", (0, ''))"


def _model(attribute: str) -> str:
    # A span attribute overrides the resource attribute (one service may serve several models).
    return (
        f"coalesce(nullIf(SpanAttributes['{attribute}'], ''), nullIf(ResourceAttributes['{attribute}'], ''))"
    )


MACROS: dict[str, str] = {
    "error_candidate": _error_candidate(),
    "span_model_name": _model(keys.MODEL_NAME),
    "span_model_version": _model(keys.MODEL_VERSION),
    "span_environment": _model(keys.DEPLOYMENT_ENVIRONMENT),
    "numeric_features": (
        f"mapApply((k_, v_) -> (substring(k_, {len(keys.FEATURE_PREFIX) + 1}), toFloat64(v_)), "
        f"mapFilter((k_, v_) -> startsWith(k_, '{keys.FEATURE_PREFIX}') "
        "AND isNotNull(toFloat64OrNull(v_)), {0}))"
    ),
    "categorical_features": (
        f"mapApply((k_, v_) -> (substring(k_, {len(keys.FEATURE_PREFIX) + 1}), v_), "
        f"mapFilter((k_, v_) -> startsWith(k_, '{keys.FEATURE_PREFIX}') "
        "AND isNull(toFloat64OrNull(v_)), {0}))"
    ),
    # One row shape for ml_drift, ml_quality and ml_performance (processors/ml/series.py).
    "signal_series_table": """(
    EvaluatedAt DateTime64(3),
    WindowStart DateTime64(3),
    WindowEnd DateTime64(3),
    ModelName LowCardinality(String),
    ModelVersion LowCardinality(String),
    Signal LowCardinality(String),
    Labels Map(LowCardinality(String), String),
    LabelsKey String,
    Value Float64,
    Samples UInt64,
    Details String CODEC(ZSTD(3))
) ENGINE = $ReplacingMergeTree(EvaluatedAt)
PARTITION BY toYYYYMM(WindowEnd)
ORDER BY (ModelName, Signal, ModelVersion, LabelsKey, WindowEnd)
@ttl_ml(WindowEnd)""",
    "feature_sample_ppm": (
        "(SELECT toUInt64OrDefault(argMax(value, updated_at), toUInt64(1000000)) "
        "FROM $db.inferwatch_settings WHERE key = 'ml.feature_sample_ppm')"
    ),
}


def migrations() -> list[Migration]:
    return load_migrations(__package__, OWNER)


@cache
def all_macros() -> dict[str, str]:
    from processors.otlp_tables import MACROS as OTLP_MACROS

    return {**OTLP_MACROS, **MACROS}
