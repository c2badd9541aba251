"""Tests for gateway.scheduling.PeriodicTask: runs on the clock's time, survives failures, stops."""

from __future__ import annotations

import threading

import pytest

from gateway.clock import FakeClock
from gateway.scheduling import PeriodicTask


def test_run_once_passes_the_clock_time() -> None:
    clock = FakeClock(start_unix_nano=5_000_000_000)
    seen: list[int] = []
    task = PeriodicTask("t", 60, seen.append, clock)
    assert task.run_once() is True
    clock.advance(60)
    assert task.run_once() is True
    assert seen == [5_000_000_000, 65_000_000_000]
    assert (task.runs, task.failures, task.last_error) == (2, 0, None)


def test_a_failing_run_is_counted_and_the_next_one_still_runs() -> None:
    calls: list[int] = []

    def run(now: int) -> None:
        calls.append(now)
        if len(calls) == 1:
            raise RuntimeError("ClickHouse went away")

    task = PeriodicTask("drift", 1, run, FakeClock())
    assert task.run_once() is False
    assert task.failures == 1 and task.last_error == "RuntimeError: ClickHouse went away"
    assert task.run_once() is True
    assert task.last_error is None and task.runs == 2 and len(calls) == 2


def test_a_non_positive_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="alerts: the interval must be positive"):
        PeriodicTask("alerts", 0, lambda now: None, FakeClock())


def test_the_thread_runs_until_stopped() -> None:
    ran = threading.Event()
    task = PeriodicTask("t", 0.01, lambda now: ran.set(), FakeClock())
    task.start()
    assert ran.wait(5), "the task never ran"
    task.stop(timeout=5)
    runs = task.runs
    assert task._thread is not None and not task._thread.is_alive()
    assert task.runs == runs  # nothing runs after stop


def test_stop_before_start_is_safe() -> None:
    PeriodicTask("t", 1, lambda now: None, FakeClock()).stop()


def test_a_repeated_failure_logs_its_traceback_once(caplog: pytest.LogCaptureFixture) -> None:
    errors = iter(["connection refused", "connection refused", "connection refused", "timeout"])

    def run(now: int) -> None:
        raise ConnectionError(next(errors))

    task = PeriodicTask("notification-delivery", 1, run, FakeClock())
    with caplog.at_level("ERROR", logger="gateway.scheduling"):
        for _ in range(4):
            assert task.run_once() is False
    records = [r for r in caplog.records if r.name == "gateway.scheduling"]
    assert [r.exc_info is not None for r in records] == [True, False, False, True]
    assert "3 times in a row" in records[2].getMessage()
    assert "ConnectionError: connection refused" in records[2].getMessage()
    assert task.failures == 4 and task.last_error == "ConnectionError: timeout"


def test_errors_differing_only_in_query_ids_and_numbers_count_as_repeats(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """ClickHouse's connection errors name a fresh query_id (and ports, times) on every attempt."""
    ids = iter(["3ab2d0d0-badc-44dd-ae68-affa875bdd6c", "9f1c2e7a-0b1d-4c3e-8f00-1234567890ab"])

    def run(now: int) -> None:
        raise ConnectionError(f"http://127.0.0.1:8123/?query_id={next(ids)} refused after {now} ns")

    clock = FakeClock()
    task = PeriodicTask("alerting", 60, run, clock)
    with caplog.at_level("ERROR", logger="gateway.scheduling"):
        task.run_once()
        clock.advance(60)
        task.run_once()
    records = [r for r in caplog.records if r.name == "gateway.scheduling"]
    assert [r.exc_info is not None for r in records] == [True, False]
    assert "9f1c2e7a-0b1d-4c3e-8f00-1234567890ab" in records[1].getMessage()  # the full message stays


def test_stop_gives_up_on_a_run_that_hangs_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    release = threading.Event()
    started = threading.Event()

    def run(now: int) -> None:
        started.set()
        release.wait(10)  # a query stuck in ClickHouse

    task = PeriodicTask("quality", 60, run, FakeClock())
    task.start()
    assert started.wait(5)
    with caplog.at_level("WARNING", logger="gateway.scheduling"):
        assert task.stop(timeout=0.2) is False
    assert "quality is still running after 0.2 s" in caplog.text
    release.set()
    assert task.stop(timeout=5) is True
