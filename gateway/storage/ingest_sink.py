"""Insert spooled OTLP export requests into a signal's Null-engine ingest table.

Reads: nothing. Writes: ``otlp_<signal>_ingest`` (materialized views fill the otel_* tables);
for embedded ClickHouse also ``<chdb dir>/format_schemas/otlp_ingest.proto``.

ClickHouse decodes the requests itself (format ``Protobuf``), so the gateway never builds rows
in Python and the hot path stays off the GIL. A server gets the schema inline with each INSERT
(``format_schema_source='string'``); embedded chdb would cache that inline schema under the
process's working directory, so it reads the same text from a file in its own directory.
"""

from __future__ import annotations

import os
from typing import Any, Protocol

SCHEMA_FILE_NAME = "otlp_ingest.proto"


class RawInsertClient(Protocol):
    def raw_insert(self, table: str, **kwargs: Any) -> object: ...


def schema_settings(schema: str, message_name: str, embedded_dir: str | None) -> dict[str, Any]:
    """The INSERT settings that tell ClickHouse how to decode the ingest payload."""
    if embedded_dir is None:
        return {
            "format_schema": schema,
            "format_schema_source": "string",
            "format_schema_message_name": message_name,
        }
    directory = os.path.join(embedded_dir, "format_schemas")
    path = os.path.join(directory, SCHEMA_FILE_NAME)
    os.makedirs(directory, exist_ok=True)
    try:
        with open(path, encoding="utf-8") as handle:
            current = handle.read()
    except FileNotFoundError:
        current = None
    if current != schema:
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(schema)
        os.replace(temporary, path)
    return {"format_schema": f"{path}:{message_name}"}


class ClickHouseIngestSink:
    def __init__(self, client: RawInsertClient, table: str, settings: dict[str, Any]) -> None:
        self._client = client
        self._table = table
        # One INSERT may hold requests spread over many days; the writer keeps each batch within
        # 100 daily partitions, ClickHouse's default limit, and this keeps the check explicit.
        self._settings = {
            **settings,
            "max_partitions_per_insert_block": 100,
            # The views reading otel_traces (trace-id lookup, ML signals) are independent: run them
            # side by side so an INSERT can use more than one core.
            "parallel_view_processing": 1,
            # Measured: evaluating both branches of if/multiIf beats the lazy per-row machinery here
            # (acknowledged 78k vs 65-71k spans/s in bench/ingest.py); the views have no branch that
            # can fail when evaluated eagerly (the e2e tests cover every value type).
            "short_circuit_function_evaluation": "disable",
        }

    def insert(self, payload: bytes) -> None:
        self._client.raw_insert(self._table, insert_block=payload, fmt="Protobuf", settings=self._settings)
