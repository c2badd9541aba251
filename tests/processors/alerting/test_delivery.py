"""Tests of processors/alerting/delivery.py: the retry decision after one attempt, time passed in."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import format_datetime

import pytest

from processors.alerting.delivery import (
    DELIVERED,
    GIVE_UP,
    RETRY,
    BackoffPolicy,
    Outcome,
    decide,
    retry_after_seconds,
)

T0 = 1_700_000_000.0
POLICY = BackoffPolicy(initial_backoff=1.0, max_backoff=60.0, jitter=0.5, max_age=3600.0)


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_2xx_is_delivered(status: int) -> None:
    assert decide(Outcome(status), 1, T0, T0, POLICY, 0.3).action == DELIVERED


@pytest.mark.parametrize("status", [None, 408, 429, 500, 502, 503, 504])
def test_retryable_statuses_back_off_exponentially(status: int | None) -> None:
    # unit_random 0 means no jitter: 1, 2, 4, 8, ... capped at 60
    delays = [decide(Outcome(status), n, T0, T0, POLICY, 0.0).next_attempt_at for n in range(1, 9)]
    assert [d - T0 for d in delays if d is not None] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert decide(Outcome(status), 1, T0, T0, POLICY, 0.0).action == RETRY


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_other_4xx_are_given_up_at_once(status: int) -> None:
    decision = decide(Outcome(status, message="Could not authenticate"), 1, T0, T0, POLICY, 0.0)
    assert decision.action == GIVE_UP and f"HTTP {status}" in decision.reason
    assert "Could not authenticate" in decision.reason


def test_jitter_stays_within_half_of_the_delay() -> None:
    for unit in (0.0, 0.25, 0.5, 0.999):
        decision = decide(Outcome(503), 4, T0, T0, POLICY, unit)
        assert decision.next_attempt_at is not None
        assert 4.0 <= decision.next_attempt_at - T0 <= 8.0
        assert decision.next_attempt_at - T0 == pytest.approx(8.0 * (1 - 0.5 * unit))


def test_retry_after_wins_when_longer_and_not_when_shorter() -> None:
    longer = decide(Outcome(429, "30"), 1, T0, T0, POLICY, 0.0)
    shorter = decide(Outcome(429, "0"), 5, T0, T0, POLICY, 0.0)
    assert longer.next_attempt_at == T0 + 30 and shorter.next_attempt_at == T0 + 16


def test_retry_after_http_date() -> None:
    when = format_datetime(datetime.fromtimestamp(T0 + 120, tz=timezone.utc), usegmt=True)
    assert retry_after_seconds(when, T0) == pytest.approx(120.0)
    assert retry_after_seconds("  5 ", T0) == 5.0
    assert retry_after_seconds("-3", T0) == 0.0
    assert retry_after_seconds("soon", T0) is None and retry_after_seconds(None, T0) is None


def test_given_up_when_the_next_attempt_passes_max_age() -> None:
    now = T0 + 3590.0
    decision = decide(Outcome(503), 20, T0, now, POLICY, 0.0)  # 60 s more would pass 3600 s
    assert decision.action == GIVE_UP and "max age 3600 s" in decision.reason
    assert decide(Outcome(503), 20, T0, T0 + 3000.0, POLICY, 0.0).action == RETRY


def test_given_up_after_max_attempts() -> None:
    policy = BackoffPolicy(max_attempts=3)
    assert decide(Outcome(None), 2, T0, T0, policy, 0.0).action == RETRY
    decision = decide(Outcome(None, message="ConnectionRefusedError"), 3, T0, T0, policy, 0.0)
    assert decision.action == GIVE_UP and "3 attempts" in decision.reason


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="initial_backoff"):
        BackoffPolicy(initial_backoff=10.0, max_backoff=1.0)
    with pytest.raises(ValueError, match="jitter"):
        BackoffPolicy(jitter=1.5)
