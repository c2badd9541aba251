"""Retraining triggers: the loader's FILE:LINE:COL errors, the default file, and episode logic."""

from __future__ import annotations

import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest

from processors.performance.triggers import (
    DailyValue,
    Trigger,
    TriggerLoadError,
    data_firing,
    load_triggers,
    series_firing,
    time_firing,
)

DEFAULT = Path(__file__).resolve().parents[3] / "deploy" / "triggers" / "default.yaml"
DAY = 86_400 * 10**9


def _ns(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()) * 10**9


def _errors(text: str) -> list[str]:
    with pytest.raises(TriggerLoadError) as caught:
        load_triggers(textwrap.dedent(text), "t.yaml")
    return [str(error) for error in caught.value.errors]


def test_the_default_file_holds_the_guides_triggers() -> None:
    triggers = {t.name: t for t in load_triggers(DEFAULT.read_text(), str(DEFAULT))}
    accuracy = triggers["accuracy-below-92-for-3-days"]
    assert (accuracy.kind, accuracy.metric, accuracy.below, accuracy.days) == (
        "performance",
        "accuracy",
        0.92,
        3,
    )
    assert triggers["f1-5pct-below-baseline"].below_baseline_by == 0.05
    error_rate = triggers["error-rate-above-3pct-for-1-week"]
    assert (error_rate.metric, error_rate.above, error_rate.days) == ("error_rate", 0.03, 7)
    psi = triggers["psi-above-0.25-on-5-features"]
    assert (psi.metric, psi.above, psi.min_features) == ("psi", 0.25, 5)
    assert triggers["prediction-drift-for-7-days"].days == 7
    assert triggers["monthly"].every == "monthly" and triggers["quarterly"].every == "quarterly"
    assert triggers["10k-new-labels"].new_labels == 10_000


def test_errors_point_at_file_line_and_column() -> None:
    errors = _errors(
        """\
        triggers:
          - name: a
            kind: performence
          - name: b
            kind: performance
            metric: acuracy
            below: high
            for: 36h
          - name: c
            kind: time
            evry: monthly
          - name: a
            kind: data
            new_labels: 0
        """
    )
    assert errors == [
        't.yaml:3:11: unknown kind "performence": use one of performance, drift, time, data',
        "t.yaml:6:13: unknown metric \"acuracy\" (did you mean 'accuracy'?)",
        "t.yaml:7:12: expected a number, got 'high'",
        't.yaml:8:10: must be a whole number of days such as 3d or 1w, got "36h"',
        't.yaml:9:5: a time trigger needs "every" (monthly, quarterly or a number of days such as 30d)',
        "t.yaml:11:5: unknown key \"evry\" (did you mean 'every'?)",
        "t.yaml:14:17: must be at least 1, got 0",
    ]


def test_conditions_must_fit_the_kind() -> None:
    errors = _errors(
        """\
        - name: x
          kind: drift
          metric: prediction_psi
          above: 0.2
          below: 0.1
          min_features: 3
        - name: y
          kind: data
          new_labels: 5
          for: 3d
        """
    )
    assert errors == [
        "t.yaml:1:3: a drift trigger needs exactly one of below, above",
        "t.yaml:6:3: min_features needs a per-feature signal (psi, mean_shift, missing_rate), "
        'not "prediction_psi"',
        't.yaml:10:3: "for" does not apply to a data trigger (it takes new_labels)',
    ]


def test_duplicate_names_and_bad_yaml() -> None:
    assert _errors("- {name: a, kind: data, new_labels: 1}\n- {name: a, kind: data, new_labels: 2}\n") == [
        't.yaml:2:1: duplicate trigger name "a" (first at t.yaml:1)'
    ]
    assert _errors("triggers: [\n")[0].startswith("t.yaml:2:1: invalid YAML")


ACCURACY_3_DAYS = Trigger("acc", "performance", metric="accuracy", below=0.92, days=3)


