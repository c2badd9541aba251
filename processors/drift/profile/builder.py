"""Building profiles: one column chunk by chunk (``ProfileBuilder``), a whole column, a model's outputs.

Reads: column values passed in. Writes: nothing (pure). Config: none (every option is a parameter).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from processors.drift.profile.summaries import (
    CategorySummary,
    FeatureProfile,
    Moments,
    NumericSummary,
    PredictionProfile,
)
from processors.drift.profile.values import (
    QUANTILE_PROBABILITIES,
    FeatureType,
    _is_boolean,
    _to_epoch,
    _to_float,
    category_label,
    detect_type,
    is_missing,
)
from processors.drift.stats import bin_counts, quantile_bin_edges

DEFAULT_EXACT_LIMIT = 100_000


class ProfileBuilder:
    """Accumulates one column chunk by chunk; ``build()`` gives the ``FeatureProfile``.

    Without ``feature_type`` the first chunk with a non-missing value decides it (``detect_type``);
    a later value that does not convert to that type raises ValueError. ``exact_limit=None`` keeps
    every value for exact quantiles (what ``profile_column`` does).
    """

    def __init__(
        self,
        name: str,
        feature_type: FeatureType | None = None,
        *,
        bins: int = 10,
        top_k: int = 20,
        reservoir_size: int = 1000,
        seed: int = 0,
        exact_limit: int | None = DEFAULT_EXACT_LIMIT,
    ) -> None:
        if top_k < 1 or reservoir_size < 1:
            raise ValueError(f"top_k and reservoir_size must be >= 1, got {top_k!r}, {reservoir_size!r}")
        self._name = name
        self._type = feature_type
        self._bins = bins
        self._top_k = top_k
        self._reservoir_size = reservoir_size
        self._rng = np.random.Generator(np.random.PCG64(seed))
        self._exact_limit = exact_limit
        self._count = 0
        self._missing = 0
        self._seen = 0  # non-missing values offered to the reservoir
        self._reservoir: list[float | str] = []
        self._n = 0
        self._mean = 0.0
        self._m2 = 0.0
        self._min = math.inf
        self._max = -math.inf
        self._kept: list[np.ndarray] | None = []
        self._kept_size = 0
        self._categories: Counter[str] = Counter()

    def add(self, chunk: Iterable[Any]) -> ProfileBuilder:
        """Add one chunk of values; returns self so calls can be chained."""
        if self._add_numeric_array(chunk):
            return self
        values = chunk.tolist() if isinstance(chunk, np.ndarray) else list(chunk)
        self._count += len(values)
        present = _present(values)
        if self._type is None and present:
            self._type = detect_type(present)
        if not present:
            self._missing += len(values)
            return self
        if self._type is FeatureType.TEXT:
            self._missing += len(values) - len(present)
            self._merge_moments(np.array([len(str(value)) for value in present], dtype=np.float64))
            return self
        if self._type is FeatureType.CATEGORICAL:
            self._missing += len(values) - len(present)
            labels = _labels(present)
            self._categories.update(labels)
            self._offer(labels)
            return self
        numbers = np.array([self._convert(value) for value in present], dtype=np.float64)
        finite = numbers[np.isfinite(numbers)]
        self._missing += len(values) - finite.size
        if self._type is FeatureType.BOOLEAN:
            self._categories.update("true" if number else "false" for number in finite)
        self._merge_moments(finite)
        self._offer([float(number) for number in finite])
        if self._kept is not None:
            self._kept.append(finite)
            self._kept_size += finite.size
            if self._exact_limit is not None and self._kept_size > self._exact_limit:
                self._kept = None
        return self

    def _add_numeric_array(self, chunk: Iterable[Any]) -> bool:
        """Vectorised ``add`` of a float (or non-0/1 integer) numpy array to a numeric column.

        Same result as the generic path: non-finite values are missing. False (nothing added)
        when the chunk is not such an array or the column is not numeric.
        """
        if not isinstance(chunk, np.ndarray) or chunk.ndim != 1 or chunk.dtype.kind not in "fi":
            return False
        numbers = chunk.astype(np.float64)
        finite = numbers[np.isfinite(numbers)]
        if self._type is None and finite.size:
            boolean = chunk.dtype.kind == "i" and bool(np.all((finite == 0) | (finite == 1)))
            if boolean:
                return False
            self._type = FeatureType.NUMERIC
        if self._type is not FeatureType.NUMERIC and finite.size:
            return False
        self._count += numbers.size
        self._missing += numbers.size - finite.size
        if finite.size == 0:
            return True
        self._merge_moments(finite)
        self._offer(finite.tolist())
        if self._kept is not None:
            self._kept.append(finite)
            self._kept_size += finite.size
            if self._exact_limit is not None and self._kept_size > self._exact_limit:
                self._kept = None
        return True

    def _convert(self, value: Any) -> float:
        if self._type is FeatureType.BOOLEAN:
            if not _is_boolean(value):
                raise ValueError(f"column {self._name!r}: {value!r} is not a boolean")
            return 1.0 if str(value).lower() in ("true", "1") else 0.0
        try:
            return _to_epoch(value) if self._type is FeatureType.DATETIME else _to_float(value)
        except (TypeError, ValueError, OverflowError) as error:
            raise ValueError(f"column {self._name!r}: {value!r} is not {self._type.value}") from error

    def _merge_moments(self, sample: np.ndarray) -> None:
        """Chan et al. parallel merge of (n, mean, M2) with the chunk's."""
        if sample.size == 0:
            return
        n_b = sample.size
        mean_b = float(sample.mean())
        m2_b = float(np.sum((sample - mean_b) ** 2))
        n = self._n + n_b
        delta = mean_b - self._mean
        self._mean += delta * n_b / n
        self._m2 += m2_b + delta * delta * self._n * n_b / n
        self._n = n
        self._min = min(self._min, float(sample.min()))
        self._max = max(self._max, float(sample.max()))

    def _offer(self, items: Sequence[float | str]) -> None:
        """Algorithm R: item i (0-based, i >= size) replaces slot j ~ U{0..i} when j < size."""
        fill = min(len(items), self._reservoir_size - len(self._reservoir))
        self._reservoir.extend(items[:fill])
        self._seen += fill
        rest = len(items) - fill
        if rest <= 0:
            return
        slots = self._rng.integers(0, np.arange(self._seen, self._seen + rest) + 1)
        for offset in np.flatnonzero(slots < self._reservoir_size):
            self._reservoir[int(slots[offset])] = items[fill + int(offset)]
        self._seen += rest

    def _moments(self) -> Moments:
        return Moments(self._n, self._mean, math.sqrt(self._m2 / self._n), self._min, self._max)

    def build(self) -> FeatureProfile:
        feature_type = self._type or FeatureType.CATEGORICAL
        numeric = categories = text_length = None
        if feature_type is FeatureType.TEXT:
            text_length = self._moments() if self._n else None
        elif feature_type is not FeatureType.CATEGORICAL and self._n:
            exact = self._kept is not None
            sample = np.concatenate(self._kept) if exact else np.array(self._reservoir, dtype=np.float64)
            edges = quantile_bin_edges(sample, self._bins)
            counts = bin_counts(sample, edges)
            numeric = NumericSummary(
                moments=self._moments(),
                quantiles=tuple(float(q) for q in np.quantile(sample, QUANTILE_PROBABILITIES)),
                bin_edges=tuple(float(edge) for edge in edges),
                bin_shares=tuple(float(share) for share in counts / counts.sum()),
                exact=exact,
            )
        if feature_type in (FeatureType.CATEGORICAL, FeatureType.BOOLEAN) and self._categories:
            ranked = sorted(self._categories.items(), key=lambda item: (-item[1], item[0]))
            top = tuple(ranked[: self._top_k])
            categories = CategorySummary(
                distinct=len(ranked), top=top, other=sum(count for _, count in ranked[self._top_k :])
            )
        return FeatureProfile(
            name=self._name,
            feature_type=feature_type,
            count=self._count,
            missing=self._missing,
            numeric=numeric,
            categories=categories,
            text_length=text_length,
            reservoir=tuple(self._reservoir) if feature_type is not FeatureType.TEXT else (),
        )


