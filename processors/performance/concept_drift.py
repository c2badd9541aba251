"""Concept drift: is a model's windowed performance declining, suddenly or gradually, beyond its usual cycles?

Reads: a performance series (window start times and values, e.g. hourly accuracy from ``ml_performance``),
the metric's baseline and direction, and the evaluation time. Writes: a frozen ``ConceptDrift``.
Config keys (passed in by the gateway): ``performance.concept_drift.{span, min_drop, min_evidence}``.

1. Recurring patterns. Points older than the analysis span are the history. When it covers a week, each
   point's phase is its hour-of-week (its slot in the week, at the window length); with a day, its
   hour-of-day. The seasonal profile is each phase's mean minus the history's mean, and it is subtracted
   from every point: a night-time or weekend dip that also happened in earlier weeks cancels out.
2. Change models on the deseasonalised points of the analysis span (the last ``span``):
   - no change: one level;
   - sudden: a step, level a before point k and b after it;
   - gradual: a hinge, level a until point k, then a straight decline.
   Each is fitted by least squares at every k (at least ``min_segment`` points on each side of a step,
   after a hinge) and scored by BIC, n·ln(RSS/n) + p·ln(n). A change is reported when the better of step
   and hinge beats "no change" by ``min_evidence`` BIC units AND the fitted decline (a − b, or the
   hinge's fall to the last point) is at least ``min_drop`` in the metric's unit. Step vs hinge decides
   sudden vs gradual: a step fits a flat lower level, a hinge a continuing slide.
3. ``recurring`` is True when the raw series would have been flagged but the deseasonalised one is not:
   the decline is a pattern seen before, not drift.
Lower-is-better metrics (MAE) are negated first, so "decline" always means worse.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

DAY_NS = 86_400 * 10**9
WEEK_NS = 7 * DAY_NS
Kind = Literal["none", "sudden", "gradual"]
KINDS: tuple[Kind, ...] = ("sudden", "gradual")


@dataclass(frozen=True)
class DriftSettings:
    span_ns: int = 3 * DAY_NS  # the analysis span: the last points searched for a change
    min_drop: float = 0.03  # smallest decline worth reporting, in the metric's unit
    min_evidence: float = 10.0  # BIC units the change model must beat "no change" by
    min_segment: int = 3  # points on each side of a step / after the hinge


@dataclass(frozen=True)
class ConceptDrift:
    """The verdict over the analysis span. ``drop`` is in the metric's unit, positive = worse."""

    kind: Kind
    drop: float
    recurring: bool
    seasonality: str  # weekly | daily | none
    change_at_unix_nano: int | None  # the first point after the step, or the hinge
    reference: float  # the level before the change (deseasonalised), or the baseline
    current: float  # the fitted level at the last point
    evidence: float  # BIC units by which the chosen change model beats "no change"
    points: int  # points in the analysis span

    def as_details(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "drop": self.drop,
            "recurring": self.recurring,
            "seasonality": self.seasonality,
            "change_at_unix_nano": self.change_at_unix_nano,
            "reference": self.reference,
            "current": self.current,
            "evidence": self.evidence,
            "points": self.points,
        }


@dataclass(frozen=True)
class _Fit:
    kind: Kind
    rss: float
    index: int
    drop: float
    start_level: float
    end_level: float


