"""Model performance in the gateway: the "performance" task (window metrics, concept drift, triggers).

Reads: ``performance.*`` config, the trigger files. Writes: a ``PeriodicTask`` on ``gateway.tasks``.
"""

from __future__ import annotations

from typing import Any

from gateway.performance.retraining import RetrainingTriggers, load_trigger_files
from gateway.performance.windows_task import evaluate_performance
from gateway.scheduling import PeriodicTask

__all__ = ["register_performance"]


def register_performance(gateway: Any) -> None:
    """Add the "performance" task when ``performance.enabled``; a bad trigger file stops the start
    with its FILE:LINE:COL errors."""
    config = gateway.config.performance
    if not config.enabled:
        return
    triggers = load_trigger_files(config.trigger_files)
    client = gateway.open_client()
    retraining = RetrainingTriggers(config, triggers, client, gateway.notifiers) if triggers else None

    def run(now: int) -> None:
        evaluate_performance(config, client, now)
        if retraining is not None:
            retraining.run(now)

    gateway.tasks.append(PeriodicTask("performance", config.interval.total_seconds(), run, gateway.clock))
