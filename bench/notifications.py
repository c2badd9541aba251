"""Benchmark: from an alert event to the Opsgenie request, through a running gateway and its outbox.

Cases:
  latency: a gateway (embedded ClickHouse in a temporary directory, tasks running: the ``notifications``
      task every ``delivery.interval``) pages a local Opsgenie stand-in (tests/support/opsgenie_server.py).
      ``--events`` firing events of distinct alert instances are handed to ``gateway.notifiers`` at random
      moments; measured: how long the notifier call takes (context queries + durable enqueue) and the time
      from the call to the request arriving at the stand-in. Target (issue #6): the Opsgenie request within
      one evaluation interval + 1 s of the condition holding, i.e. this path ≤ 1 s plus the evaluator's part.
  outage: the stand-in answers 503 for ``--outage`` seconds, then 429 with Retry-After 2 once, then
      accepts; measured: every alert opened exactly once, requests sent, time to drain after recovery.
  enqueue: ``Outbox.enqueue`` alone (fsync of file and directory per entry): entries per second.

Usage:
  python bench/notifications.py                   # every case, JSON to bench/results/
  python bench/notifications.py --events 50 --output /tmp/notifications.json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest import machine_info  # noqa: E402  (bench/ingest.py, beside this script)

from gateway.alerting.outbox import Outbox  # noqa: E402
from gateway.app import Gateway  # noqa: E402
from gateway.config import load_config  # noqa: E402
from processors.alerting.events import AlertEvent  # noqa: E402
from tests.support.alert_events import alert_event  # noqa: E402
from tests.support.opsgenie_server import OpsgenieServer, Reply  # noqa: E402

KEY = "bench-genie-key"


CHDB_DIR = tempfile.mkdtemp(prefix="bench-notifications-chdb-")  # a process opens one chdb directory


def _gateway(data_dir: str, url: str) -> Gateway:
    os.environ["INFERWATCH_BENCH_GENIE_KEY"] = KEY
    config = load_config(
        None,
        [
            f"data_dir={data_dir}",
            f"clickhouse.dsn=chdb://{CHDB_DIR}",
            "receivers.grpc.endpoint=127.0.0.1:0",
            "receivers.http.endpoint=127.0.0.1:0",
            "notifications.opsgenie.enabled=true",
            f"notifications.opsgenie.api_url={url}",
            "notifications.opsgenie.api_key_env=INFERWATCH_BENCH_GENIE_KEY",
            "notifications.delivery.initial_backoff=500ms",
            "notifications.delivery.max_backoff=5s",
        ],
    )
    gateway = Gateway(config)
    gateway.start()
    return gateway


def _event(index: int) -> AlertEvent:
    return alert_event("firing", time.time(), labels={"model": f"model-{index}", "version": "1.0.0"})


def _arrivals(server: OpsgenieServer, count: int, deadline: float) -> dict[str, float]:
    """Alias → monotonic arrival time of its first accepted create (polling the stand-in)."""
    seen: dict[str, float] = {}
    while len(seen) < count and time.monotonic() < deadline:
        for request in server.accepted("create"):
            seen.setdefault(request.body["alias"], time.monotonic())
        time.sleep(0.005)
    return seen


def latency_case(events: int) -> dict[str, object]:
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as data_dir, OpsgenieServer(KEY).running() as server:
        gateway = _gateway(data_dir, server.url)
        try:
            call_seconds, latencies = [], []
            for index in range(events):
                time.sleep(rng.uniform(0.0, 1.0))  # events arrive at any phase of the delivery task
                event = _event(index)
                started = time.monotonic()
                for notifier in gateway.notifiers:
                    notifier(event)
                call_seconds.append(time.monotonic() - started)
                before = len(server.accepted("create"))
                arrived = _arrivals(server, before + 1, started + 10.0)
                latencies.append(max(arrived.values()) - started if len(arrived) > before else float("inf"))
        finally:
            gateway.shutdown(grace=1)
        creates = len(server.accepted("create"))
    return {
        "events": events,
        "creates": creates,
        "notifier_call_seconds": _summary(call_seconds),
        "event_to_request_seconds": _summary(latencies),
        "within_1s": sum(latency <= 1.0 for latency in latencies),
    }


def outage_case(events: int, outage: float) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as data_dir, OpsgenieServer(KEY).running() as server:
        server.fail_next(*[Reply(503, {"message": "down"})] * 100_000)
        gateway = _gateway(data_dir, server.url)
        try:
            for index in range(events):
                for notifier in gateway.notifiers:
                    notifier(_event(index))
            time.sleep(outage)
            failed_requests = len(server.requests)
            with server._lock:  # recovery: one 429 with Retry-After, then the normal contract
                server.script[:] = [Reply(429, {"message": "slow down"}, {"Retry-After": "2"})]
            recovered = time.monotonic()
            arrived = _arrivals(server, events, recovered + 60.0)
            drained = max(arrived.values()) - recovered if arrived else float("inf")
            time.sleep(2.0)  # anything sent twice would arrive by now
        finally:
            gateway.shutdown(grace=1)
        return {
            "events": events,
            "outage_seconds": outage,
            "requests_during_outage": failed_requests,
            "alerts_opened": len(server.history),
            "max_count_per_alert": max((alert.count for alert in server.history), default=0),
            "accepted_creates": len(server.accepted("create")),
            "drain_seconds_after_recovery": round(drained, 3),
        }


def enqueue_case(entries: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as directory:
        outbox = Outbox(directory)
        body = {"message": "m" * 130, "description": "d" * 4000, "alias": "x"}
        started = time.perf_counter()
        for index in range(entries):
            outbox.enqueue("opsgenie", "create", f"alias-{index}", body, {"api_key_env": "K"}, 0.0)
        elapsed = time.perf_counter() - started
        started = time.perf_counter()
        Outbox(directory)  # a restart: every entry read back
        reload_seconds = time.perf_counter() - started
    return {
        "entries": entries,
        "per_second": round(entries / elapsed, 1),
        "reload_seconds": round(reload_seconds, 3),
    }


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median": round(statistics.median(ordered), 4),
        "p90": round(ordered[int(0.9 * (len(ordered) - 1))], 4),
        "max": round(ordered[-1], 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=30)
    parser.add_argument("--outage", type=float, default=8.0, help="seconds Opsgenie answers 503 (8)")
    parser.add_argument("--entries", type=int, default=500, help="entries of the enqueue case (500)")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    started = datetime.now(timezone.utc)
    results = {
        "latency": latency_case(args.events),
        "outage": outage_case(args.events, args.outage),
        "enqueue": enqueue_case(args.entries),
    }
    document = {
        "benchmark": "notifications",
        "started": started.isoformat(),
        **machine_info(),
        "results": results,
    }
    output = args.output or ROOT / "bench" / "results" / f"notifications-{started:%Y-%m-%d}.json"
    output.write_text(json.dumps(document, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
