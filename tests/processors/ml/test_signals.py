"""The dashboard's pure core: tier boundaries, SQL shapes and binding, row shaping, rendering.

The golden files in ``testdata/signals/`` hold the SQL of every query and the rendered dashboard of
a fixed result; ``pytest --update-golden`` rewrites them (review the diff). The SQL's results are
checked against numpy in tests/e2e/test_ml_signals.py.
"""

from __future__ import annotations

import json
import math
import re
from datetime import timedelta
from pathlib import Path

import pytest

from gateway.query import check_parameters
from processors.ml import signals
from processors.ml.signals import (
    SignalsRequest,
    Window,
    build_queries,
    describe_duration,
    error_group,
    error_rate_tier,
    render_text,
    shape_signals,
)
from processors.ml.signals.render import table

TESTDATA = Path(__file__).parent / "testdata" / "signals"
END = 1_770_632_130_000_000_000  # 2026-02-09T10:15:30Z
MS = 1_000_000
WINDOW = Window.ending(END, timedelta(hours=1))
REQUEST = SignalsRequest("fraud-detector", WINDOW)
EMPTY_ROWS: dict[str, list[dict]] = {name: [] for name in build_queries(REQUEST)}


def golden(request: pytest.FixtureRequest, name: str, actual: str) -> None:
    path = TESTDATA / name
    if request.config.getoption("--update-golden"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run pytest --update-golden"
    assert actual == path.read_text(encoding="utf-8"), (
        f"{name} differs: run pytest --update-golden and review"
    )


# ---- tiers and groups ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "tier"),
    [
        (0.0, "ok"),
        (0.01, "ok"),
        (math.nextafter(0.01, 1), "warning"),
        (0.05, "warning"),
        (math.nextafter(0.05, 1), "critical"),
        (0.10, "critical"),
        (math.nextafter(0.10, 1), "emergency"),
        (1.0, "emergency"),
    ],
)
def test_error_rate_tier_boundaries(rate, tier):
    assert error_rate_tier(rate) == tier


@pytest.mark.parametrize(
    ("failed", "requests", "tier"),
    [
        (1, 100, "ok"),
        (2, 100, "warning"),
        (5, 100, "warning"),
        (3, 60, "warning"),
        (10, 100, "critical"),
        (2, 20, "critical"),
        (11, 100, "emergency"),
        (15, 150, "critical"),
        (16, 150, "emergency"),
    ],
)
def test_error_rate_tier_of_counts_on_the_boundary(failed, requests, tier):
    # a count exactly on a threshold divides to the same double as the threshold's literal
    assert error_rate_tier(failed / requests) == tier


@pytest.mark.parametrize("rate", [math.nan, -0.01])
def test_error_rate_tier_rejects_non_rates(rate):
    with pytest.raises(ValueError, match="share in"):
        error_rate_tier(rate)


def test_error_groups():
    assert [error_group(name) for name in ("client_400", "client_other", "server_503", "server_other")] == [
        "client",
        "client",
        "server",
        "server",
    ]
    for name in (
        "timeout",
        "model_load",
        "database",
        "cache",
        "preprocessing",
        "invalid_prediction",
        "unknown",
    ):
        assert error_group(name) == "application"
    assert error_group("feature_store_unavailable") == "application"  # an explicit ml.error.class


# ---- window ----------------------------------------------------------------------------------


def test_window_ending():
    window = Window.ending(END, timedelta(minutes=15))
    assert (window.start_unix_nano, window.end_unix_nano, window.seconds) == (END - 900 * 10**9, END, 900.0)
    with pytest.raises(ValueError, match="positive"):
        Window.ending(END, timedelta(0))


# ---- SQL -------------------------------------------------------------------------------------

PLACEHOLDER = re.compile(r"\{(\w+):([^}]+)\}")


