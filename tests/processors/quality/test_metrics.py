"""Tests of processors/quality/metrics.py: every metric on six hand-made records, computed by hand.

The records (required: age, country; checks: dates_ordered, adult; reference: merchant):

  #  age    country  email            merchant  start       end         delay
  1  30     DE       ada@example.com  m1        2026-01-01  2026-01-02  10 s
  2  -5     DE       -                m3        2026-01-03  2026-01-02  20 s
  3  -      FR       bad              -         -           -           30 s
  4  40     ""       -                m2        -           -           400 s
  5  "abc"  US       -                -         -           -           -5 s (clock skew: 0)
  6  20     FR       -                -         2026-01-05  -           (no receive time)
"""

from __future__ import annotations

import hashlib
import hmac
import math
from datetime import timedelta

import numpy as np
import pytest

from processors.quality import Record, SampleMasking, load_quality_rules, measure_quality, metrics
from processors.quality.metrics import timeliness

RULES = load_quality_rules(
    """
model: shop
fields:
  age: {type: numeric, required: true, min: 0, max: 120}
  country: {type: string, required: true, allowed: [DE, FR]}
  email: {type: string, pattern: email, pii: true}
  merchant: {reference: {values: [m1, m2]}}
  start: {type: datetime}
  end: {type: datetime}
checks:
  - name: dates_ordered
    expr: start < end
  - name: adult
    expr: age >= 18
""",
    "shop.yaml",
)
NOW = 1_767_225_600 * 10**9
S = 10**9


def record(index: int, delay_s: float | None, **values) -> Record:
    event = NOW - 3600 * S + index * S
    received = None if delay_s is None else event + int(delay_s * S)
    return Record(values, event, received, key=f"trace-{index}", version="1.0")


RECORDS = [
    record(
        1,
        10,
        age=30.0,
        country="DE",
        email="ada@example.com",
        merchant="m1",
        start="2026-01-01",
        end="2026-01-02",
    ),
    record(2, 20, age=-5.0, country="DE", merchant="m3", start="2026-01-03", end="2026-01-02"),
    record(3, 30, country="FR", email="bad"),
    record(4, 400, age=40.0, country="", merchant="m2"),
    record(5, -5, age="abc", country="US"),
    record(6, None, age=20.0, country="FR", start="2026-01-05"),
]


@pytest.fixture(scope="module")
def measured():
    masking = SampleMasking("pii", "s3cret")
    return measure_quality(RULES, RECORDS, NOW, max_delay=timedelta(minutes=5), masking=masking)


def test_completeness_counts_populated_required_pairs(measured):
    # 12 (record, required field) pairs; record 3 lacks age, record 4 has a null country
    assert (measured.completeness.passed, measured.completeness.total) == (10, 12)


def test_validity_counts_checked_values(measured):
    # checked: 5 + 4 + 2 + 1 + 2 + 3 = 17 (merchant has no value rule, record 4's null country is
    # nullable); invalid: age -5 (min), email "bad", age "abc" (type), country US (allowed)
    assert (measured.validity.passed, measured.validity.total) == (13, 17)


def test_consistency_counts_records_with_an_applicable_check(measured):
    # applicable: 1, 2, 4, 6 (3 and 5 have no usable age and no dates); record 2 fails both
    assert (measured.consistency.passed, measured.consistency.total) == (3, 4)


def test_accuracy_counts_values_found_in_reference_data(measured):
    assert (measured.accuracy.passed, measured.accuracy.total) == (2, 3)
    assert measured.accuracy.value == pytest.approx(2 / 3)


def test_timeliness_share_and_p95(measured):
    timely = measured.timeliness
    assert (timely.within, timely.total, timely.max_delay_seconds) == (4, 5, 300.0)
    # delays 0, 10, 20, 30, 400: p95 by linear interpolation = 30 + 0.8 * (400 - 30)
    assert timely.p95_seconds == pytest.approx(326.0)
    assert timely.p95_seconds == pytest.approx(np.percentile([10, 20, 30, 400, 0], 95))


def test_violations_per_rule_and_field_with_zero_for_rules_that_held(measured):
    counts = {(v.rule, v.field): v.count for v in measured.violations}
    assert counts == {
        ("adult", "age"): 1,
        ("allowed", "country"): 1,
        ("dates_ordered", "start,end"): 1,
        ("min", "age"): 1,
        ("pattern", "email"): 1,
        ("reference", "merchant"): 1,
        ("required", "age"): 1,
        ("required", "country"): 1,
        ("type", "age"): 1,
        ("max", "age"): 0,
        ("type", "country"): 0,
        ("type", "email"): 0,
        ("type", "start"): 0,
        ("type", "end"): 0,
    }
    checked = {(v.rule, v.field): v.checked for v in measured.violations}
    assert checked[("required", "age")] == 6
    assert checked[("adult", "age")] == 4
    assert checked[("dates_ordered", "start,end")] == 2  # records 1 and 2
    assert checked[("reference", "merchant")] == 3
    assert [v.count for v in measured.violations] == sorted(
        (v.count for v in measured.violations), reverse=True
    )


