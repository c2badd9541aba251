"""BaselineBuilder: column roles, chunking, late and absent columns, the JSON round trip."""

from __future__ import annotations

import json

import numpy as np
import pytest

from processors.drift.baseline import BaselineBuilder, BaselineProfile, ColumnRoles, ProfileOptions
from processors.drift.profile import FeatureType, ProfileBuilder


def _columns(rng: np.random.Generator, rows: int) -> dict:
    return {
        "id": [f"tx-{index}" for index in range(rows)],
        "amount": rng.lognormal(3.0, 1.0, rows),
        "country": list(rng.choice(["DE", "FR", "US"], rows)),
        "label": list(rng.choice([0, 1], rows)),
        "proba": rng.uniform(0.5, 1.0, rows),
    }


def test_roles_split_features_predictions_and_confidence():
    columns = _columns(np.random.default_rng(1), 3000)
    roles = ColumnRoles(prediction="label", confidence="proba", exclude=("id",))
    profile = BaselineBuilder(roles).add(columns, 3000).build()
    assert [feature.name for feature in profile.features] == ["amount", "country"]
    assert profile.feature("amount").feature_type is FeatureType.NUMERIC
    assert profile.feature("country").feature_type is FeatureType.CATEGORICAL
    classes = profile.predictions.classes
    assert classes is not None and classes.feature_type is FeatureType.CATEGORICAL
    assert dict(classes.categories.top) == {
        str(label): int(np.sum(np.array(columns["label"]) == label)) for label in (0, 1)
    }
    assert profile.predictions.values is None
    assert profile.predictions.confidence.numeric.moments.mean == pytest.approx(np.mean(columns["proba"]))
    assert profile.rows == 3000


@pytest.mark.parametrize(
    ("values", "kind", "expected"),
    [
        ([0.25, 1.5, 3.0], "auto", "values"),  # a fraction: a regression output
        ([0, 1, 2, 1], "auto", "classes"),  # integers: class labels
        (["cat", "dog", "cat"], "auto", "classes"),
        ([0, 1, 2, 1], "value", "values"),
        ([0.25, 1.5, 3.0], "class", "classes"),
    ],
)
def test_the_prediction_kind(values, kind, expected):
    roles = ColumnRoles(prediction_kind=kind)
    profile = (
        BaselineBuilder(roles).add({"prediction": values, "x": [1.0] * len(values)}, len(values)).build()
    )
    outputs = {"classes": profile.predictions.classes, "values": profile.predictions.values}
    assert outputs[expected] is not None
    assert [key for key, value in outputs.items() if value is not None] == [expected]


def test_chunks_give_the_one_shot_profile_and_absent_columns_count_as_missing():
    rng = np.random.default_rng(2)
    columns = _columns(rng, 4000)
    whole = BaselineBuilder().add(columns, 4000).build()
    chunked = BaselineBuilder()
    for start in range(0, 4000, 1000):
        chunked.add({name: values[start : start + 1000] for name, values in columns.items()}, 1000)
    for one, other in zip(chunked.build().features, whole.features, strict=True):
        assert (one.name, one.count, one.missing, one.reservoir) == (
            other.name,
            other.count,
            other.missing,
            other.reservoir,
        )
        assert one.categories == other.categories
        if one.numeric is not None:
            assert one.numeric.bin_edges == other.numeric.bin_edges  # every value kept: exact quantiles
            assert one.numeric.moments.mean == pytest.approx(other.numeric.moments.mean, rel=1e-12)
            assert one.numeric.moments.std == pytest.approx(other.numeric.moments.std, rel=1e-12)

    late = BaselineBuilder()
    late.add({"a": [1.0, 2.0]}, 2)
    late.add({"a": [3.0], "b": ["x"]}, 1)  # b first seen in the second chunk
    late.add({"b": ["y"]}, 1)  # a absent from the third
    profile = late.build()
    assert (profile.feature("a").count, profile.feature("a").missing) == (4, 1)
    assert (profile.feature("b").count, profile.feature("b").missing) == (4, 2)


def test_round_trip_through_json():
    columns = _columns(np.random.default_rng(3), 500)
    profile = BaselineBuilder(ColumnRoles(prediction="label", confidence="proba")).add(columns, 500).build()
    assert BaselineProfile.from_dict(json.loads(json.dumps(profile.to_dict()))) == profile


def test_bad_input_is_an_error():
    with pytest.raises(ValueError, match="column 'a' has 2 values in a chunk of 3 rows"):
        BaselineBuilder().add({"a": [1, 2]}, 3)
    with pytest.raises(ValueError, match="no rows"):
        BaselineBuilder().build()
    with pytest.raises(ValueError, match="prediction kind"):
        ColumnRoles(prediction_kind="regression")


def test_numeric_arrays_take_the_vectorised_path_with_the_same_result():
    rng = np.random.default_rng(4)
    values = rng.normal(5.0, 2.0, 20_000)
    values[::97] = np.nan
    values[5] = np.inf
    options = {"bins": 10, "top_k": 20, "reservoir_size": 500, "seed": 3}
    fast = ProfileBuilder("x", **options)
    slow = ProfileBuilder("x", **options)
    for start in range(0, 20_000, 5000):
        fast.add(values[start : start + 5000])
        slow.add([float(value) for value in values[start : start + 5000]])
    fast_profile, slow_profile = fast.build(), slow.build()
    assert fast_profile.feature_type is FeatureType.NUMERIC
    assert fast_profile.reservoir == slow_profile.reservoir
    assert (fast_profile.count, fast_profile.missing) == (slow_profile.count, slow_profile.missing)
    assert fast_profile.numeric.bin_edges == slow_profile.numeric.bin_edges
    assert fast_profile.numeric.moments.mean == pytest.approx(slow_profile.numeric.moments.mean, rel=1e-12)
    # integer arrays of 0 and 1 are booleans, as detect_type says
    flags = ProfileBuilder("flag").add(np.array([0, 1, 1, 0])).build()
    assert flags.feature_type is FeatureType.BOOLEAN
    assert dict(flags.categories.top) == {"false": 2, "true": 2}


def test_options_reach_every_profile():
    columns = {"x": list(range(100)), "c": [f"c{index % 30}" for index in range(100)]}
    profile = (
        BaselineBuilder(options=ProfileOptions(bins=4, top_k=5, reservoir_size=10)).add(columns, 100).build()
    )
    assert len(profile.feature("x").numeric.bin_edges) == 3
    assert len(profile.feature("c").categories.top) == 5
    assert len(profile.feature("x").reservoir) == 10
