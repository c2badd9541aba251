"""Statistical validity with no drift: false alarms stay at alpha, and the effect-size guard works.

Twenty features (10 numeric with different shapes, 10 categorical with 2–12 categories) are drawn
twice from the same distribution for several seeds; at alpha = 0.05 a correct two-sample test flags
each feature with probability 0.05, so the number flagged is Binomial(n_tests, 0.05) and must lie in
its central 95% interval. Every draw uses numpy's default_rng with a fixed seed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from scipy import stats

from processors.drift.stats import (
    MIN_JENSEN_SHANNON,
    MIN_NORMED_WASSERSTEIN,
    align_counts,
    category_jensen_shannon,
    chi2_homogeneity,
    is_drift,
    ks_test,
    normed_wasserstein,
    psi_from_samples,
)

ALPHA = 0.05
SEEDS = range(20)
NUMERIC_FEATURES: list[Callable[[np.random.Generator, int], np.ndarray]] = [
    lambda rng, n: rng.normal(0.0, 1.0, n),
    lambda rng, n: rng.normal(50.0, 12.0, n),
    lambda rng, n: rng.lognormal(0.0, 1.0, n),
    lambda rng, n: rng.uniform(-3.0, 7.0, n),
    lambda rng, n: rng.exponential(2.0, n),
    lambda rng, n: rng.standard_t(3, n),
    lambda rng, n: rng.gamma(2.0, 3.0, n),
    lambda rng, n: rng.beta(0.5, 0.5, n),
    lambda rng, n: np.where(rng.uniform(size=n) < 0.3, rng.normal(-2.0, 0.5, n), rng.normal(1.0, 1.0, n)),
    lambda rng, n: rng.weibull(1.5, n),
]
CATEGORY_SHARES = [
    0.8 * shares + 0.2 / shares.size
    for shares in (
        np.random.default_rng(1000 + k).dirichlet(np.ones(k)) for k in (2, 2, 3, 4, 5, 6, 8, 9, 10, 12)
    )
]


def categorical_sample(rng: np.random.Generator, shares: np.ndarray, n: int) -> dict[int, int]:
    return dict(enumerate(rng.multinomial(n, shares).tolist()))


def false_alarms(rows: int) -> tuple[int, int]:
    """Features flagged at ALPHA with no drift, and the number of tests run."""
    flagged = tests = 0
    for seed in SEEDS:
        rng = np.random.default_rng([seed, rows])
        for draw in NUMERIC_FEATURES:
            flagged += ks_test(draw(rng, rows), draw(rng, rows)).p_value < ALPHA
            tests += 1
        for shares in CATEGORY_SHARES:
            counts = align_counts(
                categorical_sample(rng, shares, rows), categorical_sample(rng, shares, rows)
            )
            flagged += chi2_homogeneity(counts).p_value < ALPHA
            tests += 1
    return flagged, tests


@pytest.mark.parametrize("rows", [800, 100_000])
def test_false_alarm_share_without_drift_is_within_the_binomial_band(rows):
    flagged, tests = false_alarms(rows)
    low, high = stats.binom.interval(0.95, tests, ALPHA)
    assert tests == 20 * len(SEEDS)
    assert low <= flagged <= high, f"{flagged}/{tests} flagged at {rows} rows, 95% band [{low}, {high}]"


def test_effect_size_guard_ignores_a_tiny_numeric_shift_on_a_large_sample():
    # +0.03 reference sigma: KS detects it at 100,000 rows (a +0.01 sigma shift needs ~10^6 rows).
    rows = 100_000
    for index, draw in enumerate(NUMERIC_FEATURES):
        rng = np.random.default_rng([2024, index])
        reference = draw(rng, rows)
        current = draw(rng, rows) + 0.03 * reference.std()
        p_value = ks_test(reference, current).p_value
        effect = normed_wasserstein(reference, current)
        assert p_value < ALPHA, f"feature {index}: shift not significant (p = {p_value})"
        assert effect < MIN_NORMED_WASSERSTEIN
        assert psi_from_samples(reference, current).value < 0.1
        assert not is_drift(p_value, effect, alpha=ALPHA, min_effect=MIN_NORMED_WASSERSTEIN)
        assert is_drift(p_value, effect, alpha=ALPHA, min_effect=0.0)


def test_effect_size_guard_ignores_a_tiny_categorical_shift_on_a_large_sample():
    rows = 100_000
    for index, shares in enumerate(CATEGORY_SHARES):
        rng = np.random.default_rng([4048, index])
        shifted = shares.copy()
        shifted[np.argmax(shares)] -= 0.01  # one percentage point moves to the rarest category
        shifted[np.argmin(shares)] += 0.01
        counts = align_counts(categorical_sample(rng, shares, rows), categorical_sample(rng, shifted, rows))
        p_value = chi2_homogeneity(counts).p_value
        effect = category_jensen_shannon(counts)
        assert p_value < ALPHA, f"feature {index}: shift not significant (p = {p_value})"
        assert effect < MIN_JENSEN_SHANNON
        assert not is_drift(p_value, effect, alpha=ALPHA, min_effect=MIN_JENSEN_SHANNON)
