"""AUC-ROC from scores, computed as the Mann–Whitney U statistic over average ranks.

Reads: 1-D true labels with 1-D scores (binary) or a samples × classes probability matrix
(one-vs-rest). Writes: floats and a frozen dataclass. Config: none; ``pos_label`` and ``labels`` are
explicit. AUC = (R₊ − n₊(n₊+1)/2) / (n₊·n₋) where R₊ is the rank sum of the positives; tied scores
share their average rank, so a positive tied with a negative counts one half — the same area as the
trapezoidal ROC curve scikit-learn integrates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from processors.performance.metrics._arrays import (
    as_finite_floats,
    as_labels,
    check_same_length,
    labelled_probability_matrix,
)


@dataclass(frozen=True)
class RocAucOvr:
    """One-vs-rest AUC per label (in ``labels`` order) and their unweighted (macro) mean."""

    labels: tuple[Any, ...]
    per_class: tuple[float, ...]
    macro: float


def roc_auc(y_true: ArrayLike, y_score: ArrayLike, pos_label: Any = 1) -> float:
    """Binary AUC-ROC: the chance a random positive scores above a random negative (ties count ½).

    Samples equal to ``pos_label`` are positives, all others negatives. Returns NaN when ``y_true``
    holds only positives or only negatives (recent scikit-learn also returns NaN, with a warning).
    Raises ValueError on empty or mismatched input, non-finite scores or more than two labels.
    """
    truth = as_labels(y_true, "y_true")
    scores = as_finite_floats(y_score, "y_score")
    check_same_length(truth, scores, "y_true and y_score")
    distinct = np.unique(truth)
    if distinct.size > 2:
        raise ValueError(f"binary AUC needs at most two labels in y_true, found {distinct.tolist()}")
    return _binary_auc(truth == pos_label, scores)


def roc_auc_ovr(
    y_true: ArrayLike, y_proba: ArrayLike, labels: Sequence[Any] | ArrayLike | None = None
) -> RocAucOvr:
    """Multi-class AUC-ROC, one label against the rest per column of ``y_proba``, macro-averaged.

    Column j of ``y_proba`` scores ``labels[j]`` (default labels: sorted distinct values of ``y_true``,
    which must then number exactly the columns). A label absent from ``y_true`` has AUC NaN and makes
    the macro mean NaN. Rows are not required to sum to one (scikit-learn requires it).
    """
    truth, proba, order = labelled_probability_matrix(y_true, y_proba, labels)
    unknown = np.setdiff1d(truth, order)
    if unknown.size:
        raise ValueError(f"y_true contains labels not in labels: {unknown.tolist()}")
    per_class = tuple(_binary_auc(truth == label, proba[:, column]) for column, label in enumerate(order))
    macro = float(np.mean(per_class)) if not any(math.isnan(auc) for auc in per_class) else math.nan
    return RocAucOvr(labels=tuple(order.tolist()), per_class=per_class, macro=macro)


def average_ranks(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """1-based ranks of ``values``; tied values all get the mean of the ranks they span."""
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    ends = np.concatenate((starts[1:], [values.size]))
    ranks = np.empty(values.size, dtype=np.float64)
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    return ranks


def _binary_auc(is_positive: NDArray[np.bool_], scores: NDArray[np.float64]) -> float:
    positives = int(np.sum(is_positive))
    negatives = is_positive.size - positives
    if positives == 0 or negatives == 0:
        return math.nan
    rank_sum = float(np.sum(average_ranks(scores)[is_positive]))
    return (rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives)
