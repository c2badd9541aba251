"""``ExprError``: a syntax or validation error located at a 1-based line:column of the rule text.

Reads: nothing. Writes: nothing.
"""

from __future__ import annotations


class ExprError(ValueError):
    """An error in an alert expression, pointing at the offending token like promtool.

    ``str(error)`` is ``"<line>:<column>: <message>"`` followed by the source line and a caret
    under the column, e.g.::

        1:13: unexpected end of input
        error_rate >
                    ^
    """

    def __init__(self, message: str, source: str, offset: int) -> None:
        self.message = message
        self.source = source
        self.offset = offset
        before = source[:offset]
        self.line = before.count("\n") + 1
        self.column = offset - (before.rfind("\n") + 1) + 1
        super().__init__(str(self))

    def __str__(self) -> str:
        source_line = self.source.split("\n")[self.line - 1] if self.source else ""
        caret = " " * (self.column - 1) + "^"
        return f"{self.line}:{self.column}: {self.message}\n{source_line}\n{caret}"
