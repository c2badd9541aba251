"""Known truth through every real path at once, down to the metrics.

Predictions: SDK spans of the example service over OTLP/gRPC, with the class, score and value set by the test.
Labels: FeedbackService over gRPC, OTLP ``ml.feedback`` log records from the SDK log exporter, and
``inferwatch feedback import`` of a CSV file; some before their predictions, one duplicated across two ways,
corrections across ways and within one file, and a label for a request that never came. Then the gateway's
"performance" task (simulated clock) and ``inferwatch performance --format json``: every metric equals
scikit-learn on the (prediction, final label) pairs the test expects, not on rows read back. The task runs
once when only the early labels have joined and again an hour later, when the window has closed: the late
labels are counted in the window of their predictions. A second model version is kept apart.
"""

from __future__ import annotations

import json
import time
from contextlib import redirect_stdout
from io import StringIO

import grpc
import numpy as np
import pytest
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from sklearn import metrics as sk
from sklearn.calibration import calibration_curve

from examples.model_service.service import ModelService
from gateway.cli.main import main as inferwatch
from gateway.clock import FakeClock
from gateway.feedback import FeedbackClient
from gateway.feedback.client import Label
from processors.ml import conventions as keys
from tests.e2e.conftest import GatewayFactory, grpc_endpoint, http_url
from tests.e2e.test_performance import HOUR, START

CLASSIFIER, REGRESSOR = "fraud-truth", "eta-truth"
N = 60
BEFORE = 24  # the first 24 requests get their labels before their predictions are sent
WAYS = ("grpc", "otlp", "csv")


def _flip(label: str) -> str:
    return "legit" if label == "fraud" else "fraud"


class _Labeler:
    """Sends (model, request id, class or value) labels one way; the OTLP way waits until stored."""

    def __init__(self, gateways: GatewayFactory, gateway, tmp_path) -> None:
        self.gateways, self.gateway, self.tmp_path = gateways, gateway, tmp_path
        self.files = 0
        self.otlp_sent = 0

    def send(self, way: str, labels: list[tuple[str, str, str | float]]) -> None:
        getattr(self, way)(labels)

    def grpc(self, labels: list[tuple[str, str, str | float]]) -> None:
        items = [
            Label(request_id=rid, model=model, label_class=y)
            if isinstance(y, str)
            else Label(request_id=rid, model=model, label_value=y)
            for model, rid, y in labels
        ]
        with grpc.insecure_channel(grpc_endpoint(self.gateway)) as channel:
            response = FeedbackClient(channel).submit(items)
        assert (response.accepted, response.rejected) == (len(items), 0)

    def otlp(self, labels: list[tuple[str, str, str | float]]) -> None:
        provider = LoggerProvider(resource=Resource.create({"service.name": "labeler"}))
        exporter = OTLPLogExporter(endpoint=grpc_endpoint(self.gateway), insecure=True)
        provider.add_log_record_processor(BatchLogRecordProcessor(exporter))
        logger = provider.get_logger("labeler")
        for model, rid, y in labels:
            key = keys.LABEL_CLASS if isinstance(y, str) else keys.LABEL_VALUE
            attributes = {keys.REQUEST_ID: rid, keys.MODEL_NAME: model, key: y}
            logger.emit(
                timestamp=START + 5 * HOUR, event_name=keys.FEEDBACK_EVENT_NAME, attributes=attributes
            )
        assert provider.force_flush(10_000)
        provider.shutdown()
        self.otlp_sent += len(labels)
        # Spooled, then stored: wait, so that a later correction is really received later.
        deadline = time.monotonic() + 20
        while (
            self.gateways.rows("SELECT count() FROM ml_labels WHERE Source = 'otlp'")[0][0] < self.otlp_sent
        ):
            assert time.monotonic() < deadline, "the OTLP labels were not stored"
            time.sleep(0.1)

    def csv(self, labels: list[tuple[str, str, str | float]]) -> None:
        self.files += 1
        path = self.tmp_path / f"labels-{self.files}.csv"
        lines = ["request_id,model,label_class,label_value,event_time"]
        for model, rid, y in labels:
            cls, value = (y, "") if isinstance(y, str) else ("", repr(y))
            lines.append(f"{rid},{model},{cls},{value},2026-03-02T06:00:00Z")
        path.write_text("\n".join(lines) + "\n")
        assert inferwatch(["feedback", "import", str(path), "--url", http_url(self.gateway), "--quiet"]) == 0


