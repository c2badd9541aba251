"""Tests of processors/alerting/state: the alert state machine, stepped on a fake clock (no sleeping)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from processors.alerting.expr import Result
from processors.alerting.labels import Labels
from processors.alerting.state import (
    AlertInstance,
    AlertState,
    RuleState,
    StatePolicy,
    Transition,
    evaluate,
    mark_sent,
    needs_resend,
)

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
M1 = Labels({"model": "m1"})
M2 = Labels({"model": "m2"})
INACTIVE, PENDING, FIRING, RESOLVED = (
    AlertState.INACTIVE,
    AlertState.PENDING,
    AlertState.FIRING,
    AlertState.RESOLVED,
)


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def true(labels: Labels = M1, value: float = 0.07, samples: int | None = None) -> Result:
    return Result(labels, value, samples)


class Clock:
    """Runs one rule's evaluations on a fake clock and keeps the state and every transition."""

    def __init__(self, policy: StatePolicy, state: RuleState | None = None) -> None:
        self.policy = policy
        self.state = state or RuleState("HighErrorRate")
        self.transitions: list[Transition] = []

    def eval(self, at: datetime, results: list[Result], resolve: list[Result] | None = None) -> AlertState:
        self.state, transitions = evaluate(self.state, results, at, self.policy, resolve)
        self.transitions.extend(transitions)
        instance = self.state.get(M1)
        return INACTIVE if instance is None else instance.state


def test_pending_then_firing_after_for() -> None:
    clock = Clock(StatePolicy(hold_for=timedelta(minutes=5)))
    assert clock.eval(minutes(0), [true()]) is PENDING
    for minute in range(1, 5):
        assert clock.eval(minutes(minute), [true()]) is PENDING
    assert clock.eval(minutes(4) + timedelta(seconds=59), [true()]) is PENDING
    assert clock.eval(minutes(5), [true(value=0.08)]) is FIRING
    assert clock.transitions == [
        Transition(M1, INACTIVE, PENDING, minutes(0).timestamp(), 0.07),
        Transition(M1, PENDING, FIRING, minutes(5).timestamp(), 0.08),
    ]
    instance = clock.state.get({"model": "m1"})
    assert instance is not None
    assert (instance.active_at, instance.fired_at, instance.value) == (
        minutes(0).timestamp(),
        minutes(5).timestamp(),
        0.08,
    )


def test_for_zero_fires_on_first_evaluation() -> None:
    clock = Clock(StatePolicy())
    assert clock.eval(minutes(0), [true()]) is FIRING
    assert [(t.from_state, t.to_state) for t in clock.transitions] == [(INACTIVE, FIRING)]


def test_flapping_resets_pending() -> None:
    clock = Clock(StatePolicy(hold_for=300))
    clock.eval(minutes(0), [true()])
    clock.eval(minutes(3), [true()])
    assert clock.eval(minutes(4), []) is INACTIVE
    assert clock.eval(minutes(5), [true()]) is PENDING
    assert clock.eval(minutes(9), [true()]) is PENDING  # counting restarted at minute 5
    assert clock.eval(minutes(10), [true()]) is FIRING
    assert [(t.from_state, t.to_state) for t in clock.transitions] == [
        (INACTIVE, PENDING),
        (PENDING, INACTIVE),
        (INACTIVE, PENDING),
        (PENDING, FIRING),
    ]


def test_firing_resolves_when_condition_stops_and_retention_forgets() -> None:
    clock = Clock(StatePolicy(resolved_retention=timedelta(minutes=15)))
    clock.eval(minutes(0), [true()])
    assert clock.eval(minutes(1), [Result(M1, 0.01, holds=False)]) is RESOLVED
    for minute in range(2, 17):
        assert clock.eval(minutes(minute), []) is RESOLVED
    assert clock.eval(minutes(16) + timedelta(seconds=1), []) is INACTIVE  # more than 15m after resolution
    assert clock.state.instances == ()
    assert [(t.from_state, t.to_state) for t in clock.transitions] == [(INACTIVE, FIRING), (FIRING, RESOLVED)]


