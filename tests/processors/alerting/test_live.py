"""Tests of processors/alerting/live: the live-signal SQL (parameters, never values, in the text) and the
shaping of its rows into signals (checked against plain arithmetic on the same counts)."""

from __future__ import annotations

import pytest

from processors.alerting.live import (
    FAMILIES,
    FAMILY_OF,
    LIVE_SIGNALS,
    latency_query,
    metrics_query,
    requests_query,
    service_up_query,
    shape_latency,
    shape_metrics,
    shape_requests,
    shape_service_up,
    split_windows,
)
from processors.alerting.signal_names import KNOWN_SIGNALS
from processors.ml.signals.queries import Window

WINDOW = Window(1_700_000_000_123_456_789, 1_700_000_300_123_456_789)


def test_every_live_signal_is_in_the_catalogue_and_in_one_family() -> None:
    assert LIVE_SIGNALS <= KNOWN_SIGNALS
    assert sum(len(names) for names in FAMILIES.values()) == len(LIVE_SIGNALS)
    assert {FAMILY_OF[name] for name in ("error_rate", "rps", "low_confidence_rate")} == {"requests"}
    assert FAMILY_OF["latency_p999"] == "latency"


@pytest.mark.parametrize(
    "query",
    [
        latency_query(WINDOW),
        metrics_query(WINDOW),
        service_up_query(WINDOW),
    ],
)
def test_window_bounds_travel_as_parameters(query) -> None:
    assert str(WINDOW.start_unix_nano) not in query.sql and "0.42" not in query.sql
    assert query.parameters["start_ns"] == WINDOW.start_unix_nano
    assert query.parameters["end_ns"] == WINDOW.end_unix_nano
    assert "{start_ns:Int64}" in query.sql and "{end_ns:Int64}" in query.sql


def test_requests_are_read_in_ranges_with_five_minutes_of_slack_and_baselines_drop_the_version() -> None:
    start, end = WINDOW.start_unix_nano, WINDOW.end_unix_nano
    ranges = [(start, start + 60 * 10**9), (end - 10**9, end + 1)]
    query = requests_query([start, end + 1], ranges, 0.42)
    assert str(start) not in query.sql and "0.42" not in query.sql
    assert query.parameters["ranges"] == ranges
    assert query.parameters["boundaries"] == [start, end + 1]
    assert query.parameters["low_confidence"] == 0.42
    assert query.parameters["scan_start_ns"] == start - 300 * 10**9
    assert query.parameters["scan_end_ns"] == end + 1 + 300 * 10**9
    assert "'' AS version" in requests_query([1, 2], [(1, 2)], 0.5, by_version=False).sql
    assert "'' AS version" in latency_query(WINDOW, by_version=False).sql
    assert "ModelVersion AS version" in latency_query(WINDOW).sql


def _row(**values):
    base = {
        "model": "fraud",
        "version": "2.1.0",
        "requests": 200,
        "failures": 17,
        "timeouts": 3,
        "client_errors": 5,
        "server_errors": 4,
        "classes": (["client_400", "server_503", "timeout"], [5, 4, 8]),
        "confidence_count": 180,
        "confidence_sum": 0.81 * 180,
        "confidence_below": 27,
    }
    return {**base, **values}


def test_request_signals_are_shares_of_the_requests() -> None:
    series = shape_requests([_row(), _row(model="idle", requests=0)], window_seconds=300.0)
    labels = {"model": "fraud", "version": "2.1.0"}

    def one(name: str):
        (sample,) = series[name]
        assert dict(sample.labels) == labels
        return sample.value, sample.samples

    assert one("error_rate") == (17 / 200, 200)
    assert one("error_rate_client") == (5 / 200, 200)
    assert one("error_rate_server") == (4 / 200, 200)
    assert one("error_rate_application") == ((17 - 5 - 4) / 200, 200)
    assert one("timeout_rate") == (3 / 200, 200)
    assert one("rps") == (200 / 300, None)  # never held by min_samples: low traffic is its alert
    assert one("confidence_mean") == (pytest.approx(0.81), 180)
    assert one("low_confidence_rate") == (27 / 180, 180)
    classes = {s.labels["error_class"]: s.value for s in series["error_class_rate"]}
    assert classes == {"client_400": 5 / 200, "server_503": 4 / 200, "timeout": 8 / 200}


def test_requests_without_confidences_give_no_confidence_signals() -> None:
    series = shape_requests([_row(confidence_count=0, confidence_sum=0, confidence_below=0)], 60.0)
    assert series["confidence_mean"] == [] and series["low_confidence_rate"] == []
    assert len(series["error_rate"]) == 1


