"""Calibration: equal-width reliability bins and the expected calibration error (ECE).

Reads: 1-D true labels with a positive-class probability (binary) or a probability matrix (top-label).
Writes: frozen dataclasses. Config: none; ``n_bins`` and ``pos_label`` are explicit parameters.

Bins split [0, 1] into ``n_bins`` equal widths. A probability on an inner edge goes to the lower bin
(bins are (lower, upper], the first one [0, upper]) — scikit-learn's ``calibration_curve`` with
``strategy="uniform"`` assigns edges the same way. ECE = Σ_b n_b/N · |acc_b − conf_b| over non-empty
bins, where conf_b is the mean predicted probability and acc_b the observed frequency in bin b.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from processors.performance.metrics._arrays import (
    as_labels,
    check_probabilities,
    check_same_length,
    labelled_probability_matrix,
)

DEFAULT_BINS = 10


@dataclass(frozen=True)
class ReliabilityBin:
    """One bin: its edges, sample count, mean predicted probability and observed frequency (NaN if empty)."""

    lower: float
    upper: float
    count: int
    mean_predicted: float
    observed_frequency: float


@dataclass(frozen=True)
class Reliability:
    """All ``n_bins`` bins (empty ones included), the sample count and the ECE over them."""

    bins: tuple[ReliabilityBin, ...]
    count: int
    expected_calibration_error: float


def reliability_bins(
    y_true: ArrayLike, y_prob: ArrayLike, n_bins: int = DEFAULT_BINS, pos_label: Any = 1
) -> Reliability:
    """Positive-class calibration: ``y_prob`` is P(label == ``pos_label``), the event is y == pos_label.

    This is the binary (positive-class) ECE; for a multi-class model see ``top_label_reliability``.
    Raises ValueError on empty or mismatched input, probabilities outside [0, 1], more than two labels in
    ``y_true`` or ``n_bins`` < 1.
    """
    truth = as_labels(y_true, "y_true")
    probabilities = np.asarray(y_prob, dtype=np.float64)
    if probabilities.ndim != 1:
        raise ValueError(f"y_prob must be 1-D, got shape {probabilities.shape}")
    check_same_length(truth, probabilities, "y_true and y_prob")
    check_probabilities(probabilities, "y_prob")
    distinct = np.unique(truth)
    if distinct.size > 2:
        raise ValueError(f"positive-class calibration needs at most two labels, found {distinct.tolist()}")
    return _reliability((truth == pos_label).astype(np.float64), probabilities, n_bins)


def top_label_reliability(
    y_true: ArrayLike,
    y_proba: ArrayLike,
    labels: Sequence[Any] | ArrayLike | None = None,
    n_bins: int = DEFAULT_BINS,
) -> Reliability:
    """Top-label calibration: confidence = the row's highest probability, event = that label is right.

    Columns follow ``labels`` (default: sorted distinct values of ``y_true``); a tie for the highest
    probability picks the first such column.
    """
    truth, proba, order = labelled_probability_matrix(y_true, y_proba, labels)
    correct = (order[np.argmax(proba, axis=1)] == truth).astype(np.float64)
    return _reliability(correct, proba.max(axis=1), n_bins)


def expected_calibration_error(
    y_true: ArrayLike, y_prob: ArrayLike, n_bins: int = DEFAULT_BINS, pos_label: Any = 1
) -> float:
    """``reliability_bins(...).expected_calibration_error`` (positive-class definition)."""
    return reliability_bins(y_true, y_prob, n_bins=n_bins, pos_label=pos_label).expected_calibration_error


def _reliability(
    outcomes: NDArray[np.float64], probabilities: NDArray[np.float64], n_bins: int
) -> Reliability:
    if isinstance(n_bins, bool) or not isinstance(n_bins, int) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}")
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bin_ids = np.searchsorted(edges[1:-1], probabilities, side="left")
    counts = np.bincount(bin_ids, minlength=n_bins)
    predicted_sums = np.bincount(bin_ids, weights=probabilities, minlength=n_bins)
    observed_sums = np.bincount(bin_ids, weights=outcomes, minlength=n_bins)
    bins = []
    gap = 0.0
    for index in range(n_bins):
        count = int(counts[index])
        mean_predicted = float(predicted_sums[index] / count) if count else math.nan
        observed = float(observed_sums[index] / count) if count else math.nan
        if count:
            gap += count * abs(observed - mean_predicted)
        lower, upper = float(edges[index]), float(edges[index + 1])
        bins.append(ReliabilityBin(lower, upper, count, mean_predicted, observed))
    return Reliability(
        bins=tuple(bins), count=int(outcomes.size), expected_calibration_error=float(gap / outcomes.size)
    )
