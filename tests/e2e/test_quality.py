"""Data quality end to end: the example service sends inference events with good and bad features over
OTLP/gRPC, the gateway's quality task evaluates them (FakeClock, run_once), and ml_quality /
ml_quality_violations hold exactly what the rules say; ``inferwatch quality`` shows it.

The ten requests (required: amount, account_age_days, country; check: account_age_days >= 30 or
amount <= 1000; merchants table: m-1, m-2):

  #  amount  age  country  email             merchant  sent
  0  100     400  DE       ada@example.com   m-1       now
  1  200     400  FR       bob@example.org   m-2       now
  2  300     10   DE       -                 m-1       now
  3  5000    10   DE       -                 m-1       now          check fails
  4  -5      400  DE       -                 m-9       now          min, reference fail
  5  150     400  XX       not-an-email      m-2       now          allowed, pattern fail
  6  120     400  DE       -                 -         10 min ago   late
  7  130     400  -        -                 m-1       10 min ago   late, country missing
  8  140     400  DE       -                 m-2       now
  9  160     -    FR       -                 m-1       now          age missing (check n/a)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from examples.model_service import ModelService
from examples.model_service.service import log_prediction
from gateway.cli.main import main as cli
from gateway.clock import FakeClock
from tests.e2e.conftest import grpc_endpoint, http_url

SALT = "e2e-quality-salt"
RULES = """\
model: fraud-detector
fields:
  amount: {type: numeric, required: true, min: 0, max: 10000}
  account_age_days: {type: numeric, required: true}
  country: {type: string, required: true, allowed: [DE, FR]}
  email: {type: string, pattern: email, pii: true}
  merchant_id: {type: string, reference: {in_table: {table: merchants, column: merchant_id}}}
checks:
  - name: young_accounts_spend_little
    expr: account_age_days >= 30 or amount <= 1000
