"""Tests of ``inferwatch rules check``: output, JSON and exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.cli.main import main

GOOD = """\
- alert: HighErrorRate
  expr: error_rate > 0.05
  for: 5m
  severity: P1
  annotations:
    summary: "Error rate of {{ $labels.model }} is {{ $value }}"
"""
BAD = """\
- alert: HighErrorRate
  expr: eror_rate > 0.05
  severity: P9
"""
RULE_PACK = Path(__file__).resolve().parents[3] / "deploy" / "rules"


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "good.yaml"
    path.write_text(GOOD, encoding="utf-8")
    return path


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD, encoding="utf-8")
    return path


def test_valid_file(good: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "check", str(good)]) == 0
    assert capsys.readouterr().out == f"Checking {good}\n  SUCCESS: 1 rules found\n\n"


def test_invalid_file_prints_every_error_with_its_position(
    good: Path, bad: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules", "check", str(good), str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"Checking {good}\n  SUCCESS: 1 rules found\n" in out
    assert f"Checking {bad}\n  FAILED: 2 error(s)\n" in out
    assert (
        f'{bad}:2:9: alert "HighErrorRate": expr: unknown signal "eror_rate"; did you mean "error_rate"?'
        in out
    )
    assert f'{bad}:3:13: alert "HighErrorRate": severity: "P9" is not one of P0, P1, P2, P3' in out


def test_json_format(good: Path, bad: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "check", "--format", "json", str(good), str(bad)]) == 1
    reports = json.loads(capsys.readouterr().out)
    assert reports[0] == {"file": str(good), "rules": 1, "errors": []}
    assert reports[1]["file"] == str(bad)
    assert reports[1]["rules"] == 1
    assert [error.split(": ")[0] for error in reports[1]["errors"]] == [f"{bad}:2:9", f"{bad}:3:13"]


def test_missing_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.yaml"
    assert main(["rules", "check", str(missing)]) == 2
    err = capsys.readouterr().err
    assert f'cannot read rule file "{missing}"' in err
    assert "inferwatch rules check deploy/rules/" in err


def test_a_directory_checks_its_yaml_files(good: Path, bad: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (good.parent / "notes.txt").write_text("not a rule file", encoding="utf-8")
    assert main(["rules", "check", str(good.parent)]) == 1
    out = capsys.readouterr().out
    assert out.index(f"Checking {bad}") < out.index(f"Checking {good}")
    assert "notes.txt" not in out


def test_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"- alert: caf\xe9\n")
    assert main(["rules", "check", str(path)]) == 1
    assert f"{path}:1:1: not UTF-8 text" in capsys.readouterr().out


def test_default_rule_pack_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "check", str(RULE_PACK)]) == 0
    assert capsys.readouterr().out.count("SUCCESS") == 3


def test_no_file_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["rules", "check"])
    assert caught.value.code == 2
    assert "FILE" in capsys.readouterr().err


def test_rules_without_action_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 2
    assert "check" in capsys.readouterr().out


def test_help_has_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["rules", "check", "--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    assert "inferwatch rules check deploy/rules/guide-examples.yaml" in out
    assert "FILE:LINE:COLUMN" in out
