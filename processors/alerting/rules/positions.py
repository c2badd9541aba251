"""Where a character of a parsed YAML scalar sits in the file, and the duration syntax of rule keys.

Reads: the file text and PyYAML nodes (which keep start/end marks). Writes: nothing. An expression or
template error knows its offset in the scalar's value; YAML quoting, block indentation and line folding
move characters around, so the value is aligned with the raw text character by character (whitespace
aside) to find the line and column an editor shows.
"""

from __future__ import annotations

import bisect
import re
from datetime import timedelta

import yaml

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
DURATION_HINT = "use a number and a unit such as 30s, 5m, 1h30m, 1d (units ms, s, m, h, d, w)"


def parse_duration(text: str) -> timedelta:
    """``"5m"``, ``"1h30m"``, ``"500ms"``, ``"0"`` → timedelta; ValueError otherwise."""
    text = text.strip()
    if text == "0":
        return timedelta(0)
    if not text or _DURATION_PART.sub("", text):
        raise ValueError(f'invalid duration "{text}": {DURATION_HINT}')
    return timedelta(seconds=sum(float(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION_PART.findall(text)))


class FilePositions:
    """1-based (line, column) of character indexes of one file's text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._line_starts = [0] + [index + 1 for index, char in enumerate(text) if char == "\n"]

    def at_index(self, index: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._line_starts, index) - 1
        return line + 1, index - self._line_starts[line] + 1

    def of_node(self, node: yaml.Node) -> tuple[int, int]:
        return node.start_mark.line + 1, node.start_mark.column + 1

    def in_scalar(self, node: yaml.ScalarNode, offset: int) -> tuple[int, int]:
        """The position of character ``offset`` of the scalar's value (or just after its end)."""
        return self.at_index(self._raw_index(node, offset))

    def _raw_index(self, node: yaml.ScalarNode, offset: int) -> int:
        start, end = node.start_mark.index, node.end_mark.index
        raw = start
        if node.style in ("|", ">"):
            newline = self.text.find("\n", start, end)
            raw = end if newline < 0 else newline + 1
        elif node.style in ('"', "'"):
            raw = start + 1
        value = node.value
        last_value, last_raw = -1, raw - 1
        for index in range(min(offset + 1, len(value))):
            char = value[index]
            if char.isspace():
                continue
            found = raw
            while found < end and self.text[found] != char:
                found += 1
            if found >= end:  # escapes we cannot follow: fall back to the start of the scalar
                return start
            if index == offset:
                return found
            last_value, last_raw, raw = index, found, found + 1
        # offset is whitespace or the end of the value: just after the last character placed, plus the
        # blanks between them when they are on the same line
        between = value[last_value + 1 : offset]
        return last_raw + 1 + (0 if "\n" in between else len(between))
