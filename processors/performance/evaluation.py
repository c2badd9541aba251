"""Model performance over one window: joined predictions and labels in, metrics and signal points out.

Reads: ``LabeledPredictions`` (rows of ``ml_labeled_predictions`` for one model version and window),
per-metric ``Threshold``s, an optional ``AccuracyEstimate``. Writes: a frozen ``Evaluation`` and the
``SignalPoint``s the gateway stores in ``ml_performance``. Config keys (passed in by the gateway):
``performance.{thresholds, models.<name>.positive_class, models.<name>.thresholds, min_samples,
calibration_bins}``.

Classification rows have a predicted and a true class; regression rows a predicted and a true value; a
model may have both. A two-class model with a known positive class (configured, or the predicted class
whose mean ``ml.prediction.score`` is higher) gets binary precision/recall/F1, AUC from the score and
positive-class calibration; any other classifier gets macro averages and top-label calibration from the
confidence. The CLI (``inferwatch performance``) runs the same code on demand.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from processors.ml.series import SignalPoint
from processors.performance.estimation import AccuracyEstimate
from processors.performance.metrics import (
    BENCHMARKS,
    Reliability,
    Threshold,
    accuracy,
    confusion_matrix,
    log_loss,
    mean_absolute_error,
    mean_absolute_percentage_error,
    precision_recall_f1,
    r2_score,
    reliability_bins,
    roc_auc,
    root_mean_squared_error,
)
from processors.performance.windows import Window

# The metrics a window publishes, in the order reports list them (classification, then regression).
METRICS = (
    "accuracy",
    "precision",
    "recall",
    "f1",
    "auc",
    "log_loss",
    "calibration_error",
    "mae",
    "rmse",
    "r2",
    "mape",
)
ESTIMATED_ACCURACY = "estimated_accuracy"  # CBPE, published beside them before labels arrive
LOWER_IS_BETTER = frozenset({"mae", "rmse", "mape", "calibration_error", "log_loss"})
DEFAULT_THRESHOLDS: Mapping[str, Threshold] = {
    name: BENCHMARKS[name] for name in ("accuracy", "precision", "recall", "f1")
}
ROW_COLUMNS = (
    "PredictionTime",
    "PredictionClass",
    "PredictionValue",
    "Confidence",
    "Score",
    "LabelClass",
    "LabelValue",
)


@dataclass(frozen=True)
class LabeledPredictions:
    """Parallel arrays, one entry per labelled prediction; None / NaN where a field is absent."""

    prediction_time: NDArray[np.int64]
    prediction_class: NDArray[Any]
    prediction_value: NDArray[np.float64]
    confidence: NDArray[np.float64]
    score: NDArray[np.float64]
    label_class: NDArray[Any]
    label_value: NDArray[np.float64]

    @classmethod
    def from_rows(cls, rows: Iterable[Sequence[Any]]) -> LabeledPredictions:
        """From tuples in ``ROW_COLUMNS`` order (prediction time in ns since the epoch)."""
        rows = list(rows)

        def column(index: int) -> list[Any]:
            return [row[index] for row in rows]

        def floats(index: int) -> NDArray[np.float64]:
            return np.asarray([math.nan if v is None else float(v) for v in column(index)], dtype=np.float64)

        def objects(index: int) -> NDArray[Any]:
            array = np.empty(len(rows), dtype=object)
            array[:] = column(index)
            return array

        return cls(
            prediction_time=np.asarray([int(v) for v in column(0)], dtype=np.int64),
            prediction_class=objects(1),
            prediction_value=floats(2),
            confidence=floats(3),
            score=floats(4),
            label_class=objects(5),
            label_value=floats(6),
        )

    def __len__(self) -> int:
        return int(self.prediction_time.size)

    def select(self, mask: NDArray[np.bool_]) -> LabeledPredictions:
        return LabeledPredictions(*(getattr(self, name)[mask] for name in _FIELDS))

    def in_window(self, window: Window) -> LabeledPredictions:
        times = self.prediction_time
        return self.select((times >= window.start_unix_nano) & (times < window.end_unix_nano))


_FIELDS = (
    "prediction_time",
    "prediction_class",
    "prediction_value",
    "confidence",
    "score",
    "label_class",
    "label_value",
)


@dataclass(frozen=True)
class Evaluation:
    """Metrics of one model version over one window, with what they were computed from."""

    classification_samples: int = 0
    regression_samples: int = 0
    values: Mapping[str, float] = field(default_factory=dict)  # NaN-free
    average: str = ""  # binary | macro (precision, recall, F1)
    positive_class: str | None = None
    confusion: Mapping[str, Any] | None = None  # {"labels": [...], "counts": [[...]]}
    calibration: Reliability | None = None
    calibration_kind: str = ""  # positive-class | top-label
    mape_excluded_zero_targets: int = 0

    def samples_of(self, metric: str) -> int:
        regression = metric in ("mae", "rmse", "r2", "mape")
        return self.regression_samples if regression else self.classification_samples


def evaluate(
    data: LabeledPredictions, positive_class: str | None = None, calibration_bins: int = 10
) -> Evaluation:
    """Every metric computable from ``data`` (an empty window gives an empty ``Evaluation``)."""
    values: dict[str, float] = {}
    result: dict[str, Any] = {}
    has_classes = np.asarray([p is not None for p in data.prediction_class], dtype=bool) & np.asarray(
        [label is not None for label in data.label_class], dtype=bool
    )
    classified = data.select(has_classes)
    if len(classified):
        result.update(_classification(classified, positive_class, calibration_bins, values))
    regressed = data.select(np.isfinite(data.prediction_value) & np.isfinite(data.label_value))
    if len(regressed):
        truth, predicted = regressed.label_value, regressed.prediction_value
        values["mae"] = mean_absolute_error(truth, predicted)
        values["rmse"] = root_mean_squared_error(truth, predicted)
        values["r2"] = r2_score(truth, predicted)
        mape = mean_absolute_percentage_error(truth, predicted)
        values["mape"] = mape.value
        result["mape_excluded_zero_targets"] = mape.excluded_zero_targets
    return Evaluation(
        classification_samples=len(classified),
        regression_samples=len(regressed),
        values={name: value for name, value in values.items() if not math.isnan(value)},
        **result,
    )


def _classification(
    data: LabeledPredictions, positive_class: str | None, bins: int, values: dict[str, float]
) -> dict[str, Any]:
    truth = data.label_class.astype(str)
    predicted = data.prediction_class.astype(str)
    values["accuracy"] = accuracy(truth, predicted)
    matrix = confusion_matrix(truth, predicted)
    observed = set(matrix.labels)
    positive = positive_class or infer_positive_class(predicted, data.score)
    binary = len(observed) <= 2 and positive is not None and (len(observed) < 2 or positive in observed)
    scores = precision_recall_f1(
        truth, predicted, average="binary" if binary else "macro", pos_label=positive if binary else 1
    )
    values.update(precision=scores.precision, recall=scores.recall, f1=scores.f1)
    result: dict[str, Any] = {
        "average": scores.average,
        "positive_class": positive if binary else None,
        "confusion": {"labels": list(matrix.labels), "counts": matrix.counts.tolist()},
    }
    with_score = np.isfinite(data.score)
    if binary and np.any(with_score):
        values["auc"] = roc_auc(truth[with_score], data.score[with_score], pos_label=positive)
        # The score is P(positive): log loss of the two-column [1 - score, score] against "is positive".
        is_positive = (truth[with_score] == positive).astype(np.int64)
        values["log_loss"] = log_loss(is_positive, data.score[with_score], labels=[0, 1])
        reliability = reliability_bins(truth[with_score], data.score[with_score], bins, pos_label=positive)
        result.update(calibration=reliability, calibration_kind="positive-class")
    else:
        with_confidence = np.isfinite(data.confidence)
        if np.any(with_confidence):
            correct = (truth == predicted)[with_confidence].astype(np.int64)
            reliability = reliability_bins(correct, data.confidence[with_confidence], bins, pos_label=1)
            result.update(calibration=reliability, calibration_kind="top-label")
    if "calibration" in result:
        values["calibration_error"] = result["calibration"].expected_calibration_error
    return result


def infer_positive_class(predicted: NDArray[Any], score: NDArray[np.float64]) -> str | None:
    """The predicted class whose mean positive-class score is highest, when exactly two classes were
    predicted with a score (``ml.prediction.score`` is P(positive) whatever the predicted class)."""
    with_score = np.isfinite(score)
    classes = sorted(set(predicted[with_score].tolist()))
    if len(classes) != 2:
        return None
    means = [float(np.mean(score[with_score & (predicted == name)])) for name in classes]
    return classes[int(np.argmax(means))]


def metric_status(value: float, samples: int, threshold: Threshold | None, min_samples: int) -> str:
    """ok / warning / critical, or why there is none: no_threshold, insufficient_samples."""
    if threshold is None:
        return "no_threshold"
    if samples < min_samples:
        return "insufficient_samples"
    return threshold.status(value)


def to_points(
    evaluation: Evaluation,
    model: str,
    version: str,
    window: Window,
    thresholds: Mapping[str, Threshold],
    min_samples: int,
    estimate: AccuracyEstimate | None = None,
) -> list[SignalPoint]:
    """One ``SignalPoint`` per metric (label ``window``) with baseline, thresholds and status in Details;
    the confusion matrix rides on ``accuracy``, the reliability table on ``calibration_error``."""
    labels = {"window": window.name}
    points = []
    for metric, value in sorted(evaluation.values.items()):
        samples = evaluation.samples_of(metric)
        details: dict[str, Any] = {
            "complete": window.complete,
            **status_details(metric, value, samples, thresholds, min_samples),
        }
        if metric == "accuracy" and evaluation.confusion is not None:
            details["confusion_matrix"] = evaluation.confusion
        if metric in ("precision", "recall", "f1"):
            details["average"] = evaluation.average
            if evaluation.positive_class is not None:
                details["positive_class"] = evaluation.positive_class
        if metric == "calibration_error" and evaluation.calibration is not None:
            details["calibration"] = evaluation.calibration_kind
            details["bins"] = calibration_table(evaluation.calibration)
        if metric == "mape":
            details["excluded_zero_targets"] = evaluation.mape_excluded_zero_targets
        points.append(_point(metric, model, version, window, value, labels, samples, details))
    if estimate is not None and estimate.samples > 0:
        details = {"complete": window.complete, "standard_error": estimate.standard_error}
        if "accuracy" in evaluation.values:
            details["realised_accuracy"] = evaluation.values["accuracy"]
            details["labelled"] = evaluation.classification_samples
        value = estimate.value
        points.append(
            _point("estimated_accuracy", model, version, window, value, labels, estimate.samples, details)
        )
    return points


def status_details(
    metric: str, value: float, samples: int, thresholds: Mapping[str, Threshold], min_samples: int
) -> dict[str, Any]:
    threshold = thresholds.get(metric)
    details: dict[str, Any] = {"status": metric_status(value, samples, threshold, min_samples)}
    if threshold is not None:
        details.update(baseline=threshold.baseline, warning=threshold.warning, critical=threshold.critical)
    return details


def calibration_table(reliability: Reliability) -> list[dict[str, Any]]:
    return [
        {
            "lower": b.lower,
            "upper": b.upper,
            "count": b.count,
            "mean_predicted": b.mean_predicted,
            "observed_frequency": b.observed_frequency,
        }
        for b in reliability.bins
    ]


def _point(
    signal: str,
    model: str,
    version: str,
    window: Window,
    value: float,
    labels: Mapping[str, str],
    samples: int,
    details: Mapping[str, Any],
) -> SignalPoint:
    return SignalPoint(
        signal=signal,
        model=model,
        version=version,
        value=value,
        window_start_unix_nano=window.start_unix_nano,
        window_end_unix_nano=window.end_unix_nano,
        labels=dict(labels),
        samples=samples,
        details=dict(details),
    )
