"""The drift report (baseline profile + current window) against scipy called directly.

Every statistic of the report is recomputed here from the raw arrays with scipy and numpy: KS on
the baseline's reservoir against the window's sample, chi-squared of homogeneity on the table of
baseline and current counts, PSI / Jensen–Shannon over the baseline's bins, normed Wasserstein,
mean shift; the multiple-testing corrections against ``scipy.stats.false_discovery_control``.
"""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from processors.drift.baseline import BaselineBuilder, ColumnRoles, ProfileOptions
from processors.drift.profile import OTHER_CATEGORY
from processors.drift.report import (
    DRIFTED,
    INSUFFICIENT,
    NOT_EVALUATED,
    STABLE,
    DriftSettings,
    build_report,
)
from processors.drift.window import CategoricalWindow, WindowSummary, summarize_columns

ROWS = 20_000
LABELS = np.array(["DE", "FR", "US", "GB"])


def _data(rng: np.random.Generator, rows: int, *, shift: float = 0.0, shares=(0.4, 0.3, 0.2, 0.1)):
    return {
        "amount": rng.lognormal(4.0 + shift, 1.0, rows),
        "age": rng.normal(40.0 + 12.0 * shift, 12.0, rows),
        "country": LABELS[rng.choice(4, rows, p=shares)],
        "is_foreign": [bool(value) for value in rng.uniform(size=rows) < 0.2],
        "prediction": np.where(rng.uniform(size=rows) < 0.02, "fraud", "legit"),
        "confidence": rng.uniform(0.5, 1.0, rows),
    }


@pytest.fixture(scope="module")
def baseline():
    return BaselineBuilder().add(_data(np.random.default_rng(1), ROWS), ROWS).build()


def _window(baseline, data, rows):
    features = {name: data[name] for name in ("amount", "age", "country", "is_foreign")}
    return summarize_columns(
        baseline, features, rows, classes=data["prediction"], confidence=data["confidence"], seed=3
    )


def test_every_statistic_equals_scipy_on_the_same_inputs(baseline):
    current = _data(np.random.default_rng(2), 8000, shift=0.5, shares=(0.1, 0.2, 0.3, 0.4))
    window = _window(baseline, current, 8000)
    report = build_report(baseline, window, DriftSettings(correction="none"))
    results = {feature.feature: feature for feature in report.features}

    amount = results["amount"]
    profile = baseline.feature("amount")
    reference = np.array(profile.reservoir)
    sample = np.array(window.numeric["amount"].sample)
    ks = stats.ks_2samp(reference, sample)
    assert amount.test == "ks"
    assert amount.statistic == pytest.approx(ks.statistic, abs=1e-12)
    assert amount.p_value == pytest.approx(ks.pvalue, rel=1e-9)
    wasserstein = stats.wasserstein_distance(reference, sample)
    assert amount.normed_wasserstein == pytest.approx(wasserstein / profile.numeric.moments.std, rel=1e-9)
    edges = np.array(profile.numeric.bin_edges)
    counts = np.bincount(np.searchsorted(edges, current["amount"], side="left"), minlength=edges.size + 1)
    expected = np.array(profile.numeric.bin_shares)
    e = (expected + 1e-4) / (1 + expected.size * 1e-4)
    a = (counts / counts.sum() + 1e-4) / (1 + expected.size * 1e-4)
    assert amount.psi == pytest.approx(float(np.sum((a - e) * np.log(a / e))), rel=1e-9)
    assert amount.jensen_shannon == pytest.approx(
        jensenshannon(expected, counts / counts.sum(), base=2), rel=1e-9
    )
    moments = profile.numeric.moments
    assert amount.mean_shift == pytest.approx(
        (np.mean(current["amount"]) - moments.mean) / moments.std, rel=1e-9
    )
    assert amount.variance_ratio == pytest.approx(np.var(current["amount"]) / moments.std**2, rel=1e-9)
    outside = np.mean((current["amount"] < moments.min) | (current["amount"] > moments.max))
    assert amount.out_of_range_share == pytest.approx(outside)

    country = results["country"]
    reference_counts = dict(baseline.feature("country").categories.top)
    current_counts = {label: int(np.sum(current["country"] == label)) for label in LABELS}
    table = np.array(
        [[reference_counts[label] for label in LABELS], [current_counts[label] for label in LABELS]]
    )
    chi2 = stats.chi2_contingency(table, correction=False)
    assert country.test == "chi2"
    assert country.statistic == pytest.approx(chi2.statistic, rel=1e-9)
    assert country.p_value == pytest.approx(chi2.pvalue, rel=1e-9, abs=1e-300)
    assert country.jensen_shannon == pytest.approx(jensenshannon(table[0], table[1], base=2), rel=1e-9)
    assert country.cardinality == (4, 4)
    assert amount.verdict == country.verdict == DRIFTED
    assert report.drifted_features == 3  # amount, age, country; is_foreign is unchanged


