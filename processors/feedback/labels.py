"""Labels as they come in: validation of one item, and the batch rules shared by every way in.

Reads: nothing. Writes: nothing (pure). The gRPC service, the JSON API, file import and their tests
all go through ``validate_label``/``validate_batch``, so a label is accepted or refused the same way
whichever door it used. (OTLP ``ml.feedback`` log records are checked by the materialized view in
``sql/0001_labels.sql`` with the same rules: request id and model required, exactly one of class
and value.)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

MAX_ID_LENGTH = 1024  # request ids and model names longer than this are refused, not truncated
NS_PER_SECOND = 1_000_000_000
MAX_EVENT_TIME_NS = 2**63 - 1  # 2262-04-11: Int64 nanoseconds, the range ClickHouse converts without overflow


@dataclass(frozen=True)
class Label:
    """The true outcome of one prediction: exactly one of ``label_class`` and ``label_value``.

    ``event_time_unix_nano`` is when the outcome became known (0: when received, filled in by
    ``validate_label`` from ``now``)."""

    request_id: str
    model: str
    label_class: str | None
    label_value: float | None
    event_time_unix_nano: int


@dataclass(frozen=True)
class ItemError:
    index: int  # position in the submitted batch
    message: str  # "<field>: <what is wrong>"


@dataclass(frozen=True)
class Batch:
    """A submitted batch after validation: the labels to store (one per key, the last one submitted)
    and the refused items. ``accepted`` counts every valid item, duplicates included."""

    labels: tuple[Label, ...]
    errors: tuple[ItemError, ...]
    accepted: int

    @property
    def rejected(self) -> int:
        return len(self.errors)


class LabelError(ValueError):
    """One item is not a valid label; the message names the field."""


def _identifier(name: str, value: Any) -> str:
    if value is None or value == "":
        raise LabelError(f"{name}: required")
    if not isinstance(value, str):
        raise LabelError(f"{name}: must be a string, got {type(value).__name__}")
    if not value.strip():
        raise LabelError(f"{name}: must not be blank")
    if len(value) > MAX_ID_LENGTH:
        raise LabelError(f"{name}: longer than {MAX_ID_LENGTH} characters")
    return value


def parse_event_time(value: Any, now_unix_nano: int) -> int:
    """Nanoseconds since the epoch from an integer (ns), a float (seconds), an RFC 3339 / ISO 8601
    text (naive means UTC) or a ``datetime``; None, 0 or "" mean ``now_unix_nano``."""
    nanos = _event_time_ns(value, now_unix_nano)
    if nanos > MAX_EVENT_TIME_NS:
        # Refused here, as bad input: stored, it would fail the insert and look like a storage outage.
        raise LabelError(f"event_time: after 2262-04-11, got {value!r}")
    return nanos


def _event_time_ns(value: Any, now_unix_nano: int) -> int:
    if value is None or value == "" or value == 0:
        return now_unix_nano
    if isinstance(value, bool):
        raise LabelError("event_time: must be a time, got a boolean")
    if isinstance(value, int):
        if value < 0:
            raise LabelError(f"event_time: must not be before 1970, got {value}")
        return value
    if isinstance(value, float):
        if not math.isfinite(value) or value < 0:
            raise LabelError(f"event_time: must be seconds since 1970, got {value}")
        return round(value * 1e6) * 1000  # a float of seconds carries microseconds, not nanoseconds
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise LabelError(
                f"event_time: not an RFC 3339 time: {value!r} (e.g. 2026-01-31T12:00:00Z)"
            ) from None
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
        delta = moment - datetime(1970, 1, 1, tzinfo=timezone.utc)
        nanos = (delta.days * 86_400 + delta.seconds) * NS_PER_SECOND + delta.microseconds * 1000
        if nanos < 0:
            raise LabelError(f"event_time: must not be before 1970, got {value}")
        return nanos
    raise LabelError(f"event_time: must be a time, got {type(value).__name__}")


def validate_label(item: Mapping[str, Any], now_unix_nano: int) -> Label:
    """A ``Label`` from a mapping with ``request_id``, ``model``, ``label_class`` or ``label_value``
    and ``event_time_unix_nano`` or ``event_time`` (see ``parse_event_time``); ``LabelError`` otherwise."""
    request_id = _identifier("request_id", item.get("request_id"))
    model = _identifier("model", item.get("model"))
    label_class = item.get("label_class")
    label_value = item.get("label_value")
    if label_class == "":
        label_class = None
    if label_class is None and label_value is None:
        raise LabelError("label: one of label_class and label_value is required")
    if label_class is not None and label_value is not None:
        raise LabelError("label: give label_class or label_value, not both")
    if label_class is not None and not isinstance(label_class, str):
        raise LabelError(f"label_class: must be a string, got {type(label_class).__name__}")
    if label_class is not None and len(label_class) > MAX_ID_LENGTH:
        raise LabelError(f"label_class: longer than {MAX_ID_LENGTH} characters")
    if label_value is not None:
        if isinstance(label_value, bool) or not isinstance(label_value, (int, float)):
            raise LabelError(f"label_value: must be a number, got {type(label_value).__name__}")
        label_value = float(label_value)
        if not math.isfinite(label_value):
            raise LabelError(f"label_value: must be finite, got {label_value}")
    event_time = item.get("event_time_unix_nano")
    if event_time is None:
        event_time = item.get("event_time")
    return Label(request_id, model, label_class, label_value, parse_event_time(event_time, now_unix_nano))


def validate_batch(items: Iterable[Mapping[str, Any]], now_unix_nano: int) -> Batch:
    """Validate every item; of several valid items for one (model, request id) the last one is kept,
    as if they had been sent one after the other (the later one is the correction)."""
    latest: dict[tuple[str, str], Label] = {}
    errors = []
    accepted = 0
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            errors.append(ItemError(index, f"label: must be an object, got {type(item).__name__}"))
            continue
        try:
            label = validate_label(item, now_unix_nano)
        except LabelError as error:
            errors.append(ItemError(index, str(error)))
            continue
        accepted += 1
        key = (label.model, label.request_id)
        latest.pop(key, None)  # re-insert so the kept labels stay in submission order
        latest[key] = label
    return Batch(tuple(latest.values()), tuple(errors), accepted)
