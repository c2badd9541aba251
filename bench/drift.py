"""Benchmark: the full drift report of 20 features (14 numeric, 6 categorical) plus predictions.

Cases (each in its own process so peak memory is its own):
  memory-100k, memory-1m: reference and current data in numpy; the baseline is profiled
      (``BaselineBuilder``), then the report built from the current columns
      (``summarize_columns`` + ``build_report``). Timed apart and together.
  baseline-files-1m: ``inferwatch baseline create --from FILE``'s work (read in chunks + profile) for a
      1,000,000-row CSV and Parquet file of the reference data (no target).
  clickhouse-1m: 1,000,000 inference events stored in ``ml_features`` of an embedded ClickHouse
      (bulk ``INSERT ... SELECT FROM numbers()``, not through OTLP), an active baseline, and the report
      computed by the same code the gateway's drift task and ``inferwatch drift`` run
      (``gateway.drift.evaluation.drift_reports``: aggregation inside ClickHouse).

Usage:
  python bench/drift.py                       # every case, 3 repetitions, JSON to bench/results/
  python bench/drift.py --cases memory-100k --repeat 5 --output /tmp/drift.json

Targets (issue #4): 100k rows <= 0.2 s; 1M rows <= 2 s; 1M stored events <= 3 s.
Reported: median and every repetition, peak RSS of the case's process, drifted features found.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest import machine_info  # noqa: E402  (bench/ingest.py, beside this script)

NUMERIC, CATEGORICAL = 14, 6
DRIFTED_NUMERIC = ("n0", "n1", "n2")  # mean +0.5 std in the current data
DRIFTED_CATEGORICAL = ("c0",)  # shares reversed in the current data
CATEGORIES = np.array(["alpha", "beta", "gamma", "delta", "epsilon"])
SHARES = np.array([0.4, 0.25, 0.15, 0.12, 0.08])
CASES = ("memory-100k", "memory-1m", "clickhouse-1m", "baseline-files-1m")
TARGETS_SECONDS = {"memory-100k": 0.2, "memory-1m": 2.0, "clickhouse-1m": 3.0}  # files: no target


def make_columns(rows: int, drifted: bool, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    columns: dict[str, np.ndarray] = {}
    for index in range(NUMERIC):
        name = f"n{index}"
        shift = 0.5 if drifted and name in DRIFTED_NUMERIC else 0.0
        columns[name] = rng.normal(10.0 * index + shift * (1 + index), 1.0 + index, rows)
    for index in range(CATEGORICAL):
        name = f"c{index}"
        shares = SHARES[::-1] if drifted and name in DRIFTED_CATEGORICAL else SHARES
        columns[name] = CATEGORIES[rng.choice(CATEGORIES.size, rows, p=shares)]
    fraud = 0.15 if drifted else 0.02
    columns["prediction"] = np.where(rng.uniform(size=rows) < fraud, "fraud", "legit")
    columns["confidence"] = rng.uniform(0.5, 1.0, rows)
    return columns


def memory_case(rows: int, repeat: int) -> dict:
    from processors.drift.baseline import BaselineBuilder
    from processors.drift.report import build_report
    from processors.drift.window import summarize_columns

    reference = make_columns(rows, False, 1)
    current = make_columns(rows, True, 2)
    profile_seconds, report_seconds, drifted = [], [], []
    for _ in range(repeat):
        started = time.perf_counter()
        baseline = BaselineBuilder().add(reference, rows).build()
        profiled = time.perf_counter()
        features = {
            name: values for name, values in current.items() if name not in ("prediction", "confidence")
        }
        window = summarize_columns(
            baseline, features, rows, classes=current["prediction"], confidence=current["confidence"]
        )
        report = build_report(baseline, window)
        finished = time.perf_counter()
        profile_seconds.append(profiled - started)
        report_seconds.append(finished - profiled)
        drifted = sorted(feature.feature for feature in report.features if feature.verdict == "drifted")
    return {
        "rows": rows,
        "report_seconds": _stats(report_seconds),
        "profile_reference_seconds": _stats(profile_seconds),
        "profile_and_report_seconds": _stats(
            [a + b for a, b in zip(profile_seconds, report_seconds, strict=True)]
        ),
        "drifted_features": drifted,
        "prediction_drift": report.classes.verdict if report.classes else None,
    }


def clickhouse_case(rows: int, repeat: int) -> dict:
    from gateway.app import Gateway
    from gateway.clock import FakeClock
    from gateway.config import load_config
    from gateway.drift.evaluation import drift_reports
    from gateway.drift.store import client_fetch, insert_baseline
    from processors.drift.baseline import BaselineBuilder

    now = 1_760_000_000 * 10**9
    with tempfile.TemporaryDirectory(prefix="inferwatch-bench-drift-") as directory:
        config = load_config(
            None,
            [
                f"data_dir={directory}",
                "receivers.grpc.endpoint=127.0.0.1:0",
                "receivers.http.endpoint=127.0.0.1:0",
            ],
        )
        gateway = Gateway(config, FakeClock(now), run_tasks=False)
        gateway.start()
        try:
            client = gateway.open_client()
            started = time.perf_counter()
            client.command(
                _events_sql(rows, now // 10**9 - 3600), settings={"max_insert_block_size": 100_000}
            )
            insert_seconds = time.perf_counter() - started
            reference = make_columns(100_000, False, 1)
            baseline = BaselineBuilder().add(reference, 100_000).build()
            insert_baseline(client, "bench-model", "1", baseline, "bench", now, activate=True)
            fetch = client_fetch(client)
            timings, drifted = [], []
            for _ in range(repeat):
                started = time.perf_counter()
                (report,) = drift_reports(fetch, config, now - 3600 * 10**9, now, model="bench-model")
                timings.append(time.perf_counter() - started)
                drifted = sorted(
                    feature.feature for feature in report.features if feature.verdict == "drifted"
                )
            return {
                "rows": rows,
                "stored_rows": report.rows,
                "insert_seconds": round(insert_seconds, 3),
                "report_seconds": _stats(timings),
                "drifted_features": drifted,
                "prediction_drift": report.classes.verdict if report.classes else None,
            }
        finally:
            gateway.shutdown(grace=1)


def files_case(rows: int, repeat: int) -> dict:
    """``inferwatch baseline create --from FILE``'s work: read the file in chunks and profile it."""
    import pyarrow as arrow
    import pyarrow.csv as arrow_csv
    import pyarrow.parquet as parquet

    from gateway.drift.files import read_chunks
    from processors.drift.baseline import BaselineBuilder

    table = arrow.table(make_columns(rows, False, 1))
    result: dict = {"rows": rows, "columns": table.num_columns}
    with tempfile.TemporaryDirectory(prefix="inferwatch-bench-drift-") as directory:
        paths = {"csv": Path(directory) / "reference.csv", "parquet": Path(directory) / "reference.parquet"}
        arrow_csv.write_csv(table, paths["csv"])
        parquet.write_table(table, paths["parquet"])
        for kind, path in paths.items():
            timings = []
            for _ in range(repeat):
                started = time.perf_counter()
                builder = BaselineBuilder()
                for columns, count in read_chunks(path):
                    builder.add(columns, count)
                builder.build()
                timings.append(time.perf_counter() - started)
            result[f"{kind}_seconds"] = _stats(timings)
            result[f"{kind}_mb"] = round(path.stat().st_size / 1e6, 1)
    return result


