"""Estimated accuracy before labels arrive (CBPE-style), from the confidence of each prediction.

Reads: per-prediction confidences (probability of the predicted class), or their sums. Writes: a frozen
``AccuracyEstimate``. Config: none.

For a calibrated classifier a prediction with confidence c is right with probability c, so the expected
accuracy of n predictions is mean(c) and the realised accuracy is a Poisson-binomial proportion with
variance Σ c(1 − c) / n². That is the confidence-based performance estimation NannyML calls CBPE,
reduced to accuracy. The estimate is only as good as the calibration: ``calibration_error`` tells
whether it can be trusted for a model (docs/performance-metrics.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from processors.performance.metrics._arrays import as_finite_floats, check_probabilities


@dataclass(frozen=True)
class AccuracyEstimate:
    """Expected accuracy, the number of predictions it covers and the standard deviation of the
    realised accuracy around it (if the model is calibrated)."""

    value: float
    samples: int
    standard_error: float

    @classmethod
    def from_sums(cls, samples: int, confidence_sum: float, variance_sum: float) -> AccuracyEstimate:
        """From n, Σc and Σc(1 − c) (what SQL aggregates); NaN value when n is 0."""
        if samples <= 0:
            return cls(math.nan, 0, math.nan)
        return cls(confidence_sum / samples, samples, math.sqrt(max(variance_sum, 0.0)) / samples)

    @classmethod
    def combine(cls, parts: Sequence[AccuracyEstimate]) -> AccuracyEstimate | None:
        """One estimate over the predictions of several disjoint parts (e.g. time buckets); None if none."""
        parts = [part for part in parts if part.samples > 0]
        if len(parts) <= 1:
            return parts[0] if parts else None
        return cls.from_sums(
            sum(part.samples for part in parts),
            sum(part.value * part.samples for part in parts),
            sum((part.standard_error * part.samples) ** 2 for part in parts),
        )

    def band(self, z: float = 3.0) -> tuple[float, float]:
        """[value − z·se, value + z·se]: where the realised accuracy should fall for a calibrated model."""
        return self.value - z * self.standard_error, self.value + z * self.standard_error


def estimated_accuracy(confidence: ArrayLike) -> AccuracyEstimate:
    """Expected accuracy from confidences in [0, 1]; ValueError when empty, non-finite or out of range."""
    values = as_finite_floats(confidence, "confidence")
    check_probabilities(values, "confidence")
    return AccuracyEstimate.from_sums(
        int(values.size), float(values.sum()), float(np.sum(values * (1.0 - values)))
    )


def predicted_class_confidence(score: ArrayLike, predicted_positive: ArrayLike) -> np.ndarray:
    """Confidence of the predicted class of a binary model from its positive-class score:
    ``score`` where the positive class was predicted, ``1 − score`` elsewhere."""
    scores = as_finite_floats(score, "score")
    positive = np.asarray(predicted_positive, dtype=bool)
    if positive.shape != scores.shape:
        raise ValueError(f"score and predicted_positive differ in shape: {scores.shape} vs {positive.shape}")
    return np.where(positive, scores, 1.0 - scores)
