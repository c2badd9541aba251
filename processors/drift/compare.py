"""Comparing one column of a baseline with the same column of a window.

Reads: a ``FeatureProfile`` and a ``NumericWindow`` / ``CategoricalWindow`` passed in. Writes:
nothing (pure). Config: none (``epsilon`` is a parameter).

Numeric: KS and normed Wasserstein between the baseline's reservoir and the window's sample; PSI
and Jensen–Shannon over the baseline's bins with all current values; mean shift and variance ratio
from the moments. Categorical: the window's counts mapped onto the baseline's buckets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from processors.drift.profile import OTHER_CATEGORY, FeatureProfile
from processors.drift.stats import WASSERSTEIN_STD_FLOOR, jensen_shannon_distance, psi
from processors.drift.window import CategoricalWindow, NumericWindow

# Current labels absent from a baseline that counted every category it saw (no "other" bucket).
UNLISTED_NEW = "__unlisted_new__"


@dataclass(frozen=True)
class NumericComparison:
    """A numeric column (feature, predicted value or confidence): baseline against window."""

    ks_statistic: float
    ks_p_value: float
    psi: float
    jensen_shannon: float
    normed_wasserstein: float
    mean_shift: float
    variance_ratio: float
    baseline_mean: float
    current_mean: float
    out_of_range_share: float
    samples: int


def compare_numeric(profile: FeatureProfile, window: NumericWindow, epsilon: float) -> NumericComparison:
    """Every numeric statistic of one column; ``profile.numeric`` must be set."""
    summary = profile.numeric
    assert summary is not None
    moments = summary.moments
    reference = np.asarray(profile.reservoir, dtype=np.float64)  # a numeric reservoir holds only numbers
    reference = reference[np.isfinite(reference)]
    current = np.asarray(window.sample, dtype=np.float64)
    ks = stats.ks_2samp(reference, current)
    wasserstein = float(stats.wasserstein_distance(reference, current))
    difference = window.mean - moments.mean
    return NumericComparison(
        ks_statistic=float(ks.statistic),
        ks_p_value=float(ks.pvalue),
        psi=psi(summary.bin_shares, window.bin_counts, epsilon=epsilon),
        jensen_shannon=jensen_shannon_distance(summary.bin_shares, window.bin_counts),
        normed_wasserstein=wasserstein / max(moments.std, WASSERSTEIN_STD_FLOOR),
        mean_shift=_ratio(difference, moments.std),
        variance_ratio=_ratio(window.variance, moments.std**2, equal=1.0),
        baseline_mean=moments.mean,
        current_mean=window.mean,
        out_of_range_share=window.out_of_range / window.present,
        samples=window.present,
    )


def baseline_category_counts(profile: FeatureProfile) -> dict[str, int]:
    """The baseline's top-k counts plus ``OTHER_CATEGORY`` for the rest."""
    assert profile.categories is not None
    counts = dict(profile.categories.top)
    if profile.categories.other:
        counts[OTHER_CATEGORY] = profile.categories.other
    return counts


def current_category_counts(profile: FeatureProfile, window: CategoricalWindow) -> tuple[dict[str, int], int]:
    """Window counts over the baseline's buckets, and how many distinct labels are new.

    A label outside the baseline's top-k falls into ``OTHER_CATEGORY`` when the baseline had an
    "other" bucket (it cannot be told apart from the baseline's rare labels); otherwise it is a new
    category and keeps its own column. Labels the window did not list (``window.other``) go to the
    same place, or to ``UNLISTED_NEW``.
    """
    assert profile.categories is not None
    known = dict(profile.categories.top)
    has_other = profile.categories.other > 0
    counts: dict[str, int] = {}
    new = 0
    for label, count in window.counts.items():
        if label in known:
            counts[label] = counts.get(label, 0) + count
        elif has_other:
            counts[OTHER_CATEGORY] = counts.get(OTHER_CATEGORY, 0) + count
        else:
            counts[label] = count
            new += 1
    if window.other:
        bucket = OTHER_CATEGORY if has_other else UNLISTED_NEW
        counts[bucket] = counts.get(bucket, 0) + window.other
        if not has_other:
            new += max(window.distinct - len(window.counts), 1)
    return counts, new


def _ratio(numerator: float, denominator: float, *, equal: float = 0.0) -> float:
    """numerator / denominator; a zero denominator gives ``equal`` for a zero numerator, else ±inf."""
    if denominator == 0.0:
        return equal if numerator == 0.0 else math.copysign(math.inf, numerator)
    return numerator / denominator
