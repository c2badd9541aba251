"""Tests of processors/quality/signals.py: the points use catalogued names and labels, with their details."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from processors.alerting.signal_names import KNOWN_SIGNALS, SIGNALS_BY_NAME
from processors.quality import GUIDE_TARGETS, Record, load_quality_rules, measure_quality
from processors.quality.signals import quality_points

RULES = load_quality_rules(
    "model: m\nfields:\n  x: {type: numeric, required: true, max: 1}\n"
    "checks:\n  - {name: positive, expr: x > 0}\n"
)
S = 10**9


def points():
    records = [Record({"x": value}, 0, delay * S) for value, delay in ((0.5, 1), (2.0, 2), (-1.0, 3))]
    measurement = measure_quality(RULES, records, 100 * S, max_delay=timedelta(seconds=2))
    return quality_points("m", measurement, GUIDE_TARGETS, (40 * S, 100 * S), {"t.c": "missing"})


def test_points_use_known_signal_names_with_their_labels():
    found = points()
    assert {point.signal for point in found} <= KNOWN_SIGNALS
    for point in found:
        assert set(point.labels) == set(SIGNALS_BY_NAME[point.signal].labels)
        assert (point.model, point.version, point.window_start_unix_nano, point.window_end_unix_nano) == (
            "m",
            "",
            40 * S,
            100 * S,
        )


def test_values_samples_and_details():
    by_key = {(p.signal, tuple(sorted(p.labels.items()))): p for p in points()}
    validity = by_key[("validity", ())]
    assert (validity.value, validity.samples) == (2 / 3, 3)
    assert validity.details["status"] == "✗" and validity.details["target"] == 0.99
    consistency = by_key[("consistency", ())]
    assert (consistency.value, consistency.samples) == (2 / 3, 3)
    accuracy = by_key[("quality_accuracy", ())]
    assert math.isnan(accuracy.value) and accuracy.details["reference_errors"] == {"t.c": "missing"}
    share = by_key[("timeliness_share", ())]
    assert (share.value, share.samples, share.details["within"]) == (2 / 3, 3, 2)
    assert by_key[("timeliness_seconds", ())].value == pytest.approx(2.9)  # delays 1, 2, 3: 2 + 0.9
    violations = {labels: p.value for (signal, labels), p in by_key.items() if signal == "quality_violations"}
    assert violations == {
        (("field", "x"), ("rule", "max")): 1,
        (("field", "x"), ("rule", "positive")): 1,
        (("field", "x"), ("rule", "required")): 0,
        (("field", "x"), ("rule", "type")): 0,
    }
