"""Tests of processors/alerting/notifications.py: events to Opsgenie requests and webhook documents,
bodies checked with the official opsgenie-sdk models."""

from __future__ import annotations

import json
import math

import pytest

from processors.alerting.events import AlertEvent
from processors.alerting.notifications import notification, opsgenie_request, webhook_document
from processors.alerting.opsgenie import (
    HIGH_ERROR_RATE_RUNBOOK,
    Deployment,
    ErrorClass,
    Responder,
    Route,
    alias,
)
from tests.support import opsgenie_models
from tests.support.alert_events import alert_event

AT = 1_780_000_000.0
LABELS = {"model": "fraud", "version": "2.2.0"}
ROUTE = Route("env:KEY", (Responder("team", name="ml-oncall"), Responder("user", username="a@b.c")))


def _event(kind: str = "firing", **overrides: object) -> AlertEvent:
    return alert_event(kind, **{"labels": LABELS, "at": AT + 300, "fired_at": AT, **overrides})


def test_firing_is_a_create_with_context_and_route() -> None:
    event = _event()
    page = notification(event, [Deployment("2.2.0", AT - 600)], [ErrorClass("http.503", 40)])
    request = opsgenie_request(event, "inferwatch@gw", "inferwatch", ROUTE, page)
    body = request.body
    assert request.action == "create" and request.alias == alias("HighErrorRate", LABELS) == body["alias"]
    assert body["priority"] == "P2" and body["entity"] == "fraud" and body["source"] == "inferwatch@gw"
    assert {"model:fraud", "version:2.2.0", "severity:P1", "category:error-rate"} <= set(body["tags"])
    assert "2.2.0 rolled out 10 minutes before this alert" in body["description"]
    assert "http.503: 40" in body["description"] and HIGH_ERROR_RATE_RUNBOOK in body["description"]
    assert body["responders"] == [
        {"name": "ml-oncall", "type": "team"},
        {"username": "a@b.c", "type": "user"},
    ]
    opsgenie_models.validate("create", body)


def test_resolved_is_a_close_by_the_same_alias() -> None:
    request = opsgenie_request(_event("resolved", value=0.01, at=AT + 900), "gw", "bot", ROUTE)
    assert request.action == "close" and request.alias == alias("HighErrorRate", LABELS)
    assert request.body["user"] == "bot" and "Resolved at 2026-05-28T20:41:40Z" in request.body["note"]
    opsgenie_models.validate("close", request.body)


def test_escalated_is_a_note_naming_the_new_severity_and_time() -> None:
    event = _event("escalated", value=0.14, escalated_to="P0", threshold="error_rate > 0.10", at=AT + 600)
    request = opsgenie_request(event, "gw", "inferwatch", ROUTE)
    assert request.action == "note"
    assert request.body["note"].startswith("Worsened to P0 at 2026-05-28T20:36:40Z: value 0.14")
    assert "crossed the P0 threshold (was P1, error_rate > 0.10)" in request.body["note"]
    opsgenie_models.validate("note", request.body)


def test_sdk_oracle_rejects_what_opsgenie_rejects() -> None:
    body = dict(opsgenie_request(_event(), "gw", "u", ROUTE).body)
    with pytest.raises(ValueError, match="priority"):
        opsgenie_models.validate("create", {**body, "priority": "P0"})
    with pytest.raises(AssertionError):
        opsgenie_models.validate("create", {**body, "entitty": "typo"})


@pytest.mark.parametrize("value", [0.08, math.nan, math.inf])
def test_webhook_document_is_strict_json(value: float) -> None:
    event = _event(value=value)
    document = webhook_document(event, "gw", {"message": "m", "priority": "P2", "alias": "x"})
    decoded = json.loads(json.dumps(document, allow_nan=False))
    assert decoded["event"] == "firing" and decoded["alias"] == alias("HighErrorRate", LABELS)
    assert decoded["value"] == (value if math.isfinite(value) else None)
    assert decoded["message"] == "m" and decoded["priority"] == "P2" and decoded["labels"] == LABELS
    assert decoded["version"] == 1
