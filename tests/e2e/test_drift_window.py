"""The window aggregation inside ClickHouse equals the in-memory one (numpy) on the same events.

Rows go straight into ``ml_features`` (the table the OTLP views fill) with known values: numeric
features with gaps and values outside the baseline's range, a boolean carried both as a bool
attribute and as a 0/1 number, a categorical feature with labels the baseline never saw, a datetime
feature as ISO 8601 text (some unparsable, some outside the baseline's range), predicted
classes, values and confidences, and events of another version and outside the window that must
not count.
"""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest

from gateway.drift.store import client_fetch
from processors.drift.baseline import BaselineBuilder, ColumnRoles
from processors.drift.report import build_report
from processors.drift.window import summarize_columns
from processors.drift.window_queries import fetch_window

SECOND = 10**9
START, END = 1_760_000_000 * SECOND, 1_760_003_600 * SECOND
ROWS = 3000
COLUMNS = [
    "Timestamp", "TraceId", "RequestId", "ModelName", "ModelVersion", "NumericFeatures",
    "CategoricalFeatures", "PredictionClass", "PredictionValue", "Confidence", "Source",
]  # fmt: skip


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(round(seconds, 3), tz=timezone.utc).isoformat()


def _at(unix_nano: int) -> datetime:
    return datetime.fromtimestamp(unix_nano / 1e9, tz=timezone.utc)


def test_clickhouse_aggregates_equal_numpy(gateways):
    gateway = gateways.start(run_tasks=False)
    client = gateway.open_client()
    rng = np.random.default_rng(5)
    reference = {
        "amount": rng.normal(100, 20, 5000),
        "age": rng.integers(18, 90, 5000).astype(float),
        "flag": [bool(value) for value in rng.uniform(size=5000) < 0.3],
        "city": rng.choice(["a", "b", "c"], 5000).tolist(),
        "signup": [_iso(seconds) for seconds in rng.uniform(1.6e9, 1.7e9, 5000)],
        "label": rng.choice(["x", "y"], 5000).tolist(),
        "value": rng.normal(0, 1, 5000),
        "confidence": rng.uniform(0.5, 1, 5000),
    }
    roles = ColumnRoles(prediction="label", prediction_value="value")
    baseline = BaselineBuilder(roles).add(reference, 5000).build()

    amount = rng.normal(110, 30, ROWS)  # some beyond the baseline's min/max
    amount[rng.uniform(size=ROWS) < 0.1] = np.nan  # absent from the event
    age = rng.integers(18, 95, ROWS).astype(float)
    flag = rng.uniform(size=ROWS) < 0.5
    flag_as_number = rng.uniform(size=ROWS) < 0.3  # 0/1 in NumericFeatures instead of a bool attribute
    city = rng.choice(["a", "b", "c", "d", "e"], ROWS)
    signup = [_iso(seconds) for seconds in rng.uniform(1.58e9, 1.72e9, ROWS)]  # some past min/max
    signup[::7] = ["not a date"] * len(signup[::7])  # unparsable: missing on both paths
    label = rng.choice(["x", "y", "z"], ROWS)
    value = rng.normal(0.2, 1, ROWS)
    confidence = rng.uniform(0.4, 1, ROWS)
    rows = []
    for index in range(ROWS):
        numeric = {"age": float(age[index])}
        if np.isfinite(amount[index]):
            numeric["amount"] = float(amount[index])
        categorical = {"city": str(city[index]), "signup": signup[index]}
        if flag_as_number[index]:
            numeric["flag"] = float(flag[index])
        else:
            categorical["flag"] = "true" if flag[index] else "false"
        timestamp = START + index * (END - START) // ROWS
        rows.append(
            [_at(timestamp), f"{index:032x}", f"r{index}", "m", "1", numeric, categorical,
             str(label[index]), float(value[index]), float(confidence[index]), "test"]
        )  # fmt: skip
    noise = [[_at(END), "ff", "late", "m", "1", {"age": 1e9}, {}, None, None, None, "test"]]
    noise.append([_at(START), "fe", "other", "m", "2", {"age": 1e9}, {}, None, None, None, "test"])
    client.insert("ml_features", rows + noise, column_names=COLUMNS)

    stored = fetch_window(
        client_fetch(client), baseline, model="m", version="1", start_unix_nano=START, end_unix_nano=END,
        sample_size=500,
    )  # fmt: skip
    in_memory = summarize_columns(
        baseline,
        {"amount": amount, "age": age, "flag": flag.tolist(), "city": city, "signup": signup},
        ROWS,
        classes=label,
        values=value,
        confidence=confidence,
        sample_size=500,
    )
    assert stored.rows == ROWS
    assert stored.numeric["signup"].present == ROWS - len(signup[::7])
    every_value = {
        "amount": {float(v) for v in amount},
        "age": {float(v) for v in age},
        "signup": {datetime.fromisoformat(text).timestamp() for text in signup if text != "not a date"},
    }
    for name in ("amount", "age", "signup"):
        db, mem = stored.numeric[name], in_memory.numeric[name]
        assert (db.present, db.bin_counts, db.out_of_range) == (mem.present, mem.bin_counts, mem.out_of_range)
        assert (db.min, db.max) == (mem.min, mem.max)
        assert db.mean == pytest.approx(mem.mean, rel=1e-12)
        assert db.variance == pytest.approx(mem.variance, rel=1e-9)
        assert 350 <= len(db.sample) <= 500  # Bernoulli at 500/3000 of the events, thinned to 500
        assert set(db.sample) <= every_value[name]
    for db, mem in ((stored.values, in_memory.values), (stored.confidence, in_memory.confidence)):
        assert (db.present, db.bin_counts, db.out_of_range) == (mem.present, mem.bin_counts, mem.out_of_range)
    assert dict(stored.categorical["city"].counts) == dict(in_memory.categorical["city"].counts)
    assert dict(stored.categorical["flag"].counts) == dict(in_memory.categorical["flag"].counts)
    assert dict(stored.classes.counts) == dict(in_memory.classes.counts)

    # the same report either way, except KS/Wasserstein (each path draws its own sample)
    from_db, from_memory = build_report(baseline, stored), build_report(baseline, in_memory)
    memory_by_name = {feature.feature: feature for feature in from_memory.features}
    for db in from_db.features:
        mem = memory_by_name[db.feature]
        assert (db.psi, db.missing_rate, db.new_categories) == (mem.psi, mem.missing_rate, mem.new_categories)
    assert len(from_db.features) == len(memory_by_name) == 5
    assert {feature.feature: feature.test for feature in from_db.features}["signup"] == "ks"
    assert from_db.classes == from_memory.classes
    # a second evaluation of the same window reads the same sample (replicas agree)
    again = fetch_window(
        client_fetch(client), baseline, model="m", version="1", start_unix_nano=START, end_unix_nano=END,
        sample_size=500,
    )  # fmt: skip
    assert again == stored