def _scenario(rng: np.random.Generator):
    """Predictions and final truth of both models; request i starts at START + HOUR + i seconds."""
    ids = [f"t-{i:02d}" for i in range(N)]
    score = rng.uniform(0.0, 1.0, N)
    predicted = np.where(score >= 0.5, "fraud", "legit")
    truth = np.where(rng.uniform(0.0, 1.0, N) < score, "fraud", "legit")  # roughly calibrated scores
    value_predicted = np.round(rng.uniform(5.0, 60.0, N), 3)
    value_truth = np.round(value_predicted + rng.normal(0.0, 6.0, N), 3)
    value_truth[[7, 40]] = 0.0  # zero targets: left out of MAPE, counted
    return ids, score, predicted, truth, value_predicted, value_truth


def _bin_counts(score: np.ndarray, bins: int = 10) -> np.ndarray:
    """Per-bin counts as calibration_curve bins: (lower, upper], the first [0, upper]."""
    return np.bincount(np.searchsorted(np.linspace(0, 1, bins + 1)[1:-1], score), minlength=bins)


def _ece(truth_positive: np.ndarray, score: np.ndarray, bins: int = 10) -> float:
    """ECE from scikit-learn's calibration_curve, weighted by bin counts binned the same way."""
    observed, mean_predicted = calibration_curve(truth_positive, score, n_bins=bins, strategy="uniform")
    counts = _bin_counts(score, bins)
    weights = counts[counts > 0] / score.size
    return float(np.sum(weights * np.abs(observed - mean_predicted)))


