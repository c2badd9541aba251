"""``inferwatch drift``: argument handling and messages that need no ClickHouse.

Reports against real storage (through a gateway and directly): tests/e2e/test_drift.py.
"""

from __future__ import annotations

import pytest

from gateway.cli.main import main


def test_a_model_is_required_and_windows_must_be_positive(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["drift"])
    assert caught.value.code == 2 and "--model" in capsys.readouterr().err
    with pytest.raises(SystemExit) as caught:
        main(["drift", "--model", "m", "--since", "0s"])
    assert caught.value.code == 2 and "the window must be longer than 0" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["drift", "--model", "m", "--format", "yaml"])


def test_an_explicit_url_that_does_not_answer(capsys):
    assert main(["drift", "--model", "m", "--url", "http://127.0.0.1:9"]) == 1
    assert (
        "no gateway answers at http://127.0.0.1:9; is `inferwatch serve` running?" in capsys.readouterr().err
    )


def test_help_names_the_tests_and_the_verdict_rule(capsys):
    with pytest.raises(SystemExit):
        main(["drift", "--help"])
    out = capsys.readouterr().out
    assert "KS for numeric, chi-squared for categorical" in out and "drift.alpha" in out
