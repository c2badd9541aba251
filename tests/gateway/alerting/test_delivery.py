"""Tests of gateway/alerting/delivery.py: outbox entries sent to the local Opsgenie stand-in and a
webhook receiver, with a fake clock deciding when retries are due."""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.alerting.delivery import Deliverer, DeliveryTask, OpsgenieSender, WebhookSender
from gateway.alerting.outbox import Outbox
from gateway.alerting.webhook import SIGNATURE_HEADER
from gateway.clock import FakeClock, SystemClock
from processors.alerting.delivery import BackoffPolicy
from tests.support.opsgenie_server import OpsgenieServer, Reply, StubServer

KEY = "6d1f0c55-genie-key-never-logged"
SECRET = "hook-secret-never-logged"
ENV = {"GENIE_KEY": KEY, "HOOK_SECRET": SECRET}
POLICY = BackoffPolicy(initial_backoff=1.0, max_backoff=60.0, jitter=0.5, max_age=600.0)


@pytest.fixture
def opsgenie() -> Iterator[OpsgenieServer]:
    with OpsgenieServer(KEY).running() as server:
        yield server


class Rig:
    def __init__(
        self, directory: Path, api_url: str, timeout: float = 5.0, policy: BackoffPolicy = POLICY
    ) -> None:
        self.clock = FakeClock()
        self.outbox = Outbox(directory)
        self.route = {"api_url": api_url, "api_key_env": "GENIE_KEY"}
        senders = {"opsgenie": OpsgenieSender(timeout, ENV), "webhook:": WebhookSender(timeout, ENV)}
        self.deliverer = Deliverer(self.outbox, policy, senders, unit_random=lambda: 0.0)

    @property
    def now(self) -> float:
        return self.clock.now_unix_nano() / 1e9

    def create(self, alias: str) -> None:
        body = {"message": f"[P1] HighErrorRate on {alias}", "alias": alias, "priority": "P2"}
        self.outbox.enqueue("opsgenie", "create", alias, body, self.route, self.now)

    def run(self, after: float = 0.0) -> None:
        self.clock.advance(after)
        self.deliverer.run(self.clock.now_unix_nano())


def test_503_is_retried_when_due_and_delivered_once(tmp_path: Path, opsgenie: OpsgenieServer) -> None:
    rig = Rig(tmp_path, opsgenie.url)
    rig.create("a")
    opsgenie.fail_next(Reply(503, {"message": "Service Unavailable"}), Reply(502, {}))
    rig.run()
    (entry,) = rig.outbox.pending()
    assert entry.attempts == 1 and entry.next_attempt_at == rig.now + 1.0 and "HTTP 503" in entry.last_error
    rig.run(0.5)  # not due yet: nothing sent
    assert len(opsgenie.requests) == 1
    rig.run(0.5)
    assert len(opsgenie.requests) == 2 and rig.outbox.pending()[0].next_attempt_at == rig.now + 2.0
    rig.run(2.0)
    assert len(opsgenie.accepted("create")) == 1 and len(rig.outbox) == 0 and rig.outbox.stats.delivered == 1
    rig.run(100.0)
    assert len(opsgenie.requests) == 3


def test_429_retry_after_is_honoured(tmp_path: Path, opsgenie: OpsgenieServer) -> None:
    rig = Rig(tmp_path, opsgenie.url)
    rig.create("a")
    opsgenie.fail_next(Reply(429, {"message": "rate limit"}, {"Retry-After": "30"}))
    rig.run()
    assert rig.outbox.pending()[0].next_attempt_at == rig.now + 30.0
    rig.run(29.0)
    assert len(opsgenie.requests) == 1
    rig.run(1.0)
    assert len(opsgenie.accepted("create")) == 1 and len(rig.outbox) == 0


def test_an_unavailable_target_is_not_hammered_within_a_run(tmp_path: Path, opsgenie: OpsgenieServer) -> None:
    rig = Rig(tmp_path, opsgenie.url)
    for alias in ("a", "b", "c"):
        rig.create(alias)
    opsgenie.fail_next(Reply(503, {}))
    rig.run()
    assert len(opsgenie.requests) == 1  # b and c wait for the next run
    rig.run(1.0)
    assert sorted(alert.alias for alert in opsgenie.history) == ["a", "b", "c"]


