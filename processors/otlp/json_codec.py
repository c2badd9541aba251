"""Decode OTLP request bodies (protobuf or OTLP/JSON) into messages, and encode OTLP/JSON.

Reads: request bodies handed over by the receivers. Writes: nothing. No config keys.

OTLP/JSON is the proto3 JSON mapping with one exception: trace and span ids are hex strings
(case-insensitive), not base64. ``google.protobuf.json_format`` does the rest — lowerCamelCase or
snake_case keys, enums as integers or names, 64-bit integers as strings or numbers, unknown fields
ignored — so the ids are rewritten from hex to base64 before it runs, and back after it when
encoding. Only the id fields the OTLP spec names are touched (spans, span links, log records,
exemplars); a bytes attribute value stays base64. An id of the wrong length is decoded as is:
rejecting the item is validation's job, not the decoder's.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message

from processors.otlp.errors import PayloadError
from processors.otlp.signals import Signal

_MAX_SHOWN_CHARS = 40


@dataclass(frozen=True)
class _Child:
    """A message field on the way to id fields; ``snake`` is the proto name json_format also accepts."""

    camel: str
    snake: str
    repeated: bool
    node: _Node


@dataclass(frozen=True)
class _Node:
    """Where id fields sit in one message type: its own ids, and the fields leading to more."""

    ids: tuple[tuple[str, str], ...] = ()
    children: tuple[_Child, ...] = ()


_TRACE_ID = ("traceId", "trace_id")
_SPAN_ID = ("spanId", "span_id")
_PARENT_SPAN_ID = ("parentSpanId", "parent_span_id")


def _nested(*fields: tuple[str, str], leaf: _Node) -> _Node:
    """A chain of repeated fields ending in ``leaf``, e.g. resourceSpans → scopeSpans → spans."""
    node = leaf
    for camel, snake in reversed(fields):
        node = _Node(children=(_Child(camel, snake, True, node),))
    return node


_LINK = _Node(ids=(_TRACE_ID, _SPAN_ID))
_SPAN = _Node(ids=(_TRACE_ID, _SPAN_ID, _PARENT_SPAN_ID), children=(_Child("links", "links", True, _LINK),))
_LOG_RECORD = _Node(ids=(_TRACE_ID, _SPAN_ID))
_EXEMPLAR = _Node(ids=(_TRACE_ID, _SPAN_ID))
_POINT = _Node(children=(_Child("exemplars", "exemplars", True, _EXEMPLAR),))
_METRIC_DATA = _Node(children=(_Child("dataPoints", "data_points", True, _POINT),))
_METRIC = _Node(
    children=tuple(
        _Child(camel, snake, False, _METRIC_DATA)
        for camel, snake in (
            ("gauge", "gauge"),
            ("sum", "sum"),
            ("histogram", "histogram"),
            ("exponentialHistogram", "exponential_histogram"),
        )
    )
)

_ID_TREES = {
    Signal.TRACES: _nested(
        ("resourceSpans", "resource_spans"), ("scopeSpans", "scope_spans"), ("spans", "spans"), leaf=_SPAN
    ),
    Signal.METRICS: _nested(
        ("resourceMetrics", "resource_metrics"),
        ("scopeMetrics", "scope_metrics"),
        ("metrics", "metrics"),
        leaf=_METRIC,
    ),
    Signal.LOGS: _nested(
        ("resourceLogs", "resource_logs"),
        ("scopeLogs", "scope_logs"),
        ("logRecords", "log_records"),
        leaf=_LOG_RECORD,
    ),
}


def decode_protobuf(signal: Signal, body: bytes) -> Message:
    """Parse a binary protobuf ``Export*ServiceRequest``; a malformed body raises ``PayloadError``."""
    request = signal.request_type()
    try:
        request.ParseFromString(body)
    except DecodeError as exc:
        raise PayloadError(f"cannot decode {signal.request_type.__name__} protobuf: {exc}") from exc
    return request


def decode_json(signal: Signal, body: bytes) -> Message:
    """Parse an OTLP/JSON ``Export*ServiceRequest``; anything malformed raises ``PayloadError``."""
    name = signal.request_type.__name__
    try:
        text = str(body, "utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadError(f"cannot decode {name} JSON: invalid UTF-8 at byte {exc.start}") from exc
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PayloadError(f"cannot decode {name} JSON: {exc}") from exc
    except RecursionError as exc:
        raise PayloadError(f"cannot decode {name} JSON: nested too deeply") from exc
    if not isinstance(document, dict):
        raise PayloadError(
            f"cannot decode {name} JSON: top level must be an object, got {_json_type(document)}"
        )
    _hex_to_base64(document, _ID_TREES[signal], "")
    request = signal.request_type()
    try:
        json_format.ParseDict(document, request, ignore_unknown_fields=True)
    except (json_format.ParseError, OverflowError) as exc:
        # OverflowError: an enum given as 1e400 (Python's json reads it as infinity) escapes json_format.
        raise PayloadError(f"cannot decode {name} JSON: {exc}") from exc
    return request


def encode_json(message: Message) -> bytes:
    """OTLP/JSON for a request or response: hex ids, lowerCamelCase keys, integer enums, UTF-8."""
    document = json_format.MessageToDict(message, use_integers_for_enums=True)
    for signal, tree in _ID_TREES.items():
        if isinstance(message, signal.request_type):
            _base64_to_hex(document, tree)
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _hex_to_base64(obj: dict, node: _Node, path: str) -> None:
    for keys in node.ids:
        for key in keys:
            value = obj.get(key)
            if value is None:
                continue
            if not isinstance(value, str):
                raise PayloadError(f"{path}{key}: expected a hex string, got {_json_type(value)}")
            try:
                raw = bytes.fromhex(value)
            except ValueError:
                raw = None
            # fromhex skips whitespace between bytes; OTLP/JSON does not allow it.
            if raw is None or 2 * len(raw) != len(value):
                raise PayloadError(f"{path}{key}: invalid hex {_shown(value)}")
            obj[key] = base64.b64encode(raw).decode("ascii")
    for child in node.children:
        keys = (child.camel,) if child.camel == child.snake else (child.camel, child.snake)
        for key in keys:
            value = obj.get(key)
            # A wrongly typed container is left for json_format, which reports it.
            if child.repeated and isinstance(value, list):
                for index, item in enumerate(value):
                    if isinstance(item, dict):
                        _hex_to_base64(item, child.node, f"{path}{key}[{index}].")
            elif not child.repeated and isinstance(value, dict):
                _hex_to_base64(value, child.node, f"{path}{key}.")


def _base64_to_hex(obj: dict, node: _Node) -> None:
    for camel, _ in node.ids:
        value = obj.get(camel)
        if value is not None:
            obj[camel] = binascii.hexlify(base64.b64decode(value)).decode("ascii")
    for child in node.children:
        value = obj.get(child.camel)
        if value is None:
            continue
        for item in value if child.repeated else (value,):
            _base64_to_hex(item, child.node)


def _shown(value: str) -> str:
    if len(value) > _MAX_SHOWN_CHARS:
        value = value[:_MAX_SHOWN_CHARS] + ".."
    return json.dumps(value)


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if value is None:
        return "null"
    return "object"
