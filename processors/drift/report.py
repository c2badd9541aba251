"""The drift report of one model version: its baseline against one window of current traffic.

Reads: a ``BaselineProfile`` and a ``WindowSummary`` passed in. Writes: nothing (pure); the report
becomes ``SignalPoint``s for ``ml_drift`` (``processors.drift.signals``), a JSON document and a
table (``processors.drift.render``). Config: none; ``DriftSettings`` carries ``drift.alpha``,
``drift.correction``, the minimum effects and ``drift.min_samples``.

Per numeric feature: two-sample KS between the baseline's reservoir sample and the window's sample,
normed Wasserstein of the same two samples (divided by the baseline's std over all its rows), PSI
and Jensen–Shannon over the baseline's PSI bins with the window's counts over all its values, mean
shift and variance ratio from all values; a datetime feature is compared the same way as a numeric
one of seconds since the epoch. Free text is not compared. Per categorical or boolean feature:
chi-squared test of homogeneity on baseline counts against window counts, PSI, Jensen–Shannon,
new categories. The p-values of all features are adjusted together (``correction``), then a
feature is drifted when the adjusted p-value is below ``alpha`` AND its effect (normed
Wasserstein, Jensen–Shannon) reaches the minimum: the effect-size guard.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from processors.drift.baseline import BaselineProfile
from processors.drift.compare import (
    UNLISTED_NEW,
    NumericComparison,
    baseline_category_counts,
    compare_numeric,
    current_category_counts,
)
from processors.drift.profile import FeatureProfile, FeatureType
from processors.drift.stats import (
    DEFAULT_ALPHA,
    DEFAULT_EPSILON,
    MIN_JENSEN_SHANNON,
    MIN_NORMED_WASSERSTEIN,
    MIN_PSI,
    SIGNIFICANT_PSI,
    align_counts,
    benjamini_hochberg,
    bonferroni,
    cardinality_change,
    chi2_homogeneity,
    class_distribution_drift,
    is_drift,
    jensen_shannon_distance,
    new_categories,
    psi,
    psi_band,
)
from processors.drift.window import NumericWindow, WindowSummary

CORRECTIONS = ("none", "bonferroni", "bh")
DRIFTED, STABLE, INSUFFICIENT, NOT_EVALUATED = "drifted", "stable", "insufficient_data", "not_evaluated"
_VERDICT_RANK = {DRIFTED: 0, STABLE: 1, INSUFFICIENT: 2, NOT_EVALUATED: 3}


@dataclass(frozen=True)
class DriftSettings:
    alpha: float = DEFAULT_ALPHA
    correction: str = "bh"
    min_normed_wasserstein: float = MIN_NORMED_WASSERSTEIN
    min_jensen_shannon: float = MIN_JENSEN_SHANNON
    min_psi: float = MIN_PSI
    min_samples: int = 100
    epsilon: float = DEFAULT_EPSILON

    def __post_init__(self) -> None:
        if self.correction not in CORRECTIONS:
            raise ValueError(f"correction must be one of {', '.join(CORRECTIONS)}, got {self.correction!r}")


@dataclass(frozen=True)
class FeatureDrift:
    """One feature's result. Fields that do not apply to its type (or verdict) are None."""

    feature: str
    feature_type: str
    verdict: str
    reason: str
    samples: int
    missing_rate: float
    baseline_missing_rate: float
    test: str | None = None  # "ks" or "chi2"
    statistic: float | None = None
    p_value: float | None = None
    adjusted_p_value: float | None = None
    effect: float | None = None  # normed Wasserstein (numeric) or Jensen–Shannon (categorical)
    psi: float | None = None
    jensen_shannon: float | None = None
    normed_wasserstein: float | None = None
    mean_shift: float | None = None
    variance_ratio: float | None = None
    out_of_range_share: float | None = None
    new_categories: tuple[str, ...] = ()
    cardinality: tuple[int, int] | None = None  # distinct categories (baseline, current)

    @property
    def psi_band(self) -> str | None:
        return None if self.psi is None else psi_band(self.psi)

    def severity(self, settings: DriftSettings) -> float:
        """How far past its thresholds: PSI against 0.2, the effect against its minimum."""
        scores = [0.0]
        if self.psi is not None:
            scores.append(self.psi / SIGNIFICANT_PSI)
        if self.effect is not None:
            minimum = settings.min_normed_wasserstein if self.test == "ks" else settings.min_jensen_shannon
            scores.append(self.effect / minimum if minimum > 0 else self.effect)
        return max(scores)


