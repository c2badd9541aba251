"""Tests of ``processors.alerting.rules``: both layouts, every error with its FILE:LINE:COLUMN, templates."""

from __future__ import annotations

import math
import textwrap
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from processors.alerting.expr import parse
from processors.alerting.rules import (
    RuleLoadError,
    TemplateError,
    count_rules,
    load_rules,
    parse_duration,
    render_template,
    template_errors,
)
from processors.alerting.signal_names import KNOWN_SIGNALS, SIGNALS
from processors.alerting.state import StatePolicy

GUIDE = """\
# Example alert configuration

- alert: HighErrorRate
  expr: error_rate > 0.05
  for: 5m
  severity: P1
  annotations:
    summary: "Error rate above 5% for 5 minutes"
    
- alert: ModelAccuracyDrop
  expr: accuracy < 0.90
  for: 15m
  severity: P2
  annotations:
    summary: "Model accuracy dropped below 90%"
    
- alert: HighLatency
  expr: latency_p95 > 200
  for: 10m
  severity: P1
  annotations:
    summary: "P95 latency above 200ms for 10 minutes"
"""  # noqa: W293 — the guide's blank lines carry trailing spaces

RULE_PACK = Path(__file__).resolve().parents[3] / "deploy" / "rules"


def _errors(text: str, filename: str = "rules.yaml") -> list[str]:
    with pytest.raises(RuleLoadError) as caught:
        load_rules(textwrap.dedent(text), filename)
    return [str(error) for error in caught.value.errors]


def test_guide_format_loads_verbatim() -> None:
    (group,) = load_rules(GUIDE, "deploy/rules/guide.yaml")
    assert group.name == "guide"
    assert group.interval is None
    assert [rule.alert for rule in group.rules] == ["HighErrorRate", "ModelAccuracyDrop", "HighLatency"]
    first = group.rules[0]
    assert first.expr == "error_rate > 0.05"
    assert first.hold_for == timedelta(minutes=5)
    assert first.severity == "P1"
    assert dict(first.annotations) == {"summary": "Error rate above 5% for 5 minutes"}
    assert first.location == "deploy/rules/guide.yaml:3"
    assert first.node == parse("error_rate > 0.05")
    assert group.rules[1].hold_for == timedelta(minutes=15)
    assert group.rules[2].severity == "P1"


def test_defaults_come_from_the_dataclass() -> None:
    (group,) = load_rules("- {alert: A, expr: rps > 1, severity: P3}\n")
    rule = group.rules[0]
    assert rule.hold_for == timedelta(0)
    assert rule.keep_firing_for == timedelta(0)
    assert rule.window == timedelta(minutes=5)
    assert rule.min_samples == 0
    assert rule.models == ()
    assert rule.runbook is None
    assert rule.resolve is None
    assert rule.applies_to("anything")
    assert rule.policy() == StatePolicy(0, 0, 900, 0)


def test_groups_with_every_key() -> None:
    groups = load_rules(
        textwrap.dedent(
            """\
            groups:
              - name: errors
                interval: 30s
                rules:
                  - alert: HighErrorRate
                    expr: error_rate > 0.05
                    resolve: error_rate >= 0.03
                    for: 5m
                    keep_firing_for: 2m
                    window: 10m
                    severity: P1
                    min_samples: 50
                    model: [fraud-detector, churn]
                    labels: {team: ml}
                    annotations:
                      summary: "{{ $labels.model }} at {{ $value }}"
                    runbook: https://runbooks.example/high-error-rate
              - name: quality
                rules:
                  - alert: HighErrorRate
                    expr: accuracy < 0.9 * baseline(accuracy)
                    severity: P2
                    model: fraud-detector
            """
        ),
        "r.yaml",
    )
    errors, quality = groups
    assert (errors.name, errors.interval, quality.interval) == ("errors", timedelta(seconds=30), None)
    assert count_rules(groups) == 2
    rule = errors.rules[0]
    assert rule.resolve == "error_rate >= 0.03"
    assert rule.resolve_node == parse("error_rate >= 0.03")
    assert (rule.keep_firing_for, rule.window, rule.min_samples) == (
        timedelta(minutes=2),
        timedelta(minutes=10),
        50,
    )
    assert rule.models == ("fraud-detector", "churn")
    assert rule.applies_to("churn") and not rule.applies_to("other")
    assert dict(rule.labels) == {"team": "ml"}
    assert rule.runbook == "https://runbooks.example/high-error-rate"
    assert rule.policy(timedelta(minutes=1)) == StatePolicy(300, 120, 60, 50)
    assert rule.render_annotations({"model": "churn"}, 0.07) == {"summary": "churn at 0.07"}
    assert quality.rules[0].models == ("fraud-detector",)