def test_corrections_equal_scipy_and_are_applied_across_features(baseline):
    current = _data(np.random.default_rng(5), 3000)
    window = _window(baseline, current, 3000)
    raw = build_report(baseline, window, DriftSettings(correction="none"))
    p_values = {feature.feature: feature.p_value for feature in raw.features}
    names = sorted(p_values)
    vector = np.array([p_values[name] for name in names])
    for correction, expected in (
        ("bh", stats.false_discovery_control(vector, method="bh")),
        ("bonferroni", np.minimum(vector * vector.size, 1.0)),
        ("none", vector),
    ):
        report = build_report(baseline, window, DriftSettings(correction=correction))
        adjusted = {feature.feature: feature.adjusted_p_value for feature in report.features}
        assert [adjusted[name] for name in names] == pytest.approx(list(expected), rel=1e-12)


def test_the_guides_class_example_98_2_to_85_15_is_flagged():
    rng = np.random.default_rng(11)
    reference = {"x": rng.normal(size=10_000), "prediction": np.array(["0"] * 9800 + ["1"] * 200)}
    baseline = BaselineBuilder().add(reference, 10_000).build()
    classes = np.array(["0"] * 1700 + ["1"] * 300)
    window = summarize_columns(baseline, {"x": rng.normal(size=2000)}, 2000, classes=classes)
    report = build_report(baseline, window)
    assert report.classes is not None
    table = np.array([[9800, 200], [1700, 300]])
    assert report.classes.p_value == pytest.approx(stats.chi2_contingency(table, correction=False).pvalue)
    assert report.classes.p_value < 1e-50
    assert report.classes.psi == pytest.approx(0.2798, abs=5e-4)
    assert report.classes.current_shares == {"0": 0.85, "1": 0.15}
    assert report.classes.verdict == DRIFTED
    unchanged = summarize_columns(
        baseline, {"x": rng.normal(size=2000)}, 2000, classes=np.array(["0"] * 1960 + ["1"] * 40)
    )
    assert build_report(baseline, unchanged).classes.verdict == STABLE


def test_the_effect_size_guard_keeps_a_tiny_significant_shift_from_counting():
    rng = np.random.default_rng(21)
    rows = 200_000
    # a reservoir as large as the data: the KS test's power is bounded by the smaller sample
    options = ProfileOptions(reservoir_size=rows)
    baseline = BaselineBuilder(options=options).add({"x": rng.normal(0.0, 1.0, rows)}, rows).build()
    shifted = rng.normal(0.05, 1.0, rows)  # 0.05 std: real, significant on 200k values, negligible
    window = summarize_columns(baseline, {"x": shifted}, rows, sample_size=rows)
    guarded = build_report(baseline, window, DriftSettings(correction="none"))
    (feature,) = guarded.features
    assert feature.p_value < 0.05
    assert feature.normed_wasserstein < 0.1
    assert feature.verdict == STABLE
    assert "significant" in feature.reason
    unguarded = build_report(baseline, window, DriftSettings(correction="none", min_normed_wasserstein=0.0))
    assert unguarded.features[0].verdict == DRIFTED


