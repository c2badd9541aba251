"""Annotation templates: ``{{ $labels.NAME }}`` and ``{{ $value }}``, rendered without evaluating code.

Reads: nothing. Writes: nothing. These two forms are the whole language (no functions, no pipes), so a
template can be checked completely at load time: ``template_errors`` returns every problem with its offset
in the text, and ``render_template`` never fails on a template that passed the check.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

_VARIABLE = re.compile(r"\s*\$(?:(?P<value>value)|labels\.(?P<label>[A-Za-z_][A-Za-z0-9_]*))\s*")
HINT = "use {{ $value }} or {{ $labels.NAME }}"


@dataclass(frozen=True)
class TemplateProblem:
    """A template error at ``offset`` (0-based) of the template text."""

    offset: int
    message: str


class TemplateError(ValueError):
    def __init__(self, problem: TemplateProblem) -> None:
        self.problem = problem
        super().__init__(f"offset {problem.offset}: {problem.message}")


def _pieces(text: str) -> tuple[list[tuple[str, str]], list[TemplateProblem]]:
    """The template as ("text", literal) / ("value", "") / ("label", NAME) pieces, and its problems."""
    pieces: list[tuple[str, str]] = []
    problems: list[TemplateProblem] = []
    position = 0
    while (start := text.find("{{", position)) >= 0:
        pieces.append(("text", text[position:start]))
        end = text.find("}}", start + 2)
        if end < 0:
            problems.append(TemplateProblem(start, 'unclosed "{{" in template'))
            return pieces, problems
        inner = text[start + 2 : end]
        match = _VARIABLE.fullmatch(inner)
        if match is None:
            shown = inner.strip()
            offset = start + 2 + (len(inner) - len(inner.lstrip()))
            problems.append(TemplateProblem(offset, f'unknown template variable "{shown}": {HINT}'))
        elif match["value"]:
            pieces.append(("value", ""))
        else:
            pieces.append(("label", match["label"]))
        position = end + 2
    pieces.append(("text", text[position:]))
    return pieces, problems


def template_errors(text: str) -> list[TemplateProblem]:
    """Every problem of the template ``text``; empty when it renders."""
    return _pieces(text)[1]


def format_value(value: float) -> str:
    """``{{ $value }}``: up to six significant digits, ``NaN``/``+Inf``/``-Inf`` as Prometheus writes them."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return format(value, "g")


def render_template(text: str, labels: Mapping[str, str], value: float) -> str:
    """``text`` with its variables replaced; a label the series lacks renders as "". Raises TemplateError."""
    pieces, problems = _pieces(text)
    if problems:
        raise TemplateError(problems[0])
    rendered = []
    for kind, content in pieces:
        if kind == "text":
            rendered.append(content)
        elif kind == "value":
            rendered.append(format_value(value))
        else:
            rendered.append(labels.get(content, ""))
    return "".join(rendered)
