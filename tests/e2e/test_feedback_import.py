"""``inferwatch feedback import`` (CSV, Parquet) through the gateway's API and directly; ``status``."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gateway.cli.admin_access import ApiCallFailed, call_gateway
from gateway.cli.main import main as inferwatch
from tests.e2e.conftest import http_url
from tests.e2e.test_feedback_join import MODEL, serve

JOINED = (
    "SELECT RequestId, PredictionClass, LabelClass, LabelValue, toUnixTimestamp64Milli(LabelEventTime), "
    "LabelSource FROM ml_labeled_predictions ORDER BY RequestId"
)


def test_csv_import_through_the_gateway_in_batches(gateways, tmp_path, capsys):
    gateway = gateways.start()
    predicted = serve(gateway, [f"r-{i}" for i in range(5)])
    labels = tmp_path / "labels.csv"
    labels.write_text(
        "request_id,model,label_class,event_time\n"
        f"r-0,{MODEL},fraud,2026-01-31T12:00:00Z\n"
        f"r-1,{MODEL},legit,1769860800\n"
        f",{MODEL},fraud,\n"  # line 4: no request id
        f"r-2,{MODEL},1,\n"
        f"r-0,{MODEL},legit,2026-01-31T13:00:00Z\n"  # a correction, in a later batch
        f"ghost,{MODEL},fraud,\n"
    )
    code = inferwatch(["feedback", "import", str(labels), "--url", http_url(gateway), "--batch-size", "2"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert f"{labels}: line 4: request_id: required" in err
    assert f"imported 5 labels from {labels} through the gateway at {http_url(gateway)}" in err
    assert "100%  6/6 labels" in err
    rows = gateways.rows(JOINED)
    assert [row[:4] for row in rows] == [
        ("r-0", predicted["r-0"], "legit", None),
        ("r-1", predicted["r-1"], "legit", None),
        ("r-2", predicted["r-2"], "1", None),
    ]
    assert rows[0][4] == datetime(2026, 1, 31, 13, tzinfo=timezone.utc).timestamp() * 1000
    assert rows[1][4] == 1769860800 * 1000
    assert {row[5] for row in rows} == {"file"}

    assert inferwatch(["feedback", "status", "--url", http_url(gateway), "--format", "json"]) == 0
    (status,) = json.loads(capsys.readouterr().out)
    oldest = status.pop("oldest_unmatched_unix_nano")
    assert status == {"model": MODEL, "labels": 4, "matched": 3, "unmatched": 1}
    assert abs(oldest - time.time_ns()) < 600 * 10**9, "the ghost label's receipt time"


def test_parquet_import_with_mapped_columns_directly_into_clickhouse(gateways, tmp_path, capsys):
    gateway = gateways.start()
    predicted = serve(gateway, ["r-0", "r-1"])
    decided = [datetime(2026, 2, 1, 8, 30, 0, 123000, tzinfo=timezone.utc), None]
    table = pa.table(
        {
            "txn": ["r-0", "r-1"],
            "amount": [412.5, 13.0],
            "decided_at": pa.array(decided, pa.timestamp("ms", "UTC")),
        }
    )
    path = tmp_path / "outcomes.parquet"
    pq.write_table(table, path)
    direct = [
        f"--set=clickhouse.dsn=chdb://{gateways.chdb_dir}",
        f"--set=clickhouse.database={gateways.database}",
        "--set=receivers.http.endpoint=127.0.0.1:1",  # no gateway answers there
    ]
    mapping = ["--model", MODEL, "--request-id-column", "txn", "--value-column", "amount"]
    code = inferwatch(
        ["feedback", "import", str(path), *mapping, "--event-time-column", "decided_at", *direct]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    assert f"imported 2 labels from {path} directly into ClickHouse" in err
    rows = gateways.rows(JOINED)
    assert [row[:4] for row in rows] == [
        ("r-0", predicted["r-0"], None, 412.5),
        ("r-1", predicted["r-1"], None, 13.0),
    ]
    assert rows[0][4] == 1769934600123

    assert inferwatch(["feedback", "status", "--model", MODEL, *direct]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[:2] == [
        "MODEL           LABELS  MATCHED  UNMATCHED",
        f"{MODEL}  2       2        0",
    ]
    assert "kept 7d after receipt" in out


def test_import_names_the_missing_column_and_the_option_that_maps_it(gateways, tmp_path, capsys):
    gateway = gateways.start()
    labels = tmp_path / "labels.csv"
    labels.write_text("id,outcome\nr-0,fraud\n")
    assert inferwatch(["feedback", "import", str(labels), "--url", http_url(gateway)]) == 2
    err = capsys.readouterr().err
    assert "no column 'request_id' (columns: id, outcome); map yours with --request-id-column" in err
    code = inferwatch(
        [
            "feedback",
            "import",
            str(labels),
            "--url",
            http_url(gateway),
            "--request-id-column",
            "id",
            "--model",
            "m",
        ]
    )
    assert code == 2
    assert "map yours with --class-column or --value-column" in capsys.readouterr().err
    assert gateways.rows("SELECT count() FROM ml_labels") == [(0,)]


def test_api_refuses_a_malformed_body_and_a_foreign_source(gateway):
    for document, message in (
        (
            {"labels": "r-0"},
            'expected a JSON object {"labels": [{"request_id": ..., "model": ..., ...}, ...]}',
        ),
        ({"labels": [], "source": "grpc"}, "source: must be one of api, file, got 'grpc'"),
    ):
        with pytest.raises(ApiCallFailed) as caught:
            call_gateway(http_url(gateway), "POST", "/api/v1/feedback", document)
        assert (caught.value.status, caught.value.message) == (400, message)
    answer = call_gateway(http_url(gateway), "POST", "/api/v1/feedback", {"labels": [{"model": "m"}]})
    assert answer == {
        "accepted": 0,
        "rejected": 1,
        "errors": [{"index": 0, "message": "request_id: required"}],
    }