def test_resolved_alert_that_returns_starts_pending_again() -> None:
    clock = Clock(StatePolicy(hold_for=120))
    for minute in range(3):
        clock.eval(minutes(minute), [true()])
    assert clock.eval(minutes(3), []) is RESOLVED
    assert clock.eval(minutes(4), [true()]) is PENDING
    assert clock.transitions[-1] == Transition(M1, RESOLVED, PENDING, minutes(4).timestamp(), 0.07)
    assert clock.state.get(M1).active_at == minutes(4).timestamp()  # type: ignore[union-attr]


def test_keep_firing_for() -> None:
    clock = Clock(StatePolicy(keep_firing_for=timedelta(minutes=3)))
    clock.eval(minutes(0), [true()])
    assert clock.eval(minutes(1), []) is FIRING  # keep firing since minute 1
    assert clock.eval(minutes(3), []) is FIRING
    assert clock.eval(minutes(3) + timedelta(seconds=59), []) is FIRING
    assert clock.eval(minutes(4), []) is RESOLVED
    # The condition returning inside keep_firing_for restarts the count.
    clock = Clock(StatePolicy(keep_firing_for=180))
    clock.eval(minutes(0), [true()])
    clock.eval(minutes(1), [])
    clock.eval(minutes(2), [true()])
    assert clock.state.get(M1).keep_firing_since is None  # type: ignore[union-attr]
    assert clock.eval(minutes(3), []) is FIRING
    assert clock.eval(minutes(5), []) is FIRING
    assert clock.eval(minutes(6), []) is RESOLVED


def test_hysteresis_resolve_condition() -> None:
    # fire at error_rate > 0.05; stay firing while error_rate > 0.03 (resolve below 0.03)
    clock = Clock(StatePolicy())
    assert clock.eval(minutes(0), [true(value=0.06)], resolve=[true(value=0.06)]) is FIRING
    assert clock.eval(minutes(1), [], resolve=[true(value=0.04)]) is FIRING
    assert clock.eval(minutes(2), [], resolve=[true(value=0.031)]) is FIRING
    assert clock.eval(minutes(3), [], resolve=[]) is RESOLVED
    # Hysteresis does not hold a pending alert.
    clock = Clock(StatePolicy(hold_for=300))
    clock.eval(minutes(0), [true()], resolve=[true()])
    assert clock.eval(minutes(1), [], resolve=[true()]) is INACTIVE


def test_hysteresis_then_keep_firing_for() -> None:
    clock = Clock(StatePolicy(keep_firing_for=120))
    clock.eval(minutes(0), [true()], resolve=[true()])
    assert clock.eval(minutes(5), [], resolve=[true()]) is FIRING
    assert clock.eval(minutes(6), [], resolve=[]) is FIRING  # keep_firing_for counts from here
    assert clock.eval(minutes(8), [], resolve=[]) is RESOLVED


def test_min_samples_holds_state() -> None:
    clock = Clock(StatePolicy(hold_for=120, min_samples=50))
    assert clock.eval(minutes(0), [true(samples=10)]) is INACTIVE  # too few samples: does not start
    assert clock.eval(minutes(1), [true(samples=100)]) is PENDING
    assert clock.eval(minutes(3), [true(samples=10)]) is PENDING  # would fire, but too few samples
    assert clock.eval(minutes(4), [Result(M1, 0.0, 5, holds=False)]) is PENDING  # nor falls back
    assert clock.eval(minutes(5), [true(samples=60)]) is FIRING  # for counted from minute 1
    assert clock.eval(minutes(6), [Result(M1, 0.0, 5, holds=False)]) is FIRING  # too few to resolve
    assert clock.eval(minutes(7), [true(samples=None)]) is FIRING  # unknown counts are not held
    assert clock.eval(minutes(8), [Result(M1, 0.0, 500, holds=False)]) is RESOLVED


def test_min_samples_applies_to_resolve_condition() -> None:
    clock = Clock(StatePolicy(min_samples=50))
    clock.eval(minutes(0), [true(samples=100)], resolve=[true(samples=100)])
    assert clock.eval(minutes(1), [], resolve=[Result(M1, 0.0, 3, holds=False)]) is FIRING
    assert clock.eval(minutes(2), [], resolve=[]) is RESOLVED


