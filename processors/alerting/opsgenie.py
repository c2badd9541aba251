"""Opsgenie Alert API v2 payloads for one alert instance: create, close, add note; and routing.

Reads: a ``Notification`` (rule, severity, labels, value, context gathered by the caller) and the
routing table. Writes: plain ``dict`` bodies ready for ``json.dumps``; the HTTP side lives in
``gateway/alerting/opsgenie_client.py``. Pure: no clock, logging or I/O — times are passed in.
Config keys (per route): ``severities``, ``matchers``, ``api_key_ref``, ``responders``, ``priority_map``.

Limits enforced here (REFERENCE §3): ``message`` 130 chars, ``alias`` 512, ``description`` 15,000,
``tags`` ≤ 20 of ≤ 50 chars, ``entity`` 512, ``source`` 100, ``user`` 100, ``note`` 25,000; ``details``
values are strings. Lengths are counted in characters (code points), as Opsgenie counts them, so a
truncation never splits a UTF-8 sequence.

The alias is one per alert instance (rule + label set), not per group: Alertmanager's per-group alias
left mixed groups open forever and made teams sharing an account collide. Opsgenie de-duplicates on
the alias only while the alert is open, so an incident that recurs after the close pages again.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from types import MappingProxyType

MESSAGE_LIMIT = 130
ALIAS_LIMIT = 512
DESCRIPTION_LIMIT = 15_000
TAG_LIMIT = 50
TAGS_MAX = 20
ENTITY_LIMIT = 512
SOURCE_LIMIT = 100
USER_LIMIT = 100
NOTE_LIMIT = 25_000
ELLIPSIS = "…"
ALIAS_PREFIX = "inferwatch-"
DEPLOYMENT_HORIZON_SECONDS = 24 * 3600.0

SEVERITIES = ("P0", "P1", "P2", "P3")
# inferwatch's P0 (critical) is Opsgenie's P1 (highest); Opsgenie's P5 stays unused.
DEFAULT_PRIORITY_MAP: Mapping[str, str] = MappingProxyType({"P0": "P1", "P1": "P2", "P2": "P3", "P3": "P4"})
OPSGENIE_PRIORITIES = frozenset({"P1", "P2", "P3", "P4", "P5"})
RESPONDER_TYPES = frozenset({"team", "user", "escalation", "schedule"})

# The guide's "Runbook Example: High Error Rate" (section 10), the default for error-rate rules.
HIGH_ERROR_RATE_RUNBOOK = """\
Investigation steps:
1. Check recent deployments (possible bad release)
2. Review error logs for common patterns
3. Check upstream service status
4. Verify infrastructure health (CPU, memory, disk)
5. Check data quality (schema changes, missing fields)

Mitigation:
- If recent deployment: Rollback to previous version
- If infrastructure issue: Scale up resources
- If upstream failure: Enable circuit breaker
- If data issue: Enable input validation fallback