@pytest.mark.parametrize("version", [None, "2.2.0"])
def test_every_parameter_is_bound_by_clickhouse(version):
    request = SignalsRequest("x' OR 1=1 --", WINDOW, version, 0.7)
    for name, query in build_queries(request).items():
        check_parameters(query.sql, query.parameters)  # each parameter has a {name:Type} placeholder
        assert {found for found, _ in PLACEHOLDER.findall(query.sql)} == set(query.parameters), name
        assert "x'" not in query.sql and "OR 1=1" not in query.sql, name
        assert query.parameters["model"] == "x' OR 1=1 --"
        assert ("{version:String}" in query.sql) == (version is not None and name != "deployments"), name
        assert ("version" in query.parameters) == ("{version:String}" in query.sql)


def test_query_parameters():
    request = SignalsRequest("fraud-detector", WINDOW, "2.1.0", 0.7)
    queries = build_queries(request)
    assert queries["throughput"].parameters == {
        "model": "fraud-detector",
        "start_ns": WINDOW.start_unix_nano,
        "end_ns": END,
        "version": "2.1.0",
    }
    assert queries["prediction_stats"].parameters["low_confidence"] == 0.7
    assert queries["deployments"].parameters == {
        "model": "fraud-detector",
        "since_ns": END - 24 * 3600 * 10**9,
        "end_ns": END,
    }
    assert signals.known_models_query().parameters == {}


def test_query_shapes():
    queries = build_queries(REQUEST)
    assert list(queries) == [
        "latency",
        "throughput",
        "concurrency",
        "queue_depth",
        "active_requests",
        "error_classes",
        "prediction_classes",
        "prediction_stats",
        "deployments",
    ]
    latency = queries["latency"].sql
    assert latency.count("quantilesExactInclusive(0.5, 0.75, 0.95, 0.99, 0.999)") == 2
    assert "Stage IN ('request', 'queue', 'preprocess', 'inference', 'postprocess')" in latency
    assert "FROM ml_request_breakdown" in latency and "NetworkNs > 0" in latency
    assert "ORDER BY at, delta DESC" in queries["concurrency"].sql  # starts before ends: closed intervals
    assert "MetricName = 'ml.queue.depth'" in queries["queue_depth"].sql
    assert "FROM otel_metrics_sum" in queries["active_requests"].sql
    assert "stddevPopStable" in queries["prediction_stats"].sql
    for name in ("throughput", "error_classes", "prediction_classes", "prediction_stats"):
        assert "FROM ml_request_breakdown" in queries[name].sql, name


def test_sql_golden(request):
    version_request = SignalsRequest("fraud-detector", WINDOW, "2.1.0")
    text = "".join(
        f"-- {name}{' (--version)' if with_version else ''}\n{query.sql};\n\n"
        for with_version, queries in ((False, build_queries(REQUEST)), (True, build_queries(version_request)))
        for name, query in queries.items()
    )
    golden(request, "queries.sql", text + f"-- known models\n{signals.known_models_query().sql};\n")


def test_docs_show_the_exact_sql():
    docs = (Path(__file__).parents[3] / "docs" / "signals.md").read_text(encoding="utf-8")
    for name, query in [*build_queries(REQUEST).items(), ("known models", signals.known_models_query())]:
        assert f"```sql\n{query.sql}\n```" in docs or f"\n{query.sql}\n```" in docs, (
            f"docs/signals.md: {name}"
        )


def test_suggest_models():
    known = ["churn-model", "fraud-detector", "fraud-scorer"]
    assert signals.suggest_models("fraud-detecter", known)[0] == "fraud-detector"
    assert sorted(signals.suggest_models("zzz", known)) == known


# ---- shaping ---------------------------------------------------------------------------------


