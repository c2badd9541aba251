"""Alert evaluation benchmark: 100 rules x 50 models per cycle over 10 M stored spans, and page latency.

Reads: nothing but its options. Writes: a temporary data directory (removed unless ``--keep-data``) and one
JSON result (``--output``, default ``bench/results/alerts-<date>.json``). Not a test; run it by hand:
``python bench/alerts.py`` (see bench/README.md for what each figure means).

Phase 1, cycle time: a gateway (embedded ClickHouse, ``run_tasks=False``, a fake clock at the wall clock)
with data generated inside ClickHouse (``INSERT ... SELECT FROM numbers()``) straight into the ML tables the
evaluator reads: ``--spans`` stage spans (5 per request: request, queue, preprocess, inference,
postprocess) in ``ml_stage_spans`` and their requests in ``ml_requests`` for ``--models`` models (two
versions each), a quarter of them in the last hour and the rest over the 7 days before (what the 7-day
baselines read); ``ml_model_versions`` from them; cpu, memory, restart and queue-depth gauges every 10 s
for the last hour in ``otel_metrics_gauge``; 20 features' PSI every 5 min in ``ml_drift``. Then the
``alert-baselines`` task computes the 7-day baselines (in a running gateway it does so on its own thread,
beside the cycles), then the ``alerts`` task runs once cold (no request minutes cached yet) and ``--cycles``
more times a minute apart (fake clock).

Phase 2, page latency: the same storage, a gateway with its threads (system clock, ``--interval``
evaluation interval) and Opsgenie notifications to the local stand-in ``tests/support/opsgenie_server``.
Each trial writes a PSI point that makes a ``for: 0s`` rule true and measures the time until the stand-in
receives the create request (the condition has held for ``for`` from the moment the point is stored). Even
trials write at a varying phase of the interval; odd trials the worst case: right after a cycle has read the
stored signals, so only the next cycle sees the point (bound: one interval + the cycle + context + send).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from gateway.alerting.signal_source import SignalCycle  # noqa: E402
from gateway.app import Gateway  # noqa: E402
from gateway.clock import FakeClock  # noqa: E402
from gateway.config import load_config  # noqa: E402
from gateway.storage.series import write_points  # noqa: E402
from processors.ml.series import SignalPoint  # noqa: E402
from tests.support.opsgenie_server import OpsgenieServer  # noqa: E402

SECOND = 1_000_000_000
HOUR = 3600 * SECOND
DAY = 24 * HOUR
STAGES = "['request', 'queue', 'preprocess', 'inference', 'postprocess']"
FEATURES = 20
KEY_ENV = "INFERWATCH_BENCH_GENIE_KEY"


def rule_pack(rules: int) -> str:
    """``rules`` rules over every kind of signal: thresholds at four severities, baselines, stages, classes,
    infrastructure, availability, drift per feature and aggregated; windows of 5m (most), 15m and 1h."""
    templates = [
        ("error_rate > {t}", [0.10, 0.05, 0.02, 0.01]),
        ("error_rate_server > {t}", [0.05, 0.02]),
        ("error_rate_client > {t}", [0.05, 0.02]),
        ("error_rate_application > {t}", [0.05]),
        ('error_class_rate{{error_class="server_503"}} > {t}', [0.03]),
        ("timeout_rate > {t}", [0.02]),
        ("rps < {t}", [0.01]),
        ("queue_depth > {t}", [50, 20]),
        ("latency_p50 > {t}", [100]),
        ("latency_p75 > {t}", [150]),
        ("latency_p95 > {t}", [250, 150]),
        ("latency_p99 > {t}", [400]),
        ("latency_p999 > {t}", [800]),
        ('latency_p95{{stage="inference"}} > {t}', [120]),
        ("latency_p95 > {t} * baseline(latency_p95)", [2, 1.5]),
        ("error_rate > {t} * baseline(error_rate) and error_rate > 0.01", [3]),
        ("confidence_mean < {t}", [0.6]),
        ("low_confidence_rate > {t}", [0.3]),
        ("cpu_utilization > {t}", [0.9, 0.8]),
        ("memory_utilization > {t}", [0.9, 0.85]),
        ("pod_restarts > {t}", [3]),
        ("service_up == {t}", [0]),
        ("count by (model) (psi > 0.25) >= {t}", [5]),
        ("accuracy < {t}", [0.9]),
    ]
    exprs = [template.format(t=t) for template, values in templates for t in values]
    exprs += [f'psi{{feature="f{i}"}} > 0.2' for i in range(FEATURES)]
    windows = ["5m"] * 8 + ["15m", "1h"]
    lines = ["groups:", "  - name: bench", "    rules:"]
    index = 0
    while index < rules:
        expr = exprs[index % len(exprs)]
        severity = f"P{index % 4}"
        lines += [
            f"      - alert: Bench{index:03d}",
            f"        expr: '{expr}'",
            f"        for: {(index % 3) * 5}m",
            f"        window: {windows[index % len(windows)]}",
            f"        severity: {severity}",
            "        annotations:",
            '          summary: "{{ $labels.model }}: {{ $value }}"',
        ]
        index += 1
    lines += ["  - name: trigger", "    rules:"]
    lines += [
        "      - alert: BenchTrigger",
        "        expr: 'psi{feature=\"trigger\"} > 0.2'",
        "        severity: P1",
        "        annotations:",
        '          summary: "trigger on {{ $labels.model }}"',
    ]
    return "\n".join(lines) + "\n"


def generate(client: Any, spans: int, models: int, now_ns: int) -> dict[str, float]:
    """Fill the tables inside ClickHouse; returns seconds per table."""
    requests = spans // 5
    recent = requests // 4
    timings: dict[str, float] = {}
    # request n: model n % models, version 2 for one in ten, start in the last hour (n < recent) or the 7 d
    # before; 3 % fail with 503, 1 % are client 400s; durations 20..120 ms, stages share them.
    request_row = f"""
        number AS n, n % {models} AS m, cityHash64(n, 1) AS h,
        if(n < {recent}, {now_ns} - toInt64(h % {HOUR}),
           {now_ns} - {HOUR} - toInt64(h % (7 * {DAY}))) AS t_ns,
        20000000 + (cityHash64(n, 2) % 100000000) AS duration_ns,
        h % 100 AS outcome"""
    started = time.perf_counter()
    client.command(f"""
        INSERT INTO ml_requests (TraceId, Start, RequestStart, ServiceName, ModelName, ModelVersion,
                                 Environment, RequestId, RequestNs, HttpStatus, ErrorCandidate,
                                 PredictionClass, Confidence, Spans)
        SELECT hex(n) AS TraceId, fromUnixTimestamp64Nano(t_ns), fromUnixTimestamp64Nano(t_ns),
               concat('svc-', toString(m)), concat('model-', toString(m)), if(n % 10 = 0, '2', '1'), 'prod',
               toString(n), duration_ns, multiIf(outcome < 3, 503, outcome < 4, 400, 200),
               multiIf(outcome < 3, (2, 'server_503'), outcome < 4, (5, 'client_400'), (0, '')),
               if(outcome < 4, NULL, if(h % 7 = 0, 'fraud', 'ok')),
               if(outcome < 4, NULL, (cityHash64(n, 3) % 1000) / 1000), 5
        FROM (SELECT {request_row} FROM numbers({requests}))""")
    timings["ml_requests"] = time.perf_counter() - started
    started = time.perf_counter()
    client.command(f"""
        INSERT INTO ml_stage_spans (Timestamp, TraceId, ServiceName, ModelName, ModelVersion, Stage,
                                    DurationNs, Failed)
        SELECT fromUnixTimestamp64Nano(t_ns), hex(n), concat('svc-', toString(m)),
               concat('model-', toString(m)),
               if(n % 10 = 0, '2', '1'), {STAGES}[s + 1],
               if(s = 0, duration_ns, intDiv(duration_ns * [0, 5, 15, 60, 10][s + 1], 100)), outcome < 3
        FROM (SELECT {request_row.replace("number AS n", "intDiv(number, 5) AS n")}, number % 5 AS s
              FROM numbers({requests * 5}))""")
    timings["ml_stage_spans"] = time.perf_counter() - started
    started = time.perf_counter()
    client.command("""
        INSERT INTO ml_model_versions
        SELECT assumeNotNull(ModelName), assumeNotNull(ModelVersion), min(Start), max(Start),
               assumeNotNull(any(ServiceName)), 'prod', count()
        FROM ml_requests GROUP BY ModelName, ModelVersion""")
    metrics = (
        "['k8s.pod.cpu_limit_utilization', 'k8s.pod.memory_limit_utilization', "
        "'k8s.container.restarts', 'ml.queue.depth']"
    )
    client.command(f"""
        INSERT INTO otel_metrics_gauge (ResourceAttributes, ServiceName, MetricName, Attributes, TimeUnix,
                                        Value)
        SELECT map('k8s.pod.name', concat('pod-', toString(m)),
                   'ml.model.name', concat('model-', toString(m))),
               concat('svc-', toString(m)), {metrics}[k + 1], map(),
               fromUnixTimestamp64Nano({now_ns} - toInt64(step) * 10 * {SECOND}),
               multiIf(k = 2, toFloat64(intDiv(360 - step, 120)), k = 3, toFloat64(cityHash64(m, step) % 30),
                       (cityHash64(m, step, k) % 900) / 1000)
        FROM (SELECT number % {models} AS m, intDiv(number, {models}) % 4 AS k,
                     intDiv(number, {models * 4}) AS step
              FROM numbers({models * 4 * 360}))""")
    client.command(f"""
        INSERT INTO ml_drift (EvaluatedAt, WindowStart, WindowEnd, ModelName, ModelVersion, Signal, Labels,
                              LabelsKey, Value, Samples, Details)
        SELECT fromUnixTimestamp64Nano(end_ns), fromUnixTimestamp64Nano(end_ns - {HOUR}),
               fromUnixTimestamp64Nano(end_ns),
               concat('model-', toString(m)), '', 'psi', map('feature', concat('f', toString(f))),
               concat('[["feature","f', toString(f), '"]]'), (cityHash64(m, f, w) % 300) / 1000, 1000, '{{}}'
        FROM (SELECT number % {models} AS m, intDiv(number, {models}) % {FEATURES} AS f,
                     intDiv(number, {models * FEATURES}) AS w,
                     {now_ns} - toInt64(w) * 300 * {SECOND} AS end_ns
              FROM numbers({models * FEATURES * 12}))""")
    timings["metrics_versions_drift"] = time.perf_counter() - started
    return timings


def _wait_for_merges(client: Any, deadline_seconds: float) -> int:
    """Wait until no merge of the benchmark's database runs (or the deadline); returns those left."""
    deadline = time.time() + deadline_seconds
    while True:
        running = client.query(
            "SELECT count() FROM system.merges WHERE database = currentDatabase()"
        ).result_rows[0][0]
        if running == 0 or time.time() > deadline:
            return int(running)
        time.sleep(1)


