"""Evaluation windows by prediction time: aligned, fixed-length, re-evaluated while labels arrive.

Reads: the evaluation time and a window length. Writes: nothing (pure). Config keys:
``performance.windows[].{name, length, lookback}`` (the gateway passes them in).

Window k covers prediction times [k·length, (k+1)·length) since the Unix epoch, so a 1 d window is a
UTC day and every gateway replica computes the same window ends (the series key). The window that
holds ``now`` is evaluated too (``complete`` False) and written under its final end, so its point is
replaced as the window fills; windows that ended within ``lookback`` are re-evaluated at every run
because labels arrive hours or days after their predictions.
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


def windows_to_evaluate(name: str, now_unix_nano: int, length_nano: int, lookback_nano: int) -> list[Window]:
    """The window holding ``now`` and every earlier one that ended after ``now - lookback``, oldest first."""
    if length_nano <= 0:
        raise ValueError(f"window length must be positive, got {length_nano} ns")
    if lookback_nano < 0:
        raise ValueError(f"lookback must not be negative, got {lookback_nano} ns")
    current = window_index(now_unix_nano, length_nano)
    windows = []
    index = current
    while True:
        end = (index + 1) * length_nano
        if index != current and end <= now_unix_nano - lookback_nano:
            break
        windows.append(Window(name, index * length_nano, end, complete=end <= now_unix_nano))
        index -= 1
    return windows[::-1]
