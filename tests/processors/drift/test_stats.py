from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from processors.drift.stats import (
    align_counts,
    benjamini_hochberg,
    bin_counts,
    binned_jensen_shannon,
    bonferroni,
    cardinality_change,
    categorical_drift,
    category_jensen_shannon,
    category_psi,
    chi2_homogeneity,
    class_distribution_drift,
    count_categories,
    is_drift,
    jensen_shannon_distance,
    ks_test,
    mean_shift,
    missing_rate,
    new_categories,
    normed_wasserstein,
    numeric_drift,
    out_of_range_share,
    output_value_drift,
    psi,
    psi_band,
    psi_from_samples,
    quantile_bin_edges,
    variance_ratio,
)

REFERENCE_VALUES = json.loads((Path(__file__).parent / "testdata" / "reference_values.json").read_text())
SHARE_CASES = REFERENCE_VALUES["share_cases"]
SAMPLE_CASES = REFERENCE_VALUES["sample_cases"]


def random_shares(rng: np.random.Generator, k: int) -> np.ndarray:
    return rng.dirichlet(np.ones(k))


# --- PSI --------------------------------------------------------------------------------------


@pytest.mark.parametrize("shares", [[1.0], [0.5, 0.5], [0.7, 0.0, 0.3], [0.0, 0.0, 1.0], [3, 5, 0, 9]])
def test_psi_of_identical_shares_is_exactly_zero(shares):
    assert psi(shares, shares) == 0.0


def test_psi_is_non_negative_symmetric_and_scale_free():
    rng = np.random.default_rng(7)
    for _ in range(200):
        k = int(rng.integers(2, 12))
        p, q = random_shares(rng, k), random_shares(rng, k)
        q[rng.integers(k)] = 0.0  # an empty bin
        value = psi(p, q)
        assert value >= 0.0
        # (a - e) ln(a / e) is unchanged by swapping a and e, so PSI is symmetric.
        assert psi(q, p) == pytest.approx(value, rel=1e-12)
        assert psi(p * 1000, q * 37) == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize("case", SHARE_CASES, ids=lambda case: case["name"])
def test_psi_matches_independent_implementation(case):
    assert psi(case["expected"], case["actual"], epsilon=case["epsilon"]) == pytest.approx(
        case["psi"], rel=1e-12
    )


def test_psi_empty_bin_adjustment_is_exactly_as_documented():
    expected, actual, epsilon = np.array([0.5, 0.5, 0.0]), np.array([0.25, 0.25, 0.5]), 1e-4
    e = (expected + epsilon) / (1 + 3 * epsilon)
    a = (actual + epsilon) / (1 + 3 * epsilon)
    oracle = float(np.sum((a - e) * np.log(a / e)))
    assert psi(expected, actual, epsilon=epsilon) == pytest.approx(oracle, rel=1e-14)
    assert psi(expected, actual, epsilon=1e-2) < psi(expected, actual, epsilon=1e-6)


@pytest.mark.parametrize(
    ("expected", "actual", "kwargs", "message"),
    [
        ([0.5, 0.5], [1.0], {}, "differ in number"),
        ([0.5, -0.5], [0.5, 0.5], {}, "non-negative"),
        ([0.0, 0.0], [0.5, 0.5], {}, "no observations"),
        ([], [], {}, "non-empty"),
        ([0.5, 0.5], [0.5, math.nan], {}, "finite"),
        ([0.5, 0.5], [0.5, 0.5], {"epsilon": 0.0}, "epsilon"),
    ],
)
def test_psi_rejects_invalid_input(expected, actual, kwargs, message):
    with pytest.raises(ValueError, match=message):
        psi(expected, actual, **kwargs)


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (0.0, "none"),
        (0.0999, "none"),
        (0.1, "small"),
        (0.15, "small"),
        (0.2, "small"),
        (0.2001, "significant"),
    ],
)
def test_psi_band(value, band):
    assert psi_band(value) == band


@pytest.mark.parametrize("value", [-0.01, math.nan, math.inf])
def test_psi_band_rejects_invalid_values(value):
    with pytest.raises(ValueError, match="PSI"):
        psi_band(value)


@pytest.mark.parametrize("case", SAMPLE_CASES, ids=lambda case: case["name"])
def test_psi_from_samples_matches_independent_implementation(case):
    result = psi_from_samples(case["reference"], case["current"], case["bins"])
    assert result.edges == pytest.approx(case["edges"], rel=1e-15)
    assert result.value == pytest.approx(case["psi"], rel=1e-12)
    assert result.band == psi_band(case["psi"])


