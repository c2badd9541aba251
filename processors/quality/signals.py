"""The quality measurement of one window as named signal points (``ml_quality``) for alert rules.

Reads: a ``QualityMeasurement`` and the targets. Writes: nothing (pure). Signals (catalogue:
``processors.alerting.signal_names``): completeness, validity, consistency, quality_accuracy and
timeliness_seconds (the p95 delay), each with its target, critical level and status in ``Details``;
timeliness_share; quality_violations{rule, field} for every rule of the file (0 when it held).
``samples`` is what each value was computed from; version "" means all versions of the model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from processors.ml.series import SignalPoint
from processors.quality.metrics import QualityMeasurement
from processors.quality.status import MetricTarget, dashboard


def quality_points(
    model: str,
    measurement: QualityMeasurement,
    targets: tuple[MetricTarget, ...],
    window: tuple[int, int],
    reference_errors: Mapping[str, str] | None = None,
) -> tuple[SignalPoint, ...]:
    """The points of one model's window ``(start, end)`` in ns; ``reference_errors`` (in_table key →
    why it could not be read) go into the accuracy point's details."""
    start, end = window
    points = []
    for line in dashboard(measurement, targets):
        details: dict[str, Any] = {
            "metric": line.metric,
            "status": line.status,
            "target": line.target.target,
            "critical": line.target.critical,
            "passed": line.passed,
            "total": line.total,
            "records": measurement.records,
        }
        if line.metric == "accuracy" and reference_errors:
            details["reference_errors"] = dict(reference_errors)
        points.append(SignalPoint(line.signal, model, "", line.value, start, end, {}, line.total, details))
    timely = measurement.timeliness
    details = {"max_delay_seconds": timely.max_delay_seconds, "within": timely.within}
    points.append(
        SignalPoint("timeliness_share", model, "", timely.share.value, start, end, {}, timely.total, details)
    )
    for violation in measurement.violations:
        labels = {"rule": violation.rule, "field": violation.field}
        points.append(
            SignalPoint(
                "quality_violations", model, "", violation.count, start, end, labels, violation.checked
            )
        )
    return tuple(points)
