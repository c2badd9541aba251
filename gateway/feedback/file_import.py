"""Read labels from a CSV or Parquet file, in batches, as the items ``FeedbackService.submit`` takes.

Reads: the file (pyarrow, streaming: memory stays at one batch). Writes: nothing.

Columns (names can be mapped): ``request_id``, ``model`` (or one model for the whole file),
``label_class`` and/or ``label_value`` (a row uses the one that is set), ``event_time`` (optional:
RFC 3339 text, a timestamp column, or a number of seconds since the epoch; empty = when received).
Ids and classes are read as text, so ``00123`` stays ``00123``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pa_parquet

FORMATS = ("csv", "parquet")
_NUMBER = re.compile(r"^\s*[0-9]+(\.[0-9]*)?\s*$")


class ImportFileError(ValueError):
    """The file cannot be imported as a whole; the message says what to change."""


@dataclass(frozen=True)
class ColumnMap:
    """Which file column holds which field; ``model`` set means one model for every row."""

    request_id: str = "request_id"
    model_column: str = "model"
    label_class: str = "label_class"
    label_value: str = "label_value"
    event_time: str = "event_time"
    model: str | None = None


@dataclass(frozen=True)
class LabelFile:
    path: Path
    format: str
    rows: int | None  # known up front (Parquet metadata, counted CSV lines) for the progress bar
    columns: tuple[str, ...]


def file_format(path: Path, explicit: str | None = None) -> str:
    if explicit:
        return explicit
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    raise ImportFileError(
        f"{path}: cannot tell the format from the name; pass --format csv or --format parquet"
    )


def open_label_file(path: Path, explicit_format: str | None = None) -> LabelFile:
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    kind = file_format(path, explicit_format)
    try:
        if kind == "parquet":
            parquet = pa_parquet.ParquetFile(path)
            return LabelFile(path, kind, parquet.metadata.num_rows, tuple(parquet.schema_arrow.names))
        with pa_csv.open_csv(path, read_options=_csv_read()) as reader:
            names = tuple(reader.schema.names)
        with path.open("rb") as handle:
            lines = sum(1 for _ in handle) - 1  # for the progress bar only: quoted newlines may inflate it
        return LabelFile(path, kind, max(lines, 0), names)
    except (pa.ArrowInvalid, OSError) as error:
        raise ImportFileError(f"{path}: not a readable {kind} file: {error}") from None


def _csv_read() -> pa_csv.ReadOptions:
    return pa_csv.ReadOptions(block_size=1 << 22)


def check_columns(label_file: LabelFile, columns: ColumnMap) -> None:
    """Refuse a file that lacks a required column, naming the option that maps it."""
    present = set(label_file.columns)
    have = ", ".join(label_file.columns) or "none"
    if columns.request_id not in present:
        raise ImportFileError(
            f"{label_file.path}: no column {columns.request_id!r} (columns: {have}); "
            "map yours with --request-id-column"
        )
    if columns.model is None and columns.model_column not in present:
        raise ImportFileError(
            f"{label_file.path}: no column {columns.model_column!r} (columns: {have}); "
            "map yours with --model-column, or give one model for the file with --model NAME"
        )
    if columns.label_class not in present and columns.label_value not in present:
        raise ImportFileError(
            f"{label_file.path}: no column {columns.label_class!r} or {columns.label_value!r} "
            f"(columns: {have}); map yours with --class-column or --value-column"
        )


def _event_time(value: Any) -> dict[str, Any]:
    """The event-time field of one item: ns for numbers (seconds) and timestamps, text passed on."""
    if value is None or value == "":
        return {}
    if isinstance(value, datetime):  # e.g. a date column; timestamp columns arrive as ns already
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        delta = moment - datetime(1970, 1, 1, tzinfo=timezone.utc)
        return {"event_time_unix_nano": delta // timedelta(microseconds=1) * 1000}
    if isinstance(value, str) and _NUMBER.match(value):
        value = float(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value) or value <= 0:
            return {"event_time": str(value)}  # refused by validation with the value in the message
        return {"event_time_unix_nano": round(value * 1e6) * 1000}
    return {"event_time": value if isinstance(value, str) else str(value)}


def _text(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _number(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return float(value) if value.strip() else None
        except ValueError:
            return value  # refused by validation, with the text in the message
    return value


def _items(table: pa.Table, columns: ColumnMap) -> list[dict[str, Any]]:
    names = set(table.column_names)

    def column(name: str) -> list[Any]:
        return table.column(name).to_pylist() if name in names else [None] * table.num_rows

    request_ids = column(columns.request_id)
    models = [columns.model] * table.num_rows if columns.model is not None else column(columns.model_column)
    classes, values = column(columns.label_class), column(columns.label_value)
    times: list[dict[str, Any]]
    if columns.event_time in names and pa.types.is_timestamp(table.column(columns.event_time).type):
        # Exact nanoseconds (naive timestamps are UTC); datetime objects would drop them.
        stamps = table.column(columns.event_time)
        nanos = stamps.cast(pa.timestamp("ns", stamps.type.tz)).cast(pa.int64()).to_pylist()
        times = [{} if value is None else {"event_time_unix_nano": value} for value in nanos]
    else:
        times = [_event_time(value) for value in column(columns.event_time)]
    items = []
    for request_id, model, label_class, label_value, event_time in zip(
        request_ids, models, classes, values, times, strict=True
    ):
        item = {
            "request_id": _text(request_id),
            "model": _text(model),
            "label_class": _text(label_class) or None,
            "label_value": _number(label_value),
            **event_time,
        }
        items.append(item)
    return items


def read_batches(
    label_file: LabelFile, columns: ColumnMap, batch_size: int
) -> Iterator[list[dict[str, Any]]]:
    """The file's rows as label items, ``batch_size`` at a time, in file order."""
    check_columns(label_file, columns)
    pending: list[dict[str, Any]] = []
    for table in _tables(label_file, columns, batch_size):
        pending.extend(_items(table, columns))
        while len(pending) >= batch_size:
            yield pending[:batch_size]
            pending = pending[batch_size:]
    if pending:
        yield pending


def _tables(label_file: LabelFile, columns: ColumnMap, batch_size: int) -> Iterator[pa.Table]:
    try:
        if label_file.format == "parquet":
            for batch in pa_parquet.ParquetFile(label_file.path).iter_batches(batch_size=batch_size):
                yield pa.Table.from_batches([batch])
            return
        text_columns = (columns.request_id, columns.model_column, columns.label_class, columns.event_time)
        convert = pa_csv.ConvertOptions(
            column_types={name: pa.string() for name in text_columns if name in label_file.columns},
            strings_can_be_null=True,
        )
        with pa_csv.open_csv(label_file.path, read_options=_csv_read(), convert_options=convert) as reader:
            for batch in reader:
                yield pa.Table.from_batches([batch])
    except pa.ArrowInvalid as error:
        raise ImportFileError(f"{label_file.path}: cannot read: {error}") from None
