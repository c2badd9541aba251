"""Alert evaluation end to end: the example model service's errors, through OTLP, page exactly once.

A real gateway (``run_tasks=False``) on a ``FakeClock``; the test drives ``task("alerts").run_once()``
minute by minute and captures the ``AlertEvent``s with a callable appended to ``gateway.notifiers``.

The traffic and the timeline of the error-rate rule: tests/e2e/alerting_support.py.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from gateway.cli.main import main as inferwatch
from gateway.clock import FakeClock
from gateway.storage.series import write_points
from processors.ml.series import SignalPoint
from tests.e2e.alerting_support import (
    ERROR_RULE,
    MINUTE,
    MODEL,
    T0,
    at_minute,
    run_minute,
    send_traffic,
    start_with_events,
    stored_states,
    write_rules,
)
from tests.e2e.conftest import http_url


def test_error_rate_pages_once_after_for_and_resolves_once(gateways, tmp_path):
    clock = FakeClock(T0)
    gateway, events = start_with_events(gateways, clock, write_rules(tmp_path, ERROR_RULE))
    send_traffic(gateways, gateway)
    seen: dict[int, dict[str, str]] = {}
    for minute in range(5, 22):
        run_minute(gateway, clock, minute)
        seen[minute] = stored_states(gateways, "errors/ErrorRateHigh")
    assert seen[5] == {}
    assert all(seen[m] == {MODEL: "pending"} for m in range(6, 11))
    assert all(seen[m] == {MODEL: "firing"} for m in range(11, 20))
    assert seen[20] == {MODEL: "resolved"}
    assert [(e.kind, e.at) for e in events] == [
        ("firing", (T0 + 11 * MINUTE) / 1e9),
        ("resolved", (T0 + 20 * MINUTE) / 1e9),
    ]
    firing = events[0]
    assert firing.labels["model"] == MODEL and firing.labels["version"] == "2.1.0"
    assert firing.value == 0.5 and firing.severity == "P1" and firing.category == "error-rate"
    assert firing.summary == f"Error rate of {MODEL} is 0.5"
    assert firing.threshold == "error_rate > 0.05" and firing.window == "5m"
    assert firing.fired_at == (T0 + 11 * MINUTE) / 1e9
    # min_samples (default 10): "tiny" failed 3 of 3 requests and never became an alert
    assert "tiny" not in str(seen)
    history = gateways.rows(
        "SELECT FromState, ToState, toUnixTimestamp64Milli(At) FROM ml_alerts ORDER BY At"
    )
    assert [(f, t) for f, t, _ in history] == [
        ("inactive", "pending"),
        ("pending", "firing"),
        ("firing", "resolved"),
    ]
    assert [at for _, _, at in history] == [(T0 + m * MINUTE) // 1_000_000 for m in (6, 11, 20)]


def test_restart_mid_for_fires_on_time_and_never_twice(gateways, tmp_path):
    clock = FakeClock(T0)
    rule_file = write_rules(tmp_path, ERROR_RULE)
    first, first_events = start_with_events(gateways, clock, rule_file)
    send_traffic(gateways, first)
    for minute in range(5, 9):
        run_minute(first, clock, minute)
    assert stored_states(gateways, "errors/ErrorRateHigh") == {MODEL: "pending"}
    first.shutdown(grace=1)
    gateways.started.remove(first)

    second, events = start_with_events(gateways, clock, rule_file)
    for minute in (9, 10):
        run_minute(second, clock, minute)
        assert stored_states(gateways, "errors/ErrorRateHigh") == {MODEL: "pending"}
    run_minute(second, clock, 11)
    assert stored_states(gateways, "errors/ErrorRateHigh") == {MODEL: "firing"}
    assert [e.kind for e in events] == ["firing"] and first_events == []
    second.shutdown(grace=1)
    gateways.started.remove(second)

    # Restarted while firing: nothing is sent again.
    third, third_events = start_with_events(gateways, clock, rule_file)
    run_minute(third, clock, 12)
    assert third_events == []


def test_a_silence_mutes_until_expired(gateways, tmp_path):
    clock = FakeClock(T0)
    gateway, events = start_with_events(gateways, clock, write_rules(tmp_path, ERROR_RULE))
    send_traffic(gateways, gateway)
    url = http_url(gateway)
    at_minute(clock, 6)
    assert (
        inferwatch(
            [
                "silence",
                "add",
                "--url",
                url,
                "--match",
                f"model={MODEL}",
                "--for",
                "2h",
                "--comment",
                "deploying a fix",
                "--author",
                "alice",
            ]
        )
        == 0
    )
    for minute in range(6, 13):
        run_minute(gateway, clock, minute)
    assert stored_states(gateways, "errors/ErrorRateHigh") == {MODEL: "firing"}
    assert events == []
    (muted,) = gateways.rows("SELECT Muted FROM ml_alerts WHERE ToState = 'firing'")
    assert muted[0].startswith("silenced:")
    silence_id = muted[0].removeprefix("silenced:")
    assert inferwatch(["silence", "expire", silence_id, "--url", url]) == 0
    run_minute(gateway, clock, 13)
    assert [(e.kind, e.labels["model"]) for e in events] == [("firing", MODEL)]


def test_inhibition_mutes_the_p2_under_a_p0(gateways, tmp_path):
    rules = """\
        groups:
          - name: levels
            rules:
              - alert: ErrorRateEmergency
                expr: error_rate > 0.3
                severity: P0
              - alert: ErrorRateElevated
                expr: error_rate > 0.02
                for: 3m
                severity: P2
        """
    clock = FakeClock(T0)
    gateway, events = start_with_events(gateways, clock, write_rules(tmp_path, rules))
    send_traffic(gateways, gateway)
    run_minute(gateway, clock, 6)  # 10%: the P2 is pending
    run_minute(gateway, clock, 9)  # 40%: both fire; the P0 mutes the P2
    assert [(e.kind, e.rule) for e in events] == [("firing", "ErrorRateEmergency")]
    run_minute(gateway, clock, 17)  # 30%: the P0 resolves, the P2 (still firing) is sent now
    assert [(e.kind, e.rule) for e in events] == [
        ("firing", "ErrorRateEmergency"),
        ("resolved", "ErrorRateEmergency"),
        ("firing", "ErrorRateElevated"),
    ]
    history = gateways.rows("SELECT Rule, FromState, ToState, Muted FROM ml_alerts ORDER BY At, Rule")
    assert history == [
        ("ErrorRateElevated", "inactive", "pending", ""),
        ("ErrorRateElevated", "pending", "firing", "inhibited"),
        ("ErrorRateEmergency", "inactive", "firing", ""),
        ("ErrorRateEmergency", "firing", "resolved", ""),
    ]


def test_escalation_to_the_next_severity_is_sent_once(gateways, tmp_path):
    rules = """\
        - alert: ErrorRateHigh
          expr: error_rate > 0.05
          severity: P1
        - alert: ErrorRateEmergency
          expr: error_rate > 0.3
          for: 1h
          severity: P0
        """
    clock = FakeClock(T0)
    gateway, events = start_with_events(gateways, clock, write_rules(tmp_path, rules))
    send_traffic(gateways, gateway)
    for minute in (6, 7, 8, 9, 10):  # 10%, 20%, 30%, 40%, 50%
        run_minute(gateway, clock, minute)
    assert [(e.kind, e.rule, e.escalated_to, e.value) for e in events] == [
        ("firing", "ErrorRateHigh", None, 0.1),
        ("escalated", "ErrorRateHigh", "P0", 0.4),
    ]


def test_a_stored_drift_signal_fires(gateways, tmp_path):
    rules = """\
        - alert: AgeDrift
          expr: psi{feature="age"} > 0.2
          severity: P2
          annotations:
            summary: "PSI of {{ $labels.feature }} on {{ $labels.model }} is {{ $value }}"
        """
    clock = FakeClock(T0 + 30 * MINUTE)
    gateway, events = start_with_events(gateways, clock, write_rules(tmp_path, rules))
    client = gateway.open_client()
    points = [
        SignalPoint("psi", MODEL, "", 0.31, T0, T0 + 30 * MINUTE, {"feature": "age"}, samples=500),
        SignalPoint("psi", MODEL, "", 0.05, T0, T0 + 30 * MINUTE, {"feature": "amount"}, samples=500),
        SignalPoint(
            "psi", "other", "", 0.9, T0 - 600 * MINUTE, T0 - 590 * MINUTE, {"feature": "age"}, samples=500
        ),
    ]
    write_points(client, "ml_drift", points, T0 + 30 * MINUTE)
    assert gateway.task("alerts").run_once(), gateway.task("alerts").last_error
    assert [(e.kind, dict(e.labels), e.summary, e.category) for e in events] == [
        (
            "firing",
            {"model": MODEL, "version": "", "feature": "age"},
            f"PSI of age on {MODEL} is 0.31",
            "drift",
        )
    ]


def test_a_bad_rule_file_fails_the_start_with_its_position(gateways, tmp_path):
    bad = write_rules(tmp_path, "- alert: X\n  expr: error_rat > 0.05\n  severity: P1\n")
    try:
        gateways.start(f"alerting.rule_files=[{bad}]", run_tasks=False)
    except ValueError as error:
        assert f"{bad}:2:9:" in str(error)
        assert "error_rate" in str(error)  # the suggestion
    else:
        raise AssertionError("the gateway started with an invalid rule file")


def test_a_failing_rule_keeps_its_state_and_the_others_run(gateways, tmp_path):
    rules = """\
        - alert: ErrorRateHigh
          expr: error_rate > 0.05
          severity: P1
        - alert: OtherModelOnly
          expr: error_rate > 0.05
          severity: P1
          model: [tiny, churn]
        - alert: AgeDrift
          expr: psi{feature="age"} > 0.2
          severity: P2
        """
    clock = FakeClock(T0)
    gateway, events = start_with_events(
        gateways, clock, write_rules(tmp_path, rules), "alerting.min_samples=1"
    )
    send_traffic(gateways, gateway)
    gateways.rows("RENAME TABLE ml_drift TO ml_drift_away")  # the stored-signal query now fails
    run_minute(gateway, clock, 6)
    evaluator = gateway.alert_evaluator
    assert set(evaluator.errors) == {"rules/AgeDrift"} and "ml_drift" in evaluator.errors["rules/AgeDrift"]
    # the model selector keeps "tiny" (3 of 3 failed; min_samples lowered to 1) and drops fraud-detector
    assert sorted((e.rule, e.labels["model"]) for e in events) == [
        ("ErrorRateHigh", MODEL),
        ("ErrorRateHigh", "tiny"),
        ("OtherModelOnly", "tiny"),
    ]
    gateways.rows("RENAME TABLE ml_drift_away TO ml_drift")
    run_minute(gateway, clock, 7)
    assert evaluator.errors == {}


def test_the_default_rule_pack_evaluates_every_rule(gateways):
    pack = Path(__file__).resolve().parents[2] / "deploy" / "rules"
    clock = FakeClock(T0)
    gateway, events = start_with_events(gateways, clock, str(pack))
    send_traffic(gateways, gateway)
    evaluator = gateway.alert_evaluator
    for minute in range(6, 13):
        run_minute(gateway, clock, minute)
        assert evaluator.errors == {}
    assert len(evaluator.rules) > 20
    firing = {(e.rule, e.labels["model"]) for e in events if e.kind == "firing"}
    # above 10% from minute 7, above 5% from minute 6, for 5m; "tiny" stopped sending after minute 5
    assert {("ErrorRateEmergency", MODEL), ("ErrorRateHigh", MODEL), ("ModelServiceDown", "tiny")} <= firing
    assert {e.category for e in events} <= {"error-rate", "availability"}


def test_hysteresis_and_keep_firing_for_delay_the_resolution(gateways, tmp_path):
    rules = """\
        - alert: Plain
          expr: error_rate > 0.3
          severity: P1
        - alert: Hysteresis
          expr: error_rate > 0.3
          resolve: error_rate >= 0.15
          severity: P1
        - alert: KeepFiring
          expr: error_rate > 0.3
          keep_firing_for: 3m
          severity: P1
        """
    clock = FakeClock(T0)
    gateway, events = start_with_events(gateways, clock, write_rules(tmp_path, rules))
    send_traffic(gateways, gateway)
    for minute in range(9, 22):  # above 30% from minute 9 to 16; 30%, 20%, 10%, 0 at minutes 17..20
        run_minute(gateway, clock, minute)
    resolved = {e.rule: round((e.at * 1e9 - T0) / MINUTE) for e in events if e.kind == "resolved"}
    assert resolved == {"Plain": 17, "Hysteresis": 19, "KeepFiring": 20}
    assert sorted(e.rule for e in events if e.kind == "firing") == ["Hysteresis", "KeepFiring", "Plain"]


def test_repeat_interval_resends_a_firing_alert(gateways, tmp_path):
    rules = '- alert: AgeDrift\n  expr: psi{feature="age"} > 0.2\n  severity: P2\n'
    clock = FakeClock(T0)
    gateway, events = start_with_events(
        gateways, clock, write_rules(tmp_path, rules), "alerting.repeat_interval=5m"
    )
    point = SignalPoint("psi", MODEL, "", 0.3, T0 - 30 * MINUTE, T0, {"feature": "age"}, samples=100)
    write_points(gateway.open_client(), "ml_drift", [point], T0)
    for minute in range(0, 11):
        run_minute(gateway, clock, minute)
    assert [(e.kind, round((e.at * 1e9 - T0) / MINUTE)) for e in events] == [
        ("firing", 0),
        ("firing", 5),
        ("firing", 10),
    ]


def test_evaluation_delay_shifts_every_window_back(gateways, tmp_path):
    # With a 2-minute delay the evaluation at minute m sees minutes m-7..m-3: everything happens two
    # minutes later than without one (pending 8, firing 13, resolved 22 instead of 6, 11, 20).
    clock = FakeClock(T0)
    rule_file = write_rules(tmp_path, ERROR_RULE)
    gateway, events = start_with_events(gateways, clock, rule_file, "alerting.evaluation_delay=2m")
    assert gateway.config.alerting.evaluation_delay == timedelta(minutes=2)
    send_traffic(gateways, gateway)
    seen = {}
    for minute in range(5, 24):
        run_minute(gateway, clock, minute)
        seen[minute] = stored_states(gateways, "errors/ErrorRateHigh").get(MODEL, "")
    assert [m for m, state in seen.items() if state == "pending"] == list(range(8, 13))
    assert [m for m, state in seen.items() if state == "firing"] == list(range(13, 22))
    assert [(e.kind, e.at) for e in events] == [
        ("firing", (T0 + 13 * MINUTE) / 1e9),
        ("resolved", (T0 + 22 * MINUTE) / 1e9),
    ]
