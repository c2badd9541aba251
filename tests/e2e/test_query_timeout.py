"""clickhouse.query_timeout bounds statements on embedded ClickHouse too (no socket timeout there)."""

from __future__ import annotations

import time

import pytest
from clickhouse_connect.driver.exceptions import DatabaseError

SLOW = "SELECT count() FROM numbers(50000000000) WHERE sipHash64(number) % 7 = 3"  # minutes of work


def test_a_subsystem_query_stops_at_the_query_timeout(gateways) -> None:
    gateway = gateways.start("clickhouse.query_timeout=1s", run_tasks=False)
    client = gateway.open_client()
    began = time.monotonic()
    with pytest.raises(DatabaseError, match="TIMEOUT_EXCEEDED"):
        client.query(SLOW)
    assert time.monotonic() - began < 10
    assert client.query("SELECT 1").result_rows == [(1,)]  # the client is still usable