def test_label_sets_are_independent_instances() -> None:
    state, transitions = evaluate(
        RuleState("r"), [true(M1), true(M2, 0.5)], minutes(0), StatePolicy(hold_for=60)
    )
    assert [(dict(i.labels), i.state) for i in state.instances] == [(M1, PENDING), (M2, PENDING)]
    state, transitions = evaluate(state, [true(M2, 0.6)], minutes(1), StatePolicy(hold_for=60))
    assert [(dict(i.labels), i.state) for i in state.instances] == [(M2, FIRING)]
    assert [(t.labels, t.from_state, t.to_state, t.value) for t in transitions] == [
        (M1, PENDING, INACTIVE, 0.07),
        (M2, PENDING, FIRING, 0.6),
    ]


def test_restore_across_restart_continues_for() -> None:
    policy = StatePolicy(hold_for=timedelta(days=3))
    clock = Clock(policy)
    clock.eval(minutes(0), [true()])
    two_days = T0 + timedelta(days=2)
    assert clock.eval(two_days, [true()]) is PENDING
    saved = json.dumps(clock.state.to_dict())  # persisted; the process restarts
    restored = Clock(policy, RuleState.from_dict(json.loads(saved)))
    assert restored.state == clock.state
    assert restored.eval(T0 + timedelta(days=2, minutes=1), [true()]) is PENDING
    assert restored.eval(T0 + timedelta(days=3) - timedelta(seconds=1), [true()]) is PENDING
    assert restored.eval(T0 + timedelta(days=3), [true()]) is FIRING
    assert restored.transitions == [
        Transition(M1, PENDING, FIRING, (T0 + timedelta(days=3)).timestamp(), 0.07),
    ]


def test_serialisation_round_trip_of_every_field() -> None:
    instance = AlertInstance(
        Labels({"model": "m1", "feature": "age"}),
        FIRING,
        active_at=1.0,
        value=float("inf"),
        fired_at=2.0,
        resolved_at=None,
        keep_firing_since=3.0,
        last_sent_at=4.0,
    )
    state = RuleState("r", (instance,))
    data = json.loads(json.dumps(state.to_dict(), allow_nan=False))
    assert RuleState.from_dict(data) == state


def test_needs_resend_and_mark_sent() -> None:
    clock = Clock(StatePolicy())
    clock.eval(minutes(0), [true()])
    firing = clock.state.get(M1)
    assert firing is not None
    assert needs_resend(firing, minutes(0), timedelta(hours=4))  # never sent
    state = mark_sent(clock.state, M1, minutes(0))
    sent = state.get(M1)
    assert sent is not None
    assert not needs_resend(sent, minutes(239), timedelta(hours=4))
    assert needs_resend(sent, minutes(240), 4 * 3600)
    clock.state = state
    clock.eval(minutes(10), [])
    resolved = clock.state.get(M1)
    assert resolved is not None
    assert resolved.state is RESOLVED
    assert needs_resend(resolved, minutes(10), timedelta(hours=4))  # the resolution is owed
    clock.state = mark_sent(clock.state, M1, minutes(10))
    assert not needs_resend(clock.state.get(M1), minutes(11), 60)  # type: ignore[arg-type]


def test_pending_is_never_sent() -> None:
    clock = Clock(StatePolicy(hold_for=60))
    clock.eval(minutes(0), [true()])
    assert not needs_resend(clock.state.get(M1), minutes(0), 0)  # type: ignore[arg-type]


def test_floats_and_datetimes_are_the_same_clock() -> None:
    policy = StatePolicy(hold_for=60)
    a, _ = evaluate(RuleState("r"), [true()], minutes(0).timestamp(), policy)
    b, _ = evaluate(RuleState("r"), [true()], minutes(0), policy)
    assert a == b


def test_naive_datetime_and_bad_policy_are_refused() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        evaluate(RuleState("r"), [true()], datetime(2026, 1, 1), StatePolicy())
    with pytest.raises(ValueError, match="hold_for"):
        StatePolicy(hold_for=-1)
    with pytest.raises(ValueError, match="min_samples"):
        StatePolicy(min_samples=-1)


def test_results_are_frozen() -> None:
    state, _ = evaluate(RuleState("r"), [true()], minutes(0), StatePolicy())
    with pytest.raises(AttributeError):
        state.rule = "other"  # type: ignore[misc]
