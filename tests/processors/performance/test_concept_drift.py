"""Concept drift on synthetic hourly accuracy series with a known truth: sudden, gradual, recurring."""

from __future__ import annotations

import numpy as np
import pytest

from processors.performance.concept_drift import DAY_NS, DriftSettings, detect

HOUR_NS = 3600 * 10**9
NOW = 1_700_006_400 * 10**9 - (1_700_006_400 * 10**9) % DAY_NS + 5 * HOUR_NS  # 05:00 UTC, a Wednesday
WEEKS = 3


SATURDAY_EVENING = NOW + 3 * DAY_NS + 15 * HOUR_NS  # 20:00 UTC


def _series(
    rng: np.random.Generator, change=None, cycle: bool = True, now: int = NOW, weekend: float = 0.02
) -> tuple[np.ndarray, np.ndarray]:
    """Hourly windows over three weeks up to ``now``: 0.945, minus 0.04 at night (00-06 UTC) and
    ``weekend`` on Saturdays and Sundays when ``cycle``, binomial-like noise (sd 0.008), plus
    ``change(hours_before_now)``."""
    starts = np.arange(now - WEEKS * 7 * DAY_NS, now, HOUR_NS, dtype=np.int64)
    hour = (starts % DAY_NS) // HOUR_NS
    weekday = ((starts // DAY_NS) + 3) % 7  # 1970-01-01 was a Thursday: 0 = Monday
    values = np.full(starts.size, 0.945)
    if cycle:
        values -= np.where(hour < 6, 0.04, 0.0) + np.where(weekday >= 5, weekend, 0.0)
    values += rng.normal(0.0, 0.008, starts.size)
    if change is not None:
        values += change((now - starts) / HOUR_NS)
    return starts, values


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("cycle", [True, False])
def test_a_sudden_drop_is_sudden(seed: int, cycle: bool) -> None:
    starts, values = _series(np.random.default_rng(seed), lambda age: np.where(age <= 30, -0.08, 0.0), cycle)
    drift = detect(starts, values, NOW, HOUR_NS, baseline=0.945)
    assert drift.kind == "sudden"
    assert drift.drop == pytest.approx(0.08, abs=0.015)
    assert abs(drift.change_at_unix_nano - (NOW - 30 * HOUR_NS)) <= 2 * HOUR_NS
    assert drift.seasonality == "weekly"


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("cycle", [True, False])
def test_a_gradual_decline_is_gradual(seed: int, cycle: bool) -> None:
    # 0.08 lost over the last 60 hours, linearly
    starts, values = _series(
        np.random.default_rng(100 + seed), lambda age: -0.08 * np.clip(1 - age / 60, 0, 1), cycle
    )
    drift = detect(starts, values, NOW, HOUR_NS, baseline=0.945)
    assert drift.kind == "gradual"
    assert drift.drop == pytest.approx(0.08, abs=0.02)


@pytest.mark.parametrize("seed", range(5))
def test_a_daily_and_weekly_cycle_is_not_drift(seed: int) -> None:
    starts, values = _series(np.random.default_rng(200 + seed))
    drift = detect(starts, values, NOW, HOUR_NS, baseline=0.945)
    assert drift.kind == "none"
    assert drift.seasonality == "weekly"


@pytest.mark.parametrize("seed", range(5))
def test_a_weekend_dip_seen_in_earlier_weeks_is_recurring_not_drift(seed: int) -> None:
    now = SATURDAY_EVENING
    starts, values = _series(np.random.default_rng(400 + seed), now=now, weekend=0.06)
    drift = detect(starts, values, now, HOUR_NS, baseline=0.945)
    assert drift.kind == "none"
    assert drift.recurring  # the raw series drops on Saturday; the earlier weekends explain it
    without_history = detect(starts[-72:], values[-72:], now, HOUR_NS, baseline=0.945)
    assert without_history.kind == "sudden" and not without_history.recurring


def test_noise_alone_is_not_drift() -> None:
    flagged = 0
    for seed in range(20):
        starts, values = _series(np.random.default_rng(300 + seed), cycle=False)
        flagged += detect(starts, values, NOW, HOUR_NS, baseline=0.945).kind != "none"
    assert flagged == 0


def test_a_small_decline_below_min_drop_is_not_reported() -> None:
    starts, values = _series(
        np.random.default_rng(7), lambda age: np.where(age <= 30, -0.02, 0.0), cycle=False
    )
    assert detect(starts, values, NOW, HOUR_NS, baseline=0.945).kind == "none"
    strict = DriftSettings(min_drop=0.01)
    assert detect(starts, values, NOW, HOUR_NS, baseline=0.945, settings=strict).kind == "sudden"


def test_lower_is_better_metrics_are_oriented() -> None:
    rng = np.random.default_rng(9)
    starts, values = _series(rng, lambda age: np.where(age <= 30, -0.08, 0.0), cycle=False)
    mae = 1.0 - values  # MAE rises when accuracy falls
    drift = detect(starts, mae, NOW, HOUR_NS, baseline=0.055, higher_is_better=False)
    assert drift.kind == "sudden"
    assert drift.current > drift.reference
    improved = detect(starts, values, NOW, HOUR_NS, baseline=0.945, higher_is_better=False)
    assert improved.kind == "none"  # accuracy falling is an improvement for a lower-is-better metric


def test_bad_input_is_rejected() -> None:
    with pytest.raises(ValueError, match="equal length"):
        detect([1, 2], [0.9], NOW, HOUR_NS, baseline=0.9)
    with pytest.raises(ValueError, match="window_ns"):
        detect([1], [0.9], NOW, 0, baseline=0.9)


def test_too_few_points_is_no_verdict() -> None:
    drift = detect([NOW - HOUR_NS], [0.5], NOW, HOUR_NS, baseline=0.945)
    assert drift.kind == "none" and drift.points == 1
