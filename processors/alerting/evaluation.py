"""What the gateway's rule evaluator decides without I/O: rule ids, default stage, category, escalation.

Reads: loaded rules (``processors.alerting.rules``). Writes: nothing (pure).

- **Rule id**: ``group/alert`` (``#2``, ``#3`` … for a repeated name in one group); the stored state and
  history are keyed on it, so it survives reordering rules and moving files.
- **Default stage**: the latency signals have one series per stage; a selector naming no ``stage``
  means the whole request (``stage="request"``), so the guide's ``latency_p95 > 200`` fires once per
  model, and ``latency_p95{stage="inference"}`` or ``{stage=~".+"}`` asks for stages.
- **Category** (the notifier's default runbook and tags): from the first signal of the expression.
- **Page inputs**: the families whose baselines the rules read; a page's error classes from the cycle's
  ``error_class_rate`` samples.
- **Escalation** ("the next severity"): rules of one *family* are written ``S op N`` with the same
  selector ``S`` and comparison direction and differ only in the number ``N`` (``error_rate > 0.05`` P1,
  ``error_rate > 0.10`` P0). While an instance of one rule fires, the value crossing a stricter family
  member's threshold escalates it to that member's severity, once per severity reached.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from processors.alerting.expr import (
    Aggregation,
    Baseline,
    Binary,
    Matcher,
    Node,
    NumberLiteral,
    Sample,
    Selector,
    Unary,
    format_expr,
)
from processors.alerting.live.shape import FAMILY_OF, LATENCY_SIGNALS, LIVE_SIGNALS
from processors.alerting.rules import SEVERITIES, Rule, RuleGroup

DEFAULT_STAGE = "request"

_CATEGORY_PREFIXES = (
    (("error_rate", "error_class_rate", "timeout_rate"), "error-rate"),
    (("latency_",), "latency"),
    (("service_up",), "availability"),
    (("cpu_", "memory_", "pod_restarts"), "infrastructure"),
    (("rps", "queue_depth"), "traffic"),
    (
        ("psi", "ks_pvalue", "chi2_pvalue", "missing_rate", "new_categories", "mean_shift", "drifted_"),
        "drift",
    ),
    (("prediction_psi", "class_share", "confidence_mean", "low_confidence_rate"), "predictions"),
    (("completeness", "validity", "consistency", "timeliness_", "quality_"), "quality"),
)


def rule_ids(groups: Iterable[RuleGroup]) -> list[tuple[str, Rule]]:
    """(id, rule) for every rule, in file order; ids are unique."""
    ids: list[tuple[str, Rule]] = []
    seen: dict[str, int] = {}
    for group in groups:
        for rule in group.rules:
            base = f"{group.name}/{rule.alert}"
            seen[base] = seen.get(base, 0) + 1
            ids.append((base if seen[base] == 1 else f"{base}#{seen[base]}", rule))
    return ids


def instance_key(rule_id: str, labels: Mapping[str, str]) -> str:
    """One alert instance as text: ``rule_id{a="1",b="2"}`` (labels sorted)."""
    inner = ",".join(f'{name}="{value}"' for name, value in sorted(labels.items()))
    return f"{rule_id}{{{inner}}}"


def with_default_stage(node: Node) -> Node:
    """``node`` with ``stage="request"`` added to every latency selector that names no ``stage``."""
    if isinstance(node, Selector):
        if node.name in LATENCY_SIGNALS and all(m.label != "stage" for m in node.matchers):
            return dataclasses.replace(node, matchers=(*node.matchers, Matcher("stage", "=", DEFAULT_STAGE)))
        return node
    if isinstance(node, Baseline):
        selector = with_default_stage(node.selector)
        assert isinstance(selector, Selector)
        return dataclasses.replace(node, selector=selector)
    if isinstance(node, Aggregation):
        return dataclasses.replace(node, expr=with_default_stage(node.expr))
    if isinstance(node, Unary):
        return dataclasses.replace(node, operand=with_default_stage(node.operand))
    if isinstance(node, Binary):
        return dataclasses.replace(
            node, left=with_default_stage(node.left), right=with_default_stage(node.right)
        )
    return node


def signals_of(node: Node, *, baselines_only: bool = False) -> list[str]:
    """The signal names an expression reads (only those inside ``baseline(...)`` with
    ``baselines_only``), in order of appearance, without repeats."""
    found: list[str] = []

    def walk(current: Node, in_baseline: bool) -> None:
        if isinstance(current, Selector):
            if current.name not in found and (in_baseline or not baselines_only):
                found.append(current.name)
        elif isinstance(current, Baseline):
            walk(current.selector, True)
        elif isinstance(current, Aggregation):
            walk(current.expr, in_baseline)
        elif isinstance(current, Unary):
            walk(current.operand, in_baseline)
        elif isinstance(current, Binary):
            walk(current.left, in_baseline)
            walk(current.right, in_baseline)

    walk(node, False)
    return found


def baseline_families(nodes: Iterable[Node]) -> tuple[str, ...]:
    """The live-signal families whose baselines the expressions read (the ``alert-baselines`` task's)."""
    names = {name for node in nodes for name in signals_of(node, baselines_only=True)}
    return tuple(sorted({FAMILY_OF[name] for name in names if name in LIVE_SIGNALS}))


def error_class_counts(
    samples: Iterable[Sample], model: str, version: str | None = None
) -> tuple[tuple[str, int], ...]:
    """Failed requests by error class of ``model`` (and ``version``) from ``error_class_rate`` samples
    (rate x requests), most first then by name."""
    counts: dict[str, int] = {}
    for sample in samples:
        labels = sample.labels
        if labels.get("model") != model or (version and labels.get("version") != version):
            continue
        name = labels.get("error_class", "")
        counts[name] = counts.get(name, 0) + round(sample.value * (sample.samples or 0))
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def category(node: Node) -> str:
    """error-rate, latency, availability, infrastructure, traffic, drift, predictions, quality or
    performance (accuracy, auc, mae, …), from the first signal the expression reads."""
    names = signals_of(node)
    first = names[0] if names else ""
    for prefixes, name in _CATEGORY_PREFIXES:
        if any(first == prefix or first.startswith(prefix) for prefix in prefixes):
            return name
    return "performance"


def format_window(window: timedelta) -> str:
    """``5m``, ``1h30m``, ``45s``: the rule's window as written in rule files."""
    seconds = int(window.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"


@dataclass(frozen=True)
class Threshold:
    """A stricter rule of the same family: its severity, and the value beyond which it holds."""

    severity: str
    op: str
    value: float

    def crossed_by(self, value: float) -> bool:
        if math.isnan(value):
            return False
        return (
            value > self.value
            if self.op == ">"
            else value >= self.value
            if self.op == ">="
            else (value < self.value if self.op == "<" else value <= self.value)
        )


def _family_key(node: Node | None) -> tuple[str, str, float] | None:
    """(selector text, direction, threshold) of ``selector op number``; None for any other shape."""
    if not isinstance(node, Binary) or node.op not in (">", ">=", "<", "<="):
        return None
    if isinstance(node.left, Selector) and isinstance(node.right, NumberLiteral):
        return format_expr(node.left), node.op, node.right.value
    if isinstance(node.right, Selector) and isinstance(node.left, NumberLiteral):
        flipped = {">": "<", ">=": "<=", "<": ">", "<=": ">="}[node.op]
        return format_expr(node.right), flipped, node.left.value
    return None


def escalation_ladders(rules: Sequence[tuple[str, Rule, Node | None]]) -> dict[str, tuple[Threshold, ...]]:
    """For each rule id: the stricter-severity thresholds of its family, most severe last."""
    members: dict[tuple[str, str], list[tuple[int, Threshold]]] = {}
    keys: dict[str, tuple[str, str, int]] = {}
    for rule_id, rule, node in rules:
        key = _family_key(node)
        if key is None or rule.severity not in SEVERITIES:
            continue
        rank = SEVERITIES.index(rule.severity)
        direction = ">" if key[1].startswith(">") else "<"
        members.setdefault((key[0], direction), []).append((rank, Threshold(rule.severity, key[1], key[2])))
        keys[rule_id] = (key[0], direction, rank)
    ladders: dict[str, tuple[Threshold, ...]] = {}
    for rule_id, (selector, direction, rank) in keys.items():
        stricter = sorted(
            (item for item in members[(selector, direction)] if item[0] < rank), key=lambda item: -item[0]
        )
        ladders[rule_id] = tuple(threshold for _, threshold in stricter)
    return ladders


def escalation(ladder: Sequence[Threshold], value: float, reached: str | None) -> str | None:
    """The most severe severity of ``ladder`` that ``value`` crosses and that is more severe than
    ``reached`` (the severity an instance already escalated to, or None); None when there is none."""
    best: str | None = None
    for threshold in ladder:
        if threshold.crossed_by(value):
            best = threshold.severity
    if best is None:
        return None
    if reached is not None and SEVERITIES.index(best) >= SEVERITIES.index(reached):
        return None
    return best
