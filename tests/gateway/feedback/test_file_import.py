"""Reading label files: CSV and Parquet to label items, in batches, with mapped columns."""

from __future__ import annotations

from datetime import datetime, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gateway.feedback.file_import import ColumnMap, ImportFileError, open_label_file, read_batches


def test_csv_keeps_ids_as_text_and_reads_event_times(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text(
        "request_id,model,label_class,label_value,event_time\n"
        "00123,m,0,,2026-01-31T12:00:00Z\n"
        "7,m,,2.5,1769860800.5\n"
        "8,m,,,\n"
    )
    label_file = open_label_file(path)
    assert (label_file.format, label_file.rows) == ("csv", 3)
    (batch,) = read_batches(label_file, ColumnMap(), batch_size=10)
    assert batch == [
        {
            "request_id": "00123",
            "model": "m",
            "label_class": "0",
            "label_value": None,
            "event_time": "2026-01-31T12:00:00Z",
        },
        {
            "request_id": "7",
            "model": "m",
            "label_class": None,
            "label_value": 2.5,
            "event_time_unix_nano": 1769860800500000000,
        },
        {"request_id": "8", "model": "m", "label_class": None, "label_value": None},
    ]


def test_batches_are_the_requested_size_in_file_order(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("id,y\n" + "".join(f"r-{i},{i % 2}\n" for i in range(25)))
    columns = ColumnMap(request_id="id", label_class="y", model="m")
    batches = list(read_batches(open_label_file(path), columns, batch_size=10))
    assert [len(batch) for batch in batches] == [10, 10, 5]
    assert [item["request_id"] for batch in batches for item in batch] == [f"r-{i}" for i in range(25)]
    assert {item["model"] for batch in batches for item in batch} == {"m"}


def test_parquet_timestamps_are_exact_nanoseconds(tmp_path):
    moment = datetime(2026, 2, 1, 8, 30, 0, 123456, tzinfo=timezone.utc)
    stamps = pa.array([1_769_934_600_123_456_789, None], pa.timestamp("ns"))  # naive: UTC
    table = pa.table(
        {
            "request_id": [1, 2],
            "model": ["m", "m"],
            "label_value": [1.5, None],
            "t": stamps,
            "label_class": [None, "x"],
            "d": pa.array([moment, moment], pa.timestamp("us", "Europe/Berlin")),
        }
    )
    path = tmp_path / "labels.parquet"
    pq.write_table(table, path)
    label_file = open_label_file(path)
    assert (label_file.format, label_file.rows) == ("parquet", 2)
    (batch,) = read_batches(label_file, ColumnMap(event_time="t"), batch_size=100)
    assert batch == [
        {
            "request_id": "1",
            "model": "m",
            "label_class": None,
            "label_value": 1.5,
            "event_time_unix_nano": 1_769_934_600_123_456_789,
        },
        {"request_id": "2", "model": "m", "label_class": "x", "label_value": None},
    ]
    (batch,) = read_batches(label_file, ColumnMap(event_time="d"), batch_size=100)
    assert batch[0]["event_time_unix_nano"] == 1_769_934_600_123_456_000


def test_file_errors_say_what_to_do(tmp_path):
    with pytest.raises(ImportFileError, match="no such file"):
        open_label_file(tmp_path / "missing.csv")
    odd = tmp_path / "labels.json"
    odd.write_text("{}")
    with pytest.raises(ImportFileError, match="pass --format csv or --format parquet"):
        open_label_file(odd)
    broken = tmp_path / "labels.parquet"
    broken.write_text("not parquet")
    with pytest.raises(ImportFileError, match="not a readable parquet file"):
        open_label_file(broken)
    path = tmp_path / "labels.csv"
    path.write_text("request_id,label_class\nr,x\n")
    with pytest.raises(ImportFileError, match="or give one model for the file with --model NAME"):
        list(read_batches(open_label_file(path), ColumnMap(), batch_size=10))