def test_given_up_after_max_age_logged_and_counted_without_the_key(
    tmp_path: Path, opsgenie: OpsgenieServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    rig = Rig(tmp_path, opsgenie.url)
    rig.create("a")
    opsgenie.fail_next(*[Reply(500, {"message": f"echo {KEY}"})] * 50)
    for _ in range(30):
        rig.run(60.0)
    assert len(rig.outbox) == 0 and rig.outbox.stats.given_up == 1
    assert 10 <= len(opsgenie.requests) <= 12  # 1, 2, 4, ..., 60 s apart within 600 s
    assert "notification given up: opsgenie create a" in caplog.text and "max age 600 s" in caplog.text
    assert KEY not in caplog.text
    (dead,) = (tmp_path / "dead").iterdir()
    assert KEY not in dead.read_text(encoding="utf-8")


def test_rejected_request_is_given_up_at_once(tmp_path: Path, opsgenie: OpsgenieServer) -> None:
    rig = Rig(tmp_path, opsgenie.url)
    opsgenie.keys = {"rotated-key"}
    rig.create("a")
    rig.run()
    assert rig.outbox.stats.given_up == 1 and len(opsgenie.requests) == 1
    assert "HTTP 401" in (next((tmp_path / "dead").iterdir())).read_text(encoding="utf-8")


def test_slow_answer_times_out_and_the_retry_does_not_open_a_second_alert(
    tmp_path: Path, opsgenie: OpsgenieServer
) -> None:
    rig = Rig(tmp_path, opsgenie.url, timeout=0.3)
    rig.create("a")
    opsgenie.fail_next(
        Reply(202, {"result": "Request will be processed", "took": 1.0, "requestId": "r"}, delay=1.0)
    )
    rig.run()
    assert rig.outbox.pending()[0].attempts == 1  # no reply in time: retried later
    rig.run(1.0)
    assert len(rig.outbox) == 0
    # The slow request may still have reached Opsgenie: the alias de-duplicates it into one alert.
    assert len(opsgenie.history) == 1


def test_network_error_is_retried(tmp_path: Path) -> None:
    rig = Rig(tmp_path, "http://127.0.0.1:9")
    rig.create("a")
    rig.run()
    (entry,) = rig.outbox.pending()
    assert entry.attempts == 1 and "no reply" in entry.last_error


def test_close_and_note_follow_the_create_in_order(tmp_path: Path, opsgenie: OpsgenieServer) -> None:
    rig = Rig(tmp_path, opsgenie.url)
    rig.create("a")
    rig.outbox.enqueue("opsgenie", "note", "a", {"note": "worse", "source": "s"}, rig.route, rig.now)
    rig.outbox.enqueue("opsgenie", "close", "a", {"note": "ok", "source": "s"}, rig.route, rig.now)
    for _ in range(3):
        rig.run()
    assert [r.path.rsplit("/", 1)[-1] for r in opsgenie.requests] == ["alerts", "notes", "close"]
    (alert,) = opsgenie.history
    assert alert.closed and alert.notes == ["worse"]


def test_webhook_delivery_is_signed_with_the_secret_from_env(tmp_path: Path) -> None:
    with StubServer().running() as hook:
        rig = Rig(tmp_path, "http://unused")
        route = {"url": hook.url + "/alerts", "secret_env": "HOOK_SECRET"}
        rig.outbox.enqueue("webhook:chat", "create", "a", {"event": "firing", "alias": "a"}, route, rig.now)
        hook.fail_next(Reply(503, {}))
        rig.run()
        rig.run(1.0)
        assert len(rig.outbox) == 0 and len(hook.requests) == 2
        request = hook.requests[-1]
        expected = hmac.new(SECRET.encode(), request.raw, hashlib.sha256).hexdigest()
        assert request.headers[SIGNATURE_HEADER] == f"sha256={expected}"
        assert request.body == {"event": "firing", "alias": "a"}


def test_restart_with_undelivered_entries_delivers_them(tmp_path: Path, opsgenie: OpsgenieServer) -> None:
    first = Rig(tmp_path, opsgenie.url)
    first.create("a")
    opsgenie.fail_next(Reply(503, {}))
    first.run()
    second = Rig(tmp_path, opsgenie.url)  # a new process: same directory, fresh objects
    second.clock.advance(first.now - second.now)
    second.run(1.0)
    assert len(opsgenie.accepted("create")) == 1 and len(second.outbox) == 0


def test_the_delivery_task_runs_at_once_when_woken_not_at_its_next_tick() -> None:
    # The interval is an hour: only wake() can start the second run within the deadline.
    runs: list[int] = []
    ran = threading.Event()

    def run(now_unix_nano: int) -> None:
        runs.append(now_unix_nano)
        ran.set()

    task = DeliveryTask("notifications", 3600, run, SystemClock())
    task.start()
    try:
        assert ran.wait(5) and len(runs) == 1  # the first run at start
        ran.clear()
        task.wake()
        assert ran.wait(5) and len(runs) == 2
    finally:
        task.stop(timeout=5)
    assert task._thread is not None and not task._thread.is_alive()  # stop() ends the wait at once
