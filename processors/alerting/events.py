"""What the alert evaluator hands to the notifiers: one ``AlertEvent`` per notifiable change.

Reads: nothing. Writes: nothing (pure data). The evaluator (``gateway.alerting.evaluator``) emits
an event when an instance starts firing, resolves, or worsens past the next severity while firing;
the notifier (``gateway.alerting.notifier``) gathers context (deployments, error classes, related
drift and quality signals), turns it into an Opsgenie create / close / note or a webhook call, and
delivers it through its durable outbox.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

EVENT_KINDS = ("firing", "resolved", "escalated")


@dataclass(frozen=True)
class AlertEvent:
    """One notifiable change of one alert instance (rule + label set). Times: epoch seconds."""

    kind: str  # firing | resolved | escalated (value worsened past the next severity's threshold)
    rule: str
    severity: str  # P0..P3
    labels: Mapping[str, str]  # the instance's labels, model and version included
    value: float
    threshold: str  # the condition as written, e.g. "error_rate > 0.05"
    window: str  # e.g. "5m"
    summary: str  # the rendered summary annotation (or the rule name)
    at: float  # when the change happened
    fired_at: float  # when the instance started firing
    annotations: Mapping[str, str] = field(default_factory=dict)  # rendered
    runbook: str | None = None
    category: str = ""  # e.g. "error-rate", "latency", "drift", "quality", "performance"
    escalated_to: str | None = None  # for kind "escalated": the severity now reached
    # (error class, failed requests) in the rule window, most first, when the evaluator read them this
    # cycle; None: the notifier queries them.
    error_classes: tuple[tuple[str, int], ...] | None = None

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"kind: must be one of {', '.join(EVENT_KINDS)}, got {self.kind!r}")
        object.__setattr__(self, "labels", MappingProxyType(dict(self.labels)))
        object.__setattr__(self, "annotations", MappingProxyType(dict(self.annotations)))