def _events_sql(rows: int, start_seconds: int) -> str:
    """INSERT ... SELECT FROM numbers(): ``rows`` events over the hour after ``start_seconds``, drawn
    as ``make_columns(drifted=True)`` draws its current data (15% fraud instead of 2%)."""
    numeric = []
    for index in range(NUMERIC):
        shift = 0.5 * (1 + index) if f"n{index}" in DRIFTED_NUMERIC else 0.0
        numeric.append(f"'n{index}', randNormal({10.0 * index + shift}, {1.0 + index})")
    labels = "[" + ", ".join(f"'{label}'" for label in CATEGORIES) + "]"
    categorical = []
    for index in range(CATEGORICAL):
        shares = SHARES[::-1] if f"c{index}" in DRIFTED_CATEGORICAL else SHARES
        uniform = f"(cityHash64(number, {index}) % 10000) / 10000"
        categorical.append(f"'c{index}', {labels}[{_label_index(shares).replace('u <', uniform + ' <')}]")
    step_ns = 3600 * 10**9 // rows
    return (
        "INSERT INTO ml_features (Timestamp, TraceId, RequestId, ServiceName, ModelName, ModelVersion, "
        "NumericFeatures, CategoricalFeatures, PredictionClass, Confidence, Source) "
        f"SELECT fromUnixTimestamp64Nano(toInt64({start_seconds}) * 1000000000 + number * {step_ns}), "
        "hex(cityHash64(number)), toString(number), 'bench', 'bench-model', '1', "
        f"map({', '.join(numeric)}), map({', '.join(categorical)}), "
        "if(rand() % 100 < 15, 'fraud', 'legit'), randUniform(0.5, 1.0), 'bench' "
        f"FROM numbers({rows})"
    )


