"""The data-quality subsystem of the gateway: ``register_quality(gateway)`` adds the periodic task.

Reads: ``quality.*`` (rule files are loaded here, once, so a bad file stops the start with every
error listed). Writes: nothing itself; the task ``quality`` (``gateway.quality.evaluation``) writes
``ml_quality`` and ``ml_quality_violations``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.quality.evaluation import QualityEvaluator, QualityRulesError, load_rule_files
from gateway.scheduling import PeriodicTask

if TYPE_CHECKING:
    from gateway.app import Gateway

__all__ = ["QualityEvaluator", "QualityRulesError", "register_quality"]

TASK_NAME = "quality"


def register_quality(gateway: Gateway) -> QualityEvaluator | None:
    """Add the ``quality`` task when enabled and some rule file is configured; None otherwise."""
    config = gateway.config.quality
    if not config.enabled or not config.rule_files:
        return None
    rules = load_rule_files(config.rule_files)
    evaluator = QualityEvaluator(gateway.open_client(), gateway.config, rules)
    gateway.tasks.append(
        PeriodicTask(TASK_NAME, config.interval.total_seconds(), evaluator.run, gateway.clock)
    )
    return evaluator
