"""Window evaluation against scikit-learn, window alignment, and the signal points it publishes."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from sklearn import metrics as sk

from processors.alerting.signal_names import KNOWN_SIGNALS
from processors.performance.estimation import AccuracyEstimate, estimated_accuracy, predicted_class_confidence
from processors.performance.evaluation import (
    DEFAULT_THRESHOLDS,
    LabeledPredictions,
    evaluate,
    infer_positive_class,
    to_points,
)
from processors.performance.windows import Window, windows_to_evaluate

HOUR = 3600 * 10**9


def _binary(rng: np.random.Generator, n: int) -> tuple[LabeledPredictions, dict]:
    score = rng.uniform(0, 1, n)
    truth = np.where(rng.uniform(0, 1, n) < score, "fraud", "legit")
    predicted = np.where(score >= 0.5, "fraud", "legit")
    confidence = np.maximum(score, 1 - score)
    rows = [
        (index, predicted[index], None, confidence[index], score[index], truth[index], None)
        for index in range(n)
    ]
    return LabeledPredictions.from_rows(rows), {"truth": truth, "predicted": predicted, "score": score}


@pytest.mark.parametrize("n", [50, 1000])
def test_binary_metrics_equal_scikit_learn(n: int) -> None:
    data, raw = _binary(np.random.default_rng(n), n)
    result = evaluate(data, positive_class="fraud")
    truth, predicted, score = raw["truth"], raw["predicted"], raw["score"]
    assert result.values["accuracy"] == pytest.approx(sk.accuracy_score(truth, predicted), abs=1e-12)
    for name, oracle in (("precision", sk.precision_score), ("recall", sk.recall_score), ("f1", sk.f1_score)):
        assert result.values[name] == pytest.approx(oracle(truth, predicted, pos_label="fraud"), abs=1e-12)
    assert result.values["auc"] == pytest.approx(sk.roc_auc_score(truth == "fraud", score), abs=1e-12)
    assert result.values["log_loss"] == pytest.approx(sk.log_loss(truth == "fraud", score), rel=1e-12)
    assert result.average == "binary" and result.positive_class == "fraud"
    matrix = sk.confusion_matrix(truth, predicted, labels=["fraud", "legit"])
    assert result.confusion == {"labels": ["fraud", "legit"], "counts": matrix.tolist()}
    assert result.calibration_kind == "positive-class" and result.classification_samples == n


def test_the_positive_class_is_inferred_from_the_score() -> None:
    data, raw = _binary(np.random.default_rng(3), 300)
    assert infer_positive_class(raw["predicted"].astype(object), raw["score"]) == "fraud"
    assert evaluate(data).positive_class == "fraud"
    assert (
        infer_positive_class(np.asarray(["a", "b", "c"], dtype=object), np.asarray([0.1, 0.5, 0.9])) is None
    )


def test_multiclass_is_macro_with_top_label_calibration() -> None:
    rng = np.random.default_rng(5)
    n = 400
    truth = rng.choice(["a", "b", "c"], n)
    predicted = np.where(rng.uniform(0, 1, n) < 0.7, truth, rng.choice(["a", "b", "c"], n))
    confidence = rng.uniform(0.4, 1.0, n)
    rows = [(i, predicted[i], None, confidence[i], None, truth[i], None) for i in range(n)]
    result = evaluate(LabeledPredictions.from_rows(rows))
    assert result.average == "macro"
    assert result.values["f1"] == pytest.approx(sk.f1_score(truth, predicted, average="macro"), abs=1e-12)
    assert result.values["recall"] == pytest.approx(
        sk.recall_score(truth, predicted, average="macro"), abs=1e-12
    )
    assert "auc" not in result.values
    correct = (truth == predicted).astype(float)
    # top-label ECE by hand over ten equal-width bins (edges go to the lower bin)
    bins = np.clip(np.ceil(confidence * 10).astype(int) - 1, 0, 9)
    ece = sum(
        np.sum(bins == b) / n * abs(correct[bins == b].mean() - confidence[bins == b].mean())
        for b in range(10)
        if np.any(bins == b)
    )
    assert result.values["calibration_error"] == pytest.approx(ece, abs=1e-12)
    assert result.calibration_kind == "top-label"


def test_regression_metrics_equal_scikit_learn() -> None:
    rng = np.random.default_rng(11)
    truth = rng.normal(100, 20, 200)
    predicted = truth + rng.normal(0, 5, 200)
    truth[:3] = 0.0  # zero targets are left out of MAPE
    rows = [(i, None, predicted[i], None, None, None, truth[i]) for i in range(200)]
    result = evaluate(LabeledPredictions.from_rows(rows))
    assert result.values["mae"] == pytest.approx(sk.mean_absolute_error(truth, predicted), abs=1e-9)
    assert result.values["rmse"] == pytest.approx(
        math.sqrt(sk.mean_squared_error(truth, predicted)), abs=1e-9
    )
    assert result.values["r2"] == pytest.approx(sk.r2_score(truth, predicted), abs=1e-12)
    kept = truth != 0
    assert result.values["mape"] == pytest.approx(
        sk.mean_absolute_percentage_error(truth[kept], predicted[kept]), abs=1e-12
    )
    assert result.mape_excluded_zero_targets == 3 and result.regression_samples == 200
    assert result.classification_samples == 0 and "accuracy" not in result.values


def test_an_empty_window_has_no_metrics() -> None:
    result = evaluate(LabeledPredictions.from_rows([]))
    assert result.values == {} and result.classification_samples == 0


def test_points_carry_thresholds_status_and_tables() -> None:
    data, _ = _binary(np.random.default_rng(8), 500)
    window = Window("1h", 0, HOUR, complete=True)
    estimate = AccuracyEstimate(0.8, 900, 0.01)
    points = to_points(evaluate(data, "fraud"), "m", "1", window, DEFAULT_THRESHOLDS, 30, estimate)
    by_name = {point.signal: point for point in points}
    assert set(by_name) == {
        "accuracy",
        "precision",
        "recall",
        "f1",
        "auc",
        "log_loss",
        "calibration_error",
        "estimated_accuracy",
    }
    assert set(by_name) <= KNOWN_SIGNALS
    accuracy = by_name["accuracy"]
    assert accuracy.labels == {"window": "1h"} and accuracy.samples == 500
    assert accuracy.details["baseline"] == 0.945 and accuracy.details["warning"] == 0.92
    assert accuracy.details["status"] == DEFAULT_THRESHOLDS["accuracy"].status(accuracy.value)
    assert sum(map(sum, accuracy.details["confusion_matrix"]["counts"])) == 500
    assert len(by_name["calibration_error"].details["bins"]) == 10
    assert by_name["auc"].details["status"] == "no_threshold"
    assert by_name["estimated_accuracy"].samples == 900
    assert by_name["estimated_accuracy"].details["realised_accuracy"] == accuracy.value
    json.loads(accuracy.row(0)[-1])  # Details serialise
    few = to_points(evaluate(data, "fraud"), "m", "1", window, DEFAULT_THRESHOLDS, 1000)
    assert {p.details["status"] for p in few if p.signal == "accuracy"} == {"insufficient_samples"}


def test_windows_are_aligned_and_include_the_current_one() -> None:
    now = 10 * HOUR + HOUR // 2
    windows = windows_to_evaluate("1h", now, HOUR, 3 * HOUR)
    assert [(w.start_unix_nano // HOUR, w.complete) for w in windows] == [
        (7, True),
        (8, True),
        (9, True),
        (10, False),
    ]
    assert windows[-1].contains(now) and not windows[-1].contains(11 * HOUR)
    assert len(windows_to_evaluate("1h", now, HOUR, 0)) == 1
    with pytest.raises(ValueError, match="positive"):
        windows_to_evaluate("x", now, 0, 0)


def test_sliding_windows_end_at_every_step_and_cover_the_length_before() -> None:
    now = 10 * HOUR + HOUR // 2
    windows = windows_to_evaluate("3h", now, 3 * HOUR, 2 * HOUR, HOUR)
    assert [(w.start_unix_nano // HOUR, w.end_unix_nano // HOUR, w.complete) for w in windows] == [
        (6, 9, True),
        (7, 10, True),
        (8, 11, False),
    ]
    for now in (0, 5 * HOUR, 7 * HOUR + 1, 13 * HOUR - 1):  # a step equal to the length is the default
        assert windows_to_evaluate("x", now, 2 * HOUR, 5 * HOUR, 2 * HOUR) == windows_to_evaluate(
            "x", now, 2 * HOUR, 5 * HOUR
        )
    with pytest.raises(ValueError, match="divide"):
        windows_to_evaluate("x", now, 3 * HOUR, 0, 2 * HOUR)


def test_estimates_of_disjoint_parts_combine_into_the_estimate_of_all() -> None:
    confidence = np.random.default_rng(4).uniform(0.5, 1.0, 300)
    parts = [estimated_accuracy(confidence[:100]), estimated_accuracy(confidence[100:])]
    combined = AccuracyEstimate.combine(parts)
    whole = estimated_accuracy(confidence)
    assert combined is not None and combined.samples == 300
    assert combined.value == pytest.approx(whole.value, rel=1e-12)
    assert combined.standard_error == pytest.approx(whole.standard_error, rel=1e-12)
    assert AccuracyEstimate.combine([parts[0]]) is parts[0]
    assert AccuracyEstimate.combine([]) is None


@pytest.mark.parametrize("seed", range(10))
def test_estimated_accuracy_matches_realised_on_calibrated_data(seed: int) -> None:
    rng = np.random.default_rng(seed)
    confidence = rng.beta(5, 1.5, 5000).clip(0.5, 1.0)
    correct = rng.uniform(0, 1, confidence.size) < confidence  # calibrated by construction
    estimate = estimated_accuracy(confidence)
    low, high = estimate.band(3.0)
    assert low <= correct.mean() <= high
    assert estimate.standard_error == pytest.approx(math.sqrt(np.sum(confidence * (1 - confidence))) / 5000)


def test_estimated_accuracy_misses_an_overconfident_model() -> None:
    rng = np.random.default_rng(1)
    confidence = rng.uniform(0.8, 1.0, 5000)
    correct = rng.uniform(0, 1, confidence.size) < confidence - 0.15
    low, high = estimated_accuracy(confidence).band(3.0)
    assert not low <= correct.mean() <= high


def test_predicted_class_confidence_and_bad_input() -> None:
    assert predicted_class_confidence([0.9, 0.2], [True, False]).tolist() == pytest.approx([0.9, 0.8])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        estimated_accuracy([0.5, 1.5])
    assert math.isnan(AccuracyEstimate.from_sums(0, 0.0, 0.0).value)
