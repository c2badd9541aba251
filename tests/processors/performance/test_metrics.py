"""Tests for processors.performance.metrics: scikit-learn as oracle, hand-computed cases, degenerate input."""

from __future__ import annotations

import dataclasses
import inspect
import math

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve

from processors.performance.metrics import (
    ACCURACY,
    BENCHMARKS,
    DEFAULT_LOG_LOSS_EPS,
    ERROR_RATE,
    LATENCY_P95_MS,
    Threshold,
    accuracy,
    average_ranks,
    confusion_matrix,
    expected_calibration_error,
    f1_score,
    log_loss,
    mean_absolute_error,
    mean_absolute_percentage_error,
    precision,
    precision_recall_f1,
    r2_score,
    recall,
    reliability_bins,
    roc_auc,
    roc_auc_ovr,
    root_mean_squared_error,
    status,
    top_label_reliability,
)

SIZES = [7, 40, 500, 3000]
SEEDS = [0, 1, 2]
ORACLE_CASES = [(size, seed) for size in SIZES for seed in SEEDS]


def sk_log_loss(y_true, y_proba, **options) -> float:
    # scikit-learn 1.9 renamed y_pred to y_proba and warns on the old name; older versions lack y_proba.
    if "y_proba" in inspect.signature(skm.log_loss).parameters:
        return skm.log_loss(y_true, y_proba=y_proba, **options)
    return skm.log_loss(y_true, y_proba, **options)


def noisy_labels(rng: np.random.Generator, size: int, classes: int) -> tuple[np.ndarray, np.ndarray]:
    truth = rng.integers(0, classes, size)
    flip = rng.random(size) < 0.3
    predicted = np.where(flip, rng.integers(0, classes, size), truth)
    return truth, predicted


def binary_with_both_classes(rng: np.random.Generator, size: int) -> np.ndarray:
    truth = rng.integers(0, 2, size)
    truth[:2] = [0, 1]
    return truth


# --- classification against scikit-learn ------------------------------------------------------------


@pytest.mark.parametrize(("size", "seed"), ORACLE_CASES)
@pytest.mark.parametrize("classes", [2, 4])
def test_accuracy_and_confusion_matrix_match_sklearn(size: int, seed: int, classes: int) -> None:
    rng = np.random.default_rng(seed)
    truth, predicted = noisy_labels(rng, size, classes)
    assert accuracy(truth, predicted) == pytest.approx(skm.accuracy_score(truth, predicted), abs=1e-12)
    order = rng.permutation(classes)
    ours = confusion_matrix(truth, predicted, labels=order)
    assert ours.labels == tuple(order.tolist())
    np.testing.assert_array_equal(ours.counts, skm.confusion_matrix(truth, predicted, labels=order))


@pytest.mark.parametrize(("size", "seed"), ORACLE_CASES)
@pytest.mark.parametrize("zero_division", [0.0, 1.0, math.nan])
def test_binary_precision_recall_f1_match_sklearn(size: int, seed: int, zero_division: float) -> None:
    rng = np.random.default_rng(seed)
    truth, predicted = noisy_labels(rng, size, 2)
    for pos_label in (0, 1):
        ours = precision_recall_f1(
            truth, predicted, "binary", pos_label=pos_label, zero_division=zero_division
        )
        expected = skm.precision_recall_fscore_support(
            truth, predicted, average="binary", pos_label=pos_label, zero_division=zero_division
        )
        np.testing.assert_allclose([ours.precision, ours.recall, ours.f1], expected[:3], rtol=1e-12)


@pytest.mark.parametrize(("size", "seed"), ORACLE_CASES)
@pytest.mark.parametrize("average", ["macro", "weighted"])
@pytest.mark.parametrize("zero_division", [0.0, 1.0, math.nan])
def test_averaged_precision_recall_f1_match_sklearn(
    size: int, seed: int, average: str, zero_division: float
) -> None:
    rng = np.random.default_rng(seed)
    # Five classes over as few as 7 samples: some labels never predicted, so zero_division is exercised.
    truth, predicted = noisy_labels(rng, size, 5)
    ours = precision_recall_f1(truth, predicted, average, zero_division=zero_division)
    expected = skm.precision_recall_fscore_support(
        truth, predicted, average=average, zero_division=zero_division
    )
    np.testing.assert_allclose([ours.precision, ours.recall, ours.f1], expected[:3], rtol=1e-12)


