"""Tests of gateway/alerting/outbox.py: durability across restarts, kill -9 and torn writes;
idempotence by target + alias + action; per-alias ordering; bounds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from gateway.alerting.outbox import Outbox, OutboxFullError

T0 = 1_700_000_000.0
ROUTE = {"api_url": "https://api.opsgenie.com", "api_key_env": "GENIE_KEY"}
ROOT = Path(__file__).resolve().parents[3]


def _create(outbox: Outbox, alias: str, now: float = T0, target: str = "opsgenie") -> object:
    return outbox.enqueue(target, "create", alias, {"message": f"page {alias}", "alias": alias}, ROUTE, now)


def test_entries_survive_a_restart_in_order_with_their_attempts(tmp_path: Path) -> None:
    first = Outbox(tmp_path)
    _create(first, "a")
    entry_b = _create(first, "b", T0 + 1)
    assert entry_b is not None
    first.reschedule(entry_b, T0 + 60, "HTTP 503")  # type: ignore[arg-type]
    second = Outbox(tmp_path)
    pending = second.pending()
    assert [(e.alias, e.attempts, e.next_attempt_at, e.last_error) for e in pending] == [
        ("a", 0, T0, ""),
        ("b", 1, T0 + 60, "HTTP 503"),
    ]
    assert pending[0].body == {"message": "page a", "alias": "a"} and pending[0].route == ROUTE
    _create(second, "c")
    assert [e.id.split("-")[0] for e in second.pending()] == [
        "0000000000000001",
        "0000000000000002",
        "0000000000000003",
    ]


def test_create_for_an_open_alias_is_not_queued_twice_even_after_restart(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    assert _create(outbox, "a") is not None
    assert _create(outbox, "a") is None
    (entry,) = outbox.pending()
    outbox.delivered(entry)
    restarted = Outbox(tmp_path)
    assert _create(restarted, "a") is None and restarted.stats.deduplicated == 1
    assert restarted.is_open("opsgenie", "a") and restarted.open_route("opsgenie", "a") == ROUTE
    # After the close, the same instance recurring pages again.
    assert restarted.enqueue("opsgenie", "close", "a", {"note": "ok"}, {}, T0) is not None
    assert restarted.enqueue("opsgenie", "close", "a", {"note": "ok"}, {}, T0) is None
    assert _create(restarted, "a") is not None
    # The same alias on another target (a webhook) is independent.
    assert _create(restarted, "a", target="webhook:chat") is not None


def test_close_never_overtakes_its_create(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    create = _create(outbox, "a")
    outbox.enqueue("opsgenie", "close", "a", {"note": "ok"}, {}, T0)
    _create(outbox, "b")
    assert [(e.alias, e.action) for e in outbox.due(T0)] == [("a", "create"), ("b", "create")]
    outbox.reschedule(create, T0 + 30, "HTTP 429")  # type: ignore[arg-type]
    assert [(e.alias, e.action) for e in outbox.due(T0 + 1)] == [("b", "create")]  # the close waits
    outbox.delivered(outbox.pending()[0])  # a's create went out at last
    assert [(e.alias, e.action) for e in outbox.due(T0 + 1)] == [("a", "close"), ("b", "create")]


def test_torn_and_leftover_files_are_quarantined_not_fatal(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    _create(outbox, "a")
    pending_dir = tmp_path / "pending"
    (pending_dir / "0000000000000009-create-ffff.json.tmp").write_bytes(b'{"id": "0000000000000009-cr')
    (pending_dir / "0000000000000007-create-eeee.json").write_bytes(b'{"id": "0000000000000007-create-ee')
    (tmp_path / "state" / "broken.json").write_bytes(b"\xff\xfe")
    restarted = Outbox(tmp_path)
    assert [e.alias for e in restarted.pending()] == ["a"]
    assert restarted.stats.corrupt == 2
    assert sorted(p.name for p in (tmp_path / "corrupt").iterdir()) == [
        "0000000000000007-create-eeee.json",
        "broken.json",
    ]
    assert not list(pending_dir.glob("*.tmp"))


def test_no_tmp_file_is_left_and_every_file_is_complete_json(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    for index in range(20):
        _create(outbox, f"a{index}")
    files = list((tmp_path / "pending").iterdir())
    assert len(files) == 20 and all(f.suffix == ".json" for f in files)
    assert all(json.loads(f.read_bytes())["action"] == "create" for f in files)


def test_bounded_pending_and_dead_letters(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path, max_pending=3, max_dead=2)
    for index in range(3):
        _create(outbox, f"a{index}")
    with pytest.raises(OutboxFullError, match="outbox full"):
        _create(outbox, "a3")
    assert len(outbox) == 3 and outbox.stats.dropped == 1 and not outbox.is_open("opsgenie", "a3")
    for entry in outbox.pending():
        outbox.give_up(entry, "HTTP 401: Could not authenticate")
    dead = sorted((tmp_path / "dead").iterdir())
    assert len(dead) == 2 and outbox.stats.given_up == 3 and len(outbox) == 0
    assert json.loads(dead[-1].read_bytes())["last_error"] == "HTTP 401: Could not authenticate"


def test_closed_aliases_are_forgotten_after_a_week(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    outbox.enqueue("opsgenie", "close", "old", {"note": "ok"}, {}, T0)
    _create(outbox, "open")
    assert outbox.prune(T0 + 8 * 24 * 3600) == 1
    assert len(list((tmp_path / "state").iterdir())) == 1 and outbox.is_open("opsgenie", "open")


def test_unknown_action_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="action"):
        Outbox(tmp_path).enqueue("opsgenie", "delete", "a", {}, {}, T0)


def test_survives_kill_minus_9_while_writing(tmp_path: Path) -> None:
    """A process enqueueing as fast as it can is SIGKILLed; every entry it finished is readable and
    nothing is corrupt (a torn write can only be a .tmp file, removed at start)."""
    script = textwrap.dedent(
        f"""
        import sys
        from gateway.alerting.outbox import Outbox
        outbox = Outbox({str(tmp_path)!r})
        index = 0
        while True:
            outbox.enqueue("opsgenie", "create", f"a{{index}}", {{"message": "x" * 2000}}, {{}}, 0.0)
            index += 1
            if index == 20:
                print("ready", flush=True)
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE)
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == b"ready"
        time.sleep(0.2)  # keep writing for a while (this is a subprocess test, not a unit of logic)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
    restarted = Outbox(tmp_path)
    aliases = [e.alias for e in restarted.pending()]
    assert len(aliases) >= 20 and restarted.stats.corrupt == 0
    assert aliases == [f"a{i}" for i in range(len(aliases))]  # no gap: entries are written in order


def test_a_create_given_up_leaves_the_alias_free_to_page_again(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    (entry,) = [_create(outbox, "a")]
    outbox.give_up(entry, "undelivered after 86400 s")  # type: ignore[arg-type]
    assert not outbox.is_open("opsgenie", "a")
    assert _create(Outbox(tmp_path), "a") is not None  # also after a restart
