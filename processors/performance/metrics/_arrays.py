"""Input checks shared by the metric modules: turn array-likes into 1-D/2-D numpy arrays or raise.

Reads: array-likes passed in. Writes: nothing. Config: none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray


def as_labels(values: ArrayLike, name: str) -> NDArray[Any]:
    """A non-empty 1-D label array; raises ValueError when empty or not 1-D."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty")
    return array


def as_finite_floats(values: ArrayLike, name: str) -> NDArray[np.float64]:
    """A non-empty 1-D float array without NaN or infinity; raises ValueError otherwise."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return array


def as_probability_matrix(values: ArrayLike, name: str) -> NDArray[np.float64]:
    """A non-empty 2-D float array with every entry in [0, 1]; raises ValueError otherwise."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"{name} must be 2-D (samples x classes), got shape {array.shape}")
    if array.shape[0] == 0:
        raise ValueError(f"{name} is empty")
    check_probabilities(array, name)
    return array


def check_probabilities(array: NDArray[np.float64], name: str) -> None:
    """Raise ValueError unless every entry is finite and within [0, 1]."""
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values")
    if array.min() < 0.0 or array.max() > 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got range [{array.min()}, {array.max()}]")


def check_same_length(first: NDArray[Any], second: NDArray[Any], names: str) -> None:
    """Raise ValueError unless both arrays have the same number of samples."""
    if first.shape[0] != second.shape[0]:
        raise ValueError(f"{names} differ in length: {first.shape[0]} vs {second.shape[0]}")


def label_order(labels: Sequence[Any] | ArrayLike | None, *observed: NDArray[Any]) -> NDArray[Any]:
    """The given labels (checked non-empty and unique) or the sorted union of the observed values."""
    if labels is None:
        return np.unique(np.concatenate(observed))
    order = np.asarray(labels)
    if order.ndim != 1 or order.size == 0:
        raise ValueError("labels must be a non-empty 1-D sequence")
    if np.unique(order).size != order.size:
        raise ValueError(f"labels contain duplicates: {order.tolist()}")
    return order


def label_indices(values: NDArray[Any], order: NDArray[Any]) -> NDArray[np.intp]:
    """Index of each value in ``order``, -1 where the value is not one of the labels."""
    indices = np.full(values.shape[0], -1, dtype=np.intp)
    for position, label in enumerate(order):
        indices[values == label] = position
    return indices


def labelled_probability_matrix(
    y_true: ArrayLike, y_proba: ArrayLike, labels: Sequence[Any] | ArrayLike | None
) -> tuple[NDArray[Any], NDArray[np.float64], NDArray[Any]]:
    """(truth, probabilities, column labels) checked to fit together: column j scores ``order[j]``."""
    truth = as_labels(y_true, "y_true")
    proba = as_probability_matrix(y_proba, "y_proba")
    check_same_length(truth, proba, "y_true and y_proba")
    order = label_order(labels, truth)
    if order.size != proba.shape[1]:
        raise ValueError(f"{order.size} labels but y_proba has {proba.shape[1]} columns")
    return truth, proba, order
