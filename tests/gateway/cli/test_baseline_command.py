"""``inferwatch baseline``: argument handling and messages that need no ClickHouse.

Creating, listing, showing and activating against real storage (through a gateway and directly):
tests/e2e/test_drift.py.
"""

from __future__ import annotations

import pytest

from gateway.cli.main import main

NOWHERE = ["--url", "http://127.0.0.1:9"]  # the discard port: nothing answers


def test_create_needs_exactly_one_source(capsys, tmp_path):
    with pytest.raises(SystemExit) as caught:
        main(["baseline", "create", "--model", "m", "--version", "1"])
    assert caught.value.code == 2
    assert "one of the arguments --from --from-window is required" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(
            [
                "baseline",
                "create",
                "--model",
                "m",
                "--version",
                "1",
                "--from",
                "a.csv",
                "--from-window",
                "x/y",
            ]
        )
    assert "not allowed with argument" in capsys.readouterr().err


def test_an_unreadable_file_is_reported_before_anything_is_sent(capsys, tmp_path):
    bad = tmp_path / "reference.csv"
    bad.write_text("a,b\n1\n")
    assert main(["baseline", "create", "--model", "m", "--version", "1", "--from", str(bad), *NOWHERE]) == 2
    expected = f"inferwatch: cannot profile {bad}: {bad}: CSV parse error: Expected 2 columns, got 1: 1"
    assert expected in capsys.readouterr().err
    missing = tmp_path / "missing.parquet"
    assert (
        main(["baseline", "create", "--model", "m", "--version", "1", "--from", str(missing), *NOWHERE]) == 2
    )
    assert "no such file" in capsys.readouterr().err


def test_a_window_needs_start_and_end(capsys):
    code = main(
        ["baseline", "create", "--model", "m", "--version", "1", "--from-window", "2026-01-01", *NOWHERE]
    )
    assert code == 2  # bad input, like feedback import's
    assert '--from-window needs START/END, got "2026-01-01"' in capsys.readouterr().err
    code = main(
        ["baseline", "create", "--model", "m", "--version", "1", "--from-window", "yesterday/now", *NOWHERE]
    )
    assert code == 2
    assert 'invalid time "yesterday"' in capsys.readouterr().err


def test_show_needs_an_id_or_a_model_version(capsys):
    assert main(["baseline", "show", "--model", "m", *NOWHERE]) == 1
    assert "give a baseline ID, or --model and --version" in capsys.readouterr().err


def test_an_explicit_url_that_does_not_answer(capsys):
    assert main(["baseline", "activate", "abc", *NOWHERE]) == 1
    assert "no gateway answers at http://127.0.0.1:9" in capsys.readouterr().err
    assert main(["baseline", "list", *NOWHERE]) == 1
    assert "no gateway answers at http://127.0.0.1:9" in capsys.readouterr().err
