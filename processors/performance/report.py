"""What ``inferwatch performance`` shows: one evaluation as a JSON document and as text.

Reads: an ``Evaluation``, thresholds, an optional ``AccuracyEstimate`` and recorded triggers (plain
dicts). Writes: a dict (JSON-safe, NaN as null) and text. Config: none.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from processors.performance.estimation import AccuracyEstimate
from processors.performance.evaluation import METRICS, Evaluation, calibration_table, status_details
from processors.performance.metrics import Threshold


def report_document(
    evaluation: Evaluation,
    thresholds: Mapping[str, Threshold],
    min_samples: int,
    estimate: AccuracyEstimate | None,
    header: Mapping[str, Any],
    triggers: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    metrics = {}
    for name in METRICS:
        if name in evaluation.values:
            value = evaluation.values[name]
            samples = evaluation.samples_of(name)
            metrics[name] = {
                "value": value,
                "samples": samples,
                **status_details(name, value, samples, thresholds, min_samples),
            }
    document: dict[str, Any] = {
        **header,
        "labelled_predictions": evaluation.classification_samples + evaluation.regression_samples,
        "metrics": metrics,
        "average": evaluation.average or None,
        "positive_class": evaluation.positive_class,
        "confusion_matrix": evaluation.confusion,
        "calibration": None,
        "estimated_accuracy": None,
        "retraining_triggers": list(triggers),
    }
    if evaluation.calibration is not None:
        document["calibration"] = {
            "kind": evaluation.calibration_kind,
            "expected_calibration_error": evaluation.calibration.expected_calibration_error,
            "bins": calibration_table(evaluation.calibration),
        }
    if estimate is not None and estimate.samples:
        document["estimated_accuracy"] = {
            "value": estimate.value,
            "standard_error": estimate.standard_error,
            "predictions": estimate.samples,
            "realised_accuracy": evaluation.values.get("accuracy"),
        }
    return _json_safe(document)


def render_text(document: Mapping[str, Any]) -> str:
    lines = [
        f"Model {document['model']}  version {document.get('version') or 'all'}  "
        f"{document['start']} .. {document['end']}",
        f"Labelled predictions: {document['labelled_predictions']}",
        "",
        f"{'metric':<18}{'value':>10}{'baseline':>10}{'warning':>10}{'critical':>10}  status",
    ]
    for name, entry in document["metrics"].items():
        lines.append(
            f"{name:<18}{_num(entry['value']):>10}{_num(entry.get('baseline')):>10}"
            f"{_num(entry.get('warning')):>10}{_num(entry.get('critical')):>10}  {entry['status']}"
        )
    estimate = document.get("estimated_accuracy")
    if estimate:
        lines.append(
            f"{'estimated_accuracy':<18}{_num(estimate['value']):>10}  ± {_num(estimate['standard_error'])} "
            f"from {estimate['predictions']} predictions (CBPE)"
        )
    matrix = document.get("confusion_matrix")
    if matrix:
        labels = [str(label) for label in matrix["labels"]]
        width = max(8, *(len(label) + 2 for label in labels))
        lines += [
            "",
            "Confusion matrix (rows: true, columns: predicted)",
            " " * width + "".join(f"{x:>{width}}" for x in labels),
        ]
        for label, row in zip(labels, matrix["counts"], strict=True):
            lines.append(f"{label:<{width}}" + "".join(f"{count:>{width}}" for count in row))
    calibration = document.get("calibration")
    if calibration:
        lines += [
            "",
            f"Calibration ({calibration['kind']}), ECE {_num(calibration['expected_calibration_error'])}",
        ]
        lines.append(f"{'bin':<14}{'count':>8}{'predicted':>11}{'observed':>10}")
        for entry in calibration["bins"]:
            if entry["count"]:
                span = f"{entry['lower']:.1f}-{entry['upper']:.1f}"
                lines.append(
                    f"{span:<14}{entry['count']:>8}{_num(entry['mean_predicted']):>11}{_num(entry['observed_frequency']):>10}"
                )
    if document.get("retraining_triggers"):
        lines += ["", "Retraining triggers"]
        for trigger in document["retraining_triggers"]:
            state = trigger.get("state") or ("delivered" if trigger["delivered"] else "pending")
            lines.append(
                f"  {trigger['fired_at']}  {trigger['trigger']}  version {trigger['version']}  ({state})"
            )
    return "\n".join(lines) + "\n"


def _num(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value