def test_averaged_scores_with_explicit_labels_match_sklearn() -> None:
    truth = ["cat", "dog", "dog", "bird", "cat", "dog"]
    predicted = ["cat", "cat", "dog", "dog", "cat", "bird"]
    labels = ["dog", "cat", "bird"]
    for average in ("macro", "weighted"):
        ours = precision_recall_f1(truth, predicted, average, labels=labels)
        expected = skm.precision_recall_fscore_support(
            truth, predicted, average=average, labels=labels, zero_division=0.0
        )
        np.testing.assert_allclose([ours.precision, ours.recall, ours.f1], expected[:3], rtol=1e-12)
        assert [scores.label for scores in ours.per_class] == labels


def test_string_pos_label_and_shortcuts() -> None:
    truth = ["spam", "ham", "spam", "spam", "ham"]
    predicted = ["spam", "spam", "ham", "spam", "ham"]
    # TP = 2, FP = 1, FN = 1.
    assert precision(truth, predicted, pos_label="spam") == pytest.approx(2 / 3)
    assert recall(truth, predicted, pos_label="spam") == pytest.approx(2 / 3)
    assert f1_score(truth, predicted, pos_label="spam") == pytest.approx(2 / 3)
    expected = skm.precision_recall_fscore_support(truth, predicted, average="binary", pos_label="spam")
    assert f1_score(truth, predicted, pos_label="spam") == pytest.approx(expected[2])


# --- classification by hand and degenerate cases ------------------------------------------------------


def test_hand_computed_multiclass_example() -> None:
    truth = [0, 0, 1, 1, 1, 2]
    predicted = [0, 1, 1, 1, 2, 2]
    matrix = confusion_matrix(truth, predicted)
    np.testing.assert_array_equal(matrix.counts, [[1, 1, 0], [0, 2, 1], [0, 0, 1]])
    assert matrix.count(1, 2) == 1
    assert accuracy(truth, predicted) == pytest.approx(4 / 6)
    # per class precision 1, 2/3, 1/2; recall 1/2, 2/3, 1; F1 2/3, 2/3, 2/3; supports 2, 3, 1.
    macro = precision_recall_f1(truth, predicted, "macro")
    assert macro.precision == pytest.approx((1 + 2 / 3 + 1 / 2) / 3)
    assert macro.recall == pytest.approx((1 / 2 + 2 / 3 + 1) / 3)
    assert macro.f1 == pytest.approx(2 / 3)
    weighted = precision_recall_f1(truth, predicted, "weighted")
    assert weighted.precision == pytest.approx((2 * 1 + 3 * 2 / 3 + 1 * 1 / 2) / 6)
    assert [scores.support for scores in weighted.per_class] == [2, 3, 1]


def test_confusion_matrix_ignores_labels_outside_the_order_and_is_read_only() -> None:
    matrix = confusion_matrix([0, 1, 2, 2], [0, 2, 2, 1], labels=[2, 0])
    np.testing.assert_array_equal(matrix.counts, [[1, 0], [0, 1]])
    with pytest.raises(ValueError):
        matrix.counts[0, 0] = 5
    with pytest.raises(dataclasses.FrozenInstanceError):
        matrix.labels = (0,)  # type: ignore[misc]


def test_no_positives_uses_zero_division() -> None:
    truth = [0, 0, 0]
    predicted = [0, 0, 0]
    assert recall(truth, predicted) == 0.0
    assert precision(truth, predicted) == 0.0
    assert math.isnan(f1_score(truth, predicted, zero_division=math.nan))
    assert f1_score(truth, predicted, zero_division=1.0) == 1.0


