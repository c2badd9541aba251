"""Gateway assembly pieces that need no sockets: readiness probe, storage target, runtime settings."""

from __future__ import annotations

from datetime import timedelta

from gateway.app import _Readiness, storage_target
from gateway.config import load_config


class FlakyClient:
    def __init__(self) -> None:
        self.fail = False
        self.calls = 0

    def query(self, sql: str) -> None:
        self.calls += 1
        if self.fail:
            raise ConnectionError("connection refused")


def test_readiness_follows_storage_and_caches_for_a_second(monkeypatch):
    now = [100.0]
    monkeypatch.setattr("gateway.app.time.monotonic", lambda: now[0])
    client = FlakyClient()
    ready = _Readiness(client)  # type: ignore[arg-type]
    assert ready()[0] is True
    client.fail = True
    assert ready()[0] is True, "cached within the same second"
    assert client.calls == 1
    now[0] += 1.5
    ok, detail = ready()
    assert ok is False
    assert "connection refused" in detail
    client.fail = False
    now[0] += 1.5
    assert ready()[0] is True


def test_storage_target_carries_database_cluster_and_ttls():
    config = load_config(
        None,
        [
            "clickhouse.database=ml",
            "clickhouse.cluster=analytics",
            "clickhouse.ttl.traces=7d",
            "clickhouse.ttl.ml=12h",
        ],
    )
    target = storage_target(config)
    assert (target.database, target.cluster) == ("ml", "analytics")
    assert target.ttl_seconds == {
        "traces": int(timedelta(days=7).total_seconds()),
        "logs": 0,
        "metrics": 0,
        "ml": 12 * 3600,
    }


def test_shutdown_waits_for_stuck_tasks_once_not_once_per_task(monkeypatch):
    """Six runs stuck on slow queries cost one TASK_STOP_SECONDS together, then writers and clients go."""
    import threading
    import time

    from gateway.app import Gateway
    from gateway.clock import FakeClock
    from gateway.scheduling import PeriodicTask

    monkeypatch.setattr("gateway.app.TASK_STOP_SECONDS", 0.3)
    release = threading.Event()
    started = threading.Semaphore(0)

    def stuck(now: int) -> None:
        started.release()
        release.wait(20)

    gateway = Gateway(load_config(None), FakeClock(), run_tasks=False)
    gateway.tasks = [PeriodicTask(f"task-{i}", 60, stuck, gateway.clock) for i in range(6)]
    for task in gateway.tasks:
        task.start()
    for _ in gateway.tasks:
        assert started.acquire(timeout=5)
    safety = threading.Timer(15, release.set)  # the old code waited 30 s per task
    safety.start()
    try:
        began = time.monotonic()
        assert gateway.shutdown(grace=0) is True
        assert time.monotonic() - began < 1.5
    finally:
        release.set()
        safety.cancel()


def test_shutdown_wakes_the_notification_task_with_the_others(monkeypatch):
    """The notifications task sleeps on its wake event, not the stop event: asked to stop together with
    the others, it must be woken then, not when its turn comes after a stuck task spent the budget."""
    import threading
    import time

    from gateway.alerting.delivery import DeliveryTask
    from gateway.app import Gateway
    from gateway.clock import FakeClock
    from gateway.scheduling import PeriodicTask

    monkeypatch.setattr("gateway.app.TASK_STOP_SECONDS", 0.3)
    release, stuck_started, delivered = threading.Event(), threading.Event(), threading.Event()

    def stuck(now: int) -> None:
        stuck_started.set()
        release.wait(20)

    gateway = Gateway(load_config(None), FakeClock(), run_tasks=False)
    delivery = DeliveryTask("notifications", 60, lambda now: delivered.set(), gateway.clock)
    gateway.tasks = [PeriodicTask("quality", 60, stuck, gateway.clock), delivery]
    for task in gateway.tasks:
        task.start()
    assert stuck_started.wait(5) and delivered.wait(5)  # both ran once; delivery now waits 60 s
    try:
        began = time.monotonic()
        assert gateway.shutdown(grace=0) is True
        assert time.monotonic() - began < 1.5
        assert delivery._thread is not None and not delivery._thread.is_alive()
    finally:
        release.set()
