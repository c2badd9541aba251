"""Alert events through a real gateway to a local server playing Opsgenie's documented API.

The gateway runs with notifications enabled and ``run_tasks=False``; each test feeds ``AlertEvent``s
to ``gateway.notifiers`` (rule evaluation → events is covered by the evaluator's own e2e tests) and
drives the ``notifications`` task with ``run_once`` on a ``FakeClock``. Context (deployments, error
classes) comes from real OTLP traffic of the example model service stored in embedded ClickHouse.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import time
import urllib.request
from collections.abc import Iterator

import pytest

from examples.model_service.__main__ import main as drive_traffic
from gateway.alerting.webhook import SIGNATURE_HEADER
from gateway.app import Gateway
from gateway.clock import FakeClock
from gateway.storage.series import write_points
from processors.alerting.events import AlertEvent
from processors.alerting.opsgenie import HIGH_ERROR_RATE_RUNBOOK, alias
from processors.ml.series import SignalPoint
from tests.e2e.conftest import GatewayFactory, grpc_endpoint, http_url
from tests.support import opsgenie_models
from tests.support.alert_events import LABELS, RULE, alert_event
from tests.support.opsgenie_server import OpsgenieServer, Reply, StubServer

KEY = "e2e-0f3c-genie-key"
KEY_ENV = "INFERWATCH_E2E_GENIE_KEY"


@pytest.fixture
def opsgenie(monkeypatch: pytest.MonkeyPatch) -> Iterator[OpsgenieServer]:
    monkeypatch.setenv(KEY_ENV, KEY)
    with OpsgenieServer(KEY).running() as server:
        yield server


def _start(gateways: GatewayFactory, opsgenie: OpsgenieServer, clock: FakeClock, *extra: str) -> Gateway:
    return gateways.start(
        "notifications.opsgenie.enabled=true",
        f"notifications.opsgenie.api_url={opsgenie.url}",
        f"notifications.opsgenie.api_key_env={KEY_ENV}",
        "notifications.opsgenie.source=inferwatch-e2e",
        "notifications.opsgenie.request_timeout=2s",
        *extra,
        clock=clock,
        run_tasks=False,
    )


def _event(kind: str, clock: FakeClock, **extra: object) -> AlertEvent:
    value = 0.3 if kind != "resolved" else 0.01
    return alert_event(kind, clock.now_unix_nano() / 1e9, value=value, **extra)


def _notify(gateway: Gateway, event: AlertEvent) -> None:
    for notifier in gateway.notifiers:
        notifier(event)


def _deliver(gateway: Gateway, clock: FakeClock, advance: float = 0.0) -> None:
    clock.advance(advance)
    assert gateway.task("notifications").run_once()


def test_firing_pages_once_with_context_then_closes_once(
    gateways: GatewayFactory, opsgenie: OpsgenieServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INFERWATCH_E2E_HOOK_SECRET", "hook-secret")
    with StubServer().running() as hook:
        clock = FakeClock(time.time_ns())
        webhook = f"[{{name: chat, url: '{hook.url}/alerts', secret_env: INFERWATCH_E2E_HOOK_SECRET}}]"
        gateway = _start(gateways, opsgenie, clock, f"notifications.webhooks={webhook}")
        traffic = ["--endpoint", grpc_endpoint(gateway), "--requests", "300", "--rate", "0"]
        traffic += ["--error-rate", "0.3", "--version", "2.2.0", "--seed", "11", "--no-logs"]
        assert drive_traffic(traffic, sleep=lambda seconds: None, out=io.StringIO()) == 0
        errors = gateways.rows(
            "SELECT ErrorClass, count() AS n FROM ml_request_breakdown WHERE Failed "
            "GROUP BY ErrorClass ORDER BY n DESC, ErrorClass LIMIT 5"
        )
        assert errors, "the traffic should have failed requests"
        clock.advance((time.time_ns() - clock.now_unix_nano()) / 1e9 + 1.0)  # the alert fires after it
        end_ns = clock.now_unix_nano()
        drift = SignalPoint(
            "psi", "fraud-detector", "2.2.0", 0.31, end_ns - 3600 * 10**9, end_ns, {"feature": "amount"}
        )
        quality = SignalPoint("completeness", "fraud-detector", "", 0.93, end_ns - 3600 * 10**9, end_ns)
        client = gateway.open_client()
        write_points(client, "ml_drift", [drift], end_ns)
        write_points(client, "ml_quality", [quality], end_ns)

        _notify(gateway, _event("firing", clock))
        _notify(gateway, _event("firing", clock))  # re-sent while open: not a second page
        _deliver(gateway, clock)
        (create,) = opsgenie.accepted("create")
        body = create.body
        opsgenie_models.validate("create", body)
        assert body["alias"] == alias(RULE, LABELS)
        assert (
            body["priority"] == "P2"
            and body["entity"] == "fraud-detector"
            and body["source"] == "inferwatch-e2e"
        )
        assert {"model:fraud-detector", "version:2.2.0", "severity:P1", "category:error-rate"} <= set(
            body["tags"]
        )
        assert body["message"].startswith("[P1] HighErrorRate on fraud-detector 2.2.0")
        description = body["description"]
        assert HIGH_ERROR_RATE_RUNBOOK in description
        assert "Model versions deployed in the last 24 h:\n- 2.2.0 rolled out" in description
        for name, count in errors:
            assert f"- {name}: {count}" in description
        assert "- drift: psi{feature=amount} (2.2.0) = 0.31" in description
        assert "- quality: completeness = 0.93" in description
        assert create.headers["Authorization"] == f"GenieKey {KEY}"

        (signed,) = hook.requests
        expected = hmac.new(b"hook-secret", signed.raw, hashlib.sha256).hexdigest()
        assert signed.headers[SIGNATURE_HEADER] == f"sha256={expected}"
        assert signed.body["event"] == "firing" and signed.body["alias"] == body["alias"]

        _notify(gateway, _event("resolved", clock))
        _deliver(gateway, clock, 60.0)
        _deliver(gateway, clock, 60.0)
        (close,) = opsgenie.accepted("close")
        assert close.path == f"/v2/alerts/{body['alias']}/close" and close.query == {
            "identifierType": "alias"
        }
        opsgenie_models.validate("close", close.body)
        (alert,) = opsgenie.history
        assert alert.closed and alert.count == 1
        assert len(opsgenie.requests) == 2 and [r.body["event"] for r in hook.requests] == [
            "firing",
            "resolved",
        ]


def test_opsgenie_down_then_delivered_exactly_once(
    gateways: GatewayFactory, opsgenie: OpsgenieServer
) -> None:
    clock = FakeClock(time.time_ns())
    gateway = _start(gateways, opsgenie, clock)
    opsgenie.fail_next(
        Reply(503, {"message": "Service Unavailable"}),
        Reply(503, {"message": "Service Unavailable"}),
        Reply(500, {"message": "Internal Server Error"}),
        Reply(429, {"message": "You are making too many requests!"}, {"Retry-After": "20"}),
    )
    _notify(gateway, _event("firing", clock))
    _deliver(gateway, clock)
    for _ in range(3):  # back-off is at most 1, 2, 4 s (jitter only shortens it)
        _deliver(gateway, clock, 4.0)
    assert [reply.status for reply in opsgenie.replies] == [503, 503, 500, 429]
    status = json.loads(urllib.request.urlopen(http_url(gateway) + "/api/v1/notifications", timeout=5).read())
    (pending,) = status["pending"]
    assert pending["attempts"] == 4 and "HTTP 429" in pending["last_error"] and KEY not in json.dumps(status)
    _deliver(gateway, clock, 19.0)  # Retry-After: 20 is honoured
    assert len(opsgenie.requests) == 4
    _deliver(gateway, clock, 1.0)
    _deliver(gateway, clock, 60.0)
    assert len(opsgenie.accepted("create")) == 1 and len(opsgenie.requests) == 5


def test_undelivered_page_survives_a_restart(gateways: GatewayFactory, opsgenie: OpsgenieServer) -> None:
    clock = FakeClock(time.time_ns())
    first = _start(gateways, opsgenie, clock)
    opsgenie.fail_next(*[Reply(503, {"message": "down"})] * 3)
    _notify(first, _event("firing", clock))
    _deliver(first, clock)
    assert first.shutdown(grace=1) and opsgenie.accepted("create") == []

    second = _start(gateways, opsgenie, clock)
    _notify(second, _event("firing", clock))  # the evaluator re-sends after its restart: no second page
    for _ in range(4):
        _deliver(second, clock, 5.0)
    (create,) = opsgenie.accepted("create")
    assert create.body["alias"] == alias(RULE, LABELS) and len(opsgenie.history) == 1


def test_escalation_adds_one_note(gateways: GatewayFactory, opsgenie: OpsgenieServer) -> None:
    clock = FakeClock(time.time_ns())
    gateway = _start(gateways, opsgenie, clock)
    _notify(gateway, _event("firing", clock))
    _deliver(gateway, clock)
    _notify(gateway, _event("escalated", clock, escalated_to="P0"))
    _deliver(gateway, clock, 1.0)
    _deliver(gateway, clock, 1.0)
    (note,) = opsgenie.accepted("notes")
    assert note.query == {"identifierType": "alias"} and note.path.endswith(f"/{alias(RULE, LABELS)}/notes")
    opsgenie_models.validate("note", note.body)
    (alert,) = opsgenie.history
    assert len(alert.notes) == 1 and alert.notes[0].startswith("Worsened to P0")
