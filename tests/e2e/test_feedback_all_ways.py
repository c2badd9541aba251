"""Known truth through every way in at once: SDK spans for predictions; labels over gRPC, as OTLP log records,
from a CSV and from a Parquet file. Every request joins exactly its own label, whatever the order."""

from __future__ import annotations

import grpc
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource

from gateway.cli.main import main as inferwatch
from gateway.feedback import FeedbackClient
from gateway.feedback.client import Label
from processors.ml import conventions as keys
from tests.e2e.conftest import grpc_endpoint, http_url
from tests.e2e.test_feedback_join import MODEL, START, serve

N = 40


def test_every_request_joins_its_own_label_whichever_way_it_came(gateways, tmp_path, capsys):
    gateway = gateways.start()
    rng = np.random.default_rng(11)
    truth = {f"req-{i}": str(rng.choice(["fraud", "legit"])) for i in range(N)}
    ids = list(truth)
    ways = {way: ids[index::4] for index, way in enumerate(("grpc", "otlp", "csv", "parquet"))}
    predicted = serve(gateway, ids[: N // 2])  # half the predictions before the labels

    with grpc.insecure_channel(grpc_endpoint(gateway)) as channel:
        response = FeedbackClient(channel).submit(
            Label(request_id=rid, model=MODEL, label_class=truth[rid]) for rid in ways["grpc"]
        )
    assert (response.accepted, response.rejected) == (len(ways["grpc"]), 0)

    provider = LoggerProvider(resource=Resource.create({"service.name": "labeler"}))
    provider.add_log_record_processor(
        BatchLogRecordProcessor(OTLPLogExporter(endpoint=grpc_endpoint(gateway), insecure=True))
    )
    logger = provider.get_logger("labeler")
    for rid in ways["otlp"]:
        attributes = {keys.REQUEST_ID: rid, keys.MODEL_NAME: MODEL, keys.LABEL_CLASS: truth[rid]}
        logger.emit(timestamp=START, event_name=keys.FEEDBACK_EVENT_NAME, attributes=attributes)
    assert provider.force_flush(10_000)
    provider.shutdown()

    csv = tmp_path / "labels.csv"
    csv.write_text(
        "request_id,model,label_class\n" + "".join(f"{r},{MODEL},{truth[r]}\n" for r in ways["csv"])
    )
    parquet = tmp_path / "labels.parquet"
    pq.write_table(pa.table({"id": ways["parquet"], "y": [truth[r] for r in ways["parquet"]]}), parquet)
    url = ["--url", http_url(gateway), "--quiet"]
    assert inferwatch(["feedback", "import", str(csv), *url]) == 0
    parquet_mapping = ["--model", MODEL, "--request-id-column", "id", "--class-column", "y"]
    assert inferwatch(["feedback", "import", str(parquet), *parquet_mapping, *url]) == 0
    capsys.readouterr()

    predicted |= serve(gateway, ids[N // 2 :])  # the other half after their labels
    rows = gateways.rows(
        "SELECT RequestId, PredictionClass, LabelClass, LabelSource FROM ml_labeled_predictions"
    )
    source = {rid: way if way in ("grpc", "otlp") else "file" for way, rids in ways.items() for rid in rids}
    assert sorted(rows) == sorted((rid, predicted[rid], truth[rid], source[rid]) for rid in ids)
    assert gateways.rows("SELECT count() FROM ml_unmatched_labels") == [(0,)]
