"""Tests of ``inferwatch quality check`` and the argument handling of ``inferwatch quality``."""

from __future__ import annotations

import json
from pathlib import Path

from gateway.cli.main import main

REPO = Path(__file__).resolve().parents[3]


def test_check_accepts_the_example_rule_files(capsys):
    assert main(["quality", "check", str(REPO / "deploy" / "quality")]) == 0
    out = capsys.readouterr().out
    assert "SUCCESS: model fraud-detector, 9 fields, 2 checks" in out


def test_check_reports_every_error_with_file_line_column_and_exits_1(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: m\nfields:\n  a: {type: integr, min: x}\nchecks:\n  - {name: c, expr: 'a >'}\n")
    assert main(["quality", "check", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "FAILED: 3 error(s)" in out
    assert f'{bad}:3:13: fields.a.type: "integr" is not one of numeric, string, boolean, datetime' in out
    assert f'{bad}:5:25: check "c": unexpected end of input: a value is missing' in out


def test_check_json_output(tmp_path, capsys):
    good = tmp_path / "good.yaml"
    good.write_text("model: m\nfields:\n  a: {type: numeric}\n")
    assert main(["quality", "check", "--format", "json", str(good)]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"file": str(good), "model": "m", "fields": 1, "checks": 0, "errors": []}
    ]


def test_check_of_a_missing_file_says_what_to_pass_and_exits_2(tmp_path, capsys):
    assert main(["quality", "check", str(tmp_path / "nope.yaml")]) == 2
    err = capsys.readouterr().err
    assert "cannot read rule file" in err and "inferwatch quality check deploy/quality/" in err


def test_check_of_a_file_that_is_not_utf8(tmp_path, capsys):
    binary = tmp_path / "b.yaml"
    binary.write_bytes(b"\xff\xfe")
    assert main(["quality", "check", str(binary)]) == 1
    assert f"{binary}:1:1: not UTF-8 text" in capsys.readouterr().out


def test_dashboard_needs_a_model(capsys):
    assert main(["quality"]) == 2
    assert "quality needs --model NAME" in capsys.readouterr().err
