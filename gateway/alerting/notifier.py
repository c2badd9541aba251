"""Alert events in, durable notifications out: Opsgenie (or JSM Ops) pages and signed webhooks.

Reads: ``AlertEvent``s from the alert evaluator (through ``gateway.notifiers``), context for pages
from ClickHouse (``gateway.alerting.context``). Writes: the durable outbox ``<data_dir>/outbox``;
the ``notifications`` task delivers it (``gateway.alerting.delivery``), woken as soon as an entry is
queued, so a page does not wait for the task's next tick. Serves
``GET /api/v1/notifications`` (outbox counters and pending entries, no bodies). Config keys:
``notifications.*`` (``gateway.config.notifications_schema``).

On an event: firing → gather context (each query bounded by ``delivery.context_timeout``; a failed
one only drops its section) → Opsgenie create on the route chosen by severity and labels → queue;
resolved → close by alias on the route the create took; escalated → a note by alias. Every
configured webhook whose ``events`` include the kind gets its document queued too.
"""

from __future__ import annotations

import logging
import os
import random
import socket
from collections.abc import Callable
from typing import Any

from gateway.alerting.context import ContextSource, PageContext
from gateway.alerting.delivery import OPSGENIE, WEBHOOK_PREFIX, Deliverer, DeliveryTask, senders
from gateway.alerting.opsgenie_client import ApiKeySource
from gateway.alerting.outbox import CREATE, Outbox
from gateway.config.notifications_schema import NotificationsConfig, OpsgenieRouteConfig
from gateway.receivers.api_routes import ApiRequest, ApiResponse
from processors.alerting.delivery import BackoffPolicy
from processors.alerting.events import AlertEvent
from processors.alerting.notifications import ACTION_BY_KIND, notification, opsgenie_request, webhook_document
from processors.alerting.opsgenie import Responder, Route, RouteRule, alias, route

log = logging.getLogger(__name__)

TASK_NAME = "notifications"


class Notifier:
    """Callable with each ``AlertEvent``; queues its Opsgenie request and webhook documents."""

    def __init__(
        self,
        config: NotificationsConfig,
        outbox: Outbox,
        context: ContextSource | None,
        now: Callable[[], float],
        source: str | None = None,
    ) -> None:
        self.config = config
        self.outbox = outbox
        self.context = context
        self._now = now
        opsgenie = config.opsgenie
        self.source = opsgenie.source or source or f"inferwatch@{socket.gethostname()}"[:100]
        self._default_route = _route(opsgenie.api_key_env, opsgenie.api_key_file, (), opsgenie.priorities())
        self._route_rules = tuple(_route_rule(config, rule) for rule in opsgenie.routes)
        self.failures = 0  # events that could not be queued (logged, raised to the evaluator)
        self.wake: Callable[[], None] = lambda: None  # starts a delivery run (set by register_notifications)

    def __call__(self, event: AlertEvent) -> None:
        """Queue ``event`` durably, or raise: the evaluator then offers it again at its next cycle
        (safe, as queueing is idempotent by alias)."""
        try:
            self.notify(event)
        except Exception:
            self.failures += 1
            log.exception(
                "notification of %s %s could not be queued (offered again later)", event.kind, event.rule
            )
            raise

    def notify(self, event: AlertEvent) -> None:
        opsgenie = self.config.opsgenie
        hooks = [hook for hook in self.config.webhooks if event.kind in hook.events]
        if not opsgenie.enabled and not hooks:
            return
        now = self._now()
        body = None
        if opsgenie.enabled:
            # Context only for new pages (a repeat of an open alias is not queued again); a webhook
            # gets the event, and the page when there is one.
            repeat = self.outbox.is_open(OPSGENIE, alias(event.rule, event.labels))
            page = (
                notification(event, *self._context(event)) if event.kind == "firing" and not repeat else None
            )
            chosen = route(event.labels, event.severity, self._route_rules, self._default_route)
            request = opsgenie_request(event, self.source, opsgenie.user, chosen, page)
            body = request.body
            taken = self.outbox.open_route(OPSGENIE, request.alias) if request.action != CREATE else None
            destination = taken or _destination(opsgenie.api_url, chosen.api_key_ref)
            self.outbox.enqueue(OPSGENIE, request.action, request.alias, request.body, destination, now)
        for hook in hooks:
            document = webhook_document(event, self.source, body)
            self.outbox.enqueue(
                WEBHOOK_PREFIX + hook.name,
                ACTION_BY_KIND[event.kind],
                str(document["alias"]),
                document,
                {"url": hook.url, "secret_env": hook.secret_env},
                now,
            )
        self.wake()

    def _context(self, event: AlertEvent) -> tuple[Any, Any, Any]:
        try:
            gathered = self.context.gather(event) if self.context is not None else PageContext()
        except Exception:  # boundary: context is a nice-to-have, the page is not
            log.exception("alert context for %s failed; paging without it", event.rule)
            gathered = PageContext()
        return gathered.deployments, gathered.error_classes, gathered.related_signals