def test_metrics_from_labels_of_every_way_equal_scikit_learn(gateways: GatewayFactory, tmp_path, capsys):
    clock = FakeClock(START + HOUR + 30 * 60 * 10**9)  # half-way through the hour of the predictions
    gateway = gateways.start("performance.concept_drift.enabled=false", clock=clock, run_tasks=False)
    ids, score, predicted, truth, value_predicted, value_truth = _scenario(np.random.default_rng(5))
    labeler = _Labeler(gateways, gateway, tmp_path)

    def labels_of(indices) -> dict[str, list]:
        """Each request's two labels (class and value), sent by way i % 3."""
        by_way: dict[str, list] = {way: [] for way in WAYS}
        for i in indices:
            by_way[WAYS[i % 3]] += [
                (CLASSIFIER, ids[i], str(truth[i])),
                (REGRESSOR, ids[i], float(value_truth[i])),
            ]
        return by_way

    # Labels before predictions, plus one for a request that never comes.
    for way, labels in labels_of(range(BEFORE)).items():
        labeler.send(way, labels)
    labeler.grpc([(CLASSIFIER, "never-served", "fraud")])
    assert gateways.rows("SELECT count() FROM ml_unmatched_labels") == [(2 * BEFORE + 1,)]

    for model, override in (
        (CLASSIFIER, lambda i: {"label": str(predicted[i]), "score": score[i], "confidence": None}),
        (
            REGRESSOR,
            lambda i: {"label": None, "score": None, "confidence": None, "value": value_predicted[i]},
        ),
    ):
        _send_with(gateway, model, [(ids[i], START + HOUR + i * 10**9, override(i)) for i in range(N)])
    _wait_for_joined(gateways, 2 * BEFORE)
    assert gateway.task("performance").run_once()  # only the labels sent before the predictions so far
    early = _oracle(
        score[:BEFORE], predicted[:BEFORE], truth[:BEFORE], value_predicted[:BEFORE], value_truth[:BEFORE]
    )
    early_stored = _stored(gateways, "3.0")
    assert early_stored[(CLASSIFIER, "accuracy")][:2] == (
        pytest.approx(early[(CLASSIFIER, "accuracy")]),
        BEFORE,
    )
    assert early_stored[(CLASSIFIER, "accuracy")][2]["complete"] is False  # the hour is still running

    # Version 3.1 of the classifier, ten requests in the same hour, all predicted right.
    newer = [
        (f"v31-{i}", START + HOUR + (N + i) * 10**9, {"label": "fraud", "score": 0.9, "confidence": 0.9})
        for i in range(10)
    ]
    _send_with(gateway, CLASSIFIER, newer, version="3.1")
    gateways.rows("SELECT 1")  # flushes the writers
    assert gateway.task("performance").run_once()  # no label yet: estimated accuracy (CBPE) only
    unlabelled = _stored(gateways, "3.1")
    assert set(unlabelled) == {(CLASSIFIER, "estimated_accuracy")}
    assert unlabelled[(CLASSIFIER, "estimated_accuracy")][:2] == (pytest.approx(0.9), len(newer))
    labeler.grpc([(CLASSIFIER, rid, "fraud") for rid, _, _ in newer])

    # Labels after predictions; some are first sent wrong, corrected later by another way.
    wrong = {30: "grpc", 31: "otlp", 32: "csv"}  # request index -> the way its wrong label goes
    after = labels_of(range(BEFORE, N))
    for i, way in wrong.items():
        after[way] = [
            (model, rid, _flip(y) if model == CLASSIFIER and rid == ids[i] else y)
            for model, rid, y in after[way]
        ]
    after["csv"].insert(0, (CLASSIFIER, ids[35], _flip(str(truth[35]))))  # corrected later in the same file
    after["csv"].append((CLASSIFIER, ids[0], str(truth[0])))  # a duplicate of a gRPC label
    for way in WAYS:
        labeler.send(way, after[way])
    labeler.otlp([(CLASSIFIER, ids[30], str(truth[30]))])  # corrects the gRPC label
    labeler.csv([(CLASSIFIER, ids[31], str(truth[31]))])  # corrects the OTLP label
    labeler.grpc([(CLASSIFIER, ids[32], str(truth[32]))])  # corrects the file's label

    joined = _wait_for_joined(gateways, 2 * N + len(newer))
    assert sorted(r for r in joined if r[0] == CLASSIFIER and r[1].startswith("t-")) == sorted(
        (CLASSIFIER, ids[i], str(predicted[i]), str(truth[i])) for i in range(N)
    )
    assert gateways.rows("SELECT RequestId FROM ml_unmatched_labels") == [("never-served",)]
    clock.advance(
        3600
    )  # the hour of the predictions has closed; it is recomputed (lookback) with late labels
    assert gateway.task("performance").run_once()

    expected = _oracle(score, predicted, truth, value_predicted, value_truth)
    stored = _stored(gateways, "3.0")
    for (model, signal), value in expected.items():
        assert stored[(model, signal)][0] == pytest.approx(value, rel=1e-9, abs=1e-12), (model, signal)
        assert stored[(model, signal)][1] == N
        assert stored[(model, signal)][2]["complete"] is True
    labelled = _stored(gateways, "3.1")
    assert labelled[(CLASSIFIER, "accuracy")][:2] == (1.0, len(newer))
    assert labelled[(CLASSIFIER, "estimated_accuracy")][2]["realised_accuracy"] == 1.0  # shown beside
    accuracy_details = stored[(CLASSIFIER, "accuracy")][2]
    assert accuracy_details["confusion_matrix"]["counts"] == _matrix(truth, predicted)
    assert stored[(REGRESSOR, "mape")][2]["excluded_zero_targets"] == 2
    estimated = stored[(CLASSIFIER, "estimated_accuracy")]
    assert estimated[0] == pytest.approx(np.mean(np.maximum(score, 1 - score)), rel=1e-9)
    assert estimated[2]["realised_accuracy"] == pytest.approx(expected[(CLASSIFIER, "accuracy")], rel=1e-12)

    capsys.readouterr()
    documents = {}
    for model, version in ((CLASSIFIER, "3.0"), (REGRESSOR, "3.0"), ("all", "")):
        out = StringIO()
        arguments = ["performance", "--model", model if version else CLASSIFIER, "--since", "3650d"]
        with redirect_stdout(out):
            assert (
                inferwatch([*arguments, "--version", version, "--format", "json", "--url", http_url(gateway)])
                == 0
            )
        documents[model] = json.loads(out.getvalue())
    for (model, signal), value in expected.items():
        shown = documents[model]["metrics"][signal]["value"]
        assert shown == pytest.approx(value, rel=1e-9, abs=1e-12), (model, signal)
    document = documents[CLASSIFIER]
    assert document["labelled_predictions"] == N
    assert document["positive_class"] == "fraud"
    assert document["confusion_matrix"] == {"labels": ["fraud", "legit"], "counts": _matrix(truth, predicted)}
    assert document["estimated_accuracy"]["realised_accuracy"] == pytest.approx(
        expected[(CLASSIFIER, "accuracy")]
    )
    assert document["estimated_accuracy"]["predictions"] == N
    assert [b["count"] for b in document["calibration"]["bins"]] == _bin_counts(score).tolist()
    assert documents[REGRESSOR]["labelled_predictions"] == N
    both = documents["all"]  # every version of the classifier: 3.0's pairs and 3.1's ten right ones
    assert both["labelled_predictions"] == N + len(newer) and both["versions"] == ["3.0", "3.1"]
    all_truth = np.concatenate([truth, ["fraud"] * len(newer)])
    all_predicted = np.concatenate([predicted, ["fraud"] * len(newer)])
    assert both["metrics"]["accuracy"]["value"] == pytest.approx(sk.accuracy_score(all_truth, all_predicted))


