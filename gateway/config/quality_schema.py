"""Configuration of the data-quality evaluation: rule files, schedule, window, samples, targets.

Reads: nothing. Writes: nothing (pure). Config keys: ``quality.*``. Part of ``gateway.config.Config``;
the rule-file format and the metrics are in docs/data-quality.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

Problems = list[tuple[str, str]]

SAMPLE_VALUES = ("pii", "all")
SHARE_METRICS = ("completeness", "accuracy", "consistency", "validity")


@dataclass(frozen=True)
class QualityTargets:
    """Levels of the metrics: shares at least this much, timeliness (the p95 delay) at most this.

    The defaults are the guide's dashboard targets; ``QualityConfig.critical`` holds the levels beyond
    which a metric missing its target is ✗ rather than ⚠.
    """

    completeness: float = 0.99
    accuracy: float = 0.95
    consistency: float = 0.98
    validity: float = 0.99
    timeliness: timedelta = timedelta(hours=1)

    def validate(self) -> Problems:
        return _share_problems(self) + _delay_problems(self)


@dataclass(frozen=True)
class QualityCritical(QualityTargets):
    """Below a target but at or above its critical level the status is ⚠; beyond the level, ✗."""

    completeness: float = 0.95
    accuracy: float = 0.90
    consistency: float = 0.95
    validity: float = 0.95
    timeliness: timedelta = timedelta(hours=2)


@dataclass(frozen=True)
class QualityConfig:
    enabled: bool = True
    rule_files: tuple[str, ...] = ()  # rule files or directories of *.yaml / *.yml, one model per file
    interval: timedelta = timedelta(minutes=5)  # how often windows are evaluated (window ends align to it)
    window: timedelta = timedelta(hours=1)  # records received in the window before each aligned end
    max_records: int = 200_000  # records read per model and window (the newest ones beyond that)
    samples_per_rule: int = 5  # violating records kept per rule and field
    sample_values: str = "pii"  # hashed in samples: "pii" (fields marked pii) or "all"
    targets: QualityTargets = field(default_factory=QualityTargets)
    critical: QualityCritical = field(default_factory=QualityCritical)

    def validate(self) -> Problems:
        problems: Problems = []
        for name in ("interval", "window"):
            if getattr(self, name) <= timedelta(0):
                problems.append((name, f"must be longer than 0, got {getattr(self, name)}"))
        if self.max_records <= 0:
            problems.append(("max_records", f"must be greater than 0, got {self.max_records}"))
        if self.samples_per_rule < 0:
            problems.append(("samples_per_rule", f"must be 0 or more, got {self.samples_per_rule}"))
        if self.sample_values not in SAMPLE_VALUES:
            problems.append(
                ("sample_values", f'must be one of {", ".join(SAMPLE_VALUES)}, got "{self.sample_values}"')
            )
        for index, path in enumerate(self.rule_files):
            if not path.strip():
                problems.append((f"rule_files[{index}]", "must not be empty"))
        for metric in SHARE_METRICS:
            target, critical = getattr(self.targets, metric), getattr(self.critical, metric)
            if critical > target:
                problems.append(
                    (f"critical.{metric}", f"must not be above targets.{metric} ({target}), got {critical}")
                )
        if self.critical.timeliness < self.targets.timeliness:
            problems.append(("critical.timeliness", "must not be shorter than targets.timeliness"))
        return problems


def _share_problems(section: QualityTargets) -> Problems:
    return [
        (metric, f"must be in [0, 1], got {getattr(section, metric)}")
        for metric in SHARE_METRICS
        if not 0.0 <= getattr(section, metric) <= 1.0
    ]


def _delay_problems(section: QualityTargets) -> Problems:
    if section.timeliness <= timedelta(0):
        return [("timeliness", f"must be longer than 0, got {section.timeliness}")]
    return []
