"""Benchmark: ground truth in (issue #5). Three numbers, one embedded ClickHouse, one gateway in-process.

  join:    ``ml_labeled_predictions`` over --requests requests (3 partial rows each in ``ml_requests``,
           bulk ``INSERT ... SELECT FROM numbers()``) of which --labeled-share have a label; the query
           counts joined rows and correct predictions in a prediction-time window. Also timed: the same
           view without its pre-filter on labelled traces (what the pre-filter saves).
  grpc:    labels/s through ``inferwatch.v1.FeedbackService`` (``FeedbackClient``, batches of 10,000), each
           call answered after the synchronous insert.
  import:  labels/s of ``inferwatch feedback import`` of a CSV through ``POST /api/v1/feedback``.
  task:    one run of the gateway's performance evaluation (``evaluate_performance``: every 1 h window of
           the last day and 1 d window of the last week, per model version) over the join data above,
           three hours after the first prediction: the join read plus the metrics of every window.

Usage:
  python bench/feedback.py                               # defaults, JSON to bench/results/
  python bench/feedback.py --requests 200000 --output /tmp/feedback.json
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest import machine_info  # noqa: E402  (bench/ingest.py, beside this script)

WINDOW = "PredictionTime >= toDateTime64('2026-01-01 00:00:00', 9)"


def _stats(values: list[float]) -> dict:
    return {"median": statistics.median(values), "runs": [round(value, 4) for value in values]}


def _timed(function, repeat: int) -> list[float]:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        timings.append(time.perf_counter() - started)
    return timings


def join_case(gateway, requests: int, labeled_share: float, repeat: int) -> dict:
    from gateway.storage.ddl import render
    from processors.feedback import migrations

    client = gateway.open_client()
    every = max(1, round(1 / labeled_share))
    started = time.perf_counter()
    client.command(
        f"""INSERT INTO ml_requests (TraceId, Start, RequestStart, ModelName, ModelVersion, RequestId,
                                     PredictionClass, Confidence, Spans)
        SELECT toString(intDiv(number, 3)), toDateTime64('2026-01-01 00:00:00', 9) + intDiv(number, 3) / 100,
               if(number % 3 = 0, toDateTime64('2026-01-01 00:00:00', 9) + intDiv(number, 3) / 100, NULL),
               'bench-model', '1', if(number % 3 = 0, concat('r-', toString(intDiv(number, 3))), NULL),
               if(number % 3 = 1, if(rand() % 2 = 0, 'a', 'b'), NULL),
               if(number % 3 = 1, rand() / 4294967296, NULL), 1
        FROM numbers({3 * requests})"""
    )
    client.command(
        f"""INSERT INTO ml_labels (RequestId, ModelName, LabelClass, EventTime, Source)
        SELECT concat('r-', toString(number * {every})), 'bench-model', 'a', now64(3), 'api'
        FROM numbers({requests // every})"""
    )
    load_seconds = time.perf_counter() - started
    query = (
        f"SELECT count(), countIf(PredictionClass = LabelClass) FROM ml_labeled_predictions WHERE {WINDOW}"
    )
    joined = client.query(query).result_rows[0]
    with_filter = _timed(lambda: client.query(query), repeat)
    # The view as it would be without the pre-filter on labelled traces.
    (template,) = [m.template for m in migrations() if m.version == 1]
    (view,) = [
        s
        for s in render(template, gateway_target(gateway))
        if "VIEW IF NOT EXISTS" in s and "ml_labeled_predictions" in s
    ]
    body = view[view.index(" AS\nSELECT") + 4 :]
    start, end = body.index("        WHERE TraceId GLOBAL IN ("), body.index("        GROUP BY TraceId")
    unfiltered = body[:start] + body[end:]
    plain_query = f"SELECT count(), countIf(PredictionClass = LabelClass) FROM ({unfiltered}) WHERE {WINDOW}"
    assert client.query(plain_query).result_rows[0] == joined
    without_filter = _timed(lambda: client.query(plain_query), repeat)
    return {
        "requests": requests,
        "labels": requests // every,
        "load_seconds": round(load_seconds, 3),
        "joined_rows": joined[0],
        "query_seconds": _stats(with_filter),
        "query_seconds_without_prefilter": _stats(without_filter),
    }


def task_case(gateway, repeat: int) -> dict:
    from gateway.performance.windows_task import evaluate_performance

    client = gateway.open_client()
    performance = gateway.config.performance
    now = int(datetime(2026, 1, 1, 3, tzinfo=timezone.utc).timestamp()) * 10**9
    written = evaluate_performance(performance, client, now)
    timings = _timed(lambda: evaluate_performance(performance, client, now), repeat)
    return {"points_written": written, "run_seconds": _stats(timings)}


def gateway_target(gateway):
    from gateway.app import storage_target

    return storage_target(gateway.config)


def grpc_case(gateway, batches: int) -> dict:
    import grpc

    from gateway.feedback import FeedbackClient
    from gateway.feedback.client import Label

    payloads = [
        [Label(request_id=f"g-{b}-{i}", model="bench-model", label_class="a") for i in range(10_000)]
        for b in range(batches)
    ]
    with grpc.insecure_channel(f"127.0.0.1:{gateway.grpc.port}") as channel:
        client = FeedbackClient(channel)
        started = time.perf_counter()
        accepted = sum(client.submit(labels, timeout=120).accepted for labels in payloads)
        seconds = time.perf_counter() - started
    return {"labels": accepted, "seconds": round(seconds, 3), "labels_per_second": round(accepted / seconds)}


def import_case(gateway, rows: int, directory: Path) -> dict:
    from gateway.cli.main import main as inferwatch

    path = directory / "labels.csv"
    with path.open("w") as handle:
        handle.write("request_id,model,label_class,event_time\n")
        for index in range(rows):
            handle.write(f"f-{index},bench-model,b,2026-01-31T12:00:00Z\n")
    url = f"http://127.0.0.1:{gateway.http.port}"
    started = time.perf_counter()
    with contextlib.redirect_stderr(io.StringIO()):
        code = inferwatch(["feedback", "import", str(path), "--url", url, "--quiet"])
    seconds = time.perf_counter() - started
    assert code == 0
    return {"labels": rows, "seconds": round(seconds, 3), "labels_per_second": round(rows / seconds)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--labeled-share", type=float, default=0.1)
    parser.add_argument("--grpc-batches", type=int, default=10)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()

    from gateway.app import Gateway
    from gateway.config import load_config

    with tempfile.TemporaryDirectory(prefix="inferwatch-bench-feedback-") as directory:
        config = load_config(
            None,
            [
                f"data_dir={directory}",
                "receivers.grpc.endpoint=127.0.0.1:0",
                "receivers.http.endpoint=127.0.0.1:0",
            ],
        )
        gateway = Gateway(config, run_tasks=False)
        gateway.start()
        try:
            result = {
                "benchmark": "feedback",
                "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "machine": machine_info(),
                "join": join_case(gateway, args.requests, args.labeled_share, args.repeat),
                "grpc": grpc_case(gateway, args.grpc_batches),
                "import": import_case(gateway, args.import_rows, Path(directory)),
                "task": task_case(gateway, args.repeat),
            }
        finally:
            gateway.shutdown(grace=1)
    text = json.dumps(result, indent=2)
    print(text)
    output = args.output or ROOT / "bench" / "results" / f"feedback-{result['at'][:10]}.json"
    output.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
