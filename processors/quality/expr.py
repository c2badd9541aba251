"""Logical rules across fields (``age > 0``, ``start_date < end_date``): a small safe expression language.

Reads: the rule text (``parse``) and one record's typed values (``evaluate``). Writes: nothing (pure).
No ``eval``: the text is split by the alert language's tokenizer (``processors.alerting.expr.tokens``)
and parsed here into a tree of the few node kinds below, which ``evaluate`` walks.

Grammar, loosest first::

    or:  and ("or" and)*          and: not ("and" not)*          not: "not" not | cmp
    cmp: sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)?
    sum: term (("+" | "-") term)*  term: unary (("*" | "/") unary)*  unary: "-" unary | atom
    atom: NUMBER | STRING | true | false | FIELD | FUNCTION "(" or ")" | "(" or ")"

Functions: ``abs(x)``, ``len(x)`` (characters of a text), ``lower(x)``. Values are numbers, texts,
booleans and instants (fields of type datetime); an instant minus an instant is seconds, and a text
literal compared with an instant is read as ISO 8601.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache

from processors.alerting.expr.errors import ExprError
from processors.alerting.expr.tokens import Kind, Token, tokenize

__all__ = ["Check", "CheckError", "ExprError", "Instant", "evaluate", "parse", "parse_instant"]

COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")
KEYWORDS = ("and", "or", "not", "true", "false")


@dataclass(frozen=True, order=True)
class Instant:
    """A point in time (seconds since the epoch): the value of a datetime field."""

    seconds: float


Value = float | str | bool | Instant


class CheckError(ValueError):
    """A record's values cannot be combined as the rule says (types, division by zero)."""


@dataclass(frozen=True)
class Literal:
    value: Value


@dataclass(frozen=True)
class FieldRef:
    name: str


@dataclass(frozen=True)
class Unary:
    op: str  # "-" or "not"
    operand: Node


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Call:
    function: str
    argument: Node


Node = Literal | FieldRef | Unary | Binary | Call


@dataclass(frozen=True)
class Check:
    """A parsed rule: its tree and the fields it reads (all must be present for it to apply)."""

    node: Node
    fields: tuple[str, ...]


