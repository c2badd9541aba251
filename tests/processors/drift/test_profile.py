from __future__ import annotations

import json
import math
from datetime import datetime, timezone

import numpy as np
import pytest
from scipy import stats

from processors.drift.profile import (
    OTHER_CATEGORY,
    QUANTILE_PROBABILITIES,
    FeatureProfile,
    FeatureType,
    PredictionProfile,
    ProfileBuilder,
    detect_type,
    profile_column,
    profile_predictions,
)
from processors.drift.stats import bin_counts, quantile_bin_edges


def _numeric_column() -> list[float | None]:
    rng = np.random.default_rng(7)
    values: list[float | None] = [float(value) for value in rng.normal(3.0, 2.0, 5000)]
    for index in range(0, 5000, 50):
        values[index] = None
    values[1] = math.nan
    values[2] = math.inf
    return values


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([True, False, None], FeatureType.BOOLEAN),
        ([0, 1, 1, 0], FeatureType.BOOLEAN),
        (["true", "False", ""], FeatureType.BOOLEAN),
        ([1.5, 2, None, math.nan], FeatureType.NUMERIC),
        (["1.5", "2e3", ""], FeatureType.NUMERIC),
        ([0, 1, 2], FeatureType.NUMERIC),
        (["2024-01-01", "2024-02-03T04:05:06+00:00", None], FeatureType.DATETIME),
        ([datetime(2024, 1, 1)], FeatureType.DATETIME),
        (["red", "green", "red", "blue"], FeatureType.CATEGORICAL),
        ([f"a long free text comment number {index}" for index in range(10)], FeatureType.TEXT),
        (["the same long sentence repeated here"] * 10, FeatureType.CATEGORICAL),
        ([None, "", math.nan], FeatureType.CATEGORICAL),
        (["1", "x"], FeatureType.CATEGORICAL),
    ],
)
def test_detect_type(values, expected):
    assert detect_type(values) is expected


def test_numeric_profile_matches_numpy():
    values = _numeric_column()
    profile = profile_column("x", values)
    array = np.array([math.nan if value is None else value for value in values])
    finite = array[np.isfinite(array)]
    assert profile.feature_type is FeatureType.NUMERIC
    assert profile.count == 5000
    assert profile.missing == 5000 - finite.size
    assert profile.missing_rate == pytest.approx((5000 - finite.size) / 5000)
    moments = profile.numeric.moments
    assert moments.count == finite.size
    assert moments.mean == pytest.approx(np.mean(finite), rel=1e-12)
    assert moments.std == pytest.approx(np.std(finite, ddof=0), rel=1e-12)
    assert (moments.min, moments.max) == (finite.min(), finite.max())
    np.testing.assert_allclose(profile.numeric.quantiles, np.quantile(finite, QUANTILE_PROBABILITIES))
    edges = quantile_bin_edges(finite, 10)
    np.testing.assert_allclose(profile.numeric.bin_edges, edges)
    np.testing.assert_allclose(profile.numeric.bin_shares, bin_counts(finite, edges) / finite.size)
    assert len(profile.numeric.bin_edges) == 9
    assert profile.numeric.exact
    assert profile.categories is None


def test_bins_configurable():
    profile = profile_column("x", list(range(100)), bins=4)
    np.testing.assert_allclose(profile.numeric.bin_edges, np.quantile(np.arange(100), [0.25, 0.5, 0.75]))
    np.testing.assert_allclose(profile.numeric.bin_shares, [0.25] * 4)


def test_categorical_top_k_with_other_and_tie_order():
    values = ["b"] * 3 + ["a"] * 3 + ["c"] * 2 + ["d", "e", None, ""]
    profile = profile_column("colour", values, top_k=3)
    assert profile.feature_type is FeatureType.CATEGORICAL
    assert profile.missing == 2
    assert profile.categories.top == (("a", 3), ("b", 3), ("c", 2))
    assert profile.categories.other == 2
    assert profile.categories.distinct == 5
    assert profile.categories.shares == {"a": 0.3, "b": 0.3, "c": 0.2, OTHER_CATEGORY: 0.2}
    assert profile.numeric is None


def test_boolean_profile_has_shares_and_true_rate():
    profile = profile_column("flag", [True, False, True, True, None])
    assert profile.feature_type is FeatureType.BOOLEAN
    assert profile.numeric.moments.mean == pytest.approx(0.75)
    assert profile.categories.top == (("true", 3), ("false", 1))


def test_datetime_profiled_as_epoch_seconds():
    values = ["2024-01-01T00:00:00+00:00", "2024-01-02", None]
    profile = profile_column("ts", values)
    start = datetime(2024, 1, 1, tzinfo=timezone.utc).timestamp()
    assert profile.feature_type is FeatureType.DATETIME
    assert profile.numeric.moments.min == start
    assert profile.numeric.moments.max == start + 86400
    assert profile.missing == 1


def test_free_text_has_length_stats_only():
    values = [f"free text comment with some words {index}" for index in range(20)] + [None]
    profile = profile_column("comment", values)
    lengths = np.array([len(value) for value in values[:-1]])
    assert profile.feature_type is FeatureType.TEXT
    assert profile.text_length.mean == pytest.approx(lengths.mean())
    assert profile.text_length.std == pytest.approx(lengths.std())
    assert profile.missing == 1
    assert profile.numeric is None and profile.categories is None and profile.reservoir == ()


