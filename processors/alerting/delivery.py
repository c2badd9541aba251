"""What to do after one delivery attempt of a queued notification: done, retry when, or give up.

Reads: the attempt's outcome (HTTP status or none, ``Retry-After``), the entry's age and attempts, the
policy. Writes: nothing (pure; time and randomness are parameters). Config keys:
``notifications.delivery.{initial_backoff, max_backoff, max_age, max_attempts}``.

Retryable: no reply (network error, timeout), 408, 429 and 5xx. Permanent: any other 4xx (the same
request cannot succeed later; it is given up at once). The delay before retry n (1-based) is
``min(max_backoff, initial_backoff * 2**(n-1))`` jittered into ``[(1 - jitter) * d, d]``, and never
shorter than the server's ``Retry-After`` (seconds or an HTTP date). An entry is given up when the
next attempt would start after ``max_age`` from its creation, or after ``max_attempts`` (0: no limit).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

DELIVERED = "delivered"
RETRY = "retry"
GIVE_UP = "give_up"


@dataclass(frozen=True)
class BackoffPolicy:
    initial_backoff: float = 1.0  # seconds
    max_backoff: float = 300.0
    multiplier: float = 2.0
    jitter: float = 0.5  # share of the delay that is random
    max_age: float = 24 * 3600.0  # seconds from enqueue after which an entry is given up
    max_attempts: int = 0  # 0: bounded by max_age only

    def __post_init__(self) -> None:
        if self.initial_backoff <= 0 or self.max_backoff < self.initial_backoff:
            raise ValueError(
                "backoff: need 0 < initial_backoff <= max_backoff, "
                f"got {self.initial_backoff}, {self.max_backoff}"
            )
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError(f"backoff: jitter must be in [0, 1], got {self.jitter}")
        if self.max_age <= 0 or self.max_attempts < 0 or self.multiplier < 1:
            raise ValueError("backoff: max_age must be > 0, max_attempts >= 0, multiplier >= 1")

    def delay(self, attempts: int, unit_random: float) -> float:
        """The jittered delay after ``attempts`` failed attempts (``attempts >= 1``)."""
        exponent = min(attempts - 1, 64)  # keeps the power finite; max_backoff caps it anyway
        ceiling = min(self.max_backoff, self.initial_backoff * self.multiplier**exponent)
        return ceiling * (1.0 - self.jitter * unit_random)


@dataclass(frozen=True)
class Outcome:
    """One attempt: ``status`` None when no reply came; ``retry_after`` the raw header, if any."""

    status: int | None
    retry_after: str | None = None
    message: str = ""


@dataclass(frozen=True)
class Decision:
    action: str  # delivered | retry | give_up
    next_attempt_at: float | None = None  # epoch seconds, for retry
    reason: str = ""


def is_success(status: int | None) -> bool:
    return status is not None and 200 <= status < 300


def is_retryable(status: int | None) -> bool:
    return status is None or status in (408, 429) or status >= 500


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """``Retry-After`` as seconds from ``now``: delta-seconds or an HTTP date; None if absent or bad."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(text).timestamp() - now
        except (TypeError, ValueError, IndexError):
            return None
    return max(0.0, seconds) if math.isfinite(seconds) else None


def decide(
    outcome: Outcome,
    attempts: int,
    created_at: float,
    now: float,
    policy: BackoffPolicy,
    unit_random: float,
) -> Decision:
    """After attempt ``attempts`` (1-based, this one included) of an entry enqueued at ``created_at``."""
    if is_success(outcome.status):
        return Decision(DELIVERED)
    where = f"HTTP {outcome.status}" if outcome.status is not None else "no reply"
    detail = f"{where}: {outcome.message}" if outcome.message else where
    if not is_retryable(outcome.status):
        return Decision(GIVE_UP, reason=f"rejected ({detail})")
    if policy.max_attempts and attempts >= policy.max_attempts:
        return Decision(GIVE_UP, reason=f"{attempts} attempts failed, the last with {detail}")
    delay = policy.delay(attempts, unit_random)
    server_wait = retry_after_seconds(outcome.retry_after, now)
    if server_wait is not None:
        delay = max(delay, server_wait)
    next_attempt = now + delay
    if next_attempt - created_at > policy.max_age:
        return Decision(
            GIVE_UP,
            reason=f"undelivered after {now - created_at:.0f} s (max age {policy.max_age:.0f} s): {detail}",
        )
    return Decision(RETRY, next_attempt, reason=detail)
