"""Tests of processors/alerting/live/buckets: windows assembled from cached minutes, a head and a tail
count every request exactly as one pass over the whole window does (the oracle: plain counting)."""

from __future__ import annotations

import bisect
import random

import pytest

from processors.alerting.live.buckets import (
    MINUTE,
    minute_totals,
    plan_requests,
    segment_totals,
    window_totals,
)

SECOND = 1_000_000_000
SLACK = 5 * MINUTE


def _query(plan, requests):
    """What ClickHouse returns for the plan: a row per (model, version, segment) of the requests in range."""
    rows: dict[tuple, dict] = {}
    for start, model, failed in requests:
        if not any(lo <= start < hi for lo, hi in plan.ranges):
            continue
        segment = bisect.bisect_right(plan.boundaries, start) - 1
        row = rows.setdefault(
            (model, segment),
            {
                "model": model,
                "version": "1",
                "segment": segment,
                "requests": 0,
                "failures": 0,
                "timeouts": 0,
                "client_errors": 0,
                "server_errors": 0,
                "classes": ([], []),
                "confidence_count": 0,
                "confidence_sum": 0.0,
                "confidence_below": 0,
            },
        )
        row["requests"] += 1
        row["failures"] += failed
        if failed:
            row["classes"] = (["server_503"], [row["classes"][1][0] + 1 if row["classes"][1] else 1])
    return list(rows.values())


def _oracle(requests, start, end):
    counts: dict[str, tuple[int, int]] = {}
    for at, model, failed in requests:
        if start <= at <= end:
            total, failures = counts.get(model, (0, 0))
            counts[model] = (total + 1, failures + failed)
    return counts


def _totals(rows):
    return {row["model"]: (row["requests"], row["failures"]) for row in rows}


@pytest.mark.parametrize("seed", range(6))
def test_cycles_with_a_cache_count_like_one_pass(seed: int) -> None:
    rng = random.Random(seed)
    t0 = 1_700_000_000 * SECOND
    requests = [
        (t0 + rng.randrange(0, 3 * 3600 * SECOND), rng.choice("abc"), rng.random() < 0.1) for _ in range(3000)
    ]
    requests += [(t0 + 3600 * SECOND, "a", True), (t0 + 3660 * SECOND, "b", False)]  # on minute boundaries
    lengths = [5 * MINUTE, 15 * MINUTE, 60 * MINUTE, 90 * SECOND]
    cache: dict[int, dict] = {}
    end = t0 + 3600 * SECOND + rng.randrange(0, 60 * SECOND)
    for _ in range(8):
        starts = [end - length for length in lengths]
        plan = plan_requests(end, starts, cache, SLACK)
        segments = segment_totals(_query(plan, requests))
        cache.update(minute_totals(plan, segments))
        windows = window_totals(plan, segments, cache)
        for start in starts:
            assert _totals(windows[start]) == _oracle(requests, start, end)
        end += rng.choice([SECOND, 45 * SECOND, MINUTE, 61 * SECOND, 7 * MINUTE])


def test_a_warm_cycle_reads_only_the_tail_heads_and_new_minutes() -> None:
    end = 1_700_000_000 * SECOND // MINUTE * MINUTE + 30 * SECOND
    starts = [end - 60 * MINUTE, end - 5 * MINUTE]
    cold = plan_requests(end, starts, {}, SLACK)
    assert len(cold.fill) == 54  # the minutes between the hour's head and F = floor(end - 5m)
    warm = plan_requests(end + MINUTE, [s + MINUTE for s in starts], set(cold.fill), SLACK)
    assert warm.fill == (cold.final_before,)  # one new final minute
    read = sum(hi - lo for lo, hi in warm.ranges)
    assert read <= 8 * MINUTE  # head (30 s), the new minute, the 5m slack and the partial minute


def test_without_a_cache_each_window_is_read_whole() -> None:
    end = 1_700_000_000 * SECOND
    plan = plan_requests(end, [end - 7 * 86400 * SECOND], None, SLACK)
    assert plan.ranges == ((end - 7 * 86400 * SECOND, end + 1),) and plan.fill == ()
    assert plan.boundaries == (end - 7 * 86400 * SECOND, end + 1)