def test_reservoir_bounded_and_deterministic():
    values = list(range(10_000))
    first = profile_column("x", values, reservoir_size=100, seed=3)
    again = profile_column("x", values, reservoir_size=100, seed=3)
    other = profile_column("x", values, reservoir_size=100, seed=4)
    assert len(first.reservoir) == 100
    assert first.reservoir == again.reservoir
    assert first.reservoir != other.reservoir
    assert set(first.reservoir) <= set(map(float, values))
    assert len(set(first.reservoir)) == 100
    assert profile_column("x", [1.0, 2.0], reservoir_size=100).reservoir == (1.0, 2.0)


@pytest.mark.parametrize("chunk_size", [1000, 100_000])
def test_reservoir_is_a_uniform_sample_of_every_chunk(chunk_size):
    # Values 0..99,999 added in chunks: a uniform sample has positions uniform on [0, 1) (KS against
    # the uniform distribution) and takes about 1% of each chunk-sized stretch, early and late alike.
    rows, size = 100_000, 1000
    p_values = []
    for seed in range(20):
        builder = ProfileBuilder("x", reservoir_size=size, seed=seed)
        for start in range(0, rows, chunk_size):
            builder.add(np.arange(start, min(start + chunk_size, rows), dtype=np.float64))
        sample = np.array(builder.build().reservoir) / rows
        assert len(sample) == len(set(sample)) == size
        p_values.append(stats.kstest(sample, "uniform").pvalue)
        assert 400 <= np.count_nonzero(sample < 0.5) <= 600
    # 20 seeds: with a uniform sample the p-values are uniform too, none should be tiny
    assert min(p_values) > 1e-3 and stats.kstest(p_values, "uniform").pvalue > 1e-3


@pytest.mark.parametrize("chunk_size", [1, 7, 333, 5000])
def test_chunked_equals_one_shot(chunk_size):
    values = _numeric_column()
    one_shot = profile_column("x", values, reservoir_size=50)
    builder = ProfileBuilder("x", FeatureType.NUMERIC, reservoir_size=50, exact_limit=None)
    for start in range(0, len(values), chunk_size):
        builder.add(values[start : start + chunk_size])
    chunked = builder.build()
    assert (chunked.count, chunked.missing, chunked.reservoir) == (
        one_shot.count,
        one_shot.missing,
        one_shot.reservoir,
    )
    moments, expected = chunked.numeric.moments, one_shot.numeric.moments
    assert (moments.count, moments.min, moments.max) == (expected.count, expected.min, expected.max)
    assert moments.mean == pytest.approx(expected.mean, rel=1e-12)
    assert moments.std == pytest.approx(expected.std, rel=1e-12)
    assert chunked.numeric.quantiles == one_shot.numeric.quantiles


def test_chunked_categories_equal_one_shot():
    values = [f"c{index % 37}" for index in range(2000)]
    builder = ProfileBuilder("c", reservoir_size=20)
    for start in range(0, 2000, 150):
        builder.add(values[start : start + 150])
    assert builder.build() == profile_column("c", values, reservoir_size=20)


def test_streaming_past_exact_limit_uses_reservoir():
    values = _numeric_column()
    builder = ProfileBuilder("x", reservoir_size=200, exact_limit=1000)
    for start in range(0, len(values), 500):
        builder.add(values[start : start + 500])
    profile = builder.build()
    reservoir = np.array(profile.reservoir)
    assert not profile.numeric.exact
    np.testing.assert_allclose(profile.numeric.quantiles, np.quantile(reservoir, QUANTILE_PROBABILITIES))


def test_chunk_with_wrong_type_is_an_error():
    builder = ProfileBuilder("x").add([1.0, 2.0])
    with pytest.raises(ValueError, match="'x'"):
        builder.add(["not a number"])


def test_profile_predictions():
    result = profile_predictions(
        classes=["cat", "dog", "cat", None], confidences=[0.9, 0.8, 0.7, 0.6], values=None
    )
    assert result.values is None
    assert result.classes.categories.shares == pytest.approx({"cat": 2 / 3, "dog": 1 / 3})
    assert result.confidence.numeric.moments.mean == pytest.approx(0.75)
    assert result.confidence.feature_type is FeatureType.NUMERIC


def test_round_trip_through_json():
    profiles = [
        profile_column("x", _numeric_column()),
        profile_column("c", ["a", "b", "a", None], top_k=1),
        profile_column("t", [f"free text comment with some words {index}" for index in range(20)]),
        profile_column("empty", [None, None]),
    ]
    for profile in profiles:
        data = json.loads(json.dumps(profile.to_dict(), allow_nan=False))
        assert FeatureProfile.from_dict(data) == profile
    predictions = profile_predictions(classes=[1, 2, 2], values=[0.5, 1.5, None])
    data = json.loads(json.dumps(predictions.to_dict(), allow_nan=False))
    assert PredictionProfile.from_dict(data) == predictions
