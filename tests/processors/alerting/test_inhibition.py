"""Tests of processors/alerting/inhibition.py: default rules, equal labels, self- and mutual inhibition."""

from __future__ import annotations

import pytest

from processors.alerting.inhibition import DEFAULT_INHIBIT_RULES, FiringAlert, InhibitRule, inhibited
from processors.alerting.labels import Labels


def alert(key: str, severity: str, **labels: str) -> FiringAlert:
    return FiringAlert(key, severity, Labels(labels))


@pytest.mark.parametrize(
    ("first", "second", "muted"),
    [
        ("P0", "P1", set()),
        ("P0", "P2", {"second"}),
        ("P0", "P3", {"second"}),
        ("P1", "P2", set()),
        ("P1", "P3", {"second"}),
        ("P2", "P3", set()),
        ("P3", "P0", {"first"}),
        ("P0", "P0", set()),
        ("P3", "P3", set()),
    ],
)
def test_default_rules(first: str, second: str, muted: set[str]) -> None:
    alerts = [alert("first", first, model="fraud"), alert("second", second, model="fraud")]
    assert inhibited(alerts) == muted


def test_inhibited_is_the_default_rules() -> None:
    alerts = [alert("src", "P0", model="fraud"), alert("tgt", "P2", model="fraud")]
    assert inhibited(alerts) == inhibited(alerts, DEFAULT_INHIBIT_RULES) == {"tgt"}


def test_other_model_not_muted() -> None:
    alerts = [alert("src", "P0", model="fraud"), alert("tgt", "P3", model="churn")]
    assert inhibited(alerts) == set()


def test_other_labels_do_not_matter_by_default() -> None:
    alerts = [
        alert("src", "P0", model="fraud", feature="age"),
        alert("tgt", "P3", model="fraud", feature="x"),
    ]
    assert inhibited(alerts) == {"tgt"}


def test_every_equal_label_must_match() -> None:
    rule = InhibitRule(frozenset({"P0"}), frozenset({"P2"}), equal=("model", "version"))
    same = [alert("src", "P0", model="m", version="2"), alert("tgt", "P2", model="m", version="2")]
    other = [alert("src", "P0", model="m", version="2"), alert("tgt", "P2", model="m", version="3")]
    assert inhibited(same, [rule]) == {"tgt"}
    assert inhibited(other, [rule]) == set()


def test_missing_label_on_both_counts_as_equal() -> None:
    # Alertmanager's choice: a missing label is the empty string, so missing == missing.
    alerts = [alert("src", "P0"), alert("tgt", "P2")]
    assert inhibited(alerts) == {"tgt"}


def test_missing_label_equals_empty_value() -> None:
    alerts = [alert("src", "P0", model=""), alert("tgt", "P2")]
    assert inhibited(alerts) == {"tgt"}


def test_missing_label_on_one_side_is_not_equal() -> None:
    assert inhibited([alert("src", "P0"), alert("tgt", "P2", model="fraud")]) == set()
    assert inhibited([alert("src", "P0", model="fraud"), alert("tgt", "P2")]) == set()


def test_empty_equal_mutes_across_models() -> None:
    rule = InhibitRule(frozenset({"P0"}), frozenset({"P3"}), equal=())
    alerts = [alert("src", "P0", model="a"), alert("tgt", "P3", model="b")]
    assert inhibited(alerts, [rule]) == {"tgt"}


def test_non_firing_source_does_not_mute() -> None:
    # Only firing alerts are passed in: once the P0 resolves (is no longer passed), the P2 is unmuted.
    assert inhibited([alert("tgt", "P2", model="fraud")]) == set()
    assert inhibited([]) == set()


def test_alert_never_inhibits_itself() -> None:
    rule = InhibitRule(frozenset({"P1", "P2"}), frozenset({"P1", "P2"}))
    assert inhibited([alert("only", "P1", model="m")], [rule]) == set()


def test_alerts_matching_both_sides_do_not_mute_each_other() -> None:
    rule = InhibitRule(frozenset({"P1", "P2"}), frozenset({"P2", "P3"}))
    both = [alert("a", "P2", model="m"), alert("b", "P2", model="m")]
    assert inhibited(both, [rule]) == set()
    # ...but a source that is not also a target still mutes them.
    assert inhibited([*both, alert("c", "P1", model="m")], [rule]) == {"a", "b"}


def test_inhibited_alert_still_acts_as_source() -> None:
    rules = [
        InhibitRule(frozenset({"P0"}), frozenset({"P1"})),
        InhibitRule(frozenset({"P1"}), frozenset({"P3"})),
    ]
    alerts = [alert("p0", "P0", model="m"), alert("p1", "P1", model="m"), alert("p3", "P3", model="m")]
    assert inhibited(alerts, rules) == {"p1", "p3"}


def test_several_targets_and_models() -> None:
    alerts = [
        alert("f0", "P0", model="fraud"),
        alert("f2", "P2", model="fraud"),
        alert("f3", "P3", model="fraud"),
        alert("c1", "P1", model="churn"),
        alert("c2", "P2", model="churn"),
        alert("c3", "P3", model="churn"),
    ]
    assert inhibited(alerts) == {"f2", "f3", "c3"}


def test_labels_given_as_dict_are_frozen() -> None:
    assert isinstance(FiringAlert("k", "P0", {"model": "m"}).labels, Labels)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"source_severities": frozenset(), "target_severities": frozenset({"P2"})}, "source_severities"),
        ({"source_severities": frozenset({"P0"}), "target_severities": frozenset({"P9"})}, "P9"),
        (
            {
                "source_severities": frozenset({"P0"}),
                "target_severities": frozenset({"P2"}),
                "equal": "model",
            },
            "equal",
        ),
    ],
)
def test_invalid_rule(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        InhibitRule(**kwargs)


def test_invalid_severity() -> None:
    with pytest.raises(ValueError, match="severity"):
        FiringAlert("k", "critical", Labels())
