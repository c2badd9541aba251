"""Configuration of alert notifications: Opsgenie (or Jira Service Management Ops), webhooks, delivery.

Reads: nothing. Writes: nothing (pure). Config keys: ``notifications.*``. Part of
``gateway.config.Config``; what each key does: docs/opsgenie.md and docs/configuration.md.

Keys and secrets are never written here: ``api_key_env`` / ``api_key_file`` and ``secret_env`` name
where the gateway reads them at each request (so a rotated key is picked up without a restart).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType

Problems = list[tuple[str, str]]

US_API_URL = "https://api.opsgenie.com"  # EU: https://api.eu.opsgenie.com
# JSM Ops: https://api.atlassian.com/jsm/ops/integration/v2/alerts (same body and GenieKey header)
SEVERITIES = ("P0", "P1", "P2", "P3")
OPSGENIE_PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
RESPONDER_TYPES = ("team", "user", "escalation", "schedule")
EVENT_KINDS = ("firing", "resolved", "escalated")


def _default_priority_map() -> dict[str, str]:
    return {"P0": "P1", "P1": "P2", "P2": "P3", "P3": "P4"}


def _key_source_problems(api_key_env: str, api_key_file: str, required: bool) -> Problems:
    if api_key_env and api_key_file:
        return [("api_key_env", "set only one of api_key_env and api_key_file")]
    if required and not (api_key_env or api_key_file):
        return [
            (
                "api_key_env",
                "is required when opsgenie is enabled: the name of the environment variable holding the "
                "GenieKey (or set api_key_file)",
            )
        ]
    return []


def _priority_map_problems(name: str, priority_map: dict[str, str]) -> Problems:
    problems: Problems = []
    for severity, priority in priority_map.items():
        if severity not in SEVERITIES:
            problems.append((f"{name}.{severity}", f"unknown severity: use {', '.join(SEVERITIES)}"))
        elif priority not in OPSGENIE_PRIORITIES:
            problems.append((f"{name}.{severity}", f'must be one of P1..P5, got "{priority}"'))
    return problems


@dataclass(frozen=True)
class ResponderConfig:
    """An Opsgenie responder: ``type`` and exactly one of ``name``, ``id``, ``username``."""

    type: str = "team"  # team | user | escalation | schedule
    name: str = ""
    id: str = ""
    username: str = ""

    def validate(self) -> Problems:
        problems: Problems = []
        if self.type not in RESPONDER_TYPES:
            problems.append(("type", f'must be one of {", ".join(RESPONDER_TYPES)}, got "{self.type}"'))
        if sum(bool(v) for v in (self.name, self.id, self.username)) != 1:
            problems.append(("name", "set exactly one of name, id, username"))
        return problems


@dataclass(frozen=True)
class OpsgenieRouteConfig:
    """Alerts of ``severities`` (empty: any) whose labels equal every ``match`` entry go this way;
    the first matching route wins. Without its own key source a route uses the top-level one."""

    severities: tuple[str, ...] = ()
    match: dict[str, str] = field(default_factory=dict)
    api_key_env: str = ""
    api_key_file: str = ""
    responders: tuple[ResponderConfig, ...] = ()
    priority_map: dict[str, str] = field(default_factory=dict)  # overrides opsgenie.priority_map

    def validate(self) -> Problems:
        problems = _key_source_problems(self.api_key_env, self.api_key_file, required=False)
        for index, severity in enumerate(self.severities):
            if severity not in SEVERITIES:
                problems.append(("severities", f'item {index}: must be one of P0..P3, got "{severity}"'))
        problems.extend(_priority_map_problems("priority_map", self.priority_map))
        return problems


@dataclass(frozen=True)
class OpsgenieConfig:
    enabled: bool = False
    api_url: str = US_API_URL  # EU: https://api.eu.opsgenie.com; JSM Ops: see docs/opsgenie.md
    api_key_env: str = ""  # environment variable holding the GenieKey (API integration key)
    api_key_file: str = ""  # or a file holding it
    source: str = ""  # the alerts' source; "" means "inferwatch@<hostname>"
    user: str = "inferwatch"  # the user recorded on closes and notes
    priority_map: dict[str, str] = field(default_factory=_default_priority_map)  # severity -> P1..P5
    routes: tuple[OpsgenieRouteConfig, ...] = ()
    request_timeout: timedelta = timedelta(seconds=10)

    def validate(self) -> Problems:
        problems = _key_source_problems(self.api_key_env, self.api_key_file, required=self.enabled)
        if not self.api_url.startswith(("https://", "http://")):
            problems.append(("api_url", f'must be an http(s) URL, e.g. "{US_API_URL}", got "{self.api_url}"'))
        problems.extend(_priority_map_problems("priority_map", self.priority_map))
        if len(self.source) > 100:
            problems.append(("source", "must be at most 100 characters (Opsgenie's limit)"))
        if len(self.user) > 100:
            problems.append(("user", "must be at most 100 characters (Opsgenie's limit)"))
        if self.request_timeout <= timedelta(0):
            problems.append(("request_timeout", "must be greater than 0"))
        return problems

    def priorities(self, route: OpsgenieRouteConfig | None = None) -> MappingProxyType[str, str]:
        merged = {**_default_priority_map(), **self.priority_map, **(route.priority_map if route else {})}
        return MappingProxyType(merged)


@dataclass(frozen=True)
class WebhookConfig:
    """A JSON POST per alert event, signed with HMAC-SHA256 of the body when ``secret_env`` is set."""

    name: str = ""
    url: str = ""
    secret_env: str = ""  # environment variable holding the signing secret
    events: tuple[str, ...] = EVENT_KINDS

    def validate(self) -> Problems:
        problems: Problems = []
        if not self.name:
            problems.append(("name", "is required (it names the webhook in logs and the outbox)"))
        if not self.url.startswith(("https://", "http://")):
            problems.append(("url", f'must be an http(s) URL, got "{self.url}"'))
        for index, kind in enumerate(self.events):
            if kind not in EVENT_KINDS:
                problems.append(
                    ("events", f'item {index}: must be one of {", ".join(EVENT_KINDS)}, got "{kind}"')
                )
        return problems


@dataclass(frozen=True)
class DeliveryConfig:
    """Retries of undelivered notifications (429, 5xx, network errors), from the durable outbox."""

    interval: timedelta = timedelta(seconds=1)  # how often due retries are sent (new ones: at once)
    initial_backoff: timedelta = timedelta(seconds=1)
    max_backoff: timedelta = timedelta(minutes=5)
    max_age: timedelta = timedelta(hours=24)  # give up (logged, counted) when still undelivered after this
    max_attempts: int = 0  # give up after this many attempts; 0: max_age only
    max_pending: int = 10_000  # notifications the outbox holds; beyond it new ones are dropped (logged)
    context_timeout: timedelta = timedelta(seconds=5)  # budget of a page's context queries together

    def validate(self) -> Problems:
        problems: Problems = []
        for name in ("interval", "initial_backoff", "max_backoff", "max_age", "context_timeout"):
            if getattr(self, name) <= timedelta(0):
                problems.append((name, "must be greater than 0"))
        if self.max_backoff < self.initial_backoff:
            problems.append(("max_backoff", "must be at least initial_backoff"))
        if self.max_attempts < 0:
            problems.append(("max_attempts", f"must be 0 (no limit) or more, got {self.max_attempts}"))
        if self.max_pending <= 0:
            problems.append(("max_pending", f"must be greater than 0, got {self.max_pending}"))
        return problems


@dataclass(frozen=True)
class NotificationsConfig:
    opsgenie: OpsgenieConfig = field(default_factory=OpsgenieConfig)
    webhooks: tuple[WebhookConfig, ...] = ()
    delivery: DeliveryConfig = field(default_factory=DeliveryConfig)

    def validate(self) -> Problems:
        problems: Problems = []
        names = [webhook.name for webhook in self.webhooks]
        for index, name in enumerate(names):
            if name and names.index(name) != index:
                problems.append(("webhooks", f'item {index}: duplicate webhook name "{name}"'))
        return problems

    @property
    def enabled(self) -> bool:
        return self.opsgenie.enabled or bool(self.webhooks)
