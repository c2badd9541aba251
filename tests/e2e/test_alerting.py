"""Alert evaluation end to end: the example model service's errors, through OTLP, page exactly once.

A real gateway (``run_tasks=False``) on a ``FakeClock``; the test drives ``task("alerts").run_once()``
minute by minute and captures the ``AlertEvent``s with a callable appended to ``gateway.notifiers``.

Traffic (explicit span times, sent once per test through the OTel SDK's OTLP/gRPC exporter): 20 requests
a minute of fraud-detector; in minutes 5..14 half of them fail with 503. With a 5m window and no delay,
the evaluation at minute m sees minutes m-5..m-1: the error rate is 0 at m=5, 10% at m=6 (pending), stays
above 5% until m=19 and is 0 at m=20. With ``for: 5m`` the alert fires at m=11 and resolves at m=20.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from examples.model_service import ModelService
from gateway.app import Gateway
from gateway.cli.main import main as inferwatch
from gateway.clock import FakeClock
from gateway.storage.series import write_points
from processors.alerting.events import AlertEvent
from processors.ml.series import SignalPoint
from tests.e2e.conftest import GatewayFactory, grpc_endpoint, http_url

T0 = 1_760_000_000 // 3600 * 3600 * 1_000_000_000  # an hour boundary, ns
MINUTE = 60_000_000_000
MODEL = "fraud-detector"
ERROR_MINUTES = range(5, 15)

ERROR_RULE = """\
groups:
  - name: errors
    rules:
      - alert: ErrorRateHigh
        expr: error_rate > 0.05
        for: 5m
        severity: P1
        annotations:
          summary: "Error rate of {{ $labels.model }} is {{ $value }}"
"""


def _rules(tmp_path: Path, text: str, name: str = "rules.yaml") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return str(path)


def _send_traffic(
    gateways: GatewayFactory, gateway: Gateway, minutes: int = 22, tiny_failures: int = 3
) -> None:
    """20 requests a minute (half failing in ERROR_MINUTES), plus ``tiny_failures`` failing requests of
    a model "tiny" in minute 6: too few samples to page."""
    provider = TracerProvider(resource=Resource.create({"service.name": "fraud-api"}))
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=grpc_endpoint(gateway), insecure=True))
    )
    tracer = provider.get_tracer("alerting-test")
    service = ModelService(tracer, model_name=MODEL, model_version="2.1.0")
    features = {"amount": 120.0, "account_age_days": 30, "country": "DE"}
    for minute in range(minutes):
        for index in range(20):
            failing = minute in ERROR_MINUTES and index % 2 == 0
            service.handle(
                f"r-{minute}-{index}",
                features,
                start_ns=T0 + minute * MINUTE + (1 + 2 * index) * 1_000_000_000,
                stage_durations_ms={"inference": 10.0},
                http_status=503 if failing else None,
            )
    tiny = ModelService(tracer, model_name="tiny", model_version="1")
    for index in range(tiny_failures):
        tiny.handle(f"t-{index}", features, start_ns=T0 + 5 * MINUTE + index * 1_000_000_000, http_status=503)
    assert provider.force_flush(10_000)
    provider.shutdown()
    gateways.rows("SELECT 1")  # the gateway's writers flushed: every request is stored


def _start(gateways: GatewayFactory, clock: FakeClock, rule_file: str, *extra: str) -> tuple[Gateway, list]:
    gateway = gateways.start(
        f"alerting.rule_files=[{rule_file}]",
        "alerting.evaluation_delay=0s",
        *extra,
        clock=clock,
        run_tasks=False,
    )
    events: list[AlertEvent] = []
    gateway.notifiers.append(events.append)
    return gateway, events


def _at_minute(clock: FakeClock, minute: int) -> None:
    clock.advance((T0 + minute * MINUTE - clock.now_unix_nano()) / 1e9)


def _states(gateways: GatewayFactory, rule_id: str) -> dict[str, str]:
    """model -> state of the rule's stored instances."""
    rows = gateways.rows(
        "SELECT argMax(State, UpdatedAt) FROM ml_alert_state WHERE RuleId = {id:String}", {"id": rule_id}
    )
    if not rows or not rows[0][0]:
        return {}
    return {item["labels"]["model"]: item["state"] for item in json.loads(rows[0][0])["instances"]}


def _run(gateway: Gateway, clock: FakeClock, minute: int) -> None:
    _at_minute(clock, minute)
    assert gateway.task("alerts").run_once(), gateway.task("alerts").last_error


def test_error_rate_pages_once_after_for_and_resolves_once(gateways, tmp_path):
    clock = FakeClock(T0)
    gateway, events = _start(gateways, clock, _rules(tmp_path, ERROR_RULE))
    _send_traffic(gateways, gateway)
    seen: dict[int, dict[str, str]] = {}
    for minute in range(5, 22):
        _run(gateway, clock, minute)
        seen[minute] = _states(gateways, "errors/ErrorRateHigh")
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
    rule_file = _rules(tmp_path, ERROR_RULE)
    first, first_events = _start(gateways, clock, rule_file)
    _send_traffic(gateways, first)
    for minute in range(5, 9):
        _run(first, clock, minute)
    assert _states(gateways, "errors/ErrorRateHigh") == {MODEL: "pending"}
    first.shutdown(grace=1)
    gateways.started.remove(first)

    second, events = _start(gateways, clock, rule_file)
    for minute in (9, 10):
        _run(second, clock, minute)
        assert _states(gateways, "errors/ErrorRateHigh") == {MODEL: "pending"}
    _run(second, clock, 11)
    assert _states(gateways, "errors/ErrorRateHigh") == {MODEL: "firing"}
    assert [e.kind for e in events] == ["firing"] and first_events == []
    second.shutdown(grace=1)
    gateways.started.remove(second)

    third, third_events = _start(gateways, clock, rule_file)  # restarted while firing: nothing re-sent
    _run(third, clock, 12)
    assert third_events == []