def test_empty_file_has_no_rules() -> None:
    assert load_rules("# nothing yet\n") == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            """\
            - alert: A
              expr: rps > 1
              severity: P1
              foor: 5m
            """,
            'rules.yaml:4:3: rules[0]: unknown key "foor"; did you mean "for"?',
        ),
        (
            """\
            - alert: A
              expr: rps > 1
            """,
            'rules.yaml:1:3: alert "A": missing required key "severity"',
        ),
        (
            """\
            - alert: A
              expr: rps > 1
              severity: critical
            """,
            'rules.yaml:3:13: alert "A": severity: "critical" is not one of P0, P1, P2, P3 '
            "(P0 critical, P1 high, P2 medium, P3 low)",
        ),
        (
            """\
            - alert: A
              expr: rps > 1
              severity: P1
              for: 5 minutes
            """,
            'rules.yaml:4:8: alert "A": for: invalid duration "5 minutes": use a number and a unit such as '
            "30s, 5m, 1h30m, 1d (units ms, s, m, h, d, w)",
        ),
        (
            """\
            - alert: A
              expr: rps > 1
              severity: P1
              window: 0
            """,
            'rules.yaml:4:11: alert "A": window: must be longer than 0',
        ),
        (
            """\
            - alert: A
              expr: rps > 1
              severity: P1
              min_samples: many
            """,
            'rules.yaml:4:16: alert "A": min_samples: must be a whole number >= 0, got "many"',
        ),
        (
            """\
            - alert: A
              expr: eror_rate > 0.05
              severity: P1
            """,
            'rules.yaml:2:9: alert "A": expr: unknown signal "eror_rate"; did you mean "error_rate"?',
        ),
        (
            """\
            - alert: A
              expr: rps > 1
              resolve: "rps >"
              severity: P1
            """,
            'rules.yaml:3:18: alert "A": resolve: unexpected end of input',
        ),
        (
            """\
            - alert: A
              expr: rps > 1
              severity: P1
              labels: {severity: high}
            """,
            'rules.yaml:4:22: alert "A": labels: label "severity" cannot be set here: '
            "it is the rule's severity key",
        ),
        (
            """\
            - alert: A
              expr: rps > 1
              severity: P1
              annotations:
                summary: "{{ $labels.model }} {{ .Value }}"
            """,
            'rules.yaml:5:38: alert "A": annotations.summary: unknown template variable ".Value": '
            "use {{ $value }} or {{ $labels.NAME }}",
        ),
        (
            """\
            - alert: A
              expr: rps > 1
              severity: P1
              alert: B
            """,
            'rules.yaml:4:3: rules[0]: duplicate key "alert" (first at line 1)',
        ),
        (
            """\
            - alert: A
              expr: [rps]
              severity: P1
            """,
            'rules.yaml:2:9: alert "A": expr: expected a text value, got a list',
        ),
        (
            """\
            - alert: A
              expr: rps > 1
              severity: P1
              model: []
            """,
            'rules.yaml:4:10: alert "A": model: an empty list selects no model; '
            "leave model out to select every model",
        ),
        (
            """\
            - alert: A
              expr: rps > 1
              severity: P1
            - alert: A
              expr: rps > 2
              severity: P2
            """,
            'rules.yaml:4:3: duplicate alert "A" in group "rules" (first at line 1)',
        ),
        (
            """\
            - alert: A
              expr: rps > 1
               severity: P1
            """,
            "rules.yaml:3:12: invalid YAML: mapping values are not allowed here",
        ),
        (
            "alert: A\n",
            'rules.yaml:1:1: unknown key "alert" (known keys: groups)',
        ),
        (
            """\
            groups:
              - name: g
                rules: []
              - name: g
                intervall: 1m
                rules: []
            """,
            'rules.yaml:4:5: groups[1]: duplicate group name "g" (first at line 2)',
        ),
    ],
)
def test_each_error_kind_has_its_position(text: str, expected: str) -> None:
    assert expected in _errors(text)


def test_group_errors_and_did_you_mean() -> None:
    errors = _errors(
        """\
        groups:
          - name: g
            intervall: 1m
            rules: []
        """
    )
    assert errors == ['rules.yaml:3:5: groups[0]: unknown key "intervall"; did you mean "interval"?']


