"""Item-level validation of decoded OTLP requests, and splitting requests by storage partition.

Reads: an ``Export*ServiceRequest`` and the current time, passed in. Writes: the same request, with
invalid items removed in place. No config keys (``max_days`` is the caller's setting).

Rules (one reason is counted per rejected item, the first that applies):

- spans: ``trace_id`` 16 bytes and not all zero, ``span_id`` 8 bytes and not all zero,
  ``parent_span_id`` empty or 8 bytes, end not before start, every link with a 16-byte ``trace_id``
  and an 8-byte ``span_id`` (a bad link rejects its span);
- log records: ``trace_id`` empty or 16 bytes, ``span_id`` empty or 8 bytes;
- metric data points: a gauge/sum point must have a value; a histogram point has either no bucket
  counts or one more than explicit bounds. A metric with no data field has no points to count and is
  removed.

Storage partitions by UTC day of the item's timestamp: span start, log ``time_unix_nano`` (else
``observed_time_unix_nano``, else now), data point ``time_unix_nano``. Validation reports the days of
the accepted items; ``split_by_partition`` keeps one insert within ``max_days`` of them.

This runs on the hot path for every request, so the loops are written for speed: each container is
first checked by a tight loop that only looks at valid items, and only a container holding a bad
item is scanned again, by the slower loop that names reasons and remembers indices.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from google.protobuf.message import Message

from processors.otlp.signals import Signal

NANOS_PER_DAY = 86_400_000_000_000

_ZERO_TRACE_ID = bytes(16)
_ZERO_SPAN_ID = bytes(8)
# Deleting one item moves the tail; past this many, rebuilding the container is cheaper.
_MAX_SINGLE_DELETES = 64

_TRACE_ID_LENGTH = "trace_id must be 16 bytes"
_TRACE_ID_ZERO = "trace_id is all zero"
_SPAN_ID_LENGTH = "span_id must be 8 bytes"
_SPAN_ID_ZERO = "span_id is all zero"
_PARENT_SPAN_ID_LENGTH = "parent_span_id must be empty or 8 bytes"
_END_BEFORE_START = "end before start"
_LINK_TRACE_ID_LENGTH = "link trace_id must be 16 bytes"
_LINK_SPAN_ID_LENGTH = "link span_id must be 8 bytes"
_LOG_TRACE_ID_LENGTH = "trace_id must be empty or 16 bytes"
_LOG_SPAN_ID_LENGTH = "span_id must be empty or 8 bytes"
_POINT_WITHOUT_VALUE = "data point has no value"
_BUCKET_COUNTS_LENGTH = "bucket_counts must be empty or len(explicit_bounds) + 1"

_ITEM_NOUNS = {
    Signal.TRACES: ("span", "spans"),
    Signal.METRICS: ("data point", "data points"),
    Signal.LOGS: ("log record", "log records"),
}


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """What validation kept and removed.

    ``message`` is '' when nothing was rejected, else a summary such as
    ``2 spans rejected: trace_id must be 16 bytes (1), end before start (1)``. ``modified`` says the
    request was changed (items or empty metrics removed) and must be re-serialized before it is stored.
    ``partition_days`` holds the UTC day numbers (unix nanoseconds // ``NANOS_PER_DAY``) of accepted items.
    """

    accepted: int
    rejected: int
    message: str
    modified: bool
    partition_days: frozenset[int]


def validate(signal: Signal, request: Message, now_unix_nano: int) -> ValidationResult:
    """Remove the invalid items of ``request`` in place and report what was kept.

    ``now_unix_nano`` dates log records that carry neither a time nor an observed time.
    """
    reasons: dict[str, int] = {}
    days: set[int] = set()
    if signal is Signal.TRACES:
        total, modified = _validate_traces(request, reasons, days)
    elif signal is Signal.LOGS:
        total, modified = _validate_logs(request, reasons, days, now_unix_nano)
    else:
        total, modified = _validate_metrics(request, reasons, days)
    rejected = sum(reasons.values())
    message = ""
    if rejected:
        singular, plural = _ITEM_NOUNS[signal]
        details = ", ".join(f"{reason} ({count})" for reason, count in reasons.items())
        message = f"{rejected} {singular if rejected == 1 else plural} rejected: {details}"
    return ValidationResult(
        accepted=total - rejected,
        rejected=rejected,
        message=message,
        modified=modified,
        partition_days=frozenset(days),
    )


def _validate_traces(request: Any, reasons: dict[str, int], days: set[int]) -> tuple[int, bool]:
    total = 0
    modified = False
    add_day = days.add
    zero_trace_id = _ZERO_TRACE_ID
    zero_span_id = _ZERO_SPAN_ID
    day = NANOS_PER_DAY
    for resource_spans in request.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            spans = scope_spans.spans
            total += len(spans)
            for span in spans:
                trace_id = span.trace_id
                span_id = span.span_id
                start = span.start_time_unix_nano
                if (
                    len(trace_id) != 16
                    or len(span_id) != 8
                    or trace_id == zero_trace_id
                    or span_id == zero_span_id
                    or len(span.parent_span_id) not in (0, 8)
                    or span.end_time_unix_nano < start
                ):
                    break
                links = span.links
                if links and not _links_valid(links):
                    break
                add_day(start // day)
            else:
                continue  # all valid: the common case ends here
            _remove(spans, _rescan(spans, _span_reason, reasons, days))
            modified = True
    return total, modified


def _links_valid(links: Any) -> bool:
    return all(len(link.trace_id) == 16 and len(link.span_id) == 8 for link in links)


def _span_reason(span: Any) -> str | int:
    """The reason ``span`` is rejected, or its day when it is valid."""
    trace_id = span.trace_id
    span_id = span.span_id
    if len(trace_id) != 16:
        return _TRACE_ID_LENGTH
    if trace_id == _ZERO_TRACE_ID:
        return _TRACE_ID_ZERO
    if len(span_id) != 8:
        return _SPAN_ID_LENGTH
    if span_id == _ZERO_SPAN_ID:
        return _SPAN_ID_ZERO
    if len(span.parent_span_id) not in (0, 8):
        return _PARENT_SPAN_ID_LENGTH
    if span.end_time_unix_nano < span.start_time_unix_nano:
        return _END_BEFORE_START
    for link in span.links:
        if len(link.trace_id) != 16:
            return _LINK_TRACE_ID_LENGTH
        if len(link.span_id) != 8:
            return _LINK_SPAN_ID_LENGTH
    return span.start_time_unix_nano // NANOS_PER_DAY


def _validate_logs(
    request: Any, reasons: dict[str, int], days: set[int], now_unix_nano: int
) -> tuple[int, bool]:
    total = 0
    modified = False
    undated = False
    today = now_unix_nano // NANOS_PER_DAY
    add_day = days.add
    day = NANOS_PER_DAY
    for resource_logs in request.resource_logs:
        for scope_logs in resource_logs.scope_logs:
            records = scope_logs.log_records
            total += len(records)
            for record in records:
                if len(record.trace_id) not in (0, 16) or len(record.span_id) not in (0, 8):
                    break
                time = record.time_unix_nano or record.observed_time_unix_nano
                if time:
                    add_day(time // day)
                else:
                    undated = True
            else:
                continue
            _remove(records, _rescan(records, partial(_log_reason, today=today), reasons, days))
            modified = True
            undated = undated or any(not (r.time_unix_nano or r.observed_time_unix_nano) for r in records)
    if undated:
        # The first receiver sets the observed time of a record that has none (OTLP data model),
        # so the row is dated when it arrived rather than at 1970-01-01.
        for resource_logs in request.resource_logs:
            for scope_logs in resource_logs.scope_logs:
                for record in scope_logs.log_records:
                    if not (record.time_unix_nano or record.observed_time_unix_nano):
                        record.observed_time_unix_nano = now_unix_nano
        days.add(today)
        modified = True
    return total, modified


def _log_reason(record: Any, today: int) -> str | int:
    if len(record.trace_id) not in (0, 16):
        return _LOG_TRACE_ID_LENGTH
    if len(record.span_id) not in (0, 8):
        return _LOG_SPAN_ID_LENGTH
    time = record.time_unix_nano or record.observed_time_unix_nano
    return time // NANOS_PER_DAY if time else today


def _validate_metrics(request: Any, reasons: dict[str, int], days: set[int]) -> tuple[int, bool]:
    total = 0
    modified = False
    add_day = days.add
    day = NANOS_PER_DAY
    for resource_metrics in request.resource_metrics:
        for scope_metrics in resource_metrics.scope_metrics:
            metrics = scope_metrics.metrics
            empty_metrics = []
            for index, metric in enumerate(metrics):
                kind = metric.WhichOneof("data")
                if kind is None:
                    empty_metrics.append(index)
                    continue
                points = getattr(metric, kind).data_points
                total += len(points)
                if kind == "gauge" or kind == "sum":
                    for point in points:
                        if point.WhichOneof("value") is None:
                            break
                        add_day(point.time_unix_nano // day)
                    else:
                        continue
                    reason_of = _number_point_reason
                elif kind == "histogram":
                    for point in points:
                        buckets = len(point.bucket_counts)
                        if buckets and buckets != len(point.explicit_bounds) + 1:
                            break
                        add_day(point.time_unix_nano // day)
                    else:
                        continue
                    reason_of = _histogram_point_reason
                else:
                    for point in points:
                        add_day(point.time_unix_nano // day)
                    continue
                _remove(points, _rescan(points, reason_of, reasons, days))
                modified = True
            if empty_metrics:
                _remove(metrics, empty_metrics)
                modified = True
    return total, modified


def _number_point_reason(point: Any) -> str | int:
    if point.WhichOneof("value") is None:
        return _POINT_WITHOUT_VALUE
    return point.time_unix_nano // NANOS_PER_DAY


def _histogram_point_reason(point: Any) -> str | int:
    buckets = len(point.bucket_counts)
    if buckets and buckets != len(point.explicit_bounds) + 1:
        return _BUCKET_COUNTS_LENGTH
    return point.time_unix_nano // NANOS_PER_DAY


def _rescan(
    items: Any, reason_of: Callable[[Any], str | int], reasons: dict[str, int], days: set[int]
) -> list[int]:
    """Indices of the invalid items, counting their reasons and the days of the valid ones."""
    bad = []
    for index, item in enumerate(items):
        outcome = reason_of(item)
        if isinstance(outcome, str):
            reasons[outcome] = reasons.get(outcome, 0) + 1
            bad.append(index)
        else:
            days.add(outcome)
    return bad


def _remove(items: Any, indices: list[int]) -> None:
    """Delete ``items[i]`` for the ascending ``indices`` from a repeated message field."""
    if len(indices) <= _MAX_SINGLE_DELETES:
        for index in reversed(indices):
            del items[index]
        return
    doomed = set(indices)
    kept = [item for index, item in enumerate(items) if index not in doomed]
    del items[:]
    items.extend(kept)


def split_by_partition(
    signal: Signal, request: Message, max_days: int, *, now_unix_nano: int
) -> list[Message]:
    """Split ``request`` so each part's items fall on at most ``max_days`` distinct UTC days.

    Returns ``[request]`` itself when no split is needed. Otherwise every item is copied into exactly
    one part, under copies of its resource and scope (and, for data points, of its metric); parts hold
    consecutive runs of the sorted days. ``now_unix_nano`` dates untimed log records as ``validate`` does.
    """
    if max_days < 1:
        raise ValueError(f"max_days must be at least 1, got {max_days}")
    days = sorted({_item_day(signal, entry[-1], now_unix_nano) for entry in _walk(signal, request)})
    if len(days) <= max_days:
        return [request]
    part_of_day = {day: index // max_days for index, day in enumerate(days)}
    parts = [signal.request_type() for _ in range(part_of_day[days[-1]] + 1)]
    resource_field, scope_field, item_field = _LAYOUT[signal]
    # Containers copied into parts so far, keyed by (part, index path of the original).
    copies: dict[tuple[int, ...], Any] = {}
    for (r, s, m), resource, scope, metric, item in _walk(signal, request):
        part = part_of_day[_item_day(signal, item, now_unix_nano)]
        scope_copy = copies.get((part, r, s))
        if scope_copy is None:
            resource_copy = copies.get((part, r))
            if resource_copy is None:
                resource_copy = copies[part, r] = getattr(parts[part], resource_field).add()
                resource_copy.CopyFrom(_shell(resource, scope_field))
            scope_copy = copies[part, r, s] = getattr(resource_copy, scope_field).add()
            scope_copy.CopyFrom(_shell(scope, item_field))
        if metric is None:
            getattr(scope_copy, item_field).append(item)
            continue
        data_copy = copies.get((part, r, s, m))
        if data_copy is None:
            kind = metric.WhichOneof("data")
            metric_copy = getattr(scope_copy, item_field).add()
            metric_copy.CopyFrom(_shell(metric, kind))
            data_copy = copies[part, r, s, m] = getattr(metric_copy, kind)
            data_copy.CopyFrom(_shell(getattr(metric, kind), "data_points"))
        data_copy.data_points.append(item)
    return parts


_LAYOUT = {
    Signal.TRACES: ("resource_spans", "scope_spans", "spans"),
    Signal.METRICS: ("resource_metrics", "scope_metrics", "metrics"),
    Signal.LOGS: ("resource_logs", "scope_logs", "log_records"),
}


def _walk(signal: Signal, request: Any) -> Iterator[tuple[tuple[int, int, int], Any, Any, Any, Any]]:
    """Every span, log record or data point, with its containers and their indices.

    Yields ((resource index, scope index, metric index or -1), resource container, scope container,
    metric or None, item). Metrics without data have no points and yield nothing.
    """
    resource_field, scope_field, item_field = _LAYOUT[signal]
    for r, resource in enumerate(getattr(request, resource_field)):
        for s, scope in enumerate(getattr(resource, scope_field)):
            for m, item in enumerate(getattr(scope, item_field)):
                if signal is not Signal.METRICS:
                    yield (r, s, -1), resource, scope, None, item
                    continue
                kind = item.WhichOneof("data")
                if kind is not None:
                    for point in getattr(item, kind).data_points:
                        yield (r, s, m), resource, scope, item, point


def _shell(message: Any, without: str) -> Any:
    """A copy of ``message`` without the field ``without`` (so its items are not copied needlessly)."""
    shell = type(message)()
    for field, value in message.ListFields():
        if field.name == without:
            continue
        if isinstance(value, Message):
            getattr(shell, field.name).CopyFrom(value)
        elif isinstance(value, (bool, int, float, str, bytes)):
            setattr(shell, field.name, value)
        else:
            getattr(shell, field.name).extend(value)
    return shell


def _item_day(signal: Signal, item: Any, now_unix_nano: int) -> int:
    """The UTC day number of one span, log record or data point, as validation computes it."""
    if signal is Signal.LOGS:
        time = item.time_unix_nano or item.observed_time_unix_nano or now_unix_nano
    elif signal is Signal.TRACES:
        time = item.start_time_unix_nano
    else:
        time = item.time_unix_nano
    return time // NANOS_PER_DAY