def _present(values: list[Any]) -> list[Any]:
    """``values`` without the missing ones, deciding once per distinct value when they are hashable.

    Membership finds NaN too: the set holds the very objects of ``values`` and ``in`` checks identity.
    """
    try:
        missing = {value for value in set(values) if is_missing(value)}
    except TypeError:  # unhashable values (lists or objects from JSON): one by one
        return [value for value in values if not is_missing(value)]
    return [value for value in values if value not in missing] if missing else values


def _labels(present: list[Any]) -> list[str]:
    """``category_label`` of each value; a column of strings is its own labels."""
    try:
        text_only = all(type(value) is str for value in set(present))
    except TypeError:
        text_only = False
    return present if text_only else [category_label(value) for value in present]


def profile_column(
    name: str,
    values: Iterable[Any],
    *,
    bins: int = 10,
    top_k: int = 20,
    reservoir_size: int = 1000,
    seed: int = 0,
    feature_type: FeatureType | None = None,
) -> FeatureProfile:
    """Profile one whole column; the type is detected from all values unless given."""
    values = list(values)
    builder = ProfileBuilder(
        name,
        feature_type or detect_type(values),
        bins=bins,
        top_k=top_k,
        reservoir_size=reservoir_size,
        seed=seed,
        exact_limit=None,
    )
    return builder.add(values).build()


def profile_predictions(
    classes: Iterable[Any] | None = None,
    values: Iterable[Any] | None = None,
    confidences: Iterable[Any] | None = None,
    *,
    bins: int = 10,
    top_k: int = 20,
    reservoir_size: int = 1000,
    seed: int = 0,
) -> PredictionProfile:
    """Classes are profiled as categorical (shares in ``categories.shares``), values and confidences
    as numeric; an output not given is None."""
    options = {"bins": bins, "top_k": top_k, "reservoir_size": reservoir_size, "seed": seed}
    return PredictionProfile(
        classes=None
        if classes is None
        else profile_column("classes", classes, feature_type=FeatureType.CATEGORICAL, **options),
        values=None
        if values is None
        else profile_column("values", values, feature_type=FeatureType.NUMERIC, **options),
        confidence=None
        if confidences is None
        else profile_column("confidence", confidences, feature_type=FeatureType.NUMERIC, **options),
    )
