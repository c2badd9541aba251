"""One ``AlertEvent`` builder for the notification tests and bench: the guide's high-error-rate alert
(P1, ``error_rate > 0.05`` over 5m) on fraud-detector 2.2.0, any field overridable."""

from __future__ import annotations

from processors.alerting.events import AlertEvent

RULE = "HighErrorRate"
LABELS = {"model": "fraud-detector", "version": "2.2.0"}
SUMMARY = "Error rate above 5% for 5 minutes"


def alert_event(kind: str = "firing", at: float = 1_780_000_000.0, **overrides: object) -> AlertEvent:
    """``fired_at`` defaults to ``at``."""
    fields: dict[str, object] = {
        "kind": kind,
        "rule": RULE,
        "severity": "P1",
        "labels": LABELS,
        "value": 0.08,
        "threshold": "error_rate > 0.05",
        "window": "5m",
        "summary": SUMMARY,
        "at": at,
        "fired_at": at,
        "category": "error-rate",
    }
    fields.update(overrides)
    return AlertEvent(**fields)  # type: ignore[arg-type]