def _config(data_dir: str, rules: str, *extra: str) -> Any:
    return load_config(
        None,
        [
            f"data_dir={data_dir}",
            "receivers.grpc.endpoint=127.0.0.1:0",
            "receivers.http.endpoint=127.0.0.1:0",
            f"alerting.rule_files=[{rules}]",
            *extra,
        ],
    )


def cycle_phase(data_dir: str, rules: str, args: argparse.Namespace) -> dict[str, Any]:
    now_ns = time.time_ns()
    clock = FakeClock(now_ns)
    gateway = Gateway(_config(data_dir, rules), clock=clock, run_tasks=False)
    gateway.start()
    try:
        client = gateway.open_client()
        timings = generate(client, args.spans, args.models, now_ns)
        counts = {
            table: client.query(f"SELECT count() FROM {table}").result_rows[0][0]
            for table in ("ml_stage_spans", "ml_requests", "otel_metrics_gauge", "ml_drift")
        }
        print(f"generated {counts} in {sum(timings.values()):.1f} s", flush=True)
        # Measure on stored data, not on data ClickHouse is still merging: a bulk insert of 10 M rows
        # leaves background merges that take the CPU for a minute (data that arrived over 7 days would
        # have been merged as it came).
        started = time.perf_counter()
        merging = _wait_for_merges(client, deadline_seconds=180)
        timings["merges_wait"] = time.perf_counter() - started
        print(f"merges finished in {timings['merges_wait']:.1f} s ({merging} still running)", flush=True)
        task = gateway.task("alerts")
        evaluator = gateway.alert_evaluator
        refresher = gateway.task("alert-baselines")  # on its own thread in a running gateway
        started = time.perf_counter()
        assert refresher.run_once(), refresher.last_error
        baselines = time.perf_counter() - started
        started = time.perf_counter()
        assert task.run_once(), task.last_error
        cold = time.perf_counter() - started
        times = []
        for _ in range(args.cycles):
            clock.advance(60)
            started = time.perf_counter()
            assert task.run_once(), task.last_error
            times.append(time.perf_counter() - started)
        firing = sum(
            1
            for state in evaluator.states.values()
            for instance in state.instances
            if instance.state.value == "firing"
        )
        print(
            f"baselines {baselines:.3f} s, first cycle {cold:.3f} s, "
            f"steady median {statistics.median(times):.3f} s, max {max(times):.3f} s"
        )
        return {
            "rows": counts,
            "generate_seconds": timings,
            "rules": len(evaluator.rules),
            "rule_errors": dict(evaluator.errors),
            "queries_per_cycle": evaluator.last_cycle_queries,
            "baseline_families": list(evaluator.baseline_families),
            "baseline_refresh_seconds": baselines,  # the alert-baselines task, beside the cycles
            "baseline_computations_in_cycles": (
                evaluator.baselines.computed - len(evaluator.baseline_families)
            ),
            "cold_cycle_seconds": cold,  # the first cycle (request minutes not cached yet)
            "cycle_seconds": times,
            "cycle_median_seconds": statistics.median(times),
            "cycle_max_seconds": max(times),
            "instances_firing_after_last_cycle": firing,
        }
    finally:
        gateway.shutdown(grace=1)


