"""The profile of one column and of a model's outputs, with their JSON round trip.

Reads: nothing. Writes: nothing (pure): frozen dataclasses with ``to_dict``/``from_dict``. Config: none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from processors.drift.profile.values import OTHER_CATEGORY, FeatureType


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