def test_too_few_values_and_uncompared_types_get_no_test(baseline):
    rng = np.random.default_rng(4)
    current = _data(rng, 500)
    features = {"amount": current["amount"], "age": np.full(500, np.nan)}
    features["age"][:40] = 1.0
    window = summarize_columns(baseline, features, 500)
    report = build_report(baseline, window, DriftSettings(min_samples=100))
    results = {feature.feature: feature for feature in report.features}
    assert results["age"].verdict == INSUFFICIENT
    assert results["age"].missing_rate == pytest.approx(460 / 500)
    assert results["age"].p_value is None
    assert results["country"].verdict == INSUFFICIENT  # no values at all in the window
    assert results["country"].missing_rate == 1.0
    assert results["amount"].verdict == STABLE
    empty = build_report(baseline, WindowSummary(rows=0, start_unix_nano=0, end_unix_nano=1))
    assert {feature.verdict for feature in empty.features} == {NOT_EVALUATED}


def test_new_categories_are_their_own_column_unless_the_baseline_had_an_other_bucket():
    data = {"city": ["a"] * 50 + ["b"] * 50}
    complete = BaselineBuilder().add(data, 100).build()
    window = WindowSummary(
        rows=200,
        start_unix_nano=0,
        end_unix_nano=1,
        categorical={"city": CategoricalWindow(present=200, counts={"a": 90, "b": 90, "zz": 20}, distinct=3)},
    )
    (city,) = build_report(complete, window).features
    assert city.new_categories == ("zz",)
    table = np.array([[50, 50, 0], [90, 90, 20]])
    assert city.p_value == pytest.approx(stats.chi2_contingency(table, correction=False).pvalue)
    truncated = BaselineBuilder(options=ProfileOptions(top_k=1)).add(data, 100).build()
    (city,) = build_report(truncated, window).features
    assert city.new_categories == ()  # "zz" may be one of the baseline's rare labels ("other")
    assert dict(truncated.feature("city").categories.top) == {"a": 50}
    assert truncated.feature("city").categories.shares[OTHER_CATEGORY] == 0.5
    table = np.array([[50, 50], [90, 110]])
    assert city.p_value == pytest.approx(stats.chi2_contingency(table, correction=False).pvalue)


def test_booleans_are_compared_as_true_false_counts_whatever_their_spelling():
    rng = np.random.default_rng(8)
    reference = [bool(value) for value in rng.uniform(size=5000) < 0.3]
    baseline = BaselineBuilder().add({"flag": reference}, 5000).build()
    current = ["TRUE" if value else 0 for value in rng.uniform(size=1000) < 0.6]
    window = summarize_columns(baseline, {"flag": current}, 1000)
    (flag,) = build_report(baseline, window).features
    true_count = sum(1 for value in current if value == "TRUE")
    table = np.array([[sum(reference), 5000 - sum(reference)], [true_count, 1000 - true_count]])
    assert flag.statistic == pytest.approx(stats.chi2_contingency(table, correction=False).statistic)
    assert flag.verdict == DRIFTED


def test_features_come_worst_first(baseline):
    current = _data(np.random.default_rng(9), 4000, shift=0.8)
    report = build_report(baseline, _window(baseline, current, 4000))
    verdicts = [feature.verdict for feature in report.features]
    assert verdicts == sorted(verdicts, key=[DRIFTED, STABLE, INSUFFICIENT, NOT_EVALUATED].index)
    drifted = [feature for feature in report.features if feature.verdict == DRIFTED]
    severities = [feature.severity(report.settings) for feature in drifted]
    assert severities == sorted(severities, reverse=True)


