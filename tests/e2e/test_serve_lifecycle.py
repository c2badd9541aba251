"""`inferwatch serve` start-up failures and SIGTERM with every subsystem on, as separate processes."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.test_serve_process import INFERWATCH, ServeProcess, free_port


def serve_until_it_exits(data_dir: Path, *overrides: str) -> tuple[int, str]:
    """Run `inferwatch serve` with ``--set`` overrides that make it fail; its status and stderr."""
    result = subprocess.run(
        [
            *INFERWATCH,
            "serve",
            "--data-dir",
            str(data_dir),
            "--grpc-endpoint",
            f"127.0.0.1:{free_port()}",
            "--http-endpoint",
            f"127.0.0.1:{free_port()}",
            *(argument for override in overrides for argument in ("--set", override)),
        ],
        capture_output=True,
        timeout=120,
    )
    return result.returncode, result.stderr.decode()


@pytest.mark.parametrize("receiver", ["grpc", "http"])
def test_a_port_in_use_is_named_with_its_config_key(receiver: str, tmp_path: Path) -> None:
    """Running beside an OpenTelemetry Collector that already listens on 4317/4318 is common."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = f"127.0.0.1:{taken.getsockname()[1]}"
        ports = {"grpc": f"127.0.0.1:{free_port()}", "http": f"127.0.0.1:{free_port()}", receiver: busy}
        result = subprocess.run(
            [
                *INFERWATCH,
                "serve",
                *("--data-dir", str(tmp_path / "data")),
                *("--grpc-endpoint", ports["grpc"], "--http-endpoint", ports["http"]),
            ],
            capture_output=True,
            timeout=120,
        )
    stderr = result.stderr.decode()
    assert result.returncode == 1, stderr
    assert f"inferwatch: cannot start: cannot listen on {busy}" in stderr
    assert f"(receivers.{receiver}.endpoint)" in stderr
    assert "Traceback" not in stderr and "GRPC_VERBOSITY" not in stderr


def test_a_bad_rule_file_stops_start_up_with_its_errors_and_status_2(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("- alert: X\n  expr: nosuch_signal > 1\n  severity: P9\n")
    status, stderr = serve_until_it_exits(tmp_path / "data", f"alerting.rule_files=[{rules}]")
    assert status == 2, stderr
    assert f'{rules}:2:9: alert "X": expr: unknown signal "nosuch_signal"' in stderr
    assert "inferwatch rules check" in stderr
    assert "Traceback" not in stderr and "running" not in stderr
    assert "inferwatch stopped" in stderr  # writers and clients were shut down on the way out


def test_a_missing_trigger_file_is_named_without_blaming_the_port(tmp_path: Path) -> None:
    missing = tmp_path / "triggers.yaml"
    status, stderr = serve_until_it_exits(tmp_path / "data", f"performance.trigger_files=[{missing}]")
    assert status == 2, stderr
    assert f"no such file: {missing}" in stderr
    assert "port" not in stderr and "Traceback" not in stderr


def test_sigterm_stops_every_subsystem_within_the_grace_period(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Drift, quality, performance, feedback, alerting and notifications (Opsgenie and a webhook) on,
    every task ticking each second: SIGTERM ends the process with status 0 well inside 30 s."""
    monkeypatch.setenv("INFERWATCH_TEST_GENIE_KEY", "test-key")  # the serve process inherits it
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens: deliveries fail and are retried
    serve = ServeProcess(
        tmp_path / "data",
        *("--set", "notifications.opsgenie.enabled=true"),
        *("--set", "notifications.opsgenie.api_key_env=INFERWATCH_TEST_GENIE_KEY"),
        *("--set", f"notifications.opsgenie.api_url={dead}"),
        *("--set", f"notifications.webhooks=[{{name: hook, url: {dead}/hook}}]"),
        *("--set", f"performance.webhook.url={dead}/retrain"),
        *("--set", "drift.interval=1s", "--set", "quality.interval=1s"),
        *("--set", "performance.interval=1s", "--set", "alerting.evaluation_interval=1s"),
    )
    time.sleep(3)  # let every task run a few times (a process test, not a unit test)
    began = time.monotonic()
    assert serve.stop(signal.SIGTERM) == 0
    assert time.monotonic() - began < 20
    log = serve.log.read_text()
    assert "inferwatch stopped" in log and "Traceback" not in log


def test_sighup_does_not_kill_the_gateway_and_says_nothing_is_reloaded(tmp_path: Path) -> None:
    serve = ServeProcess(tmp_path / "data")
    serve.process.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while "SIGHUP received" not in serve.log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert serve.process.poll() is None, serve.log.read_text()
    assert "restart the gateway" in serve.log.read_text()
    helptext = subprocess.run([*INFERWATCH, "serve", "--help"], capture_output=True, timeout=60, check=True)
    assert b"SIGHUP reloads nothing" in helptext.stdout
    assert serve.query("SELECT 1 AS one") == [{"one": 1}]
    assert serve.stop(signal.SIGTERM) == 0


SERVE_WITH_A_SLOW_TASK = """
import os, signal, sys, threading
import gateway.app
from gateway.app import Gateway
from gateway.cli.main import main
from gateway.scheduling import PeriodicTask

gateway.app.TASK_STOP_SECONDS = 1.0
start_subsystems = Gateway._start_subsystems

def with_a_slow_task(self):
    start_subsystems(self)
    client = self.open_client()

    def slow(now):  # minutes of work in embedded ClickHouse, far beyond any grace period
        threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM)).start()
        client.query("SELECT count() FROM numbers(50000000000) WHERE sipHash64(number) % 7 = 3")

    task = PeriodicTask("slow-evaluation", 600, slow, self.clock)
    self.tasks.append(task)
    task.start()

