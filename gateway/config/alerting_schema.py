"""Configuration of alert evaluation: rule files, timing, baselines, inhibition, stored-signal staleness.

Reads: nothing. Writes: nothing (pure). Config keys: ``alerting.*``. Part of ``gateway.config.Config``;
what each key does: docs/alert-rules.md ("Evaluation in the gateway") and docs/configuration.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta

from processors.alerting.inhibition import InhibitRule
from processors.alerting.signal_names import KNOWN_SIGNALS

Problems = list[tuple[str, str]]
SEVERITIES = ("P0", "P1", "P2", "P3")


@dataclass(frozen=True)
class InhibitRuleConfig:
    """Firing alerts of ``source_severities`` mute alerts of ``target_severities`` equal on ``equal``."""

    source_severities: tuple[str, ...] = ("P0",)
    target_severities: tuple[str, ...] = ("P2", "P3")
    equal: tuple[str, ...] = ("model",)

    def validate(self) -> Problems:
        problems: Problems = []
        for name in ("source_severities", "target_severities"):
            values = getattr(self, name)
            if not values:
                problems.append((name, "must name at least one severity (P0..P3)"))
            unknown = [value for value in values if value not in SEVERITIES]
            if unknown:
                problems.append((name, f"must be among P0, P1, P2, P3, got {', '.join(unknown)}"))
        return problems

    def rule(self) -> InhibitRule:
        return InhibitRule(frozenset(self.source_severities), frozenset(self.target_severities), self.equal)


def _default_inhibit_rules() -> tuple[InhibitRuleConfig, ...]:
    # The guide's levels: a P0 on a model mutes its P2/P3 alerts, a P1 its P3 alerts.
    return (InhibitRuleConfig(("P0",), ("P2", "P3")), InhibitRuleConfig(("P1",), ("P3",)))


@dataclass(frozen=True)
class AlertingConfig:
    enabled: bool = True  # evaluate the rules of rule_files in the gateway
    rule_files: tuple[
        str, ...
    ] = ()  # rule files or directories of *.yaml (e.g. deploy/rules/); none by default
    evaluation_interval: timedelta = timedelta(minutes=1)  # how often every rule is evaluated
    evaluation_delay: timedelta = timedelta(seconds=30)  # windows end this long before now (late data)
    min_samples: int = 10  # requests a window needs before a rule may change state (rules may set their own)
    resolved_retention: timedelta = timedelta(minutes=15)  # resolved alerts are kept (and listed) this long
    repeat_interval: timedelta = timedelta(0)  # re-send firing alerts this often; 0: once per firing
    baseline_window: timedelta = timedelta(days=7)  # reference window of live-signal baselines
    baseline_refresh: timedelta = timedelta(hours=1)  # live-signal baselines are recomputed this often
    baselines: dict[str, dict[str, float]] = field(default_factory=dict)  # model -> signal -> fixed baseline
    stored_signal_staleness: timedelta = timedelta(
        hours=2
    )  # drift/quality/performance points older are ignored
    inhibit_rules: tuple[InhibitRuleConfig, ...] = field(default_factory=_default_inhibit_rules)

    def validate(self) -> Problems:
        problems: Problems = []
        positive = ("evaluation_interval", "baseline_window", "baseline_refresh", "stored_signal_staleness")
        for name in positive:
            if getattr(self, name) <= timedelta(0):
                problems.append((name, "must be longer than 0"))
        for name in ("evaluation_delay", "resolved_retention", "repeat_interval"):
            if getattr(self, name) < timedelta(0):
                problems.append((name, "must not be negative"))
        if self.min_samples < 0:
            problems.append(("min_samples", f"must be >= 0, got {self.min_samples}"))
        if any(not path.strip() for path in self.rule_files):
            problems.append(("rule_files", "an entry is empty: name a rule file or directory"))
        for model, signals in self.baselines.items():
            for signal, value in signals.items():
                if signal not in KNOWN_SIGNALS:
                    problems.append(
                        (f"baselines.{model}.{signal}", "unknown signal (see docs/alert-rules.md)")
                    )
                elif not math.isfinite(value):
                    problems.append((f"baselines.{model}.{signal}", f"must be a finite number, got {value}"))
        return problems
