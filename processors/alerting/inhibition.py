"""Inhibition: a firing higher-severity alert on a model mutes that model's lower-severity alerts.

Reads: the currently firing alerts (key, severity, labels) and the inhibit rules. Writes: nothing; it
returns the keys of the alerts to mute, which the notifier skips (they stay firing and recorded).
Pure: no clock, logging or I/O. Config keys (per rule): ``source_severities``, ``target_severities``,
``equal``.

Alertmanager semantics (REFERENCE §4), with severity sets in place of source/target matchers:

- an alert is inhibited when some *other firing* alert has a source severity, it has a target
  severity, and both have the same value for every label in ``equal``;
- a label missing from an alert counts as the empty string, so two alerts both lacking a label in
  ``equal`` are equal on it (as in Alertmanager), and missing equals ``""``; an empty ``equal``
  makes any source mute every target;
- an alert never inhibits itself, and an alert matching both sides of a rule is muted only by a
  source that is not itself a target of that rule, so two such alerts cannot mute each other;
- inhibited alerts still act as sources (Alertmanager does the same): muting is about notifications,
  not about whether the problem exists.

Default rules (``DEFAULT_INHIBIT_RULES``): a P0 mutes the P2 and P3 alerts of the same model, a P1 mutes
the P3 alerts of the same model. P1 is never muted by default: a second, independent serious
problem on a model already paging at P0 should still page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from processors.alerting.labels import Labels
from processors.alerting.opsgenie import SEVERITIES


@dataclass(frozen=True)
class FiringAlert:
    """One firing alert instance; ``key`` identifies it (e.g. its Opsgenie alias)."""

    key: str
    severity: str
    labels: Labels

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity: must be one of {', '.join(SEVERITIES)}, got {self.severity!r}")
        if not isinstance(self.labels, Labels):
            object.__setattr__(self, "labels", Labels(self.labels))


@dataclass(frozen=True)
class InhibitRule:
    """Firing alerts of ``source_severities`` mute alerts of ``target_severities`` equal on ``equal``."""

    source_severities: frozenset[str]
    target_severities: frozenset[str]
    equal: tuple[str, ...] = ("model",)

    def __post_init__(self) -> None:
        for name in ("source_severities", "target_severities"):
            value = frozenset(getattr(self, name))
            if not value:
                raise ValueError(f"{name}: must name at least one severity")
            unknown = sorted(value - set(SEVERITIES))
            if unknown:
                raise ValueError(f"{name}: must be among {', '.join(SEVERITIES)}, got {unknown!r}")
            object.__setattr__(self, name, value)
        if isinstance(self.equal, str):
            raise ValueError(f"equal: must be a sequence of label names, got the string {self.equal!r}")
        object.__setattr__(self, "equal", tuple(self.equal))

    def is_source(self, alert: FiringAlert) -> bool:
        return alert.severity in self.source_severities

    def is_target(self, alert: FiringAlert) -> bool:
        return alert.severity in self.target_severities

    def equal_key(self, labels: Mapping[str, str]) -> tuple[str, ...]:
        """The values compared between source and target; a missing label counts as ``""``."""
        return tuple(labels.get(name, "") for name in self.equal)


DEFAULT_INHIBIT_RULES: tuple[InhibitRule, ...] = (
    InhibitRule(frozenset({"P0"}), frozenset({"P2", "P3"})),
    InhibitRule(frozenset({"P1"}), frozenset({"P3"})),
)


def inhibited(
    alerts: Iterable[FiringAlert], rules: Iterable[InhibitRule] = DEFAULT_INHIBIT_RULES
) -> set[str]:
    """The keys of the ``alerts`` muted by another of them under any of ``rules``.

    Every alert passed in is taken as firing: the caller passes only FIRING instances, so a pending
    or resolved alert can never be a source.
    """
    firing = list(alerts)
    muted: set[str] = set()
    for rule in rules:
        # equal-label values -> keys of the sources there (split by whether the source is also a target)
        sources: dict[tuple[str, ...], list[FiringAlert]] = {}
        for alert in firing:
            if rule.is_source(alert):
                sources.setdefault(rule.equal_key(alert.labels), []).append(alert)
        for target in firing:
            if target.key in muted or not rule.is_target(target):
                continue
            both = rule.is_source(target)
            for source in sources.get(rule.equal_key(target.labels), ()):
                if source.key != target.key and not (both and rule.is_target(source)):
                    muted.add(target.key)
                    break
    return muted