Gateway._start_subsystems = with_a_slow_task
sys.exit(main(["serve", "--data-dir", sys.argv[1], "--grpc-endpoint", "127.0.0.1:0",
               "--http-endpoint", "127.0.0.1:0"]))
"""


def test_sigterm_while_a_task_is_stuck_in_a_slow_query(tmp_path: Path) -> None:
    """Closing the client of a running embedded query waits for the query, and tearing the interpreter
    down under it crashes: serve leaves that client alone and ends with status 0 right after the flush."""
    began = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", SERVE_WITH_A_SLOW_TASK, str(tmp_path / "data")],
        capture_output=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    stderr = result.stderr.decode()
    assert result.returncode == 0, stderr[-3000:]
    assert "slow-evaluation is still running after" in stderr
    assert "not closing ClickHouse clients: slow-evaluation still running a query" in stderr
    assert "inferwatch stopped" in stderr
    assert time.monotonic() - began < 30  # start-up (migrations) included


def test_a_data_directory_in_use_is_explained(tmp_path: Path) -> None:
    """Embedded ClickHouse opens in one process at a time; chdb only says "Error initializing"."""
    first = ServeProcess(tmp_path / "data")
    try:
        status, stderr = serve_until_it_exits(tmp_path / "data")
        assert status == 1, stderr
        assert f"cannot open the embedded ClickHouse in {tmp_path / 'data' / 'clickhouse'}" in stderr
        assert "another one (an `inferwatch serve`?) may have it open" in stderr
        assert "Traceback" not in stderr
        nobody = f"receivers.http.endpoint=127.0.0.1:{free_port()}"  # so the CLI opens the directory
        query = subprocess.run(
            [*INFERWATCH, "query", "--set", f"data_dir={tmp_path / 'data'}", "--set", nobody, "SELECT 1"],
            capture_output=True,
            timeout=60,
        )
        assert query.returncode == 1
        assert b"pass --url of that gateway" in query.stderr
        assert b"Start `inferwatch serve`" not in query.stderr  # one is running: that advice misleads
    finally:
        assert first.stop() == 0
