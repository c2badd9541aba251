"""Request counts of long windows without re-reading them every cycle: whole minutes are counted once.

Reads: nothing (pure). Writes: nothing. The gateway's ``RequestCache`` keeps, per minute, the request
totals of every model and version once the minute is *final*; each cycle then reads only what is not:

- ``F`` = the end of the window minus ``slack`` (the scan slack of ``queries.requests_query``), rounded down
  to a minute. A minute ending at or before ``F`` is final: every span of its requests starts before the
  window end, so (with ``alerting.evaluation_delay`` covering late arrival) nothing can change it.
- A window ``[S, E]`` is its *head* ``[S, ceil_minute(S))``, its cached minutes ``[ceil_minute(S), F)``
  and its *tail* ``[F, E]`` (the last ``slack`` plus up to a minute). Head and tail are read every
  cycle, together with the final minutes not cached yet (``fill``), in one query whose rows are split
  into segments between ``boundaries``.

The counts are additive (requests, failures by group and class, timeouts, confidences), so a window's
totals are the sum of its parts: exactly what one query over the whole window returns.
"""

from __future__ import annotations

import bisect
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

MINUTE = 60_000_000_000
ADDITIVE = (
    "requests",
    "failures",
    "timeouts",
    "client_errors",
    "server_errors",
    "confidence_count",
    "confidence_sum",
    "confidence_below",
)
Key = tuple[str, str]  # (model, version)
Totals = dict[Key, dict[str, Any]]


def _floor(ns: int) -> int:
    return ns // MINUTE * MINUTE


def _ceil(ns: int) -> int:
    return -(-ns // MINUTE) * MINUTE


@dataclass(frozen=True)
class RequestPlan:
    """What one requests query reads: request starts in ``ranges`` (half-open ``[lo, hi)``), split into
    segments ``[boundaries[i], boundaries[i + 1])``; ``fill``: the minutes to cache afterwards."""

    end: int
    starts: tuple[int, ...]  # of the windows, latest first
    final_before: int  # F: minutes ending at or before it are final (cacheable)
    boundaries: tuple[int, ...]
    ranges: tuple[tuple[int, int], ...]
    fill: tuple[int, ...]

    def segment(self, index: int) -> tuple[int, int]:
        return self.boundaries[index], self.boundaries[index + 1]

    def head_end(self, start: int) -> int:
        return _head_end(start, self.final_before)


def _head_end(start: int, final_before: int) -> int:
    """Where the window starting at ``start`` stops being read raw and its cached minutes begin."""
    return min(_ceil(start), max(final_before, start))


def plan_requests(end: int, starts: Iterable[int], cached: Collection[int] | None, slack: int) -> RequestPlan:
    """The plan for windows ``[start, end]``; ``cached`` holds the minute starts already counted (None: no
    caching, every window read whole)."""
    ordered = tuple(sorted(set(starts), reverse=True))
    if cached is None:
        boundaries = sorted({*ordered, end + 1})
        return RequestPlan(end, ordered, ordered[-1], tuple(boundaries), ((ordered[-1], end + 1),), ())
    final_before = _floor(end - slack)
    points: set[int] = {end + 1, final_before}
    ranges: list[tuple[int, int]] = []
    fill: list[int] = []
    for start in ordered:
        head_end = _head_end(start, final_before)
        points.update((start, head_end))
        if start < head_end:
            ranges.append((start, head_end))
        ranges.append((max(start, final_before), end + 1))
        for minute in range(head_end, final_before, MINUTE):
            if minute not in cached and minute not in fill:
                fill.append(minute)
    for minute in fill:
        points.update((minute, minute + MINUTE))
        ranges.append((minute, minute + MINUTE))
    return RequestPlan(
        end, ordered, final_before, tuple(sorted(points)), _merged(ranges), tuple(sorted(fill))
    )


def _merged(ranges: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return tuple(merged)


def _classes(value: Any) -> Iterable[tuple[str, int]]:
    """sumMap's ``(keys, values)`` (a tuple, or a dict through some clients) as pairs."""
    if isinstance(value, Mapping):
        return value.items()
    keys, counts = value
    return zip(keys, counts, strict=True)


def add(totals: Totals, key: Key, row: Mapping[str, Any]) -> None:
    """Add the counts of ``row`` (a query row or another total) to ``totals[key]``."""
    total = totals.setdefault(
        key, {"model": key[0], "version": key[1], "classes": {}, **dict.fromkeys(ADDITIVE, 0)}
    )
    for name in ADDITIVE:
        total[name] += row[name] or 0
    for error_class, count in _classes(row["classes"]):
        total["classes"][error_class] = total["classes"].get(error_class, 0) + int(count)


def segment_totals(rows: Iterable[Mapping[str, Any]]) -> dict[int, Totals]:
    """Rows of the query (one per model, version and segment) by segment."""
    segments: dict[int, Totals] = {}
    for row in rows:
        add(segments.setdefault(int(row["segment"]), {}), (str(row["model"]), str(row["version"] or "")), row)
    return segments


def _sum(parts: Iterable[Totals]) -> Totals:
    result: Totals = {}
    for part in parts:
        for key, total in part.items():
            add(result, key, total)
    return result


def segments_within(plan: RequestPlan, lo: int, hi: int) -> list[int]:
    """Indexes of the segments inside ``[lo, hi)``."""
    first = bisect.bisect_left(plan.boundaries, lo)
    return [index for index in range(first, len(plan.boundaries) - 1) if plan.boundaries[index + 1] <= hi]


def minute_totals(plan: RequestPlan, segments: Mapping[int, Totals]) -> dict[int, Totals]:
    """The totals of each minute of ``plan.fill``, to cache."""
    return {
        minute: _sum(segments.get(index, {}) for index in segments_within(plan, minute, minute + MINUTE))
        for minute in plan.fill
    }


def window_totals(
    plan: RequestPlan, segments: Mapping[int, Totals], minutes: Mapping[int, Totals]
) -> dict[int, list[dict[str, Any]]]:
    """Window start -> the totals per model and version over ``[start, end]`` (head + minutes + tail)."""
    windows: dict[int, list[dict[str, Any]]] = {}
    for start in plan.starts:
        head_end = plan.head_end(start)
        parts = [segments.get(index, {}) for index in segments_within(plan, start, head_end)]
        parts += [minutes.get(minute, {}) for minute in range(head_end, plan.final_before, MINUTE)]
        tail_start = max(start, plan.final_before)
        parts += [segments.get(index, {}) for index in segments_within(plan, tail_start, plan.end + 1)]
        windows[start] = list(_sum(parts).values())
    return windows
