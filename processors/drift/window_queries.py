"""The current window of one model version, aggregated inside ClickHouse into a ``WindowSummary``.

Reads: ``ml_features`` through a ``Fetch`` callable (SQL and parameters in, JSONEachRow rows out),
so the gateway's evaluation (its own client) and ``inferwatch drift`` (the read-only query API or
session) run the same queries. The SQL lives in ``queries/*.sql`` beside this module. Writes:
nothing. Config: none; ``sample_size``, ``category_limit`` and ``seed`` are parameters.

Three queries: the number of events; one pass for every numeric column's counts in the baseline's
PSI bins with moments and a Bernoulli sample (for KS and Wasserstein); one pass for the counts per
category label. Every value travels as a bound parameter;
lists and maps travel as JSON strings (the query API binds scalars only).
Predictions are columns of their own; they join the feature maps under the reserved names below.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from functools import cache
from importlib import resources
from string import Template
from typing import Any

import numpy as np

from processors.drift.baseline import BaselineProfile
from processors.drift.profile import FeatureType
from processors.drift.window import CategoricalWindow, NumericWindow, WindowSummary

Fetch = Callable[[str, Mapping[str, Any]], list[dict[str, Any]]]

CLASS_COLUMN = "__prediction_class__"
VALUE_COLUMN = "__prediction_value__"
CONFIDENCE_COLUMN = "__confidence__"
DEFAULT_CATEGORY_LIMIT = 1000
PADDING_EDGE = 1e308  # pads a column with fewer edges; no finite value is above it in practice

WINDOW = (
    "ModelName = {model:String} AND ({version:String} = '' OR ModelVersion = {version:String})"
    " AND Timestamp >= fromUnixTimestamp64Nano({start:Int64})"
    " AND Timestamp < fromUnixTimestamp64Nano({end:Int64})"
)
NUMERIC_PAIRS = (
    "arrayConcat("
    "arrayZip(CAST(mapKeys(NumericFeatures), 'Array(String)'), mapValues(NumericFeatures)), "
    f"if(isNull(PredictionValue), [], [('{VALUE_COLUMN}', assumeNotNull(PredictionValue))]), "
    f"if(isNull(Confidence), [], [('{CONFIDENCE_COLUMN}', assumeNotNull(Confidence))]))"
)
# Datetime features arrive as text in CategoricalFeatures; parsed to epoch seconds (naive times as UTC,
# like ``processors.drift.profile`` reads them) they join the numeric pairs, unparsable text as NaN.
DATETIME_PAIRS = (
    "arrayMap(p -> (p.1, ifNull(toFloat64(parseDateTime64BestEffortOrNull(p.2, 6, 'UTC')), nan)), "
    "arrayFilter(p -> has(JSONExtract({datetimes:String}, 'Array(String)'), p.1), "
    "arrayZip(CAST(mapKeys(CategoricalFeatures), 'Array(String)'), mapValues(CategoricalFeatures))))"
)
CATEGORICAL_PAIRS = (
    "arrayConcat("
    "arrayZip(CAST(mapKeys(CategoricalFeatures), 'Array(String)'), mapValues(CategoricalFeatures)), "
    f"if(isNull(PredictionClass), [], [('{CLASS_COLUMN}', assumeNotNull(PredictionClass))]))"
)


@cache
def _template(name: str) -> Template:
    return Template(
        resources.files(__package__).joinpath("queries", f"{name}.sql").read_text(encoding="utf-8")
    )


def query_text(name: str, edge_positions: int = 1, *, datetimes: bool = False) -> str:
    """``queries/<name>.sql`` with the window condition, the column pairs and the bin sum filled in.

    ``$bin_sum`` adds one comparison per edge position, ``(value > edges[j][i])`` for j = 1 .. n;
    only integers built here reach the SQL text. ``datetimes``: the numeric pairs include the
    datetime features named by the ``{datetimes:String}`` parameter (a JSON array), parsed from text.
    """
    positions = range(1, int(edge_positions) + 1)
    numeric_pairs = NUMERIC_PAIRS
    if datetimes:
        numeric_pairs = f"arrayConcat({NUMERIC_PAIRS}, {DATETIME_PAIRS})"
    return _template(name).substitute(
        window=WINDOW,
        numeric_pairs=numeric_pairs,
        datetime_source=", CategoricalFeatures" if datetimes else "",
        categorical_pairs=CATEGORICAL_PAIRS,
        bin_sum=" + ".join(f"(value > edges[{position}][i])" for position in positions),
    )


def _numeric_grid(baseline: BaselineProfile) -> dict[str, tuple[tuple[float, ...], float, float]]:
    """Column name -> (PSI edges, baseline min, baseline max) of every column read as numbers.

    Boolean features are there too, with the single edge 0.5: a boolean carried as a 0/1 number
    lands in ``NumericFeatures`` and is counted false/true by its bin.
    """
    grid: dict[str, tuple[tuple[float, ...], float, float]] = {}
    for feature in baseline.features:
        numbers = (FeatureType.NUMERIC, FeatureType.DATETIME)  # datetimes as epoch seconds
        if feature.feature_type in numbers and feature.numeric is not None:
            moments = feature.numeric.moments
            grid[feature.name] = (feature.numeric.bin_edges, moments.min, moments.max)
        elif feature.feature_type is FeatureType.BOOLEAN:
            grid[feature.name] = ((0.5,), 0.0, 1.0)
    outputs = (
        (VALUE_COLUMN, baseline.predictions.values),
        (CONFIDENCE_COLUMN, baseline.predictions.confidence),
    )
    for name, profile in outputs:
        if profile is not None and profile.numeric is not None:
            grid[name] = (profile.numeric.bin_edges, profile.numeric.moments.min, profile.numeric.moments.max)
    return grid


def grid_parameter(grid: Mapping[str, tuple[tuple[float, ...], float, float]]) -> tuple[str, int]:
    """The JSON ``grid`` parameter of numeric_bins.sql and its number of edge positions."""
    names = sorted(grid)
    width = max(len(grid[name][0]) for name in names)
    edges = [
        [grid[name][0][j] if j < len(grid[name][0]) else PADDING_EDGE for name in names] for j in range(width)
    ]
    document = {
        "names": names,
        "edges": edges,
        "min": [grid[name][1] for name in names],
        "max": [grid[name][2] for name in names],
    }
    return json.dumps(document), width


def fetch_window(
    fetch: Fetch,
    baseline: BaselineProfile,
    *,
    model: str,
    version: str,
    start_unix_nano: int,
    end_unix_nano: int,
    sample_size: int,
    category_limit: int = DEFAULT_CATEGORY_LIMIT,
    seed: int = 0,
) -> WindowSummary:
    """Run the window queries and shape their rows into a ``WindowSummary``.

    The numeric sample is a Bernoulli sample of the window's events at rate sample_size / rows (a
    column present in fewer events gets fewer values); past ``sample_size`` values it is thinned
    with a ``seed``-ed generator.
    """
    window = {"model": model, "version": version, "start": start_unix_nano, "end": end_unix_nano}
    (count,) = fetch(query_text("window_rows"), window)
    rows = int(count["rows"])
    if rows == 0:
        return WindowSummary(rows=0, start_unix_nano=start_unix_nano, end_unix_nano=end_unix_nano)
    grid = _numeric_grid(baseline)
    numeric: dict[str, NumericWindow] = {}
    if grid:
        document, width = grid_parameter(grid)
        ppm = min(1_000_000, math.ceil(sample_size * 1_000_000 / rows))
        datetimes = [
            feature.name for feature in baseline.features if feature.feature_type is FeatureType.DATETIME
        ]
        parameters = window | {"grid": document, "sample_ppm": ppm}
        if datetimes:
            parameters["datetimes"] = json.dumps(datetimes)
        found = fetch(query_text("numeric_bins", width, datetimes=bool(datetimes)), parameters)
        rng = np.random.Generator(np.random.PCG64(seed))
        numeric = numeric_windows(grid, found, sample_size, rng)
    names = [
        feature.name
        for feature in baseline.features
        if feature.feature_type in (FeatureType.CATEGORICAL, FeatureType.BOOLEAN)
    ]
    if baseline.predictions.classes is not None:
        names.append(CLASS_COLUMN)
    categorical: dict[str, CategoricalWindow] = {}
    if names:
        counted = fetch(
            query_text("category_counts"), window | {"names": json.dumps(names), "limit": category_limit}
        )
        categorical = categorical_windows(counted)
    for feature in baseline.features:
        if feature.feature_type is FeatureType.BOOLEAN:
            merged = _boolean_window(categorical.get(feature.name), numeric.pop(feature.name, None))
            if merged is not None:
                categorical[feature.name] = merged
    return WindowSummary(
        rows=rows,
        start_unix_nano=start_unix_nano,
        end_unix_nano=end_unix_nano,
        numeric=numeric,
        categorical=categorical,
        classes=categorical.pop(CLASS_COLUMN, None),
        values=numeric.pop(VALUE_COLUMN, None),
        confidence=numeric.pop(CONFIDENCE_COLUMN, None),
    )


def numeric_windows(
    grid: Mapping[str, tuple[tuple[float, ...], float, float]],
    rows: list[dict[str, Any]],
    sample_size: int,
    rng: np.random.Generator,
) -> dict[str, NumericWindow]:
    """Merge the per-code rows of each column (Chan et al. for mean and variance) and its sample."""
    by_name: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_name.setdefault(row["name"], []).append(row)
    result: dict[str, NumericWindow] = {}
    for name, parts in by_name.items():
        counts = [0] * (len(grid[name][0]) + 1)
        n, mean, m2 = 0, 0.0, 0.0
        low, high, outside = math.inf, -math.inf, 0
        sample: list[float] = []
        for row in parts:
            count, code = int(row["n"]), int(row["code"])
            counts[min(code // 4, len(counts) - 1)] += count  # past a padding edge: still the last bin
            if code % 4:
                outside += count
            row_mean, row_variance = float(row["mean"]), float(row["variance"])
            total = n + count
            delta = row_mean - mean
            mean += delta * count / total
            m2 += row_variance * count + delta * delta * n * count / total
            n = total
            low, high = min(low, float(row["low"])), max(high, float(row["high"]))
            sample.extend(float(value) for value in row["sample"])
        if len(sample) > sample_size:
            sample = rng.choice(np.asarray(sample), sample_size, replace=False).tolist()
        result[name] = NumericWindow(
            present=n,
            bin_counts=tuple(counts),
            mean=mean,
            variance=m2 / n,
            min=low,
            max=high,
            out_of_range=outside,
            sample=tuple(sample),
        )
    return result


def _boolean_window(
    labelled: CategoricalWindow | None, numbers: NumericWindow | None
) -> CategoricalWindow | None:
    """A boolean feature's counts: labels lower-cased, plus 0/1 numbers as false/true."""
    counts: dict[str, int] = {}
    for label, count in labelled.counts.items() if labelled else ():
        counts[label.lower()] = counts.get(label.lower(), 0) + count
    if numbers is not None:
        counts["false"] = counts.get("false", 0) + numbers.bin_counts[0]
        counts["true"] = counts.get("true", 0) + numbers.bin_counts[1]
    counts = {label: count for label, count in counts.items() if count}
    if not counts:
        return None
    other = labelled.other if labelled else 0
    return CategoricalWindow(
        present=sum(counts.values()) + other,
        counts=counts,
        other=other,
        distinct=len(counts) + (1 if other else 0),
    )


def categorical_windows(rows: list[dict[str, Any]]) -> dict[str, CategoricalWindow]:
    """Counts per label of each column; labels past the limit are ``other``."""
    listed: dict[str, dict[str, int]] = {}
    totals: dict[str, tuple[int, int]] = {}
    for row in rows:
        listed.setdefault(row["name"], {})[row["value"]] = int(row["n"])
        totals[row["name"]] = (int(row["present"]), int(row["labels"]))
    result = {}
    for name, counts in listed.items():
        present, distinct = totals[name]
        result[name] = CategoricalWindow(
            present=present, counts=counts, other=present - sum(counts.values()), distinct=distinct
        )
    return result