def _daily(first_day: str, values: list[float], samples: int = 500) -> list[DailyValue]:
    start = _ns(first_day)
    return [DailyValue(start + index * DAY, value, samples) for index, value in enumerate(values)]


def test_three_bad_days_fire_on_the_third_and_the_episode_is_the_first() -> None:
    series = _daily("2026-03-01", [0.95, 0.91, 0.90, 0.89])
    # on day 3 (March 3, noon) only two bad days: no
    assert series_firing(ACCURACY_3_DAYS, "m", "1", series[:3], _ns("2026-03-03T12:00:00")) is None
    fired = series_firing(ACCURACY_3_DAYS, "m", "1", series, _ns("2026-03-04T12:00:00"))
    assert fired is not None and fired.episode_unix_nano == _ns("2026-03-02")
    assert [day["value"] for day in fired.evidence["days"]] == [0.91, 0.90, 0.89]
    # the next day of the same run: the same episode (so it is recorded once)
    later = series_firing(
        ACCURACY_3_DAYS, "m", "1", [*series, *_daily("2026-03-05", [0.88])], _ns("2026-03-05T12:00:00")
    )
    assert later is not None and later.episode_unix_nano == fired.episode_unix_nano


def test_a_good_day_or_a_gap_breaks_the_run() -> None:
    good_between = _daily("2026-03-01", [0.91, 0.90, 0.95, 0.91, 0.90])
    assert series_firing(ACCURACY_3_DAYS, "m", "1", good_between, _ns("2026-03-05T12:00:00")) is None
    gap = _daily("2026-03-01", [0.91]) + _daily("2026-03-03", [0.90, 0.89])
    assert series_firing(ACCURACY_3_DAYS, "m", "1", gap, _ns("2026-03-04T12:00:00")) is None


def test_today_without_enough_samples_neither_counts_nor_breaks() -> None:
    series = _daily("2026-03-01", [0.91, 0.90, 0.89]) + _daily("2026-03-04", [0.99], samples=3)
    fired = series_firing(ACCURACY_3_DAYS, "m", "1", series, _ns("2026-03-04T00:10:00"), min_samples=30)
    assert fired is not None and fired.evidence["consecutive_days"] == 3
    # a past day with too few samples is not evidence: it breaks the run
    thin = (
        _daily("2026-03-01", [0.91])
        + _daily("2026-03-02", [0.5], samples=3)
        + _daily("2026-03-03", [0.9, 0.9])
    )
    assert series_firing(ACCURACY_3_DAYS, "m", "1", thin, _ns("2026-03-04T12:00:00"), min_samples=30) is None


def test_stale_series_do_not_fire() -> None:
    series = _daily("2026-03-01", [0.91, 0.90, 0.89])
    assert series_firing(ACCURACY_3_DAYS, "m", "1", series, _ns("2026-03-10T00:00:00")) is None


def test_below_baseline_by_is_relative() -> None:
    trigger = Trigger("f1", "performance", metric="f1", below_baseline_by=0.05)
    # 0.925 * 0.95 = 0.87875
    assert (
        series_firing(trigger, "m", "1", _daily("2026-03-01", [0.879]), _ns("2026-03-01T18:00:00"), 0.925)
        is None
    )
    fired = series_firing(trigger, "m", "1", _daily("2026-03-01", [0.878]), _ns("2026-03-01T18:00:00"), 0.925)
    assert fired is not None and fired.evidence["baseline"] == 0.925
    assert (
        series_firing(trigger, "m", "1", _daily("2026-03-01", [0.5]), _ns("2026-03-01T18:00:00"), None)
        is None
    )


