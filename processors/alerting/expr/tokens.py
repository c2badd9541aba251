"""The tokenizer of the alert expression language: text in, a tuple of ``Token`` out.

Reads: the rule text. Writes: nothing. Raises ``ExprError`` at the first character that starts no token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from processors.alerting.expr.errors import ExprError


class Kind(Enum):
    NUMBER = "number"
    IDENT = "identifier"
    STRING = "string"
    OP = "operator"
    EOF = "end of input"


@dataclass(frozen=True)
class Token:
    """One token; ``offset`` is the 0-based character offset of its first character in the text."""

    kind: Kind
    text: str
    offset: int

    def describe(self) -> str:
        """How error messages name the token: ``"("``, ``number "5"`` or ``end of input``."""
        if self.kind is Kind.EOF:
            return "end of input"
        if self.kind is Kind.OP:
            return f'"{self.text}"'
        return (
            f"{self.kind.value} {self.text!r}"
            if self.kind is Kind.STRING
            else f'{self.kind.value} "{self.text}"'
        )


_NUMBER = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_:]*")
# Longest operators first so ">=" is not read as ">" then "=".
_OPERATORS = (">=", "<=", "==", "!=", "=~", "!~", "+", "-", "*", "/", ">", "<", "=", "(", ")", "{", "}", ",")
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}


def tokenize(source: str) -> tuple[Token, ...]:
    """Split ``source`` into tokens, ending with one ``EOF`` token; string tokens hold the unescaped value."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(source):
        char = source[pos]
        if char.isspace():
            pos += 1
            continue
        if char == "#":  # a comment runs to the end of the line
            end = source.find("\n", pos)
            pos = len(source) if end < 0 else end
            continue
        number = _NUMBER.match(source, pos)
        if number:
            end = number.end()
            if end < len(source) and (source[end].isalnum() or source[end] in "_."):
                raise ExprError(f"bad number or unexpected character {source[end]!r}", source, end)
            tokens.append(Token(Kind.NUMBER, number.group(), pos))
            pos = end
            continue
        ident = _IDENT.match(source, pos)
        if ident:
            tokens.append(Token(Kind.IDENT, ident.group(), pos))
            pos = ident.end()
            continue
        if char in "\"'":
            value, pos_after = _read_string(source, pos)
            tokens.append(Token(Kind.STRING, value, pos))
            pos = pos_after
            continue
        operator = next((op for op in _OPERATORS if source.startswith(op, pos)), None)
        if operator is None:
            raise ExprError(f"unexpected character {char!r}", source, pos)
        tokens.append(Token(Kind.OP, operator, pos))
        pos += len(operator)
    tokens.append(Token(Kind.EOF, "", len(source)))
    return tuple(tokens)


def _read_string(source: str, start: int) -> tuple[str, int]:
    quote = source[start]
    chars: list[str] = []
    pos = start + 1
    while pos < len(source):
        char = source[pos]
        if char == quote:
            return "".join(chars), pos + 1
        if char == "\n":
            break
        if char == "\\":
            escaped = source[pos + 1] if pos + 1 < len(source) else ""
            if escaped not in _ESCAPES:
                raise ExprError(f"unknown escape sequence '\\{escaped}'", source, pos)
            chars.append(_ESCAPES[escaped])
            pos += 2
            continue
        chars.append(char)
        pos += 1
    raise ExprError("unterminated string", source, start)
