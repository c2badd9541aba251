"""The ReceivedAt migration on a database that already holds ml_features rows (an upgrade).

Rows written before the column existed must not read as "received now" (ClickHouse computes a missing
column's DEFAULT at read time), or they would land in every quality window; they read the epoch, which
no window contains, while new rows get their insert time.
"""

from __future__ import annotations

import time

import processors.ml.tables as ml_tables
import processors.otlp_tables as otlp_tables
import processors.quality as quality
from gateway.storage.client import open_client
from gateway.storage.ddl import Target
from gateway.storage.migrations import apply_migrations

INSERT = "INSERT INTO ml_features (Timestamp, TraceId, ModelName) VALUES (now64(9), '{trace}', 'm')"


def test_rows_older_than_the_column_read_the_epoch_and_new_rows_their_insert_time(gateways):
    client = open_client(f"chdb://{gateways.chdb_dir}", gateways.database)
    try:
        target = Target(gateways.database)
        macros = ml_tables.all_macros()
        apply_migrations(client, [*otlp_tables.migrations(), *ml_tables.migrations()], target, macros)
        client.command(INSERT.format(trace="old"))
        applied = apply_migrations(client, quality.migrations(), target, macros)
        assert len(applied) == 4
        before = time.time_ns() // 10**6
        client.command(INSERT.format(trace="new"))
        after = time.time_ns() // 10**6
        read = "SELECT TraceId, toUnixTimestamp64Milli(ReceivedAt) FROM ml_features ORDER BY TraceId"
        first = dict(client.query(read).result_rows)
        time.sleep(0.05)  # a DEFAULT computed at read time would move between the two reads
        second = dict(client.query(read).result_rows)
        assert first == second
        assert first["old"] == 0
        assert before - 5 <= first["new"] <= after + 5
        assert apply_migrations(client, quality.migrations(), target, macros) == []
    finally:
        client.close()
