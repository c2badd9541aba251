"""Baseline profiles: per-column summaries of a reference dataset, stored and later compared for drift.

Reads: column values passed in (sequences or arrays), one-shot or in chunks. Writes: nothing; every
result is a frozen dataclass with a JSON-safe ``to_dict``/``from_dict`` round trip. Config: none;
``bins``, ``top_k``, ``reservoir_size``, ``seed`` and ``exact_limit`` are explicit parameters.

Missing values are ``None``, float NaN and ``""``; numeric values that are not finite (inf) are
missing too, as in ``processors.drift.stats``. ``count`` is the number of values including missing.
``std`` is the population standard deviation (ddof=0). Quantiles use numpy's default (linear) method.
Categories are labelled by ``category_label`` (``str(value)``, booleans as ``"true"``/``"false"``) so
a profile is JSON-safe; map current data with the same function before comparing.

Streaming (``ProfileBuilder``): count, missing, min, max, categories and the reservoir are exact and
equal to the one-shot profile; mean and std are merged per chunk (Chan et al.), equal to the one-shot
values up to floating-point rounding. Quantiles, PSI edges and bin shares come from all non-missing
values while their number is at most ``exact_limit``; past it they come from the reservoir sample and
are approximations (``NumericSummary.exact`` is False).
"""

from processors.drift.profile.builder import (
    DEFAULT_EXACT_LIMIT,
    ProfileBuilder,
    profile_column,
    profile_predictions,
)
from processors.drift.profile.summaries import (
    CategorySummary,
    FeatureProfile,
    Moments,
    NumericSummary,
    PredictionProfile,
)
from processors.drift.profile.values import (
    OTHER_CATEGORY,
    QUANTILE_PROBABILITIES,
    TEXT_MIN_DISTINCT_RATIO,
    TEXT_MIN_MEAN_LENGTH,
    FeatureType,
    category_label,
    detect_type,
    is_missing,
)

__all__ = [
    "DEFAULT_EXACT_LIMIT",
    "OTHER_CATEGORY",
    "QUANTILE_PROBABILITIES",
    "TEXT_MIN_DISTINCT_RATIO",
    "TEXT_MIN_MEAN_LENGTH",
    "CategorySummary",
    "FeatureProfile",
    "FeatureType",
    "Moments",
    "NumericSummary",
    "PredictionProfile",
    "ProfileBuilder",
    "category_label",
    "detect_type",
    "is_missing",
    "profile_column",
    "profile_predictions",
]
