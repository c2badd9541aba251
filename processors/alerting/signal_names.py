"""The catalogue of signal names an alert expression may read, each with what it measures and its labels.

Reads: nothing. Writes: nothing. The rule loader passes ``KNOWN_SIGNALS`` to
``processors.alerting.expr.parse`` so a misspelt signal is an error at load time, not a silent alert.
Every signal also carries the labels ``model`` and ``version``; ``labels`` lists the extra ones.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

COMMON_LABELS = ("model", "version")


@dataclass(frozen=True)
class SignalName:
    """One signal: its name, a one-line description and the labels beyond ``COMMON_LABELS``."""

    name: str
    description: str
    labels: tuple[str, ...] = ()


def _signal(name: str, description: str, *labels: str) -> SignalName:
    return SignalName(name, description, labels)


SIGNALS: tuple[SignalName, ...] = (
    # errors and throughput
    _signal("error_rate", "share of requests that failed (0..1)"),
    _signal("error_rate_client", "share of requests that failed with a client error (4xx)"),
    _signal("error_rate_server", "share of requests that failed with a server error (5xx)"),
    _signal("error_rate_application", "share of requests that failed inside the model service"),
    _signal("error_class_rate", "share of requests that failed with one error class", "error_class"),
    _signal("timeout_rate", "share of requests that timed out (0..1)"),
    _signal("rps", "requests per second over the window"),
    _signal("queue_depth", "requests waiting in the queue (largest in the window)"),
    # latency, milliseconds
    _signal("latency_p50", "median inference latency in ms", "stage"),
    _signal("latency_p75", "75th percentile inference latency in ms", "stage"),
    _signal("latency_p95", "95th percentile inference latency in ms", "stage"),
    _signal("latency_p99", "99th percentile inference latency in ms", "stage"),
    _signal("latency_p999", "99.9th percentile inference latency in ms", "stage"),
    # model quality (classification)
    _signal("accuracy", "share of correct predictions among labelled ones (0..1)", "window"),
    _signal("precision", "true positives / (true positives + false positives)", "window"),
    _signal("recall", "true positives / (true positives + false negatives)", "window"),
    _signal("f1", "harmonic mean of precision and recall", "window"),
    _signal("auc", "area under the ROC curve", "window"),
    _signal("log_loss", "mean cross-entropy of the positive-class score against the labels", "window"),
    # model quality (regression)
    _signal("mae", "mean absolute error", "window"),
    _signal("rmse", "root mean squared error", "window"),
    _signal("r2", "coefficient of determination (R²)", "window"),
    _signal("mape", "mean absolute percentage error", "window"),
    _signal("calibration_error", "expected calibration error of the predicted probabilities", "window"),
    # drift, per feature
    _signal("psi", "population stability index of a feature against its reference", "feature"),
    _signal("ks_pvalue", "Kolmogorov-Smirnov test p-value of a numeric feature", "feature"),
    _signal("chi2_pvalue", "chi-squared test p-value of a categorical feature", "feature"),
    _signal("missing_rate", "share of requests without a value for the feature", "feature"),
    _signal("new_categories", "categories of the feature never seen in the reference", "feature"),
    _signal("mean_shift", "shift of the feature's mean in reference standard deviations", "feature"),
    _signal("drifted_features", "number of features whose drift test rejects"),
    _signal("js_distance", "Jensen-Shannon distance of a feature's shares against its reference", "feature"),
    _signal("wasserstein", "Wasserstein distance of a numeric feature in reference std", "feature"),
    _signal("out_of_range_share", "share of a feature's values outside its reference min/max", "feature"),
    # predictions
    _signal("prediction_psi", "population stability index of the predictions"),
    _signal("prediction_chi2_pvalue", "chi-squared test p-value of the predicted-class distribution"),
    _signal("prediction_ks_pvalue", "Kolmogorov-Smirnov test p-value of the predicted values"),
    _signal("prediction_mean_shift", "shift of the mean predicted value in reference standard deviations"),
    _signal("prediction_variance_ratio", "variance of the predicted values / reference variance"),
    _signal("confidence_psi", "population stability index of the confidences"),
    _signal("confidence_mean_shift", "shift of the mean confidence in reference standard deviations"),
    _signal("confidence_variance_ratio", "variance of the confidences / reference variance"),
    _signal("class_share", "share of predictions of one class (0..1)", "class"),
    _signal("confidence_mean", "mean confidence of the predictions"),
    _signal("low_confidence_rate", "share of predictions below the low-confidence threshold"),
    # data quality, shares 0..1 except timeliness
    _signal("completeness", "share of required fields populated"),
    _signal("validity", "share of values matching the expected format"),
    _signal("consistency", "share of records without conflicts"),
    _signal("timeliness_seconds", "95th percentile delay from event time to receive time, in seconds"),
    _signal("quality_accuracy", "share of values that are correct"),
    _signal("timeliness_share", "share of records received within the quality max delay (0..1)"),
    _signal("quality_violations", "values breaking one data-quality rule in the window", "rule", "field"),
    # infrastructure
    _signal("cpu_utilization", "CPU utilization of the model service (0..1)", "pod"),
    _signal("memory_utilization", "memory utilization of the model service (0..1)", "pod"),
    _signal("pod_restarts", "container restarts in the window", "pod"),
    _signal("service_up", "1 when the model service's health check passes, else 0"),
    _signal("unmatched_labels", "labels whose prediction has not arrived yet (ground truth)"),
    _signal(
        "estimated_accuracy", "accuracy expected from calibrated confidences, before labels (CBPE)", "window"
    ),
    _signal(
        "concept_drift", "decline of windowed performance beyond its usual cycles (0: none)", "kind", "window"
    ),
)

SIGNALS_BY_NAME: dict[str, SignalName] = {signal.name: signal for signal in SIGNALS}
KNOWN_SIGNALS: frozenset[str] = frozenset(SIGNALS_BY_NAME)


def suggest_signal(name: str) -> str | None:
    """The known signal closest to a misspelt ``name``, or None."""
    close = difflib.get_close_matches(name, sorted(KNOWN_SIGNALS), n=1, cutoff=0.6)
    return close[0] if close else None