@lru_cache(maxsize=4096)  # dates repeat across records
def parse_instant(text: str) -> Instant | None:
    """ISO 8601 date or date-time (``2026-01-31``, ``2026-01-31T10:00:00Z``) → Instant; None otherwise.
    Without an offset the time is UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return Instant(value.timestamp())


# ---- parsing -------------------------------------------------------------------------------------


def parse(text: str) -> Check:
    """Parse a cross-field rule; raises ``ExprError`` with the offset of the offending token."""
    parser = _Parser(text)
    node = parser.disjunction()
    token = parser.peek()
    if token.kind is not Kind.EOF:
        raise ExprError(f"unexpected {token.describe()}", text, token.offset)
    return Check(node, tuple(dict.fromkeys(parser.fields)))


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.position = 0
        self.fields: list[str] = []

    def peek(self) -> Token:
        return self.tokens[self.position]

    def take(self) -> Token:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def at(self, kind: Kind, *texts: str) -> bool:
        token = self.peek()
        return token.kind is kind and (not texts or token.text in texts)

    def expect_op(self, text: str) -> None:
        token = self.take()
        if token.kind is not Kind.OP or token.text != text:
            raise ExprError(f'expected "{text}", got {token.describe()}', self.text, token.offset)

    def disjunction(self) -> Node:
        node = self.conjunction()
        while self.at(Kind.IDENT, "or"):
            self.take()
            node = Binary("or", node, self.conjunction())
        return node

    def conjunction(self) -> Node:
        node = self.negation()
        while self.at(Kind.IDENT, "and"):
            self.take()
            node = Binary("and", node, self.negation())
        return node

    def negation(self) -> Node:
        if self.at(Kind.IDENT, "not"):
            self.take()
            return Unary("not", self.negation())
        return self.comparison()

    def comparison(self) -> Node:
        node = self.sum()
        if self.at(Kind.OP, *COMPARISONS):
            op = self.take().text
            node = Binary(op, node, self.sum())
            if self.at(Kind.OP, *COMPARISONS):
                token = self.peek()
                raise ExprError(
                    "comparisons cannot be chained: write a < b and b < c", self.text, token.offset
                )
        elif self.at(Kind.OP, "=", "=~", "!~"):
            token = self.peek()
            hint = "use == to compare" if token.text == "=" else "use a field's regex: for patterns"
            raise ExprError(f'unexpected "{token.text}": {hint}', self.text, token.offset)
        return node

    def sum(self) -> Node:
        node = self.term()
        while self.at(Kind.OP, "+", "-"):
            op = self.take().text
            node = Binary(op, node, self.term())
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.at(Kind.OP, "*", "/"):
            op = self.take().text
            node = Binary(op, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.at(Kind.OP, "-"):
            self.take()
            return Unary("-", self.unary())
        return self.atom()

    def atom(self) -> Node:
        token = self.take()
        if token.kind is Kind.NUMBER:
            return Literal(float(token.text))
        if token.kind is Kind.STRING:
            return Literal(token.text)
        if token.kind is Kind.OP and token.text == "(":
            node = self.disjunction()
            self.expect_op(")")
            return node
        if token.kind is Kind.IDENT:
            if token.text in ("true", "false"):
                return Literal(token.text == "true")
            if token.text in KEYWORDS:
                raise ExprError(f'"{token.text}" needs a value before it', self.text, token.offset)
            if self.at(Kind.OP, "("):
                if token.text not in FUNCTIONS:
                    known = ", ".join(sorted(FUNCTIONS))
                    message = f'unknown function "{token.text}" (known: {known})'
                    raise ExprError(message, self.text, token.offset)
                self.take()
                argument = self.disjunction()
                self.expect_op(")")
                return Call(token.text, argument)
            self.fields.append(token.text)
            return FieldRef(token.text)
        if token.kind is Kind.EOF:
            raise ExprError("unexpected end of input: a value is missing", self.text, token.offset)
        raise ExprError(f"unexpected {token.describe()}", self.text, token.offset)


# ---- evaluation ----------------------------------------------------------------------------------


def evaluate(check: Check, values: Mapping[str, Value]) -> bool | None:
    """True when the record satisfies the rule, False when it does not, None when the rule does not
    apply (a field it reads has no usable value). ``CheckError`` when the values do not fit the rule
    (a text compared with a number, a division by zero): the caller counts that as a violation."""
    if any(name not in values for name in check.fields):
        return None
    result = _value(check.node, values)
    if not isinstance(result, bool):
        raise CheckError(f"the rule gives {_kind(result)}, not true or false")
    return result


def _value(node: Node, values: Mapping[str, Value]) -> Value:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, FieldRef):
        return values[node.name]
    if isinstance(node, Call):
        return FUNCTIONS[node.function](_value(node.argument, values))
    if isinstance(node, Unary):
        operand = _value(node.operand, values)
        if node.op == "not":
            return not _boolean(operand, "not")
        return -_number(operand, "-")
    if node.op in ("and", "or"):
        left = _boolean(_value(node.left, values), node.op)
        if node.op == "and" and not left:
            return False
        if node.op == "or" and left:
            return True
        return _boolean(_value(node.right, values), node.op)
    left, right = _value(node.left, values), _value(node.right, values)
    if node.op in COMPARISONS:
        return _compare(node.op, left, right)
    return _arithmetic(node.op, left, right)


def _compare(op: str, left: Value, right: Value) -> bool:
    left, right = _instants(left, right)
    same_kind = (_is_number(left) and _is_number(right)) or (
        type(left) is type(right) and isinstance(left, (str, Instant, bool))
    )
    if not same_kind:
        raise CheckError(f"cannot compare {_kind(left)} with {_kind(right)}")
    if isinstance(left, bool) and op not in ("==", "!="):
        raise CheckError(f'booleans can only be compared with == or !=, not "{op}"')
    return COMPARE[op](left, right)


COMPARE: dict[str, Callable[[object, object], bool]] = {
    "<": lambda a, b: a < b,  # type: ignore[operator]
    "<=": lambda a, b: a <= b,  # type: ignore[operator]
    ">": lambda a, b: a > b,  # type: ignore[operator]
    ">=": lambda a, b: a >= b,  # type: ignore[operator]
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def _instants(left: Value, right: Value) -> tuple[Value, Value]:
    """A text compared with an instant is read as an ISO 8601 instant."""
    if isinstance(left, Instant) and isinstance(right, str):
        parsed = parse_instant(right)
        if parsed is None:
            raise CheckError(f"{right!r} is not an ISO 8601 date or time")
        return left, parsed
    if isinstance(right, Instant) and isinstance(left, str):
        swapped_right, swapped_left = _instants(right, left)
        return swapped_left, swapped_right
    return left, right


def _arithmetic(op: str, left: Value, right: Value) -> float:
    if op == "-" and isinstance(left, Instant) and isinstance(right, Instant):
        return left.seconds - right.seconds
    a, b = _number(left, op), _number(right, op)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if b == 0:
        raise CheckError("division by zero")
    return a / b


def _is_number(value: Value) -> bool:
    return isinstance(value, float | int) and not isinstance(value, bool)


def _number(value: Value, op: str) -> float:
    if not _is_number(value):
        raise CheckError(f'"{op}" needs numbers, got {_kind(value)}')
    return float(value)  # type: ignore[arg-type]


def _boolean(value: Value, op: str) -> bool:
    if not isinstance(value, bool):
        raise CheckError(f'"{op}" needs true or false, got {_kind(value)}')
    return value


def _kind(value: Value) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, Instant):
        return "an instant"
    if isinstance(value, str):
        return f"the text {value!r}"
    return f"the number {value:g}" if not math.isnan(value) else "NaN"


def _abs(value: Value) -> float:
    return abs(_number(value, "abs"))


def _len(value: Value) -> float:
    if not isinstance(value, str):
        raise CheckError(f"len needs a text, got {_kind(value)}")
    return float(len(value))


def _lower(value: Value) -> str:
    if not isinstance(value, str):
        raise CheckError(f"lower needs a text, got {_kind(value)}")
    return value.lower()


FUNCTIONS: dict[str, Callable[[Value], Value]] = {"abs": _abs, "len": _len, "lower": _lower}
