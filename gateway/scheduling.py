"""Periodic work inside the gateway: drift, quality and performance evaluations, alert rules, delivery.

Reads: a ``Clock``. Writes: nothing itself; each task's ``run`` does its own I/O.
A ``PeriodicTask`` calls ``run(now_unix_nano)`` every ``interval`` seconds on its own thread. A
failing run is the task's boundary: it is logged, counted (``failures``) and retried at the next
tick, never allowed to kill the thread. A failure repeating the previous one's error (numbers and
ids aside) is logged on one line without the traceback (a task retried every second against a
stopped ClickHouse would otherwise fill the log). Tests call ``run_once`` with a ``FakeClock``
instead of starting the thread, so nothing in them sleeps.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable

from gateway.clock import Clock

log = logging.getLogger(__name__)


def _shape(message: str) -> str:
    """An error message without its numbers and ids: ClickHouse errors carry a new query_id and
    times each run, and the same failure should still count as a repeat."""
    return re.sub(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}|\d+", "#", message)


class PeriodicTask:
    """``run(now_unix_nano)`` every ``interval`` seconds; the first run after ``initial_delay``."""

    def __init__(
        self,
        name: str,
        interval: float,
        run: Callable[[int], None],
        clock: Clock,
        *,
        initial_delay: float = 0.0,
    ) -> None:
        if interval <= 0:
            raise ValueError(f"{name}: the interval must be positive, got {interval}")
        self.name = name
        self.interval = interval
        self.initial_delay = initial_delay
        self._run = run
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0
        self.failures = 0
        self.last_error: str | None = None
        self._repeats = 0  # failures in a row with the same error after the first (logged short)

    def run_once(self) -> bool:
        """One run at the clock's current time; False (logged and counted) when it raised."""
        try:
            self._run(self._clock.now_unix_nano())
        except Exception as error:  # boundary: a failed evaluation must not stop the next ones
            self.failures += 1
            message = f"{type(error).__name__}: {error}"
            if self.last_error is not None and _shape(message) == _shape(self.last_error):
                self._repeats += 1
                log.error(
                    "%s failed again (%d times in a row, same kind of error: %s); it runs again in %.0f s",
                    self.name,
                    self._repeats + 1,
                    message,
                    self.interval,
                )
            else:
                self._repeats = 0
                log.exception("%s failed (it runs again in %.0f s)", self.name, self.interval)
            self.last_error = message
            return False
        finally:
            self.runs += 1
        self.last_error = None
        return True

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        if self._stop.wait(self.initial_delay):
            return
        while True:
            started = self._clock.monotonic()
            self.run_once()
            elapsed = self._clock.monotonic() - started
            if self._stop.wait(max(0.0, self.interval - elapsed)):
                return

    def request_stop(self) -> None:
        """Ask the thread to stop after its current run without waiting (shutdown asks every task
        first, then waits for them together, so N slow runs cost one timeout, not N)."""
        self._stop.set()

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop after the current run (if any) finishes; False (logged) when it is still running after
        ``timeout`` (its thread is a daemon: it ends with the process). Safe to call before ``start``."""
        self.request_stop()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("%s is still running after %.1f s; not waiting for it", self.name, timeout)
            return False
        return True
