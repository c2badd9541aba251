"""Classification metrics from hard predictions: accuracy, precision/recall/F1 and the confusion matrix.

Reads: 1-D arrays of true and predicted labels (any comparable dtype). Writes: floats and frozen
dataclasses. Config: none; ``pos_label``, ``labels`` and ``zero_division`` are explicit parameters.
Empty input raises ValueError. An undefined ratio (precision with no predicted positives, recall with
no true positives, F1 with neither) takes the ``zero_division`` value, default 0.0 — scikit-learn's
``zero_division="warn"`` result without the warning.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from processors.performance.metrics._arrays import as_labels, check_same_length, label_indices, label_order

Average = Literal["binary", "macro", "weighted"]


@dataclass(frozen=True)
class ConfusionMatrix:
    """Counts with rows = true label and columns = predicted label, both in ``labels`` order."""

    labels: tuple[Any, ...]
    counts: NDArray[np.int64]

    def count(self, true_label: Any, predicted_label: Any) -> int:
        """How many samples of ``true_label`` were predicted as ``predicted_label``."""
        return int(self.counts[self.labels.index(true_label), self.labels.index(predicted_label)])


@dataclass(frozen=True)
class ClassScores:
    """Precision, recall and F1 of one label treated as the positive class; support = true count."""

    label: Any
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class PrecisionRecallF1:
    """Averaged scores plus the per-label scores they were averaged from (one entry for binary)."""

    average: Average
    precision: float
    recall: float
    f1: float
    per_class: tuple[ClassScores, ...]


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Share of samples whose predicted label equals the true label; ValueError when empty."""
    truth, predicted = _pair(y_true, y_pred)
    return float(np.mean(truth == predicted))


def confusion_matrix(
    y_true: ArrayLike, y_pred: ArrayLike, labels: Sequence[Any] | ArrayLike | None = None
) -> ConfusionMatrix:
    """Confusion matrix in a fixed label order (default: sorted union of observed labels).

    Samples whose true or predicted label is not in ``labels`` are left out, as scikit-learn does.
    """
    truth, predicted = _pair(y_true, y_pred)
    order = label_order(labels, truth, predicted)
    true_index = label_indices(truth, order)
    predicted_index = label_indices(predicted, order)
    kept = (true_index >= 0) & (predicted_index >= 0)
    size = order.size
    flat = np.bincount(true_index[kept] * size + predicted_index[kept], minlength=size * size)
    counts = flat.reshape(size, size).astype(np.int64)
    counts.setflags(write=False)
    return ConfusionMatrix(labels=tuple(order.tolist()), counts=counts)


def precision_recall_f1(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    average: Average = "binary",
    pos_label: Any = 1,
    labels: Sequence[Any] | ArrayLike | None = None,
    zero_division: float = 0.0,
) -> PrecisionRecallF1:
    """Precision, recall and F1 averaged like scikit-learn's ``precision_recall_fscore_support``.

    ``binary`` scores ``pos_label`` only and raises ValueError when more than two labels occur, or when
    two occur and neither is ``pos_label``. ``macro`` is the unweighted mean over ``labels`` (default:
    sorted union of observed labels); ``weighted`` weights each label by its true count. F1 is
    2·TP / (2·TP + FP + FN). ``zero_division`` (0.0, 1.0 or NaN) replaces undefined ratios; NaN entries
    are skipped when averaging, and an average over nothing but NaN is NaN.
    """
    if average not in ("binary", "macro", "weighted"):
        raise ValueError(f"average must be 'binary', 'macro' or 'weighted', got {average!r}")
    if not (math.isnan(zero_division) or zero_division in (0.0, 1.0)):
        raise ValueError(f"zero_division must be 0.0, 1.0 or NaN, got {zero_division!r}")
    truth, predicted = _pair(y_true, y_pred)
    if average == "binary":
        present = np.unique(np.concatenate([truth, predicted]))
        if present.size > 2:
            raise ValueError(f"average='binary' needs at most two labels, found {present.tolist()}")
        if present.size == 2 and pos_label not in present.tolist():
            raise ValueError(f"pos_label={pos_label!r} is not one of the labels {present.tolist()}")
        order = np.asarray([pos_label])
    else:
        order = label_order(labels, truth, predicted)
    per_class = tuple(_class_scores(truth, predicted, label, zero_division) for label in order.tolist())
    if average == "binary":
        only = per_class[0]
        return PrecisionRecallF1(average, only.precision, only.recall, only.f1, per_class)
    weights = np.asarray([scores.support for scores in per_class], dtype=np.float64)
    if average == "macro":
        weights = np.ones_like(weights)
    return PrecisionRecallF1(
        average=average,
        precision=_nan_average([scores.precision for scores in per_class], weights),
        recall=_nan_average([scores.recall for scores in per_class], weights),
        f1=_nan_average([scores.f1 for scores in per_class], weights),
        per_class=per_class,
    )


def precision(y_true: ArrayLike, y_pred: ArrayLike, **options: Any) -> float:
    """``precision_recall_f1(...).precision``; takes the same keyword options."""
    return precision_recall_f1(y_true, y_pred, **options).precision


def recall(y_true: ArrayLike, y_pred: ArrayLike, **options: Any) -> float:
    """``precision_recall_f1(...).recall``; takes the same keyword options."""
    return precision_recall_f1(y_true, y_pred, **options).recall


def f1_score(y_true: ArrayLike, y_pred: ArrayLike, **options: Any) -> float:
    """``precision_recall_f1(...).f1``; takes the same keyword options."""
    return precision_recall_f1(y_true, y_pred, **options).f1


def _pair(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[NDArray[Any], NDArray[Any]]:
    truth = as_labels(y_true, "y_true")
    predicted = as_labels(y_pred, "y_pred")
    check_same_length(truth, predicted, "y_true and y_pred")
    return truth, predicted


def _class_scores(
    truth: NDArray[Any], predicted: NDArray[Any], label: Any, zero_division: float
) -> ClassScores:
    is_true = truth == label
    is_predicted = predicted == label
    true_positives = int(np.sum(is_true & is_predicted))
    true_count = int(np.sum(is_true))
    predicted_count = int(np.sum(is_predicted))
    return ClassScores(
        label=label,
        precision=_ratio(true_positives, predicted_count, zero_division),
        recall=_ratio(true_positives, true_count, zero_division),
        f1=_ratio(2 * true_positives, true_count + predicted_count, zero_division),
        support=true_count,
    )


def _ratio(numerator: int, denominator: int, zero_division: float) -> float:
    return numerator / denominator if denominator > 0 else float(zero_division)


def _nan_average(values: list[float], weights: NDArray[np.float64]) -> float:
    scores = np.asarray(values, dtype=np.float64)
    defined = ~np.isnan(scores)
    if not np.any(defined) or weights[defined].sum() == 0:
        return math.nan
    return float(np.average(scores[defined], weights=weights[defined]))
