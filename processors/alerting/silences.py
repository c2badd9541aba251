"""Silences: label matchers that mute notifications of matching alerts for a time window.

Reads: silences (from storage, via ``Silence.from_dict``), an alert's labels and ``now``. Writes:
nothing; it returns the ids of the silences muting an alert, new or expired ``Silence`` values and
plain-JSON dicts for storage. Pure: no clock, logging or I/O. The CLI's ``--match`` takes the syntax
of ``parse_matchers``: ``model=fraud,severity=~P2|P3``.

Alertmanager semantics: a silence mutes an alert when every matcher matches its labels (a missing
label matches as ``""``); regexes are fully anchored (``=~P2`` does not match ``P20``); a silence is
active from ``starts_at`` (inclusive) to ``ends_at`` (exclusive); expiring one sets ``ends_at`` to now.
A silence needs a matcher that does not match the empty string, so it cannot mute every alert.
Times are epoch seconds (floats) or timezone-aware datetimes, stored as floats.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from processors.alerting.labels import label_matches
from processors.alerting.state import Duration, Timestamp, to_seconds

OPERATORS = ("=~", "!~", "!=", "=")  # longest first, so "=~" is not read as "=" then "~..."
_LABEL = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


@dataclass(frozen=True)
class Matcher:
    """``label op value``; ``op`` is ``=``, ``!=``, ``=~`` or ``!~`` (regexes fully anchored)."""

    label: str
    op: str
    value: str
    regex: re.Pattern[str] | None = field(default=None, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not _LABEL.fullmatch(self.label):
            raise ValueError(f"label: invalid label name {self.label!r}")
        if self.op not in OPERATORS:
            raise ValueError(f"op: must be one of =, !=, =~, !~, got {self.op!r}")
        if self.op in ("=~", "!~"):
            try:
                object.__setattr__(self, "regex", re.compile(self.value))
            except re.error as exc:
                raise ValueError(f"value: invalid regex {self.value!r}: {exc}") from None

    def matches(self, labels: Mapping[str, str]) -> bool:
        return label_matches(labels, self.label, self.op, self.value, self.regex)

    def __str__(self) -> str:
        return f"{self.label}{self.op}{self.value}"

    def to_dict(self) -> dict[str, str]:
        return {"label": self.label, "op": self.op, "value": self.value}


@dataclass(frozen=True)
class Silence:
    """Mutes alerts matching every matcher from ``starts_at`` (inclusive) to ``ends_at`` (exclusive)."""

    id: str
    matchers: tuple[Matcher, ...]
    starts_at: float
    ends_at: float
    created_by: str
    comment: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "matchers", tuple(self.matchers))
        object.__setattr__(self, "starts_at", to_seconds(self.starts_at))
        object.__setattr__(self, "ends_at", to_seconds(self.ends_at))
        if not self.id:
            raise ValueError("id: must not be empty")
        if not self.matchers:
            raise ValueError("matchers: a silence needs at least one matcher")
        if all(matcher.matches({}) for matcher in self.matchers):
            shown = ",".join(str(matcher) for matcher in self.matchers)
            raise ValueError(f"matchers: {shown} all match an empty label set, so would silence every alert")
        if not (math.isfinite(self.starts_at) and math.isfinite(self.ends_at)):
            raise ValueError("starts_at, ends_at: must be finite")
        if self.ends_at < self.starts_at:
            raise ValueError(f"ends_at: {self.ends_at} is before starts_at {self.starts_at}")
        if not self.created_by:
            raise ValueError("created_by: must not be empty")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "matchers": [matcher.to_dict() for matcher in self.matchers],
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
            "created_by": self.created_by,
            "comment": self.comment,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Silence:
        missing = [key for key in ("id", "matchers", "starts_at", "ends_at", "created_by") if key not in data]
        if missing:
            raise ValueError(f"silence: missing keys {', '.join(missing)}")
        try:
            matchers = tuple(Matcher(m["label"], m["op"], m["value"]) for m in data["matchers"])
        except (KeyError, TypeError) as exc:
            raise ValueError(
                f"silence {data['id']}: matchers: each needs label, op and value ({exc})"
            ) from None
        return cls(
            id=str(data["id"]),
            matchers=matchers,
            starts_at=float(data["starts_at"]),
            ends_at=float(data["ends_at"]),
            created_by=str(data["created_by"]),
            comment=str(data.get("comment", "")),
        )


def parse_matchers(text: str) -> tuple[Matcher, ...]:
    """Matchers from the CLI syntax ``label<op>value[,label<op>value...]``.

    A value runs to the next comma; quote it (``"a,b"``, with ``\\"`` and ``\\\\`` escapes) to include
    commas or surrounding spaces. Errors name the matcher (1-based) and the bad part.
    """
    matchers: list[Matcher] = []
    position, number = 0, 1
    while True:
        matcher, position = _parse_one(text, position, number)
        matchers.append(matcher)
        if position >= len(text):
            return tuple(matchers)
        position += 1  # the comma
        number += 1


def _parse_one(text: str, start: int, number: int) -> tuple[Matcher, int]:
    """One matcher starting at ``start``; returns it and the index of the comma after it (or the end)."""
    end = _item_end(text, start)
    item = text[start:end].strip()
    where = f"matcher {number} {item!r}"
    if not item:
        raise ValueError(f"matcher {number}: empty (expected label<op>value, e.g. model=fraud)")
    label_match = re.match(r"\s*([^=!~\s,\"]*)\s*", text[start:end])
    assert label_match is not None
    label = label_match.group(1)
    rest = text[start + label_match.end() : end]
    if not label:
        raise ValueError(f"{where}: missing label name before the operator")
    if not _LABEL.fullmatch(label):
        raise ValueError(f"{where}: invalid label name {label!r}")
    op = next((candidate for candidate in OPERATORS if rest.startswith(candidate)), None)
    if op is None:
        raise ValueError(f"{where}: expected one of =, !=, =~, !~ after label {label!r}")
    raw = rest[len(op) :].strip()
    value = _unquote(raw, where) if raw.startswith('"') else raw
    try:
        return Matcher(label, op, value), end
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def _item_end(text: str, start: int) -> int:
    """The index of the first comma at or after ``start`` outside double quotes, or ``len(text)``."""
    quoted, escaped = False, False
    for index in range(start, len(text)):
        char = text[index]
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            return index
    return len(text)


def _unquote(raw: str, where: str) -> str:
    match = re.fullmatch(r'"((?:[^"\\]|\\.)*)"', raw)
    if match is None:
        raise ValueError(f"{where}: unterminated or malformed quoted value {raw}")
    return re.sub(r"\\(.)", r"\1", match.group(1))


def is_active(silence: Silence, now: Timestamp) -> bool:
    """Whether ``silence`` mutes alerts at ``now``: ``starts_at <= now < ends_at``."""
    ts = to_seconds(now)
    return silence.starts_at <= ts < silence.ends_at


def expired(silence: Silence, now: Timestamp) -> bool:
    """Whether ``silence`` has ended by ``now`` (``ends_at <= now``); a pending one is not expired."""
    return silence.ends_at <= to_seconds(now)


def silenced(labels: Mapping[str, str], silences: Iterable[Silence], now: Timestamp) -> tuple[str, ...]:
    """The ids, in input order, of the silences active at ``now`` whose matchers all match ``labels``.

    Pass the alert's labels plus any attribute a silence may match on (``severity``, ``rule``).
    """
    ts = to_seconds(now)
    return tuple(
        silence.id
        for silence in silences
        if is_active(silence, ts) and all(matcher.matches(labels) for matcher in silence.matchers)
    )


def expire(silence: Silence, now: Timestamp) -> Silence:
    """``silence`` ended at ``now``; a pending one also starts at ``now`` (so it never mutes), an
    already-expired one is returned unchanged (expiring is idempotent)."""
    ts = to_seconds(now)
    if expired(silence, ts):
        return silence
    return replace(silence, starts_at=min(silence.starts_at, ts), ends_at=ts)


def new_silence(
    matchers: Sequence[Matcher] | str,
    now: Timestamp,
    duration: Duration,
    created_by: str,
    comment: str,
    id: str,
) -> Silence:
    """A silence starting at ``now`` for ``duration`` (> 0); ``matchers`` may be ``--match`` text."""
    seconds = duration.total_seconds() if isinstance(duration, timedelta) else float(duration)
    if not seconds > 0 or math.isinf(seconds):
        raise ValueError(f"duration: must be a positive finite duration, got {seconds!r}")
    parsed = parse_matchers(matchers) if isinstance(matchers, str) else tuple(matchers)
    ts = to_seconds(now)
    return Silence(id, parsed, ts, ts + seconds, created_by, comment)
