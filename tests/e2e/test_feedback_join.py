"""The labels table and its join with predictions (processors/feedback/sql), fed by the example service."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import grpc
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from examples.model_service import ModelService
from gateway.clock import FakeClock
from gateway.feedback import FeedbackClient
from gateway.feedback.client import Label
from processors.ml import conventions as keys
from tests.e2e.conftest import grpc_endpoint

START = 1_760_000_000_000_000_000
MODEL = "fraud-detector"
MS = 1_000_000


def serve(gateway, request_ids: list[str], model: str = MODEL) -> dict[str, str]:
    """Send one request per id through the example service; returns the predicted label per id."""
    provider = TracerProvider(resource=Resource.create({"service.name": "fraud-api"}))
    exporter = OTLPSpanExporter(endpoint=grpc_endpoint(gateway), insecure=True)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    service = ModelService(provider.get_tracer("example"), model_name=model, model_version="2.1.0")
    labels = {}
    for index, request_id in enumerate(request_ids):
        prediction = service.handle(
            request_id,
            {"amount": 50.0 + 400 * index, "account_age_days": 3 + index, "country": "DE"},
            start_ns=START + index * 100 * MS,
        )
        labels[request_id] = prediction.label
    assert provider.force_flush(10_000)
    provider.shutdown()
    return labels


def test_latest_label_joins_its_prediction_and_unmatched_labels_wait(gateways):
    gateway = gateways.start()
    client = gateway.open_client()
    columns = ["RequestId", "ModelName", "LabelClass", "LabelValue", "EventTime", "Source"]
    event_time = datetime.fromtimestamp(1_760_000_000, UTC)
    for request_id, label in (("r-1", "fraud"), ("r-1", "legit"), ("r-9", "fraud")):
        row = [request_id, "fraud-detector", label, None, event_time, "test"]
        client.insert("ml_labels", [row], column_names=columns)
    predicted = serve(gateway, ["r-1", "r-2"])
    rows = gateways.rows(
        "SELECT RequestId, ModelVersion, PredictionClass, LabelClass, Confidence IS NOT NULL "
        "FROM ml_labeled_predictions ORDER BY RequestId"
    )
    assert rows == [("r-1", "2.1.0", predicted["r-1"], "legit", True)]
    assert gateways.rows("SELECT RequestId FROM ml_unmatched_labels") == [("r-9",)]


def test_otlp_feedback_log_records_become_labels(gateways):
    gateway = gateways.start()
    predicted = serve(gateway, ["r-0", "r-1", "r-2"])
    provider = LoggerProvider(resource=Resource.create({"service.name": "labeler", "ml.model.name": MODEL}))
    provider.add_log_record_processor(
        BatchLogRecordProcessor(OTLPLogExporter(endpoint=grpc_endpoint(gateway), insecure=True))
    )
    logger = provider.get_logger("labeler")
    at = START + 3600 * 10**9

    def label(attributes: dict, event_name: str = keys.FEEDBACK_EVENT_NAME) -> None:
        logger.emit(timestamp=at, body="label", event_name=event_name, attributes=attributes)

    label({keys.REQUEST_ID: "r-0", keys.LABEL_CLASS: "fraud"})  # model from the resource
    label({keys.REQUEST_ID: "r-1", keys.MODEL_NAME: MODEL, keys.LABEL_VALUE: 0.25})
    label({keys.REQUEST_ID: "r-2", keys.LABEL_CLASS: "fraud", keys.LABEL_VALUE: 1.0})  # both: not a label
    label({keys.LABEL_CLASS: "fraud"})  # no request id: not a label
    label({keys.REQUEST_ID: "r-2", keys.LABEL_CLASS: "fraud"}, event_name="other")  # not ml.feedback
    label({keys.REQUEST_ID: "r-7", keys.MODEL_NAME: "other-model", keys.LABEL_CLASS: "x"})
    assert provider.force_flush(10_000)
    provider.shutdown()

    rows = gateways.rows(
        "SELECT RequestId, PredictionClass, LabelClass, LabelValue, toUnixTimestamp64Milli(LabelEventTime), "
        "LabelSource FROM ml_labeled_predictions ORDER BY RequestId"
    )
    assert rows == [
        ("r-0", predicted["r-0"], "fraud", None, at // 10**6, "otlp"),
        ("r-1", predicted["r-1"], None, 0.25, at // 10**6, "otlp"),
    ]
    assert gateways.rows("SELECT ModelName, RequestId FROM ml_unmatched_labels") == [("other-model", "r-7")]


def test_unmatched_labels_are_counted_and_dropped_after_the_retention(gateways):
    clock = FakeClock(time.time_ns())
    gateway = gateways.start("feedback.unmatched_retention=7d", clock=clock, run_tasks=False)
    serve(gateway, ["r-0"])
    channel = grpc.insecure_channel(grpc_endpoint(gateway))
    labels = [Label(request_id=rid, model=MODEL, label_class="fraud") for rid in ("r-0", "late", "ghost")]
    assert FeedbackClient(channel).submit(labels).accepted == 3
    task = gateway.task("feedback")

    assert gateways.rows("SELECT count() FROM ml_labeled_predictions") == [(1,)]  # (flushes the writers)
    clock.advance(6 * 86400)
    assert task.run_once()
    assert gateways.rows("SELECT RequestId FROM ml_unmatched_labels ORDER BY RequestId") == [
        ("ghost",),
        ("late",),
    ]
    serve(gateway, ["late"])  # six days late, still within the retention: it joins
    assert gateways.rows("SELECT RequestId FROM ml_unmatched_labels") == [("ghost",)]  # (flushes the writers)
    clock.advance(2 * 86400)
    assert task.run_once()
    channel.close()

    assert gateways.rows("SELECT RequestId FROM ml_labeled_predictions ORDER BY RequestId") == [
        ("late",),
        ("r-0",),
    ]
    assert gateways.rows("SELECT RequestId FROM ml_labels") == [("late",), ("r-0",)]
    series = gateways.rows(
        "SELECT Value, Samples, toUnixTimestamp64Nano(WindowEnd) FROM ml_performance FINAL "
        "WHERE Signal = 'unmatched_labels' AND ModelName = {model:String} ORDER BY WindowEnd",
        {"model": MODEL},
    )
    hour = 3600 * 10**9
    assert series == [
        (2.0, 3, clock.now_unix_nano() // hour * hour - 2 * 86400 * 10**9),
        (0.0, 2, clock.now_unix_nano() // hour * hour),
    ]
