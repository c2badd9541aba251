"""The alert state machine: one ``AlertInstance`` per (rule, label set), advanced by ``evaluate``.

Reads: the previous ``RuleState``, the results of the rule's expression (and of its optional resolve
expression) at one evaluation, ``now`` and the rule's ``StatePolicy``. Writes: nothing; it returns the
new state and the transitions, which the caller records in the history table and notifies. Config
keys (per rule): ``for``, ``keep_firing_for``, ``resolved_retention``, ``min_samples`` and, for
``needs_resend``, the notifier's ``resend_interval``.

States (Prometheus semantics, docs/alert-rules.md):

- INACTIVE: the condition is false and nothing is owed; such instances are not stored.
- PENDING: the condition is true, but has been for less than ``for``.
- FIRING: the condition has held for ``for`` (or the instance is kept firing, see below).
- RESOLVED: was firing, the condition stopped and ``keep_firing_for`` has passed; kept for
  ``resolved_retention`` so the resolution is delivered, then forgotten.

Times are seconds since the epoch (floats) or timezone-aware datetimes; durations are seconds or
timedeltas. Everything stored is a float, so ``RuleState.to_dict`` is plain JSON.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from processors.alerting.expr.evaluate import Result
from processors.alerting.labels import Labels

Timestamp = float | datetime
Duration = float | timedelta
_Move = Callable[[Labels, "AlertState", "AlertState", float], None]  # (labels, from, to, value)


class AlertState(str, Enum):
    INACTIVE = "inactive"  # condition false, nothing to do
    PENDING = "pending"  # condition true for less than `for`
    FIRING = "firing"  # condition held for `for`; stays while keep_firing_for / the resolve condition holds
    RESOLVED = "resolved"  # was firing, now stopped; kept for resolved_retention so the resolution is sent


def to_seconds(value: Timestamp) -> float:
    """A timestamp as epoch seconds; naive datetimes are refused (their meaning depends on the host)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()}: pass a timezone-aware datetime")
        return value.timestamp()
    return float(value)


def _duration(value: Duration) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


@dataclass(frozen=True)
class StatePolicy:
    """The timing knobs of one rule. ``hold_for`` is the rule's ``for`` (a Python keyword)."""

    hold_for: Duration = 0.0
    keep_firing_for: Duration = 0.0
    resolved_retention: Duration = 15 * 60.0
    min_samples: int = 0

    def __post_init__(self) -> None:
        for name in ("hold_for", "keep_firing_for", "resolved_retention"):
            seconds = _duration(getattr(self, name))
            if seconds < 0 or math.isnan(seconds):
                raise ValueError(f"{name}: must be a non-negative duration, got {seconds!r}")
            object.__setattr__(self, name, seconds)
        if self.min_samples < 0:
            raise ValueError(f"min_samples: must be >= 0, got {self.min_samples!r}")


@dataclass(frozen=True)
class AlertInstance:
    """One alert of a rule for one label set. Times are epoch seconds; None when not (yet) reached."""

    labels: Labels
    state: AlertState
    active_at: float  # when the condition became true (the start of `for`)
    value: float  # the latest value that made the condition true
    fired_at: float | None = None
    resolved_at: float | None = None
    keep_firing_since: float | None = None  # when the condition stopped while firing
    last_sent_at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "labels": dict(self.labels),
            "state": self.state.value,
            "active_at": self.active_at,
            "value": _encode_float(self.value),
            "fired_at": self.fired_at,
            "resolved_at": self.resolved_at,
            "keep_firing_since": self.keep_firing_since,
            "last_sent_at": self.last_sent_at,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AlertInstance:
        def optional(key: str) -> float | None:
            value = data.get(key)
            return None if value is None else float(value)

        return cls(
            labels=Labels(data["labels"]),
            state=AlertState(data["state"]),
            active_at=float(data["active_at"]),
            value=float(data["value"]),
            fired_at=optional("fired_at"),
            resolved_at=optional("resolved_at"),
            keep_firing_since=optional("keep_firing_since"),
            last_sent_at=optional("last_sent_at"),
        )


def _encode_float(value: float) -> float | str:
    return repr(value) if math.isnan(value) or math.isinf(value) else value  # keep the dict valid JSON


@dataclass(frozen=True)
class Transition:
    """A state change of one instance, for the history table and notifications."""

    labels: Labels
    from_state: AlertState
    to_state: AlertState
    at: float
    value: float


@dataclass(frozen=True)
class RuleState:
    """Every stored (non-inactive) instance of one rule, sorted by labels."""

    rule: str
    instances: tuple[AlertInstance, ...] = ()

    def get(self, labels: Mapping[str, str]) -> AlertInstance | None:
        key = Labels(labels)
        return next((instance for instance in self.instances if instance.labels == key), None)

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "instances": [instance.to_dict() for instance in self.instances]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleState:
        return cls(data["rule"], _sorted(AlertInstance.from_dict(item) for item in data["instances"]))


def _sorted(instances: Iterable[AlertInstance]) -> tuple[AlertInstance, ...]:
    return tuple(sorted(instances, key=lambda instance: instance.labels.items_tuple()))


