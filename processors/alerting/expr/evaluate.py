"""The evaluator of the alert expression language over a ``SignalSource``.

Reads: signal series and baselines through the ``SignalSource`` interface passed in. Writes: nothing.
Returns one ``Result`` per label set, sorted by labels; each becomes one alert instance.

Inside, a vector maps each label set to a value and a truth: a comparison keeps the series it was
asked about but marks the ones where it fails as false. That is what lets ``not`` and ``and`` know
that a series was checked and failed (rather than never seen): ``not (accuracy > 0.9)`` returns the
accuracy series at or below 0.9. Only true series reach the caller, unless ``include_false`` is set
(the state machine uses that to hold alerts whose window has too few samples).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from processors.alerting.expr.nodes import (
    ARITHMETIC,
    COMPARISONS,
    Aggregation,
    Baseline,
    Binary,
    Node,
    NumberLiteral,
    Selector,
    Unary,
)
from processors.alerting.expr.parser import parse
from processors.alerting.labels import Labels


@dataclass(frozen=True)
class Sample:
    """The latest value of one series of a signal; ``samples``: how many observations it summarises."""

    labels: Mapping[str, str]
    value: float
    samples: int | None = None


class SignalSource(Protocol):
    """What the evaluator reads: the current series of a signal and the baseline of one series."""

    def series(self, name: str) -> Sequence[Sample]: ...

    def baseline(self, name: str, labels: Mapping[str, str]) -> float | None: ...


@dataclass(frozen=True)
class Result:
    """One output series: its labels, value, the fewest samples behind it (None if unknown), and truth."""

    labels: Labels
    value: float
    samples: int | None = None
    holds: bool = True


@dataclass(frozen=True)
class _Entry:
    value: float
    samples: int | None
    holds: bool = True


_Vector = dict[Labels, _Entry]
_Value = float | _Vector

_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
}
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


def evaluate(expr: Node | str, source: SignalSource, *, include_false: bool = False) -> tuple[Result, ...]:
    """Evaluate ``expr`` (a tree or text) against ``source``; one ``Result`` per label set, sorted.

    With ``include_false``, series a comparison checked and rejected are returned too, with ``holds=False``.
    """
    node = parse(expr) if isinstance(expr, str) else expr
    value = _Evaluator(source).eval(node)
    if not isinstance(value, dict):  # the parser rejects expressions without a signal
        raise TypeError("expression evaluated to a number, not series")
    return tuple(
        Result(labels, entry.value, entry.samples, entry.holds)
        for labels, entry in sorted(value.items(), key=lambda item: item[0].items_tuple())
        if entry.holds or include_false
    )


def _min_samples(*counts: int | None) -> int | None:
    known = [count for count in counts if count is not None]
    return min(known) if known else None


def _truthy(value: float) -> bool:
    return not (value == 0 or math.isnan(value))


class _Evaluator:
    def __init__(self, source: SignalSource) -> None:
        self.source = source

    def eval(self, node: Node) -> _Value:
        if isinstance(node, NumberLiteral):
            return node.value
        if isinstance(node, Selector):
            return self.select(node)
        if isinstance(node, Baseline):
            return self.baseline(node)
        if isinstance(node, Aggregation):
            return self.aggregate(node)
        if isinstance(node, Unary):
            return self.unary(node)
        return self.binary(node)

    def matching_samples(self, selector: Selector) -> list[Sample]:
        return [
            sample
            for sample in self.source.series(selector.name)
            if all(matcher.matches(sample.labels) for matcher in selector.matchers)
        ]

    def select(self, selector: Selector) -> _Vector:
        vector: _Vector = {}
        for sample in self.matching_samples(selector):
            vector.setdefault(Labels(sample.labels), _Entry(float(sample.value), sample.samples))
        return vector

    def baseline(self, node: Baseline) -> _Vector:
        vector: _Vector = {}
        for sample in self.matching_samples(node.selector):
            labels = Labels(sample.labels)
            base = self.source.baseline(node.selector.name, labels)
            if base is not None and labels not in vector:
                vector[labels] = _Entry(float(base), None)
        return vector

    def aggregate(self, node: Aggregation) -> _Vector:
        inner = self.eval(node.expr)
        assert isinstance(inner, dict)  # the parser only builds aggregations over series
        groups: dict[Labels, list[_Entry]] = {}
        for labels, entry in inner.items():
            if not entry.holds:
                continue
            key = Labels() if node.by is None else Labels({k: labels[k] for k in node.by if k in labels})
            groups.setdefault(key, []).append(entry)
        result: _Vector = {}
        for key, entries in groups.items():
            values = [entry.value for entry in entries]
            samples = _min_samples(*(entry.samples for entry in entries))
            result[key] = _Entry(_AGGREGATE[node.op](values), samples)
        return result

    def unary(self, node: Unary) -> _Value:
        operand = self.eval(node.operand)
        if node.op == "-":
            if isinstance(operand, dict):
                return {k: _Entry(-e.value, e.samples) for k, e in operand.items() if e.holds}
            return -operand
        if isinstance(operand, dict):
            return {k: _Entry(e.value, e.samples, not e.holds) for k, e in operand.items()}
        return 0.0 if _truthy(operand) else 1.0

    def binary(self, node: Binary) -> _Value:
        left, right = self.eval(node.left), self.eval(node.right)
        if node.op in ARITHMETIC:
            return _arithmetic(node.op, left, right)
        if node.op in COMPARISONS:
            return _comparison(node.op, left, right)
        return _logical(node.op, left, right)


_AGGREGATE: dict[str, Callable[[list[float]], float]] = {
    "count": lambda values: float(len(values)),
    "sum": lambda values: math.fsum(values),
    "avg": lambda values: math.fsum(values) / len(values),
    "min": min,
    "max": max,
}


def _apply(op: str, a: float, b: float) -> float | None:
    """``a op b``; None for a division by zero, which drops the series."""
    if op == "/" and b == 0:
        return None
    return _ARITHMETIC[op](a, b)


def _arithmetic(op: str, left: _Value, right: _Value) -> _Value:
    if not isinstance(left, dict) and not isinstance(right, dict):
        value = _apply(op, left, right)
        return math.nan if value is None else value
    result: _Vector = {}
    if isinstance(left, dict) and isinstance(right, dict):
        for labels, a in left.items():
            b = right.get(labels)
            if a.holds and b is not None and b.holds:
                value = _apply(op, a.value, b.value)
                if value is not None:
                    result[labels] = _Entry(value, _min_samples(a.samples, b.samples))
        return result
    vector, scalar, vector_left = (left, right, True) if isinstance(left, dict) else (right, left, False)
    assert isinstance(vector, dict) and not isinstance(scalar, dict)
    for labels, entry in vector.items():
        if entry.holds:
            value = _apply(op, entry.value, scalar) if vector_left else _apply(op, scalar, entry.value)
            if value is not None:
                result[labels] = _Entry(value, entry.samples)
    return result


def _comparison(op: str, left: _Value, right: _Value) -> _Value:
    compare = _COMPARE[op]
    if not isinstance(left, dict) and not isinstance(right, dict):
        return 1.0 if compare(left, right) else 0.0
    result: _Vector = {}
    if isinstance(left, dict) and isinstance(right, dict):
        for labels, a in left.items():
            b = right.get(labels)
            if a.holds and b is not None and b.holds:
                result[labels] = _Entry(
                    a.value, _min_samples(a.samples, b.samples), compare(a.value, b.value)
                )
        return result
    if isinstance(left, dict):
        assert not isinstance(right, dict)
        return {k: _Entry(e.value, e.samples, compare(e.value, right)) for k, e in left.items() if e.holds}
    assert isinstance(right, dict)
    # number op series: the series' value is the result, as in Prometheus
    return {k: _Entry(e.value, e.samples, compare(left, e.value)) for k, e in right.items() if e.holds}


def _logical(op: str, left: _Value, right: _Value) -> _Value:
    both = operator.and_ if op == "and" else operator.or_
    if not isinstance(left, dict) and not isinstance(right, dict):
        return 1.0 if both(_truthy(left), _truthy(right)) else 0.0
    if not isinstance(left, dict) or not isinstance(right, dict):
        # A number is the same truth for every label set: it broadcasts over the series' labels.
        vector, scalar = (left, right) if isinstance(left, dict) else (right, left)
        assert isinstance(vector, dict) and not isinstance(scalar, dict)
        truth = _truthy(scalar)
        return {k: _Entry(e.value, e.samples, both(e.holds, truth)) for k, e in vector.items()}
    result: _Vector = {}
    for labels in left.keys() | right.keys():
        a, b = left.get(labels), right.get(labels)
        if a is not None and b is not None:
            holds = both(a.holds, b.holds)
            chosen = b if op == "or" and not a.holds and b.holds else a
            result[labels] = _Entry(chosen.value, _min_samples(a.samples, b.samples), holds)
        else:
            # One side never saw this label set: its truth is unknown, so the result is known only
            # when the other side decides it alone (false for "and", true for "or").
            only = a if a is not None else b
            assert only is not None
            if only.holds == (op == "or"):
                result[labels] = only
    return result
