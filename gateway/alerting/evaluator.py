"""The alert rule evaluator: every rule, every model, every ``alerting.evaluation_interval``.

Reads: the rule files (``alerting.rule_files``), the signals (``gateway.alerting.signal_source``), silences
and the stored alert state (``gateway.alerting.alert_store``). Writes: ``ml_alert_state``, ``ml_alerts``, and
``AlertEvent``s to every callable in ``gateway.notifiers``. Tasks: ``alerts`` (the cycles) and
``alert-baselines`` (live baselines, every ``baseline_refresh``, on its own client). Config keys:
``alerting.*``, ``ml.low_confidence_threshold``. Semantics: docs/alert-rules.md ("Evaluation in the gateway").

One cycle at ``now``: each rule is evaluated once over the signals of every model (one query per signal
family, shared by all rules), its results kept for the models its selector names, and advanced through the
state machine (``for``, ``keep_firing_for``, the resolve expression, ``min_samples``). A rule that fails is
logged and keeps its previous state; the others run. Then the firing instances are checked against
inhibition and silences; an instance that starts firing (and is not muted), resolves after its firing was
sent, or worsens past a stricter rule of its family produces one ``AlertEvent``. The time of the last send
is part of the stored state, so a restart neither repeats nor loses a notification.
"""

from __future__ import annotations

import glob
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from gateway.alerting.alert_store import (
    TransitionRow,
    load_silences,
    load_states,
    record_transitions,
    save_states,
)
from gateway.alerting.signal_source import BaselineCache, RequestCache, SignalCycle
from gateway.alerting.silence_service import register_silence_routes
from gateway.config.alerting_schema import AlertingConfig
from gateway.config.paths import yaml_file_paths
from gateway.scheduling import PeriodicTask
from processors.alerting.evaluation import (
    Threshold,
    baseline_families,
    category,
    error_class_counts,
    escalation,
    escalation_ladders,
    format_window,
    instance_key,
    rule_ids,
    with_default_stage,
)
from processors.alerting.events import AlertEvent
from processors.alerting.expr import Node, Result, evaluate
from processors.alerting.inhibition import FiringAlert, inhibited
from processors.alerting.rules import Rule, RuleGroup, RuleLoadError, load_rules
from processors.alerting.silences import Silence, silenced
from processors.alerting.state import (
    AlertInstance,
    AlertState,
    RuleState,
    StatePolicy,
    mark_sent,
    needs_resend,
)
from processors.alerting.state import evaluate as advance

log = logging.getLogger(__name__)
Notifier = Callable[[AlertEvent], None]


class RuleFilesError(ValueError):
    """The rule files named by ``alerting.rule_files`` cannot be used; every problem, one per line."""


def expand_rule_paths(paths: Sequence[str]) -> list[str]:
    """Files named by ``paths``: a file, a directory (its *.yaml / *.yml) or a glob pattern."""
    files: list[str] = []
    problems: list[str] = []
    for index, path in enumerate(paths):
        expanded = os.path.expanduser(path)
        if os.path.isdir(expanded):
            files.extend(str(file) for file in yaml_file_paths([expanded]))
        elif any(char in expanded for char in "*?["):
            files.extend(sorted(glob.glob(expanded)))
        elif os.path.isfile(expanded):
            files.append(expanded)
        else:
            problems.append(f'alerting.rule_files[{index}]: no such file or directory "{path}"')
    if problems:
        raise RuleFilesError("\n".join(problems))
    return files


def load_rule_files(paths: Sequence[str]) -> list[RuleGroup]:
    """Every group of every file; RuleFilesError listing every ``FILE:LINE:COLUMN: message`` otherwise."""
    groups: list[RuleGroup] = []
    problems: list[str] = []
    for file in expand_rule_paths(paths):
        try:
            with open(file, encoding="utf-8") as handle:
                groups.extend(load_rules(handle.read(), file))
        except RuleLoadError as error:
            problems.extend(str(item) for item in error.errors)
        except (OSError, UnicodeDecodeError) as error:
            problems.append(f"{file}:1:1: cannot read: {error}")
    if problems:
        raise RuleFilesError("invalid alert rules:\n" + "\n".join(problems))
    return groups