Post-incident:
- Create post-mortem document
- Update runbook based on learnings
- Schedule follow-up improvements"""

ERROR_RATE_CATEGORY = "error-rate"


@dataclass(frozen=True)
class Deployment:
    """A model version rolled out at ``deployed_at`` (epoch seconds)."""

    version: str
    deployed_at: float


@dataclass(frozen=True)
class ErrorClass:
    """One error class (``http.503``, ``ModelLoadError``, …) and how often it occurred in the window."""

    name: str
    count: int


@dataclass(frozen=True)
class RelatedSignal:
    """A drift or data-quality signal of the same model, shown as context; ``kind``: drift, quality."""

    kind: str
    name: str
    value: float
    threshold: str = ""


@dataclass(frozen=True)
class Notification:
    """What the notifier knows about one firing alert instance.

    ``model_label``/``version_label`` name the labels holding the model and its version.
    ``category`` (e.g. ``error-rate``) becomes a tag and picks the default runbook.
    """

    rule: str
    severity: str
    labels: Mapping[str, str]
    value: float
    threshold: str
    window: str
    summary: str
    fired_at: float
    category: str = ""
    runbook: str | None = None
    deployments: tuple[Deployment, ...] = ()
    error_classes: tuple[ErrorClass, ...] = ()
    related_signals: tuple[RelatedSignal, ...] = ()
    model_label: str = "model"
    version_label: str = "version"

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity: must be one of {', '.join(SEVERITIES)}, got {self.severity!r}")
        object.__setattr__(self, "labels", MappingProxyType(dict(self.labels)))

    @property
    def model(self) -> str:
        return self.labels.get(self.model_label, "")

    @property
    def version(self) -> str:
        return self.labels.get(self.version_label, "")


@dataclass(frozen=True)
class Responder:
    """An Opsgenie responder, referenced by ``name`` (team/escalation/schedule), ``username`` or ``id``."""

    type: str
    name: str | None = None
    id: str | None = None
    username: str | None = None

    def __post_init__(self) -> None:
        if self.type not in RESPONDER_TYPES:
            raise ValueError(f"responders.type: must be one of {sorted(RESPONDER_TYPES)}, got {self.type!r}")
        if sum(x is not None for x in (self.name, self.id, self.username)) != 1:
            raise ValueError("responders: exactly one of id, name, username is required")

    def to_dict(self) -> dict[str, str]:
        reference = {"id": self.id, "name": self.name, "username": self.username}
        return {**{k: v for k, v in reference.items() if v is not None}, "type": self.type}


@dataclass(frozen=True)
class Route:
    """Where a notification goes: the API key to use (a reference, never the key), responders, priorities."""

    api_key_ref: str
    responders: tuple[Responder, ...] = ()
    priority_map: Mapping[str, str] = field(default_factory=lambda: DEFAULT_PRIORITY_MAP)

    def __post_init__(self) -> None:
        merged = {**DEFAULT_PRIORITY_MAP, **self.priority_map}
        bad = {k: v for k, v in merged.items() if k not in SEVERITIES or v not in OPSGENIE_PRIORITIES}
        if bad:
            raise ValueError(f"priority_map: expected P0..P3 -> P1..P5, got {bad!r}")
        object.__setattr__(self, "priority_map", MappingProxyType(merged))


@dataclass(frozen=True)
class RouteRule:
    """A route chosen when the severity is in ``severities`` (empty: any) and every matcher label equals."""

    route: Route
    severities: frozenset[str] = frozenset()
    matchers: Mapping[str, str] = field(default_factory=dict)

    def matches(self, labels: Mapping[str, str], severity: str) -> bool:
        if self.severities and severity not in self.severities:
            return False
        return all(labels.get(name) == value for name, value in self.matchers.items())


def route(labels: Mapping[str, str], severity: str, routes: Sequence[RouteRule], default: Route) -> Route:
    """The route of the first rule matching ``severity`` and ``labels``, else ``default``."""
    return next((rule.route for rule in routes if rule.matches(labels, severity)), default)


def alias(rule: str, labels: Mapping[str, str]) -> str:
    """The de-duplication key of one alert instance: stable across label order and restarts."""
    canonical = json.dumps([rule, sorted(labels.items())], ensure_ascii=False, separators=(",", ":"))
    return ALIAS_PREFIX + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:40]


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def format_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return f"{value:.6g}"


def format_time(epoch_seconds: float) -> str:
    return datetime.fromtimestamp(epoch_seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def create_payload(
    notification: Notification,
    source: str,
    chosen_route: Route | None = None,
    priority_map: Mapping[str, str] | None = None,
) -> dict[str, object]:
    """The body of ``POST /v2/alerts`` for a firing instance.

    The priority comes from ``priority_map``, else the route's map, else ``DEFAULT_PRIORITY_MAP``.
    """
    priorities = priority_map or (chosen_route.priority_map if chosen_route else DEFAULT_PRIORITY_MAP)
    payload: dict[str, object] = {
        "message": _message(notification),
        "alias": alias(notification.rule, notification.labels),
        "description": truncate(_description(notification), DESCRIPTION_LIMIT),
        "tags": _tags(notification),
        "details": _details(notification),
        "entity": truncate(notification.model or notification.rule, ENTITY_LIMIT),
        "source": truncate(source, SOURCE_LIMIT),
        "priority": priorities[notification.severity],
    }
    if chosen_route is not None and chosen_route.responders:
        payload["responders"] = [responder.to_dict() for responder in chosen_route.responders]
    return payload


def close_payload(
    rule: str,
    labels: Mapping[str, str],
    value: float,
    resolved_at: float,
    source: str,
    user: str = "inferwatch",
) -> dict[str, str]:
    """The body of ``POST /v2/alerts/{alias}/close?identifierType=alias`` when the instance resolves."""
    instance = f"{rule}{_label_text(labels)}"
    note = f"Resolved at {format_time(resolved_at)}: {instance}, last value {format_value(value)}."
    return _action_body(note, source, user)


def note_payload(
    notification: Notification,
    reached_severity: str,
    reached_threshold: str,
    source: str,
    user: str = "inferwatch",
    at: float | None = None,
) -> dict[str, str]:
    """The body of ``POST /v2/alerts/{alias}/notes?identifierType=alias`` when the value worsens past
    the next severity's threshold (the alert keeps its alias; this records the escalation on it).
    ``at`` is when it worsened (default: when the alert fired)."""
    when = notification.fired_at if at is None else at
    note = (
        f"Worsened to {reached_severity} at {format_time(when)}: value "
        f"{format_value(notification.value)} crossed {reached_threshold} (was {notification.severity}, "
        f"{notification.threshold}) over {notification.window}."
    )
    return _action_body(note, source, user)


def _action_body(note: str, source: str, user: str) -> dict[str, str]:
    return {
        "user": truncate(user, USER_LIMIT),
        "source": truncate(source, SOURCE_LIMIT),
        "note": truncate(note, NOTE_LIMIT),
    }


def _label_text(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


def _message(n: Notification) -> str:
    subject = " ".join(part for part in (n.model, n.version) if part)
    head = f"[{n.severity}] {n.rule}" + (f" on {subject}" if subject else "")
    return truncate(f"{head}: {n.summary}", MESSAGE_LIMIT)


def _tags(n: Notification) -> list[str]:
    candidates = [
        f"model:{n.model}" if n.model else "",
        f"version:{n.version}" if n.version else "",
        f"severity:{n.severity}",
        f"category:{n.category}" if n.category else "",
        f"rule:{n.rule}",
        "inferwatch",
    ]
    tags: list[str] = []
    for tag in candidates:
        tag = truncate(tag.replace(",", " "), TAG_LIMIT)
        if tag and tag not in tags:
            tags.append(tag)
    return tags[:TAGS_MAX]


def _details(n: Notification) -> dict[str, str]:
    details = {str(k): str(v) for k, v in sorted(n.labels.items())}
    details.update(
        {
            "rule": n.rule,
            "severity": n.severity,
            "value": format_value(n.value),
            "threshold": n.threshold,
            "window": n.window,
            "fired_at": format_time(n.fired_at),
        }
    )
    return details


def _runbook(n: Notification) -> str | None:
    if n.runbook:
        return n.runbook
    return HIGH_ERROR_RATE_RUNBOOK if n.category == ERROR_RATE_CATEGORY else None


def _description(n: Notification) -> str:
    sections = [
        n.summary,
        "\n".join(
            [
                f"Rule: {n.rule}{_label_text(n.labels)}",
                f"Current value: {format_value(n.value)}",
                f"Threshold: {n.threshold}",
                f"Window: {n.window}",
                f"Fired at: {format_time(n.fired_at)}",
            ]
        ),
        _section("Model versions deployed in the last 24 h", _deployment_lines(n.deployments, n.fired_at)),
        _section("Top error classes", [f"{e.name}: {e.count}" for e in n.error_classes]),
        _section("Related drift and quality signals", [_signal_line(s) for s in n.related_signals]),
    ]
    runbook = _runbook(n)
    if runbook:
        sections.append(f"Runbook:\n{runbook}")
    return "\n\n".join(section for section in sections if section)


def _section(title: str, lines: Iterable[str]) -> str:
    body = [f"- {line}" for line in lines]
    return f"{title}:\n" + "\n".join(body) if body else ""


def _deployment_lines(deployments: Iterable[Deployment], fired_at: float) -> list[str]:
    recent = [d for d in deployments if 0 <= fired_at - d.deployed_at <= DEPLOYMENT_HORIZON_SECONDS]
    return [
        f"{d.version} rolled out {_ago(fired_at - d.deployed_at)} before this alert "
        f"({format_time(d.deployed_at)})"
        for d in sorted(recent, key=lambda d: d.deployed_at, reverse=True)
    ]


def _ago(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 1:
        return "less than a minute"
    if minutes < 120:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{minutes // 60} hours {minutes % 60} minutes"


def _signal_line(s: RelatedSignal) -> str:
    threshold = f" (threshold {s.threshold})" if s.threshold else ""
    return f"{s.kind}: {s.name} = {format_value(s.value)}{threshold}"
