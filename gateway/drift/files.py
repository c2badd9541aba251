"""Reference datasets from files, read in chunks: CSV, JSON lines and Parquet.

Reads: one file (``.csv``, ``.jsonl``/``.ndjson``/``.json``, ``.parquet``/``.pq``; or ``file_format``).
Writes: progress to a stream (stderr): a bar redrawn in place on a terminal, a line per 10% otherwise.
Config: none.

Each chunk is ``(columns, rows)``: ``{column: values}`` with every column of the chunk having
``rows`` values. CSV is read as text by pyarrow (empty, "NA", "NULL", "nan" ... are missing); a
column of a chunk whose values all read as numbers arrives as a float array, the others as
strings (``processors.drift.profile`` detects the types); a JSON line is an object whose missing keys
are missing values; Parquet columns arrive as numpy arrays (numbers) or lists, batch by batch.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import pyarrow as arrow  # a dependency of chdb, declared in pyproject.toml
import pyarrow.compute as arrow_compute
import pyarrow.csv as arrow_csv
import pyarrow.parquet as parquet

Chunk = tuple[dict[str, Any], int]
FORMATS = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
DEFAULT_CHUNK_ROWS = 50_000
CSV_BLOCK_BYTES = 8 << 20


class ReferenceFileError(ValueError):
    """The file cannot be read as a reference dataset; the message says where and why."""


def file_format(path: Path, explicit: str | None = None) -> str:
    if explicit:
        return explicit
    found = FORMATS.get(path.suffix.lower())
    if found is None:
        raise ReferenceFileError(
            f"{path}: unknown file type {path.suffix!r}; use .csv, .jsonl or .parquet, or pass --format-in"
        )
    return found


class Progress:
    """Bytes (or rows) done out of a total, drawn on ``stream``."""

    def __init__(self, stream: TextIO | None, total: int, label: str) -> None:
        self.stream = stream
        self.total = max(total, 1)
        self.label = label
        self.tty = bool(stream is not None and stream.isatty())
        self._last_tenth = -1

    def update(self, done: int, rows: int) -> None:
        if self.stream is None:
            return
        share = min(done / self.total, 1.0)
        if self.tty:
            filled = int(share * 30)
            self.stream.write(
                f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {share:4.0%} {rows:,} rows"
            )
            self.stream.flush()
        elif int(share * 10) > self._last_tenth:
            self._last_tenth = int(share * 10)
            self.stream.write(f"{self.label}: {share:.0%} ({rows:,} rows)\n")

    def finish(self, rows: int) -> None:
        if self.stream is not None and self.tty:
            self.stream.write(f"\r{self.label}: {rows:,} rows read{' ' * 30}\n")


def read_chunks(
    path: Path,
    *,
    explicit_format: str | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: TextIO | None = None,
) -> Iterator[Chunk]:
    """The file's rows in chunks of at most ``chunk_rows``, drawing progress on ``progress``."""
    kind = file_format(path, explicit_format)
    if not path.is_file():
        raise ReferenceFileError(f"{path}: no such file")
    bar = Progress(progress, os.path.getsize(path), f"reading {path.name}")
    rows = 0
    readers = {"csv": _csv_chunks, "jsonl": _jsonl_chunks, "parquet": _parquet_chunks}
    if kind not in readers:
        raise ReferenceFileError(f"unknown format {kind!r}: use csv, jsonl or parquet")
    for chunk, done in readers[kind](path, chunk_rows):
        rows += chunk[1]
        bar.update(done, rows)
        yield chunk
    bar.finish(rows)


def _csv_chunks(path: Path, chunk_rows: int) -> Iterator[tuple[Chunk, int]]:
    """Every column read as text by pyarrow's streaming CSV reader, then each batch's columns that
    parse as numbers in full become float arrays (the vectorised profile path) and the others stay
    strings, so values mean what they mean in ``csv`` text: "1" is a number, "true" a boolean."""
    with path.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle), None)
    if not header:
        raise ReferenceFileError(f"{path}: empty CSV file (a header line is required)")
    options = arrow_csv.ConvertOptions(
        column_types=dict.fromkeys(header, arrow.string()), strings_can_be_null=True
    )
    with path.open("rb") as handle:
        try:
            reader = arrow_csv.open_csv(
                handle,
                read_options=arrow_csv.ReadOptions(block_size=CSV_BLOCK_BYTES),
                convert_options=options,
            )
            for batch in reader:
                for start in range(0, batch.num_rows, chunk_rows):
                    part = batch.slice(start, chunk_rows)
                    yield (_text_columns(part), part.num_rows), handle.tell()
        except arrow.ArrowInvalid as error:
            raise ReferenceFileError(f"{path}: {error}") from error


def _text_columns(batch: arrow.RecordBatch) -> dict[str, Any]:
    columns: dict[str, Any] = {}
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        try:
            columns[name] = arrow_compute.cast(column, arrow.float64()).to_numpy(zero_copy_only=False)
        except (arrow.ArrowInvalid, arrow.ArrowNotImplementedError):
            columns[name] = column.to_pylist()
    return columns


def _jsonl_chunks(path: Path, chunk_rows: int) -> Iterator[tuple[Chunk, int]]:
    with path.open("rb") as handle:
        records: list[dict[str, Any]] = []
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as error:
                raise ReferenceFileError(f"{path}:{line_number}: not JSON: {error}") from error
            if not isinstance(record, dict):
                raise ReferenceFileError(f"{path}:{line_number}: each line must be a JSON object")
            records.append(record)
            if len(records) == chunk_rows:
                yield _columns_of_records(records), handle.tell()
                records = []
        if records:
            yield _columns_of_records(records), os.path.getsize(path)


def _columns_of_records(records: list[dict[str, Any]]) -> Chunk:
    names = dict.fromkeys(key for record in records for key in record)
    return {name: [record.get(name) for record in records] for name in names}, len(records)


def _parquet_chunks(path: Path, chunk_rows: int) -> Iterator[tuple[Chunk, int]]:
    try:
        handle = parquet.ParquetFile(path)
    except Exception as error:  # boundary: pyarrow raises several types for a bad file
        raise ReferenceFileError(f"{path}: not a Parquet file: {error}") from error
    total = max(handle.metadata.num_rows, 1)
    done = 0
    for batch in handle.iter_batches(batch_size=chunk_rows):
        columns: dict[str, Any] = {}
        for name, column in zip(batch.schema.names, batch.columns, strict=True):
            if column.null_count == 0 and column.type.id in _NUMERIC_ARROW_TYPES:
                columns[name] = column.to_numpy(zero_copy_only=False)
            else:
                columns[name] = column.to_pylist()
        done += batch.num_rows
        yield (columns, batch.num_rows), int(os.path.getsize(path) * done / total)


_NUMERIC_ARROW_TYPES = frozenset(
    getattr(arrow, name)().id
    for name in (
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "float32",
        "float64",
    )
)