@dataclass(frozen=True)
class ClassDrift:
    """Predicted-class distribution: shares, chi-squared test of homogeneity and PSI."""

    reference_shares: Mapping[str, float]
    current_shares: Mapping[str, float]
    chi2_statistic: float
    p_value: float
    psi: float
    samples: int
    verdict: str


@dataclass(frozen=True)
class OutputDrift:
    """Predicted values or confidences: KS, PSI, mean and variance change."""

    output: str  # "value" or "confidence"
    comparison: NumericComparison
    verdict: str


@dataclass(frozen=True)
class DriftReport:
    model: str
    version: str
    baseline_id: str
    start_unix_nano: int
    end_unix_nano: int
    rows: int
    settings: DriftSettings
    features: tuple[FeatureDrift, ...]  # worst first
    classes: ClassDrift | None = None
    outputs: tuple[OutputDrift, ...] = ()

    @property
    def drifted_features(self) -> int:
        return sum(1 for feature in self.features if feature.verdict == DRIFTED)


def _feature_result(profile: FeatureProfile, window: WindowSummary, settings: DriftSettings) -> FeatureDrift:
    """The raw result before correction: verdict is provisional (``STABLE`` when a test ran)."""
    kind = profile.feature_type
    base = {
        "feature": profile.name,
        "feature_type": kind.value,
        "baseline_missing_rate": profile.missing_rate,
    }
    if kind is FeatureType.TEXT or window.rows == 0:
        reason = "no current events" if window.rows == 0 else f"{kind.value} features are not compared"
        return FeatureDrift(**base, verdict=NOT_EVALUATED, reason=reason, samples=0, missing_rate=math.nan)
    numeric_kind = kind in (FeatureType.NUMERIC, FeatureType.DATETIME)  # datetimes as epoch seconds
    if numeric_kind:
        numeric = window.numeric.get(profile.name)
        present = 0 if numeric is None else numeric.present
    else:
        categorical = window.categorical.get(profile.name)
        present = 0 if categorical is None else categorical.present
    missing = (window.rows - present) / window.rows
    if present < settings.min_samples or (profile.numeric is None and profile.categories is None):
        reason = f"{present} current values, fewer than min_samples ({settings.min_samples})"
        if profile.numeric is None and profile.categories is None:
            reason = "the baseline has no values of this feature"
        return FeatureDrift(
            **base, verdict=INSUFFICIENT, reason=reason, samples=present, missing_rate=missing
        )
    if numeric_kind:
        assert numeric is not None
        comparison = compare_numeric(profile, numeric, settings.epsilon)
        return FeatureDrift(
            **base,
            verdict=STABLE,
            reason="",
            samples=present,
            missing_rate=missing,
            test="ks",
            statistic=comparison.ks_statistic,
            p_value=comparison.ks_p_value,
            effect=comparison.normed_wasserstein,
            psi=comparison.psi,
            jensen_shannon=comparison.jensen_shannon,
            normed_wasserstein=comparison.normed_wasserstein,
            mean_shift=comparison.mean_shift,
            variance_ratio=comparison.variance_ratio,
            out_of_range_share=comparison.out_of_range_share,
        )
    assert categorical is not None and profile.categories is not None
    current, new_count = current_category_counts(profile, categorical)
    counts = align_counts(baseline_category_counts(profile), current)
    chi2 = chi2_homogeneity(counts)
    distance = jensen_shannon_distance(counts.reference, counts.current)
    listed_new = tuple(str(label) for label in new_categories(counts) if label != UNLISTED_NEW)
    cardinality = cardinality_change(counts)
    return FeatureDrift(
        **base,
        verdict=STABLE,
        reason="",
        samples=present,
        missing_rate=missing,
        test="chi2",
        statistic=chi2.statistic,
        p_value=chi2.p_value,
        effect=distance,
        psi=psi(counts.reference, counts.current, epsilon=settings.epsilon),
        jensen_shannon=distance,
        new_categories=listed_new + (() if new_count <= len(listed_new) else ("…",)),
        cardinality=(profile.categories.distinct, max(categorical.distinct, cardinality.current)),
    )


def adjust(p_values: list[float], correction: str) -> list[float]:
    """The p-values adjusted across features (``none``, ``bonferroni`` or ``bh``)."""
    if not p_values or correction == "none":
        return list(p_values)
    adjusted = bonferroni(p_values) if correction == "bonferroni" else benjamini_hochberg(p_values)
    return [float(value) for value in adjusted]


