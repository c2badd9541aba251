"""The syntax tree of the alert expression language: frozen nodes, each with the offset of its token.

Reads: nothing. Writes: nothing. ``format_expr`` prints a tree fully parenthesised, which is how the
tests check precedence and associativity.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from processors.alerting.labels import label_matches


@dataclass(frozen=True)
class NumberLiteral:
    value: float
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Matcher:
    """``label op "value"``; op is one of ``=``, ``!=``, ``=~``, ``!~``. A missing label matches as ``""``."""

    label: str
    op: str
    value: str
    regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def matches(self, labels: Mapping[str, str]) -> bool:
        return label_matches(labels, self.label, self.op, self.value, self.regex)


@dataclass(frozen=True)
class Selector:
    """A signal name with optional label matchers: ``psi{feature="age"}``."""

    name: str
    matchers: tuple[Matcher, ...] = ()
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Baseline:
    """``baseline(selector)``: the stored baseline of each series the selector returns."""

    selector: Selector
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Aggregation:
    """``op [by (labels)] (expr)``; ``by`` is None without a by clause (everything in one group)."""

    op: str
    expr: Node
    by: tuple[str, ...] | None = None
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Unary:
    """``-expr`` or ``not expr``."""

    op: str
    operand: Node
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Binary:
    """``left op right``; op is arithmetic, a comparison, ``and`` or ``or``."""

    op: str
    left: Node
    right: Node
    offset: int = field(default=0, compare=False)


Node = NumberLiteral | Selector | Baseline | Aggregation | Unary | Binary

AGGREGATIONS = frozenset({"count", "sum", "avg", "min", "max"})
ARITHMETIC = frozenset({"+", "-", "*", "/"})
COMPARISONS = frozenset({">", ">=", "<", "<=", "==", "!="})
LOGICAL = frozenset({"and", "or"})


def is_vector(node: Node) -> bool:
    """True when ``node`` evaluates to a set of labelled series rather than a single number."""
    if isinstance(node, NumberLiteral):
        return False
    if isinstance(node, Unary):
        return is_vector(node.operand)
    if isinstance(node, Binary):
        return is_vector(node.left) or is_vector(node.right)
    return True


def format_expr(node: Node) -> str:
    """The expression as text, every operation in parentheses: ``(a + (b * 2))``."""
    if isinstance(node, NumberLiteral):
        return repr(node.value)
    if isinstance(node, Selector):
        if not node.matchers:
            return node.name
        inner = ", ".join(f"{m.label}{m.op}{_quote(m.value)}" for m in node.matchers)
        return f"{node.name}{{{inner}}}"
    if isinstance(node, Baseline):
        return f"baseline({format_expr(node.selector)})"
    if isinstance(node, Aggregation):
        by = "" if node.by is None else f" by ({', '.join(node.by)})"
        inner = format_expr(node.expr)
        return f"{node.op}{by} {inner}" if inner.startswith("(") else f"{node.op}{by} ({inner})"
    if isinstance(node, Unary):
        separator = " " if node.op == "not" else ""
        return f"({node.op}{separator}{format_expr(node.operand)})"
    return f"({format_expr(node.left)} {node.op} {format_expr(node.right)})"


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