def test_quantile_edges_are_reference_deciles_with_duplicates_collapsed():
    reference = np.arange(101, dtype=float)
    np.testing.assert_array_equal(quantile_bin_edges(reference), np.arange(10, 100, 10))
    ties = [0.0] * 50 + [1.0] * 30 + [2.0] * 20
    # Linear interpolation between tied runs gives 0.5 and 1.2; the repeated 0s, 1s and 2s collapse.
    np.testing.assert_allclose(quantile_bin_edges(ties), [0.0, 0.5, 1.0, 1.2, 2.0], rtol=1e-14)
    np.testing.assert_array_equal(quantile_bin_edges([4.0] * 10), [4.0])
    np.testing.assert_array_equal(quantile_bin_edges(reference, 4), [25.0, 50.0, 75.0])


@pytest.mark.parametrize("bins", [1, 0, 2.5, True])
def test_quantile_edges_reject_bad_bin_counts(bins):
    with pytest.raises(ValueError, match="bins"):
        quantile_bin_edges([1.0, 2.0, 3.0], bins)


def test_bins_are_right_closed_and_open_ended():
    counts = bin_counts([-1e300, 1.0, 1.5, 2.0, 2.5, 1e300, math.nan, math.inf], [1.0, 2.0])
    # (-inf, 1]: -1e300, 1.0 | (1, 2]: 1.5, 2.0 | (2, inf): 2.5, 1e300; NaN and inf are missing.
    np.testing.assert_array_equal(counts, [2, 2, 2])


@pytest.mark.parametrize("edge_count", [9, 64, 65, 200])
def test_bin_counts_match_numpy_histogram_on_both_counting_paths(edge_count):
    # Up to 64 edges bin_counts counts per edge, past that it binary-searches; both must give the
    # right-closed bins of np.histogram on the reflected axis (histogram bins are left-closed).
    rng = np.random.default_rng(edge_count)
    values = rng.normal(size=5000).round(1)  # rounded: many values sit exactly on an edge
    edges = np.unique(np.quantile(values, np.linspace(0, 1, edge_count + 2)[1:-1]))
    outer = [-np.inf, *(-edges[::-1]), np.inf]
    oracle = np.histogram(-values, bins=outer)[0][::-1]
    np.testing.assert_array_equal(bin_counts(values, edges), oracle)


def test_psi_from_samples_constant_reference_and_missing_values():
    result = psi_from_samples([3.0] * 20 + [math.nan], [3.0] * 10 + [4.0] * 10)
    assert result.edges == (3.0,)
    assert result.expected_shares == (1.0, 0.0)
    assert result.actual_shares == (0.5, 0.5)
    assert result.value == pytest.approx(psi([1.0, 0.0], [0.5, 0.5]))
    assert psi_from_samples([1.0, 2.0, 3.0], [2.0, 1.0, 3.0]).value == 0.0


@pytest.mark.parametrize(("reference", "current"), [([], [1.0]), ([1.0], [math.nan]), ([math.inf], [1.0])])
def test_psi_from_samples_rejects_samples_without_values(reference, current):
    with pytest.raises(ValueError, match="no finite values"):
        psi_from_samples(reference, current)


# --- Jensen–Shannon -------------------------------------------------------------------------


def test_jensen_shannon_matches_scipy_base_2():
    rng = np.random.default_rng(11)
    for _ in range(200):
        k = int(rng.integers(1, 15))
        p, q = random_shares(rng, k), random_shares(rng, k)
        if k > 1:
            p[0] = 0.0
        value = jensen_shannon_distance(p, q)
        assert value == pytest.approx(float(jensenshannon(p, q, base=2)), abs=1e-12)
        assert 0.0 <= value <= 1.0


def test_jensen_shannon_extremes():
    assert jensen_shannon_distance([0.2, 0.8], [0.2, 0.8]) == 0.0
    assert jensen_shannon_distance([1.0, 0.0], [0.0, 1.0]) == 1.0
    assert jensen_shannon_distance([2, 0, 1], [0, 5, 0]) == 1.0


