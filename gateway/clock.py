"""The one place that reads the system clock.

Everything else takes a ``Clock`` (or a ``now`` value) so tests can drive time by hand.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now_unix_nano(self) -> int:
        """Wall-clock time, nanoseconds since the Unix epoch."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back, for intervals and deadlines."""


class SystemClock:
    def now_unix_nano(self) -> int:
        return time.time_ns()

    def monotonic(self) -> float:
        return time.monotonic()


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, start_unix_nano: int = 1_700_000_000_000_000_000) -> None:
        self._now = start_unix_nano
        self._monotonic = 1000.0

    def now_unix_nano(self) -> int:
        return self._now

    def monotonic(self) -> float:
        return self._monotonic

    def advance(self, seconds: float) -> None:
        self._now += int(seconds * 1e9)
        self._monotonic += seconds
