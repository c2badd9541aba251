"""Drift statistics for one numeric feature: a reference sample against a current sample.

Reads: numeric samples passed in. Writes: nothing. Config: none (``bins`` is a parameter).

Non-finite values (NaN, ±inf, ``None``) are missing: ``missing_rate`` reports their share and every
other statistic ignores them. Standard deviations and variances are population ones (ddof = 0),
as in Evidently's normed Wasserstein distance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from processors.drift.stats._samples import as_float_array, bin_counts, finite_sample, quantile_bin_edges
from processors.drift.stats.jensen_shannon import jensen_shannon_distance
from processors.drift.stats.psi import DEFAULT_EPSILON, psi_from_samples

# Evidently floors the reference standard deviation at this value in its normed Wasserstein distance.
WASSERSTEIN_STD_FLOOR = 1e-3


@dataclass(frozen=True)
class KsResult:
    """Two-sample Kolmogorov–Smirnov test (two-sided)."""

    statistic: float
    p_value: float


@dataclass(frozen=True)
class NumericDrift:
    """Every numeric drift statistic of one feature."""

    ks_statistic: float
    ks_p_value: float
    psi: float
    normed_wasserstein: float
    jensen_shannon: float
    mean_shift: float
    variance_ratio: float
    missing_rate_reference: float
    missing_rate_current: float
    out_of_range_share: float


def ks_test(reference: ArrayLike, current: ArrayLike) -> KsResult:
    """Two-sided two-sample KS test (``scipy.stats.ks_2samp``, method "auto") on the finite values."""
    result = stats.ks_2samp(finite_sample(reference, "reference"), finite_sample(current, "current"))
    return KsResult(statistic=float(result.statistic), p_value=float(result.pvalue))


def normed_wasserstein(
    reference: ArrayLike, current: ArrayLike, *, std_floor: float = WASSERSTEIN_STD_FLOOR
) -> float:
    """Wasserstein-1 distance divided by the reference's standard deviation (Evidently's definition).

    W1 is ``scipy.stats.wasserstein_distance`` of the empirical distributions; the divisor is
    ``max(std(reference), std_floor)`` so a constant reference gives a large finite value.
    """
    reference_values = finite_sample(reference, "reference")
    current_values = finite_sample(current, "current")
    norm = max(float(np.std(reference_values)), std_floor)
    return float(stats.wasserstein_distance(reference_values, current_values)) / norm


def binned_jensen_shannon(reference: ArrayLike, current: ArrayLike, bins: int = 10) -> float:
    """Jensen–Shannon distance (base 2) of the shares in the reference-quantile bins used for PSI."""
    edges = quantile_bin_edges(reference, bins)
    finite_sample(current, "current")
    return jensen_shannon_distance(bin_counts(reference, edges), bin_counts(current, edges))


def mean_shift(reference: ArrayLike, current: ArrayLike) -> float:
    """(mean(current) - mean(reference)) / std(reference), signed.

    A constant reference gives 0 when the means are equal and ±inf otherwise.
    """
    reference_values = finite_sample(reference, "reference")
    current_values = finite_sample(current, "current")
    difference = float(np.mean(current_values)) - float(np.mean(reference_values))
    deviation = float(np.std(reference_values))
    if deviation == 0.0:
        return 0.0 if difference == 0.0 else math.copysign(math.inf, difference)
    return difference / deviation


def variance_ratio(reference: ArrayLike, current: ArrayLike) -> float:
    """var(current) / var(reference); both constant gives 1, only the reference constant gives inf."""
    reference_variance = float(np.var(finite_sample(reference, "reference")))
    current_variance = float(np.var(finite_sample(current, "current")))
    if reference_variance == 0.0:
        return 1.0 if current_variance == 0.0 else math.inf
    return current_variance / reference_variance


def missing_rate(values: ArrayLike) -> float:
    """Share of missing (non-finite or ``None``) values; an empty sample is an error."""
    array = as_float_array(values)
    if array.size == 0:
        raise ValueError("missing rate of an empty sample is undefined")
    return float(np.count_nonzero(~np.isfinite(array))) / array.size


def out_of_range_share(reference: ArrayLike, current: ArrayLike) -> float:
    """Share of the finite current values below the reference minimum or above its maximum."""
    reference_values = finite_sample(reference, "reference")
    current_values = finite_sample(current, "current")
    outside = (current_values < reference_values.min()) | (current_values > reference_values.max())
    return float(np.count_nonzero(outside)) / current_values.size


def numeric_drift(
    reference: ArrayLike, current: ArrayLike, bins: int = 10, *, epsilon: float = DEFAULT_EPSILON
) -> NumericDrift:
    """All numeric statistics at once; ``bins`` and ``epsilon`` apply to PSI and Jensen–Shannon."""
    reference_array = as_float_array(reference)
    current_array = as_float_array(current)
    ks = ks_test(reference_array, current_array)
    return NumericDrift(
        ks_statistic=ks.statistic,
        ks_p_value=ks.p_value,
        psi=psi_from_samples(reference_array, current_array, bins, epsilon=epsilon).value,
        normed_wasserstein=normed_wasserstein(reference_array, current_array),
        jensen_shannon=binned_jensen_shannon(reference_array, current_array, bins),
        mean_shift=mean_shift(reference_array, current_array),
        variance_ratio=variance_ratio(reference_array, current_array),
        missing_rate_reference=missing_rate(reference_array),
        missing_rate_current=missing_rate(current_array),
        out_of_range_share=out_of_range_share(reference_array, current_array),
    )
