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

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone
from enum import Enum
from typing import Any

import numpy as np

from processors.drift.stats import bin_counts, quantile_bin_edges

QUANTILE_PROBABILITIES: tuple[float, ...] = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
OTHER_CATEGORY = "__other__"
# Free text: at least this share of distinct values and this mean length (characters).
TEXT_MIN_DISTINCT_RATIO = 0.5
TEXT_MIN_MEAN_LENGTH = 20.0
DEFAULT_EXACT_LIMIT = 100_000


class FeatureType(str, Enum):
    """The kind of a column, which decides how it is summarised."""

    NUMERIC = "numeric"
    CATEGORICAL = "categorical"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    TEXT = "text"


def is_missing(value: Any) -> bool:
    """``None``, float NaN and the empty string are missing."""
    if value is None:
        return True
    if isinstance(value, str):
        return value == ""
    return isinstance(value, (float, np.floating)) and math.isnan(value)


def category_label(value: Any) -> str:
    """The label a category is counted under: ``str(value)``; booleans as ``"true"``/``"false"``."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    return str(value)


def _is_boolean(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return True
    if isinstance(value, (int, np.integer)):
        return value in (0, 1)
    return isinstance(value, str) and value.lower() in ("true", "false")


def _to_float(value: Any) -> float:
    """``value`` as a float; inf and NaN become NaN (missing). Raises ValueError if it is not a number."""
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"boolean {value!r} is not a number")
    number = float(value)
    return number if math.isfinite(number) else math.nan


def _to_epoch(value: Any) -> float:
    """Seconds since the epoch of an ISO 8601 string or datetime/date; naive times are taken as UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    elif isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if not isinstance(value, datetime):
        raise ValueError(f"{value!r} is not a datetime")
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()


def _parses(convert: Any, values: Sequence[Any]) -> bool:
    try:
        for value in values:
            convert(value)
    except (TypeError, ValueError, OverflowError):
        return False
    return True


def detect_type(values: Iterable[Any]) -> FeatureType:
    """The type of a column from its non-missing values, checked in this order.

    boolean: every value is a bool, the integer 0 or 1, or the string "true"/"false" (any case).
    numeric: every value parses with ``float`` (strings included); inf counts as missing later.
    datetime: every value is a datetime/date or a string ``datetime.fromisoformat`` accepts.
    text: every value is a string, at least ``TEXT_MIN_DISTINCT_RATIO`` of them are distinct and
    their mean length is at least ``TEXT_MIN_MEAN_LENGTH`` characters.
    categorical: anything else, including a column with no non-missing values.
    """
    present = [value for value in values if not is_missing(value)]
    if not present:
        return FeatureType.CATEGORICAL
    if all(_is_boolean(value) for value in present):
        return FeatureType.BOOLEAN
    if _parses(_to_float, present):
        return FeatureType.NUMERIC
    if _parses(_to_epoch, present):
        return FeatureType.DATETIME
    if all(isinstance(value, str) for value in present):
        distinct_ratio = len(set(present)) / len(present)
        mean_length = sum(len(value) for value in present) / len(present)
        if distinct_ratio >= TEXT_MIN_DISTINCT_RATIO and mean_length >= TEXT_MIN_MEAN_LENGTH:
            return FeatureType.TEXT
    return FeatureType.CATEGORICAL


@dataclass(frozen=True)
class Moments:
    """Count, mean, population std (ddof=0), min and max of the non-missing values."""

    count: int
    mean: float
    std: float
    min: float
    max: float


@dataclass(frozen=True)
class NumericSummary:
    """Moments plus quantiles at ``QUANTILE_PROBABILITIES``, PSI bin edges and the shares per bin.

    ``exact`` is False when quantiles, edges and shares were computed from the reservoir sample.
    """

    moments: Moments
    quantiles: tuple[float, ...]
    bin_edges: tuple[float, ...]
    bin_shares: tuple[float, ...]
    exact: bool


@dataclass(frozen=True)
class CategorySummary:
    """The ``top_k`` most frequent categories (count descending, then label) and the rest as other."""

    distinct: int
    top: tuple[tuple[str, int], ...]
    other: int

    @property
    def shares(self) -> dict[str, float]:
        """Share per top category plus ``OTHER_CATEGORY`` when anything fell outside the top."""
        total = sum(count for _, count in self.top) + self.other
        result = {label: count / total for label, count in self.top}
        if self.other:
            result[OTHER_CATEGORY] = self.other / total
        return result


@dataclass(frozen=True)
class FeatureProfile:
    """One column of the baseline. Sections that do not apply to its type are None."""

    name: str
    feature_type: FeatureType
    count: int
    missing: int
    numeric: NumericSummary | None
    categories: CategorySummary | None
    text_length: Moments | None
    reservoir: tuple[float | str, ...]

    @property
    def missing_rate(self) -> float:
        return self.missing / self.count if self.count else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict; ``from_dict`` rebuilds an equal profile."""
        result = asdict(self)
        result["feature_type"] = self.feature_type.value
        result["missing_rate"] = self.missing_rate
        return result

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureProfile:
        numeric = data["numeric"]
        categories = data["categories"]
        text_length = data["text_length"]
        return cls(
            name=data["name"],
            feature_type=FeatureType(data["feature_type"]),
            count=int(data["count"]),
            missing=int(data["missing"]),
            numeric=None
            if numeric is None
            else NumericSummary(
                moments=Moments(**numeric["moments"]),
                quantiles=tuple(numeric["quantiles"]),
                bin_edges=tuple(numeric["bin_edges"]),
                bin_shares=tuple(numeric["bin_shares"]),
                exact=bool(numeric["exact"]),
            ),
            categories=None
            if categories is None
            else CategorySummary(
                distinct=int(categories["distinct"]),
                top=tuple((str(label), int(count)) for label, count in categories["top"]),
                other=int(categories["other"]),
            ),
            text_length=None if text_length is None else Moments(**text_length),
            reservoir=tuple(data["reservoir"]),
        )


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
        values = list(chunk)
        self._count += len(values)
        present = [value for value in values if not is_missing(value)]
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
            labels = [category_label(value) for value in present]
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


@dataclass(frozen=True)
class PredictionProfile:
    """Baseline of a model's outputs: predicted classes, predicted values and confidences."""

    classes: FeatureProfile | None
    values: FeatureProfile | None
    confidence: FeatureProfile | None

    def to_dict(self) -> dict[str, Any]:
        return {
            key: None if profile is None else profile.to_dict()
            for key, profile in (
                ("classes", self.classes),
                ("values", self.values),
                ("confidence", self.confidence),
            )
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PredictionProfile:
        return cls(
            **{
                key: None if data[key] is None else FeatureProfile.from_dict(data[key])
                for key in ("classes", "values", "confidence")
            }
        )


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