def _split(results: Iterable[Result] | None, min_samples: int) -> tuple[dict[Labels, Result], set[Labels]]:
    """(results whose condition holds with enough samples, label sets with too few samples to decide)."""
    active: dict[Labels, Result] = {}
    held: set[Labels] = set()
    for result in results or ():
        labels = Labels(result.labels)
        if result.samples is not None and result.samples < min_samples:
            held.add(labels)
        elif result.holds:
            active[labels] = result
    return active, held


def evaluate(
    rule_state: RuleState,
    results: Iterable[Result],
    now: Timestamp,
    policy: StatePolicy,
    resolve_results: Iterable[Result] | None = None,
) -> tuple[RuleState, tuple[Transition, ...]]:
    """Advance every instance of a rule to ``now``.

    ``results`` are the rule expression's results at ``now``; a label set absent from them (or present
    with ``holds=False``) has a false condition. A result with ``samples < policy.min_samples`` holds
    its instance's state, whatever its value. ``resolve_results``, when the rule has a resolve
    expression, keep a firing instance firing while they return its label set (hysteresis).
    """
    ts = to_seconds(now)
    active, held = _split(results, policy.min_samples)
    sustained, sustain_held = (
        _split(resolve_results, policy.min_samples) if resolve_results is not None else ({}, set())
    )
    previous = {instance.labels: instance for instance in rule_state.instances}
    kept: list[AlertInstance] = []
    transitions: list[Transition] = []

    def move(labels: Labels, from_state: AlertState, to_state: AlertState, value: float) -> None:
        transitions.append(Transition(labels, from_state, to_state, ts, value))

    for labels in previous.keys() | active.keys():
        instance = previous.get(labels)
        result = active.get(labels)
        if labels in held:
            if instance is not None:
                kept.append(instance)
            continue
        if result is not None:
            kept.append(_on_true(instance, labels, result.value, ts, policy, move))
            continue
        assert instance is not None
        after = _on_false(instance, ts, policy, labels in sustained or labels in sustain_held, move)
        if after is not None:
            kept.append(after)
    return RuleState(rule_state.rule, _sorted(kept)), tuple(
        sorted(transitions, key=lambda t: t.labels.items_tuple())
    )


def _on_true(
    instance: AlertInstance | None, labels: Labels, value: float, ts: float, policy: StatePolicy, move: _Move
) -> AlertInstance:
    if instance is None or instance.state is AlertState.RESOLVED:
        target = AlertState.FIRING if policy.hold_for == 0 else AlertState.PENDING
        move(labels, AlertState.INACTIVE if instance is None else AlertState.RESOLVED, target, value)
        return AlertInstance(labels, target, ts, value, fired_at=ts if target is AlertState.FIRING else None)
    if instance.state is AlertState.PENDING and ts - instance.active_at >= policy.hold_for:
        move(instance.labels, instance.state, AlertState.FIRING, value)
        return replace(instance, state=AlertState.FIRING, value=value, fired_at=ts)
    return replace(instance, value=value, keep_firing_since=None)


def _on_false(
    instance: AlertInstance, ts: float, policy: StatePolicy, sustained: bool, move: _Move
) -> AlertInstance | None:
    if instance.state is AlertState.PENDING:
        move(instance.labels, instance.state, AlertState.INACTIVE, instance.value)
        return None
    if instance.state is AlertState.RESOLVED:
        assert instance.resolved_at is not None
        return None if ts - instance.resolved_at > policy.resolved_retention else instance
    # FIRING: the resolve condition (hysteresis) keeps it firing, then keep_firing_for does.
    if sustained:
        return replace(instance, keep_firing_since=None)
    since = ts if instance.keep_firing_since is None else instance.keep_firing_since
    if ts - since < policy.keep_firing_for:
        return replace(instance, keep_firing_since=since)
    move(instance.labels, instance.state, AlertState.RESOLVED, instance.value)
    return replace(instance, state=AlertState.RESOLVED, resolved_at=ts, keep_firing_since=None)


def needs_resend(instance: AlertInstance, now: Timestamp, resend_interval: Duration) -> bool:
    """Whether the notifier should (re)send this instance now.

    A firing instance is sent when never sent or when ``resend_interval`` has passed since the last
    send; a resolved instance is sent once, if its resolution is newer than the last send.
    """
    ts = to_seconds(now)
    if instance.state is AlertState.FIRING:
        return instance.last_sent_at is None or ts - instance.last_sent_at >= _duration(resend_interval)
    if instance.state is AlertState.RESOLVED:
        assert instance.resolved_at is not None
        return instance.last_sent_at is None or instance.last_sent_at < instance.resolved_at
    return False


def mark_sent(rule_state: RuleState, labels: Mapping[str, str], now: Timestamp) -> RuleState:
    """The state with the instance for ``labels`` recorded as sent at ``now``."""
    key, ts = Labels(labels), to_seconds(now)
    return replace(
        rule_state,
        instances=tuple(replace(i, last_sent_at=ts) if i.labels == key else i for i in rule_state.instances),
    )
