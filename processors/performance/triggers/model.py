"""Retraining triggers as data: what a trigger file declares, and what a fired trigger carries.

Reads: nothing. Writes: nothing (frozen dataclasses). The file format is described in
docs/performance-metrics.md (Retraining triggers) and ``deploy/triggers/default.yaml`` holds the
guide's defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from processors.alerting.rules.model import RuleError as TriggerError
from processors.alerting.rules.model import RuleLoadError
from processors.performance.evaluation import ESTIMATED_ACCURACY, METRICS

KINDS = ("performance", "drift", "time", "data")
# Daily series a performance trigger may watch: the metrics in ml_performance, and the request error
# rate from ml_request_breakdown.
PERFORMANCE_METRICS = (*METRICS, ESTIMATED_ACCURACY, "error_rate")
# Signals in ml_drift a drift trigger may watch; per-feature ones take min_features.
DRIFT_SIGNALS = ("psi", "prediction_psi", "mean_shift", "drifted_features", "missing_rate")
PER_FEATURE_DRIFT_SIGNALS = ("psi", "mean_shift", "missing_rate")
PERIODS = ("monthly", "quarterly")
TriggerError = TriggerError  # one problem of a trigger file: FILE:LINE:COL: message


@dataclass(frozen=True)
class Trigger:
    """One declared trigger. Exactly one condition applies, by kind:

    performance / drift: ``metric`` compared with ``below``, ``above`` or (performance)
    ``below_baseline_by`` (a fraction of the baseline: 0.05 = more than 5 % below), on each of
    ``days`` consecutive UTC days; drift per feature: on at least ``min_features`` features a day, of
    ``features`` (the key features) when given, else of every feature.
    time: ``every`` ("monthly", "quarterly" or a number of days) since the version's first sighting.
    data: ``new_labels`` labels received since the version's first sighting.
    """

    name: str
    kind: str
    metric: str = ""
    below: float | None = None
    above: float | None = None
    below_baseline_by: float | None = None
    days: int = 1
    min_features: int = 0
    features: tuple[str, ...] = ()  # key features that count for min_features; empty: every feature
    every: str = ""
    every_days: int = 0
    new_labels: int = 0
    models: tuple[str, ...] = ()  # empty: every model
    description: str = ""
    source: str = ""  # FILE:LINE of the declaration

    def applies_to(self, model: str) -> bool:
        return not self.models or model in self.models

    def condition_text(self) -> str:
        if self.kind == "time":
            return f"every {self.every}"
        if self.kind == "data":
            return f"{self.new_labels} new labels since the version was deployed"
        if self.below_baseline_by is not None:
            test = f"{self.metric} more than {self.below_baseline_by:.0%} below baseline"
        elif self.below is not None:
            test = f"{self.metric} < {self.below:g}"
        else:
            test = f"{self.metric} > {self.above:g}"
        if self.min_features:
            of = f" of {len(self.features)} key" if self.features else ""
            test += f" on {self.min_features}+{of} features"
        return test + (f" for {self.days} consecutive days" if self.days > 1 else "")


@dataclass(frozen=True)
class Firing:
    """A trigger whose condition holds: once per ``episode`` (the start of the condition's run, the due
    time of a period, or the version's first sighting) for a model version."""

    trigger: Trigger
    model: str
    version: str
    episode_unix_nano: int
    evidence: Mapping[str, Any] = field(default_factory=dict)


class TriggerLoadError(RuleLoadError):
    """Every problem of a trigger file (``TriggerError``: FILE:LINE:COL: message), in file order."""