timeliness: {max_delay: 5m}
"""
REQUESTS = [
    (100, 400, "DE", "ada@example.com", "m-1", 0),
    (200, 400, "FR", "bob@example.org", "m-2", 0),
    (300, 10, "DE", None, "m-1", 0),
    (5000, 10, "DE", None, "m-1", 0),
    (-5, 400, "DE", None, "m-9", 0),
    (150, 400, "XX", "not-an-email", "m-2", 0),
    (120, 400, "DE", None, None, 600),
    (130, 400, None, None, "m-1", 600),
    (140, 400, "DE", None, "m-2", 0),
    (160, None, "FR", None, "m-1", 0),
]


def _send(gateway) -> tuple[int, int]:
    """Send the requests; (first send time, time after the last one was acknowledged) in ns."""
    provider = TracerProvider(resource=Resource.create({"service.name": "fraud-api"}))
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=grpc_endpoint(gateway), insecure=True))
    )
    service = ModelService(
        provider.get_tracer("quality-e2e"), model_name="fraud-detector", model_version="2.1.0"
    )
    started = time.time_ns()
    for index, (amount, age, country, email, merchant, late_s) in enumerate(REQUESTS):
        values = {"amount": amount, "account_age_days": age, "country": country, "email": email}
        features = {
            name: value for name, value in {**values, "merchant_id": merchant}.items() if value is not None
        }
        service.handle(f"req-{index}", features, start_ns=time.time_ns() - late_s * 10**9)
    assert provider.force_flush(10_000)
    provider.shutdown()
    return started, time.time_ns()


@pytest.fixture
def evaluated(gateways, tmp_path):
    rule_file = tmp_path / "fraud-detector.yaml"
    rule_file.write_text(RULES, encoding="utf-8")
    clock = FakeClock(time.time_ns() + 120 * 10**9)  # the aligned window end falls after every receipt
    gateway = gateways.start(
        f"quality.rule_files=[{rule_file}]",
        "quality.interval=1m",
        "quality.critical.accuracy=0.85",
        f"ml.pii.salt={SALT}",
        clock=clock,
        run_tasks=False,
    )
    admin = gateway.open_client()
    admin.command("CREATE TABLE merchants (merchant_id String) ENGINE = MergeTree ORDER BY merchant_id")
    admin.insert("merchants", [["m-1"], ["m-2"]], column_names=["merchant_id"])
    sent = _send(gateway)
    gateways.rows("SELECT 1")  # flushes the writers
    assert gateway.task("quality").run_once(), gateway.task("quality").last_error
    return gateway, sent


def _points(gateways) -> dict:
    rows = gateways.rows(
        "SELECT Signal, Labels, Value, Samples, Details FROM ml_quality FINAL "
        "WHERE ModelName = 'fraud-detector'"
    )
    return {
        (signal, tuple(sorted(labels.items()))): (value, samples, json.loads(details))
        for signal, labels, value, samples, details in rows
    }


def test_received_at_is_filled_by_the_materialized_views(evaluated, gateways):
    _, (started, _) = evaluated
    rows = gateways.rows(
        "SELECT toUnixTimestamp64Milli(ReceivedAt), toUnixTimestamp64Nano(Timestamp) FROM ml_features "
        "WHERE ModelName = 'fraud-detector'"
    )
    assert len(rows) == 10
    flushed = time.time_ns()
    for received_ms, event_ns in rows:
        assert started // 10**6 <= received_ms <= flushed // 10**6
        assert received_ms * 10**6 >= event_ns - 10**6


def test_quality_metrics_are_written_as_computed_by_hand(evaluated, gateways):
    points = _points(gateways)
    completeness = points[("completeness", ())]
    assert completeness[0] == pytest.approx(28 / 30) and completeness[1] == 30
    assert completeness[2]["status"] == "✗" and completeness[2]["records"] == 10
    validity = points[("validity", ())]  # 40 checked values: amount -5, country XX, not-an-email fail
    assert validity[0] == pytest.approx(37 / 40) and validity[1] == 40
    consistency = points[("consistency", ())]  # request 9 has no age; request 3 fails
    assert consistency[0] == pytest.approx(8 / 9) and consistency[1] == 9
    accuracy = points[("quality_accuracy", ())]  # m-9 is not in the merchants table
    assert accuracy[0] == pytest.approx(8 / 9) and accuracy[2]["status"] == "⚠"
    share = points[("timeliness_share", ())]
    assert share[0] == pytest.approx(0.8) and share[1] == 10 and share[2]["max_delay_seconds"] == 300
    p95 = points[("timeliness_seconds", ())]
    assert 600 <= p95[0] < 660 and p95[2]["status"] == "✓" and p95[2]["target"] == 3600


def test_violations_counted_per_rule_and_field_with_hashed_samples(evaluated, gateways):
    points = _points(gateways)
    violations = {
        (dict(labels)["rule"], dict(labels)["field"]): value
        for (signal, labels), (value, _, _) in points.items()
        if signal == "quality_violations"
    }
    assert {key: count for key, count in violations.items() if count} == {
        ("required", "account_age_days"): 1,
        ("required", "country"): 1,
        ("min", "amount"): 1,
        ("allowed", "country"): 1,
        ("pattern", "email"): 1,
        ("reference", "merchant_id"): 1,
        ("young_accounts_spend_little", "account_age_days,amount"): 1,
    }
    assert violations[("max", "amount")] == 0 and violations[("required", "amount")] == 0
    rows = gateways.rows(
        "SELECT Rule, Field, Violations, Checked, Samples FROM ml_quality_violations FINAL "
        "WHERE ModelName = 'fraud-detector' AND Violations > 0"
    )
    by_rule = {
        (rule, field): (count, checked, [json.loads(s) for s in samples])
        for rule, field, count, checked, samples in rows
    }
    count, checked, (sample,) = by_rule[("pattern", "email")]
    assert (count, checked) == (1, 3)
    expected = "hmac-sha256:" + hmac.new(SALT.encode(), b"not-an-email", hashlib.sha256).hexdigest()
    assert sample["values"]["email"] == expected
    assert sample["values"]["country"] == "XX" and sample["values"]["amount"] == "150"
    (trace_id,) = gateways.rows("SELECT TraceId FROM ml_features WHERE RequestId = 'req-5'")[0]
    assert sample["key"] == trace_id


def test_rerunning_the_same_window_keeps_one_result(evaluated, gateways):
    gateway, _ = evaluated
    assert gateway.task("quality").run_once()
    (count,) = gateways.rows("SELECT count() FROM ml_quality FINAL WHERE Signal = 'completeness'")[0]
    assert count == 1


def test_cli_shows_the_dashboard_through_the_gateway(evaluated, capsys):
    gateway, _ = evaluated
    url = http_url(gateway)
    assert cli(["quality", "--model", "fraud-detector", "--url", url, "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    statuses = {line["metric"]: (line["status"], line["target_shown"]) for line in document["metrics"]}
    assert statuses == {
        "completeness": ("✗", "≥ 99%"),
        "accuracy": ("⚠", "≥ 95%"),
        "consistency": ("✗", "≥ 98%"),
        "timeliness": ("✓", "≤ 1h"),
        "validity": ("✗", "≥ 99%"),
    }
    assert document["records"] == 10 and len(document["violations"]) == 7
    assert cli(["quality", "--model", "fraud-detector", "--url", url]) == 0
    text = capsys.readouterr().out
    assert "Completeness    | ≥ 99%   | 93.33%   | ✗" in text
    assert "pattern on email: 1 of 3 checked" in text
    assert cli(["quality", "--model", "no-such-model", "--url", url]) == 1
    assert "no data-quality results for model 'no-such-model'" in capsys.readouterr().err


def test_a_missing_reference_table_leaves_accuracy_undefined_and_says_why(gateways, tmp_path):
    rule_file = tmp_path / "m.yaml"
    rule_file.write_text(
        "model: m\nfields:\n  code: {reference: {in_table: {table: no_such_table, column: c}}}\n"
    )
    gateway = gateways.start(
        f"quality.rule_files=[{rule_file}]", clock=FakeClock(time.time_ns()), run_tasks=False
    )
    assert gateway.task("quality").run_once(), gateway.task("quality").last_error
    ((value, details),) = gateways.rows(
        "SELECT Value, Details FROM ml_quality WHERE Signal = 'quality_accuracy'"
    )
    assert value != value  # NaN: nothing was checked
    errors = json.loads(details)["reference_errors"]
    assert list(errors) == ["no_such_table.c"] and "no_such_table" in errors["no_such_table.c"]


def test_received_at_is_filled_for_rows_from_log_records(gateways):
    gateway = gateways.start()
    provider = LoggerProvider(resource=Resource.create({"service.name": "fraud-api"}))
    provider.add_log_record_processor(
        SimpleLogRecordProcessor(OTLPLogExporter(endpoint=grpc_endpoint(gateway), insecure=True))
    )
    sent = time.time_ns()
    log_prediction(
        provider.get_logger("predictions"),
        request_id="log-1",
        latency_ms=12.0,
        prediction="legit",
        confidence=0.9,
        input_hash="h",
        model="log-model",
        version="1",
        timestamp_ns=sent - 30 * 10**9,
        extra={"ml.feature.amount": 5.0},
    )
    provider.shutdown()
    ((source, amount, received_ms),) = gateways.rows(
        "SELECT Source, NumericFeatures['amount'], toUnixTimestamp64Milli(ReceivedAt) FROM ml_features"
    )
    assert (source, amount) == ("log", 5.0)
    assert sent // 10**6 <= received_ms <= time.time_ns() // 10**6


def test_quality_signals_drive_alert_rules(gateways, tmp_path):
    quality_rules = tmp_path / "fraud-detector.yaml"
    quality_rules.write_text(RULES, encoding="utf-8")
    alert_rules = tmp_path / "alerts.yaml"
    alert_rules.write_text(
        "- alert: LowCompleteness\n  expr: completeness < 0.95\n  severity: P2\n"
        '- alert: OutOfRange\n  expr: quality_violations{rule="min"} > 0\n  severity: P3\n'
        "- alert: Late\n  expr: timeliness_seconds > 3600\n  severity: P3\n"
    )
    gateway = gateways.start(
        f"quality.rule_files=[{quality_rules}]",
        "quality.interval=1m",
        f"alerting.rule_files=[{alert_rules}]",
        "alerting.evaluation_delay=0s",
        clock=FakeClock(time.time_ns() + 120 * 10**9),
        run_tasks=False,
    )
    events = []
    gateway.notifiers.append(events.append)
    gateway.open_client().command(
        "CREATE TABLE merchants (merchant_id String) ENGINE = MergeTree ORDER BY tuple()"
    )
    _send(gateway)
    gateways.rows("SELECT 1")
    assert gateway.task("quality").run_once(), gateway.task("quality").last_error
    assert gateway.task("alerts").run_once(), gateway.task("alerts").last_error
    assert {event.kind for event in events} == {"firing"}
    # completeness 28/30 < 0.95 and one amount below min fire; the p95 delay (~10 min) does not
    assert {event.rule.rsplit("/", 1)[-1] for event in events} == {"LowCompleteness", "OutOfRange"}
    out_of_range = next(event for event in events if event.labels.get("rule") == "min")
    assert out_of_range.labels["field"] == "amount" and out_of_range.category == "quality"
