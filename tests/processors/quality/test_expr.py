"""Tests of processors/quality/expr.py: parsing with offsets, evaluation, applicability, type errors."""

from __future__ import annotations

import pytest

from processors.quality.expr import CheckError, ExprError, Instant, evaluate, parse, parse_instant


def run(text: str, **values: object) -> bool | None:
    return evaluate(parse(text), values)  # type: ignore[arg-type]


def test_business_rules_of_the_guide():
    assert run("age > 0", age=31.0) is True
    assert run("age > 0", age=0.0) is False
    assert run("price > 0", price=-1.5) is False


def test_arithmetic_precedence_and_unary_minus():
    assert run("a + b * 2 == 7", a=1.0, b=3.0) is True
    assert run("(a + b) * 2 == 8", a=1.0, b=3.0) is True
    assert run("-a < 0", a=2.0) is True
    assert run("a / b == 2.5", a=5.0, b=2.0) is True
    assert run("abs(a - b) <= 1", a=5.0, b=5.5) is True


def test_boolean_operators_precedence_not_and_or():
    # and binds tighter than or: true or (false and false)
    assert run("a > 0 or b > 0 and c > 0", a=1.0, b=0.0, c=0.0) is True
    assert run("(a > 0 or b > 0) and c > 0", a=1.0, b=0.0, c=0.0) is False
    assert run("not a > 0", a=1.0) is False
    assert run("flag == true and not other", flag=True, other=False) is True


def test_dates_compare_as_instants_and_subtract_to_seconds():
    start, end = parse_instant("2026-01-01"), parse_instant("2026-01-03T00:00:00Z")
    assert run("start_date < end_date", start_date=start, end_date=end) is True
    assert run("start_date < end_date", start_date=end, end_date=start) is False
    assert run("end_date - start_date == 172800", start_date=start, end_date=end) is True
    assert run("start_date >= '2025-12-31'", start_date=start) is True


def test_texts_compare_lexicographically_and_len_lower():
    assert run("len(code) == 2 and lower(code) == 'de'", code="DE") is True
    assert run("a != b", a="x", b="y") is True


def test_a_rule_with_a_missing_field_does_not_apply():
    assert run("start_date < end_date", start_date=Instant(1.0)) is None
    assert run("a > 0 or b > 0", a=1.0) is None


@pytest.mark.parametrize(
    ("text", "values", "message"),
    [
        ("a > b", {"a": 1.0, "b": "x"}, "cannot compare the number 1 with the text 'x'"),
        ("a / b > 0", {"a": 1.0, "b": 0.0}, "division by zero"),
        ("a + 1", {"a": 1.0}, "not true or false"),
        ("a and b", {"a": 1.0, "b": True}, '"and" needs true or false'),
        ("a < true", {"a": True}, "booleans can only be compared with == or !="),
        ("d < 'soon'", {"d": Instant(0.0)}, "'soon' is not an ISO 8601 date or time"),
        ("len(a) > 1", {"a": 3.0}, "len needs a text"),
    ],
)
def test_values_that_do_not_fit_the_rule_raise_check_error(text, values, message):
    with pytest.raises(CheckError, match=message.replace("(", r"\(").replace(")", r"\)")):
        evaluate(parse(text), values)


@pytest.mark.parametrize(
    ("text", "offset", "message"),
    [
        ("age >", 5, "unexpected end of input"),
        ("age = 3", 4, 'unexpected "=": use == to compare'),
        ("a < b < c", 6, "comparisons cannot be chained"),
        ("exp(a) > 1", 0, 'unknown function "exp"'),
        ("a > 1 )", 6, 'unexpected ")"'),
        ("(a > 1", 6, 'expected ")"'),
        ("a > 1 and", 9, "unexpected end of input"),
        ("a $ 1", 2, "unexpected character"),
    ],
)
def test_syntax_errors_point_at_the_offending_character(text, offset, message):
    with pytest.raises(ExprError) as caught:
        parse(text)
    assert caught.value.offset == offset
    assert message in caught.value.message


def test_fields_are_collected_once_in_order():
    assert parse("b > a and a > 0 and len(c) > b").fields == ("b", "a", "c")


def test_parse_instant_reads_dates_times_and_offsets_as_utc():
    assert parse_instant("1970-01-02") == Instant(86400.0)
    assert parse_instant("1970-01-01T01:00:00+01:00") == Instant(0.0)
    assert parse_instant("yesterday") is None