def full_rows() -> dict[str, list[dict]]:
    """Rows as JSONEachRow decodes them (64-bit integers may come quoted)."""
    return {
        "latency": [
            {"version": "2.10.0", "stage": "request", "count": 3, "quantiles_ns": [1e6, 2e6, 3e6, 4e6, 5e6]},
            {"version": "2.9.1", "stage": "network", "count": "2", "quantiles_ns": [7e6] * 5},
            {
                "version": "2.9.1",
                "stage": "inference",
                "count": 40,
                "quantiles_ns": [40.04e6, 50e6, 90e6, 99e6, 99.9e6],
            },
            {
                "version": "2.9.1",
                "stage": "request",
                "count": 40,
                "quantiles_ns": [52.96e6, 71e6, 108e6, 129e6, 141e6],
            },
        ],
        "throughput": [{"requests": "50", "successful": 46, "failed": 4, "timeouts": 1}],
        "concurrency": [{"peak_concurrent_requests": 7}],
        "queue_depth": [{"last": 6.0, "avg": 3.4, "max": 7.0, "points": 5}],
        "active_requests": [{"last": None, "points": 0}],
        "error_classes": [
            {"error_class": "client_400", "count": 2},
            {"error_class": "server_503", "count": 1},
            {"error_class": "timeout", "count": 1},
        ],
        "prediction_classes": [
            {"prediction_class": "legit", "count": 30},
            {"prediction_class": "fraud", "count": 10},
        ],
        "prediction_stats": [
            {
                "value_count": 40,
                "value_mean": 0.2,
                "value_median": 0.19,
                "value_std": 0.1,
                "value_min": -0.05,
                "value_max": 0.48,
                "confidence_count": 40,
                "confidence_mean": 0.8,
                "confidence_below": 6,
            }
        ],
        "deployments": [
            {
                "version": "2.10.0",
                "deployed_at_ns": str(END - 14 * 60 * 10**9),
                "last_seen_ns": END - 10**9,
                "service": "fraud-api",
                "environment": "prod",
                "events": 12,
            }
        ],
    }


def test_shape_signals():
    result = shape_signals(SignalsRequest("fraud-detector", WINDOW, None, 0.5), full_rows())
    assert [(item.version, item.stage) for item in result.latency] == [
        ("2.9.1", "request"),
        ("2.9.1", "inference"),
        ("2.9.1", "network"),
        ("2.10.0", "request"),
    ]
    assert result.latency[0].p50_ms == pytest.approx(52.96) and result.latency[2].count == 2
    throughput = result.throughput
    assert (throughput.requests, throughput.requests_per_second, throughput.timeout_rate) == (
        50,
        50 / 3600,
        0.02,
    )
    assert throughput.queue_depth == signals.results.GaugeSummary(6.0, 3.4, 7.0, 5)
    assert throughput.active_requests == signals.results.LatestValue(None, 0)
    errors = result.errors
    assert (errors.error_rate, errors.tier) == (0.08, "critical")
    assert {name: (group.count, group.share) for name, group in errors.groups.items()} == {
        "client": (2, 0.04),
        "server": (1, 0.02),
        "application": (1, 0.02),
    }
    assert (errors.classes[0].error_class, errors.classes[0].group, errors.classes[0].share) == (
        "client_400",
        "client",
        0.04,
    )
    assert [(item.prediction_class, item.share) for item in result.predictions.classes] == [
        ("legit", 0.75),
        ("fraud", 0.25),
    ]
    confidence = result.predictions.confidence
    assert (confidence.threshold, confidence.below_threshold, confidence.below_threshold_share) == (
        0.5,
        6,
        0.15,
    )
    (deployment,) = result.deployments
    assert (deployment.deployed_at_unix_nano, deployment.before_window_end_seconds) == (
        END - 840 * 10**9,
        840.0,
    )
    assert result.has_data


