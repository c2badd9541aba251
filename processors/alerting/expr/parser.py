"""The recursive-descent (Pratt) parser of the alert expression language: text in, a ``Node`` tree out.

Reads: the rule text and, optionally, the set of signal names that exist. Writes: nothing. Raises
``ExprError`` at the offending token for syntax errors, unknown signals and unknown functions.

Binding power, loosest first: ``or`` < ``and`` < comparisons < ``+ -`` < ``* /`` < unary ``-``.
Every binary operator is left-associative. ``not`` applies to a comparison-level operand, so
``not a > 1 and b > 1`` is ``(not (a > 1)) and (b > 1)``.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from processors.alerting.expr.errors import ExprError
from processors.alerting.expr.nodes import (
    AGGREGATIONS,
    Aggregation,
    Baseline,
    Binary,
    Matcher,
    Node,
    NumberLiteral,
    Selector,
    Unary,
    is_vector,
)
from processors.alerting.expr.tokens import Kind, Token, tokenize

_BINDING_POWER = {
    "or": 1,
    "and": 2,
    **dict.fromkeys((">", ">=", "<", "<=", "==", "!="), 3),
    "+": 4,
    "-": 4,
    "*": 5,
    "/": 5,
}
_NOT_OPERAND_POWER = 3
_UNARY_MINUS_POWER = 6
_KEYWORDS = frozenset({"and", "or", "not", "by"})
_MATCH_OPS = frozenset({"=", "!=", "=~", "!~"})


def parse(source: str, known_signals: Collection[str] | None = None) -> Node:
    """Parse ``source`` into a tree; with ``known_signals``, any other signal name is an error."""
    return _Parser(source, known_signals).parse()


class _Parser:
    def __init__(self, source: str, known_signals: Collection[str] | None) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.index = 0
        self.known_signals = None if known_signals is None else frozenset(known_signals)

    def parse(self) -> Node:
        if self.peek().kind is Kind.EOF:
            raise self.error("empty expression", self.peek())
        node = self.expression(1)
        if self.peek().kind is not Kind.EOF:
            raise self.unexpected(self.peek())
        if not is_vector(node):
            raise ExprError("expression must return series: it references no signal", self.source, 0)
        return node

    # -- token helpers

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.peek()
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def expect(self, text: str, context: str) -> Token:
        token = self.peek()
        if token.kind is not Kind.OP or token.text != text:
            raise self.error(f'unexpected {token.describe()} {context}, expected "{text}"', token)
        return self.advance()

    def error(self, message: str, token: Token) -> ExprError:
        return ExprError(message, self.source, token.offset)

    def unexpected(self, token: Token) -> ExprError:
        return self.error(f"unexpected {token.describe()}", token)

    # -- grammar

    def binary_operator(self, token: Token) -> str | None:
        if token.kind is Kind.OP and token.text in _BINDING_POWER:
            return token.text
        if token.kind is Kind.IDENT and token.text in ("and", "or"):
            return token.text
        return None

    def expression(self, min_power: int) -> Node:
        left = self.prefix()
        while True:
            token = self.peek()
            op = self.binary_operator(token)
            if op is None or _BINDING_POWER[op] < min_power:
                return left
            self.advance()
            right = self.expression(_BINDING_POWER[op] + 1)
            left = Binary(op, left, right, token.offset)

    def prefix(self) -> Node:
        token = self.advance()
        if token.kind is Kind.NUMBER:
            return NumberLiteral(float(token.text), token.offset)
        if token.kind is Kind.OP and token.text == "(":
            inner = self.expression(1)
            self.expect(")", "in parenthesised expression")
            return inner
        if token.kind is Kind.OP and token.text in ("-", "+"):
            operand = self.expression(_UNARY_MINUS_POWER)
            return operand if token.text == "+" else Unary("-", operand, token.offset)
        if token.kind is Kind.IDENT:
            return self.identifier(token)
        raise self.unexpected(token)

    def identifier(self, token: Token) -> Node:
        name = token.text
        following = self.peek()
        if name == "not":
            return Unary("not", self.expression(_NOT_OPERAND_POWER), token.offset)
        if name in _KEYWORDS:
            raise self.unexpected(token)
        opens_call = following.kind is Kind.OP and following.text == "("
        if name in AGGREGATIONS and (opens_call or (following.kind is Kind.IDENT and following.text == "by")):
            return self.aggregation(token)
        if name == "baseline" and opens_call:
            self.advance()
            argument = self.peek()
            if argument.kind is not Kind.IDENT or argument.text in _KEYWORDS:
                raise self.error(f"baseline() expects a signal name, got {argument.describe()}", argument)
            self.advance()
            selector = self.selector(argument)
            self.expect(")", "after baseline argument")
            return Baseline(selector, token.offset)
        if opens_call:
            raise self.error(f'unknown function "{name}"', token)
        return self.selector(token)

    def selector(self, token: Token) -> Selector:
        if self.known_signals is not None and token.text not in self.known_signals:
            raise self.error(f'unknown signal "{token.text}"', token)
        matchers: list[Matcher] = []
        if self.peek().kind is Kind.OP and self.peek().text == "{":
            self.advance()
            while not (self.peek().kind is Kind.OP and self.peek().text == "}"):
                matchers.append(self.matcher())
                if self.peek().kind is Kind.OP and self.peek().text == ",":
                    self.advance()
                elif not (self.peek().kind is Kind.OP and self.peek().text == "}"):
                    raise self.error(
                        f'unexpected {self.peek().describe()} in label matchers, expected "," or "}}"',
                        self.peek(),
                    )
            self.advance()
        return Selector(token.text, tuple(matchers), token.offset)

    def matcher(self) -> Matcher:
        label = self.advance()
        if label.kind is not Kind.IDENT:
            raise self.error(f"unexpected {label.describe()} in label matchers, expected a label name", label)
        op = self.advance()
        if op.kind is not Kind.OP or op.text not in _MATCH_OPS:
            raise self.error(f"unexpected {op.describe()} after label name, expected =, !=, =~ or !~", op)
        value = self.advance()
        if value.kind is not Kind.STRING:
            raise self.error(
                f"unexpected {value.describe()} in label matcher, expected a quoted string", value
            )
        regex = None
        if op.text in ("=~", "!~"):
            try:
                regex = re.compile(value.text)
            except re.error as exc:
                raise self.error(f"invalid regular expression {value.text!r}: {exc}", value) from None
        return Matcher(label.text, op.text, value.text, regex)

    def aggregation(self, token: Token) -> Aggregation:
        by = self.by_clause() if self.peek().text == "by" and self.peek().kind is Kind.IDENT else None
        self.expect("(", f"after {token.text}")
        inner = self.expression(1)
        self.expect(")", f"closing {token.text}(...)")
        if by is None and self.peek().kind is Kind.IDENT and self.peek().text == "by":
            by = self.by_clause()
        if not is_vector(inner):
            raise self.error(f"{token.text}() expects series, got a number", token)
        return Aggregation(token.text, inner, by, token.offset)

    def by_clause(self) -> tuple[str, ...]:
        self.advance()
        self.expect("(", "after by")
        labels: list[str] = []
        while not (self.peek().kind is Kind.OP and self.peek().text == ")"):
            label = self.advance()
            if label.kind is not Kind.IDENT:
                raise self.error(f"unexpected {label.describe()} in by clause, expected a label name", label)
            labels.append(label.text)
            if self.peek().kind is Kind.OP and self.peek().text == ",":
                self.advance()
            elif not (self.peek().kind is Kind.OP and self.peek().text == ")"):
                raise self.error(
                    f'unexpected {self.peek().describe()} in by clause, expected "," or ")"', self.peek()
                )
        self.advance()
        return tuple(labels)
