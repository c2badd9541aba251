"""From an ``AlertEvent`` to what is queued: the Opsgenie request (create / close / note) and the
webhook document.

Reads: the event, the context gathered by the caller, the route. Writes: nothing (pure: plain dicts
ready for ``json.dumps``). Config keys: none (the caller passes ``source``, ``user``, the route).

firing → ``create`` (message, alias, description with context and runbook, priority, tags, details,
entity, source, responders); resolved → ``close`` by alias; escalated → ``note`` by alias.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from processors.alerting.events import AlertEvent
from processors.alerting.opsgenie import (
    Deployment,
    ErrorClass,
    Notification,
    RelatedSignal,
    Route,
    alias,
    close_payload,
    create_payload,
    note_payload,
)

ACTION_BY_KIND = {"firing": "create", "resolved": "close", "escalated": "note"}
WEBHOOK_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Request:
    """One request to queue: ``action`` create | close | note, its ``alias`` and JSON ``body``."""

    action: str
    alias: str
    body: Mapping[str, Any]


def notification(
    event: AlertEvent,
    deployments: Iterable[Deployment] = (),
    error_classes: Iterable[ErrorClass] = (),
    related_signals: Iterable[RelatedSignal] = (),
) -> Notification:
    return Notification(
        rule=event.rule,
        severity=event.severity,
        labels=event.labels,
        value=event.value,
        threshold=event.threshold,
        window=event.window,
        summary=event.summary or event.rule,
        fired_at=event.fired_at,
        category=event.category,
        runbook=event.runbook,
        deployments=tuple(deployments),
        error_classes=tuple(error_classes),
        related_signals=tuple(related_signals),
    )


def opsgenie_request(
    event: AlertEvent,
    source: str,
    user: str,
    chosen_route: Route,
    context: Notification | None = None,
) -> Request:
    """The Opsgenie request for ``event``; ``context`` (firing only) is the notification with context."""
    key = alias(event.rule, event.labels)
    action = ACTION_BY_KIND[event.kind]
    if action == "create":
        body: Mapping[str, Any] = create_payload(context or notification(event), source, chosen_route)
    elif action == "close":
        body = close_payload(event.rule, event.labels, event.value, event.at, source, user)
    else:
        reached = event.escalated_to or event.severity
        crossed = f"the {reached} threshold"
        body = note_payload(notification(event), reached, crossed, source, user, at=event.at)
    return Request(action, key, body)


def webhook_document(
    event: AlertEvent, source: str, opsgenie_body: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The JSON a webhook receives for ``event`` (schema version 1, documented in docs/opsgenie.md)."""
    document: dict[str, Any] = {
        "version": WEBHOOK_SCHEMA_VERSION,
        "event": event.kind,
        "alias": alias(event.rule, event.labels),
        "rule": event.rule,
        "severity": event.severity,
        "labels": dict(sorted(event.labels.items())),
        "value": event.value if math.isfinite(event.value) else None,  # NaN and Inf are not JSON
        "threshold": event.threshold,
        "window": event.window,
        "summary": event.summary,
        "annotations": dict(event.annotations),
        "category": event.category,
        "runbook": event.runbook,
        "at": event.at,
        "fired_at": event.fired_at,
        "escalated_to": event.escalated_to,
        "source": source,
    }
    if opsgenie_body is not None:  # the page as Opsgenie gets it (message, description, priority)
        for name in ("message", "description", "priority", "tags"):
            if name in opsgenie_body:
                document[name] = opsgenie_body[name]
    return document
