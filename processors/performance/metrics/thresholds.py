"""Status of a metric against warning and critical thresholds, with the guide's benchmark table as defaults.

Reads: a metric value and its thresholds. Writes: "ok", "warning" or "critical". Config: none; the
``BENCHMARKS`` constants are example defaults from the monitoring guide (section 1, Performance
Benchmarks). Thresholds are strict, as the table reads: "warning < 0.92" means 0.92 itself is ok.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

Status = Literal["ok", "warning", "critical"]


@dataclass(frozen=True)
class Threshold:
    """Baseline and alert thresholds of one metric, in the metric's own unit."""

    baseline: float
    warning: float
    critical: float
    higher_is_better: bool = True

    def status(self, value: float) -> Status:
        """``status(value, ...)`` with this threshold's parameters."""
        return status(value, self.baseline, self.warning, self.critical, self.higher_is_better)


def status(
    value: float, baseline: float, warning: float, critical: float, higher_is_better: bool = True
) -> Status:
    """ "critical" past the critical threshold, else "warning" past the warning threshold, else "ok".

    Higher is better: critical when value < critical, warning when value < warning. Lower is better:
    critical when value > critical, warning when value > warning. The thresholds must be ordered
    (critical ≤ warning ≤ baseline when higher is better, the reverse otherwise) and every argument must
    be a number that is not NaN — a NaN metric (e.g. recall with no positives) has no status, so
    ValueError is raised and the caller decides.
    """
    numbers = {"value": value, "baseline": baseline, "warning": warning, "critical": critical}
    for name, number in numbers.items():
        if math.isnan(number):
            raise ValueError(f"{name} is NaN")
    ordered = critical <= warning <= baseline if higher_is_better else baseline <= warning <= critical
    if not ordered:
        direction = (
            "critical <= warning <= baseline" if higher_is_better else "baseline <= warning <= critical"
        )
        raise ValueError(
            f"thresholds need {direction}: baseline={baseline}, warning={warning}, critical={critical}"
        )
    if higher_is_better:
        return "critical" if value < critical else "warning" if value < warning else "ok"
    return "critical" if value > critical else "warning" if value > warning else "ok"


ACCURACY = Threshold(baseline=0.945, warning=0.92, critical=0.90)
PRECISION = Threshold(baseline=0.912, warning=0.88, critical=0.85)
RECALL = Threshold(baseline=0.938, warning=0.90, critical=0.87)
F1 = Threshold(baseline=0.925, warning=0.90, critical=0.87)
LATENCY_P95_MS = Threshold(baseline=85.0, warning=150.0, critical=250.0, higher_is_better=False)
ERROR_RATE = Threshold(baseline=0.005, warning=0.02, critical=0.05, higher_is_better=False)

BENCHMARKS: Mapping[str, Threshold] = MappingProxyType(
    {
        "accuracy": ACCURACY,
        "precision": PRECISION,
        "recall": RECALL,
        "f1": F1,
        "latency_p95_ms": LATENCY_P95_MS,
        "error_rate": ERROR_RATE,
    }
)
