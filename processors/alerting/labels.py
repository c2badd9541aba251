"""An immutable, hashable label set shared by the expression evaluator and the state machine.

Reads: nothing. Writes: nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping


class Labels(Mapping[str, str]):
    """A frozen ``{name: value}`` mapping, hashable and ordered by name, usable as a dict key."""

    __slots__ = ("_dict", "_items")

    def __init__(self, items: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        as_dict = dict(items)
        self._items: tuple[tuple[str, str], ...] = tuple(sorted(as_dict.items()))
        self._dict: dict[str, str] = dict(self._items)

    def __getitem__(self, key: str) -> str:
        return self._dict[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Labels):
            return self._items == other._items
        if isinstance(other, Mapping):
            return self._dict == dict(other)
        return NotImplemented

    def __lt__(self, other: Labels) -> bool:
        return self._items < other._items

    def __repr__(self) -> str:
        return f"Labels({self._dict!r})"

    def items_tuple(self) -> tuple[tuple[str, str], ...]:
        """The (name, value) pairs sorted by name."""
        return self._items


def label_matches(
    labels: Mapping[str, str], label: str, op: str, value: str, regex: re.Pattern[str] | None
) -> bool:
    """Prometheus matcher semantics (``=``, ``!=``, ``=~``, ``!~``; regexes anchored; missing label = "")."""
    actual = labels.get(label, "")
    if op == "=":
        return actual == value
    if op == "!=":
        return actual != value
    assert regex is not None
    found = regex.fullmatch(actual) is not None
    return found if op == "=~" else not found
