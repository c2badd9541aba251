"""Targets and statuses of the quality metrics, like the guide's data-quality dashboard (✓ / ⚠ / ✗).

Reads: a ``QualityMeasurement`` and the targets (config ``quality.targets`` / ``quality.critical``).
Writes: nothing (pure). A share metric is ✓ at or above its target, ⚠ below it but at or above its
critical level, ✗ below that; timeliness (the p95 delay) is ✓ at or below its target, ⚠ up to its
critical level, ✗ beyond. An undefined metric (nothing to measure) has status ``n/a``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from processors.quality.metrics import QualityMeasurement

OK = "✓"
WARNING = "⚠"
CRITICAL = "✗"
UNDEFINED = "n/a"
STATUS_WORDS = {OK: "ok", WARNING: "warning", CRITICAL: "critical", UNDEFINED: "undefined"}
# Metric name → the signal it is published as (processors/alerting/signal_names.py).
METRIC_SIGNALS = {
    "completeness": "completeness",
    "accuracy": "quality_accuracy",
    "consistency": "consistency",
    "timeliness": "timeliness_seconds",
    "validity": "validity",
}


@dataclass(frozen=True)
class MetricTarget:
    """``higher_is_better`` shares (target 0.99 = at least 99 %), else an upper bound in seconds."""

    metric: str
    target: float
    critical: float
    higher_is_better: bool = True

    def status(self, value: float) -> str:
        if math.isnan(value):
            return UNDEFINED
        if self.higher_is_better:
            return OK if value >= self.target else WARNING if value >= self.critical else CRITICAL
        return OK if value <= self.target else WARNING if value <= self.critical else CRITICAL

    def describe(self) -> str:
        """``≥ 99%`` or ``≤ 1h``, as the dashboard's target column shows it."""
        if self.higher_is_better:
            return f"≥ {format_share(self.target)}"
        return f"≤ {format_seconds(self.target)}"


# The guide's dashboard targets, and critical levels below which ✓/⚠ becomes ✗.
GUIDE_TARGETS = (
    MetricTarget("completeness", 0.99, 0.95),
    MetricTarget("accuracy", 0.95, 0.90),
    MetricTarget("consistency", 0.98, 0.95),
    MetricTarget("timeliness", 3600.0, 7200.0, higher_is_better=False),
    MetricTarget("validity", 0.99, 0.95),
)


@dataclass(frozen=True)
class MetricStatus:
    """One line of the dashboard: the value, what it was computed from, its target and status."""

    metric: str
    value: float
    passed: int
    total: int
    target: MetricTarget
    status: str

    @property
    def signal(self) -> str:
        return METRIC_SIGNALS[self.metric]

    def shown(self) -> str:
        if math.isnan(self.value):
            return "n/a"
        return format_seconds(self.value) if not self.target.higher_is_better else format_share(self.value)


def dashboard(measurement: QualityMeasurement, targets: tuple[MetricTarget, ...]) -> tuple[MetricStatus, ...]:
    """The five metrics in the guide's order with their statuses."""
    by_name = {target.metric: target for target in targets}
    ratios = {
        "completeness": measurement.completeness,
        "accuracy": measurement.accuracy,
        "consistency": measurement.consistency,
        "validity": measurement.validity,
    }
    lines = []
    for metric in METRIC_SIGNALS:
        target = by_name[metric]
        if metric == "timeliness":
            timely = measurement.timeliness
            value, passed, total = timely.p95_seconds, timely.within, timely.total
        else:
            ratio = ratios[metric]
            value, passed, total = ratio.value, ratio.passed, ratio.total
        lines.append(MetricStatus(metric, value, passed, total, target, target.status(value)))
    return tuple(lines)


def format_share(value: float) -> str:
    """0.998 → ``99.8%``, 0.99 → ``99%``."""
    return f"{value * 100:.2f}".rstrip("0").rstrip(".") + "%"


def format_seconds(seconds: float) -> str:
    """45 min → ``45min``, 3600 → ``1h``, 90 → ``1min 30s``, 2.5 → ``2.5s``."""
    if seconds < 60:
        return f"{seconds:.3g}s"
    parts = []
    rest = round(seconds)
    for unit, size in (("h", 3600), ("min", 60), ("s", 1)):
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
    return " ".join(parts)