def _trigger_created(server: OpsgenieServer, model: str) -> bool:
    return any(f"trigger on {model}" in (r.body or {}).get("message", "") for r in server.accepted("create"))


def _settle(server: OpsgenieServer, task: Any) -> None:
    """Wait for the first cycle and the pages it sent (alerts already firing in the generated data)."""
    while task.runs == 0:
        time.sleep(0.1)
    count, stable_since = -1, time.time()
    while time.time() - stable_since < 2:
        if len(server.accepted("create")) != count:
            count, stable_since = len(server.accepted("create")), time.time()
        time.sleep(0.1)


def latency_phase(data_dir: str, rules: str, args: argparse.Namespace) -> dict[str, Any]:
    os.environ[KEY_ENV] = "bench-key"
    server = OpsgenieServer("bench-key").start()
    gateway = Gateway(
        _config(
            data_dir,
            rules,
            f"alerting.evaluation_interval={args.interval}s",
            "notifications.opsgenie.enabled=true",
            f"notifications.opsgenie.api_url={server.url}",
            f"notifications.opsgenie.api_key_env={KEY_ENV}",
        )
    )
    gateway.start()
    emitted: dict[str, float] = {}  # model -> when the evaluator handed the trigger's firing event over

    def record(event: Any) -> None:
        if event.rule == "BenchTrigger" and event.kind == "firing":
            emitted.setdefault(event.labels.get("model", ""), time.time())

    gateway.notifiers.insert(0, record)  # before the Opsgenie notifier, so its work is not counted here
    stored_reads: list[float] = []  # when each cycle read the stored signals (ml_drift among them)
    read_stored = SignalCycle.stored_series

    def recording(cycle: SignalCycle, name: str) -> Any:
        first = cycle._stored is None
        found = read_stored(cycle, name)
        if first:
            stored_reads.append(time.time())
        return found

    SignalCycle.stored_series = recording  # type: ignore[method-assign]
    latencies: list[float] = []
    to_event: list[float] = []
    try:
        client = gateway.open_client()
        task = gateway.task("alerts")
        _settle(server, task)
        settled = len(server.accepted("create"))
        for trial in range(args.trials):
            if trial % 2:  # the worst case: stored right after a cycle read ml_drift, seen a cycle later
                seen = len(stored_reads)
                while len(stored_reads) == seen:
                    time.sleep(0.001)
            else:  # a different phase each trial
                time.sleep(args.interval * (0.3 + 0.6 * ((trial * 7919) % 10) / 10))
            model = f"model-{trial}"
            now_ns = time.time_ns()
            point = SignalPoint("psi", model, "", 0.5, now_ns - HOUR, now_ns, {"feature": "trigger"}, 1000)
            write_points(client, "ml_drift", [point], now_ns)
            held_at = time.time()  # stored: the condition holds, and `for` is 0
            deadline = held_at + 3 * args.interval + 30
            while not _trigger_created(server, model) and time.time() < deadline:
                time.sleep(0.01)
            if not _trigger_created(server, model):
                raise RuntimeError(f"trial {trial}: no Opsgenie create within {deadline - held_at:.0f} s")
            latencies.append(time.time() - held_at)  # polled every 10 ms
            to_event.append(emitted[model] - held_at)
            print(
                f"trial {trial}: condition held -> AlertEvent {to_event[-1]:.2f} s -> Opsgenie create "
                f"{latencies[-1]:.2f} s",
                flush=True,
            )
        runs, failures = task.runs, task.failures
    finally:
        SignalCycle.stored_series = read_stored  # type: ignore[method-assign]
        gateway.shutdown(grace=1)
        server.stop()
    return {
        "evaluation_interval_seconds": args.interval,
        "to_alert_event_seconds": to_event,
        "to_alert_event_max_seconds": max(to_event),
        "event_within_bound": max(to_event) <= args.interval + 1,
        "trial_kinds": ["after_stored_read" if t % 2 else "varying_phase" for t in range(args.trials)],
        "latencies_seconds": latencies,
        "latency_max_seconds": max(latencies),
        "latency_median_seconds": statistics.median(latencies),
        "bound_seconds": args.interval + 1,
        "within_bound": max(latencies) <= args.interval + 1,  # condition held -> Opsgenie request
        "pages_before_trials": settled,
        "alerts_task_runs": runs,
        "alerts_task_failures": failures,
    }


