"""Prediction drift: the distribution of a model's outputs, reference against current.

Reads: predicted classes (as ``CategoryCounts``) or predicted values passed in. Writes: nothing.
Config: none.

Class-distribution drift is the categorical chi-squared test of homogeneity plus PSI on the class
shares; output-value drift (regression) is KS, PSI on reference deciles and the change of mean,
median and variance.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from processors.drift.stats._samples import finite_sample
from processors.drift.stats.categorical import CategoryCounts, category_psi, chi2_homogeneity
from processors.drift.stats.numeric import ks_test, mean_shift, variance_ratio
from processors.drift.stats.psi import DEFAULT_EPSILON, PsiBand, psi_band, psi_from_samples


@dataclass(frozen=True)
class ClassDistributionDrift:
    """Class shares of both samples and the tests comparing them."""

    classes: tuple[Hashable, ...]
    reference_shares: tuple[float, ...]
    current_shares: tuple[float, ...]
    chi2_statistic: float
    chi2_p_value: float
    psi: float
    psi_band: PsiBand


@dataclass(frozen=True)
class OutputValueDrift:
    """KS, PSI and moment changes of a numeric model output."""

    ks_statistic: float
    ks_p_value: float
    psi: float
    psi_band: PsiBand
    reference_mean: float
    current_mean: float
    mean_shift: float  # in reference standard deviations
    reference_median: float
    current_median: float
    variance_ratio: float  # var(current) / var(reference)


def class_distribution_drift(
    counts: CategoryCounts, *, epsilon: float = DEFAULT_EPSILON
) -> ClassDistributionDrift:
    """Chi-squared test of homogeneity and PSI of the predicted-class shares."""
    chi2 = chi2_homogeneity(counts)
    value = category_psi(counts, epsilon=epsilon)
    return ClassDistributionDrift(
        classes=counts.categories,
        reference_shares=tuple(count / counts.reference_total for count in counts.reference),
        current_shares=tuple(count / counts.current_total for count in counts.current),
        chi2_statistic=chi2.statistic,
        chi2_p_value=chi2.p_value,
        psi=value,
        psi_band=psi_band(value),
    )


def output_value_drift(
    reference: ArrayLike, current: ArrayLike, bins: int = 10, *, epsilon: float = DEFAULT_EPSILON
) -> OutputValueDrift:
    """KS, PSI over reference-quantile bins, mean/median and variance change of predicted values."""
    reference_values = finite_sample(reference, "reference")
    current_values = finite_sample(current, "current")
    ks = ks_test(reference_values, current_values)
    psi_result = psi_from_samples(reference_values, current_values, bins, epsilon=epsilon)
    return OutputValueDrift(
        ks_statistic=ks.statistic,
        ks_p_value=ks.p_value,
        psi=psi_result.value,
        psi_band=psi_result.band,
        reference_mean=float(np.mean(reference_values)),
        current_mean=float(np.mean(current_values)),
        mean_shift=mean_shift(reference_values, current_values),
        reference_median=float(np.median(reference_values)),
        current_median=float(np.median(current_values)),
        variance_ratio=variance_ratio(reference_values, current_values),
    )