def test_a_silence_mutes_until_expired(gateways, tmp_path):
    clock = FakeClock(T0)
    gateway, events = _start(gateways, clock, _rules(tmp_path, ERROR_RULE))
    _send_traffic(gateways, gateway)
    url = http_url(gateway)
    _at_minute(clock, 6)
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
        _run(gateway, clock, minute)
    assert _states(gateways, "errors/ErrorRateHigh") == {MODEL: "firing"}
    assert events == []
    (muted,) = gateways.rows("SELECT Muted FROM ml_alerts WHERE ToState = 'firing'")
    assert muted[0].startswith("silenced:")
    silence_id = muted[0].removeprefix("silenced:")
    assert inferwatch(["silence", "expire", silence_id, "--url", url]) == 0
    _run(gateway, clock, 13)
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
    gateway, events = _start(gateways, clock, _rules(tmp_path, rules))
    _send_traffic(gateways, gateway)
    _run(gateway, clock, 6)  # 10%: the P2 is pending
    _run(gateway, clock, 9)  # 40%: both fire; the P0 mutes the P2
    assert [(e.kind, e.rule) for e in events] == [("firing", "ErrorRateEmergency")]
    _run(gateway, clock, 17)  # 30%: the P0 resolves, the P2 (still firing) is sent now
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
    gateway, events = _start(gateways, clock, _rules(tmp_path, rules))
    _send_traffic(gateways, gateway)
    for minute in (6, 7, 8, 9, 10):  # 10%, 20%, 30%, 40%, 50%
        _run(gateway, clock, minute)
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
    gateway, events = _start(gateways, clock, _rules(tmp_path, rules))
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
    bad = _rules(tmp_path, "- alert: X\n  expr: error_rat > 0.05\n  severity: P1\n")
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
    gateway, events = _start(gateways, clock, _rules(tmp_path, rules), "alerting.min_samples=1")
    _send_traffic(gateways, gateway)
    gateways.rows("RENAME TABLE ml_drift TO ml_drift_away")  # the stored-signal query now fails
    _run(gateway, clock, 6)
    evaluator = gateway.alert_evaluator
    assert set(evaluator.errors) == {"rules/AgeDrift"} and "ml_drift" in evaluator.errors["rules/AgeDrift"]
    # the model selector keeps "tiny" (3 of 3 failed; min_samples lowered to 1) and drops fraud-detector
    assert sorted((e.rule, e.labels["model"]) for e in events) == [
        ("ErrorRateHigh", MODEL),
        ("ErrorRateHigh", "tiny"),
        ("OtherModelOnly", "tiny"),
    ]
    gateways.rows("RENAME TABLE ml_drift_away TO ml_drift")
    _run(gateway, clock, 7)
    assert evaluator.errors == {}


def test_the_default_rule_pack_evaluates_every_rule(gateways):
    pack = Path(__file__).resolve().parents[2] / "deploy" / "rules"
    clock = FakeClock(T0)
    gateway, events = _start(gateways, clock, str(pack))
    _send_traffic(gateways, gateway)
    evaluator = gateway.alert_evaluator
    for minute in range(6, 13):
        _run(gateway, clock, minute)
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
    gateway, events = _start(gateways, clock, _rules(tmp_path, rules))
    _send_traffic(gateways, gateway)
    for minute in range(9, 22):  # above 30% from minute 9 to 16; 30%, 20%, 10%, 0 at minutes 17..20
        _run(gateway, clock, minute)
    resolved = {e.rule: round((e.at * 1e9 - T0) / MINUTE) for e in events if e.kind == "resolved"}
    assert resolved == {"Plain": 17, "Hysteresis": 19, "KeepFiring": 20}
    assert sorted(e.rule for e in events if e.kind == "firing") == ["Hysteresis", "KeepFiring", "Plain"]


def test_repeat_interval_resends_a_firing_alert(gateways, tmp_path):
    rules = '- alert: AgeDrift\n  expr: psi{feature="age"} > 0.2\n  severity: P2\n'
    clock = FakeClock(T0)
    gateway, events = _start(gateways, clock, _rules(tmp_path, rules), "alerting.repeat_interval=5m")
    point = SignalPoint("psi", MODEL, "", 0.3, T0 - 30 * MINUTE, T0, {"feature": "age"}, samples=100)
    write_points(gateway.open_client(), "ml_drift", [point], T0)
    for minute in range(0, 11):
        _run(gateway, clock, minute)
    assert [(e.kind, round((e.at * 1e9 - T0) / MINUTE)) for e in events] == [
        ("firing", 0),
        ("firing", 5),
        ("firing", 10),
    ]