def test_empty_result_has_the_same_keys_and_no_numbers_made_up():
    empty = shape_signals(REQUEST, EMPTY_ROWS)
    assert not empty.has_data
    document, full = empty.to_json(), shape_signals(REQUEST, full_rows()).to_json()

    def keys(value, path=""):
        if isinstance(value, dict):
            return {f"{path}.{key}" for key in value} | {
                k for key, v in value.items() for k in keys(v, f"{path}.{key}")
            }
        return set()

    assert keys(document) == keys(full) - {
        k for k in keys(full) if k.startswith((".latency.", ".deployments."))
    }
    assert document["latency"] == document["deployments"] == document["errors"]["classes"] == []
    assert (
        document["throughput"]["timeout_rate"] is None and document["throughput"]["requests_per_second"] == 0
    )
    assert document["errors"]["groups"]["client"] == {"count": 0, "share": None}
    assert (document["errors"]["error_rate"], document["errors"]["tier"]) == (None, None)
    assert document["predictions"]["value"] == {
        "count": 0,
        "mean": None,
        "median": None,
        "std": None,
        "min": None,
        "max": None,
    }
    json.dumps(document, allow_nan=False)


def test_json_document():
    document = shape_signals(REQUEST, full_rows()).to_json()
    assert list(document) == [
        "model",
        "version",
        "window",
        "latency",
        "throughput",
        "errors",
        "predictions",
        "deployments",
    ]
    assert document["window"] == {
        "start": "2026-02-09T09:15:30Z",
        "end": "2026-02-09T10:15:30Z",
        "start_unix_nano": END - 3600 * 10**9,
        "end_unix_nano": END,
        "seconds": 3600.0,
    }
    assert list(document["latency"][0]) == [
        "version",
        "stage",
        "count",
        "p50_ms",
        "p75_ms",
        "p95_ms",
        "p99_ms",
        "p999_ms",
    ]
    assert document["deployments"][0]["deployed_at"] == "2026-02-09T10:01:30Z"
    assert isinstance(document["throughput"]["requests"], int)
    json.dumps(document, allow_nan=False)


# ---- rendering -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 seconds"),
        (1, "1 second"),
        (59.9, "59 seconds"),
        (840, "14 minutes"),
        (3600, "1 hour"),
        (3900, "1 hour 5 minutes"),
        (3661, "1 hour 1 minute"),
        (2 * 86400 + 3 * 3600 + 59, "2 days 3 hours"),
        (86400 + 60, "1 day"),  # the two largest units only, and adjacent ones
    ],
)
def test_describe_duration(seconds, text):
    assert describe_duration(seconds) == text


def test_table_aligns_columns():
    lines = table(["NAME", "N"], [["a", "1"], ["long name", "1,000"]], [False, True])
    assert lines == ["NAME           N", "a              1", "long name  1,000"]


def test_render_text_golden(request):
    text = render_text(shape_signals(REQUEST, full_rows()))
    lines = text.splitlines()
    header = lines.index("LATENCY (ms)") + 1
    assert lines[header].split() == ["VERSION", "STAGE", "COUNT", "P50", "P75", "P95", "P99", "P99.9"]
    assert lines[header + 1].split() == ["2.9.1", "request", "40", "53.0", "71.0", "108.0", "129.0", "141.0"]
    assert len({len(line) for line in lines[header : header + 5]}) == 1, "right-aligned P-values end together"
    assert "ERRORS  error rate 8.0%: CRITICAL  (warning > 1%, critical > 5%, emergency > 10%)" in lines
    assert (
        "version 2.10.0 rolled out 14 minutes before (2026-02-09T10:01:30Z), 12 events, service fraud-api"
        in lines
    )
    golden(request, "dashboard.txt", text)


def test_render_text_without_data(request):
    text = render_text(shape_signals(SignalsRequest("fraud-detector", WINDOW, "2.2.0"), EMPTY_ROWS))
    window = "between 2026-02-09T09:15:30Z and 2026-02-09T10:15:30Z"
    assert f"no requests of version 2.2.0 of model 'fraud-detector' {window}" in text
    golden(request, "dashboard_empty.txt", text)
