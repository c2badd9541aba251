"""A report's signal points (names alert rules know, labels, details) and its JSON and table."""

from __future__ import annotations

import json

import numpy as np

from processors.alerting.signal_names import KNOWN_SIGNALS, SIGNALS_BY_NAME
from processors.drift.baseline import BaselineBuilder, ColumnRoles
from processors.drift.render import render_text, report_document
from processors.drift.report import build_report
from processors.drift.signals import report_points
from processors.drift.window import summarize_columns


def _report():
    rng = np.random.default_rng(1)
    reference = {
        "amount": rng.normal(100, 10, 4000),
        "country": rng.choice(["DE", "FR"], 4000).tolist(),
        "score": rng.normal(0.3, 0.1, 4000),
        "confidence": rng.uniform(0.5, 1, 4000),
    }
    roles = ColumnRoles(prediction="score", prediction_kind="value")
    baseline = BaselineBuilder(roles).add(reference, 4000).build()
    current = {"amount": rng.normal(130, 10, 2000), "country": ["DE"] * 1500 + ["FR"] * 400 + ["IT"] * 100}
    window = summarize_columns(
        baseline,
        current,
        2000,
        start_unix_nano=1_000,
        end_unix_nano=2_000,
        values=rng.normal(0.5, 0.1, 2000),
        confidence=np.full(2000, np.nan),
    )
    return build_report(baseline, window, model="fraud", version="2", baseline_id="b1")


def test_points_use_known_signal_names_with_their_labels():
    points = report_points(_report())
    assert {point.signal for point in points} <= KNOWN_SIGNALS
    for point in points:
        assert set(point.labels) == set(SIGNALS_BY_NAME[point.signal].labels)
        assert (point.model, point.version, point.window_start_unix_nano, point.window_end_unix_nano) == (
            "fraud",
            "2",
            1_000,
            2_000,
        )
    by_key = {(point.signal, tuple(point.labels.values())): point for point in points}
    assert by_key[("drifted_features", ())].value == 2
    assert by_key[("new_categories", ("country",))].value == 1
    assert by_key[("new_categories", ("country",))].details["new"] == ["IT"]
    assert by_key[("ks_pvalue", ("amount",))].details["test"] == "ks"
    assert by_key[("ks_pvalue", ("amount",))].details["verdict"] == "drifted"
    assert ("prediction_ks_pvalue", ()) in by_key
    assert ("prediction_psi", ()) in by_key  # no classes: PSI of the predicted values
    assert not any(point.signal.startswith("confidence_") for point in points)  # no confidences now


def test_json_document_is_strict_and_worst_first():
    report = _report()
    document = json.loads(json.dumps(report_document(report), allow_nan=False))
    assert {feature["feature"] for feature in document["features"][:2]} == {"amount", "country"}
    assert document["drifted_features"] == 2
    assert document["predictions"]["outputs"][0]["output"] == "value"
    assert document["predictions"]["outputs"][0]["verdict"] == "drifted"
    text = render_text(report)
    assert "FEATURE" in text and "Prediction drift" in text and "drifted" in text
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("FEATURE"))
    assert header.split() == ["FEATURE", "TYPE", "TEST", "STATISTIC", "P-VALUE", "PSI", "MISSING", "VERDICT"]
    rows = lines[lines.index(header) + 1 : lines.index(header) + 3]
    assert [row.split()[0] for row in rows] == [feature["feature"] for feature in document["features"]]
    assert "variance x" in text  # output value drift: mean and variance change
