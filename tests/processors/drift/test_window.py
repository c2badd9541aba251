"""Window summaries: the in-memory path against numpy, and the shaping of ClickHouse's rows.

``numeric_windows`` merges per-bin rows (count, mean, population variance, min, max, sample) the
way numeric_bins.sql returns them; the merged moments must equal numpy's over all values. The SQL
itself is checked against the same numpy values in tests/e2e/test_drift_window.py.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from processors.drift.baseline import BaselineBuilder
from processors.drift.profile import FeatureType
from processors.drift.window import summarize_categories, summarize_numeric
from processors.drift.window_queries import (
    PADDING_EDGE,
    categorical_windows,
    grid_parameter,
    numeric_windows,
    query_text,
)


def test_summarize_numeric_equals_numpy():
    rng = np.random.default_rng(1)
    baseline = BaselineBuilder().add({"x": rng.normal(0, 1, 5000)}, 5000).build()
    profile = baseline.feature("x")
    current = rng.normal(0.5, 2.0, 9000)
    current[:10] = np.nan
    window = summarize_numeric(profile, current, 1000, np.random.default_rng(0))
    finite = current[np.isfinite(current)]
    edges = np.array(profile.numeric.bin_edges)
    assert window.present == finite.size
    assert window.bin_counts == tuple(np.bincount(np.searchsorted(edges, finite), minlength=edges.size + 1))
    assert window.mean == pytest.approx(finite.mean())
    assert window.variance == pytest.approx(finite.var())
    moments = profile.numeric.moments
    assert window.out_of_range == np.count_nonzero((finite < moments.min) | (finite > moments.max))
    assert len(window.sample) == 1000 and set(window.sample) <= set(finite.tolist())


def test_summarize_categories_labels_like_the_profile():
    window = summarize_categories(np.array(["a", "b", "a", "", "a"], dtype=object), FeatureType.CATEGORICAL)
    assert (dict(window.counts), window.present, window.distinct) == ({"a": 3, "b": 1}, 4, 2)
    booleans = summarize_categories([True, "false", 1, 0.0, None, "TRUE"], FeatureType.BOOLEAN)
    assert dict(booleans.counts) == {"true": 3, "false": 2}


def test_per_bin_rows_merge_into_the_moments_of_all_values():
    rng = np.random.default_rng(2)
    values = rng.gamma(2.0, 3.0, 10_000)
    edges = (2.0, 4.0, 8.0)
    low, high = 0.5, 15.0
    bins = np.searchsorted(np.array(edges), values)
    codes = bins * 4 + (values < low) + (values > high) * 2
    rows = [
        {
            "name": "x",
            "code": int(code),
            "n": str(int(np.sum(codes == code))),  # JSONEachRow quotes 64-bit integers
            "mean": float(values[codes == code].mean()),
            "variance": float(values[codes == code].var()),
            "low": float(values[codes == code].min()),
            "high": float(values[codes == code].max()),
            "sample": values[codes == code][:50].tolist(),
        }
        for code in np.unique(codes)
    ]
    (window,) = numeric_windows({"x": (edges, low, high)}, rows, 120, np.random.default_rng(0)).values()
    assert window.present == values.size
    assert window.bin_counts == tuple(np.bincount(bins, minlength=4))
    assert window.mean == pytest.approx(values.mean(), rel=1e-12)
    assert window.variance == pytest.approx(values.var(), rel=1e-10)
    assert (window.min, window.max) == (values.min(), values.max())
    assert window.out_of_range == np.count_nonzero((values < low) | (values > high))
    assert len(window.sample) == 120  # thinned to sample_size


def test_category_rows_keep_the_unlisted_rest_as_other():
    rows = [
        {"name": "c", "value": "a", "n": "70", "present": "100", "labels": "4"},
        {"name": "c", "value": "b", "n": "20", "present": "100", "labels": "4"},
    ]
    window = categorical_windows(rows)["c"]
    assert (dict(window.counts), window.other, window.present, window.distinct) == (
        {"a": 70, "b": 20},
        10,
        100,
        4,
    )


def test_the_grid_parameter_pads_shorter_columns():
    document, width = grid_parameter({"b": ((1.0,), 0.0, 2.0), "a": ((1.0, 2.0, 3.0), -1.0, 9.0)})
    assert width == 3
    assert json.loads(document) == {
        "names": ["a", "b"],
        "edges": [[1.0, 1.0], [2.0, PADDING_EDGE], [3.0, PADDING_EDGE]],
        "min": [-1.0, 0.0],
        "max": [9.0, 2.0],
    }
    sql = query_text("numeric_bins", 3)
    assert "(value > edges[1][i]) + (value > edges[2][i]) + (value > edges[3][i])" in sql
    assert "$" not in sql
