"""Regression metrics: MAE, RMSE, R² and MAPE with zero targets excluded.

Reads: 1-D finite arrays of targets and predictions. Writes: floats and a frozen dataclass. Config: none.
Empty, mismatched or non-finite input raises ValueError.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from processors.performance.metrics._arrays import as_finite_floats, check_same_length


@dataclass(frozen=True)
class Mape:
    """MAPE as a fraction (0.05 = 5 %) over non-zero targets, with how many targets were used and excluded."""

    value: float
    used: int
    excluded_zero_targets: int


def mean_absolute_error(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean of |y − ŷ|."""
    truth, predicted = _pair(y_true, y_pred)
    return float(np.mean(np.abs(truth - predicted)))


def root_mean_squared_error(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Square root of the mean of (y − ŷ)²."""
    truth, predicted = _pair(y_true, y_pred)
    return float(np.sqrt(np.mean((truth - predicted) ** 2)))


def r2_score(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """1 − Σ(y − ŷ)² / Σ(y − ȳ)²; NaN when the targets are constant (including a single sample).

    scikit-learn's default ``force_finite=True`` returns 1.0 (perfect) or 0.0 there instead; NaN keeps
    "undefined" apart from "no better than the mean".
    """
    truth, predicted = _pair(y_true, y_pred)
    total = float(np.sum((truth - truth.mean()) ** 2))
    if total == 0.0:
        return math.nan
    return 1.0 - float(np.sum((truth - predicted) ** 2)) / total


def mean_absolute_percentage_error(y_true: ArrayLike, y_pred: ArrayLike) -> Mape:
    """Mean of |y − ŷ| / |y| over samples with y ≠ 0; value NaN when every target is zero.

    Zero targets are left out and counted in ``excluded_zero_targets``. scikit-learn divides by
    max(|y|, machine epsilon) instead, so a zero target adds a huge term (~4.5e15 · |ŷ|); without zero
    targets both agree.
    """
    truth, predicted = _pair(y_true, y_pred)
    nonzero = truth != 0.0
    used = int(np.sum(nonzero))
    excluded = truth.size - used
    if used == 0:
        return Mape(value=math.nan, used=0, excluded_zero_targets=excluded)
    errors = np.abs(truth[nonzero] - predicted[nonzero]) / np.abs(truth[nonzero])
    return Mape(value=float(np.mean(errors)), used=used, excluded_zero_targets=excluded)


def _pair(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    truth = as_finite_floats(y_true, "y_true")
    predicted = as_finite_floats(y_pred, "y_pred")
    check_same_length(truth, predicted, "y_true and y_pred")
    return truth, predicted
