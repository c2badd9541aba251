"""Tests of gateway/config/notifications_schema.py through the YAML loader: defaults, binding,
errors naming their YAML path."""

from __future__ import annotations

import textwrap
from datetime import timedelta

import pytest

from gateway.config import Config, ConfigError, load_config_text
from gateway.config.notifications_schema import (
    NotificationsConfig,
    OpsgenieRouteConfig,
    ResponderConfig,
    WebhookConfig,
)


def _load(text: str) -> Config:
    return load_config_text(textwrap.dedent(text), source="inferwatch.yaml", environ={})


def _errors(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        _load(text)
    return "\n".join(caught.value.errors)


def test_defaults_are_off_with_the_documented_priority_map() -> None:
    config = Config().notifications
    assert not config.enabled and not config.opsgenie.enabled
    assert config.opsgenie.api_url == "https://api.opsgenie.com"
    assert dict(config.opsgenie.priorities()) == {"P0": "P1", "P1": "P2", "P2": "P3", "P3": "P4"}
    assert config.delivery.max_age == timedelta(days=1)


def test_full_section_binds() -> None:
    config = _load(
        """
        notifications:
          opsgenie:
            enabled: true
            api_url: https://api.eu.opsgenie.com
            api_key_env: GENIE_KEY
            priority_map: {P3: P5}
            routes:
              - severities: [P0, P1]
                match: {team: fraud}
                api_key_file: /run/secrets/fraud-genie-key
                responders: [{type: team, name: fraud-oncall}, {type: user, username: a@b.c}]
                priority_map: {P1: P1}
          webhooks:
            - {name: chat, url: "https://hooks.example/x", secret_env: HOOK_SECRET, events: [firing]}
          delivery: {max_age: 2h, initial_backoff: 500ms, max_backoff: 1m, max_attempts: 50}
        """
    ).notifications
    opsgenie = config.opsgenie
    assert opsgenie.enabled and opsgenie.api_key_env == "GENIE_KEY"
    (route,) = opsgenie.routes
    assert route == OpsgenieRouteConfig(
        severities=("P0", "P1"),
        match={"team": "fraud"},
        api_key_file="/run/secrets/fraud-genie-key",
        responders=(ResponderConfig("team", name="fraud-oncall"), ResponderConfig("user", username="a@b.c")),
        priority_map={"P1": "P1"},
    )
    assert dict(opsgenie.priorities(route)) == {"P0": "P1", "P1": "P1", "P2": "P3", "P3": "P5"}
    assert config.webhooks == (WebhookConfig("chat", "https://hooks.example/x", "HOOK_SECRET", ("firing",)),)
    assert config.delivery.max_age == timedelta(hours=2) and config.delivery.max_attempts == 50
    assert config.enabled


def test_enabled_without_a_key_source_names_the_path() -> None:
    errors = _errors("notifications:\n  opsgenie:\n    enabled: true\n")
    assert "notifications.opsgenie.api_key_env" in errors and "GenieKey" in errors


def test_invalid_values_name_their_paths() -> None:
    errors = _errors(
        """
        notifications:
          opsgenie:
            api_url: api.opsgenie.com
            api_key_env: A
            api_key_file: /b
            priority_map: {P0: P0, P9: P1}
            routes:
              - severities: [P7]
                responders: [{type: squad, name: x, id: y}]
          webhooks:
            - {name: chat, url: "ftp://x", events: [fired]}
            - {name: chat, url: "https://x"}
          delivery: {initial_backoff: 10s, max_backoff: 1s, max_pending: 0}
        """
    )
    for expected in (
        "notifications.opsgenie.api_url",
        "notifications.opsgenie.api_key_env: set only one",
        "notifications.opsgenie.priority_map.P0",
        "notifications.opsgenie.priority_map.P9",
        "notifications.opsgenie.routes[0].severities",
        "notifications.opsgenie.routes[0].responders[0].type",
        "notifications.opsgenie.routes[0].responders[0].name: set exactly one",
        "notifications.webhooks[0].url",
        "notifications.webhooks[0].events",
        'notifications.webhooks: item 1: duplicate webhook name "chat"',
        "notifications.delivery.max_backoff",
        "notifications.delivery.max_pending",
    ):
        assert expected in errors, expected


def test_unknown_key_is_an_error() -> None:
    assert "notifications.opsgenie.api_key" in _errors("notifications:\n  opsgenie:\n    api_key: secret\n")


def test_webhooks_alone_enable_notifications() -> None:
    assert NotificationsConfig(webhooks=(WebhookConfig("x", "https://x"),)).enabled
