"""Tests of processors/alerting/expr: tokenizer, parser (precedence, errors) and evaluator."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pytest

from processors.alerting.expr import (
    Aggregation,
    Baseline,
    Binary,
    ExprError,
    Matcher,
    NumberLiteral,
    Result,
    Sample,
    Selector,
    evaluate,
    format_expr,
    parse,
)
from processors.alerting.labels import Labels


class FakeSource:
    """A SignalSource over fixed rows {signal: [(labels, value[, samples])]} and baselines."""

    def __init__(
        self,
        series: Mapping[str, list[tuple]],
        baselines: Mapping[tuple[str, Labels], float] | None = None,
    ) -> None:
        self._series = {name: [Sample(*row) for row in rows] for name, rows in series.items()}
        self._baselines = dict(baselines or {})

    def series(self, name: str) -> Sequence[Sample]:
        return self._series.get(name, [])

    def baseline(self, name: str, labels: Mapping[str, str]) -> float | None:
        return self._baselines.get((name, Labels(labels)))


def as_pairs(results: Sequence[Result]) -> list[tuple[dict[str, str], float]]:
    return [(dict(result.labels), result.value) for result in results]


M1, M2, M3 = {"model": "m1"}, {"model": "m2"}, {"model": "m3"}

SOURCE = FakeSource(
    {
        "error_rate": [(M1, 0.01, 500), (M2, 0.07, 400), (M3, 0.03, 3)],
        "accuracy": [(M1, 0.95), (M2, 0.85), (M3, 0.90)],
        "latency_p95": [(M1, 150.0), (M2, 250.0), (M3, 500.0)],
        "rps": [(M1, 10.0), (M2, 0.5), (M3, 2.0)],
        "psi": [
            ({"model": m, "feature": f"f{i}"}, v)
            for m, vals in (
                ("m1", [0.3, 0.4, 0.5, 0.26, 0.9, 0.1]),
                ("m2", [0.3, 0.1, 0.1, 0.1, 0.1, 0.1]),
            )
            for i, v in enumerate(vals)
        ]
        + [({"model": "m2", "feature": "age"}, 0.21), ({"model": "m1", "feature": "age"}, 0.15)],
    },
    baselines={
        ("latency_p95", Labels(M1)): 100.0,
        ("latency_p95", Labels(M2)): 200.0,
        ("latency_p95", Labels(M3)): 200.0,
    },
)


# -- parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a + b * c", "(a + (b * c))"),
        ("a * b + c", "((a * b) + c)"),
        ("a - b - c", "((a - b) - c)"),
        ("a / b / c", "((a / b) / c)"),
        ("(a - b) - c", "((a - b) - c)"),
        ("a - (b - c)", "(a - (b - c))"),
        ("-a * 2", "((-a) * 2.0)"),
        ("a + b > c * 2", "((a + b) > (c * 2.0))"),
        ("a > 1 and b > 2 or c > 3", "(((a > 1.0) and (b > 2.0)) or (c > 3.0))"),
        ("a > 1 or b > 2 and c > 3", "((a > 1.0) or ((b > 2.0) and (c > 3.0)))"),
        ("a and b and c", "((a and b) and c)"),
        ("not a > 1 and b > 1", "((not (a > 1.0)) and (b > 1.0))"),
        ("not (a > 1 and b > 1)", "(not ((a > 1.0) and (b > 1.0)))"),
        ("x > 1e-3", "(x > 0.001)"),
        ("x > 2.5E2", "(x > 250.0)"),
        ("x > .5", "(x > 0.5)"),
        ("x >= 1 == 1", "((x >= 1.0) == 1.0)"),
        ("count by (model) (psi > 0.25) >= 5", "(count by (model) (psi > 0.25) >= 5.0)"),
        ("sum(psi) by (model, feature)", "sum by (model, feature) (psi)"),
        ("avg(psi)", "avg (psi)"),
        ("latency_p95 > 2 * baseline(latency_p95)", "(latency_p95 > (2.0 * baseline(latency_p95)))"),
        ("count > 1", "(count > 1.0)"),  # a signal may be named like an aggregation
    ],
)
def test_precedence_and_associativity(text: str, expected: str) -> None:
    assert format_expr(parse(text)) == expected


def test_label_matchers() -> None:
    node = parse('psi{feature="age", model!="x", env=~"prod|staging", region!~\'eu-.*\',} > 0.2')
    assert isinstance(node, Binary)
    assert node.left == Selector(
        "psi",
        (
            Matcher("feature", "=", "age"),
            Matcher("model", "!=", "x"),
            Matcher("env", "=~", "prod|staging"),
            Matcher("region", "!~", "eu-.*"),
        ),
    )
    assert node.right == NumberLiteral(0.2)


def test_aggregation_and_baseline_nodes() -> None:
    node = parse("count by (model) (psi > 0.25)")
    assert isinstance(node, Aggregation)
    assert (node.op, node.by) == ("count", ("model",))
    assert parse("max(psi)") == Aggregation("max", Selector("psi"), None)
    assert parse('baseline(psi{feature="age"})') == Baseline(
        Selector("psi", (Matcher("feature", "=", "age"),))
    )


def test_string_escapes_and_comments() -> None:
    node = parse('x{a="q\\"uote\\\\"}  # trailing comment')
    assert node == Selector("x", (Matcher("a", "=", 'q"uote\\'),))


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ("error_rate >", 1, 13, "unexpected end of input"),
        ("error_rate > > 1", 1, 14, 'unexpected ">"'),
        ("foo(error_rate) > 1", 1, 1, 'unknown function "foo"'),
        ("error_rate > rate(x)", 1, 14, 'unknown function "rate"'),
        ("errors > 1", 1, 1, 'unknown signal "errors"'),
        ("error_rate > 1 and\n  latncy > 2", 2, 3, 'unknown signal "latncy"'),
        ("psi{feature=age} > 1", 1, 13, "expected a quoted string"),
        ('psi{feature="age" > 1', 1, 19, 'expected "," or "}"'),
        ('psi{feature~"x"}', 1, 12, "unexpected character '~'"),
        ('psi{feature=~"("}', 1, 14, "invalid regular expression"),
        ('psi{feature="age}', 1, 13, "unterminated string"),
        ("(error_rate > 1", 1, 16, 'expected ")"'),
        ("error_rate > 5m", 1, 15, "unexpected character 'm'"),
        ("error_rate $ 1", 1, 12, "unexpected character '$'"),
        ("1 > 2", 1, 1, "references no signal"),
        ("", 1, 1, "empty expression"),
        ("count by model (psi)", 1, 10, 'expected "("'),
        ("sum(2)", 1, 1, "expects series"),
        ("baseline(1)", 1, 10, "expects a signal name"),
        ("error_rate 1", 1, 12, 'unexpected number "1"'),
        ("\n\n  and", 3, 3, 'unexpected identifier "and"'),
    ],
)
def test_errors_point_at_the_token(text: str, line: int, column: int, message: str) -> None:
    known = {"error_rate", "psi", "x"}
    with pytest.raises(ExprError) as caught:
        parse(text, known_signals=known)
    error = caught.value
    assert (error.line, error.column) == (line, column)
    assert message in error.message
    rendered = str(error).split("\n")
    assert rendered[0] == f"{line}:{column}: {error.message}"
    assert rendered[1] == text.split("\n")[line - 1]
    assert rendered[2] == " " * (column - 1) + "^"


def test_known_signals_is_optional() -> None:
    assert parse("anything > 1") == Binary(">", Selector("anything"), NumberLiteral(1.0))


# -- evaluation of the documented examples


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("error_rate > 0.05", [(M2, 0.07)]),
        ("accuracy < 0.90", [(M2, 0.85)]),
        ("latency_p95 > 200", [(M2, 250.0), (M3, 500.0)]),
        ('psi{feature="age"} > 0.2', [({"feature": "age", "model": "m2"}, 0.21)]),
        ("count(psi > 0.25) >= 5", [({}, 6.0)]),
        ("count by (model) (psi > 0.25) >= 5", [(M1, 5.0)]),
        ("latency_p95 > 2 * baseline(latency_p95)", [(M3, 500.0)]),
        ("error_rate > 0.02 and rps > 1", [(M3, 0.03)]),
        ("not (accuracy > 0.9)", [(M2, 0.85), (M3, 0.90)]),
    ],
)
def test_documented_examples(text: str, expected: list[tuple[dict[str, str], float]]) -> None:
    assert as_pairs(evaluate(parse(text), SOURCE)) == expected


def test_matchers_filter_series() -> None:
    assert as_pairs(evaluate('rps{model!="m1"}', SOURCE)) == [(M2, 0.5), (M3, 2.0)]
    assert as_pairs(evaluate('rps{model=~"m[12]"}', SOURCE)) == [(M1, 10.0), (M2, 0.5)]
    assert as_pairs(evaluate('rps{model=~"m"}', SOURCE)) == []  # fullmatch, not search
    assert as_pairs(evaluate('rps{model!~"m[12]"}', SOURCE)) == [(M3, 2.0)]
    assert as_pairs(evaluate('rps{absent=""}', SOURCE)) == [(M1, 10.0), (M2, 0.5), (M3, 2.0)]


def test_arithmetic() -> None:
    source = FakeSource({"a": [(M1, 6.0), (M2, 4.0)], "b": [(M1, 3.0), (M2, 0.0), (M3, 1.0)]})
    assert as_pairs(evaluate("a / b", source)) == [(M1, 2.0)]  # division by zero drops m2; m3 has no a
    assert as_pairs(evaluate("a - b * 2", source)) == [(M1, 0.0), (M2, 4.0)]
    assert as_pairs(evaluate("10 - a", source)) == [(M1, 4.0), (M2, 6.0)]
    assert as_pairs(evaluate("-a + 1", source)) == [(M1, -5.0), (M2, -3.0)]
    assert as_pairs(evaluate("a / 0", source)) == []
    assert as_pairs(evaluate("1 / b", source)) == [(M1, 1 / 3), (M3, 1.0)]
    assert math.isnan(evaluate("a + 1 / 0", source)[0].value)  # a number divided by zero is NaN


def test_comparisons_filter_and_keep_the_left_value() -> None:
    source = FakeSource({"a": [(M1, 6.0), (M2, 4.0)], "b": [(M1, 3.0), (M2, 5.0)]})
    assert as_pairs(evaluate("a > b", source)) == [(M1, 6.0)]
    assert as_pairs(evaluate("a == 4", source)) == [(M2, 4.0)]
    assert as_pairs(evaluate("a != 4", source)) == [(M1, 6.0)]
    assert as_pairs(evaluate("5 < a", source)) == [(M1, 6.0)]  # number op series keeps the series value
    assert as_pairs(evaluate("a > 1 < 5", source)) == [(M2, 4.0)]
    assert as_pairs(evaluate("(a > 5) * 10", source)) == [(M1, 60.0)]
    assert as_pairs(evaluate("a > 1 > 2", source)) == [(M1, 6.0), (M2, 4.0)]


def test_logical_operators_match_label_sets() -> None:
    source = FakeSource({"a": [(M1, 1.0), (M2, 2.0)], "b": [(M2, 20.0), (M3, 30.0)]})
    assert as_pairs(evaluate("a and b", source)) == [(M2, 2.0)]
    assert as_pairs(evaluate("a or b", source)) == [(M1, 1.0), (M2, 2.0), (M3, 30.0)]
    assert as_pairs(evaluate("a > 1 or b > 25", source)) == [(M2, 2.0), (M3, 30.0)]
    assert as_pairs(evaluate("a > 5 or b", source)) == [(M2, 20.0), (M3, 30.0)]
    assert as_pairs(evaluate("a and 1", source)) == [(M1, 1.0), (M2, 2.0)]  # a number broadcasts
    assert as_pairs(evaluate("a and 0", source)) == []
    assert as_pairs(evaluate("a > 1 or 1", source)) == [(M1, 1.0), (M2, 2.0)]
    assert as_pairs(evaluate("not (a > 1 and b > 25)", source)) == [(M1, 1.0), (M2, 2.0)]
    assert as_pairs(evaluate("not not (a > 1)", source)) == [(M2, 2.0)]
    assert as_pairs(evaluate("not a", source)) == []  # a present series is true


def test_aggregations() -> None:
    source = FakeSource(
        {
            "x": [
                ({"model": "m1", "f": "a"}, 1.0),
                ({"model": "m1", "f": "b"}, 3.0),
                ({"model": "m2", "f": "a"}, 10.0),
                ({"f": "c"}, 4.0),
            ]
        }
    )
    assert as_pairs(evaluate("sum(x)", source)) == [({}, 18.0)]
    assert as_pairs(evaluate("avg by (model) (x)", source)) == [({}, 4.0), (M1, 2.0), (M2, 10.0)]
    assert as_pairs(evaluate("min(x) by (model)", source)) == [({}, 4.0), (M1, 1.0), (M2, 10.0)]
    assert as_pairs(evaluate("max by (f) (x)", source)) == [
        ({"f": "a"}, 10.0),
        ({"f": "b"}, 3.0),
        ({"f": "c"}, 4.0),
    ]
    assert as_pairs(evaluate("count(x > 100)", source)) == []  # nothing to count: no result, as in Prometheus
    assert as_pairs(evaluate("count(x) + count(x > 2)", source)) == [({}, 7.0)]


def test_baseline_missing_gives_no_result() -> None:
    source = FakeSource({"lat": [(M1, 300.0), (M2, 300.0)]}, {("lat", Labels(M1)): 100.0})
    assert as_pairs(evaluate("baseline(lat)", source)) == [(M1, 100.0)]
    assert as_pairs(evaluate("lat > 1.5 * baseline(lat)", source)) == [(M1, 300.0)]


def test_sample_counts_and_include_false() -> None:
    results = evaluate("error_rate > 0.02", SOURCE, include_false=True)
    assert [(dict(r.labels), r.samples, r.holds) for r in results] == [
        (M1, 500, False),
        (M2, 400, True),
        (M3, 3, True),
    ]
    (combined,) = evaluate("error_rate > 0.02 and rps > 1", SOURCE)
    assert combined.samples == 3
    (counted,) = evaluate("count(error_rate)", SOURCE)
    assert counted.samples == 3  # the fewest samples behind the group


def test_unknown_signal_in_store_is_empty() -> None:
    assert evaluate("nothing > 1", SOURCE) == ()
    assert all(isinstance(r.labels, Labels) for r in evaluate("rps", SOURCE))
