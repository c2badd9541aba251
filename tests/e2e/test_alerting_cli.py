"""``inferwatch silence`` and ``inferwatch alerts`` against a real gateway, and directly on its storage."""

from __future__ import annotations

import json
from pathlib import Path

from gateway.cli.main import main as inferwatch
from gateway.clock import FakeClock
from gateway.storage.series import write_points
from processors.ml.series import SignalPoint
from tests.e2e.conftest import GatewayFactory, http_url

T0 = 1_760_000_000 * 1_000_000_000
MINUTE = 60_000_000_000


def _direct(gateways: GatewayFactory) -> list[str]:
    """Arguments that send a command to the test's storage with no gateway answering (discard port)."""
    return [
        f"--set=clickhouse.dsn=chdb://{gateways.chdb_dir}",
        f"--set=clickhouse.database={gateways.database}",
        "--set=receivers.http.endpoint=127.0.0.1:9",
    ]


def _json(capsys) -> object:
    return json.loads(capsys.readouterr().out)


def test_silence_add_list_expire_through_the_gateway(gateways, capsys):
    gateway = gateways.start(run_tasks=False)
    url = http_url(gateway)
    add = ["silence", "add", "--url", url, "--match", "model=fraud,severity=~P2|P3", "--for", "2h"]
    assert inferwatch([*add, "--comment", "deploying", "--author", "alice", "--format", "json"]) == 0
    added = _json(capsys)
    assert added["state"] == "active" and added["created_by"] == "alice" and added["comment"] == "deploying"
    assert added["matchers_text"] == "model=fraud,severity=~P2|P3"
    assert added["ends_at"] - added["starts_at"] == 7200

    assert inferwatch(["silence", "list", "--url", url, "--format", "json"]) == 0
    assert [s["id"] for s in _json(capsys)] == [added["id"]]
    assert inferwatch(["silence", "list", "--url", url]) == 0
    table = capsys.readouterr().out
    assert added["id"] in table and "deploying" in table and "active" in table

    assert inferwatch(["silence", "expire", added["id"], "--url", url, "--format", "json"]) == 0
    assert _json(capsys)["state"] == "expired"
    assert inferwatch(["silence", "list", "--url", url, "--format", "json"]) == 0
    assert _json(capsys) == []
    assert inferwatch(["silence", "list", "--url", url, "--all", "--format", "json"]) == 0
    assert [(s["id"], s["state"]) for s in _json(capsys)] == [(added["id"], "expired")]


def test_silence_errors_say_what_to_do(gateways, capsys):
    gateway = gateways.start(run_tasks=False)
    url = http_url(gateway)
    assert (
        inferwatch(["silence", "add", "--url", url, "--match", "model", "--for", "2h", "--comment", "x"]) == 1
    )
    assert "expected one of =, !=, =~, !~" in capsys.readouterr().err
    assert (
        inferwatch(["silence", "add", "--url", url, "--match", "model=~.*", "--for", "2h", "--comment", "x"])
        == 1
    )
    assert "would silence every alert" in capsys.readouterr().err
    assert (
        inferwatch(
            ["silence", "add", "--url", url, "--match", "model=a", "--for", "2 hours", "--comment", "x"]
        )
        == 1
    )
    assert "duration" in capsys.readouterr().err
    assert inferwatch(["silence", "expire", "nope", "--url", url]) == 1
    assert "no silence with id 'nope'" in capsys.readouterr().err
    assert inferwatch(["silence", "expire", "nope", *_direct(gateways)]) == 1
    assert "no silence with id 'nope'" in capsys.readouterr().err


def test_silence_directly_on_storage_is_seen_by_the_gateway(gateways, capsys):
    gateway = gateways.start(run_tasks=False)
    args = [
        "silence",
        "add",
        "--match",
        "model=fraud",
        "--for",
        "30m",
        "--comment",
        "direct",
        "--format",
        "json",
    ]
    assert inferwatch([*args, *_direct(gateways)]) == 0
    added = _json(capsys)
    assert inferwatch(["silence", "list", "--url", http_url(gateway), "--format", "json"]) == 0
    assert [s["id"] for s in _json(capsys)] == [added["id"]]
    assert inferwatch(["silence", "expire", added["id"], *_direct(gateways)]) == 0
    assert f"silence {added['id']} expired" in capsys.readouterr().out
    assert inferwatch(["silence", "list", "--format", "json", *_direct(gateways)]) == 0
    assert _json(capsys) == []


def test_alerts_lists_active_alerts_and_transitions(gateways, tmp_path: Path, capsys):
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        '- alert: AgeDrift\n  expr: psi{feature="age"} > 0.2\n  severity: P2\n', encoding="utf-8"
    )
    clock = FakeClock(T0)
    gateway = gateways.start(f"alerting.rule_files=[{rules}]", clock=clock, run_tasks=False)
    point = SignalPoint("psi", "fraud", "", 0.4, T0 - 30 * MINUTE, T0, {"feature": "age"}, samples=100)
    write_points(gateway.open_client(), "ml_drift", [point], T0)
    assert gateway.task("alerts").run_once()

    assert inferwatch(["alerts", "--url", http_url(gateway), "--since", "100000d", "--format", "json"]) == 0
    document = _json(capsys)
    assert document["active"] == [
        {
            "state": "firing",
            "rule_id": "rules/AgeDrift",
            "rule": "AgeDrift",
            "severity": "P2",
            "labels": {"feature": "age", "model": "fraud", "version": ""},
            "value": 0.4,
            "since": "2025-10-09T08:53:20Z",
            "active_at": "2025-10-09T08:53:20Z",
            "notified_at": "2025-10-09T08:53:20Z",
        }
    ]
    assert [(t["rule_id"], t["from_state"], t["to_state"], t["value"]) for t in document["transitions"]] == [
        ("rules/AgeDrift", "inactive", "firing", 0.4)
    ]
    assert (
        inferwatch(
            ["alerts", "--state", "pending", "--since", "100000d", "--format", "json", *_direct(gateways)]
        )
        == 0
    )
    assert _json(capsys) == {"active": [], "transitions": []}
    assert inferwatch(["alerts", "--since", "100000d", *_direct(gateways)]) == 0
    table = capsys.readouterr().out
    assert "firing" in table and "rules/AgeDrift" in table and "feature=age,model=fraud,version=" in table
