"""Does a trigger's condition hold now, and since when (its episode)?

Reads: daily values of one model version (from stored series: ``ml_performance`` 1 d windows,
``ml_drift``, the request error rate per day), the version's first sighting, label counts and ``now``.
Writes: a ``Firing`` or None. Config: none (thresholds come from the trigger, the baseline from the
caller).

"For N consecutive days" is read off the stored daily series, so it counts across gateway restarts:
the run is the unbroken sequence of UTC days, ending at the latest day with data (today or yesterday),
on which the condition held. Today counts only once it has ``min_samples``; before that it neither
counts nor breaks the run. The episode of a run is its first day, so the same run fires once however
many evaluations see it, and a new run after a good day is a new episode.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from processors.performance.triggers.model import Firing, Trigger

DAY_NS = 86_400 * 10**9


@dataclass(frozen=True)
class DailyValue:
    """A series' value on one UTC day (``day_unix_nano`` = its midnight); ``feature`` for per-feature
    drift signals."""

    day_unix_nano: int
    value: float
    samples: int = 0
    feature: str = ""


def _passes(trigger: Trigger, value: float, baseline: float | None) -> bool:
    if math.isnan(value):
        return False
    if trigger.below_baseline_by is not None:
        return baseline is not None and value < baseline * (1.0 - trigger.below_baseline_by)
    if trigger.below is not None:
        return value < trigger.below
    return trigger.above is not None and value > trigger.above


def _day_verdict(
    trigger: Trigger, entries: Sequence[DailyValue], baseline: float | None, min_samples: int
) -> tuple[bool | None, dict]:
    """(holds, evidence) of one day; holds None when the day has too few samples to say."""
    if trigger.min_features:
        hits = sorted(
            {
                entry.feature
                for entry in entries
                if (not trigger.features or entry.feature in trigger.features)
                and _passes(trigger, entry.value, baseline)
            }
        )
        return len(hits) >= trigger.min_features, {"features": hits, "count": len(hits)}
    entry = entries[-1]
    evidence = {"value": entry.value, "samples": entry.samples}
    if entry.samples < min_samples:
        return None, evidence
    return _passes(trigger, entry.value, baseline), evidence


def series_firing(
    trigger: Trigger,
    model: str,
    version: str,
    values: Sequence[DailyValue],
    now_unix_nano: int,
    baseline: float | None = None,
    min_samples: int = 0,
) -> Firing | None:
    """A performance or drift trigger over the daily values of one model version."""
    by_day: dict[int, list[DailyValue]] = {}
    for entry in values:
        by_day.setdefault(entry.day_unix_nano - entry.day_unix_nano % DAY_NS, []).append(entry)
    today = now_unix_nano - now_unix_nano % DAY_NS
    days = sorted((day for day in by_day if day <= today), reverse=True)
    run: list[tuple[int, dict]] = []
    expected: int | None = None
    for day in days:
        holds, evidence = _day_verdict(trigger, by_day[day], baseline, min_samples)
        if holds is None and day == today and not run:
            continue  # today is still filling: it neither counts nor breaks the run
        if expected is None:
            if day < today - DAY_NS:
                return None  # stale: nothing from today or yesterday
        elif day != expected:
            break
        if not holds:
            break
        run.append((day, evidence))
        expected = day - DAY_NS
    if len(run) < trigger.days:
        return None
    run.reverse()
    evidence_days = [{"day": _iso(day), **evidence} for day, evidence in run]
    evidence = {"condition": trigger.condition_text(), "days": evidence_days, "consecutive_days": len(run)}
    if trigger.below_baseline_by is not None:
        evidence["baseline"] = baseline
    return Firing(trigger, model, version, run[0][0], evidence)


def time_firing(
    trigger: Trigger, model: str, version: str, first_seen_unix_nano: int, now_unix_nano: int
) -> Firing | None:
    """The latest period boundary (first sighting + k periods, k ≥ 1) that has passed, if any."""
    due = _latest_due(trigger, first_seen_unix_nano, now_unix_nano)
    if due is None:
        return None
    evidence = {
        "condition": trigger.condition_text(),
        "first_seen": _iso(first_seen_unix_nano),
        "due": _iso(due),
    }
    return Firing(trigger, model, version, due, evidence)


def _latest_due(trigger: Trigger, first_seen: int, now: int) -> int | None:
    if trigger.every_days:
        period = trigger.every_days * DAY_NS
        periods = (now - first_seen) // period
        return first_seen + periods * period if periods >= 1 else None
    months = {"monthly": 1, "quarterly": 3}[trigger.every]
    start = datetime.fromtimestamp(first_seen // 10**9, tz=timezone.utc)
    moment = datetime.fromtimestamp(now // 10**9, tz=timezone.utc)
    count = ((moment.year - start.year) * 12 + moment.month - start.month) // months
    while count >= 1:
        due = _add_months(first_seen, count * months)
        if due <= now:
            return due
        count -= 1
    return None


def _add_months(unix_nano: int, months: int) -> int:
    """The same day and time ``months`` later (the month's last day when it is shorter)."""
    moment = datetime.fromtimestamp(unix_nano // 10**9, tz=timezone.utc)
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    shifted = moment.replace(year=year, month=month, day=day)
    return int(shifted.timestamp()) * 10**9 + unix_nano % 10**9


def data_firing(
    trigger: Trigger, model: str, version: str, first_seen_unix_nano: int, new_labels: int
) -> Firing | None:
    """Fires once per version when ``new_labels`` labels arrived since its first sighting."""
    if new_labels < trigger.new_labels:
        return None
    evidence = {
        "condition": trigger.condition_text(),
        "new_labels": new_labels,
        "since": _iso(first_seen_unix_nano),
    }
    return Firing(trigger, model, version, first_seen_unix_nano, evidence)


def _iso(unix_nano: int) -> str:
    return datetime.fromtimestamp(unix_nano / 1e9, tz=timezone.utc).isoformat().replace("+00:00", "Z")
