"""Drift statistics for one categorical feature (or predicted class): reference against current.

Reads: category samples or per-category counts passed in. Writes: nothing. Config: none.

Both samples are first aligned into ``CategoryCounts`` over the union of their categories, so a
category seen in only one sample is a column with a zero count on the other side. ``None`` and
float NaN are missing values, not a category.

The chi-squared test is the two-sample test of homogeneity on the 2 x k contingency table
(``scipy.stats.chi2_contingency``, no Yates correction): both samples carry sampling noise. A
goodness-of-fit test that treats the reference shares as exact over-flags when there is no drift.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from scipy import stats

from processors.drift.stats.jensen_shannon import jensen_shannon_distance
from processors.drift.stats.psi import DEFAULT_EPSILON, psi


@dataclass(frozen=True)
class CategoryCounts:
    """Counts per category of both samples over the union of categories.

    Categories are in order of first appearance: the reference's, then those only in current.
    """

    categories: tuple[Hashable, ...]
    reference: tuple[int, ...]
    current: tuple[int, ...]

    @property
    def reference_total(self) -> int:
        return sum(self.reference)

    @property
    def current_total(self) -> int:
        return sum(self.current)


@dataclass(frozen=True)
class ChiSquaredResult:
    """Chi-squared test of homogeneity; ``dof`` is k - 1 for k categories."""

    statistic: float
    p_value: float
    dof: int


@dataclass(frozen=True)
class CardinalityChange:
    """Number of distinct categories in each sample."""

    reference: int
    current: int

    @property
    def change(self) -> int:
        return self.current - self.reference


@dataclass(frozen=True)
class CategoricalDrift:
    """Every categorical drift statistic of one feature."""

    chi2_statistic: float
    chi2_p_value: float
    chi2_dof: int
    psi: float
    jensen_shannon: float
    new_categories: tuple[Hashable, ...]
    cardinality: CardinalityChange


def count_categories(reference: Iterable[Hashable], current: Iterable[Hashable]) -> CategoryCounts:
    """Count the categories of two samples, skipping missing values (``None``, NaN)."""
    return align_counts(
        Counter(value for value in reference if not _is_missing(value)),
        Counter(value for value in current if not _is_missing(value)),
    )


def align_counts(reference: Mapping[Hashable, int], current: Mapping[Hashable, int]) -> CategoryCounts:
    """Align per-category counts (e.g. aggregated in storage) over the union of categories.

    Categories with a zero count in both are dropped; either side without observations is an error.
    """
    for name, counts in (("reference", reference), ("current", current)):
        bad = {category: count for category, count in counts.items() if int(count) != count or count < 0}
        if bad:
            raise ValueError(f"{name} counts must be non-negative integers, got {bad}")
        if sum(counts.values()) == 0:
            raise ValueError(f"{name} has no observations")
    categories = tuple(
        category
        for category in dict.fromkeys([*reference, *current])
        if reference.get(category, 0) + current.get(category, 0) > 0
    )
    return CategoryCounts(
        categories=categories,
        reference=tuple(int(reference.get(category, 0)) for category in categories),
        current=tuple(int(current.get(category, 0)) for category in categories),
    )


def chi2_homogeneity(counts: CategoryCounts) -> ChiSquaredResult:
    """Pearson chi-squared test of homogeneity on the 2 x k table of counts, without Yates correction.

    A single category in total (k = 1) means nothing can differ: statistic 0, p-value 1, dof 0.
    """
    if len(counts.categories) < 2:
        return ChiSquaredResult(statistic=0.0, p_value=1.0, dof=0)
    table = np.array([counts.reference, counts.current], dtype=np.float64)
    result = stats.chi2_contingency(table, correction=False)
    return ChiSquaredResult(
        statistic=float(result.statistic), p_value=float(result.pvalue), dof=int(result.dof)
    )


def category_psi(counts: CategoryCounts, *, epsilon: float = DEFAULT_EPSILON) -> float:
    """PSI over the category shares (each category is a bin; the epsilon adjustment of ``psi``)."""
    return psi(counts.reference, counts.current, epsilon=epsilon)


def category_jensen_shannon(counts: CategoryCounts) -> float:
    """Base-2 Jensen–Shannon distance of the category shares."""
    return jensen_shannon_distance(counts.reference, counts.current)


def new_categories(counts: CategoryCounts) -> tuple[Hashable, ...]:
    """Categories present in current and absent from the reference."""
    sides = zip(counts.categories, counts.reference, counts.current, strict=True)
    return tuple(category for category, reference, current in sides if reference == 0 and current > 0)


def cardinality_change(counts: CategoryCounts) -> CardinalityChange:
    """Distinct categories observed in the reference and in current."""
    return CardinalityChange(
        reference=sum(1 for count in counts.reference if count > 0),
        current=sum(1 for count in counts.current if count > 0),
    )


def categorical_drift(counts: CategoryCounts, *, epsilon: float = DEFAULT_EPSILON) -> CategoricalDrift:
    """All categorical statistics at once."""
    chi2 = chi2_homogeneity(counts)
    return CategoricalDrift(
        chi2_statistic=chi2.statistic,
        chi2_p_value=chi2.p_value,
        chi2_dof=chi2.dof,
        psi=category_psi(counts, epsilon=epsilon),
        jensen_shannon=category_jensen_shannon(counts),
        new_categories=new_categories(counts),
        cardinality=cardinality_change(counts),
    )


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
