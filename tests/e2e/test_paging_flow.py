"""The whole path: errors injected into the instrumented example service → OTLP → the alert rule fires
after ``for`` → exactly one Opsgenie create at the local stand-in → recovery → exactly one close; the
same with Opsgenie down when the rule fires, with a restart in the middle of ``for``, and with two
replicas evaluating the same rules.

Traffic and minute-by-minute evaluation come from tests/e2e/alerting_support.py (shared with the
evaluator's own e2e, which captures events); here the notification subsystem turns them into requests.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gateway.app import Gateway
from gateway.clock import FakeClock
from processors.alerting.opsgenie import HIGH_ERROR_RATE_RUNBOOK, alias
from tests.e2e.alerting_support import ERROR_RULE, MINUTE, MODEL, T0, run_minute, send_traffic, write_rules
from tests.e2e.conftest import GatewayFactory
from tests.support import opsgenie_models
from tests.support.opsgenie_server import OpsgenieServer, Reply

KEY = "flow-genie-key"


@pytest.fixture
def opsgenie(monkeypatch: pytest.MonkeyPatch) -> Iterator[OpsgenieServer]:
    monkeypatch.setenv("INFERWATCH_FLOW_GENIE_KEY", KEY)
    with OpsgenieServer(KEY).running() as server:
        yield server


def _paging_gateway(
    gateways: GatewayFactory, opsgenie: OpsgenieServer, clock: FakeClock, rule_file: str, *extra: str
) -> Gateway:
    return gateways.start(
        f"alerting.rule_files=[{rule_file}]",
        "alerting.evaluation_delay=0s",
        "notifications.opsgenie.enabled=true",
        f"notifications.opsgenie.api_url={opsgenie.url}",
        "notifications.opsgenie.api_key_env=INFERWATCH_FLOW_GENIE_KEY",
        *extra,
        clock=clock,
        run_tasks=False,
    )


def test_injected_errors_page_once_and_close_once(
    gateways: GatewayFactory, opsgenie: OpsgenieServer, tmp_path
):
    clock = FakeClock(T0)
    gateway = _paging_gateway(gateways, opsgenie, clock, write_rules(tmp_path, ERROR_RULE))
    send_traffic(gateways, gateway)
    creates_by_minute = {}
    for minute in range(5, 22):
        run_minute(gateway, clock, minute)
        assert gateway.task("notifications").run_once()
        creates_by_minute[minute] = len(opsgenie.accepted("create"))
    # The error rate is above 5% from minute 6; with for: 5m the page goes out at minute 11, once.
    assert [m for m, n in creates_by_minute.items() if n] == list(range(11, 22))
    assert max(creates_by_minute.values()) == 1
    (create,) = opsgenie.accepted("create")
    body = create.body
    opsgenie_models.validate("create", body)
    labels = {"model": MODEL, "version": "2.1.0"}
    assert body["alias"] == alias("ErrorRateHigh", labels)
    assert body["priority"] == "P2" and body["entity"] == MODEL
    assert body["message"] == f"[P1] ErrorRateHigh on {MODEL} 2.1.0: Error rate of {MODEL} is 0.5"
    errors = gateways.rows(
        "SELECT ErrorClass, count() FROM ml_request_breakdown WHERE Failed AND RequestStart "
        "BETWEEN fromUnixTimestamp64Nano({start:Int64}) AND fromUnixTimestamp64Nano({end:Int64}) "
        "GROUP BY ErrorClass",
        {"start": T0 + 6 * MINUTE, "end": T0 + 11 * MINUTE},
    )
    assert errors and all(f"- {name}: {count}" in body["description"] for name, count in errors)
    # The first request of 2.1.0 started at T0 + 1 s: 10 min 59 s before the alert fired.
    assert "- 2.1.0 rolled out 10 minutes before this alert" in body["description"]
    assert HIGH_ERROR_RATE_RUNBOOK in body["description"]
    # Recovery at minute 20: one close by alias, nothing more.
    (close,) = opsgenie.accepted("close")
    assert close.path == f"/v2/alerts/{body['alias']}/close" and close.query == {"identifierType": "alias"}
    (alert,) = opsgenie.history
    assert alert.closed and alert.count == 1 and len(opsgenie.requests) == 2


def test_two_replicas_evaluating_the_same_rules_open_one_alert(
    gateways: GatewayFactory, opsgenie: OpsgenieServer, tmp_path
):
    """Two gateways on one database, each with its own outbox, both evaluating the rule (what happens
    when ``alerting.enabled`` is left on for every replica): both create with the same alias, so
    Opsgenie keeps one alert (its count goes to 2) and pages once; both close it."""
    clock = FakeClock(T0)
    rule_file = write_rules(tmp_path, ERROR_RULE)
    replicas = [
        _paging_gateway(
            gateways,
            opsgenie,
            clock,
            rule_file,
            f"notifications.opsgenie.source=replica-{name}",
            f"data_dir={tmp_path / name}",
        )
        for name in ("a", "b")
    ]
    send_traffic(gateways, replicas[0])
    for minute in range(5, 22):
        for replica in replicas:
            run_minute(replica, clock, minute)
            assert replica.task("notifications").run_once()
    creates = opsgenie.accepted("create")
    assert sorted(c.body["source"] for c in creates) == ["replica-a", "replica-b"]
    assert (
        creates[0].body["alias"]
        == creates[1].body["alias"]
        == alias("ErrorRateHigh", {"model": MODEL, "version": "2.1.0"})
    )
    (alert,) = opsgenie.history  # one alert, one page
    assert alert.count == 2 and alert.closed
    assert len(opsgenie.accepted("close")) == 2  # the second close finds it closed: nothing happens


def test_opsgenie_down_when_the_rule_fires_pages_once_when_it_is_back(
    gateways: GatewayFactory, opsgenie: OpsgenieServer, tmp_path
):
    clock = FakeClock(T0)
    gateway = _paging_gateway(gateways, opsgenie, clock, write_rules(tmp_path, ERROR_RULE))
    send_traffic(gateways, gateway)
    opsgenie.fail_next(
        Reply(503, {"message": "Service Unavailable"}),
        Reply(503, {"message": "Service Unavailable"}),
        Reply(500, {"message": "Internal Server Error"}),
        Reply(429, {"message": "You are making too many requests!"}, {"Retry-After": "90"}),
    )
    accepted_at = {}
    for minute in range(5, 22):  # one delivery run a minute: back-off (1, 2, 4 s) is due at the next
        run_minute(gateway, clock, minute)
        assert gateway.task("notifications").run_once()
        for request in opsgenie.accepted("create") + opsgenie.accepted("close"):
            accepted_at.setdefault(request.path, minute)
    # Fires at minute 11; 503, 503, 500 at 11..13, 429 at 14 asks for 90 s: delivered at minute 16.
    assert [reply.status for reply in opsgenie.replies] == [503, 503, 500, 429, 202, 202]
    (create,) = opsgenie.accepted("create")
    (close,) = opsgenie.accepted("close")
    assert accepted_at == {create.path: 16, close.path: 20}
    (alert,) = opsgenie.history
    assert alert.count == 1 and alert.closed


def test_restart_mid_for_pages_on_time_once(gateways: GatewayFactory, opsgenie: OpsgenieServer, tmp_path):
    clock = FakeClock(T0)
    rule_file = write_rules(tmp_path, ERROR_RULE)
    first = _paging_gateway(gateways, opsgenie, clock, rule_file)
    send_traffic(gateways, first)
    for minute in range(5, 9):  # pending since minute 6
        run_minute(first, clock, minute)
        assert first.task("notifications").run_once()
    first.shutdown(grace=1)
    gateways.started.remove(first)

    second = _paging_gateway(gateways, opsgenie, clock, rule_file)  # restores the pending instance
    creates_by_minute = {}
    for minute in range(9, 22):
        run_minute(second, clock, minute)
        assert second.task("notifications").run_once()
        creates_by_minute[minute] = len(opsgenie.accepted("create"))
    # for: 5m counted from minute 6 across the restart: the page goes out at minute 11, once.
    assert [m for m, n in creates_by_minute.items() if n] == list(range(11, 22))
    assert max(creates_by_minute.values()) == 1 and len(opsgenie.accepted("close")) == 1
