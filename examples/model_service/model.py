"""The toy fraud model and the work of each stage: deterministic, no model files, no telemetry.

Reads: a request's features. Writes: nothing. ``fraud_score`` is a logistic function of three features;
``Pipeline`` runs the stages one at a time so the service can wrap each in its span.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass

from examples.model_service.conventions import (
    PREDICTION_CLASS,
    PREDICTION_CONFIDENCE,
    PREDICTION_SCORE,
    PREDICTION_VALUE,
    STAGE_INFERENCE,
    STAGE_POSTPROCESS,
    STAGE_PREPROCESS,
)

FeatureValue = bool | int | float | str
FRAUD = "fraud"
LEGIT = "legit"


class FeatureError(ValueError):
    """A feature the model needs cannot be used (the service answers 400)."""


@dataclass(frozen=True)
class Answer:
    """The model's answer: ``label`` is ``fraud`` or ``legit``, ``score`` the probability of fraud,
    ``confidence`` the probability of the label; ``value`` (regression) stays None unless overridden."""

    label: str | None
    confidence: float | None
    score: float | None
    value: float | None = None

    def attributes(self) -> dict[str, FeatureValue]:
        values = {
            PREDICTION_CLASS: self.label,
            PREDICTION_CONFIDENCE: self.confidence,
            PREDICTION_SCORE: self.score,
            PREDICTION_VALUE: self.value,
        }
        return {key: value for key, value in values.items() if value is not None}


def fraud_score(features: Mapping[str, FeatureValue]) -> float:
    """Probability that a card transaction is fraud.

    Uses ``amount`` (currency units, default 0), ``account_age_days`` (default 365) and ``is_foreign``
    (default False); other features are ignored. Raises FeatureError for a non-numeric amount or age.
    """
    amount = _number(features, "amount", 0.0)
    account_age_days = _number(features, "account_age_days", 365.0)
    is_foreign = 1.0 if features.get("is_foreign") is True else 0.0
    z = -3.0 + 0.004 * amount + 1.8 * is_foreign - 0.004 * account_age_days
    return 1.0 / (1.0 + math.exp(-max(min(z, 500.0), -500.0)))


def input_hash(features: Mapping[str, FeatureValue]) -> str:
    """A stable fingerprint of the input (``ml.input.hash``): SHA-256 of the canonical JSON, 16 hex digits."""
    canonical = json.dumps(dict(features), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def check_features(features: Mapping[str, FeatureValue]) -> None:
    """Reject what cannot become an ``ml.feature.<name>`` attribute (a programming error, not a 400)."""
    for name, value in features.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"features: names must be non-empty strings, got {name!r}")
        if not isinstance(value, (bool, int, float, str)):
            raise TypeError(f"features.{name}: must be a bool, int, float or str, got {type(value).__name__}")


class Pipeline:
    """One request's data as it moves through the stages; ``answer`` is set by postprocess."""

    def __init__(self, features: Mapping[str, FeatureValue], threshold: float) -> None:
        self.features = features
        self.threshold = threshold
        self.score: float | None = None
        self.answer: Answer | None = None

    def run(self, stage: str) -> None:
        """Do one stage's work (queue and network have none)."""
        if stage == STAGE_PREPROCESS:
            fraud_score(self.features)  # validates the inputs; FeatureError becomes a 400
        elif stage == STAGE_INFERENCE:
            self.score = fraud_score(self.features)
        elif stage == STAGE_POSTPROCESS:
            score = self.score if self.score is not None else fraud_score(self.features)
            fraud = score >= self.threshold
            self.answer = Answer(FRAUD if fraud else LEGIT, score if fraud else 1.0 - score, score)


def _number(features: Mapping[str, FeatureValue], name: str, default: float) -> float:
    value = features.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FeatureError(f"feature {name!r} must be a number, got {value!r}")
    return float(value)