def test_macro_over_only_undefined_labels_is_nan() -> None:
    result = precision_recall_f1([0, 0], [0, 0], "macro", labels=[1, 2], zero_division=math.nan)
    assert math.isnan(result.precision) and math.isnan(result.recall) and math.isnan(result.f1)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: accuracy([], []), "empty"),
        (lambda: accuracy([1, 0], [1]), "length"),
        (lambda: precision_recall_f1([0, 1, 2], [0, 1, 2]), "at most two labels"),
        (lambda: precision_recall_f1(["a", "b"], ["a", "b"], pos_label=1), "pos_label"),
        (lambda: precision_recall_f1([0, 1], [0, 1], "micro"), "average"),  # type: ignore[arg-type]
        (lambda: precision_recall_f1([0, 1], [0, 1], zero_division=0.5), "zero_division"),
        (lambda: confusion_matrix([0, 1], [0, 1], labels=[0, 0]), "duplicates"),
        (lambda: confusion_matrix([0, 1], [0, 1], labels=[]), "non-empty"),
    ],
)
def test_classification_input_errors(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# --- AUC-ROC ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "seed"), ORACLE_CASES)
@pytest.mark.parametrize("decimals", [None, 1])
def test_binary_auc_matches_sklearn(size: int, seed: int, decimals: int | None) -> None:
    rng = np.random.default_rng(seed)
    truth = binary_with_both_classes(rng, size)
    scores = rng.normal(size=size) + 0.8 * truth
    if decimals is not None:  # rounding creates many tied scores, also across the classes
        scores = np.round(scores, decimals)
    assert roc_auc(truth, scores) == pytest.approx(skm.roc_auc_score(truth, scores), abs=1e-12)
    assert roc_auc(truth, scores, pos_label=0) == pytest.approx(
        1 - skm.roc_auc_score(truth, scores), abs=1e-12
    )


@pytest.mark.parametrize(("size", "seed"), [(size, seed) for size in SIZES[1:] for seed in SEEDS])
@pytest.mark.parametrize("tied", [False, True])
def test_ovr_macro_auc_matches_sklearn(size: int, seed: int, tied: bool) -> None:
    rng = np.random.default_rng(seed)
    classes = 4
    truth = rng.integers(0, classes, size)
    truth[:classes] = np.arange(classes)
    if tied:  # rows drawn from a small palette, so every column has heavy ties
        palette = rng.dirichlet(np.ones(classes), 6)
        proba = palette[rng.integers(0, 6, size)]
    else:
        proba = rng.dirichlet(np.ones(classes), size)
        proba[np.arange(size), truth] += 0.5
        proba /= proba.sum(axis=1, keepdims=True)
    ours = roc_auc_ovr(truth, proba)
    expected = skm.roc_auc_score(truth, proba, multi_class="ovr", average="macro")
    assert ours.macro == pytest.approx(expected, abs=1e-12)
    per_class = skm.roc_auc_score(truth, proba, multi_class="ovr", average=None)
    np.testing.assert_allclose(ours.per_class, per_class, atol=1e-12)


def test_auc_hand_computed_with_ties() -> None:
    # Positives 0.8, 0.4; negatives 0.4, 0.1. Pairs: (0.8>0.4) (0.8>0.1) (0.4=0.4 → ½) (0.4>0.1) → 3.5/4.
    assert roc_auc([1, 1, 0, 0], [0.8, 0.4, 0.4, 0.1]) == pytest.approx(0.875)
    assert roc_auc([1, 0], [0.3, 0.3]) == pytest.approx(0.5)
    np.testing.assert_allclose(average_ranks(np.array([3.0, 1.0, 3.0, 2.0])), [3.5, 1.0, 3.5, 2.0])


def test_auc_undefined_without_both_classes() -> None:
    assert math.isnan(roc_auc([1, 1, 1], [0.2, 0.5, 0.9]))
    assert math.isnan(roc_auc([0, 0], [0.2, 0.5]))
    result = roc_auc_ovr([0, 1, 0], [[0.7, 0.2, 0.1], [0.2, 0.7, 0.1], [0.5, 0.3, 0.2]], labels=[0, 1, 2])
    assert math.isnan(result.per_class[2]) and math.isnan(result.macro)
    assert result.per_class[0] == pytest.approx(1.0)


def test_auc_input_errors() -> None:
    with pytest.raises(ValueError, match="empty"):
        roc_auc([], [])
    with pytest.raises(ValueError, match="NaN"):
        roc_auc([0, 1], [0.1, math.nan])
    with pytest.raises(ValueError, match="at most two labels"):
        roc_auc([0, 1, 2], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="columns"):
        roc_auc_ovr([0, 1, 2], [[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]])
    with pytest.raises(ValueError, match="not in labels"):
        roc_auc_ovr([0, 1, 5], np.full((3, 2), 0.5), labels=[0, 1])


# --- log loss -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "seed"), ORACLE_CASES)
def test_log_loss_matches_sklearn(size: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    truth = binary_with_both_classes(rng, size)
    positive = rng.random(size)
    positive[-2:] = [0.0, 1.0]  # exercise the clipping at both ends
    assert log_loss(truth, positive) == pytest.approx(sk_log_loss(truth, positive), rel=1e-12)
    labels = np.array(["a", "b", "c"])
    classes = labels[rng.integers(0, 3, size)]
    proba = rng.dirichlet(np.ones(3), size)
    proba[0] = [1.0, 0.0, 0.0]
    expected = sk_log_loss(classes, proba, labels=labels)
    assert log_loss(classes, proba, labels=labels) == pytest.approx(expected, rel=1e-12)


def test_log_loss_hand_computed_and_clipping() -> None:
    assert log_loss([1, 0], [0.8, 0.4]) == pytest.approx(-(math.log(0.8) + math.log(0.6)) / 2)
    assert log_loss([1], [0.0], labels=[0, 1]) == pytest.approx(-math.log(DEFAULT_LOG_LOSS_EPS))
    assert log_loss([1], [0.0], labels=[0, 1], eps=1e-3) == pytest.approx(-math.log(1e-3))
    assert log_loss([1], [1.0], labels=[0, 1], eps=0.0) == 0.0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: log_loss([], []), "empty"),
        (lambda: log_loss([0, 1], [0.2, 1.2]), r"\[0, 1\]"),
        (lambda: log_loss([0, 1], [[0.2, 0.2], [0.5, 0.5]]), "sum to one"),
        (lambda: log_loss([1, 1], [0.2, 0.7]), "exactly two labels"),
        (lambda: log_loss([0, 1, 2], [[0.5, 0.5]] * 3), "does not match"),
        (lambda: log_loss([0, 3], [[0.5, 0.5]] * 2, labels=[0, 1]), "not in labels"),
        (lambda: log_loss([0, 1], [0.5, 0.5], eps=0.5), "eps"),
    ],
)
def test_log_loss_input_errors(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# --- calibration --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "seed"), ORACLE_CASES)
@pytest.mark.parametrize("n_bins", [1, 5, 10, 15])
@pytest.mark.parametrize("on_edges", [False, True])
def test_reliability_bins_match_sklearn_uniform(size: int, seed: int, n_bins: int, on_edges: bool) -> None:
    rng = np.random.default_rng(seed)
    probabilities = rng.random(size)
    if on_edges:  # many values exactly on bin edges (0.0, 0.1, ..., 1.0)
        probabilities = np.round(probabilities, 1)
    truth = (rng.random(size) < probabilities).astype(int)
    truth[:2] = [0, 1]
    ours = reliability_bins(truth, probabilities, n_bins=n_bins)
    prob_true, prob_pred = calibration_curve(truth, probabilities, n_bins=n_bins, strategy="uniform")
    filled = [item for item in ours.bins if item.count > 0]
    np.testing.assert_allclose([item.observed_frequency for item in filled], prob_true, rtol=1e-12)
    np.testing.assert_allclose([item.mean_predicted for item in filled], prob_pred, rtol=1e-12)
    assert len(ours.bins) == n_bins
    assert sum(item.count for item in ours.bins) == ours.count == size
    expected_ece = sum(
        item.count / size * abs(item.observed_frequency - item.mean_predicted) for item in filled
    )
    assert ours.expected_calibration_error == pytest.approx(expected_ece, abs=1e-12)


def test_reliability_hand_computed() -> None:
    # Two bins: [0, 0.5] holds 0.1, 0.3, 0.5 (outcomes 0, 1, 0); (0.5, 1] holds 0.9 (outcome 1).
    result = reliability_bins([0, 1, 0, 1], [0.1, 0.3, 0.5, 0.9], n_bins=2)
    low, high = result.bins
    assert (low.lower, low.upper, low.count, high.count) == (0.0, 0.5, 3, 1)
    assert low.mean_predicted == pytest.approx(0.3)
    assert low.observed_frequency == pytest.approx(1 / 3)
    assert high.observed_frequency == 1.0
    ece = 3 / 4 * abs(1 / 3 - 0.3) + 1 / 4 * abs(1.0 - 0.9)
    assert result.expected_calibration_error == pytest.approx(ece)
    assert expected_calibration_error([0, 1, 0, 1], [0.1, 0.3, 0.5, 0.9], n_bins=2) == pytest.approx(ece)


def test_reliability_empty_bins_are_nan_and_perfect_calibration_is_zero() -> None:
    result = reliability_bins([0, 1], [0.0, 1.0], n_bins=4)
    assert [item.count for item in result.bins] == [1, 0, 0, 1]
    assert math.isnan(result.bins[1].mean_predicted) and math.isnan(result.bins[1].observed_frequency)
    assert result.expected_calibration_error == 0.0


def test_top_label_reliability_hand_computed() -> None:
    proba = [[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.2, 0.2, 0.6], [0.9, 0.05, 0.05]]
    truth = ["a", "b", "a", "a"]
    result = top_label_reliability(truth, proba, labels=["a", "b", "c"], n_bins=2)
    # Confidences 0.7, 0.6, 0.6, 0.9 all in (0.5, 1]; correct: yes, yes, no, yes.
    assert [item.count for item in result.bins] == [0, 4]
    assert result.bins[1].mean_predicted == pytest.approx(0.7)
    assert result.bins[1].observed_frequency == pytest.approx(0.75)
    assert result.expected_calibration_error == pytest.approx(0.05)


def test_calibration_input_errors() -> None:
    with pytest.raises(ValueError, match="empty"):
        reliability_bins([], [])
    with pytest.raises(ValueError, match="n_bins"):
        reliability_bins([0, 1], [0.2, 0.4], n_bins=0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        reliability_bins([0, 1], [0.2, 1.4])
    with pytest.raises(ValueError, match="at most two labels"):
        reliability_bins([0, 1, 2], [0.2, 0.4, 0.5])
    with pytest.raises(ValueError, match="columns"):
        top_label_reliability([0, 1, 2], [[0.5, 0.5]] * 3)


# --- regression ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "seed"), ORACLE_CASES)
def test_regression_metrics_match_sklearn(size: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    truth = rng.normal(10.0, 4.0, size)
    truth[truth == 0.0] = 1.0
    predicted = truth + rng.normal(0.0, 2.0, size)
    assert mean_absolute_error(truth, predicted) == pytest.approx(skm.mean_absolute_error(truth, predicted))
    expected_rmse = math.sqrt(skm.mean_squared_error(truth, predicted))
    assert root_mean_squared_error(truth, predicted) == pytest.approx(expected_rmse, rel=1e-12)
    assert r2_score(truth, predicted) == pytest.approx(skm.r2_score(truth, predicted), rel=1e-10)
    mape = mean_absolute_percentage_error(truth, predicted)
    expected_mape = skm.mean_absolute_percentage_error(truth, predicted)
    assert mape.value == pytest.approx(expected_mape, rel=1e-12)
    assert (mape.used, mape.excluded_zero_targets) == (size, 0)


def test_regression_hand_computed() -> None:
    truth, predicted = [1.0, 2.0, 4.0], [2.0, 2.0, 1.0]
    assert mean_absolute_error(truth, predicted) == pytest.approx(4 / 3)
    assert root_mean_squared_error(truth, predicted) == pytest.approx(math.sqrt(10 / 3))
    # mean 7/3, total sum of squares 14/3, residual sum 10 → 1 − 10 / (14/3).
    assert r2_score(truth, predicted) == pytest.approx(1 - 30 / 14)
    assert mean_absolute_percentage_error(truth, predicted).value == pytest.approx((1 + 0 + 0.75) / 3)


def test_mape_excludes_zero_targets() -> None:
    result = mean_absolute_percentage_error([0.0, 2.0, 0.0, 4.0], [1.0, 1.0, 3.0, 5.0])
    assert result.value == pytest.approx((0.5 + 0.25) / 2)
    assert (result.used, result.excluded_zero_targets) == (2, 2)
    # scikit-learn divides by machine epsilon instead, so the zero targets dominate its value.
    assert skm.mean_absolute_percentage_error([0.0, 2.0, 0.0, 4.0], [1.0, 1.0, 3.0, 5.0]) > 1e15
    only_zeros = mean_absolute_percentage_error([0.0, 0.0], [1.0, 2.0])
    assert math.isnan(only_zeros.value)
    assert (only_zeros.used, only_zeros.excluded_zero_targets) == (0, 2)


def test_r2_is_nan_for_constant_targets() -> None:
    assert math.isnan(r2_score([3.0, 3.0, 3.0], [3.0, 3.0, 3.0]))
    assert math.isnan(r2_score([3.0, 3.0], [1.0, 2.0]))
    assert math.isnan(r2_score([5.0], [4.0]))


def test_regression_input_errors() -> None:
    with pytest.raises(ValueError, match="empty"):
        mean_absolute_error([], [])
    with pytest.raises(ValueError, match="length"):
        root_mean_squared_error([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="NaN"):
        r2_score([1.0, math.inf], [1.0, 2.0])
    with pytest.raises(ValueError, match="1-D"):
        mean_absolute_percentage_error([[1.0]], [[1.0]])


# --- status -------------------------------------------------------------------------------------------


def test_benchmark_table_defaults() -> None:
    table = {name: (t.baseline, t.warning, t.critical, t.higher_is_better) for name, t in BENCHMARKS.items()}
    assert table == {
        "accuracy": (0.945, 0.92, 0.90, True),
        "precision": (0.912, 0.88, 0.85, True),
        "recall": (0.938, 0.90, 0.87, True),
        "f1": (0.925, 0.90, 0.87, True),
        "latency_p95_ms": (85.0, 150.0, 250.0, False),
        "error_rate": (0.005, 0.02, 0.05, False),
    }
    with pytest.raises(TypeError):
        BENCHMARKS["accuracy"] = ACCURACY  # type: ignore[index]


@pytest.mark.parametrize("name", ["accuracy", "precision", "recall", "f1"])
def test_higher_is_better_boundaries(name: str) -> None:
    threshold = BENCHMARKS[name]
    step = 1e-9
    assert threshold.status(threshold.baseline) == "ok"
    assert threshold.status(threshold.warning) == "ok"  # "< 92%" is strict
    assert threshold.status(threshold.warning - step) == "warning"
    assert threshold.status(threshold.critical) == "warning"
    assert threshold.status(threshold.critical - step) == "critical"
    assert threshold.status(1.0) == "ok"


@pytest.mark.parametrize("threshold", [LATENCY_P95_MS, ERROR_RATE])
def test_lower_is_better_boundaries(threshold: Threshold) -> None:
    step = 1e-9
    assert threshold.status(0.0) == "ok"
    assert threshold.status(threshold.warning) == "ok"  # "> 150ms" is strict
    assert threshold.status(threshold.warning + step) == "warning"
    assert threshold.status(threshold.critical) == "warning"
    assert threshold.status(threshold.critical + step) == "critical"


def test_status_function_matches_examples() -> None:
    assert status(0.93, 0.945, 0.92, 0.90) == "ok"
    assert status(0.91, 0.945, 0.92, 0.90) == "warning"
    assert status(0.85, 0.945, 0.92, 0.90) == "critical"
    assert status(120.0, 85.0, 150.0, 250.0, higher_is_better=False) == "ok"
    assert status(200.0, 85.0, 150.0, 250.0, higher_is_better=False) == "warning"
    assert status(0.06, 0.005, 0.02, 0.05, higher_is_better=False) == "critical"


def test_status_rejects_nan_and_unordered_thresholds() -> None:
    with pytest.raises(ValueError, match="value is NaN"):
        status(math.nan, 0.945, 0.92, 0.90)
    with pytest.raises(ValueError, match="critical <= warning <= baseline"):
        status(0.9, 0.945, 0.90, 0.92)
    with pytest.raises(ValueError, match="baseline <= warning <= critical"):
        status(100.0, 85.0, 250.0, 150.0, higher_is_better=False)
