"""Configuration of model performance: windows, baselines and thresholds, concept drift, retraining triggers.

Reads: nothing. Writes: nothing (pure). Config keys: ``performance.*``. Part of ``gateway.config.Config``.
What each setting does: docs/performance-metrics.md ("In the gateway").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from processors.performance.evaluation import ESTIMATED_ACCURACY, LOWER_IS_BETTER, METRICS
from processors.performance.metrics import BENCHMARKS

Problems = list[tuple[str, str]]

THRESHOLD_METRICS = (*METRICS, ESTIMATED_ACCURACY)


@dataclass(frozen=True)
class MetricThresholds:
    """Baseline, warning and critical of one metric, in its unit (ratios 0..1)."""

    baseline: float = 0.0
    warning: float = 0.0
    critical: float = 0.0


def _guide_thresholds() -> dict[str, MetricThresholds]:
    return {
        name: MetricThresholds(BENCHMARKS[name].baseline, BENCHMARKS[name].warning, BENCHMARKS[name].critical)
        for name in ("accuracy", "precision", "recall", "f1")
    }


def _check_metrics(thresholds: dict[str, MetricThresholds], where: str) -> Problems:
    problems: Problems = []
    for name, entry in thresholds.items():
        if name not in THRESHOLD_METRICS:
            problems.append((f"{where}.{name}", f"unknown metric; use one of {', '.join(THRESHOLD_METRICS)}"))
            continue
        lower = name in LOWER_IS_BETTER
        if lower and not entry.baseline <= entry.warning <= entry.critical:
            problems.append((f"{where}.{name}", "lower is better: needs baseline <= warning <= critical"))
        if not lower and not entry.critical <= entry.warning <= entry.baseline:
            problems.append((f"{where}.{name}", "needs critical <= warning <= baseline"))
    return problems


@dataclass(frozen=True)
class WindowSpec:
    """Aligned windows by prediction time, ending at every multiple of ``step`` and ``length`` long:
    [k·length, (k+1)·length) by default, sliding with a shorter step; the current one is updated as it
    fills, earlier ones ending within ``lookback`` are recomputed (late labels)."""

    name: str = "1h"  # the ``window`` label of the published points
    length: timedelta = timedelta(hours=1)
    lookback: timedelta = timedelta(days=1)
    step: timedelta = timedelta(0)  # 0: = length (windows tile time); shorter: they slide by this much

    def validate(self) -> Problems:
        problems: Problems = []
        if not self.name:
            problems.append(("name", "must not be empty"))
        if self.length <= timedelta(0) or (
            timedelta(days=1) % self.length and self.length % timedelta(days=1)
        ):
            problems.append(("length", "must divide a day (e.g. 15m, 1h) or be whole days"))
        if self.lookback < timedelta(0):
            problems.append(("lookback", "must not be negative"))
        if self.step < timedelta(0) or (
            self.step
            and self.length > timedelta(0)
            and (self.length % self.step or timedelta(days=1) % self.step)
        ):
            problems.append(("step", "must be 0 (= length) or divide both the length and a day (e.g. 1h)"))
        return problems

    @property
    def slides(self) -> bool:
        return bool(self.step) and self.step != self.length


@dataclass(frozen=True)
class ModelPerformanceConfig:
    """Per-model settings; ``thresholds`` here win over ``performance.thresholds``."""

    positive_class: str = ""  # "" = infer it from ml.prediction.score for two-class models
    thresholds: dict[str, MetricThresholds] = field(default_factory=dict)

    def validate(self) -> Problems:
        return _check_metrics(self.thresholds, "thresholds")


@dataclass(frozen=True)
class ConceptDriftConfig:
    enabled: bool = True
    window: str = "1h"  # which of performance.windows (by name) is watched
    span: timedelta = timedelta(days=3)  # the last stretch searched for a change
    history: timedelta = timedelta(days=28)  # earlier points that teach the daily and weekly cycle
    min_drop: float = 0.03  # smallest decline reported, in the metric's unit
    min_evidence: float = 10.0  # BIC units a change must beat "no change" by

    def validate(self) -> Problems:
        problems: Problems = []
        if self.span <= timedelta(0):
            problems.append(("span", "must be longer than 0"))
        if self.history < timedelta(0):
            problems.append(("history", "must not be negative"))
        if not self.min_drop > 0:
            problems.append(("min_drop", f"must be > 0, got {self.min_drop}"))
        return problems


@dataclass(frozen=True)
class TriggerWebhookConfig:
    url: str = ""  # "" = no webhook; fired triggers are POSTed here as signed JSON
    secret_env: str = ""  # environment variable holding the HMAC secret ("" = unsigned)
    timeout: timedelta = timedelta(seconds=10)
    # A failed POST is retried every run until this long after the trigger fired, then given up (a
    # permanent 4xx other than 408/429 is given up at once).
    max_age: timedelta = timedelta(hours=24)

    def validate(self) -> Problems:
        problems: Problems = []
        if self.url and not self.url.startswith(("http://", "https://")):
            problems.append(("url", f'must be an http(s) URL, got "{self.url}"'))
        if self.max_age <= timedelta(0):
            problems.append(("max_age", "must be positive"))
        return problems


@dataclass(frozen=True)
class PerformanceConfig:
    enabled: bool = True
    interval: timedelta = timedelta(minutes=5)  # how often windows, concept drift and triggers are evaluated
    windows: tuple[WindowSpec, ...] = (
        WindowSpec("1h", timedelta(hours=1), timedelta(days=1)),
        WindowSpec("1d", timedelta(days=1), timedelta(days=7)),
    )
    min_samples: int = 30  # labelled predictions a window needs for a status (and a trigger day)
    calibration_bins: int = 10
    thresholds: dict[str, MetricThresholds] = field(default_factory=_guide_thresholds)
    models: dict[str, ModelPerformanceConfig] = field(default_factory=dict)
    concept_drift: ConceptDriftConfig = field(default_factory=ConceptDriftConfig)
    trigger_files: tuple[
        str, ...
    ] = ()  # retraining trigger files (the guide's: deploy/triggers/default.yaml)
    trigger_window: str = "1d"  # the daily window performance triggers read
    webhook: TriggerWebhookConfig = field(default_factory=TriggerWebhookConfig)
    alert_on_trigger: bool = False  # also send a P3 alert (category "retraining") to the notifiers

    def validate(self) -> Problems:
        problems: Problems = []
        if self.interval <= timedelta(0):
            problems.append(("interval", "must be longer than 0"))
        names = [window.name for window in self.windows]
        if len(set(names)) != len(names):
            problems.append(("windows", f"window names must be unique, got {', '.join(names)}"))
        if self.concept_drift.enabled and self.concept_drift.window not in names:
            problems.append(
                (
                    "concept_drift.window",
                    f'"{self.concept_drift.window}" is not one of the windows ({", ".join(names)})',
                )
            )
        for window in self.windows:
            # Overlapping points are not independent observations (concept drift) nor days (triggers).
            for key, used, name in (
                ("concept_drift.window", self.concept_drift.enabled, self.concept_drift.window),
                ("trigger_window", bool(self.trigger_files), self.trigger_window),
            ):
                if used and window.slides and window.name == name:
                    problems.append((key, f'window "{name}" slides (step); name a window without step'))
        if self.trigger_files and self.trigger_window not in names:
            problems.append(
                ("trigger_window", f'"{self.trigger_window}" is not one of the windows ({", ".join(names)})')
            )
        for window in self.windows:
            if window.name == self.trigger_window and window.length != timedelta(days=1):
                problems.append(
                    ("trigger_window", f'window "{window.name}" must be 1d long for daily triggers')
                )
        if self.min_samples < 1:
            problems.append(("min_samples", f"must be at least 1, got {self.min_samples}"))
        if self.calibration_bins < 1:
            problems.append(("calibration_bins", f"must be at least 1, got {self.calibration_bins}"))
        problems.extend(_check_metrics(self.thresholds, "thresholds"))
        return problems
