"""``inferwatch feedback``: argument errors, progress bar (the import: tests/e2e/test_feedback_import.py)."""

from __future__ import annotations

import io

import pytest

from gateway.cli.feedback_command import ProgressBar
from gateway.cli.main import main as inferwatch


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_redraws_on_a_terminal_and_prints_once_otherwise():
    terminal = Terminal()
    bar = ProgressBar(4, terminal)
    bar.advance(1)
    bar.advance(3)
    bar.finish()
    assert terminal.getvalue() == (
        "\r[########......................]  25%  1/4 labels"
        "\r[##############################] 100%  4/4 labels"
        "\r[##############################] 100%  4/4 labels\n"
    )
    pipe = io.StringIO()
    bar = ProgressBar(None, pipe)
    bar.advance(10_000)
    bar.finish()
    assert pipe.getvalue() == "[##############################] 100%  10,000/10,000 labels\n"
    quiet = io.StringIO()
    bar = ProgressBar(3, quiet, enabled=False)
    bar.advance(3)
    bar.finish()
    assert quiet.getvalue() == ""


def test_bad_arguments_are_usage_errors(tmp_path, capsys):
    with pytest.raises(SystemExit) as caught:
        inferwatch(["feedback", "import", str(tmp_path / "x.csv"), "--batch-size", "0"])
    assert caught.value.code == 2
    assert 'must be a whole number of at least 1, got "0"' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        inferwatch(["feedback"])
    assert "ACTION" in capsys.readouterr().err


def test_a_missing_file_says_so(tmp_path, capsys):
    assert inferwatch(["feedback", "import", str(tmp_path / "labels.csv")]) == 2
    assert f"inferwatch: {tmp_path / 'labels.csv'}: no such file" in capsys.readouterr().err
