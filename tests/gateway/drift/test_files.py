"""Reference files in chunks: CSV, JSON lines, Parquet; progress lines; errors that name the place."""

from __future__ import annotations

import io
import json

import numpy as np
import pyarrow as arrow
import pyarrow.parquet as parquet
import pytest

from gateway.drift.files import Progress, ReferenceFileError, read_chunks
from processors.drift.baseline import BaselineBuilder

RECORDS = [
    {"amount": 10.5 + index, "country": ["DE", "FR"][index % 2], "prediction": "legit"} for index in range(25)
]


def _collect(path, **options):
    chunks = list(read_chunks(path, chunk_rows=10, **options))
    return [rows for _, rows in chunks], chunks


def test_the_three_formats_give_the_same_columns(tmp_path):
    csv_path = tmp_path / "r.csv"
    csv_path.write_text(
        "amount,country,prediction\n"
        + "".join(f"{r['amount']},{r['country']},{r['prediction']}\n" for r in RECORDS)
    )
    jsonl_path = tmp_path / "r.jsonl"
    jsonl_path.write_text("".join(json.dumps(record) + "\n" for record in RECORDS))
    parquet_path = tmp_path / "r.parquet"
    parquet.write_table(arrow.Table.from_pylist(RECORDS), parquet_path, row_group_size=7)
    profiles = []
    for path in (csv_path, jsonl_path, parquet_path):
        sizes, chunks = _collect(path)
        assert sum(sizes) == 25 and max(sizes) <= 10
        builder = BaselineBuilder()
        for columns, rows in chunks:
            builder.add(columns, rows)
        profiles.append(builder.build())
    assert profiles[0] == profiles[1]
    assert profiles[2].features[0].numeric.bin_edges == profiles[0].features[0].numeric.bin_edges
    _, chunks = _collect(parquet_path)
    assert isinstance(chunks[0][0]["amount"], np.ndarray)  # numbers arrive as arrays (vectorised path)


def test_json_lines_with_keys_missing_in_some_records(tmp_path):
    path = tmp_path / "r.ndjson"
    path.write_text('{"a": 1}\n\n{"b": "x"}\n')
    ((columns, rows),) = list(read_chunks(path))
    assert rows == 2 and columns == {"a": [1, None], "b": [None, "x"]}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("r.csv", "", "empty CSV file"),
        ("r.csv", "a,b\n1,2\n3\n", "r.csv: CSV parse error: Expected 2 columns, got 1: 3"),
        ("r.jsonl", '{"a": 1}\n[1]\n', "r.jsonl:2: each line must be a JSON object"),
        ("r.jsonl", '{"a": 1}\n{oops\n', "r.jsonl:2: not JSON"),
        ("r.parquet", "not parquet", "not a Parquet file"),
        ("r.xlsx", "", "unknown file type '.xlsx'"),
    ],
)
def test_bad_files_name_the_place(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ReferenceFileError, match=message.replace("[", r"\[").replace("(", r"\(")):
        list(read_chunks(path))


def test_a_missing_file(tmp_path):
    with pytest.raises(ReferenceFileError, match="no such file"):
        list(read_chunks(tmp_path / "gone.csv"))


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_on_a_terminal_and_lines_elsewhere():
    plain = io.StringIO()
    progress = Progress(plain, 1000, "reading r.csv")
    for done in range(0, 1001, 50):
        progress.update(done, done // 10)
    progress.finish(100)
    lines = plain.getvalue().splitlines()
    assert lines[0] == "reading r.csv: 0% (0 rows)" and lines[-1] == "reading r.csv: 100% (100 rows)"
    assert len(lines) == 11  # one per tenth
    terminal = _Terminal()
    bar = Progress(terminal, 1000, "reading r.csv")
    bar.update(500, 50)
    bar.finish(100)
    assert "\rreading r.csv [###############...............]  50% 50 rows" in terminal.getvalue()
    assert terminal.getvalue().endswith("\n") and "100 rows read" in terminal.getvalue()
