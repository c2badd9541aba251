"""What every reading or writing command says when there is no gateway and no storage (yet).

No ClickHouse is opened here: with no data directory the commands must stop before opening one.
Reports against real storage: tests/e2e (test_drift.py, test_alerting_cli.py, ...).
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from gateway.cli.main import main
from gateway.cli.sql_access import failure_message
from gateway.query import QueryError


def _unused_endpoint() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"  # closed again: nothing answers there


@pytest.mark.parametrize(
    "command",
    [
        ["signals", "--model", "m"],
        ["drift", "--model", "m"],
        ["performance", "--model", "m"],
        ["quality", "--model", "m"],
        ["alerts"],
        ["query", "SELECT 1"],
        ["feedback", "status"],
        ["silence", "list"],
        ["silence", "expire", "3f2a"],
        ["baseline", "list"],
        ["baseline", "activate", "3f2a"],
        ["feedback", "import", "LABELS_CSV"],
    ],
)
def test_no_gateway_and_no_data_dir_says_what_to_do_and_creates_nothing(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "never-started"
    labels = tmp_path / "labels.csv"
    labels.write_text("request_id,model,label_class\nr1,fraud-detector,1\n")
    command = [str(labels) if part == "LABELS_CSV" else part for part in command]
    overrides = ["--set", f"data_dir={data_dir}", "--set", f"receivers.http.endpoint={_unused_endpoint()}"]
    assert main([*command, *overrides]) == 1
    err = capsys.readouterr().err
    assert f"there is no data directory {data_dir}" in err
    assert "start `inferwatch serve` with the same config" in err and "--url" in err
    assert "Traceback" not in err
    assert not data_dir.exists()  # a read must not leave an empty storage behind


@pytest.mark.parametrize(
    "text",
    [
        "ClickHouse error 60: Unknown table expression identifier 'ml_requests'. In scope SELECT 1",
        "Code: 60. DB::Exception: Table default.ml_quality does not exist. (UNKNOWN_TABLE)",
        "Code: 81. DB::Exception: Database ml does not exist. (UNKNOWN_DATABASE)",
    ],
)
def test_a_storage_without_the_schema_says_to_start_the_gateway_once(text: str) -> None:
    message = failure_message(QueryError(text))
    assert "no inferwatch schema yet" in message
    assert "Start `inferwatch serve` with the same config once" in message
    assert "In scope" not in message  # the SQL of the failed read is noise here
