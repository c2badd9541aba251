"""When each span of a request starts and ends: planned from given durations (exact), or read from a clock.

Reads: the ``stage_durations_ms`` and ``start_ns`` options of ``ModelService.handle``. Writes: nothing.
Planned timelines let tests and the traffic driver produce spans whose durations are exactly what they chose.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from examples.model_service.conventions import (
    STAGE_INFERENCE,
    STAGE_NETWORK,
    STAGE_POSTPROCESS,
    STAGE_PREPROCESS,
    STAGE_QUEUE,
)

# The stages of one request in the order they run; "network" only when the durations name it.
STAGE_ORDER = (STAGE_NETWORK, STAGE_QUEUE, STAGE_PREPROCESS, STAGE_INFERENCE, STAGE_POSTPROCESS)
# A durations key for the whole SERVER span, when it lasts longer than its stages.
REQUEST_TOTAL = "request"
# Used for the stages the durations leave out.
DEFAULT_STAGE_DURATIONS_MS: Mapping[str, float] = {
    STAGE_QUEUE: 2.0,
    STAGE_PREPROCESS: 3.0,
    STAGE_INFERENCE: 12.0,
    STAGE_POSTPROCESS: 1.0,
}


def select_stages(durations_ms: Mapping[str, float] | None, failing_stage: str | None) -> tuple[str, ...]:
    """The stages that run: the pipeline (after a network stage when one is timed), up to a failing stage."""
    given = durations_ms or {}
    unknown = sorted(set(given) - {*STAGE_ORDER, REQUEST_TOTAL})
    if unknown:
        expected = (*STAGE_ORDER, REQUEST_TOTAL)
        raise ValueError(f"stage_durations_ms: unknown stage {unknown[0]!r}; expected one of {expected}")
    stages = tuple(stage for stage in STAGE_ORDER if stage != STAGE_NETWORK or stage in given)
    if failing_stage is None:
        return stages
    if failing_stage not in stages:
        raise ValueError(f"failing_stage: must be one of {stages}, got {failing_stage!r}")
    return stages[: stages.index(failing_stage) + 1]


def to_ns(milliseconds: float, name: str) -> int:
    """Milliseconds as whole nanoseconds; ``name`` is the option named in the error."""
    if isinstance(milliseconds, bool) or not isinstance(milliseconds, (int, float)):
        raise ValueError(f"{name}: must be a number of milliseconds, got {milliseconds!r}")
    if not 0 <= milliseconds < math.inf:
        raise ValueError(f"{name}: must be a finite number of milliseconds >= 0, got {milliseconds!r}")
    return round(milliseconds * 1_000_000)


class Timeline:
    """Span times of one request. ``start`` is the SERVER span's start; ``now`` the next stage's start."""

    def __init__(self, start: int, durations_ns: dict[str, int] | None, clock: Callable[[], int]) -> None:
        self.start = start
        self.now = start
        self._durations_ns = durations_ns
        self._clock = clock

    @classmethod
    def planned(
        cls, stages: tuple[str, ...], durations_ms: Mapping[str, float] | None, start: int
    ) -> Timeline:
        """Stages back to back from ``start``, each as long as given (else DEFAULT_STAGE_DURATIONS_MS)."""
        given = durations_ms or {}
        durations_ns = {
            stage: to_ns(
                given.get(stage, DEFAULT_STAGE_DURATIONS_MS.get(stage, 0.0)), f"stage_durations_ms.{stage}"
            )
            for stage in stages
        }
        if REQUEST_TOTAL in given:
            total = to_ns(given[REQUEST_TOTAL], f"stage_durations_ms.{REQUEST_TOTAL}")
            stages_ns = sum(durations_ns.values())
            if total < stages_ns:
                raise ValueError(
                    f"stage_durations_ms.{REQUEST_TOTAL}: {given[REQUEST_TOTAL]!r} ms is shorter than the "
                    f"stages it contains ({stages_ns / 1e6} ms)"
                )
            durations_ns[REQUEST_TOTAL] = total
        return cls(start, durations_ns, lambda: start)

    @classmethod
    def live(cls, clock: Callable[[], int]) -> Timeline:
        """Times read from ``clock`` as the work happens."""
        return cls(clock(), None, clock)

    def end_stage(self, stage: str) -> int:
        """End the current stage; the next one starts where it ended."""
        if self._durations_ns is None:
            self.now = max(self.now, self._clock())
        else:
            self.now += self._durations_ns[stage]
        return self.now

    def finish(self) -> int:
        """The SERVER span's end."""
        if self._durations_ns is None:
            return max(self.now, self._clock())
        if REQUEST_TOTAL in self._durations_ns:
            return self.start + self._durations_ns[REQUEST_TOTAL]
        return self.now