@dataclass(frozen=True)
class LoadedRule:
    """A rule ready to evaluate: its id, expression trees (default stage applied), policy and family."""

    id: str
    rule: Rule
    node: Node
    resolve_node: Node | None
    policy: StatePolicy
    category: str
    ladder: tuple[Threshold, ...]

    def applies_to(self, labels: Mapping[str, str]) -> bool:
        # An aggregated result without a model label cannot be told apart: it is kept.
        return "model" not in labels or self.rule.applies_to(labels["model"])


def prepare_rules(groups: Sequence[RuleGroup], config: AlertingConfig) -> list[LoadedRule]:
    entries = []
    for rule_id, rule in rule_ids(groups):
        assert rule.node is not None  # the loader parses every expression
        node = with_default_stage(rule.node)
        resolve = None if rule.resolve_node is None else with_default_stage(rule.resolve_node)
        entries.append((rule_id, rule, node, resolve))
    ladders = escalation_ladders([(rule_id, rule, node) for rule_id, rule, node, _ in entries])
    loaded = []
    for rule_id, rule, node, resolve in entries:
        min_samples = rule.min_samples or config.min_samples
        policy = StatePolicy(rule.hold_for, rule.keep_firing_for, config.resolved_retention, min_samples)
        loaded.append(
            LoadedRule(rule_id, rule, node, resolve, policy, category(node), ladders.get(rule_id, ()))
        )
    return loaded