@pytest.mark.parametrize(("rows", "seeds"), [(800, 10), (100_000, 5)])
def test_no_drift_flags_about_alpha_of_the_features(rows, seeds):
    """Report-level validity: reservoir-vs-sample KS and baseline-vs-window chi-squared are two-sample
    tests, so with no drift the share flagged (guard off, no correction) stays in the binomial band."""
    flagged = tested = flagged_by_default = 0
    for seed in range(seeds):
        rng = np.random.default_rng(100 + seed)
        columns = {f"n{i}": rng.gamma(2.0 + i, 1.0, 5000) for i in range(10)}
        columns |= {f"c{i}": LABELS[rng.choice(4, 5000, p=(0.4, 0.3, 0.2, 0.1))] for i in range(10)}
        baseline = BaselineBuilder(ColumnRoles()).add(columns, 5000).build()
        current = {f"n{i}": rng.gamma(2.0 + i, 1.0, rows) for i in range(10)}
        current |= {f"c{i}": LABELS[rng.choice(4, rows, p=(0.4, 0.3, 0.2, 0.1))] for i in range(10)}
        settings = DriftSettings(correction="none", min_normed_wasserstein=0.0, min_jensen_shannon=0.0)
        window = summarize_columns(baseline, current, rows, seed=seed)
        report = build_report(baseline, window, settings)
        flagged += report.drifted_features
        tested += len(report.features)
        flagged_by_default += build_report(baseline, window).drifted_features
    low, high = stats.binom.ppf([0.025, 0.975], tested, 0.05)
    assert low <= flagged <= high, f"{flagged} of {tested} flagged with no drift at {rows} rows"
    assert flagged_by_default == 0  # the defaults (BH correction, effect-size guard) raise no false alarm


def test_datetimes_are_compared_as_epoch_seconds_and_free_text_is_not():
    rng = np.random.default_rng(9)
    start = 1_700_000_000.0

    def dates(rows: int, shift_days: float) -> list[str]:
        seconds = start + shift_days * 86400 + rng.uniform(0, 30 * 86400, rows)
        return [datetime.fromtimestamp(value, tz=timezone.utc).isoformat() for value in seconds]

    def notes(rows: int) -> list[str]:
        return [f"free text note number {value} about the request" for value in rng.integers(0, 10**9, rows)]

    reference = {"signup": dates(3000, 0), "stable_signup": dates(3000, 0), "note": notes(3000)}
    baseline = BaselineBuilder().add(reference, 3000).build()
    assert baseline.feature("signup").feature_type.value == "datetime"
    assert baseline.feature("note").feature_type.value == "text"
    current = {"signup": dates(1000, 10), "stable_signup": dates(1000, 0), "note": notes(1000)}
    current["signup"][:10] = [None] * 10  # missing
    window = summarize_columns(baseline, current, 1000, seed=1)
    results = {feature.feature: feature for feature in build_report(baseline, window).features}

    signup = results["signup"]
    seconds = np.array([datetime.fromisoformat(text).timestamp() for text in current["signup"][10:]])
    assert signup.test == "ks" and signup.verdict == DRIFTED
    assert signup.samples == 990 and signup.missing_rate == pytest.approx(0.01)
    reservoir = np.array(baseline.feature("signup").reservoir)
    ks = stats.ks_2samp(reservoir, np.array(window.numeric["signup"].sample))
    assert signup.p_value == pytest.approx(ks.pvalue, rel=1e-9)
    assert sorted(window.numeric["signup"].sample) == sorted(seconds.tolist())  # all 990 < sample size
    assert signup.mean_shift == pytest.approx(
        (seconds.mean() - baseline.feature("signup").numeric.moments.mean)
        / baseline.feature("signup").numeric.moments.std,
        rel=1e-9,
    )
    assert results["stable_signup"].verdict == STABLE and results["stable_signup"].test == "ks"
    assert results["note"].verdict == NOT_EVALUATED and results["note"].test is None
