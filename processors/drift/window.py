"""What the drift report needs from the current window: per-feature aggregates plus a bounded sample.

Reads: current values passed in (``summarize_columns``, in memory) or aggregates computed inside
ClickHouse (``processors.drift.window_queries``). Writes: nothing (pure). Config: none;
``sample_size`` and ``seed`` are parameters (``drift.sample_size``).

Both paths produce the same ``WindowSummary``: for a numeric column the counts in the baseline's
PSI bins, count/mean/variance/min/max and the share outside the baseline's range over ALL current
values, plus a uniform random sample of at most ``sample_size`` values for KS and Wasserstein (a
datetime column is a numeric one of epoch seconds); for a categorical column the count per
category. So a million-row window costs one aggregation pass, not a million values in Python.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from processors.drift.baseline import BaselineProfile
from processors.drift.profile import FeatureProfile, FeatureType, category_label, is_missing
from processors.drift.profile.values import _to_epoch
from processors.drift.stats import bin_counts

DEFAULT_SAMPLE_SIZE = 5000


@dataclass(frozen=True)
class NumericWindow:
    """All finite current values of one numeric column, summarised against its baseline.

    ``present`` finite values; ``bin_counts`` in the baseline's PSI bins; ``variance`` ddof=0;
    ``out_of_range`` values below the baseline minimum or above its maximum; ``sample`` a uniform
    random sample of at most the configured size.
    """

    present: int
    bin_counts: tuple[int, ...]
    mean: float
    variance: float
    min: float
    max: float
    out_of_range: int
    sample: tuple[float, ...]


@dataclass(frozen=True)
class CategoricalWindow:
    """Counts per category label of one categorical column (``other`` = values not listed)."""

    present: int
    counts: Mapping[str, int]
    other: int = 0
    distinct: int = 0


@dataclass(frozen=True)
class WindowSummary:
    """The current window of one model version: ``rows`` inference events in [start, end)."""

    rows: int
    start_unix_nano: int
    end_unix_nano: int
    numeric: Mapping[str, NumericWindow] = field(default_factory=dict)
    categorical: Mapping[str, CategoricalWindow] = field(default_factory=dict)
    classes: CategoricalWindow | None = None
    values: NumericWindow | None = None
    confidence: NumericWindow | None = None


def summarize_numeric(
    profile: FeatureProfile, values: ArrayLike, sample_size: int, rng: np.random.Generator
) -> NumericWindow | None:
    """``NumericWindow`` of ``values`` (non-finite are missing); None when there is none."""
    array = np.asarray(values, dtype=np.float64)
    finite = array[np.isfinite(array)]
    if finite.size == 0 or profile.numeric is None:
        return None
    moments = profile.numeric.moments
    outside = np.count_nonzero((finite < moments.min) | (finite > moments.max))
    sample = finite if finite.size <= sample_size else rng.choice(finite, sample_size, replace=False)
    return NumericWindow(
        present=int(finite.size),
        bin_counts=tuple(int(count) for count in bin_counts(finite, profile.numeric.bin_edges)),
        mean=float(finite.mean()),
        variance=float(finite.var()),
        min=float(finite.min()),
        max=float(finite.max()),
        out_of_range=int(outside),
        sample=tuple(sample.tolist()),
    )


def summarize_categories(values: Iterable[Any], feature_type: FeatureType) -> CategoricalWindow | None:
    """Counts per label (booleans as "true"/"false", 0/1 too for a boolean column); None when empty.

    Values are counted first and labelled per distinct value, so the cost per row is one hash.
    """
    raw = Counter(values.tolist() if isinstance(values, np.ndarray) else values)
    label = _boolean_label if feature_type is FeatureType.BOOLEAN else category_label
    counts: Counter[str] = Counter()
    for value, count in raw.items():
        if not is_missing(value):
            name = label(value)
            if name is not None:
                counts[name] += count
    if not counts:
        return None
    return CategoricalWindow(present=sum(counts.values()), counts=dict(counts), distinct=len(counts))


def summarize_columns(
    baseline: BaselineProfile,
    columns: Mapping[str, ArrayLike],
    rows: int,
    *,
    start_unix_nano: int = 0,
    end_unix_nano: int = 0,
    classes: Iterable[Any] | None = None,
    values: ArrayLike | None = None,
    confidence: ArrayLike | None = None,
    sample_size: int = DEFAULT_SAMPLE_SIZE,
    seed: int = 0,
) -> WindowSummary:
    """The in-memory path: a ``WindowSummary`` of current columns (each of length ``rows``)."""
    rng = np.random.Generator(np.random.PCG64(seed))
    numeric: dict[str, NumericWindow] = {}
    categorical: dict[str, CategoricalWindow] = {}
    for feature in baseline.features:
        column = columns.get(feature.name)
        if column is None:
            continue
        if feature.feature_type in (FeatureType.NUMERIC, FeatureType.DATETIME):
            if feature.feature_type is FeatureType.DATETIME:
                column = epoch_seconds(column)
            summary = summarize_numeric(feature, column, sample_size, rng)
            if summary is not None:
                numeric[feature.name] = summary
        elif feature.feature_type in (FeatureType.CATEGORICAL, FeatureType.BOOLEAN):
            window = summarize_categories(column, feature.feature_type)
            if window is not None:
                categorical[feature.name] = window
    outputs = baseline.predictions
    return WindowSummary(
        rows=rows,
        start_unix_nano=start_unix_nano,
        end_unix_nano=end_unix_nano,
        numeric=numeric,
        categorical=categorical,
        classes=None if classes is None else summarize_categories(classes, FeatureType.CATEGORICAL),
        values=None
        if values is None or outputs.values is None
        else summarize_numeric(outputs.values, values, sample_size, rng),
        confidence=None
        if confidence is None or outputs.confidence is None
        else summarize_numeric(outputs.confidence, confidence, sample_size, rng),
    )


def epoch_seconds(values: Iterable[Any]) -> np.ndarray:
    """Datetime values (ISO 8601 text, datetime, date) as seconds since the epoch, naive ones as UTC,
    the way the baseline profile read them; missing or unparsable values are NaN (missing)."""
    seconds = []
    for value in values.tolist() if isinstance(values, np.ndarray) else values:
        try:
            seconds.append(math.nan if is_missing(value) else _to_epoch(value))
        except (TypeError, ValueError, OverflowError):
            seconds.append(math.nan)
    return np.asarray(seconds, dtype=np.float64)


def _boolean_label(value: Any) -> str | None:
    if isinstance(value, str):
        lowered = value.lower()
        if lowered in ("true", "false"):
            return lowered
        try:
            value = float(value)
        except ValueError:
            return None
    return "true" if bool(value) else "false"