class AlertEvaluator:
    """Runs the cycles; holds the rules' states between them (and restores them from storage)."""

    def __init__(
        self,
        rules: Sequence[LoadedRule],
        config: AlertingConfig,
        client: Any,
        notifiers: Sequence[Notifier],
        low_confidence: float = 0.5,
    ) -> None:
        self.rules = list(rules)
        self.config = config
        self.client = client
        self.notifiers = notifiers
        self.low_confidence = low_confidence
        self.baselines = BaselineCache(config.baseline_refresh, config.baseline_window, background=True)
        self.baseline_families = baseline_families(
            node for rule in self.rules for node in (rule.node, rule.resolve_node) if node is not None
        )
        self.requests = RequestCache()
        self.states: dict[str, RuleState] = {rule.id: RuleState(rule.id) for rule in self.rules}
        self.escalated: dict[str, dict[str, str]] = {rule.id: {} for rule in self.rules}
        self.errors: dict[str, str] = {}  # rule id -> the error of its last evaluation
        self._saved: dict[str, dict[str, Any]] = {}
        self._cycle: SignalCycle | None = None
        self.last_cycle_queries = 0

    def restore(self) -> int:
        """Load the stored states of the current rules; returns how many rules had one."""
        restored = 0
        for rule_id, document in load_states(self.client).items():
            if rule_id in self.states:
                self.states[rule_id] = RuleState.from_dict({**document, "rule": rule_id})
                self.escalated[rule_id] = dict(document.get("escalated", {}))
                self._saved[rule_id] = document
                restored += 1
        return restored

    def refresh_baselines(self, client: Any, now_unix_nano: int) -> None:
        """The ``alert-baselines`` task: recompute the live baselines the rules use, off the cycle; the
        reference window ends where the longest rule window starts."""
        longest = max((rule.rule.window for rule in self.rules), default=timedelta(0))
        end_ns = now_unix_nano - (self.config.evaluation_delay + longest) // timedelta(microseconds=1) * 1000
        self.baselines.refresh(client, self.baseline_families, end_ns, self.low_confidence)

    def run(self, now_unix_nano: int) -> None:
        now = now_unix_nano / 1e9
        cycle = SignalCycle(
            self.client,
            now_unix_nano,
            delay=self.config.evaluation_delay,
            low_confidence=self.low_confidence,
            fixed_baselines=self.config.baselines,
            staleness=self.config.stored_signal_staleness,
            baselines=self.baselines,
            windows=[rule.rule.window for rule in self.rules],
            requests=self.requests,
        )
        self._cycle = cycle
        transitions: list[tuple[LoadedRule, Any]] = []
        for rule in self.rules:
            try:
                source = cycle.source(rule.rule.window)
                results = self._results(rule, rule.node, source)
                resolve = (
                    None if rule.resolve_node is None else self._results(rule, rule.resolve_node, source)
                )
                state, moved = advance(self.states[rule.id], results, now, rule.policy, resolve)
            except Exception as error:  # boundary: one failing rule must not stop the others
                self.errors[rule.id] = f"{type(error).__name__}: {error}"
                log.exception("alert rule %s (%s) failed; it keeps its state", rule.id, rule.rule.location)
                continue
            self.errors.pop(rule.id, None)
            self.states[rule.id] = state
            transitions.extend((rule, transition) for transition in moved)
        self.last_cycle_queries = cycle.queries
        muted = self._muted(now)
        rows = [
            TransitionRow(
                t.at,
                rule.id,
                rule.rule.alert,
                rule.rule.severity,
                t.labels,
                t.from_state.value,
                t.to_state.value,
                t.value,
                rule.rule.expr,
                self._summary(rule, t.labels, t.value),
                muted.get(instance_key(rule.id, t.labels), ""),
            )
            for rule, t in transitions
        ]
        self._notify(now, muted)
        record_transitions(self.client, rows)
        self._persist(now)

    def _results(self, rule: LoadedRule, node: Node, source: Any) -> list[Result]:
        return [r for r in evaluate(node, source, include_false=True) if rule.applies_to(r.labels)]

    def _muted(self, now: float) -> dict[str, str]:
        """instance key -> why its notifications are held (``silenced:<ids>`` or ``inhibited``)."""
        silences: list[Silence] = load_silences(self.client, now)
        firing = [
            FiringAlert(instance_key(rule.id, instance.labels), rule.rule.severity, instance.labels)
            for rule in self.rules
            for instance in self.states[rule.id].instances
            if instance.state is AlertState.FIRING
        ]
        inhibit_rules = [item.rule() for item in self.config.inhibit_rules]
        muted = {key: "inhibited" for key in inhibited(firing, inhibit_rules)}
        for rule in self.rules:
            for instance in self.states[rule.id].instances:
                labels = {**rule.rule.labels, **instance.labels}
                labels.update(alertname=rule.rule.alert, severity=rule.rule.severity)
                ids = silenced(labels, silences, now)
                if ids:
                    muted[instance_key(rule.id, instance.labels)] = "silenced:" + ",".join(ids)
        return muted

    def _notify(self, now: float, muted: Mapping[str, str]) -> None:
        for rule in self.rules:
            state = self.states[rule.id]
            for instance in state.instances:
                key = instance_key(rule.id, instance.labels)
                event = self._event_for(rule, instance, key, now, muted.get(key, ""))
                if event is not None and self._deliver(event):
                    state = mark_sent(state, instance.labels, now)
            self.states[rule.id] = state

    def _event_for(
        self, rule: LoadedRule, instance: AlertInstance, key: str, now: float, muted: str
    ) -> AlertEvent | None:
        escalated = self.escalated[rule.id]
        if instance.state is AlertState.RESOLVED:
            assert instance.resolved_at is not None
            escalated.pop(key, None)
            # Only a firing that was sent owes a resolution (a muted one paged nobody).
            if instance.last_sent_at is None or instance.last_sent_at >= instance.resolved_at:
                return None
            return self._event("resolved", rule, instance, instance.resolved_at)
        if instance.state is not AlertState.FIRING or muted:
            return None
        repeat = self.config.repeat_interval
        if instance.last_sent_at is None or (repeat > timedelta(0) and needs_resend(instance, now, repeat)):
            return self._event(
                "firing", rule, instance, now if instance.last_sent_at else instance.fired_at or now
            )
        level = escalation(rule.ladder, instance.value, escalated.get(key))
        if level is None:
            return None
        event = self._event("escalated", rule, instance, now, escalated_to=level)
        if self._deliver(event):
            escalated[key] = level
        return None

    def _event(
        self, kind: str, rule: LoadedRule, instance: AlertInstance, at: float, escalated_to: str | None = None
    ) -> AlertEvent:
        labels = {**rule.rule.labels, **instance.labels}
        return AlertEvent(
            kind=kind,
            rule=rule.rule.alert,
            severity=rule.rule.severity,
            labels=labels,
            value=instance.value,
            threshold=rule.rule.expr,
            window=format_window(rule.rule.window),
            summary=self._summary(rule, instance.labels, instance.value),
            at=at,
            fired_at=instance.fired_at if instance.fired_at is not None else at,
            annotations=rule.rule.render_annotations(labels, instance.value),
            runbook=rule.rule.runbook,
            category=rule.category,
            escalated_to=escalated_to,
            error_classes=self._error_classes(rule, labels) if kind == "firing" else None,
        )

    def _error_classes(
        self, rule: LoadedRule, labels: Mapping[str, str]
    ) -> tuple[tuple[str, int], ...] | None:
        """The page's "top error classes" from this cycle's request counts (no query per page)."""
        if not labels.get("model") or self._cycle is None:
            return None
        try:
            samples = self._cycle.source(rule.rule.window).series("error_class_rate")
        except Exception:  # boundary: the notifier then queries them itself
            log.exception("error classes of %s for its page", rule.id)
            return None
        return error_class_counts(samples, labels["model"], labels.get("version"))

    def _summary(self, rule: LoadedRule, labels: Mapping[str, str], value: float) -> str:
        rendered = rule.rule.render_annotations({**rule.rule.labels, **labels}, value)
        return rendered.get("summary") or rule.rule.alert

    def _deliver(self, event: AlertEvent) -> bool:
        """Hand ``event`` to every notifier; True when all took it (else it is offered again next cycle)."""
        delivered = True
        for notifier in self.notifiers:
            try:
                notifier(event)
            except Exception:  # boundary: a failing notifier must not stop evaluation
                delivered = False
                log.exception("notifier %r failed on %s %s", notifier, event.kind, event.rule)
        return delivered

    def _persist(self, now: float) -> None:
        changed: dict[str, dict[str, Any]] = {}
        for rule in self.rules:
            document = {
                **self.states[rule.id].to_dict(),
                "escalated": dict(self.escalated[rule.id]),
                "alert": rule.rule.alert,  # for inferwatch alerts
                "severity": rule.rule.severity,
            }
            if document != self._saved.get(rule.id, {**document, "instances": []}):
                changed[rule.id] = document
        save_states(self.client, changed, now)
        self._saved.update(changed)