def detect(
    starts: ArrayLike,
    values: ArrayLike,
    now_unix_nano: int,
    window_ns: int,
    baseline: float,
    higher_is_better: bool = True,
    settings: DriftSettings = DriftSettings(),
) -> ConceptDrift:
    """Concept drift of a series of window values (``starts`` in ns since the epoch, any order)."""
    times = np.asarray(starts, dtype=np.int64)
    series = np.asarray(values, dtype=np.float64)
    if times.shape != series.shape or times.ndim != 1:
        raise ValueError(
            f"starts and values must be 1-D of equal length, got {times.shape} and {series.shape}"
        )
    if window_ns <= 0:
        raise ValueError(f"window_ns must be positive, got {window_ns}")
    keep = np.isfinite(series)
    order = np.argsort(times[keep], kind="stable")
    times, series = times[keep][order], series[keep][order]
    sign = 1.0 if higher_is_better else -1.0
    oriented = sign * series
    recent = times >= now_unix_nano - settings.span_ns
    seasonality, profile = _seasonal_profile(times[~recent], oriented[~recent], times[recent], window_ns)
    adjusted = oriented[recent] - profile
    reference = (
        float(np.mean(oriented[~recent])) if np.sum(~recent) >= 2 * settings.min_segment else sign * baseline
    )
    verdict = _change(times[recent], adjusted, settings)
    raw = _change(times[recent], oriented[recent], settings) if seasonality != "none" else verdict
    recurring = raw is not None and verdict is None
    if verdict is None:
        current = float(np.mean(adjusted)) if adjusted.size else reference
        return ConceptDrift(
            "none",
            0.0,
            recurring,
            seasonality,
            None,
            sign * reference,
            sign * current,
            0.0,
            int(adjusted.size),
        )
    fit, evidence = verdict
    change_at = int(times[recent][fit.index])
    return ConceptDrift(
        kind=fit.kind,
        drop=fit.drop,
        recurring=False,
        seasonality=seasonality,
        change_at_unix_nano=change_at,
        reference=sign * fit.start_level,
        current=sign * fit.end_level,
        evidence=evidence,
        points=int(adjusted.size),
    )


def _seasonal_profile(
    history_times: NDArray[np.int64], history: NDArray[np.float64], times: NDArray[np.int64], window_ns: int
) -> tuple[str, NDArray[np.float64]]:
    """The seasonal offset of each of ``times`` learnt from the history, and which period was used."""
    if history.size == 0:
        return "none", np.zeros(times.size)
    covered = int(history_times[-1] - history_times[0]) + window_ns
    for name, period in (("weekly", WEEK_NS), ("daily", DAY_NS)):
        if covered >= period and period > window_ns:
            slots = period // window_ns
            history_phase = (history_times % period) // window_ns
            level = float(np.mean(history))
            sums = np.bincount(history_phase, weights=history, minlength=slots)
            counts = np.bincount(history_phase, minlength=slots)
            offsets = np.where(counts > 0, sums / np.maximum(counts, 1) - level, 0.0)
            return name, offsets[(times % period) // window_ns]
    return "none", np.zeros(times.size)


def _change(
    times: NDArray[np.int64], values: NDArray[np.float64], settings: DriftSettings
) -> tuple[_Fit, float] | None:
    """The best decline model when it is both convincing and large enough, with its BIC evidence."""
    n = values.size
    m = settings.min_segment
    if n < 2 * m + 1:
        return None
    rss0 = float(np.sum((values - values.mean()) ** 2))
    x = (times - times[0]).astype(np.float64) / DAY_NS
    candidates = [fit for fit in (_best_step(values, m), _best_hinge(x, values, m)) if fit is not None]
    declines = [fit for fit in candidates if fit.drop > 0]
    if not declines:
        return None
    best = min(declines, key=lambda fit: fit.rss)
    evidence = _bic(rss0, n, 1) - _bic(best.rss, n, 3)
    if evidence < settings.min_evidence or best.drop < settings.min_drop:
        return None
    return best, evidence


def _bic(rss: float, n: int, parameters: int) -> float:
    return n * math.log(max(rss, 1e-300) / n) + parameters * math.log(n)


def _best_step(values: NDArray[np.float64], m: int) -> _Fit | None:
    n = values.size
    cumulative = np.concatenate([[0.0], np.cumsum(values)])
    total_sq = float(np.sum(values**2))
    best: _Fit | None = None
    for k in range(m, n - m + 1):
        before, after = cumulative[k] / k, (cumulative[n] - cumulative[k]) / (n - k)
        rss = total_sq - k * before**2 - (n - k) * after**2
        if best is None or rss < best.rss:
            best = _Fit("sudden", max(rss, 0.0), k, before - after, before, after)
    return best


def _best_hinge(x: NDArray[np.float64], values: NDArray[np.float64], m: int) -> _Fit | None:
    n = values.size
    best: _Fit | None = None
    for k in range(0, n - m):
        ramp = np.maximum(0.0, x - x[k])
        design = np.column_stack([np.ones(n), ramp])
        coefficients, *_ = np.linalg.lstsq(design, values, rcond=None)
        level, slope = float(coefficients[0]), float(coefficients[1])
        rss = float(np.sum((values - design @ coefficients) ** 2))
        end = level + slope * float(ramp[-1])
        if best is None or rss < best.rss:
            best = _Fit("gradual", rss, k, level - end, level, end)
    return best
