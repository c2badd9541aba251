"""Pure drift statistics: reference sample against current sample, no I/O, clock or logging.

Reads: arrays, sequences and per-category counts passed in. Writes: nothing; every result is a
float or a frozen dataclass. Config: none; bins, epsilon, alpha and minimum effects are explicit
parameters whose defaults are defined here. The formulas, bins and thresholds are documented in
docs/drift-statistics.md.
"""

from processors.drift.stats._samples import bin_counts, quantile_bin_edges
from processors.drift.stats.categorical import (
    CardinalityChange,
    CategoricalDrift,
    CategoryCounts,
    ChiSquaredResult,
    align_counts,
    cardinality_change,
    categorical_drift,
    category_jensen_shannon,
    category_psi,
    chi2_homogeneity,
    count_categories,
    new_categories,
)
from processors.drift.stats.jensen_shannon import jensen_shannon_distance
from processors.drift.stats.numeric import (
    WASSERSTEIN_STD_FLOOR,
    KsResult,
    NumericDrift,
    binned_jensen_shannon,
    ks_test,
    mean_shift,
    missing_rate,
    normed_wasserstein,
    numeric_drift,
    out_of_range_share,
    variance_ratio,
)
from processors.drift.stats.prediction import (
    ClassDistributionDrift,
    OutputValueDrift,
    class_distribution_drift,
    output_value_drift,
)
from processors.drift.stats.psi import (
    DEFAULT_EPSILON,
    SIGNIFICANT_PSI,
    SMALL_PSI,
    PsiBand,
    PsiResult,
    psi,
    psi_band,
    psi_from_samples,
)
from processors.drift.stats.significance import (
    DEFAULT_ALPHA,
    MIN_JENSEN_SHANNON,
    MIN_NORMED_WASSERSTEIN,
    MIN_PSI,
    benjamini_hochberg,
    bonferroni,
    is_drift,
)

__all__ = [
    "DEFAULT_ALPHA",
    "DEFAULT_EPSILON",
    "MIN_JENSEN_SHANNON",
    "MIN_NORMED_WASSERSTEIN",
    "MIN_PSI",
    "SIGNIFICANT_PSI",
    "SMALL_PSI",
    "WASSERSTEIN_STD_FLOOR",
    "CardinalityChange",
    "CategoricalDrift",
    "CategoryCounts",
    "ChiSquaredResult",
    "ClassDistributionDrift",
    "KsResult",
    "NumericDrift",
    "OutputValueDrift",
    "PsiBand",
    "PsiResult",
    "align_counts",
    "benjamini_hochberg",
    "bin_counts",
    "binned_jensen_shannon",
    "bonferroni",
    "cardinality_change",
    "categorical_drift",
    "category_jensen_shannon",
    "category_psi",
    "chi2_homogeneity",
    "class_distribution_drift",
    "count_categories",
    "is_drift",
    "jensen_shannon_distance",
    "ks_test",
    "mean_shift",
    "missing_rate",
    "new_categories",
    "normed_wasserstein",
    "numeric_drift",
    "out_of_range_share",
    "output_value_drift",
    "psi",
    "psi_band",
    "psi_from_samples",
    "quantile_bin_edges",
    "variance_ratio",
]