def register_alerting(gateway: Any) -> AlertEvaluator | None:
    """Load the rules (a bad file fails the start with FILE:LINE:COLUMN), restore their state, and add the
    ``alerts`` task and the silence routes to ``gateway``."""
    config: AlertingConfig = gateway.config.alerting
    register_silence_routes(gateway.api, gateway.open_client(), lambda: gateway.clock.now_unix_nano() / 1e9)
    if not config.enabled:
        return None
    rules = prepare_rules(load_rule_files(config.rule_files), config)
    evaluator = AlertEvaluator(
        rules, config, gateway.open_client(), gateway.notifiers, gateway.config.ml.low_confidence_threshold
    )
    restored = evaluator.restore()
    log.info(
        "alerting: %d rules from %d paths (%d states restored)", len(rules), len(config.rule_files), restored
    )
    gateway.tasks.append(
        PeriodicTask("alerts", config.evaluation_interval.total_seconds(), evaluator.run, gateway.clock)
    )
    # Its own client: a 7-day baseline query runs beside the cycles instead of inside one.
    baseline_client = gateway.open_client()
    gateway.tasks.append(
        PeriodicTask(
            "alert-baselines",
            config.baseline_refresh.total_seconds(),
            lambda now: evaluator.refresh_baselines(baseline_client, now),
            gateway.clock,
        )
    )
    gateway.alert_evaluator = evaluator
    return evaluator