def test_all_errors_are_collected_in_file_order() -> None:
    errors = _errors(
        """\
        - alert: A
          expr: rps >
          severity: P9
        - alert: B
          expr: accuracy < 0.9
          for: soon
          severity: P2
        """
    )
    assert errors == [
        'rules.yaml:2:14: alert "A": expr: unexpected end of input',
        'rules.yaml:3:13: alert "A": severity: "P9" is not one of P0, P1, P2, P3 '
        "(P0 critical, P1 high, P2 medium, P3 low)",
        'rules.yaml:6:8: alert "B": for: invalid duration "soon": use a number and a unit such as 30s, 5m, '
        "1h30m, 1d (units ms, s, m, h, d, w)",
    ]


def test_expression_error_deep_inside_a_multiline_expr() -> None:
    text = """\
        groups:
          - name: quality
            rules:
              - alert: DataQualityDegraded
                expr: |
                  completeness < 0.99
                    or validity < 0.99
                    or consistancy < 0.98
                severity: P3
        """
    assert _errors(text) == [
        'rules.yaml:8:16: alert "DataQualityDegraded": expr: unknown signal "consistancy"; '
        'did you mean "consistency"?'
    ]


def test_expression_error_in_a_folded_multiline_plain_scalar() -> None:
    text = """\
        - alert: A
          expr: error_rate > 0.05
            and rps > 1
            and bogus_signal > 2
          severity: P1
        """
    assert _errors(text) == ['rules.yaml:4:9: alert "A": expr: unknown signal "bogus_signal"']


def test_expression_error_inside_a_quoted_string() -> None:
    text = """\
        - alert: A
          expr: "psi{feature=\\"age\\"} > 0.2 and psi{feature=~\\"(\\"} > 0"
          severity: P2
        """
    (error,) = _errors(text)
    assert error.startswith('rules.yaml:2:55: alert "A": expr: invalid regular expression')


def test_known_signals_can_be_replaced() -> None:
    (group,) = load_rules("- {alert: A, expr: custom > 1, severity: P0}\n", known_signals={"custom"})
    assert group.rules[0].expr == "custom > 1"


def test_rule_load_error_counts_rules_and_renders_every_line() -> None:
    with pytest.raises(RuleLoadError) as caught:
        load_rules(
            "- {alert: A, expr: nope > 1, severity: P1}\n- {alert: B, expr: rps > 1, severity: P1}\n", "x"
        )
    assert caught.value.rules_found == 2
    assert str(caught.value) == 'x:1:20: alert "A": expr: unknown signal "nope"'


# -- templates


def test_render_template_substitutes_labels_and_value() -> None:
    text = "{{ $labels.model }} error rate {{$value}} ({{ $labels.missing }})"
    assert render_template(text, {"model": "fraud"}, 0.0734) == "fraud error rate 0.0734 ()"


@pytest.mark.parametrize(
    ("value", "shown"), [(float("nan"), "NaN"), (math.inf, "+Inf"), (-math.inf, "-Inf"), (250.0, "250")]
)
def test_render_template_value_formatting(value: float, shown: str) -> None:
    assert render_template("{{ $value }}", {}, value) == shown


@pytest.mark.parametrize(
    ("text", "offset", "message"),
    [
        ("a {{ $labels }}", 5, 'unknown template variable "$labels"'),
        ("{{ $value | humanize }}", 3, 'unknown template variable "$value | humanize"'),
        ("x {{ $labels.model", 2, 'unclosed "{{" in template'),
        ("{{ __import__('os') }}", 3, "unknown template variable \"__import__('os')\""),
    ],
)
def test_template_errors(text: str, offset: int, message: str) -> None:
    (problem,) = template_errors(text)
    assert problem.offset == offset
    assert problem.message.startswith(message)
    with pytest.raises(TemplateError):
        render_template(text, {}, 1.0)


def test_text_without_templates_is_unchanged() -> None:
    assert template_errors("Error rate above 5% } { for 5 minutes") == []
    assert render_template("Error rate above 5% } {", {}, 1.0) == "Error rate above 5% } {"


# -- durations and the signal catalogue


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", timedelta(0)),
        ("5m", timedelta(minutes=5)),
        ("1h30m", timedelta(minutes=90)),
        ("500ms", timedelta(milliseconds=500)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "5", "5 minutes", "m", "-1m"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)


