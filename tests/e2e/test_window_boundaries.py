"""Window boundaries in ClickHouse: a row at exactly a window's end belongs to the next window only.

The drift (event time), quality (receive time) and performance (prediction time) windows are half-open
``[start, end)``; adjacent windows must count every row once, whatever the session time zone.
"""

from __future__ import annotations

from datetime import datetime, timezone

from processors.drift.window_queries import query_text
from processors.performance import query
from processors.quality.queries import WINDOW_RECORDS
from tests.e2e.conftest import GatewayFactory

HOUR = 3_600_000_000_000
END = 1_760_000_400 * 1_000_000_000 // HOUR * HOUR  # on the hour
START, NEXT_END = END - HOUR, END + HOUR
# Rows at the first instant of the window, its last nanosecond / millisecond, its end and the next end.
EVENT_TIMES = (START, END - 1, END, NEXT_END)
RECEIVED_MS = (START // 10**6, END // 10**6 - 1, END // 10**6, NEXT_END // 10**6)


def _utc(unix_nano: int) -> datetime:
    return datetime.fromtimestamp(unix_nano // 1000 / 1e6, tz=timezone.utc)


def _insert_events(gateways: GatewayFactory) -> object:
    gateway = gateways.start(run_tasks=False)
    client = gateway.open_client()
    rows = [
        [event_ns, f"t{index}", f"r{index}", "m", "v1", {"x": 1.0}, "yes", 0.9, _utc(received_ms * 10**6)]
        for index, (event_ns, received_ms) in enumerate(zip(EVENT_TIMES, RECEIVED_MS, strict=True))
    ]
    columns = [
        "Timestamp",
        "TraceId",
        "RequestId",
        "ModelName",
        "ModelVersion",
        "NumericFeatures",
        "PredictionClass",
        "Confidence",
        "ReceivedAt",
    ]
    client.insert("ml_features", rows, column_names=columns)
    return client


def test_each_row_falls_in_exactly_one_of_two_adjacent_windows(gateways: GatewayFactory) -> None:
    client = _insert_events(gateways)
    # A session time zone off UTC by a half hour must not move any boundary.
    zone = {"session_timezone": "Asia/Kolkata"}
    assert client.query("SELECT timezone()", settings=zone).result_rows[0][0] == "Asia/Kolkata"

    def drift_rows(start: int, end: int) -> int:
        parameters = {"model": "m", "version": "", "start": start, "end": end}
        return client.query(query_text("window_rows"), parameters=parameters, settings=zone).result_rows[0][0]

    assert drift_rows(START, END) == 2  # START and END - 1 ns
    assert drift_rows(END, NEXT_END) == 1  # END; NEXT_END is the next window's

    def quality_keys(start: int, end: int) -> list[str]:
        parameters = {"model": "m", "fields": ["x"], "start_ms": start // 10**6, "end_ms": end // 10**6}
        result = client.query(WINDOW_RECORDS, parameters={**parameters, "limit": 100}, settings=zone)
        return sorted(row[2] for row in result.result_rows)

    assert quality_keys(START, END) == ["t0", "t1"]  # received at START and END - 1 ms
    assert quality_keys(END, NEXT_END) == ["t2"]

    def confidence_buckets(start: int, end: int) -> dict[int, int]:
        parameters = {"start": start, "end": end, "length": HOUR, "model": "m", "version": ""}
        rows = client.query(query("confidence_sums"), parameters=parameters, settings=zone).result_rows
        return {int(row[2]): int(row[3]) for row in rows}

    # Buckets are window indexes (ns // length): the window [START, END) is bucket START // HOUR.
    assert confidence_buckets(START, NEXT_END) == {START // HOUR: 2, END // HOUR: 1}
    assert confidence_buckets(END, NEXT_END) == {END // HOUR: 1}