def _git() -> dict[str, Any]:
    def run(*command: str) -> str:
        return subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True).stdout.strip()

    return {
        "commit": run("git", "rev-parse", "HEAD"),
        "dirty_files": run("git", "status", "--porcelain").splitlines(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spans", type=int, default=10_000_000, help="stage spans stored (default 10M)")
    parser.add_argument("--models", type=int, default=50)
    parser.add_argument("--rules", type=int, default=100)
    parser.add_argument("--cycles", type=int, default=10, help="steady cycles after the cold one")
    parser.add_argument(
        "--interval", type=float, default=10.0, help="evaluation interval of the latency phase, s"
    )
    parser.add_argument("--trials", type=int, default=5, help="page-latency trials (0 skips the phase)")
    parser.add_argument("--keep-data", action="store_true")
    parser.add_argument("--output", default=None)
    args = parser.parse_args(argv)
    data_dir = tempfile.mkdtemp(prefix="inferwatch-bench-alerts-")
    rules = os.path.join(data_dir, "rules.yaml")
    Path(rules).write_text(rule_pack(args.rules), encoding="utf-8")
    try:
        result: dict[str, Any] = {
            "benchmark": "alerts",
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "options": vars(args),
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
            },
            "git": _git(),
            "cycle": cycle_phase(data_dir, rules, args),
        }
        if args.trials:
            result["page_latency"] = latency_phase(data_dir, rules, args)
    finally:
        if not args.keep_data:
            shutil.rmtree(data_dir, ignore_errors=True)
    today = datetime.date.today().isoformat()
    output = Path(args.output or REPO_ROOT / "bench" / "results" / f"alerts-{today}.json")
    output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"result: {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