def test_signal_catalogue_is_complete_and_described() -> None:
    assert len(SIGNALS) == len(KNOWN_SIGNALS)
    assert all(signal.description for signal in SIGNALS)
    for name in ("error_rate", "error_class_rate", "latency_p999", "psi", "service_up", "quality_accuracy"):
        assert name in KNOWN_SIGNALS
    by_name = {signal.name: signal for signal in SIGNALS}
    assert by_name["error_class_rate"].labels == ("error_class",)
    assert by_name["latency_p95"].labels == ("stage",)
    assert by_name["mean_shift"].labels == ("feature",)


# -- the default rule pack cannot rot


@pytest.mark.parametrize("path", sorted(RULE_PACK.glob("*.yaml")), ids=lambda path: path.name)
def test_default_rule_pack_loads(path: Path) -> None:
    groups = load_rules(path.read_text(encoding="utf-8"), str(path))
    rules = [rule for group in groups for rule in group.rules]
    assert rules
    for rule in rules:
        assert "summary" in rule.annotations
        rule.render_annotations({"model": "m", "feature": "f", "pod": "p"}, 0.5)


def test_default_rule_pack_files() -> None:
    assert sorted(path.name for path in RULE_PACK.glob("*.yaml")) == [
        "alert-levels.yaml",
        "benchmarks.yaml",
        "guide-examples.yaml",
    ]
    (guide,) = load_rules((RULE_PACK / "guide-examples.yaml").read_text(encoding="utf-8"))
    unplaced = [replace(rule, location="") for rule in guide.rules]
    assert unplaced == [replace(rule, location="") for rule in load_rules(GUIDE)[0].rules]
    for name in ("alert-levels.yaml", "benchmarks.yaml"):
        for group in load_rules((RULE_PACK / name).read_text(encoding="utf-8")):
            for rule in group.rules:
                assert rule.runbook
                assert "{{" in rule.annotations["summary"]
                if rule.expr.startswith("error_rate"):
                    assert "Check recent deployments (possible bad release)" in rule.runbook


def _pack(name: str) -> dict[str, tuple[str, ...]]:
    """expression -> severities of the rules with it in one file of the default pack."""
    found: dict[str, tuple[str, ...]] = {}
    for group in load_rules((RULE_PACK / name).read_text(encoding="utf-8")):
        for rule in group.rules:
            expr = " ".join(rule.expr.split())
            found[expr] = (*found.get(expr, ()), rule.severity)
    return found


def test_alert_levels_reproduce_the_guide_p0_to_p3() -> None:
    levels = _pack("alert-levels.yaml")
    expected = {
        # P0: service down, error rate > 10%, data pipeline broken
        "service_up == 0": "P0",
        "error_rate > 0.10": "P0",
        "completeness < 0.5 or timeliness_seconds > 21600": "P0",
        # P1: error rate > 5%, P95 > 2x baseline, accuracy drop > 10%, memory or CPU > 90%
        "error_rate > 0.05": "P1",
        "latency_p95 > 2 * baseline(latency_p95)": "P1",
        "accuracy < 0.9 * baseline(accuracy)": "P1",
        "memory_utilization > 0.90": "P1",
        "cpu_utilization > 0.90": "P1",
        # P2: error rate > 2%, P95 > 1.5x baseline, accuracy drop > 5%, PSI > 0.2
        "error_rate > 0.02": "P2",
        "latency_p95 > 1.5 * baseline(latency_p95)": "P2",
        "accuracy < 0.95 * baseline(accuracy)": "P2",
        "psi > 0.2": "P2",
        # P3: error rate > 1%, warning-level resources, data quality
        "error_rate > 0.01": "P3",
        "cpu_utilization > 0.80": "P3",
        "memory_utilization > 0.85": "P3",
        "completeness < 0.99 or validity < 0.99 or consistency < 0.98 or quality_accuracy < 0.95": "P3",
    }
    assert {expr: severities for expr, severities in levels.items() if expr in expected} == {
        expr: (severity,) for expr, severity in expected.items()
    }


def test_benchmark_rules_are_the_guide_table_warning_p2_critical_p1() -> None:
    table = {  # metric: (warning, critical), the guide's "Performance Benchmarks" table
        "accuracy < {}": ("0.92", "0.90"),
        "precision < {}": ("0.88", "0.85"),
        "recall < {}": ("0.90", "0.87"),
        "f1 < {}": ("0.90", "0.87"),
        "latency_p95 > {}": ("150", "250"),
        "error_rate > {}": ("0.02", "0.05"),
    }
    expected = {}
    for template, (warning, critical) in table.items():
        expected[template.format(warning)] = ("P2",)
        expected[template.format(critical)] = ("P1",)
    assert _pack("benchmarks.yaml") == expected