def test_latency_is_in_milliseconds_per_stage() -> None:
    rows = [
        {
            "model": "m",
            "version": "1",
            "stage": "request",
            "count": 40,
            "quantiles_ns": [1e6, 2e6, 3e6, 4e6, 5e6],
        },
        {
            "model": "m",
            "version": "1",
            "stage": "inference",
            "count": 40,
            "quantiles_ns": [5e5, 6e5, 7e5, 8e5, 9e5],
        },
    ]
    series = shape_latency(rows)
    assert [(s.labels["stage"], s.value, s.samples) for s in series["latency_p95"]] == [
        ("request", 3.0, 40),
        ("inference", 0.7, 40),
    ]
    assert [s.value for s in series["latency_p999"]] == [5.0, 0.9]


def test_metrics_give_queue_depth_per_model_and_infrastructure_per_pod() -> None:
    def row(metric: str, pod: str, average: float, maximum: float, increase: float) -> dict:
        return {
            "model": "m",
            "version": "",
            "pod": pod,
            "metric": metric,
            "average": average,
            "maximum": maximum,
            "minimum": maximum - increase,
        }

    series = shape_metrics(
        [
            row("ml.queue.depth", "a", 3.0, 12.0, 9.0),
            row("ml.queue.depth", "b", 2.0, 30.0, 0.0),
            row("k8s.pod.cpu_limit_utilization", "a", 0.7, 0.99, 0.3),
            row("process.cpu.utilization", "a", 0.8, 0.9, 0.1),
            row("k8s.pod.memory_limit_utilization", "b", 0.5, 0.6, 0.1),
            row("k8s.container.restarts", "a", 4.0, 6.0, 3.0),
        ]
    )

    def values(name: str) -> dict:
        return {tuple(sorted(s.labels.items())): (s.value, s.samples) for s in series[name]}

    model = (("model", "m"), ("version", ""))
    assert values("queue_depth") == {model: (30.0, None)}  # the largest point of any pod
    assert values("cpu_utilization") == {(("model", "m"), ("pod", "a"), ("version", "")): (0.8, None)}
    assert values("memory_utilization") == {(("model", "m"), ("pod", "b"), ("version", "")): (0.5, None)}
    assert values("pod_restarts") == {(("model", "m"), ("pod", "a"), ("version", "")): (3.0, None)}
    (up,) = shape_service_up([{"model": "m", "version": "", "pod": "", "value": 0.0}])["service_up"]
    assert dict(up.labels) == {"model": "m", "version": ""} and up.value == 0.0


def test_several_windows_with_one_end_are_one_scan_and_split_back() -> None:
    end = WINDOW.end_unix_nano
    windows = [Window(end - 300 * 10**9, end), Window(end - 3600 * 10**9, end)]
    query = latency_query(windows)
    assert query.parameters["start_ns"] == end - 3600 * 10**9  # the scan covers the longest window
    assert query.parameters["start_0_ns"] == end - 300 * 10**9 and query.parameters["end_ns"] == end
    assert "countIf(Timestamp >= fromUnixTimestamp64Nano({start_0_ns:Int64})) AS count_0" in query.sql
    assert "count() AS count_1" in query.sql and "quantilesExactInclusive(0.5" in query.sql
    assert "quantilesExactInclusiveIf(0.5" in query.sql
    assert "maxIf(value, time >= fromUnixTimestamp64Nano({start_0_ns:Int64}))" in metrics_query(windows).sql
    with pytest.raises(ValueError, match="one end"):
        latency_query([windows[0], Window(0, end - 1)])

    def row(version: str, short: tuple[int, float], long: tuple[int, float]) -> dict:
        counts = {"count_0": short[0], "count_1": long[0]}
        quantiles = {"quantiles_ns_0": [short[1]] * 5, "quantiles_ns_1": [long[1]] * 5}
        return {"model": "m", "version": version, "stage": "request"} | counts | quantiles

    short, long = split_windows([row("1", (0, 0.0), (4, 1e6)), row("2", (2, 2e6), (3, 3e6))], 2)
    assert short == [
        {"model": "m", "version": "2", "stage": "request", "count": 2, "quantiles_ns": [2e6] * 5}
    ]
    assert [(row["version"], row["count"], row["quantiles_ns"][0]) for row in long] == [
        ("1", 4, 1e6),
        ("2", 3, 3e6),
    ]