@pytest.mark.parametrize("case", SHARE_CASES, ids=lambda case: case["name"])
def test_jensen_shannon_matches_independent_implementation(case):
    value = jensen_shannon_distance(case["expected"], case["actual"])
    assert value == pytest.approx(case["jensen_shannon"], rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("case", SAMPLE_CASES, ids=lambda case: case["name"])
def test_binned_jensen_shannon_matches_independent_implementation_and_scipy(case):
    value = binned_jensen_shannon(case["reference"], case["current"], case["bins"])
    assert value == pytest.approx(case["jensen_shannon_binned"], rel=1e-12)
    edges = quantile_bin_edges(case["reference"])
    expected, actual = bin_counts(case["reference"], edges), bin_counts(case["current"], edges)
    assert value == pytest.approx(float(jensenshannon(expected, actual, base=2)), abs=1e-12)


# --- numeric --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n_reference", "n_current", "shift"), [(30, 40, 0.0), (800, 800, 0.2), (20_000, 5_000, 0.05)]
)
def test_ks_matches_scipy(n_reference, n_current, shift):
    rng = np.random.default_rng(n_reference)
    reference, current = rng.normal(size=n_reference), rng.normal(shift, size=n_current)
    oracle = stats.ks_2samp(reference, current)
    result = ks_test(reference, current)
    assert result.statistic == pytest.approx(float(oracle.statistic), abs=1e-15)
    assert result.p_value == pytest.approx(float(oracle.pvalue), rel=1e-12)


def test_ks_ignores_missing_values():
    rng = np.random.default_rng(3)
    reference, current = rng.normal(size=200), rng.normal(size=150)
    with_missing = np.r_[current, [np.nan, np.inf, -np.inf]]
    assert ks_test(reference, with_missing) == ks_test(reference, current)


@pytest.mark.parametrize("case", SAMPLE_CASES, ids=lambda case: case["name"])
def test_normed_wasserstein_matches_scipy_and_independent_implementation(case):
    reference, current = np.array(case["reference"]), np.array(case["current"])
    value = normed_wasserstein(reference, current)
    assert value == pytest.approx(
        stats.wasserstein_distance(reference, current) / np.std(reference), rel=1e-12
    )
    assert value == pytest.approx(case["normed_wasserstein"], rel=1e-9)


def test_normed_wasserstein_floors_the_reference_deviation():
    assert normed_wasserstein([2.0] * 5, [2.0, 3.0]) == pytest.approx(0.5 / 1e-3)
    assert normed_wasserstein([2.0] * 5, [2.0] * 3) == 0.0


def test_mean_shift_and_variance_ratio_match_numpy():
    rng = np.random.default_rng(5)
    reference, current = rng.normal(10, 2, size=1000), rng.normal(11, 3, size=700)
    assert mean_shift(reference, current) == pytest.approx(
        (current.mean() - reference.mean()) / reference.std(), rel=1e-12
    )
    assert variance_ratio(reference, current) == pytest.approx(current.var() / reference.var(), rel=1e-12)
    assert mean_shift(current, reference) < 0


def test_mean_shift_and_variance_ratio_of_constant_reference():
    assert mean_shift([1.0, 1.0], [1.0]) == 0.0
    assert mean_shift([1.0, 1.0], [0.0, 1.0]) == -math.inf
    assert mean_shift([1.0, 1.0], [2.0]) == math.inf
    assert variance_ratio([1.0, 1.0], [5.0]) == 1.0
    assert variance_ratio([1.0, 1.0], [0.0, 1.0]) == math.inf


def test_missing_rate():
    assert missing_rate([1.0, math.nan, None, math.inf]) == 0.75
    assert missing_rate(np.array([1.0, 2.0])) == 0.0
    with pytest.raises(ValueError, match="empty"):
        missing_rate([])


def test_out_of_range_share():
    assert out_of_range_share([0.0, 5.0, 10.0], [-1.0, 0.0, 10.0, 10.5, math.nan]) == 0.5
    assert out_of_range_share([0.0, 10.0], [3.0]) == 0.0


def test_numeric_drift_bundles_every_statistic():
    rng = np.random.default_rng(9)
    reference = np.r_[rng.normal(size=500), [np.nan] * 5]
    current = rng.normal(0.5, 1.5, size=400)
    drift = numeric_drift(reference, current)
    finite = reference[np.isfinite(reference)]
    assert drift.ks_p_value == stats.ks_2samp(finite, current).pvalue
    assert drift.psi == psi_from_samples(reference, current).value
    assert drift.normed_wasserstein == normed_wasserstein(reference, current)
    assert drift.jensen_shannon == binned_jensen_shannon(reference, current)
    assert drift.mean_shift == mean_shift(reference, current)
    assert drift.variance_ratio == variance_ratio(reference, current)
    assert drift.missing_rate_reference == pytest.approx(5 / 505)
    assert drift.missing_rate_current == 0.0
    assert drift.out_of_range_share == out_of_range_share(reference, current)
    with pytest.raises(dataclasses.FrozenInstanceError):
        drift.psi = 0.0  # type: ignore[misc]


