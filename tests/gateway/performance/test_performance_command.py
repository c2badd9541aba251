"""``inferwatch performance``: the text report and what the CLI says when it cannot read."""

from __future__ import annotations

import numpy as np
import pytest

from gateway.cli.main import main as inferwatch
from processors.performance.estimation import estimated_accuracy
from processors.performance.evaluation import DEFAULT_THRESHOLDS, LabeledPredictions, evaluate
from processors.performance.report import render_text, report_document


def _document() -> dict:
    rng = np.random.default_rng(0)
    score = rng.uniform(0, 1, 200)
    truth = np.where(rng.uniform(0, 1, 200) < score, "fraud", "legit")
    predicted = np.where(score >= 0.5, "fraud", "legit")
    confidence = np.maximum(score, 1 - score)
    rows = [(i, predicted[i], None, confidence[i], score[i], truth[i], None) for i in range(200)]
    result = evaluate(LabeledPredictions.from_rows(rows), "fraud")
    header = {"model": "fraud-detector", "version": None, "versions": ["2.1.0"], "start": "a", "end": "b"}
    trigger = {
        "fired_at": "2026-03-04T00:00:00.000Z",
        "trigger": "monthly",
        "version": "2.1.0",
        "delivered": False,
    }
    return report_document(result, DEFAULT_THRESHOLDS, 30, estimated_accuracy(confidence), header, [trigger])


def test_the_table_shows_metrics_matrix_calibration_estimate_and_triggers() -> None:
    document = _document()
    text = render_text(document)
    accuracy = document["metrics"]["accuracy"]
    assert (
        f"accuracy              {accuracy['value']:.4f}    0.9450    0.9200    0.9000  {accuracy['status']}"
        in text
    )
    assert "Confusion matrix (rows: true, columns: predicted)" in text
    counts = document["confusion_matrix"]["counts"]
    assert f"fraud   {counts[0][0]:>8}{counts[0][1]:>8}" in text
    assert "Calibration (positive-class), ECE" in text
    assert "estimated_accuracy" in text and "(CBPE)" in text
    assert "monthly  version 2.1.0  (pending)" in text
    assert document["metrics"]["auc"]["status"] == "no_threshold"


def test_no_gateway_at_an_explicit_url_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    code = inferwatch(["performance", "--model", "m", "--url", "http://127.0.0.1:9", "--format", "json"])
    assert code == 1
    assert (
        "no gateway answers at http://127.0.0.1:9; is `inferwatch serve` running?" in capsys.readouterr().err
    )


def test_a_bad_window_is_an_argument_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        inferwatch(["performance", "--model", "m", "--since", "soon"])
    assert 'invalid duration "soon"' in capsys.readouterr().err
