"""Retraining triggers: declared in YAML, evaluated over stored daily series, fired once per episode.

Reads: trigger files (``performance.trigger_files``) and the series the gateway passes in. Writes:
nothing (pure). See docs/performance-metrics.md (Retraining triggers).
"""

from processors.performance.triggers.evaluate import (
    DailyValue,
    data_firing,
    series_firing,
    time_firing,
)
from processors.performance.triggers.loader import load_triggers
from processors.performance.triggers.model import Firing, Trigger, TriggerError, TriggerLoadError

__all__ = [
    "DailyValue",
    "Firing",
    "Trigger",
    "TriggerError",
    "TriggerLoadError",
    "data_firing",
    "load_triggers",
    "series_firing",
    "time_firing",
]