def _stored(gateways: GatewayFactory, version: str) -> dict[tuple[str, str], tuple[float, int, dict]]:
    """The latest point of each (model, signal) of one version in the 1h window of the predictions."""
    rows = gateways.rows(
        "SELECT ModelName, Signal, argMax(Value, EvaluatedAt), argMax(Samples, EvaluatedAt), "
        "argMax(Details, EvaluatedAt) FROM ml_performance "
        "WHERE Labels['window'] = '1h' AND WindowStart = fromUnixTimestamp64Nano({start:Int64}) "
        "AND ModelVersion = {version:String} GROUP BY ModelName, Signal",
        {"start": START + HOUR, "version": version},
    )
    return {(model, signal): (value, samples, json.loads(d)) for model, signal, value, samples, d in rows}


def _send_with(gateway, model: str, requests: list[tuple[str, int, dict]], version: str = "3.0") -> None:
    """Like test_performance._send, with the whole prediction set per request."""
    provider = TracerProvider(resource=Resource.create({"service.name": "truth-api"}))
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=grpc_endpoint(gateway), insecure=True))
    )
    service = ModelService(provider.get_tracer("test"), model_name=model, model_version=version)
    for request_id, start, override in requests:
        service.handle(request_id, {"amount": 10.0}, start_ns=start, prediction_override=override)
    assert provider.force_flush(30_000)
    provider.shutdown()


def _wait_for_joined(gateways: GatewayFactory, count: int) -> list[tuple]:
    deadline = time.monotonic() + 20
    while True:
        rows = gateways.rows(
            "SELECT ModelName, RequestId, PredictionClass, LabelClass FROM ml_labeled_predictions"
        )
        if len(rows) >= count or time.monotonic() > deadline:
            assert len(rows) == count
            return rows
        time.sleep(0.2)


def _matrix(truth: np.ndarray, predicted: np.ndarray) -> list[list[int]]:
    return sk.confusion_matrix(truth, predicted, labels=["fraud", "legit"]).tolist()


def _oracle(score, predicted, truth, value_predicted, value_truth) -> dict[tuple[str, str], float]:
    positive = truth == "fraud"
    nonzero = value_truth != 0
    return {
        (CLASSIFIER, "accuracy"): sk.accuracy_score(truth, predicted),
        (CLASSIFIER, "precision"): sk.precision_score(truth, predicted, pos_label="fraud"),
        (CLASSIFIER, "recall"): sk.recall_score(truth, predicted, pos_label="fraud"),
        (CLASSIFIER, "f1"): sk.f1_score(truth, predicted, pos_label="fraud"),
        (CLASSIFIER, "auc"): sk.roc_auc_score(positive, score),
        (CLASSIFIER, "log_loss"): sk.log_loss(positive, score, labels=[False, True]),
        (CLASSIFIER, "calibration_error"): _ece(positive, score),
        (REGRESSOR, "mae"): sk.mean_absolute_error(value_truth, value_predicted),
        (REGRESSOR, "rmse"): float(np.sqrt(sk.mean_squared_error(value_truth, value_predicted))),
        (REGRESSOR, "r2"): sk.r2_score(value_truth, value_predicted),
        (REGRESSOR, "mape"): sk.mean_absolute_percentage_error(
            value_truth[nonzero], value_predicted[nonzero]
        ),
    }
