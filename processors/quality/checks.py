"""The checks of one field's value: nullability, type, ranges, lengths, sets, patterns, reference data.

Reads: one raw value as ``ml_features`` stores it (a float from ``NumericFeatures`` or a text from
``CategoricalFeatures``) and the field's ``FieldRule``. Writes: nothing (pure).

A raw value is null when it is the empty text or a NaN number. Values keep the form the gateway stored:
a feature whose attribute value parsed as a number arrived as a float, so a ``string`` field reads such a
value as its shortest decimal text (``7.0`` → ``"7"``; leading zeros of ``"007"`` are lost by then).
E-mail addresses and phone numbers redacted by ``ml.pii.redact_patterns`` before storage arrive as
``[REDACTED:email]`` / ``[REDACTED:phone]``: the redaction proves the value was one, so those
placeholders pass the ``email`` / ``phone`` pattern.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from processors.ml.pii import EMAIL, EMAIL_REPLACEMENT, PHONE_REPLACEMENT
from processors.quality import model as m
from processors.quality.expr import Instant, Value, parse_instant

RawValue = float | str

# A phone number as entered: an optional "+", digits with spaces, dots, dashes or parentheses between
# them, 7 to 15 digits in all (E.164 allows at most 15).
_PHONE_SHAPE = re.compile(r"\+?[0-9(][0-9 ().\-]*[0-9]")
_BOOLEANS = {"true": True, "false": False}


def is_null(raw: RawValue | None) -> bool:
    return raw is None or raw == "" or (isinstance(raw, float) and math.isnan(raw))


def text_of(raw: RawValue) -> str:
    """The text form of a stored value: texts as they are, whole numbers without ``.0``."""
    if isinstance(raw, str):
        return raw
    if math.isfinite(raw) and raw == int(raw) and abs(raw) < 1e15:
        return str(int(raw))
    return repr(float(raw))


def typed(rule: m.FieldRule | None, raw: RawValue) -> Value | None:
    """The value as its declared type reads it (None: it is not of that type)."""
    kind = rule.type if rule is not None else None
    if kind == "numeric":
        return raw if isinstance(raw, float) and not math.isinf(raw) else None
    if kind == "string":
        return text_of(raw)
    if kind == "boolean":
        return _BOOLEANS.get(text_of(raw).strip().lower())
    if kind == "datetime":
        return parse_instant(raw) if isinstance(raw, str) else None
    return raw


def is_pattern(pattern: str, text: str, regex: re.Pattern[str] | None = None) -> bool:
    if pattern == "email":
        return text == EMAIL_REPLACEMENT or EMAIL.fullmatch(text) is not None
    if pattern == "phone":
        if text == PHONE_REPLACEMENT:
            return True
        digits = sum(char.isdigit() for char in text)
        return _PHONE_SHAPE.fullmatch(text) is not None and 7 <= digits <= 15
    assert regex is not None
    return regex.fullmatch(text) is not None


@dataclass(frozen=True)
class ValueOutcome:
    """What the checks of one present value found.

    ``checked``: the value counts in validity; ``failed``: the validity rules it broke (in rule order);
    ``reference``: None when no reference data applies, else whether the value is in it.
    """

    checked: bool
    failed: tuple[str, ...] = ()
    reference: bool | None = None


NOT_CHECKED = ValueOutcome(False)


def check_value(
    rule: m.FieldRule,
    raw: RawValue,
    now_unix_nano: int,
    table_values: Mapping[str, frozenset[str]] | None = None,
) -> ValueOutcome:
    """Check one present value of ``rule``'s field; ``table_values`` maps ``TableReference.key`` to the
    values fetched from ClickHouse (a table missing there leaves the reference unchecked)."""
    if is_null(raw):
        return ValueOutcome(True, (m.RULE_NOT_NULL,)) if not rule.nullable else NOT_CHECKED
    value = typed(rule, raw)
    if value is None:
        return ValueOutcome(True, (m.RULE_TYPE,))
    failed: list[str] = []
    if isinstance(value, float) and not isinstance(value, bool):
        if rule.minimum is not None and value < rule.minimum:
            failed.append(m.RULE_MIN)
        if rule.maximum is not None and value > rule.maximum:
            failed.append(m.RULE_MAX)
    if isinstance(value, Instant):
        if rule.earliest is not None and value.seconds < rule.earliest.resolve(now_unix_nano):
            failed.append(m.RULE_MIN)
        if rule.latest is not None and value.seconds > rule.latest.resolve(now_unix_nano):
            failed.append(m.RULE_MAX)
    text = str(value).lower() if isinstance(value, bool) else text_of(raw)
    if rule.min_length is not None and len(text) < rule.min_length:
        failed.append(m.RULE_MIN_LENGTH)
    if rule.max_length is not None and len(text) > rule.max_length:
        failed.append(m.RULE_MAX_LENGTH)
    if rule.allowed is not None and text not in rule.allowed:
        failed.append(m.RULE_ALLOWED)
    if rule.pattern is not None and not is_pattern(rule.pattern, text, rule.regex):
        failed.append(m.RULE_PATTERN)
    in_reference = _in_reference(rule.reference, text, table_values)
    return ValueOutcome(rule.has_value_rules, tuple(failed), in_reference)


def _in_reference(
    reference: m.Reference | None, text: str, table_values: Mapping[str, frozenset[str]] | None
) -> bool | None:
    if reference is None:
        return None
    if reference.values is not None:
        return text in reference.values
    assert reference.table is not None
    values = (table_values or {}).get(reference.table.key)
    return None if values is None else text in values
