"""Tests of processors/quality/status.py: the guide's dashboard rows get the guide's statuses."""

from __future__ import annotations

import math

import pytest

from processors.quality import GUIDE_TARGETS, QualityMeasurement, Ratio, Timeliness, dashboard
from processors.quality.status import (
    CRITICAL,
    OK,
    UNDEFINED,
    WARNING,
    MetricTarget,
    format_seconds,
    format_share,
)

TARGETS = {target.metric: target for target in GUIDE_TARGETS}


@pytest.mark.parametrize(
    ("metric", "value", "status"),
    [
        # the guide's dashboard: current values and statuses
        ("completeness", 0.998, OK),
        ("accuracy", 0.972, OK),
        ("consistency", 0.965, WARNING),
        ("timeliness", 45 * 60.0, OK),
        ("validity", 0.988, WARNING),
        # edges: a target or critical level reached counts as reached
        ("completeness", 0.99, OK),
        ("completeness", 0.95, WARNING),
        ("completeness", 0.9499, CRITICAL),
        ("timeliness", 3600.0, OK),
        ("timeliness", 7200.0, WARNING),
        ("timeliness", 7201.0, CRITICAL),
        ("validity", math.nan, UNDEFINED),
    ],
)
def test_statuses_follow_the_guide(metric, value, status):
    assert TARGETS[metric].status(value) == status


def test_targets_are_shown_like_the_dashboard():
    assert [TARGETS[name].describe() for name in ("completeness", "consistency", "timeliness")] == [
        "≥ 99%",
        "≥ 98%",
        "≤ 1h",
    ]


def test_dashboard_lists_the_five_metrics_with_their_signals():
    measurement = QualityMeasurement(
        records=1000,
        completeness=Ratio(998, 1000),
        validity=Ratio(988, 1000),
        consistency=Ratio(965, 1000),
        accuracy=Ratio(0, 0),
        timeliness=Timeliness(990, 1000, 2700.0, 3600.0),
    )
    lines = dashboard(measurement, GUIDE_TARGETS)
    assert [(line.metric, line.signal, line.status, line.shown()) for line in lines] == [
        ("completeness", "completeness", OK, "99.8%"),
        ("accuracy", "quality_accuracy", UNDEFINED, "n/a"),
        ("consistency", "consistency", WARNING, "96.5%"),
        ("timeliness", "timeliness_seconds", OK, "45min"),
        ("validity", "validity", WARNING, "98.8%"),
    ]
    assert (lines[4].passed, lines[4].total) == (988, 1000)


def test_custom_targets_and_formats():
    target = MetricTarget("validity", 0.9, 0.8)
    assert [target.status(v) for v in (0.95, 0.85, 0.5)] == [OK, WARNING, CRITICAL]
    assert format_share(1.0) == "100%" and format_share(0.12345) == "12.35%"
    assert (
        format_seconds(2.5) == "2.5s"
        and format_seconds(90) == "1min 30s"
        and format_seconds(7260) == "2h 1min"
    )
