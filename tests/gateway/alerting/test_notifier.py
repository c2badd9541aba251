"""Tests of gateway/alerting/notifier.py: events to queued requests — routing by severity and labels,
close and notes following the create's route, webhooks by event kind, context failures still page."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from gateway.alerting.context import ContextSource, PageContext
from gateway.alerting.notifier import Notifier, check_keys
from gateway.alerting.outbox import Outbox, OutboxFullError
from gateway.config.notifications_schema import (
    NotificationsConfig,
    OpsgenieConfig,
    OpsgenieRouteConfig,
    ResponderConfig,
    WebhookConfig,
)
from processors.alerting.events import AlertEvent
from processors.alerting.opsgenie import Deployment, ErrorClass, alias
from tests.support.alert_events import alert_event

AT = 1_780_000_000.0
FRAUD = {"model": "fraud", "version": "2.2.0", "team": "fraud"}
OPSGENIE = OpsgenieConfig(
    enabled=True,
    api_url="https://api.eu.opsgenie.com",
    api_key_env="DEFAULT_KEY",
    source="gw-1",
    priority_map={"P3": "P5"},
    routes=(
        OpsgenieRouteConfig(
            severities=("P0", "P1"),
            match={"team": "fraud"},
            api_key_file="/run/secrets/fraud",
            responders=(ResponderConfig("team", name="fraud-oncall"),),
        ),
        OpsgenieRouteConfig(
            match={"team": "search"}, responders=(ResponderConfig("schedule", name="search"),)
        ),
    ),
)


def _event(
    kind: str = "firing", labels: dict[str, str] = FRAUD, severity: str = "P1", **extra: object
) -> AlertEvent:
    return alert_event(kind, AT, labels=labels, severity=severity, **extra)


class FixedContext:
    failures = 0

    def gather(self, event: AlertEvent) -> PageContext:
        return PageContext((Deployment("2.2.0", AT - 60),), (ErrorClass("ModelLoadError", 7),))


class CountingContext(FixedContext):
    calls = 0

    def gather(self, event: AlertEvent) -> PageContext:
        self.calls += 1
        return super().gather(event)


def _notifier(tmp_path: Path, config: NotificationsConfig, context: object = None) -> Notifier:
    return Notifier(config, Outbox(tmp_path), context, lambda: AT)  # type: ignore[arg-type]


def test_route_by_severity_and_labels(tmp_path: Path) -> None:
    notifier = _notifier(tmp_path, NotificationsConfig(opsgenie=OPSGENIE), FixedContext())
    notifier(_event())  # P1, team fraud: the fraud route
    notifier(_event(labels={"model": "ranker", "team": "search"}, severity="P3"))  # second route, default key
    notifier(_event(labels={"model": "fraud", "team": "fraud", "pod": "x"}, severity="P2"))  # P2: no route
    fraud, search, default = notifier.outbox.pending()
    assert fraud.route == {"api_url": "https://api.eu.opsgenie.com", "api_key_file": "/run/secrets/fraud"}
    assert fraud.body["responders"] == [{"name": "fraud-oncall", "type": "team"}]
    assert fraud.body["priority"] == "P2" and fraud.body["source"] == "gw-1"
    assert (
        "ModelLoadError: 7" in fraud.body["description"] and "2.2.0 rolled out" in fraud.body["description"]
    )
    assert search.route["api_key_env"] == "DEFAULT_KEY" and search.body["priority"] == "P5"
    assert search.body["responders"] == [{"name": "search", "type": "schedule"}]
    assert default.route["api_key_env"] == "DEFAULT_KEY" and "responders" not in default.body


def test_close_and_note_take_the_creates_route_and_alias(tmp_path: Path) -> None:
    notifier = _notifier(tmp_path, NotificationsConfig(opsgenie=OPSGENIE), FixedContext())
    notifier(_event())
    notifier(
        _event("escalated", severity="P1", escalated_to="P0")
    )  # P0 would match too, but the route is kept
    notifier(_event("resolved"))
    notifier(_event("resolved"))  # a repeated resolve is not queued twice
    create, note, close = notifier.outbox.pending()
    assert [create.action, note.action, close.action] == ["create", "note", "close"]
    assert create.alias == note.alias == close.alias == alias("HighErrorRate", FRAUD)
    assert note.route == close.route == create.route
    assert notifier.outbox.stats.deduplicated == 1


def test_repeated_firing_is_one_create_and_gathers_context_once(tmp_path: Path) -> None:
    context = CountingContext()
    notifier = _notifier(tmp_path, NotificationsConfig(opsgenie=OPSGENIE), context)
    for _ in range(3):
        notifier(_event())
    assert len(notifier.outbox) == 1 and context.calls == 1


def test_failed_context_queries_still_page_without_those_sections(tmp_path: Path) -> None:
    def broken_client() -> object:
        raise ConnectionError("ClickHouse is down")

    context = ContextSource(broken_client, timedelta(seconds=1))
    notifier = _notifier(tmp_path, NotificationsConfig(opsgenie=OPSGENIE), context)
    notifier(_event())
    (page,) = notifier.outbox.pending()
    description = page.body["description"]
    assert "Runbook:" in description and "Top error classes" not in description
    assert context.failures == 3


def test_webhooks_get_the_kinds_they_asked_for(tmp_path: Path) -> None:
    hooks = (
        WebhookConfig("all", "https://hooks.example/all", "SECRET"),
        WebhookConfig("firing-only", "https://hooks.example/f", events=("firing",)),
    )
    notifier = _notifier(tmp_path, NotificationsConfig(webhooks=hooks))  # Opsgenie off
    notifier(_event())
    notifier(_event("resolved"))
    targets = [(e.target, e.action) for e in notifier.outbox.pending()]
    assert targets == [("webhook:all", "create"), ("webhook:firing-only", "create"), ("webhook:all", "close")]
    first = notifier.outbox.pending()[0]
    assert first.route == {"url": "https://hooks.example/all", "secret_env": "SECRET"}
    assert first.body["event"] == "firing" and "message" not in first.body  # no page without Opsgenie


def test_nothing_configured_queues_nothing_and_queueing_failures_are_raised(tmp_path: Path) -> None:
    notifier = _notifier(tmp_path, NotificationsConfig())
    notifier(_event())
    assert len(notifier.outbox) == 0

    class Exploding:
        def gather(self, event: AlertEvent) -> PageContext:
            raise RuntimeError("bug")

    paging = _notifier(tmp_path / "x", NotificationsConfig(opsgenie=OPSGENIE), Exploding())
    paging(_event())  # a broken context source: the page goes out without context
    assert len(paging.outbox) == 1 and paging.failures == 0

    full = _notifier(tmp_path / "y", NotificationsConfig(opsgenie=OPSGENIE))
    full.outbox.max_pending = 0
    with pytest.raises(OutboxFullError):  # the evaluator offers the event again next cycle
        full(_event())
    assert full.outbox.stats.dropped == 1 and full.failures == 1

    class BrokenOutbox(Outbox):
        def enqueue(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
            raise OSError("disk full")

    broken = Notifier(NotificationsConfig(opsgenie=OPSGENIE), BrokenOutbox(tmp_path / "z"), None, lambda: AT)
    with pytest.raises(OSError, match="disk full"):
        broken(_event())
    assert broken.failures == 1


def test_missing_keys_are_reported_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("DEFAULT_KEY", "k-123")
    notifier = _notifier(tmp_path, NotificationsConfig(opsgenie=OPSGENIE))
    problems = check_keys(notifier)
    assert problems == ["api_key_file: cannot read '/run/secrets/fraud': No such file or directory"]
    assert "pages wait in the outbox" in caplog.text and "k-123" not in caplog.text


def test_queueing_an_event_wakes_the_delivery_task(tmp_path: Path) -> None:
    notifier = _notifier(tmp_path, NotificationsConfig(opsgenie=OPSGENIE), FixedContext())
    woken: list[int] = []
    notifier.wake = lambda: woken.append(len(notifier.outbox.pending()))
    notifier(_event())
    assert woken == [1]  # after the entry is durable, not before
    disabled = _notifier(tmp_path / "off", NotificationsConfig(), FixedContext())
    disabled.wake = lambda: woken.append(-1)
    disabled(_event())
    assert woken == [1]  # nothing queued, nothing to wake
