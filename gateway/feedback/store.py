"""Labels in ClickHouse: store a validated batch, count unmatched labels, delete expired ones.

Reads/writes: the ``ml_labels`` table and the views of ``processors/feedback/sql/0001_labels.sql``
through a clickhouse-connect client. Config keys: none (callers pass the retention).

``store`` inserts synchronously: it returns only when ClickHouse has stored the rows, so a caller
that acknowledges after it never acknowledges a label that is not stored. ``ReceivedAt`` is left to
the column default (the ClickHouse server's clock), the same clock the OTLP materialized view uses, so
"the latest label wins" compares times of one clock whichever way the labels came in.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from clickhouse_connect.driver.exceptions import Error as ClickHouseError

from gateway.storage.client import StorageUnavailable
from gateway.storage.ddl import quote_identifier
from gateway.storage.series import write_points
from processors.feedback.labels import Label
from processors.feedback.status import ModelLabels, counts_query
from processors.ml.series import SignalPoint

COLUMNS = ("RequestId", "ModelName", "LabelClass", "LabelValue", "EventTime", "Source")
SOURCES = ("grpc", "api", "file", "otlp")


def _datetime(unix_nano: int) -> datetime:
    return datetime.fromtimestamp(unix_nano // 1_000_000 / 1000, tz=timezone.utc)


class LabelStore:
    """One client shared by the gRPC workers and API handlers, one statement at a time."""

    def __init__(self, client: Any, cluster: str = "", database: str = "default") -> None:
        self._client = client
        self._cluster = cluster
        self._database = database
        self._lock = threading.Lock()

    def store(self, labels: Sequence[Label], source: str) -> int:
        """Insert ``labels`` (one per key, see ``validate_batch``); returns how many rows."""
        if source not in SOURCES:
            raise ValueError(f"label source must be one of {', '.join(SOURCES)}, got {source!r}")
        rows = [
            [
                label.request_id,
                label.model,
                label.label_class,
                label.label_value,
                _datetime(label.event_time_unix_nano),
                source,
            ]
            for label in labels
        ]
        if rows:
            with self._lock:
                try:
                    self._client.insert("ml_labels", rows, column_names=list(COLUMNS))
                except ClickHouseError as error:  # retryable for the sender: nothing was acknowledged
                    raise StorageUnavailable(f"labels not stored: {error}") from error
        return len(rows)

    def counts(self, model: str | None = None) -> list[ModelLabels]:
        """Labels and unmatched labels per model (or of ``model``), by model name."""
        sql, parameters = counts_query(model)
        with self._lock:
            rows = self._client.query(sql, parameters=parameters).named_results()
            return [ModelLabels.from_row(row) for row in rows]

    def write_signal(self, points: Sequence[SignalPoint], evaluated_at_unix_nano: int) -> int:
        with self._lock:
            return write_points(self._client, "ml_performance", points, evaluated_at_unix_nano)

    def delete_unmatched(self, received_before_unix_nano: int) -> int:
        """Delete labels received before the cut-off whose (model, request id) has no prediction;
        returns how many (model, request id) keys lost their label."""
        cutoff = {"cutoff": received_before_unix_nano}
        expired = "LabelReceivedAt < fromUnixTimestamp64Nano({cutoff:Int64})"
        table, requests, on_cluster = "ml_labels", "ml_requests", ""
        if self._cluster:
            # The data lives in the local tables; the DELETE runs on every shard, in the session of the
            # DDL worker there (its default database), so the names carry the gateway's database.
            database = quote_identifier(self._database)
            table, requests = f"{database}.ml_labels_local", f"{database}.ml_requests"
            on_cluster = f"ON CLUSTER {quote_identifier(self._cluster)}"
        with self._lock:
            count = self._client.query(
                f"SELECT count() FROM ml_unmatched_labels WHERE {expired}", parameters=cutoff
            ).result_rows[0][0]
            if count:
                self._client.command(
                    f"""
DELETE FROM {table} {on_cluster}
WHERE ReceivedAt < fromUnixTimestamp64Nano({{cutoff:Int64}})
  AND (ModelName, RequestId) NOT IN (
      SELECT assumeNotNull(ModelName), assumeNotNull(RequestId) FROM {requests}
      WHERE ModelName IS NOT NULL AND RequestId IS NOT NULL)""",
                    parameters=cutoff,
                )
        return int(count)
