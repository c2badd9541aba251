"""Pure model-performance metrics: classification, AUC-ROC, log loss, calibration, regression, status.

Reads: label, score and probability arrays passed in. Writes: nothing; every result is a float, a
status string or a frozen dataclass. Config: none; labels, bins, eps, zero_division and thresholds are
explicit parameters whose defaults are defined here. Definitions, degenerate cases and the threshold
table are documented in docs/performance-metrics.md.
"""

from processors.performance.metrics.calibration import (
    DEFAULT_BINS,
    Reliability,
    ReliabilityBin,
    expected_calibration_error,
    reliability_bins,
    top_label_reliability,
)
from processors.performance.metrics.classification import (
    Average,
    ClassScores,
    ConfusionMatrix,
    PrecisionRecallF1,
    accuracy,
    confusion_matrix,
    f1_score,
    precision,
    precision_recall_f1,
    recall,
)
from processors.performance.metrics.probability import DEFAULT_LOG_LOSS_EPS, ROW_SUM_TOLERANCE, log_loss
from processors.performance.metrics.ranking import RocAucOvr, average_ranks, roc_auc, roc_auc_ovr
from processors.performance.metrics.regression import (
    Mape,
    mean_absolute_error,
    mean_absolute_percentage_error,
    r2_score,
    root_mean_squared_error,
)
from processors.performance.metrics.thresholds import (
    ACCURACY,
    BENCHMARKS,
    ERROR_RATE,
    F1,
    LATENCY_P95_MS,
    PRECISION,
    RECALL,
    Status,
    Threshold,
    status,
)

__all__ = [
    "ACCURACY",
    "BENCHMARKS",
    "DEFAULT_BINS",
    "DEFAULT_LOG_LOSS_EPS",
    "ERROR_RATE",
    "F1",
    "LATENCY_P95_MS",
    "PRECISION",
    "RECALL",
    "ROW_SUM_TOLERANCE",
    "Average",
    "ClassScores",
    "ConfusionMatrix",
    "Mape",
    "PrecisionRecallF1",
    "Reliability",
    "ReliabilityBin",
    "RocAucOvr",
    "Status",
    "Threshold",
    "accuracy",
    "average_ranks",
    "confusion_matrix",
    "expected_calibration_error",
    "f1_score",
    "log_loss",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "precision",
    "precision_recall_f1",
    "r2_score",
    "recall",
    "reliability_bins",
    "roc_auc",
    "roc_auc_ovr",
    "root_mean_squared_error",
    "status",
    "top_label_reliability",
]
