"""PII protection: hash, drop or redact personal data in an OTLP export request before it is stored.

Reads: a validated Export{Trace,Metrics,Logs}ServiceRequest and, when the receiver has them, its
serialized bytes. Writes: the same request, rewritten in place. Config: ``ml.pii.hash_keys``,
``ml.pii.drop_keys``, ``ml.pii.redact_patterns`` and ``ml.pii.salt`` (see
``gateway.config.ml_schema.PiiConfig``); the gateway builds one ``PiiProtector`` from them.

Every KeyValue list of the request is protected — resource, scope, span, span event, span link,
log record and metric data-point attributes (all five kinds), exemplar filtered attributes,
metric metadata — including key-values nested in kvlist values. A key in ``hash_keys`` gets the
value ``hmac-sha256:<hex of HMAC-SHA256(salt, canonical text of the value)>``; a key in
``drop_keys`` is removed; every other string value, at any depth of array and kvlist values, has
its e-mail addresses and phone numbers replaced by ``[REDACTED:email]`` / ``[REDACTED:phone]``.
Log bodies (and the key-values of kvlist bodies) and span status messages are treated the same.
Span, event and metric names are not touched.

The request is rewritten before it is spooled, so the clear values reach neither the spool nor
any ClickHouse table (the Null ingest tables' views only ever see the rewritten request).

Cost: this runs on every request. ``process`` first searches the serialized request (the
receiver's bytes) with byte patterns that match wherever the text patterns could match, and for
the serialized form of each hash/drop key; only when one of them is found does it walk the
message in Python. The search is a few passes of the regex engine over the bytes, each skipping
to a literal; the walk costs about ten times as much (``bench/pii_speed.py``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import Message
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from processors.otlp.signals import Signal

__all__ = [
    "EMAIL",
    "EMAIL_REPLACEMENT",
    "HASH_PREFIX",
    "PATTERNS",
    "PHONE",
    "PHONE_REPLACEMENT",
    "PiiProtector",
    "canonical_text",
    "keyed_hash",
    "redact",
]

PATTERNS = ("email", "phone")
HASH_PREFIX = "hmac-sha256:"
EMAIL_REPLACEMENT = "[REDACTED:email]"
PHONE_REPLACEMENT = "[REDACTED:phone]"

# E-mail: the dot-atom subset of RFC 5322 that addresses use in practice — no quoted local parts,
# no IP-literal domains, ASCII only (an internationalized address is not recognised). The local
# part may not start inside a longer run of its characters (keeps the search linear).
EMAIL = re.compile(
    r"""
    (?<![A-Za-z0-9_%+\-])
    [A-Za-z0-9_%+\-]+ (?:\.[A-Za-z0-9_%+\-]+)*          # local part: dot-separated atoms
    @
    (?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+  # domain labels
    [A-Za-z]{2,63}                                      # top-level domain
    (?![A-Za-z0-9\-])                                   # ... all of it
    """,
    re.ASCII | re.VERBOSE,
)

# Phone: E.164 (``+`` then 8-15 digits, no separators), or digit groups separated by one of
# space, ``-`` or ``.``: an optional ``+`` country code, a first group (the area code may be in
# parentheses), then groups of 2-8 digits. It may not start or end inside a word, number,
# version, path or time (``2.1.0``, ``10:30``, ``/v1/...``). ``_is_phone`` then keeps 8-15
# digits after a ``+``; without one, 9-15 digits in 3 or more groups (or with a parenthesised
# area code) that do not start with a date and are neither an IPv4 address nor thousands
# grouping (``1 234 567 890``). So plain integers, ids, timestamps, dates, UUIDs and versions
# stay. Unredacted on purpose: numbers of fewer than 9 digits without ``+`` (``555-0132``),
# two groups without ``+`` (``07700 900123``, also a range like ``30000-32767``) and 3-3-3
# groups without ``+`` (``912 345 678``): they cannot be told from ranges and grouped integers.
PHONE = re.compile(
    r"""
    (?<![\w.+\-/])
    (?:
        \+[1-9][0-9]{7,14}                                # E.164
    |
        (?:\+[1-9][0-9]{0,2}[ .\-]?)?                     # country code
        (?:\([0-9]{1,5}\)[ .\-]? | [0-9]{1,6}[ .\-])      # first group, or area code in parentheses
        (?:[0-9]{2,8}[ .\-]){0,4}                         # middle groups
        [0-9]{2,8}                                        # last group
    )
    (?![\w+] | [.,:/\-]\w)
    """,
    re.ASCII | re.VERBOSE,
)
_DIGIT_GROUP = re.compile(r"[0-9]+")
_IPV4 = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")
_DATE = re.compile(r"(?:[0-9]{4}[.\-][0-9]{2}[.\-][0-9]{2}|[0-9]{2}[.\-][0-9]{2}[.\-][0-9]{4})(?![0-9])")

# The pre-check searches the serialized request with byte patterns that match wherever the text
# patterns above can match inside a string field (UTF-8 keeps ASCII bytes as they are). Where they
# look at the byte before a match, they allow for it being the string's length, which follows the
# string's tag (0x0a for AnyValue.string_value, 0x12 for Status.message) or a length byte >= 0x80.
#
# An e-mail: a local-part character, ``@``, a domain and a dot before 2+ letters.
_EMAIL_CANDIDATE = re.compile(rb"@(?<=[A-Za-z0-9_%+\-]@)[A-Za-z0-9][A-Za-z0-9.\-]*\.[A-Za-z]{2}")
# A phone is searched in a copy of the request where every digit reads ``0``, ``)`` reads as a
# space and ``.`` as ``-`` (one bytes.translate), so that each pattern starts with a literal the
# regex engine skips to at memory speed (a pattern without one costs ~20 ns a byte):
# - ``+`` not after a word character, ``.``, ``+``, ``-`` or ``/``, a digit, then 7 more digits or
#   a separator within 9 digits;
# - the end of a first group of n <= 6 digits (not after those characters either), a space or
#   ``-``, and 9 - n more digits with gaps of at most 3 separators. One pattern per separator.
_DIGITS_AND_SEPARATORS = bytes.maketrans(b"123456789).", b"000000000 -")
# What may precede a phone: a byte that is not a digit, letter, ``_``, ``+``, ``/`` or ``-``; or any
# byte that is the length of a string, after its tag or a length byte >= 0x80.
_OUTSIDE = rb"(?:[\x00-\xff][^0A-Za-z_+/\-]|[\x0a\x12\x80-\xff][\x00-\xff])"


def _first_gap(separator: bytes) -> re.Pattern[bytes]:
    groups = (
        rb"(?<=" + _OUTSIDE + b"0" * n + separator + rb")[ \-]?0(?:[ \-]{0,3}0){%d}" % (8 - n)
        for n in range(1, 7)
    )
    at_least_3_more = rb"(?=[ \-]?0(?:[ \-]{0,3}0){2})"
    return re.compile(b"0" + separator + at_least_3_more + rb"(?:" + b"|".join(groups) + rb")")


_PHONE_CANDIDATES = (
    re.compile(rb"\+(?<=" + _OUTSIDE + rb"\+)0(?:0{7}|0{0,8}[ \-(])"),
    _first_gap(b"-"),
    _first_gap(b" "),
)


def _may_hold_phone(raw: bytes) -> bool:
    translated = raw.translate(_DIGITS_AND_SEPARATORS)
    return any(candidate.search(translated) is not None for candidate in _PHONE_CANDIDATES)


def keyed_hash(salt: bytes, value: AnyValue) -> str:
    """The replacement of a hashed value: ``hmac-sha256:`` and the hex HMAC of its canonical text."""
    digest = hmac.new(salt, canonical_text(value).encode("utf-8"), hashlib.sha256).hexdigest()
    return HASH_PREFIX + digest


def canonical_text(value: AnyValue) -> str:
    """The text that is hashed: a string as is, bytes as base64, anything else as compact JSON.

    So ``42`` → ``42``, ``True`` → ``true``, ``0.25`` → ``0.25`` (shortest round-trip form),
    ``["a", 1]`` → ``["a",1]``, an unset value → the empty string.
    """
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode("ascii")
    if kind is None:
        return ""
    return json.dumps(_plain(value), separators=(",", ":"), ensure_ascii=False)


def _plain(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_plain(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return {pair.key: _plain(pair.value) for pair in value.kvlist_value.values}
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode("ascii")
    return None if kind is None else getattr(value, kind)


def redact(text: str, email: bool = True, phone: bool = True) -> str:
    """``text`` with each e-mail address and phone number replaced by its placeholder."""
    if email and "@" in text:
        text = EMAIL.sub(EMAIL_REPLACEMENT, text)
    if phone:
        text = _redact_phones(text)
    return text


def _redact_phones(text: str) -> str:
    match = PHONE.search(text)
    if match is None:
        return text
    parts, kept_until = [], 0
    while match is not None:
        if _is_phone(match.group()):
            parts += (text[kept_until : match.start()], PHONE_REPLACEMENT)
            kept_until = match.end()
            match = PHONE.search(text, match.end())
        else:  # a phone may still start inside what was rejected (e.g. after a date)
            match = PHONE.search(text, match.start() + 1)
    if not parts:
        return text
    parts.append(text[kept_until:])
    return "".join(parts)


def _is_phone(candidate: str) -> bool:
    groups = _DIGIT_GROUP.findall(candidate)
    digits = sum(map(len, groups))
    if candidate.startswith("+"):
        return 8 <= digits <= 15
    if not 9 <= digits <= 15 or _IPV4.fullmatch(candidate) or _DATE.match(candidate):
        return False
    if candidate.startswith("("):
        return True
    thousands = all(len(group) == 3 for group in groups[1:])
    return len(groups) >= 3 and not thousands


def _varint(number: int) -> bytes:
    encoded = bytearray()
    while number >= 0x80:
        encoded.append(number & 0x7F | 0x80)
        number >>= 7
    encoded.append(number)
    return bytes(encoded)


@dataclass(frozen=True)
class _Plan:
    """What one walk does: the keys to hash or drop, and which patterns can occur at all."""

    hash_keys: frozenset[str]
    drop_keys: frozenset[str]
    email: bool
    phone: bool


class PiiProtector:
    """A request processor (``gateway.receivers.export.RequestProcessor``) that removes PII."""

    def __init__(
        self,
        hash_keys: Iterable[str] = (),
        drop_keys: Iterable[str] = (),
        redact_patterns: Iterable[str] = PATTERNS,
        salt: str = "",
    ) -> None:
        self._hash_keys = frozenset(hash_keys)
        self._drop_keys = frozenset(drop_keys)
        patterns = frozenset(redact_patterns)
        unknown = sorted(patterns.difference(PATTERNS))
        if unknown:
            raise ValueError(f"unknown redact patterns {unknown}: use {', '.join(PATTERNS)}")
        if self._hash_keys and not salt:
            raise ValueError("a salt is required to hash attribute values")
        self._email = "email" in patterns
        self._phone = "phone" in patterns
        self._salt = salt.encode("utf-8")
        # A KeyValue with key k is serialized as tag 0x0a, the varint length of k, then k; one
        # regex finds any of them in one pass (they share the first byte).
        needles = sorted(key.encode("utf-8") for key in self._hash_keys | self._drop_keys if key)
        self._key_needle = (
            re.compile(b"|".join(re.escape(b"\x0a" + _varint(len(key)) + key) for key in needles))
            if needles
            else None
        )

    def process(self, signal: Signal, request: Message, raw: bytes | None = None) -> bool:
        """Protect ``request`` in place; True when it changed.

        ``raw`` must be ``request`` serialized (or None: it is serialized here once).
        """
        plan = self._plan(request.SerializeToString() if raw is None else raw)
        if plan is None:
            return False
        if signal is Signal.TRACES:
            return self._traces(request, plan)
        if signal is Signal.LOGS:
            return self._logs(request, plan)
        return self._metrics(request, plan)

    def _plan(self, raw: bytes) -> _Plan | None:
        """The pre-check: None when nothing in ``raw`` can be PII."""
        email = self._email and _EMAIL_CANDIDATE.search(raw) is not None
        phone = self._phone and _may_hold_phone(raw)
        keys = self._key_needle is not None and self._key_needle.search(raw) is not None
        if not (email or phone or keys):
            return None
        return _Plan(self._hash_keys, self._drop_keys, email, phone)

    # ---- the three request shapes -----------------------------------------------------------
    def _traces(self, request: Any, plan: _Plan) -> bool:
        changed = False
        for resource_spans in request.resource_spans:
            changed |= self._attributes(resource_spans.resource.attributes, plan)
            for scope_spans in resource_spans.scope_spans:
                changed |= self._attributes(scope_spans.scope.attributes, plan)
                for span in scope_spans.spans:
                    changed |= self._attributes(span.attributes, plan)
                    for event in span.events:
                        changed |= self._attributes(event.attributes, plan)
                    for link in span.links:
                        changed |= self._attributes(link.attributes, plan)
                    message = span.status.message
                    if message:
                        redacted = redact(message, plan.email, plan.phone)
                        if redacted != message:
                            span.status.message = redacted
                            changed = True
        return changed

    def _logs(self, request: Any, plan: _Plan) -> bool:
        changed = False
        for resource_logs in request.resource_logs:
            changed |= self._attributes(resource_logs.resource.attributes, plan)
            for scope_logs in resource_logs.scope_logs:
                changed |= self._attributes(scope_logs.scope.attributes, plan)
                for record in scope_logs.log_records:
                    changed |= self._attributes(record.attributes, plan)
                    if record.HasField("body"):
                        changed |= self._value(record.body, plan)
        return changed

    def _metrics(self, request: Any, plan: _Plan) -> bool:
        changed = False
        for resource_metrics in request.resource_metrics:
            changed |= self._attributes(resource_metrics.resource.attributes, plan)
            for scope_metrics in resource_metrics.scope_metrics:
                changed |= self._attributes(scope_metrics.scope.attributes, plan)
                for metric in scope_metrics.metrics:
                    changed |= self._attributes(metric.metadata, plan)
                    kind = metric.WhichOneof("data")
                    if kind is None:
                        continue
                    for point in getattr(metric, kind).data_points:
                        changed |= self._attributes(point.attributes, plan)
                        if kind != "summary":
                            for exemplar in point.exemplars:
                                changed |= self._attributes(exemplar.filtered_attributes, plan)
        return changed

    # ---- key-values and values --------------------------------------------------------------
    def _attributes(self, attributes: Any, plan: _Plan) -> bool:
        """Hash, drop or redact each KeyValue of a repeated field; True when any changed."""
        changed = False
        for index in range(len(attributes) - 1, -1, -1):
            pair = attributes[index]
            key = pair.key
            if key in plan.drop_keys:
                del attributes[index]
                changed = True
            elif key in plan.hash_keys:
                pair.value.string_value = keyed_hash(self._salt, pair.value)
                changed = True
            elif self._value(pair.value, plan):
                changed = True
        return changed

    def _value(self, value: AnyValue, plan: _Plan) -> bool:
        kind = value.WhichOneof("value")
        if kind == "string_value":
            if not (plan.email or plan.phone):
                return False
            text = value.string_value
            redacted = redact(text, plan.email, plan.phone)
            if redacted == text:
                return False
            value.string_value = redacted
            return True
        if kind == "array_value":
            changed = False
            for item in value.array_value.values:
                changed |= self._value(item, plan)
            return changed
        if kind == "kvlist_value":
            return self._attributes(value.kvlist_value.values, plan)
        return False
