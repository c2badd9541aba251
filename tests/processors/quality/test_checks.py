"""Tests of processors/quality/checks.py: each rule type on stored values (floats and texts)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from processors.quality.checks import check_value, is_null, is_pattern, text_of, typed
from processors.quality.expr import Instant
from processors.quality.model import DateBound, FieldRule, Reference, TableReference

NOW = 1_767_225_600 * 10**9  # 2026-01-01T00:00:00Z


def failed(rule: FieldRule, raw, table_values=None) -> tuple[str, ...]:
    outcome = check_value(rule, raw, NOW, table_values)
    assert outcome.checked
    return outcome.failed


def test_null_is_the_empty_text_or_nan():
    assert is_null("") and is_null(float("nan")) and is_null(None)
    assert not is_null("0") and not is_null(0.0)


def test_null_values_fail_only_fields_that_are_not_nullable():
    assert failed(FieldRule("a", nullable=False), "") == ("not_null",)
    assert failed(FieldRule("a", type="numeric", nullable=False), float("nan")) == ("not_null",)
    assert not check_value(FieldRule("a", type="numeric"), "", NOW).checked


def test_text_of_whole_numbers_has_no_decimal_point():
    assert text_of(7.0) == "7" and text_of(-3.0) == "-3" and text_of(2.5) == "2.5" and text_of("x") == "x"


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("numeric", 3.5, 3.5),
        ("numeric", "abc", None),
        ("numeric", float("inf"), None),
        ("string", 42.0, "42"),
        ("string", "DE", "DE"),
        ("boolean", "true", True),
        ("boolean", "False", False),
        ("boolean", "yes", None),
        ("boolean", 1.0, None),
        ("datetime", "2026-01-01", Instant(1_767_225_600.0)),
        ("datetime", "next week", None),
        ("datetime", 1_767_225_600.0, None),
    ],
)
def test_types(kind, raw, expected):
    assert typed(FieldRule("f", type=kind), raw) == expected
    assert failed(FieldRule("f", type=kind), raw) == (() if expected is not None else ("type",))


def test_numeric_range_is_inclusive():
    rule = FieldRule("amount", type="numeric", minimum=0.0, maximum=100.0)
    assert failed(rule, 0.0) == () and failed(rule, 100.0) == ()
    assert failed(rule, -0.01) == ("min",)
    assert failed(rule, 100.5) == ("max",)


def test_string_lengths_count_characters():
    rule = FieldRule("country", type="string", min_length=2, max_length=3)
    assert failed(rule, "DE") == () and failed(rule, "Ünï") == ()
    assert failed(rule, "D") == ("min_length",)
    assert failed(rule, "DEUT") == ("max_length",)


def test_categorical_set_compares_text_forms():
    rule = FieldRule("tier", allowed=frozenset({"gold", "1"}))
    assert failed(rule, "gold") == () and failed(rule, 1.0) == ()
    assert failed(rule, "Gold") == ("allowed",)


def test_date_range_with_absolute_and_relative_bounds():
    rule = FieldRule(
        "signup",
        type="datetime",
        earliest=DateBound(absolute_seconds=946_684_800.0),  # 2000-01-01
        latest=DateBound(offset=timedelta(days=1)),  # now + 1 day
    )
    assert failed(rule, "2010-05-05") == ()
    assert failed(rule, "1999-12-31") == ("min",)
    assert failed(rule, "2026-01-01T23:59:59Z") == ()
    assert failed(rule, "2026-01-02T00:00:01Z") == ("max",)


@pytest.mark.parametrize(
    ("pattern", "text", "ok"),
    [
        ("email", "ada@example.com", True),
        ("email", "ada.lovelace+x@mail.example.co.uk", True),
        ("email", "ada@", False),
        ("email", "not an email", False),
        ("email", "[REDACTED:email]", True),
        ("phone", "+4915112345678", True),
        ("phone", "+1 (555) 010-9999", True),
        ("phone", "030 1234567", True),
        ("phone", "12345", False),
        ("phone", "+1234567890123456", False),
        ("phone", "call me", False),
        ("phone", "[REDACTED:phone]", True),
    ],
)
def test_patterns(pattern, text, ok):
    assert is_pattern(pattern, text) is ok
    assert failed(FieldRule("f", type="string", pattern=pattern), text) == (() if ok else ("pattern",))


def test_regex_must_match_the_whole_value():
    rule = FieldRule("merchant", pattern="regex", regex=re.compile(r"m-[0-9]{4}"))
    assert failed(rule, "m-1234") == ()
    assert failed(rule, "m-12345") == ("pattern",)
    assert failed(rule, "xm-1234") == ("pattern",)


def test_several_rules_can_fail_together_and_type_failure_stops_the_rest():
    rule = FieldRule("code", type="string", max_length=2, allowed=frozenset({"DE"}))
    assert failed(rule, "DEU") == ("max_length", "allowed")
    numeric = FieldRule("n", type="numeric", minimum=0.0, allowed=frozenset({"1"}))
    assert failed(numeric, "minus one") == ("type",)


def test_reference_values_are_not_part_of_validity():
    rule = FieldRule("country", reference=Reference(values=frozenset({"DE", "FR"})))
    assert check_value(rule, "DE", NOW).reference is True
    outcome = check_value(rule, "XX", NOW)
    assert outcome.reference is False and not outcome.checked and outcome.failed == ()


def test_table_reference_uses_the_fetched_values_or_stays_unchecked():
    rule = FieldRule("merchant", reference=Reference(table=TableReference("merchants", "id")))
    fetched = {"merchants.id": frozenset({"m-1", "7"})}
    assert check_value(rule, "m-1", NOW, fetched).reference is True
    assert check_value(rule, 7.0, NOW, fetched).reference is True
    assert check_value(rule, "m-2", NOW, fetched).reference is False
    assert check_value(rule, "m-1", NOW, {}).reference is None


def test_untyped_field_without_rules_is_not_checked():
    assert not check_value(FieldRule("free"), "anything", NOW).checked