def _label_index(shares: np.ndarray) -> str:
    """SQL: the 1-based label index drawn with ``shares`` from a uniform ``u`` in [0, 1)."""
    bounds = np.cumsum(shares)[:-1]
    return (
        "multiIf("
        + ", ".join(f"u < {bound:.4f}, {index + 1}" for index, bound in enumerate(bounds))
        + f", {shares.size})"
    )


def _stats(values: list[float]) -> dict:
    return {"median": round(statistics.median(values), 4), "runs": [round(value, 4) for value in values]}


def run_case(case: str, repeat: int) -> dict:
    if case == "memory-100k":
        result = memory_case(100_000, repeat)
    elif case == "memory-1m":
        result = memory_case(1_000_000, repeat)
    elif case == "baseline-files-1m":
        result = files_case(1_000_000, repeat)
    else:
        result = clickhouse_case(1_000_000, repeat)
    result["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    # the machine is shared: other work running at the same time slows every case down
    result["load_average_after"] = [round(value, 2) for value in os.getloadavg()]
    if case in TARGETS_SECONDS:
        result["target_seconds"] = TARGETS_SECONDS[case]
        result["target_met"] = result["report_seconds"]["median"] <= TARGETS_SECONDS[case]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--child", choices=CASES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_case(args.child, args.repeat)))
        return 0
    started = datetime.now(timezone.utc)
    results = {}
    for case in args.cases:
        load_before = [round(value, 2) for value in os.getloadavg()]
        completed = subprocess.run(
            [sys.executable, __file__, "--child", case, "--repeat", str(args.repeat)],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        results[case] = json.loads(completed.stdout.strip().splitlines()[-1]) | {
            "load_average_before": load_before
        }
        print(case, json.dumps(results[case]), file=sys.stderr)
    document = {
        "benchmark": "drift",
        "command": " ".join(sys.argv),
        "started_utc": started.isoformat(timespec="seconds"),
        "machine": machine_info(),
        "parameters": {
            "numeric_features": NUMERIC,
            "categorical_features": CATEGORICAL,
            "drifted": list(DRIFTED_NUMERIC + DRIFTED_CATEGORICAL),
            "repeat": args.repeat,
            "settings": "defaults (drift.sample_size 5000, reservoir 1000, bins 10, correction bh)",
        },
        "results": results,
    }
    output = args.output or ROOT / "bench" / "results" / f"drift-{started:%Y-%m-%d}.json"
    output.write_text(json.dumps(document, indent=2) + "\n")
    print(f"wrote {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
