"""The labels table and its join with predictions (processors/feedback/sql), fed by the example service."""

from __future__ import annotations

from datetime import UTC, datetime

from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from examples.model_service import ModelService
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