# --- categorical ----------------------------------------------------------------------------


def test_count_categories_aligns_unseen_categories_and_skips_missing():
    counts = count_categories(["a", "b", "a", None, "c"], ["b", "d", "d", math.nan, "a"])
    assert counts.categories == ("a", "b", "c", "d")
    assert counts.reference == (2, 1, 1, 0)
    assert counts.current == (1, 1, 0, 2)
    assert new_categories(counts) == ("d",)
    cardinality = cardinality_change(counts)
    assert (cardinality.reference, cardinality.current, cardinality.change) == (3, 3, 0)


def test_align_counts_from_aggregates():
    counts = align_counts({"x": 10, "y": 0, "z": 5}, {"x": 3, "w": 4})
    assert counts.categories == ("x", "z", "w")  # "y" has no observation on either side
    assert (counts.reference, counts.current) == ((10, 5, 0), (3, 0, 4))
    assert (counts.reference_total, counts.current_total) == (15, 7)
    assert cardinality_change(counts).change == 0


@pytest.mark.parametrize(
    ("reference", "current", "message"),
    [({"x": -1, "y": 3}, {"x": 1}, "non-negative integers"), ({"x": 0}, {"x": 1}, "no observations")],
)
def test_align_counts_rejects_invalid_counts(reference, current, message):
    with pytest.raises(ValueError, match=message):
        align_counts(reference, current)


def test_chi2_is_the_two_sample_contingency_test():
    rng = np.random.default_rng(13)
    for _ in range(50):
        k = int(rng.integers(2, 9))
        reference = rng.multinomial(int(rng.integers(50, 5000)), random_shares(rng, k) * 0.9 + 0.1 / k)
        current = rng.multinomial(int(rng.integers(50, 5000)), random_shares(rng, k) * 0.9 + 0.1 / k)
        counts = align_counts(dict(enumerate(reference)), dict(enumerate(current)))
        table = np.array([counts.reference, counts.current])
        oracle = stats.chi2_contingency(table, correction=False)
        result = chi2_homogeneity(counts)
        assert result.statistic == pytest.approx(float(oracle.statistic), rel=1e-12)
        assert result.p_value == pytest.approx(float(oracle.pvalue), rel=1e-9, abs=1e-300)
        assert result.dof == oracle.dof == len(counts.categories) - 1


def test_chi2_differs_from_goodness_of_fit_on_the_reference_shares():
    counts = align_counts({"a": 400, "b": 400}, {"a": 440, "b": 360})
    two_sample = chi2_homogeneity(counts)
    goodness_of_fit = stats.chisquare([440, 360], f_exp=[400, 400])
    # Treating the reference shares as exact overstates the evidence: about twice the statistic here.
    assert two_sample.statistic == pytest.approx(goodness_of_fit.statistic / 2, rel=0.01)
    assert two_sample.p_value > goodness_of_fit.pvalue


def test_chi2_with_unseen_categories_and_a_single_category():
    counts = count_categories(["a"] * 50 + ["b"] * 50, ["a"] * 40 + ["b"] * 40 + ["new"] * 20)
    oracle = stats.chi2_contingency([[50, 50, 0], [40, 40, 20]], correction=False)
    assert chi2_homogeneity(counts).p_value == pytest.approx(float(oracle.pvalue), rel=1e-12)
    single = chi2_homogeneity(count_categories(["a"] * 5, ["a"] * 9))
    assert (single.statistic, single.p_value, single.dof) == (0.0, 1.0, 0)


def test_categorical_drift_bundle_matches_scipy():
    counts = count_categories(list("aaaabbbcc"), list("aabbbbccdd"))
    drift = categorical_drift(counts)
    assert drift.jensen_shannon == pytest.approx(
        float(jensenshannon(counts.reference, counts.current, base=2)), abs=1e-12
    )
    assert drift.jensen_shannon == category_jensen_shannon(counts)
    assert drift.psi == category_psi(counts) == psi([4, 3, 2, 0], [2, 4, 2, 2])
    assert drift.chi2_p_value == chi2_homogeneity(counts).p_value
    assert drift.new_categories == ("d",)
    assert (drift.cardinality.reference, drift.cardinality.current) == (3, 4)


