"""Insert spooled OTLP export requests into a signal's Null-engine ingest table.

Reads: nothing. Writes: ``otlp_<signal>_ingest`` (materialized views fill the otel_* tables).

ClickHouse decodes the requests itself (format ``Protobuf``, schema passed inline), so the
gateway never builds rows in Python: the hot path stays off the GIL.
"""

from __future__ import annotations

from typing import Protocol


class RawInsertClient(Protocol):
    def raw_insert(self, table: str, **kwargs: object) -> object: ...


class ClickHouseIngestSink:
    def __init__(self, client: RawInsertClient, table: str, message_name: str, schema: str) -> None:
        self._client = client
        self._table = table
        self._settings = {
            "format_schema": schema,
            "format_schema_source": "string",
            "format_schema_message_name": message_name,
            # One INSERT may hold many requests spread over many days; the writer keeps each
            # batch within 100 daily partitions, ClickHouse's default limit, so keep that check.
            "max_partitions_per_insert_block": 100,
        }

    def insert(self, payload: bytes) -> None:
        self._client.raw_insert(self._table, insert_block=payload, fmt="Protobuf", settings=self._settings)
