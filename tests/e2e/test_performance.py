"""Model performance through the real paths: SDK spans of the example service over OTLP/gRPC, labels in
``ml_labels``, the gateway's "performance" task on a simulated clock, ``inferwatch performance``.

Known truth: each request's predicted class and score are set by the test, and each label is chosen to
be right or wrong, so every window's accuracy is known; the joined rows are also read back and fed to
scikit-learn as the oracle of every metric.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from sklearn import metrics as sk

from examples.model_service.service import ModelService
from gateway.cli.main import main as inferwatch
from gateway.clock import FakeClock
from gateway.storage.series import write_points
from processors.ml.series import SignalPoint
from tests.e2e.conftest import GatewayFactory, grpc_endpoint, http_url
from tests.processors.performance.test_concept_drift import SATURDAY_EVENING
from tests.processors.performance.test_concept_drift import _series as seasonal_series

HOUR = 3600 * 10**9
DAY = 24 * HOUR
START = int(datetime(2026, 3, 2, tzinfo=timezone.utc).timestamp()) * 10**9  # a Monday, 00:00 UTC


def _send(gateway, model: str, requests: list[tuple[str, int, float]], version: str = "1.0") -> None:
    """``(request id, start ns, fraud score)``: one prediction each through the example service."""
    provider = TracerProvider(resource=Resource.create({"service.name": "fraud-api"}))
    provider.add_span_processor(
        BatchSpanProcessor(
            OTLPSpanExporter(endpoint=grpc_endpoint(gateway), insecure=True),
            max_export_batch_size=2048,
            max_queue_size=100_000,
        )
    )
    service = ModelService(provider.get_tracer("test"), model_name=model, model_version=version)
    for request_id, start, score in requests:
        label = "fraud" if score >= 0.5 else "legit"
        override = {"label": label, "score": score, "confidence": max(score, 1 - score)}
        service.handle(request_id, {"amount": 10.0}, start_ns=start, prediction_override=override)
    assert provider.force_flush(30_000)
    provider.shutdown()


def _label(gateways: GatewayFactory, model: str, labels: list[tuple[str, str]], at: int) -> None:
    client = gateways.rows  # flushes the writers; labels go straight into the ground-truth table
    client("SELECT 1")
    rows = [
        [request_id, model, label, None, datetime.fromtimestamp(at / 1e9, tz=timezone.utc), "test"]
        for request_id, label in labels
    ]
    gateways._clients[0].insert(
        "ml_labels",
        rows,
        column_names=["RequestId", "ModelName", "LabelClass", "LabelValue", "EventTime", "Source"],
    )


def _wait_for_predictions(gateways: GatewayFactory, model: str, count: int) -> None:
    import time

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        rows = gateways.rows(
            "SELECT count() FROM ml_labeled_predictions WHERE ModelName = {m:String}", {"m": model}
        )
        if rows[0][0] >= count:
            return
        time.sleep(0.2)
    raise AssertionError(f"only {rows[0][0]} of {count} labelled predictions of {model} joined")


def _window_requests(model: str, hours: int, per_hour: int, correct_in_hour, rng: np.random.Generator):
    """Requests spread over ``hours`` hourly windows ending at START + hours·HOUR, and their labels:
    ``correct_in_hour(h)`` of the ``per_hour`` predictions of hour h are labelled right."""
    requests, labels = [], []
    for hour in range(hours):
        correct = correct_in_hour(hour)
        for index in range(per_hour):
            request_id = f"{model}-{hour}-{index}"
            score = float(rng.uniform(0.0, 1.0))
            predicted = "fraud" if score >= 0.5 else "legit"
            other = "legit" if predicted == "fraud" else "fraud"
            requests.append((request_id, START + hour * HOUR + index * 10**9, score))
            labels.append((request_id, predicted if index < correct else other))
    return requests, labels


def test_window_metrics_equal_scikit_learn_and_the_cli_shows_them(gateways: GatewayFactory) -> None:
    clock = FakeClock(START + 2 * HOUR + 30 * 60 * 10**9)
    gateway = gateways.start(
        "performance.concept_drift.enabled=false",
        "performance.windows=[{name: 1h, length: 1h}, {name: 2h, length: 2h, lookback: 1d, step: 1h}]",
        clock=clock,
        run_tasks=False,
    )
    rng = np.random.default_rng(1)
    requests, labels = _window_requests("fraud-detector", 2, 120, lambda hour: 116 - 36 * hour, rng)
    _send(gateway, "fraud-detector", requests)
    _label(gateways, "fraud-detector", labels, START)
    _wait_for_predictions(gateways, "fraud-detector", len(labels))
    assert gateway.task("performance").run_once()

    joined = gateways.rows(
        "SELECT toUnixTimestamp64Nano(PredictionTime), PredictionClass, Score, LabelClass "
        "FROM ml_labeled_predictions WHERE ModelName = 'fraud-detector' ORDER BY RequestId"
    )
    points = gateways.rows(
        "SELECT Signal, toUnixTimestamp64Nano(WindowStart), argMax(Value, EvaluatedAt), "
        "argMax(Samples, EvaluatedAt), argMax(Details, EvaluatedAt) FROM ml_performance "
        "WHERE Labels['window'] = '1h' "
        "GROUP BY Signal, WindowStart ORDER BY Signal, WindowStart"
    )
    stored = {
        (signal, start): (value, samples, json.loads(details))
        for signal, start, value, samples, details in points
    }
    for hour, expected_accuracy in ((0, 116 / 120), (1, 80 / 120)):
        start = START + hour * HOUR
        rows = [row for row in joined if start <= row[0] < start + HOUR]
        truth = np.asarray([row[3] for row in rows])
        predicted = np.asarray([row[1] for row in rows])
        score = np.asarray([row[2] for row in rows])
        value, samples, details = stored[("accuracy", start)]
        assert samples == 120
        assert value == pytest.approx(expected_accuracy, abs=1e-12)
        assert value == pytest.approx(sk.accuracy_score(truth, predicted), abs=1e-12)
        for name, oracle in (
            ("precision", sk.precision_score),
            ("recall", sk.recall_score),
            ("f1", sk.f1_score),
        ):
            assert stored[(name, start)][0] == pytest.approx(
                oracle(truth, predicted, pos_label="fraud"), abs=1e-12
            )
        assert stored[("auc", start)][0] == pytest.approx(
            sk.roc_auc_score(truth == "fraud", score), abs=1e-12
        )
        matrix = sk.confusion_matrix(truth, predicted, labels=["fraud", "legit"]).tolist()
        assert details["confusion_matrix"] == {"labels": ["fraud", "legit"], "counts": matrix}
        assert details["baseline"] == 0.945
        assert details["status"] == ("ok" if expected_accuracy >= 0.92 else "critical")
        estimated = stored[("estimated_accuracy", start)]
        assert estimated[1] == 120
        assert estimated[0] == pytest.approx(np.mean(np.maximum(score, 1 - score)), abs=1e-9)
    assert ("accuracy", START + 2 * HOUR) not in stored  # the current hour has no predictions
    sliding = {
        (signal, end): (value, samples, complete)
        for signal, end, value, samples, complete in gateways.rows(
            "SELECT Signal, toUnixTimestamp64Nano(WindowEnd), argMax(Value, EvaluatedAt), "
            "argMax(Samples, EvaluatedAt), JSONExtractBool(argMax(Details, EvaluatedAt), 'complete') "
            "FROM ml_performance WHERE Labels['window'] = '2h' GROUP BY Signal, WindowEnd"
        )
        if signal in ("accuracy", "estimated_accuracy")
    }
    # 2-hour windows sliding by an hour: hour 0 alone, both hours, hour 1 alone (still running)
    assert {end: point for (signal, end), point in sliding.items() if signal == "accuracy"} == {
        START + HOUR: (pytest.approx(116 / 120), 120, True),
        START + 2 * HOUR: (pytest.approx(196 / 240), 240, True),
        START + 3 * HOUR: (pytest.approx(80 / 120), 120, False),
    }
    every_score = np.asarray([row[2] for row in joined])
    assert sliding[("estimated_accuracy", START + 2 * HOUR)][:2] == (
        pytest.approx(np.mean(np.maximum(every_score, 1 - every_score)), abs=1e-9),
        240,
    )

    out = StringIO()
    with redirect_stdout(out):
        code = inferwatch(
            [
                "performance",
                "--model",
                "fraud-detector",
                "--since",
                "3650d",
                "--format",
                "json",
                "--url",
                http_url(gateway),
            ]
        )
    assert code == 0
    document = json.loads(out.getvalue())
    truth = np.asarray([row[3] for row in joined])
    predicted = np.asarray([row[1] for row in joined])
    assert document["labelled_predictions"] == 240
    assert document["metrics"]["accuracy"]["value"] == pytest.approx(
        sk.accuracy_score(truth, predicted), abs=1e-12
    )
    assert document["metrics"]["accuracy"]["status"] == "critical"
    assert document["metrics"]["f1"]["value"] == pytest.approx(
        sk.f1_score(truth, predicted, pos_label="fraud")
    )
    assert (
        document["confusion_matrix"]["counts"]
        == sk.confusion_matrix(truth, predicted, labels=["fraud", "legit"]).tolist()
    )
    assert len(document["calibration"]["bins"]) == 10
    assert document["estimated_accuracy"]["predictions"] == 240


def test_a_sudden_and_a_gradual_decline_are_told_apart(gateways: GatewayFactory) -> None:
    hours = 72
    clock = FakeClock(START + hours * HOUR - 10 * 60 * 10**9)
    gateway = gateways.start(
        "performance.windows=[{name: 1h, length: 1h, lookback: 4d}]",
        "performance.min_samples=10",
        clock=clock,
        run_tasks=False,
    )
    rng = np.random.default_rng(2)
    sudden, sudden_labels = _window_requests("sudden", hours, 10, lambda h: 9 if h < 50 else 5, rng)
    gradual, gradual_labels = _window_requests(
        "gradual", hours, 10, lambda h: round(9 - 4 * h / (hours - 1)), rng
    )
    _send(gateway, "sudden", sudden)
    _send(gateway, "gradual", gradual)
    _label(gateways, "sudden", sudden_labels, START)
    _label(gateways, "gradual", gradual_labels, START)
    _wait_for_predictions(gateways, "sudden", len(sudden_labels))
    _wait_for_predictions(gateways, "gradual", len(gradual_labels))
    assert gateway.task("performance").run_once()
    rows = gateways.rows(
        "SELECT ModelName, Labels['kind'], argMax(Value, EvaluatedAt), argMax(Details, EvaluatedAt) "
        "FROM ml_performance WHERE Signal = 'concept_drift' "
        "GROUP BY ModelName, Labels['kind'] ORDER BY ModelName, Labels['kind']"
    )
    verdict = {(model, kind): value for model, kind, value, _ in rows}
    assert verdict[("sudden", "sudden")] == pytest.approx(0.4, abs=0.02)
    assert verdict[("sudden", "gradual")] == 0.0
    assert verdict[("gradual", "gradual")] == pytest.approx(0.4, abs=0.1)
    assert verdict[("gradual", "sudden")] == 0.0
    details = {model: json.loads(d) for model, kind, _, d in rows if kind == "sudden"}
    assert details["sudden"]["change_at_unix_nano"] == START + 50 * HOUR


class _Webhook:
    """A local HTTP receiver: answers 500 to the first ``fail_first`` POSTs, then 200, and keeps what it
    accepted; ``refuse(document)`` may name a status to answer instead (counted in ``refused``)."""

    def __init__(self, fail_first: int, refuse=lambda document: None) -> None:
        self.received: list[tuple[bytes, dict[str, str]]] = []
        self.refused: list[tuple[str, int]] = []
        self.fail_first = fail_first
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = refuse(json.loads(body))
                if status is not None:
                    outer.refused.append((json.loads(body)["trigger"], status))
                    self.send_response(status)
                elif outer.fail_first > 0:
                    outer.fail_first -= 1
                    self.send_response(500)
                else:
                    outer.received.append((body, dict(self.headers)))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/retrain"


@contextmanager
def _webhook(fail_first: int, refuse=lambda document: None) -> Iterator[_Webhook]:
    hook = _Webhook(fail_first, refuse)
    thread = threading.Thread(target=hook.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        hook.server.shutdown()
        hook.server.server_close()


def test_three_bad_days_fire_once_on_the_third_day_across_a_restart(
    gateways: GatewayFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    triggers = tmp_path / "triggers.yaml"
    triggers.write_text(
        "triggers:\n"
        "  - name: accuracy-below-92-for-3-days\n    kind: performance\n    metric: accuracy\n"
        "    below: 0.92\n    for: 3d\n    description: Accuracy below 92% for 3 consecutive days\n"
    )
    monkeypatch.setenv("RETRAIN_SECRET", "s3cret")
    events = []
    rng = np.random.default_rng(3)
    with _webhook(fail_first=1) as hook:
        overrides = (
            "performance.windows=[{name: 1d, length: 1d, lookback: 7d}]",
            "performance.concept_drift.enabled=false",
            "performance.min_samples=10",
            f"performance.trigger_files=[{triggers}]",
            f"performance.webhook.url={hook.url}",
            "performance.webhook.secret_env=RETRAIN_SECRET",
            "performance.alert_on_trigger=true",
        )
        clock = FakeClock(START)
        gateway = gateways.start(*overrides, clock=clock, run_tasks=False)
        gateway.notifiers.append(events.append)

        def day(number: int, current) -> None:
            """20 predictions at 01:00-01:19 of day ``number`` (0-based), 16 labelled right (0.8)."""
            requests, labels = [], []
            for index in range(20):
                request_id = f"day{number}-{index}"
                score = float(rng.uniform(0, 1))
                predicted = "fraud" if score >= 0.5 else "legit"
                requests.append((request_id, START + number * DAY + HOUR + index * 60 * 10**9, score))
                labels.append(
                    (request_id, predicted if index < 16 else ("legit" if predicted == "fraud" else "fraud"))
                )
            _send(current, "trig", requests)
            _label(gateways, "trig", labels, START + number * DAY)
            _wait_for_predictions(gateways, "trig", 20 * (number + 1))

        for number in (0, 1):
            clock.advance(3600 * (2 if number == 0 else 24))
            day(number, gateway)
            assert gateway.task("performance").run_once()
            assert gateways.rows("SELECT count() FROM ml_retraining_triggers")[0][0] == 0
        gateway.shutdown(grace=1)

        # a new gateway on the same database: the two bad days are read back from ClickHouse
        restarted = gateways.start(*overrides, clock=clock, run_tasks=False)
        restarted.notifiers.append(events.append)
        clock.advance(24 * 3600)
        day(2, restarted)
        assert restarted.task("performance").run_once()
        records = gateways.rows(
            "SELECT Trigger, toUnixTimestamp64Nano(Episode), argMax(Delivered, UpdatedAt), "
            "argMax(Attempts, UpdatedAt), argMax(Evidence, UpdatedAt) FROM ml_retraining_triggers "
            "GROUP BY Trigger, Episode"
        )
        assert len(records) == 1
        trigger, episode, delivered, attempts, evidence = records[0]
        assert (trigger, episode, delivered, attempts) == ("accuracy-below-92-for-3-days", START, 0, 1)
        assert [d["value"] for d in json.loads(evidence)["days"]] == [0.8, 0.8, 0.8]
        assert hook.received == []  # the webhook failed once: retried at the next run
        assert [(e.severity, e.category, e.labels["model"]) for e in events] == [("P3", "retraining", "trig")]

        clock.advance(600)
        assert restarted.task("performance").run_once()
        clock.advance(600)
        assert restarted.task("performance").run_once()
        assert len(hook.received) == 1  # delivered once, not fired again
        assert len(events) == 1
        body, headers = hook.received[0]
        expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-Inferwatch-Signature"], expected)
        document = json.loads(body)
        assert document["model"] == "trig" and document["trigger"] == "accuracy-below-92-for-3-days"
        assert document["episode"] == "2026-03-02T00:00:00.000Z"
        state = gateways.rows(
            "SELECT argMax(Delivered, UpdatedAt), argMax(Attempts, UpdatedAt) FROM ml_retraining_triggers"
        )
        assert state == [(1, 2)]


def test_f1_error_rate_drift_time_and_data_triggers_fire_once_each(
    gateways: GatewayFactory, tmp_path: Path
) -> None:
    triggers = tmp_path / "triggers.yaml"
    triggers.write_text(
        "- {name: f1-5pct, kind: performance, metric: f1, below_baseline_by: 0.05}\n"
        "- {name: errors-2-days, kind: performance, metric: error_rate, above: 0.03, for: 2d}\n"
        "- {name: psi-2-features, kind: drift, metric: psi, above: 0.25, min_features: 2}\n"
        "- {name: every-30-days, kind: time, every: 30d}\n"
        "- {name: 30-labels, kind: data, new_labels: 30}\n"
        "- {name: other-model-only, kind: data, new_labels: 1, models: [someone-else]}\n"
    )
    clock = FakeClock(START + HOUR)
    gateway = gateways.start(
        "performance.windows=[{name: 1d, length: 1d, lookback: 7d}]",
        "performance.concept_drift.enabled=false",
        "performance.min_samples=10",
        f"performance.trigger_files=[{triggers}]",
        clock=clock,
        run_tasks=False,
    )
    rng = np.random.default_rng(4)

    def fired() -> list[tuple[str, int]]:
        rows = gateways.rows(
            "SELECT Trigger, toUnixTimestamp64Nano(Episode) FROM ml_retraining_triggers "
            "ORDER BY Trigger, Episode"
        )
        return [(trigger, episode) for trigger, episode in rows]

    def day(number: int) -> None:
        """40 requests, 4 of them failing (error rate 0.1), 36 predictions: 27 labelled right."""
        requests, labels = [], []
        for index in range(36):
            request_id = f"d{number}-{index}"
            score = float(rng.uniform(0, 1))
            predicted = "fraud" if score >= 0.5 else "legit"
            requests.append((request_id, START + number * DAY + index * 10**9, score))
            labels.append(
                (request_id, predicted if index < 27 else ("legit" if predicted == "fraud" else "fraud"))
            )
        _send(gateway, "other", requests)
        provider = TracerProvider(resource=Resource.create({"service.name": "fraud-api"}))
        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=grpc_endpoint(gateway), insecure=True))
        )
        service = ModelService(provider.get_tracer("test"), model_name="other", model_version="1.0")
        for index in range(4):
            start = START + number * DAY + (100 + index) * 10**9
            service.handle(f"d{number}-failed-{index}", {"amount": 1.0}, start_ns=start, http_status=500)
        assert provider.force_flush(30_000)
        provider.shutdown()
        _label(gateways, "other", labels, START + number * DAY)
        _wait_for_predictions(gateways, "other", 36 * (number + 1))

    day(0)
    drift = [
        SignalPoint("psi", "other", "1.0", value, START, START + HOUR, {"feature": feature})
        for feature, value in (("amount", 0.4), ("channel", 0.3), ("age", 0.1))
    ]
    write_points(gateways._clients[0], "ml_drift", drift, START + HOUR)
    assert gateway.task("performance").run_once()
    f1 = gateways.rows(
        "SELECT argMax(Value, EvaluatedAt) FROM ml_performance "
        "WHERE Signal = 'f1' AND Labels['window'] = '1d'"
    )[0][0]
    assert f1 < 0.925 * 0.95
    assert fired() == [("30-labels", _first_seen(gateways)), ("f1-5pct", START), ("psi-2-features", START)]

    clock.advance(24 * 3600)
    day(1)
    assert gateway.task("performance").run_once()
    assert ("errors-2-days", START) in fired() and len(fired()) == 4

    clock.advance(30 * 24 * 3600)
    _send(gateway, "other", [("late", clock.now_unix_nano() - HOUR, 0.2)])  # the version is still live
    gateways.rows("SELECT 1")  # flushes the writers
    assert gateway.task("performance").run_once()
    assert gateway.task("performance").run_once()
    assert sorted(trigger for trigger, _ in fired()) == [
        "30-labels",
        "errors-2-days",
        "every-30-days",
        "f1-5pct",
        "psi-2-features",
    ]
    time_episode = dict(fired())["every-30-days"]
    assert time_episode == _first_seen(gateways) + 30 * DAY


def _first_seen(gateways: GatewayFactory) -> int:
    return gateways.rows(
        "SELECT toUnixTimestamp64Nano(min(FirstSeen)) FROM ml_model_versions WHERE ModelName = 'other'"
    )[0][0]


def test_a_webhook_that_keeps_refusing_is_given_up(gateways: GatewayFactory, tmp_path: Path) -> None:
    """A permanent 4xx is given up at once; 503s are retried every run until webhook.max_age has passed."""
    triggers = tmp_path / "triggers.yaml"
    triggers.write_text(
        "- {name: refused, kind: data, new_labels: 1}\n- {name: unavailable, kind: data, new_labels: 1}\n"
    )
    statuses = {"refused": 400, "unavailable": 503}
    with _webhook(0, lambda document: statuses[document["trigger"]]) as hook:
        clock = FakeClock(START + HOUR)
        gateway = gateways.start(
            "performance.concept_drift.enabled=false",
            f"performance.trigger_files=[{triggers}]",
            f"performance.webhook.url={hook.url}",
            "performance.webhook.max_age=6h",
            clock=clock,
            run_tasks=False,
        )
        _send(gateway, "hooked", [("h-1", START, 0.9)])
        _label(gateways, "hooked", [("h-1", "fraud")], START)
        _wait_for_predictions(gateways, "hooked", 1)

        def state() -> dict[str, tuple[int, int, int]]:
            rows = gateways.rows(
                "SELECT Trigger, argMax(Delivered, UpdatedAt), argMax(GivenUp, UpdatedAt), "
                "argMax(Attempts, UpdatedAt) FROM ml_retraining_triggers GROUP BY Trigger"
            )
            return {
                trigger: (delivered, given_up, attempts) for trigger, delivered, given_up, attempts in rows
            }

        for _ in range(3):  # three runs, 5 minutes apart
            assert gateway.task("performance").run_once()
            clock.advance(300)
        assert state() == {"refused": (0, 1, 1), "unavailable": (0, 0, 3)}
        clock.advance(6 * 3600)
        assert gateway.task("performance").run_once()  # past max_age: the last attempt, then given up
        clock.advance(300)
        assert gateway.task("performance").run_once()
        assert state() == {"refused": (0, 1, 1), "unavailable": (0, 1, 4)}
        assert sorted(hook.refused) == [("refused", 400)] + [("unavailable", 503)] * 4
        assert hook.received == []

        out = StringIO()
        with redirect_stdout(out):
            code = inferwatch(
                ["performance", "--model", "hooked", "--since", "3650d", "--url", http_url(gateway)]
            )
        assert code == 0
        assert out.getvalue().count("(given up)") == 2


def test_window_metrics_drive_alert_rules(gateways: GatewayFactory, tmp_path: Path) -> None:
    """The points the performance task publishes are signals: the benchmark rule pages at accuracy < 0.92."""
    rules = tmp_path / "alerts.yaml"
    rules.write_text(
        '- alert: AccuracyBelowWarning\n  expr: accuracy{window="1h"} < 0.92\n  severity: P2\n'
        '- alert: F1BelowWarning\n  expr: f1{window="1h"} < 0.1\n  severity: P2\n'
    )
    clock = FakeClock(START + 2 * HOUR + 30 * 60 * 10**9)
    gateway = gateways.start(
        "performance.concept_drift.enabled=false",
        f"alerting.rule_files=[{rules}]",
        "alerting.evaluation_delay=0s",
        clock=clock,
        run_tasks=False,
    )
    events = []
    gateway.notifiers.append(events.append)
    requests, labels = _window_requests(
        "alerted", 2, 60, lambda hour: 58 - 18 * hour, np.random.default_rng(6)
    )
    _send(gateway, "alerted", requests)
    _label(gateways, "alerted", labels, START)
    _wait_for_predictions(gateways, "alerted", len(labels))
    assert gateway.task("performance").run_once()
    assert gateway.task("alerts").run_once(), gateway.task("alerts").last_error
    # the latest 1h window (hour 1: 40 of 60 right) pages; F1 is far above 0.1
    assert [(e.kind, e.rule.rsplit("/", 1)[-1], e.labels["model"], e.labels["window"]) for e in events] == [
        ("firing", "AccuracyBelowWarning", "alerted", "1h")
    ]
    assert events[0].value == pytest.approx(40 / 60)


def test_a_weekend_dip_seen_in_earlier_weeks_does_not_page(gateways: GatewayFactory) -> None:
    """Concept drift in the gateway reads the stored hourly accuracy series: three weeks with a night and
    weekend dip (the series of tests/processors/performance/test_concept_drift.py) end on a Saturday
    evening. With the earlier weeks in the table the dip is recurring (0, no page); a model with only
    the last three days stored gets "sudden" for the same values."""
    now = SATURDAY_EVENING
    starts, values = seasonal_series(np.random.default_rng(400), now=now, weekend=0.06)
    clock = FakeClock(now)
    gateway = gateways.start("performance.min_samples=10", clock=clock, run_tasks=False)
    points = [
        SignalPoint("accuracy", model, "1.0", value, start, start + HOUR, {"window": "1h"}, samples=500)
        for model, keep in (("seasonal", len(starts)), ("no-history", 72))
        for start, value in zip(starts[-keep:].tolist(), values[-keep:].tolist(), strict=True)
    ]
    write_points(gateway.open_client(), "ml_performance", points, now)
    assert gateway.task("performance").run_once()
    rows = gateways.rows(
        "SELECT ModelName, Labels['kind'], argMax(Value, EvaluatedAt), argMax(Details, EvaluatedAt) "
        "FROM ml_performance WHERE Signal = 'concept_drift' GROUP BY ModelName, Labels['kind']"
    )
    verdict = {(model, kind): (value, json.loads(details)) for model, kind, value, details in rows}
    assert verdict[("seasonal", "sudden")][0] == 0.0 and verdict[("seasonal", "gradual")][0] == 0.0
    assert verdict[("seasonal", "sudden")][1]["recurring"] is True
    assert verdict[("seasonal", "sudden")][1]["seasonality"] == "weekly"
    assert verdict[("no-history", "sudden")][0] > 0.03