def decide(results: list[FeatureDrift], settings: DriftSettings) -> list[FeatureDrift]:
    """Adjust the tested features' p-values together, then apply alpha and the effect-size guard."""
    tested = [index for index, result in enumerate(results) if result.p_value is not None]
    adjusted = adjust([results[index].p_value for index in tested], settings.correction)  # type: ignore[misc]
    decided = list(results)
    for index, p_value in zip(tested, adjusted, strict=True):
        result = results[index]
        minimum = settings.min_normed_wasserstein if result.test == "ks" else settings.min_jensen_shannon
        drifted = is_drift(p_value, result.effect or 0.0, alpha=settings.alpha, min_effect=minimum)
        effect_name = "normed Wasserstein" if result.test == "ks" else "Jensen-Shannon"
        if drifted:
            reason = f"p={p_value:.3g} < {settings.alpha} and {effect_name} {result.effect:.3f} >= {minimum}"
        elif p_value < settings.alpha:
            reason = f"significant (p={p_value:.3g}) but {effect_name} {result.effect:.3f} < {minimum}"
        else:
            reason = f"p={p_value:.3g} >= {settings.alpha}"
        decided[index] = replace(
            result, adjusted_p_value=p_value, verdict=DRIFTED if drifted else STABLE, reason=reason
        )
    return decided


def _class_drift(
    baseline: BaselineProfile, window: WindowSummary, settings: DriftSettings
) -> ClassDrift | None:
    profile = baseline.predictions.classes
    if profile is None or profile.categories is None or window.classes is None:
        return None
    current, _ = current_category_counts(profile, window.classes)
    result = class_distribution_drift(
        align_counts(baseline_category_counts(profile), current), epsilon=settings.epsilon
    )
    enough = window.classes.present >= settings.min_samples
    drifted = enough and is_drift(
        result.chi2_p_value, result.psi, alpha=settings.alpha, min_effect=settings.min_psi
    )
    return ClassDrift(
        reference_shares=dict(zip(map(str, result.classes), result.reference_shares, strict=True)),
        current_shares=dict(zip(map(str, result.classes), result.current_shares, strict=True)),
        chi2_statistic=result.chi2_statistic,
        p_value=result.chi2_p_value,
        psi=result.psi,
        samples=window.classes.present,
        verdict=DRIFTED if drifted else STABLE if enough else INSUFFICIENT,
    )


def _output_drift(
    output: str, profile: FeatureProfile | None, window: NumericWindow | None, settings: DriftSettings
) -> OutputDrift | None:
    if profile is None or profile.numeric is None or window is None:
        return None
    comparison = compare_numeric(profile, window, settings.epsilon)
    enough = window.present >= settings.min_samples
    drifted = enough and is_drift(
        comparison.ks_p_value, comparison.psi, alpha=settings.alpha, min_effect=settings.min_psi
    )
    return OutputDrift(output, comparison, DRIFTED if drifted else STABLE if enough else INSUFFICIENT)


def build_report(
    baseline: BaselineProfile,
    window: WindowSummary,
    settings: DriftSettings | None = None,
    *,
    model: str = "",
    version: str = "",
    baseline_id: str = "",
) -> DriftReport:
    """Compare ``window`` with ``baseline``: every feature (worst first) and the predictions."""
    settings = settings or DriftSettings()
    results = decide([_feature_result(profile, window, settings) for profile in baseline.features], settings)
    results.sort(
        key=lambda result: (
            _VERDICT_RANK[result.verdict],
            -result.severity(settings),
            result.adjusted_p_value if result.adjusted_p_value is not None else 1.0,
            result.feature,
        )
    )
    outputs = baseline.predictions
    output_results = (
        _output_drift("value", outputs.values, window.values, settings),
        _output_drift("confidence", outputs.confidence, window.confidence, settings),
    )
    return DriftReport(
        model=model,
        version=version,
        baseline_id=baseline_id,
        start_unix_nano=window.start_unix_nano,
        end_unix_nano=window.end_unix_nano,
        rows=window.rows,
        settings=settings,
        features=tuple(results),
        classes=_class_drift(baseline, window, settings),
        outputs=tuple(result for result in output_results if result is not None),
    )


def json_number(value: float | None) -> Any:
    """A float for JSON: None stays None, ±inf and NaN become the strings "inf", "-inf", "nan"."""
    if value is None or math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
