"""Population Stability Index over given bins or over reference-quantile bins of two samples.

Reads: share/count vectors or numeric samples passed in. Writes: nothing. Config: none (``bins``
and ``epsilon`` are parameters; the evaluator owns their configured values).

    PSI = sum_i (a_i - e_i) * ln(a_i / e_i)

with e the expected (reference) shares and a the actual (current) shares after the empty-bin
adjustment: each share vector is normalised to sum 1, ``epsilon`` is added to *every* share, and
the vector is renormalised: s_i' = (s_i + epsilon) / (1 + k * epsilon) for k bins. Applying the
same adjustment to every bin keeps psi(p, p) == 0 exactly and keeps every logarithm finite.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from processors.drift.stats._samples import bin_counts, finite_sample, quantile_bin_edges, shares

PsiBand = Literal["none", "small", "significant"]

DEFAULT_EPSILON = 1e-4
SMALL_PSI = 0.1  # PSI below this: no significant change
SIGNIFICANT_PSI = 0.2  # PSI above this: significant change


@dataclass(frozen=True)
class PsiResult:
    """PSI of two samples, with the bins it was computed over (kept so an evaluator can show them)."""

    value: float
    band: PsiBand
    edges: tuple[float, ...]  # interior edges; len(edges) + 1 bins
    expected_shares: tuple[float, ...]  # reference shares per bin, before the epsilon adjustment
    actual_shares: tuple[float, ...]  # current shares per bin, before the epsilon adjustment


def psi(expected_shares: ArrayLike, actual_shares: ArrayLike, *, epsilon: float = DEFAULT_EPSILON) -> float:
    """PSI of ``actual_shares`` against ``expected_shares`` (counts are accepted: both are normalised)."""
    if not (np.isfinite(epsilon) and epsilon > 0):
        raise ValueError(f"epsilon must be a positive number, got {epsilon!r}")
    expected = shares(expected_shares, "expected_shares")
    actual = shares(actual_shares, "actual_shares")
    if expected.size != actual.size:
        raise ValueError(f"expected {expected.size} bins and actual {actual.size} bins differ in number")
    expected = (expected + epsilon) / (1.0 + expected.size * epsilon)
    actual = (actual + epsilon) / (1.0 + actual.size * epsilon)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def psi_from_samples(
    reference: ArrayLike, current: ArrayLike, bins: int = 10, *, epsilon: float = DEFAULT_EPSILON
) -> PsiResult:
    """PSI of two numeric samples over ``bins`` quantile bins of the reference (deciles by default).

    Bins come from ``quantile_bin_edges``: reference quantiles, duplicate edges collapsed, outer
    bins open-ended. Non-finite values are ignored; either sample without finite values is an error.
    """
    edges = quantile_bin_edges(reference, bins)
    finite_sample(current, "current")
    expected = bin_counts(reference, edges)
    actual = bin_counts(current, edges)
    value = psi(expected, actual, epsilon=epsilon)
    return PsiResult(
        value=value,
        band=psi_band(value),
        edges=tuple(float(edge) for edge in edges),
        expected_shares=tuple(float(share) for share in expected / expected.sum()),
        actual_shares=tuple(float(share) for share in actual / actual.sum()),
    )


def psi_band(value: float) -> PsiBand:
    """ "none" below 0.1, "small" from 0.1 to 0.2 inclusive, "significant" above 0.2."""
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"PSI must be a finite non-negative number, got {value!r}")
    if value < SMALL_PSI:
        return "none"
    if value <= SIGNIFICANT_PSI:
        return "small"
    return "significant"
