"""Tests of processors/alerting/silences.py: operators, anchored regexes, time window, expiry, parsing."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from processors.alerting.silences import (
    Matcher,
    Silence,
    expire,
    expired,
    is_active,
    new_silence,
    parse_matchers,
    silenced,
)

T0 = 1_800_000_000.0
LABELS = {"model": "fraud", "severity": "P2", "feature": "age"}


def silence(*matchers: Matcher, starts_at: float = T0, ends_at: float = T0 + 3600, id: str = "s1") -> Silence:
    return Silence(id, matchers, starts_at, ends_at, "alice", "deploy")


@pytest.mark.parametrize(
    ("matcher", "matches"),
    [
        (Matcher("model", "=", "fraud"), True),
        (Matcher("model", "=", "churn"), False),
        (Matcher("model", "!=", "churn"), True),
        (Matcher("model", "!=", "fraud"), False),
        (Matcher("severity", "=~", "P2|P3"), True),
        (Matcher("severity", "=~", "P0|P1"), False),
        (Matcher("severity", "!~", "P0|P1"), True),
        (Matcher("severity", "!~", "P2|P3"), False),
        # missing labels match as ""
        (Matcher("team", "=", ""), True),
        (Matcher("team", "!=", "ml"), True),
        (Matcher("team", "=~", "ml|"), True),
        (Matcher("team", "!~", ".+"), True),
        (Matcher("team", "=~", ".+"), False),
    ],
)
def test_operators(matcher: Matcher, matches: bool) -> None:
    assert matcher.matches(LABELS) is matches


@pytest.mark.parametrize(("pattern", "matches"), [("P", False), ("2", False), ("P2", True), ("P.*", True)])
def test_regex_fully_anchored(pattern: str, matches: bool) -> None:
    assert Matcher("severity", "=~", pattern).matches(LABELS) is matches
    assert Matcher("severity", "!~", pattern).matches(LABELS) is not matches
    assert Matcher("severity", "=~", "P2").matches({"severity": "P20"}) is False


def test_silenced_needs_every_matcher() -> None:
    both = silence(Matcher("model", "=", "fraud"), Matcher("severity", "=~", "P2|P3"))
    one_fails = silence(Matcher("model", "=", "fraud"), Matcher("severity", "=", "P0"), id="s2")
    assert silenced(LABELS, [both, one_fails], T0) == ("s1",)


def test_silenced_returns_every_active_match_in_order() -> None:
    silences = [
        silence(Matcher("feature", "=", "age"), id="b"),
        silence(Matcher("model", "=", "churn"), id="x"),
        silence(Matcher("model", "=", "fraud"), id="a"),
    ]
    assert silenced(LABELS, silences, T0) == ("b", "a")
    assert silenced(LABELS, [], T0) == ()


def test_time_boundaries() -> None:
    s = silence(Matcher("model", "=", "fraud"))
    assert not is_active(s, T0 - 0.001)
    assert is_active(s, T0)  # starts_at inclusive
    assert is_active(s, T0 + 3599.999)
    assert not is_active(s, T0 + 3600)  # ends_at exclusive
    assert silenced(LABELS, [s], T0 - 1) == ()
    assert silenced(LABELS, [s], T0) == ("s1",)
    assert silenced(LABELS, [s], T0 + 3600) == ()


def test_expired() -> None:
    s = silence(Matcher("model", "=", "fraud"))
    assert not expired(s, T0 - 10)  # pending, not expired
    assert not expired(s, T0 + 3599)
    assert expired(s, T0 + 3600)


def test_datetimes_accepted() -> None:
    start = datetime.fromtimestamp(T0, tz=timezone.utc)
    s = Silence("s1", (Matcher("model", "=", "fraud"),), start, start + timedelta(hours=1), "alice", "")
    assert s.starts_at == T0 and s.ends_at == T0 + 3600
    assert is_active(s, start)
    with pytest.raises(ValueError, match="naive"):
        is_active(s, datetime(2027, 1, 1))


def test_expire_active_ends_now() -> None:
    s = silence(Matcher("model", "=", "fraud"))
    done = expire(s, T0 + 60)
    assert (done.starts_at, done.ends_at) == (T0, T0 + 60)
    assert expired(done, T0 + 60) and not is_active(done, T0 + 60)
    assert silenced(LABELS, [done], T0 + 60) == ()
    assert s.ends_at == T0 + 3600  # the original is unchanged


def test_expire_pending_never_mutes() -> None:
    done = expire(silence(Matcher("model", "=", "fraud")), T0 - 60)
    assert (done.starts_at, done.ends_at) == (T0 - 60, T0 - 60)
    assert not any(is_active(done, t) for t in (T0 - 60, T0, T0 + 10))


def test_expire_is_idempotent() -> None:
    s = silence(Matcher("model", "=", "fraud"))
    assert expire(s, T0 + 7200) is s
    once = expire(s, T0 + 60)
    assert expire(once, T0 + 120) == once


def test_new_silence() -> None:
    s = new_silence("model=fraud,severity=~P2|P3", T0, timedelta(hours=2), "bob", "retraining", "id-1")
    assert s == Silence(
        "id-1",
        (Matcher("model", "=", "fraud"), Matcher("severity", "=~", "P2|P3")),
        T0,
        T0 + 7200,
        "bob",
        "retraining",
    )
    assert new_silence(s.matchers, T0, 7200, "bob", "retraining", "id-1") == s


@pytest.mark.parametrize("duration", [0, -1, float("nan"), float("inf"), timedelta(0)])
def test_new_silence_rejects_bad_duration(duration: float) -> None:
    with pytest.raises(ValueError, match="duration"):
        new_silence("model=fraud", T0, duration, "bob", "", "id-1")


def test_round_trip_through_json() -> None:
    s = silence(Matcher("model", "=", "fraud"), Matcher("severity", "!~", "P0|P1"))
    restored = Silence.from_dict(json.loads(json.dumps(s.to_dict())))
    assert restored == s
    assert restored.matchers[1].matches(LABELS)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"id": "s"}, "missing keys matchers, starts_at, ends_at, created_by"),
        (
            {"id": "s", "matchers": [{"label": "m"}], "starts_at": 0, "ends_at": 1, "created_by": "a"},
            "each needs label, op and value",
        ),
    ],
)
def test_from_dict_errors(data: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Silence.from_dict(data)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"matchers": ()}, "at least one matcher"),
        ({"matchers": (Matcher("team", "=~", ".*"), Matcher("x", "!=", "y"))}, "would silence every alert"),
        ({"ends_at": T0 - 1}, "before starts_at"),
        ({"id": ""}, "id"),
        ({"created_by": ""}, "created_by"),
    ],
)
def test_invalid_silence(kwargs: dict, message: str) -> None:
    fields = {
        "id": "s1",
        "matchers": (Matcher("model", "=", "fraud"),),
        "starts_at": T0,
        "ends_at": T0 + 1,
        "created_by": "alice",
        "comment": "",
    }
    with pytest.raises(ValueError, match=message):
        Silence(**{**fields, **kwargs})


def test_parse_matchers() -> None:
    assert parse_matchers("model=fraud,severity=~P2|P3") == (
        Matcher("model", "=", "fraud"),
        Matcher("severity", "=~", "P2|P3"),
    )
    assert parse_matchers(" model != fraud , team!~ml.* ") == (
        Matcher("model", "!=", "fraud"),
        Matcher("team", "!~", "ml.*"),
    )
    assert parse_matchers('feature="a,b",note="say \\"hi\\""') == (
        Matcher("feature", "=", "a,b"),
        Matcher("note", "=", 'say "hi"'),
    )
    assert parse_matchers("ml.model.name=") == (Matcher("ml.model.name", "=", ""),)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "matcher 1: empty"),
        ("model=fraud,", "matcher 2: empty"),
        ("model=fraud,,team=ml", "matcher 2: empty"),
        ("model", "matcher 1 'model': expected one of =, !=, =~, !~ after label 'model'"),
        ("model=fraud,severity~P2", "matcher 2 'severity~P2': expected one of"),
        ("=fraud", "matcher 1 '=fraud': missing label name"),
        ("9model=fraud", "invalid label name '9model'"),
        ("severity=~(P2", "matcher 1 'severity=~\\(P2': value: invalid regex"),
        ('feature="a,b', "matcher 1 .*unterminated or malformed quoted value"),
        ('feature="a"b', "malformed quoted value"),
    ],
)
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_matchers(text)


@pytest.mark.parametrize(("label", "op"), [("bad label", "="), ("model", "~="), ("model", "==")])
def test_invalid_matcher(label: str, op: str) -> None:
    with pytest.raises(ValueError):
        Matcher(label, op, "x")