def test_per_feature_drift_needs_min_features_on_the_day() -> None:
    trigger = Trigger("psi", "drift", metric="psi", above=0.25, min_features=5)
    day = _ns("2026-03-01")
    four = [DailyValue(day, 0.3, feature=f"f{i}") for i in range(4)] + [DailyValue(day, 0.1, feature="f9")]
    assert series_firing(trigger, "m", "1", four, day + DAY // 2) is None
    five = [*four, DailyValue(day, 0.26, feature="f4")]
    fired = series_firing(trigger, "m", "1", five, day + DAY // 2)
    assert fired is not None and fired.evidence["days"][0]["features"] == ["f0", "f1", "f2", "f3", "f4"]


def test_only_the_listed_key_features_count() -> None:
    (trigger,) = load_triggers(
        "- {name: k, kind: drift, metric: psi, above: 0.25, min_features: 2,\n"
        "   features: [amount, age, country]}\n",
        "t.yaml",
    )
    assert trigger.features == ("amount", "age", "country")
    assert trigger.condition_text() == "psi > 0.25 on 2+ of 3 key features"
    day = _ns("2026-03-01")
    drifted = [DailyValue(day, 0.4, feature=name) for name in ("amount", "zip", "device")]
    assert series_firing(trigger, "m", "1", drifted, day + DAY // 2) is None  # one key feature only
    fired = series_firing(trigger, "m", "1", [*drifted, DailyValue(day, 0.3, feature="age")], day + DAY // 2)
    assert fired is not None and fired.evidence["days"][0]["features"] == ["age", "amount"]


def test_key_features_need_min_features_and_enough_names() -> None:
    assert _errors(
        """\
        - {name: a, kind: drift, metric: psi, above: 0.25, features: [amount]}
        - {name: b, kind: drift, metric: psi, above: 0.25, min_features: 3, features: [amount, age]}
        - {name: c, kind: drift, metric: psi, above: 0.25, min_features: 1, features: amount}
        - {name: d, kind: drift, metric: psi, above: 0.25, min_features: 1, features: []}
        """
    ) == [
        "t.yaml:1:52: features needs min_features (how many of them must drift)",
        "t.yaml:2:79: lists 2 features, fewer than min_features (3)",
        "t.yaml:3:79: expected a list of feature names",
        "t.yaml:4:79: lists 0 features, fewer than min_features (1)",
    ]


@pytest.mark.parametrize(
    ("every", "now", "due"),
    [
        ("monthly", "2026-02-14T09:59:59", None),
        ("monthly", "2026-02-14T10:00:00", "2026-02-14T10:00:00"),
        ("monthly", "2026-05-20T00:00:00", "2026-05-14T10:00:00"),
        ("quarterly", "2026-04-13T00:00:00", None),
        ("quarterly", "2026-04-14T10:00:00", "2026-04-14T10:00:00"),
    ],
)
def test_time_triggers_fire_per_period_since_first_sighting(every: str, now: str, due: str | None) -> None:
    trigger = Trigger(every, "time", every=every)
    fired = time_firing(trigger, "m", "1", _ns("2026-01-14T10:00:00"), _ns(now))
    assert (fired.episode_unix_nano if fired else None) == (_ns(due) if due else None)


def test_month_ends_clamp_and_day_periods() -> None:
    monthly = Trigger("m", "time", every="monthly")
    fired = time_firing(monthly, "m", "1", _ns("2026-01-31T00:00:00"), _ns("2026-02-28T12:00:00"))
    assert fired is not None and fired.episode_unix_nano == _ns("2026-02-28T00:00:00")
    thirty = Trigger("30d", "time", every="30d", every_days=30)
    fired = time_firing(thirty, "m", "1", _ns("2026-01-01"), _ns("2026-03-05"))
    assert fired is not None and fired.episode_unix_nano == _ns("2026-03-02")


def test_data_trigger_counts_labels_since_the_version() -> None:
    trigger = Trigger("labels", "data", new_labels=10_000)
    assert data_firing(trigger, "m", "1", 5, 9_999) is None
    fired = data_firing(trigger, "m", "1", 5, 10_000)
    assert fired is not None and fired.episode_unix_nano == 5 and fired.evidence["new_labels"] == 10_000
