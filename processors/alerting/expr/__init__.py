"""The alert expression language: ``parse`` text into a tree, ``evaluate`` it over a ``SignalSource``.

Reads: rule text and the signal store interface. Writes: nothing. The language is described in
docs/alert-rules.md.
"""

from processors.alerting.expr.errors import ExprError
from processors.alerting.expr.evaluate import Result, Sample, SignalSource, evaluate
from processors.alerting.expr.nodes import (
    Aggregation,
    Baseline,
    Binary,
    Matcher,
    Node,
    NumberLiteral,
    Selector,
    Unary,
    format_expr,
    is_vector,
)
from processors.alerting.expr.parser import parse

__all__ = [
    "Aggregation",
    "Baseline",
    "Binary",
    "ExprError",
    "Matcher",
    "Node",
    "NumberLiteral",
    "Result",
    "Sample",
    "Selector",
    "SignalSource",
    "Unary",
    "evaluate",
    "format_expr",
    "is_vector",
    "parse",
]