def _route(api_key_env: str, api_key_file: str, responders: tuple[Responder, ...], priorities: Any) -> Route:
    # The key reference is "env:NAME" or "file:PATH": the outbox keeps it, never the key.
    reference = f"env:{api_key_env}" if api_key_env else f"file:{api_key_file}"
    return Route(reference, responders, priorities)


def _route_rule(config: NotificationsConfig, rule: OpsgenieRouteConfig) -> RouteRule:
    opsgenie = config.opsgenie
    responders = tuple(
        Responder(r.type, name=r.name or None, id=r.id or None, username=r.username or None)
        for r in rule.responders
    )
    if rule.api_key_env or rule.api_key_file:
        chosen = _route(rule.api_key_env, rule.api_key_file, responders, opsgenie.priorities(rule))
    else:
        chosen = _route(opsgenie.api_key_env, opsgenie.api_key_file, responders, opsgenie.priorities(rule))
    return RouteRule(chosen, frozenset(rule.severities), dict(rule.match))


def _destination(api_url: str, api_key_ref: str) -> dict[str, str]:
    kind, _, name = api_key_ref.partition(":")
    return {"api_url": api_url, "api_key_env" if kind == "env" else "api_key_file": name}


def register_notifications(gateway: Any) -> Notifier | None:
    """Adds the notifier to ``gateway.notifiers`` and the ``notifications`` delivery task."""
    config: NotificationsConfig = gateway.config.notifications
    if not config.enabled:
        return None
    delivery = config.delivery
    outbox = Outbox(
        os.path.join(gateway.config.resolved_data_dir(), "outbox"), max_pending=delivery.max_pending
    )
    context = ContextSource(gateway.open_client, delivery.context_timeout, gateway.clock)
    notifier = Notifier(config, outbox, context, lambda: gateway.clock.now_unix_nano() / 1e9)
    policy = BackoffPolicy(
        initial_backoff=delivery.initial_backoff.total_seconds(),
        max_backoff=delivery.max_backoff.total_seconds(),
        max_age=delivery.max_age.total_seconds(),
        max_attempts=delivery.max_attempts,
    )
    timeout = config.opsgenie.request_timeout.total_seconds()
    deliverer = Deliverer(outbox, policy, senders(timeout, timeout), random.random)
    if config.opsgenie.enabled:
        check_keys(notifier)
    gateway.notifiers.append(notifier)
    task = DeliveryTask(TASK_NAME, delivery.interval.total_seconds(), deliverer.run, gateway.clock)
    notifier.wake = task.wake
    gateway.tasks.append(task)
    gateway.api.register("GET", "/api/v1/notifications", lambda request: _status(notifier, request))
    return notifier


def check_keys(notifier: Notifier) -> list[str]:
    """Read every configured key once at start: a missing one is logged now (with what to do), not at
    the first page; the gateway still starts, as the key may appear before it is needed."""
    references = {
        notifier._default_route.api_key_ref,
        *(rule.route.api_key_ref for rule in notifier._route_rules),
    }
    problems = []
    for reference in sorted(references):
        kind, _, name = reference.partition(":")
        try:
            ApiKeySource(name if kind == "env" else None, name if kind == "file" else None)()
        except ValueError as error:
            problems.append(str(error))
            log.error("opsgenie: %s; pages wait in the outbox until the key can be read", error)
    return problems


def _status(notifier: Notifier, request: ApiRequest) -> ApiResponse:
    outbox = notifier.outbox
    pending = [
        {
            "target": entry.target,
            "action": entry.action,
            "alias": entry.alias,
            "attempts": entry.attempts,
            "created_at": entry.created_at,
            "next_attempt_at": entry.next_attempt_at,
            "last_error": entry.last_error,
        }
        for entry in outbox.pending()
    ]
    stats = vars(outbox.stats) | {"queue_failures": notifier.failures}
    if notifier.context is not None:
        stats["context_failures"] = notifier.context.failures
    return ApiResponse(200, {"stats": stats, "pending": pending})