def test_samples_hash_pii_fields_with_hmac_sha256_of_the_salt(measured):
    (violation,) = [v for v in measured.violations if v.rule == "pattern"]
    (sample,) = violation.samples
    expected = "hmac-sha256:" + hmac.new(b"s3cret", b"bad", hashlib.sha256).hexdigest()
    assert sample["values"] == {"country": "FR", "email": expected}
    assert sample["key"] == "trace-3" and sample["version"] == "1.0"
    assert sample["event_time"] == "2025-12-31T23:00:03.000Z"


def test_samples_of_a_check_that_could_not_combine_values_say_why():
    rules = load_quality_rules("model: m\nchecks:\n  - {name: ratio, expr: a / b > 1}\n")
    result = measure_quality(rules, [Record({"a": 1.0, "b": 0.0}, NOW)], NOW, max_delay=timedelta(1))
    (violation,) = result.violations
    assert violation.count == 1 and violation.samples[0]["reason"] == "division by zero"
    assert (result.consistency.passed, result.consistency.total) == (0, 1)


def test_samples_are_limited_per_rule_and_all_values_hashed_in_mode_all():
    rules = load_quality_rules("model: m\nfields:\n  x: {type: numeric, max: 1}\n")
    records = [Record({"x": float(value)}, NOW) for value in range(2, 12)]
    result = measure_quality(
        rules, records, NOW, max_delay=timedelta(1), samples_per_rule=3, masking=SampleMasking("all", "k")
    )
    (violation,) = [v for v in result.violations if v.rule == "max"]
    assert violation.count == 10 and len(violation.samples) == 3
    assert (
        violation.samples[0]["values"]["x"]
        == "hmac-sha256:" + hmac.new(b"k", b"2", hashlib.sha256).hexdigest()
    )


def test_without_a_salt_protected_values_are_hidden_not_hashed():
    rules = load_quality_rules("model: m\nfields:\n  mail: {pattern: email, pii: true}\n")
    result = measure_quality(rules, [Record({"mail": "x"}, NOW)], NOW, max_delay=timedelta(1))
    assert result.violations[0].samples[0]["values"] == {"mail": "[hidden]"}


def test_metrics_without_anything_to_count_are_undefined():
    rules = load_quality_rules("model: m\nfields:\n  x: {type: numeric}\n")
    result = measure_quality(rules, [], NOW, max_delay=timedelta(minutes=1))
    assert result.records == 0
    for ratio in (result.completeness, result.validity, result.consistency, result.accuracy):
        assert math.isnan(ratio.value)
    assert math.isnan(result.timeliness.p95_seconds) and result.timeliness.total == 0


def test_max_delay_of_the_rule_file_wins_over_the_default():
    rules = load_quality_rules("model: m\nfields:\n  x: {type: numeric}\ntimeliness: {max_delay: 15s}\n")
    records = [Record({"x": 1.0}, 0, delay * S) for delay in (5, 15, 16)]
    result = measure_quality(rules, records, NOW, max_delay=timedelta(hours=1))
    assert (result.timeliness.within, result.timeliness.total) == (2, 3)


def test_timeliness_p95_matches_numpy_on_many_delays():
    rng = np.random.default_rng(3)
    delays = rng.exponential(40.0, size=1000)
    records = [Record({}, 0, int(delay * S)) for delay in delays]
    result = timeliness(records, timedelta(seconds=60))
    assert result.p95_seconds == pytest.approx(np.percentile(np.floor(delays * S) / S, 95), rel=1e-9)
    assert result.within == int(np.sum(np.floor(delays * S) / S <= 60))


def test_remembered_checks_of_repeated_texts_give_the_same_measurement(monkeypatch):
    # Each hand-made record 50 times: the texts repeat, so most checks come from the memo; with a
    # memo of size 0 every value is checked afresh. Both must agree on every metric and violation.
    records = [
        Record(r.values, r.event_time_unix_nano + copy, r.received_time_unix_nano, r.key, r.version)
        for copy in range(50)
        for r in RECORDS
    ]
    remembered = measure_quality(RULES, records, NOW, max_delay=timedelta(minutes=5))
    monkeypatch.setattr(metrics._MemoizedChecks, "LIMIT", 0)
    fresh = measure_quality(RULES, records, NOW, max_delay=timedelta(minutes=5))
    assert remembered == fresh
    once = measure_quality(RULES, RECORDS, NOW, max_delay=timedelta(minutes=5))
    assert remembered.validity == metrics.Ratio(50 * once.validity.passed, 50 * once.validity.total)
    assert remembered.consistency.total == 50 * once.consistency.total > 0