# --- prediction drift -----------------------------------------------------------------------


def test_guide_class_distribution_example_is_flagged():
    # Historical 98% class 0 / 2% class 1; current 85% / 15% (guide, section 3).
    counts = align_counts({0: 9_800, 1: 200}, {0: 1_700, 1: 300})
    drift = class_distribution_drift(counts)
    assert drift.reference_shares == (0.98, 0.02)
    assert drift.current_shares == (0.85, 0.15)
    assert drift.chi2_p_value < 0.05
    assert drift.psi > 0.2
    assert drift.psi_band == "significant"
    assert is_drift(drift.chi2_p_value, drift.psi)
    oracle = stats.chi2_contingency([[9_800, 200], [1_700, 300]], correction=False)
    assert drift.chi2_p_value == pytest.approx(float(oracle.pvalue), rel=1e-9, abs=1e-300)


def test_output_value_drift():
    rng = np.random.default_rng(17)
    reference, current = rng.normal(100, 10, size=5_000), rng.normal(103, 15, size=2_000)
    drift = output_value_drift(reference, current)
    oracle = stats.ks_2samp(reference, current)
    assert drift.ks_statistic == pytest.approx(float(oracle.statistic))
    assert drift.ks_p_value == pytest.approx(float(oracle.pvalue), rel=1e-9, abs=1e-300)
    assert drift.psi == psi_from_samples(reference, current).value
    assert drift.psi_band == psi_band(drift.psi)
    assert (drift.reference_mean, drift.current_mean) == (
        pytest.approx(reference.mean()),
        pytest.approx(current.mean()),
    )
    assert drift.current_median == pytest.approx(np.median(current))
    assert drift.mean_shift == pytest.approx((current.mean() - reference.mean()) / reference.std())
    assert drift.variance_ratio == pytest.approx(current.var() / reference.var())


# --- multiple testing and the effect-size guard ---------------------------------------------


def test_bonferroni():
    np.testing.assert_allclose(bonferroni([0.01, 0.2, 0.5, 0.004]), [0.04, 0.8, 1.0, 0.016])
    assert bonferroni([]).size == 0


@pytest.mark.parametrize("seed", range(5))
def test_benjamini_hochberg_matches_scipy(seed):
    rng = np.random.default_rng(seed)
    p_values = np.r_[rng.uniform(size=30), rng.uniform(0, 0.01, size=10), [0.03, 0.03, 1.0, 0.0]]
    rng.shuffle(p_values)
    np.testing.assert_allclose(
        benjamini_hochberg(p_values), stats.false_discovery_control(p_values, method="bh"), rtol=1e-12
    )


@pytest.mark.parametrize("p_values", [[0.5, 1.2], [math.nan], [[0.1, 0.2]]])
def test_adjustments_reject_invalid_p_values(p_values):
    with pytest.raises(ValueError, match="p-values"):
        benjamini_hochberg(p_values)
    with pytest.raises(ValueError, match="p-values"):
        bonferroni(p_values)


@pytest.mark.parametrize(
    ("p_value", "effect", "kwargs", "flagged"),
    [
        (0.01, 0.3, {}, True),
        (0.01, 0.05, {}, False),  # significant but tiny
        (0.2, 0.5, {}, False),  # large but not significant
        (0.05, 0.5, {}, False),  # p < alpha is strict
        (0.01, 0.1, {}, True),  # effect >= min_effect is inclusive
        (0.01, -0.3, {}, True),  # signed effects (mean shift) compare by size
        (0.01, 0.05, {"min_effect": 0.0}, True),
        (0.02, 0.5, {"alpha": 0.01}, False),
    ],
)
def test_is_drift(p_value, effect, kwargs, flagged):
    assert is_drift(p_value, effect, **kwargs) is flagged


@pytest.mark.parametrize(
    ("p_value", "effect", "kwargs"),
    [(1.5, 0.1, {}), (0.01, math.nan, {}), (0.01, 0.1, {"alpha": 0.0}), (0.01, 0.1, {"min_effect": -1.0})],
)
def test_is_drift_rejects_invalid_arguments(p_value, effect, kwargs):
    with pytest.raises(ValueError):
        is_drift(p_value, effect, **kwargs)
