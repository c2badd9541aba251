"""Tests of processors/quality/loader.py: every key, and errors as FILE:LINE:COLUMN (incl. inside values)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from processors.quality import QualityLoadError, load_quality_rules
from processors.quality.model import DateBound, Reference, TableReference

REPO = Path(__file__).resolve().parents[3]


def errors(text: str) -> list[str]:
    with pytest.raises(QualityLoadError) as caught:
        load_quality_rules(text, "q.yaml")
    return [str(error) for error in caught.value.errors]


def test_every_field_key_is_loaded():
    rules = load_quality_rules(
        """model: shop
fields:
  amount: {type: numeric, required: true, nullable: false, min: 0, max: 1e4}
  code: {type: string, min_length: 2, max_length: 3, allowed: [DE, 1, true], pii: true}
  mail: {pattern: email}
  sku: {regex: "[A-Z]{3}-[0-9]+", reference: {values: [ABC-1]}}
  merchant: {reference: {in_table: {table: refdata.merchants, column: id}}}
  when: {type: datetime, min: "2000-01-01", max: now+1d}
  ago: {type: datetime, min: now-30d}
  range_only: {min: 1}
checks:
  - {name: positive, expr: amount > 0}
timeliness: {max_delay: 90s}
""",
        "shop.yaml",
    )
    amount = rules.field("amount")
    assert (amount.type, amount.required, amount.nullable, amount.minimum, amount.maximum) == (
        "numeric",
        True,
        False,
        0.0,
        10000.0,
    )
    code = rules.field("code")
    assert (code.min_length, code.max_length, code.allowed, code.pii) == (
        2,
        3,
        frozenset({"DE", "1", "true"}),
        True,
    )
    assert rules.field("mail").pattern == "email"
    sku = rules.field("sku")
    assert (
        sku.pattern == "regex"
        and sku.regex.fullmatch("ABC-12")
        and sku.reference == Reference(values=frozenset({"ABC-1"}))
    )
    assert rules.table_references == (TableReference("refdata.merchants", "id"),)
    when = rules.field("when")
    assert when.earliest == DateBound(absolute_seconds=946_684_800.0)
    assert when.latest == DateBound(offset=timedelta(days=1))
    assert rules.field("ago").earliest == DateBound(offset=-timedelta(days=30))
    assert rules.field("range_only").type == "numeric"
    assert [check.name for check in rules.checks] == ["positive"]
    assert rules.max_delay == timedelta(seconds=90)
    assert rules.pii_fields == frozenset({"code"})
    assert amount.location == "shop.yaml:3"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fields: {a: {type: numeric}}\n", 'q.yaml:1:1: missing required key "model"'),
        ("model: m\n", 'q.yaml:1:1: nothing to check: add "fields" or "checks"'),
        ("model: m\nfields:\n  a: {typo: 1}\n", 'q.yaml:3:7: fields.a: unknown key "typo"'),
        ("model: m\nfields:\n  a: {tpye: numeric}\n", 'did you mean "type"?'),
        ("model: m\nfields:\n  a: {type: integer}\n", 'q.yaml:3:13: fields.a.type: "integer" is not one of'),
        (
            "model: m\nfields:\n  a: {required: maybe}\n",
            "q.yaml:3:17: fields.a.required: expected true or false",
        ),
        (
            "model: m\nfields:\n  a: {min: 5, max: 1}\n",
            "q.yaml:3:12: fields.a: min (5) is greater than max (1)",
        ),
        (
            "model: m\nfields:\n  a: {min: ten}\n",
            'q.yaml:3:12: fields.a.min: expected a finite number, got "ten"',
        ),
        ("model: m\nfields:\n  a: {type: string, min: 1}\n", "fields.a.min: a string field has no range"),
        ("model: m\nfields:\n  a: {type: numeric, max_length: 3}\n", "lengths apply to string fields"),
        ("model: m\nfields:\n  a: {min_length: -1}\n", "fields.a.min_length: expected a whole number >= 0"),
        ("model: m\nfields:\n  a: {allowed: []}\n", "fields.a.allowed: expected a non-empty list"),
        ("model: m\nfields:\n  a: {pattern: zip}\n", 'fields.a.pattern: "zip" is not one of email, phone'),
        ("model: m\nfields:\n  a: {pattern: email, regex: x}\n", "use pattern or regex, not both"),
        ("model: m\nfields:\n  a: {type: datetime, min: someday}\n", '"someday" is not an ISO 8601 date'),
        ("model: m\nfields:\n  a: {type: datetime, max: now+soon}\n", 'invalid duration "soon"'),
        ("model: m\nfields:\n  a: {reference: {}}\n", "give exactly one of values"),
        (
            "model: m\nfields:\n  a: {reference: {in_table: {table: 'x; DROP', column: id}}}\n",
            'fields.a.reference.in_table.table: "x; DROP" is not a table name',
        ),
        ("model: m\nfields:\n  a: {reference: {in_table: {table: t}}}\n", 'missing key "column"'),
        ("model: m\nchecks:\n  - {name: c}\n", 'q.yaml:3:5: checks[0]: missing required key "expr"'),
        ("model: m\nchecks:\n  - {name: min, expr: a > 0}\n", '"min" names a field rule'),
        ("model: m\nchecks: {a: 1}\n", "checks: expected a list"),
        ("model: m\nchecks:\n  - {name: c, expr: '1 > 0'}\n", 'check "c": the expression reads no field'),
        (
            "model: m\nfields: {a: {}}\ntimeliness: {max_delay: 0}\n",
            "timeliness.max_delay: must be longer than 0",
        ),
        ("model: [a]\nfields: {a: {}}\n", "q.yaml:1:8: model: expected a non-empty text, got a list"),
        ("- a\n- b\n", "q.yaml:1:1: rule file: expected a mapping"),
        ("model: m\nfields: {a: {}\n", "q.yaml:3:1: invalid YAML"),
        ("", "q.yaml:1:1: the file is empty"),
    ],
)
def test_errors_name_file_line_and_column(text, expected):
    found = errors(text)
    assert any(expected in error for error in found), found


def test_duplicate_keys_fields_and_checks_are_errors():
    found = errors(
        "model: m\nfields:\n  a: {type: numeric, type: string}\n  a: {}\nchecks:\n"
        "  - {name: c, expr: a > 0}\n  - {name: c, expr: a > 1}\n"
    )
    assert 'q.yaml:3:22: fields.a: duplicate key "type"' in found
    assert 'q.yaml:4:3: fields: duplicate field "a"' in found
    assert 'q.yaml:7:12: checks[1].name: duplicate check name "c"' in found


def test_expression_errors_point_into_the_file():
    text = "model: m\nchecks:\n  - name: ordered\n    expr: start_date = end_date\n"
    assert errors(text) == ['q.yaml:4:22: check "ordered": unexpected "=": use == to compare']


def test_expression_errors_in_block_scalars_point_at_the_right_line():
    text = "model: m\nchecks:\n  - name: c\n    expr: >\n      a > 0 and\n      b >\n"
    assert errors(text) == ['q.yaml:6:10: check "c": unexpected end of input: a value is missing']


def test_regex_errors_point_at_the_character():
    text = 'model: m\nfields:\n  a:\n    regex: "ab(c"\n'
    (error,) = errors(text)
    assert error.startswith("q.yaml:4:15: fields.a.regex: invalid regular expression: missing )")


def test_every_error_is_reported_in_file_order():
    found = errors("model: m\nfields:\n  a: {type: x}\n  b: {min: y}\nchecks:\n  - {name: c, expr: 'a >'}\n")
    assert [error.split(": ")[0] for error in found] == ["q.yaml:3:13", "q.yaml:4:12", "q.yaml:6:25"]


def test_example_rule_files_in_deploy_are_valid():
    files = sorted((REPO / "deploy" / "quality").glob("*.yaml"))
    assert files, "deploy/quality/ has no rule file"
    for path in files:
        rules = load_quality_rules(path.read_text(encoding="utf-8"), str(path))
        assert rules.fields and rules.checks
