"""A model version's baseline: the profile of every feature, of the predictions and of the confidence.

Reads: rows of a reference dataset, passed in as column chunks (``BaselineBuilder.add``). Writes:
nothing (pure); ``BaselineProfile.to_dict``/``from_dict`` is the JSON stored in ``ml_baselines``.
Config: none; bins, top-k, reservoir size and the column roles are explicit parameters (the CLI
takes them from ``drift.*`` and its options).

Column roles: the prediction column (default ``prediction``) and the confidence column (default
``confidence``) are not features; ``exclude`` names more columns to skip (ids, labels, timestamps).
A prediction column is profiled as predicted classes (categorical, labels ``str(value)`` as
``ml.prediction.class`` carries them) unless ``prediction_kind`` is ``value``, or ``auto`` sees a
numeric column with a non-integral value in its first chunk (a regression output).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from processors.drift.profile import (
    FeatureProfile,
    FeatureType,
    PredictionProfile,
    ProfileBuilder,
    detect_type,
    is_missing,
)

PREDICTION_KINDS = ("auto", "class", "value")
DEFAULT_PREDICTION_COLUMN = "prediction"
DEFAULT_CONFIDENCE_COLUMN = "confidence"


@dataclass(frozen=True)
class ColumnRoles:
    """Which columns of a reference dataset are not features."""

    prediction: str = DEFAULT_PREDICTION_COLUMN
    confidence: str = DEFAULT_CONFIDENCE_COLUMN
    prediction_kind: str = "auto"
    exclude: tuple[str, ...] = ()
    prediction_value: str = ""  # a second output column profiled as predicted values ("" = none)

    def __post_init__(self) -> None:
        if self.prediction_kind not in PREDICTION_KINDS:
            raise ValueError(
                f"prediction kind must be one of {', '.join(PREDICTION_KINDS)}, got {self.prediction_kind!r}"
            )


@dataclass(frozen=True)
class ProfileOptions:
    """How each column is summarised (``drift.bins``, ``drift.top_k``, ``drift.reservoir_size``)."""

    bins: int = 10
    top_k: int = 20
    reservoir_size: int = 1000
    seed: int = 0


@dataclass(frozen=True)
class BaselineProfile:
    """Every profile of one baseline; ``rows`` counts the reference rows (events)."""

    rows: int
    features: tuple[FeatureProfile, ...]
    predictions: PredictionProfile

    def feature(self, name: str) -> FeatureProfile | None:
        return next((feature for feature in self.features if feature.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "features": [feature.to_dict() for feature in self.features],
            "predictions": self.predictions.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BaselineProfile:
        return cls(
            rows=int(data["rows"]),
            features=tuple(FeatureProfile.from_dict(feature) for feature in data["features"]),
            predictions=PredictionProfile.from_dict(data["predictions"]),
        )


class BaselineBuilder:
    """Profiles a reference dataset chunk by chunk (``add``), then ``build()``.

    A column missing from a chunk, or first seen in a later chunk, counts as missing in the rows
    where it was absent, so every profile's ``count`` equals the number of rows.
    """

    def __init__(
        self,
        roles: ColumnRoles | None = None,
        options: ProfileOptions | None = None,
        *,
        feature_types: Mapping[str, FeatureType] | None = None,
    ) -> None:
        self.roles = roles or ColumnRoles()
        self.options = options or ProfileOptions()
        self._types = dict(feature_types or {})
        self._rows = 0
        self._columns: dict[str, ProfileBuilder] = {}  # input column -> its builder
        self._prediction_kind = ""

    @property
    def rows(self) -> int:
        return self._rows

    def add(self, columns: Mapping[str, Sequence[Any] | np.ndarray], rows: int) -> BaselineBuilder:
        """Add ``rows`` rows given as ``{column: values}``; every given column has ``rows`` values."""
        for name, values in columns.items():
            if len(values) != rows:
                raise ValueError(f"column {name!r} has {len(values)} values in a chunk of {rows} rows")
        skipped = set(self.roles.exclude)
        for name, values in columns.items():
            if name not in skipped:
                self._builder_for(name, values).add(values)
        for name, builder in self._columns.items():
            if name not in columns:
                builder.add([None] * rows)
        self._rows += rows
        return self

    def _builder_for(self, name: str, values: Sequence[Any] | np.ndarray) -> ProfileBuilder:
        if name in self._columns:
            return self._columns[name]
        if name == self.roles.prediction:
            kind = self.roles.prediction_kind
            self._prediction_kind = _prediction_kind(values) if kind == "auto" else kind
            if self._prediction_kind == "value":
                builder = self._new("values", FeatureType.NUMERIC)
            else:
                builder = self._new("classes", FeatureType.CATEGORICAL)
        elif name == self.roles.confidence:
            builder = self._new("confidence", FeatureType.NUMERIC)
        elif self.roles.prediction_value and name == self.roles.prediction_value:
            builder = self._new("values", FeatureType.NUMERIC)
        else:
            builder = self._new(name, self._types.get(name))
        self._columns[name] = builder
        return builder

    def _new(self, name: str, feature_type: FeatureType | None) -> ProfileBuilder:
        options = self.options
        builder = ProfileBuilder(
            name,
            feature_type,
            bins=options.bins,
            top_k=options.top_k,
            reservoir_size=options.reservoir_size,
            seed=options.seed,
        )
        if self._rows:
            builder.add([None] * self._rows)
        return builder

    def build(self) -> BaselineProfile:
        if self._rows == 0:
            raise ValueError("the reference data has no rows")
        roles = self.roles
        outputs = {
            "classes": None,
            "values": None,
            "confidence": None,
        }
        features = []
        for name in sorted(self._columns):
            profile = self._columns[name].build()
            if name == roles.prediction:
                outputs["values" if self._prediction_kind == "value" else "classes"] = profile
            elif name == roles.confidence:
                outputs["confidence"] = profile
            elif roles.prediction_value and name == roles.prediction_value:
                outputs["values"] = profile
            else:
                features.append(profile)
        return BaselineProfile(
            rows=self._rows, features=tuple(features), predictions=PredictionProfile(**outputs)
        )


def _prediction_kind(values: Sequence[Any] | np.ndarray) -> str:
    present = [value for value in values if not is_missing(value)]
    if not present or detect_type(present) is not FeatureType.NUMERIC:
        return "class"
    numbers = (float(value) for value in present)
    return "value" if any(math.isfinite(x) and x != math.floor(x) for x in numbers) else "class"
