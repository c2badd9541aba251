"""Sends due outbox entries — Opsgenie requests and webhook POSTs — one attempt each per run.

Reads: the outbox, the API keys / webhook secrets named by each entry's route (env var or file, at
each attempt). Writes: HTTP requests; the outbox (delivered → removed, retry → rescheduled, given
up → ``dead/``). Config keys: ``notifications.opsgenie.request_timeout``,
``notifications.delivery.*``.

What to do after an attempt is the pure ``processors.alerting.delivery.decide``. Within one run a
target that answered 429, 5xx or nothing is not tried again (its other entries wait for the next
run), so an outage is not hammered. Nothing here logs a key or secret: the Opsgenie client scrubs
its errors, routes hold only the names of env vars and files.
"""

from __future__ import annotations

import logging
import os
import random
import threading
from collections.abc import Callable, Mapping
from typing import Any

from gateway.alerting.opsgenie_client import ApiKeySource, OpsgenieClient, OpsgenieError, RetryPolicy
from gateway.alerting.outbox import CLOSE, CREATE, Outbox, OutboxEntry
from gateway.alerting.webhook import WebhookError, post_json
from gateway.clock import Clock
from gateway.scheduling import PeriodicTask
from processors.alerting.delivery import DELIVERED, GIVE_UP, BackoffPolicy, Outcome, decide, is_retryable

log = logging.getLogger(__name__)

OPSGENIE = "opsgenie"
WEBHOOK_PREFIX = "webhook:"
Sender = Callable[[OutboxEntry], Outcome]


class OpsgenieSender:
    """One attempt per call (the outbox does the retrying); one client per endpoint and key source."""

    def __init__(self, timeout: float, environ: Mapping[str, str] | None = None) -> None:
        self._timeout = timeout
        self._environ = environ
        self._clients: dict[tuple[str, str, str], OpsgenieClient] = {}

    def __call__(self, entry: OutboxEntry) -> Outcome:
        route = entry.route
        try:
            client = self._client(
                route.get("api_url", ""), route.get("api_key_env", ""), route.get("api_key_file", "")
            )
            if entry.action == CREATE:
                response = client.create(entry.body)
            elif entry.action == CLOSE:
                response = client.close(entry.alias, entry.body)
            else:
                response = client.add_note(entry.alias, entry.body)
        except OpsgenieError as error:
            return Outcome(error.status, error.retry_after, error.message)
        except ValueError as error:  # no key (env unset, file unreadable): retried, it may be fixed
            return Outcome(None, None, str(error))
        return Outcome(202, None, f"requestId {response.request_id}")

    def _client(self, api_url: str, api_key_env: str, api_key_file: str) -> OpsgenieClient:
        key = (api_url, api_key_env, api_key_file)
        if key not in self._clients:
            source = ApiKeySource(api_key_env or None, api_key_file or None, environ=self._environ)
            self._clients[key] = OpsgenieClient(
                source, api_url=api_url, timeout=self._timeout, retry=RetryPolicy(max_attempts=1)
            )
        return self._clients[key]


class WebhookSender:
    def __init__(self, timeout: float, environ: Mapping[str, str] | None = None) -> None:
        self._timeout = timeout
        self._environ = os.environ if environ is None else environ

    def __call__(self, entry: OutboxEntry) -> Outcome:
        secret_env = entry.route.get("secret_env", "")
        secret = self._environ.get(secret_env, "") if secret_env else None
        if secret_env and not secret:
            return Outcome(None, None, f"secret_env: environment variable {secret_env!r} is unset or empty")
        try:
            status = post_json(entry.route["url"], entry.body, secret, self._timeout)
        except WebhookError as error:
            return Outcome(error.status, error.retry_after, error.message)
        return Outcome(status)


class Deliverer:
    """The ``notifications`` periodic task: ``run(now_unix_nano)`` sends what is due."""

    def __init__(
        self,
        outbox: Outbox,
        policy: BackoffPolicy,
        senders: Mapping[str, Sender],
        unit_random: Callable[[], float] = random.random,
    ) -> None:
        self.outbox = outbox
        self.policy = policy
        self._senders = senders
        self._random = unit_random

    def run(self, now_unix_nano: int) -> None:
        now = now_unix_nano / 1e9
        unavailable: set[str] = set()
        for entry in self.outbox.due(now):
            if entry.target in unavailable:
                continue
            outcome = self._send(entry)
            attempts = entry.attempts + 1
            decision = decide(outcome, attempts, entry.created_at, now, self.policy, self._random())
            if decision.action == DELIVERED:
                self.outbox.delivered(entry)
                log.info(
                    "notification delivered: %s %s %s (attempt %d)",
                    entry.target,
                    entry.action,
                    entry.alias,
                    attempts,
                )
            elif decision.action == GIVE_UP:
                self.outbox.give_up(entry, decision.reason)
                log.error(
                    "notification given up: %s %s %s after %d attempt(s): %s",
                    entry.target,
                    entry.action,
                    entry.alias,
                    attempts,
                    decision.reason,
                )
            else:
                assert decision.next_attempt_at is not None
                self.outbox.reschedule(entry, decision.next_attempt_at, decision.reason)
                log.warning(
                    "notification %s %s %s: %s; retry in %.1f s",
                    entry.target,
                    entry.action,
                    entry.alias,
                    decision.reason,
                    decision.next_attempt_at - now,
                )
            if decision.action != DELIVERED and is_retryable(outcome.status):
                unavailable.add(entry.target)
        self.outbox.prune(now)

    def _send(self, entry: OutboxEntry) -> Outcome:
        kind = (
            OPSGENIE
            if entry.target == OPSGENIE
            else WEBHOOK_PREFIX
            if entry.target.startswith(WEBHOOK_PREFIX)
            else ""
        )
        sender = self._senders.get(kind)
        if sender is None:
            return Outcome(400, None, f"no sender for target {entry.target!r} (is it still configured?)")
        try:
            return sender(entry)
        except Exception as error:  # boundary: one broken entry must not stop the others
            log.exception("notification %s %s %s: sending failed", entry.target, entry.action, entry.alias)
            return Outcome(None, None, f"{type(error).__name__}: {error}")


class DeliveryTask(PeriodicTask):
    """The ``notifications`` task: a run every ``interval`` (retries falling due) and at once after
    ``wake()`` (a notification was queued), so a page waits for no tick."""

    def __init__(self, name: str, interval: float, run: Callable[[int], None], clock: Clock) -> None:
        super().__init__(name, interval, run, clock)
        self._wake = threading.Event()

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            started = self._clock.monotonic()
            self._wake.clear()  # before the run: an entry queued during it wakes the next one
            self.run_once()
            elapsed = self._clock.monotonic() - started
            self._wake.wait(max(0.0, self.interval - elapsed))

    def request_stop(self) -> None:
        super().request_stop()
        self._wake.set()  # the loop waits on the wake event, not on the stop event


def senders(
    opsgenie_timeout: float, webhook_timeout: float, environ: Mapping[str, Any] | None = None
) -> dict[str, Sender]:
    return {
        OPSGENIE: OpsgenieSender(opsgenie_timeout, environ),
        WEBHOOK_PREFIX: WebhookSender(webhook_timeout, environ),
    }
