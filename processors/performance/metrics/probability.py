"""Log loss (cross-entropy) of predicted class probabilities.

Reads: 1-D true labels with a 1-D positive-class probability (binary) or a samples × classes matrix.
Writes: a float. Config: none; ``labels`` and the clipping ``eps`` are explicit parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from processors.performance.metrics._arrays import (
    as_labels,
    check_probabilities,
    check_same_length,
    label_indices,
    label_order,
)

# Current scikit-learn clips to the machine epsilon of the probability dtype; float64 here.
DEFAULT_LOG_LOSS_EPS = float(np.finfo(np.float64).eps)
# Rows must sum to one within this absolute tolerance (float32 softmax outputs stay well inside it).
ROW_SUM_TOLERANCE = 1e-6


def log_loss(
    y_true: ArrayLike,
    y_proba: ArrayLike,
    labels: Sequence[Any] | ArrayLike | None = None,
    eps: float = DEFAULT_LOG_LOSS_EPS,
) -> float:
    """Mean of −ln p(true label), with each probability first clipped to [eps, 1 − eps].

    Clipping keeps a confident wrong prediction finite: with the default eps (2.22e-16) one sample
    contributes at most −ln(eps) ≈ 36.04. Columns of a 2-D ``y_proba`` follow ``labels`` (default:
    sorted distinct values of ``y_true``); a 1-D ``y_proba`` is the probability of ``labels[1]`` and
    needs exactly two labels. Raises ValueError on empty input, probabilities outside [0, 1], rows not
    summing to one within ``ROW_SUM_TOLERANCE`` (scikit-learn only warns), a column count that does not
    match the labels, or a true label missing from ``labels``.
    """
    if not 0.0 <= eps < 0.5:
        raise ValueError(f"eps must be in [0, 0.5), got {eps!r}")
    truth = as_labels(y_true, "y_true")
    proba = np.asarray(y_proba, dtype=np.float64)
    check_same_length(truth, proba, "y_true and y_proba")
    check_probabilities(proba, "y_proba")
    order = label_order(labels, truth)
    if proba.ndim == 1:
        if order.size != 2:
            raise ValueError(f"a 1-D y_proba needs exactly two labels, got {order.tolist()}")
        proba = np.column_stack((1.0 - proba, proba))
    if proba.ndim != 2 or proba.shape[1] != order.size:
        raise ValueError(f"y_proba of shape {proba.shape} does not match {order.size} labels")
    if not np.allclose(proba.sum(axis=1), 1.0, rtol=0.0, atol=ROW_SUM_TOLERANCE):
        raise ValueError("rows of y_proba must sum to one")
    columns = label_indices(truth, order)
    if np.any(columns < 0):
        raise ValueError(f"y_true contains labels not in labels: {np.setdiff1d(truth, order).tolist()}")
    chosen: NDArray[np.float64] = proba[np.arange(truth.size), columns]
    return float(-np.mean(np.log(np.clip(chosen, eps, 1.0 - eps))))
