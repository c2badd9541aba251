"""Tests of processors/alerting/evaluation: rule ids, the default latency stage, categories, escalation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from processors.alerting.evaluation import (
    Threshold,
    baseline_families,
    category,
    error_class_counts,
    escalation,
    escalation_ladders,
    format_window,
    instance_key,
    rule_ids,
    signals_of,
    with_default_stage,
)
from processors.alerting.expr import Sample, evaluate, format_expr, parse
from processors.alerting.rules import load_rules


def _rules(text: str) -> list:
    groups = load_rules(text, "r.yaml")
    return [(rule_id, rule, rule.node) for rule_id, rule in rule_ids(groups)]


def test_rule_ids_are_group_and_alert_and_unique() -> None:
    # Two files in different directories, same name: same group name, same alert.
    first = load_rules(
        "- {alert: A, expr: error_rate > 0.1, severity: P1}\n- {alert: B, expr: rps < 1, severity: P3}",
        "x/rules.yaml",
    )
    second = load_rules("- {alert: A, expr: error_rate > 0.2, severity: P0}", "y/rules.yaml")
    assert [rule_id for rule_id, _ in rule_ids([*first, *second])] == ["rules/A", "rules/B", "rules/A#2"]


def test_a_latency_selector_without_stage_means_the_whole_request() -> None:
    node = with_default_stage(parse("latency_p95 > 2 * baseline(latency_p95) and error_rate > 0"))
    assert format_expr(node) == (
        '((latency_p95{stage="request"} > (2.0 * baseline(latency_p95{stage="request"})))'
        " and (error_rate > 0.0))"
    )
    kept = with_default_stage(parse('latency_p99{stage=~".+"} > 1'))
    assert format_expr(kept) == 'latency_p99{stage=~".+"} > 1.0'.join(("(", ")"))


class _Source:
    def series(self, name: str) -> list[Sample]:
        return [
            Sample({"model": "m", "stage": "request"}, 300.0, 50),
            Sample({"model": "m", "stage": "inference"}, 250.0, 50),
        ]

    def baseline(self, name: str, labels: object) -> float | None:
        return None


def test_the_guide_latency_rule_gives_one_alert_per_model() -> None:
    results = evaluate(with_default_stage(parse("latency_p95 > 200")), _Source())
    assert [dict(r.labels) for r in results] == [{"model": "m", "stage": "request"}]
    every_stage = evaluate(parse("latency_p95 > 200"), _Source())
    assert len(every_stage) == 2


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("error_rate > 0.05", "error-rate"),
        ('error_class_rate{error_class="timeout"} > 0.1', "error-rate"),
        ("timeout_rate > 0.1", "error-rate"),
        ("latency_p95 > 200", "latency"),
        ("service_up == 0", "availability"),
        ("memory_utilization > 0.9", "infrastructure"),
        ("pod_restarts > 3", "infrastructure"),
        ('psi{feature="age"} > 0.2', "drift"),
        ("count by (model) (psi > 0.25) >= 5", "drift"),
        ("low_confidence_rate > 0.3", "predictions"),
        ("completeness < 0.95", "quality"),
        ("accuracy < 0.9", "performance"),
        ("rps < 1", "traffic"),
    ],
)
def test_category_comes_from_the_first_signal(expr: str, expected: str) -> None:
    assert category(parse(expr)) == expected


def test_signals_of_lists_each_signal_once_in_order() -> None:
    assert signals_of(parse("error_rate > 0.1 and rps > 1 or error_rate > baseline(latency_p95)")) == [
        "error_rate",
        "rps",
        "latency_p95",
    ]
    expr = "error_rate > 2 * baseline(error_rate) or latency_p95 > max(baseline(latency_p95{stage='x'}))"
    assert signals_of(parse(expr), baselines_only=True) == ["error_rate", "latency_p95"]
    assert signals_of(parse("latency_p95 > 2 * baseline(error_rate)"), baselines_only=True) == ["error_rate"]


def test_baseline_families_are_those_of_live_signals_inside_baseline() -> None:
    nodes = [
        parse("latency_p95 > 2 * baseline(latency_p95)"),
        parse("error_rate > 3 * baseline(timeout_rate) and rps > 1"),
        parse("psi > baseline(psi)"),  # stored: only configured baselines, nothing to compute
        parse("cpu_utilization > 0.9"),
    ]
    assert baseline_families(nodes) == ("latency", "requests")
    assert baseline_families([]) == ()


def test_error_class_counts_are_rate_times_requests_of_the_model_and_version() -> None:
    def sample(model: str, version: str, error_class: str, failed: int, requests: int) -> Sample:
        labels = {"model": model, "version": version, "error_class": error_class}
        return Sample(labels, failed / requests, requests)

    samples = [
        sample("fraud", "1", "server_503", 7, 40),
        sample("fraud", "2", "server_503", 5, 12),
        sample("fraud", "2", "timeout", 5, 12),
        sample("fraud", "1", "client_400", 1, 40),
        sample("churn", "1", "server_503", 30, 30),
    ]
    assert error_class_counts(samples, "fraud") == (("server_503", 12), ("timeout", 5), ("client_400", 1))
    assert error_class_counts(samples, "fraud", "2") == (("server_503", 5), ("timeout", 5))
    assert error_class_counts(samples, "ranker") == ()


LEVELS = """
- {alert: E0, expr: error_rate > 0.10, severity: P0}
- {alert: E1, expr: error_rate > 0.05, severity: P1}
- {alert: E2, expr: 0.02 < error_rate, severity: P2}
- {alert: E3, expr: error_rate > 0.01, severity: P3}
- {alert: A2, expr: accuracy < 0.85, severity: P2}
- {alert: A1, expr: accuracy < 0.80, severity: P1}
- {alert: Other, expr: error_rate > 0.5 and rps > 1, severity: P0}
- {alert: Stage, expr: 'error_rate{version="2"} > 0.5', severity: P0}
"""


def test_escalation_ladders_hold_the_stricter_rules_of_a_family() -> None:
    ladders = escalation_ladders(_rules(LEVELS))
    assert ladders["r/E3"] == (
        Threshold("P2", ">", 0.02),
        Threshold("P1", ">", 0.05),
        Threshold("P0", ">", 0.10),
    )
    assert ladders["r/E1"] == (Threshold("P0", ">", 0.10),)
    assert ladders["r/E0"] == ()
    assert ladders["r/A2"] == (Threshold("P1", "<", 0.80),)
    assert "r/Other" not in ladders  # not `selector op number`
    assert ladders["r/Stage"] == ()  # another selector: another family


def test_escalation_reaches_each_severity_once() -> None:
    ladder = escalation_ladders(_rules(LEVELS))["r/E3"]
    assert escalation(ladder, 0.015, None) is None
    assert escalation(ladder, 0.03, None) == "P2"
    assert escalation(ladder, 0.07, "P2") == "P1"
    assert escalation(ladder, 0.07, "P1") is None
    assert escalation(ladder, 0.2, None) == "P0"
    assert escalation(ladder, 0.06, "P0") is None
    assert escalation(ladder, float("nan"), None) is None
    accuracy = escalation_ladders(_rules(LEVELS))["r/A2"]
    assert escalation(accuracy, 0.79, None) == "P1"
    assert escalation(accuracy, 0.80, None) is None


def test_format_window_and_instance_key() -> None:
    assert format_window(timedelta(minutes=5)) == "5m"
    assert format_window(timedelta(hours=1, minutes=30)) == "1h30m"
    assert format_window(timedelta(days=1, seconds=5)) == "1d5s"
    assert format_window(timedelta(0)) == "0s"
    assert instance_key("g/A", {"version": "1", "model": "m"}) == 'g/A{model="m",version="1"}'
