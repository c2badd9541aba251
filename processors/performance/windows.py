"""Evaluation windows by prediction time: aligned, fixed-length, re-evaluated while labels arrive.

Reads: the evaluation time, a window length and step. Writes: nothing (pure). Config keys:
``performance.windows[].{name, length, lookback, step}`` (the gateway passes them in).

Windows end at every multiple of ``step`` since the Unix epoch and cover the ``length`` before their
end: [end − length, end). With the default step (= length) they tile time: window k covers
[k·length, (k+1)·length), so a 1 d window is a UTC day. A shorter step makes them slide (a 1 d window
every hour: the last 24 hours, hour by hour). Either way every gateway replica computes the same window
ends (the series key). The window ending at the first step boundary after ``now`` is evaluated too
(``complete`` False) and written under its final end, so its point is replaced as it fills; windows
that ended within ``lookback`` are re-evaluated at every run because labels arrive hours or days after
their predictions.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    """Prediction times [start, end) in ns since the epoch; ``name`` is the ``window`` label."""

    name: str
    start_unix_nano: int
    end_unix_nano: int
    complete: bool

    def contains(self, unix_nano: int) -> bool:
        return self.start_unix_nano <= unix_nano < self.end_unix_nano


def window_index(unix_nano: int, length_nano: int) -> int:
    """The index k of the window holding ``unix_nano``."""
    return unix_nano // length_nano


def windows_to_evaluate(
    name: str, now_unix_nano: int, length_nano: int, lookback_nano: int, step_nano: int = 0
) -> list[Window]:
    """The window ending at the first step boundary after ``now`` and every earlier one that ended after
    ``now - lookback``, oldest first. ``step_nano`` 0 means ``length_nano`` (tiling windows)."""
    if length_nano <= 0:
        raise ValueError(f"window length must be positive, got {length_nano} ns")
    if lookback_nano < 0:
        raise ValueError(f"lookback must not be negative, got {lookback_nano} ns")
    step = step_nano or length_nano
    if step < 0 or length_nano % step:
        raise ValueError(f"step must divide the window length, got {step} ns for {length_nano} ns")
    current_end = (window_index(now_unix_nano, step) + 1) * step
    windows = []
    end = current_end
    while end == current_end or end > now_unix_nano - lookback_nano:
        windows.append(Window(name, end - length_nano, end, complete=end <= now_unix_nano))
        end -= step
    return windows[::-1]
