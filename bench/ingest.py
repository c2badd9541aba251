"""End-to-end ingest benchmark: OTLP/gRPC trace exports in, rows visible in ``otel_traces`` out.

Reads: nothing but its options. Writes: a temporary data directory for the gateway it starts (removed
unless ``--keep-data``), the gateway's stderr log beside it, and one JSON result
(``--output``, default ``bench/results/ingest-<date>.json``). No config file; the gateway runs with
its defaults plus ``ingest.flush_interval`` and any ``--set`` override. Not a test; run it by hand:
``python bench/ingest.py --duration 30`` (see bench/README.md for what each figure means).

The client is kept cheap because it shares the machine with the gateway: every client process
serializes one template request before the timed phase and makes each variant by overwriting the
sequence-number bytes of every trace and span id in place (numpy), so ids stay unique per span.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime
import itertools
import json
import math
import multiprocessing
import os
import platform
import queue
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from array import array
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import psutil
from google.protobuf.message import DecodeError
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
EXPORT_METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
CALL_TIMEOUT_SECONDS = 60.0
RETRY_GRACE_SECONDS = 120.0  # after --duration, a request being retried may still be acknowledged
BUSY_MACHINE_SHARE = 0.1  # other processes using more than this many cores make a run suspect
SEQ_BYTES = 5  # per-request sequence number written into every trace and span id
_TRACE_ID_PAD = b"bnch"

# 13 span attributes of mixed types, as an ML inference span might carry; more wrap around.
_ATTRIBUTES: tuple[tuple[str, Any], ...] = (
    ("ml.request.id", "req-{i:06d}"),
    ("ml.input.tokens", 512),
    ("ml.output.tokens", 64),
    ("ml.latency.ms", 12.5),
    ("ml.prediction.score", 0.973),
    ("ml.prediction.label", "cat"),
    ("ml.cache.hit", False),
    ("ml.batch.size", 8),
    ("ml.feature.country", "DE"),
    ("ml.feature.age", 41.0),
    ("ml.is_shadow", True),
    ("http.route", "/v1/models/resnet50:predict"),
    ("http.status_code", 200),
)
_SPAN_NAMES = ("predict", "preprocess", "postprocess", "feature-lookup")


# ---- payload -------------------------------------------------------------------------------------


@dataclass
class Template:
    """A serialized request and where each span's sequence-number bytes sit in it."""

    body: np.ndarray  # uint8
    seq_positions: np.ndarray  # (2 * spans, SEQ_BYTES) byte offsets: trace ids, then span ids
    spans: int

    def variant(self, buffer: np.ndarray, seq: int) -> bytes:
        """The request with ``seq`` in every id; ``buffer`` is the caller's copy of ``body``."""
        buffer[self.seq_positions] = np.frombuffer(seq.to_bytes(SEQ_BYTES, "big"), dtype=np.uint8)
        return buffer.tobytes()


def _trace_id(nonce: bytes, client: int, seq: int, trace: int) -> bytes:
    return nonce + bytes([client]) + seq.to_bytes(SEQ_BYTES, "big") + trace.to_bytes(2, "big") + _TRACE_ID_PAD


def _span_id(client: int, seq: int, span: int) -> bytes:
    return bytes([client]) + seq.to_bytes(SEQ_BYTES, "big") + span.to_bytes(2, "big")


# Serialized Span fields start with their tag and length: trace_id (field 1, 16 bytes), span_id (field 2,
# 8 bytes), parent_span_id (field 4, 8 bytes). Searching with them finds each field, not equal bytes
# elsewhere (a parent id equals its parent's span id).
_TRACE_ID_FIELD = b"\x0a\x10"
_SPAN_ID_FIELD = b"\x12\x08"
_PARENT_SPAN_ID_FIELD = b"\x22\x08"


def _seq_offsets(body: bytes, needles: list[bytes], seq_at: int) -> list[range]:
    """Byte offsets of the sequence number at ``seq_at`` in each needle, the needles found in order."""
    offsets, cursor = [], 0
    for needle in needles:
        found = body.find(needle, cursor)
        if found < 0:
            raise AssertionError(f"{needle.hex()} not found in the serialized template")
        offsets.append(range(found + seq_at, found + seq_at + SEQ_BYTES))
        cursor = found + len(needle)
    return offsets


def build_template(
    spans: int, attributes: int, client: int, nonce: bytes, spans_per_trace: int = 1
) -> Template:
    """One ExportTraceServiceRequest: a resource (service and model), one scope, ``spans`` spans.

    Spans come in traces of ``spans_per_trace``: the first is the root, the others its children.
    """
    if not 0 <= client < 256 or not 0 < spans < 65536 or spans_per_trace < 1:
        raise ValueError("client must be in 0..255, spans in 1..65535 and spans_per_trace at least 1")
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    for key, value in (
        ("service.name", "bench-inference"),
        ("ml.model.name", "resnet50"),
        ("ml.model.version", "3.1.0"),
    ):
        resource_spans.resource.attributes.add(key=key).value.string_value = value
    scope_spans = resource_spans.scope_spans.add()
    scope_spans.scope.name = "inferwatch.bench"
    scope_spans.scope.version = "1"
    placeholder = (1 << (8 * SEQ_BYTES)) - 1
    start = time.time_ns() - spans * 1_000
    trace_needles, span_needles, parent_needles = [], [], []
    for index in range(spans):
        span = scope_spans.spans.add()
        span.trace_id = _trace_id(nonce, client, placeholder, index // spans_per_trace)
        span.span_id = _span_id(client, placeholder, index)
        trace_needles.append(_TRACE_ID_FIELD + span.trace_id)
        span_needles.append(_SPAN_ID_FIELD + span.span_id)
        root = index - index % spans_per_trace
        if root != index:
            span.parent_span_id = _span_id(client, placeholder, root)
            parent_needles.append(_PARENT_SPAN_ID_FIELD + span.parent_span_id)
        span.name = _SPAN_NAMES[index % spans_per_trace % len(_SPAN_NAMES)]
        span.kind = 2 if root == index else 1  # SERVER for the root, INTERNAL for its stages
        span.start_time_unix_nano = start + index * 1_000
        span.end_time_unix_nano = span.start_time_unix_nano + 3_000_000 + index * 997
        span.status.code = 1  # OK
        for number in range(attributes):
            key, value = _ATTRIBUTES[number % len(_ATTRIBUTES)]
            if number >= len(_ATTRIBUTES):
                key = f"{key}.{number // len(_ATTRIBUTES)}"
            any_value = span.attributes.add(key=key).value
            if isinstance(value, bool):
                any_value.bool_value = value
            elif isinstance(value, int):
                any_value.int_value = value + index
            elif isinstance(value, float):
                any_value.double_value = value + index / 1000
            else:
                any_value.string_value = value.format(i=index)
    body = request.SerializeToString()
    offsets = [
        *_seq_offsets(body, trace_needles, len(_TRACE_ID_FIELD) + len(nonce) + 1),
        *_seq_offsets(body, span_needles, len(_SPAN_ID_FIELD) + 1),
        *_seq_offsets(body, parent_needles, len(_PARENT_SPAN_ID_FIELD) + 1),
    ]
    return Template(np.frombuffer(body, dtype=np.uint8).copy(), np.array(offsets, dtype=np.intp), spans)


def check_template(template: Template) -> None:
    """Two variants decode with unique span ids, and every parent is a span of the same trace."""
    span_ids: set[bytes] = set()
    for seq in (1, 2):
        request = ExportTraceServiceRequest.FromString(template.variant(template.body.copy(), seq))
        spans = request.resource_spans[0].scope_spans[0].spans
        trace_of = {span.span_id: span.trace_id for span in spans}
        for span in spans:
            if span.parent_span_id and trace_of.get(span.parent_span_id) != span.trace_id:
                raise AssertionError(f"span {span.span_id.hex()} has a parent outside its trace")
        span_ids.update(trace_of)
    if len(span_ids) != 2 * template.spans:
        raise AssertionError(f"template variants repeat span ids: {len(span_ids)} of {2 * template.spans}")


# ---- client processes ------------------------------------------------------------------------------


@dataclass
class ClientStats:
    acked_spans: int = 0
    rejected_spans: int = 0
    ok_calls: int = 0
    unavailable: int = 0
    errors: collections.Counter = field(default_factory=collections.Counter)
    latencies_ms: array = field(default_factory=lambda: array("d"))
    first_send: float = math.inf
    last_ack: float = 0.0
    sent_bytes: int = 0


def _retry_delay(error: grpc.RpcError, fallback: float) -> float:
    """The RetryInfo delay from ``grpc-status-details-bin``, else ``fallback``."""
    for key, value in error.trailing_metadata() or ():
        if key != "grpc-status-details-bin":
            continue
        try:
            status = status_pb2.Status.FromString(value)
        except DecodeError:
            break
        for detail in status.details:
            info = error_details_pb2.RetryInfo()
            if detail.Unpack(info):
                return info.retry_delay.ToTimedelta().total_seconds()
    return fallback


def _send_loop(stub: Any, template: Template, sequence: Any, budget: int, stop_at: float) -> ClientStats:
    stats = ClientStats()
    buffer = template.body.copy()
    hard_deadline = stop_at + RETRY_GRACE_SECONDS
    while time.monotonic() < stop_at:
        seq = next(sequence)
        if seq > budget:
            break
        payload = template.variant(buffer, seq)
        backoff = 0.1
        while True:
            started = time.perf_counter()
            stats.first_send = min(stats.first_send, time.monotonic())
            try:
                response = stub(payload, timeout=CALL_TIMEOUT_SECONDS)
            except grpc.RpcError as error:
                stats.latencies_ms.append((time.perf_counter() - started) * 1000)
                if error.code() == grpc.StatusCode.UNAVAILABLE and time.monotonic() < hard_deadline:
                    stats.unavailable += 1
                    time.sleep(_retry_delay(error, backoff) * random.uniform(1.0, 1.1))
                    backoff = min(backoff * 2, 5.0)
                    continue
                stats.errors[error.code().name] += 1
                break
            stats.latencies_ms.append((time.perf_counter() - started) * 1000)
            rejected = response.partial_success.rejected_spans
            stats.ok_calls += 1
            stats.acked_spans += template.spans - rejected
            stats.rejected_spans += rejected
            stats.sent_bytes += len(payload)
            stats.last_ack = time.monotonic()
            break
    return stats


def client_process(index: int, params: dict, ready: Any, go: Any, start_at: Any, results: Any) -> None:
    """One client: build the template, connect, then ``inflight`` threads send until the stop time."""
    template = build_template(
        params["spans_per_request"], params["attributes"], index, params["nonce"], params["spans_per_trace"]
    )
    check_template(template)
    channel = grpc.insecure_channel(
        params["target"],
        options=[("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)],
    )
    grpc.channel_ready_future(channel).result(timeout=30)
    stub = channel.unary_unary(
        EXPORT_METHOD, request_serializer=None, response_deserializer=ExportTraceServiceResponse.FromString
    )
    sequence = itertools.count(1)  # next() is atomic under the GIL: one sequence per process
    ready.put(index)
    go.wait()
    stop_at = start_at.value + params["duration"]
    time.sleep(max(0.0, start_at.value - time.monotonic()))
    cpu_before = os.times()
    per_thread: list[ClientStats] = []
    threads = [
        threading.Thread(
            target=lambda: per_thread.append(
                _send_loop(stub, template, sequence, params["requests_per_client"], stop_at)
            )
        )
        for _ in range(params["inflight"])
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cpu_after = os.times()
    channel.close()
    total = ClientStats()
    for stats in per_thread:
        for name in ("acked_spans", "rejected_spans", "ok_calls", "unavailable", "sent_bytes"):
            setattr(total, name, getattr(total, name) + getattr(stats, name))
        total.errors.update(stats.errors)
        total.latencies_ms.extend(stats.latencies_ms)
        total.first_send = min(total.first_send, stats.first_send)
        total.last_ack = max(total.last_ack, stats.last_ack)
    cpu = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    results.put({"index": index, "stats": total, "cpu_seconds": cpu, "request_bytes": len(template.body)})


# ---- the gateway under test ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class GatewayProcess:
    """``python -m gateway serve`` on free loopback ports with a fresh data directory."""

    def __init__(self, workdir: Path, overrides: list[str]) -> None:
        self.workdir = workdir
        self.grpc_port, self.http_port = free_port(), free_port()
        self.log_path = workdir / "gateway.log"
        command = [
            sys.executable, "-m", "gateway", "serve",
            "--data-dir", str(workdir / "data"),
            "--grpc-endpoint", f"127.0.0.1:{self.grpc_port}",
            "--http-endpoint", f"127.0.0.1:{self.http_port}",
            *(argument for override in overrides for argument in ("--set", override)),
        ]  # fmt: skip
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=self._log, stderr=self._log)

    def wait_ready(self, timeout: float = 120.0) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"gateway exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/readyz", timeout=2) as answer:
                    if answer.status == 200:
                        return time.monotonic() - started
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gateway not ready after {timeout:.0f}s:\n{self.log_tail()}")

    def query(self, sql: str) -> list[dict]:
        body = json.dumps({"query": sql, "format": "json"}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.http_port}/api/v1/query",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            return [json.loads(line) for line in answer.read().splitlines() if line.strip()]

    def stored_spans(self) -> int:
        return int(self.query("SELECT count() AS stored FROM otel_traces")[0]["stored"])

    def stop(self, timeout: float = 120.0) -> float:
        """SIGTERM (the gateway flushes and exits); returns the seconds it took."""
        started = time.monotonic()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return time.monotonic() - started

    def log_tail(self, lines: int = 30) -> str:
        if not self._log.closed:
            self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


class ResourceSampler(threading.Thread):
    """Samples the gateway's RSS (with its children) every ``interval`` seconds; keeps the peak."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        super().__init__(name="rss-sampler", daemon=True)
        self.process = psutil.Process(pid)
        self.interval = interval
        self.peak_rss = 0
        self.last_rss = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        rss = 0
        with contextlib.suppress(psutil.NoSuchProcess):
            for process in (self.process, *self.process.children(recursive=True)):
                with contextlib.suppress(psutil.NoSuchProcess):
                    rss += process.memory_info().rss
        self.last_rss = rss
        self.peak_rss = max(self.peak_rss, rss)

    def cpu_seconds(self) -> float:
        total = 0.0
        for process in (self.process, *self.process.children(recursive=True)):
            with contextlib.suppress(psutil.NoSuchProcess):
                times = process.cpu_times()
                total += times.user + times.system + times.children_user + times.children_system
        return total

    def cpu_by_thread_name(self) -> dict[str, float]:
        """CPU seconds per OS thread name (Python threads all show as the interpreter's name)."""
        totals: collections.Counter = collections.Counter()
        with contextlib.suppress(psutil.NoSuchProcess):
            for thread in self.process.threads():
                try:
                    name = Path(f"/proc/{self.process.pid}/task/{thread.id}/comm").read_text().strip()
                except OSError:
                    continue
                totals[name] += thread.user_time + thread.system_time
        return dict(totals)

    def stop(self) -> None:
        self._halt.set()
        self.join()


# ---- one run ----------------------------------------------------------------------------------------


def machine_info() -> dict:
    model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    from google.protobuf.internal import api_implementation

    def version(name: str) -> str | None:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
        return done.stdout

    return {
        "cpu_model": model,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "chdb": version("chdb"),
        "grpcio": version("grpcio"),
        "protobuf": f"{version('protobuf')} ({api_implementation.Type()})",
        "git_commit": git("rev-parse", "HEAD").strip(),
        # Uncommitted changes to the gateway change the figures: name them.
        "git_uncommitted": [line[3:] for line in git("status", "--porcelain").splitlines()],
    }


def _percentile(values: np.ndarray, q: float) -> float | None:
    return round(float(np.percentile(values, q)), 2) if len(values) else None


def _thread_cpu(before: dict[str, float], after: dict[str, float], main_name: str) -> dict[str, dict]:
    """Thread CPU by name and grouped: Python threads keep the interpreter's name, gRPC core and chdb
    threads have their own names. Threads that ended during the run are missing."""
    by_name = {name: seconds - before.get(name, 0.0) for name, seconds in after.items()}
    groups: collections.Counter = collections.Counter()
    for name, seconds in by_name.items():
        if name == main_name:
            group = "python threads (gRPC handlers, validation, spool, writer)"
        elif name.startswith(("grpc", "event_engine")):
            group = "gRPC core threads"
        else:
            group = "ClickHouse (chdb) threads"
        groups[group] += seconds
    return {
        "by_component": {group: round(seconds, 2) for group, seconds in groups.most_common()},
        "by_thread_name": {
            name: round(seconds, 2)
            for name, seconds in sorted(by_name.items(), key=lambda item: -item[1])
            if seconds >= 0.05
        },
    }


@dataclass
class Measured:
    """What one run observed; times are ``time.monotonic()`` values (shared by all processes)."""

    outcomes: list[dict]
    acked: int
    stored: int
    unique_ids: int
    first_send: float
    last_ack: float
    visible_at: float
    cpu_seconds: float
    thread_cpu: dict[str, dict]
    machine_busy_seconds: float  # every process's CPU time, from /proc/stat
    steal_seconds: float
    peak_rss: int
    ready_seconds: float
    shutdown_seconds: float
    timeline: list[list]


def _start_clients(args: argparse.Namespace, target: str) -> tuple[list, Any, Any, Any]:
    """Spawn the clients and wait until each has built its template and connected."""
    context = multiprocessing.get_context("spawn")  # no fork of a process holding gRPC state
    ready, results, go = context.Queue(), context.Queue(), context.Event()
    start_at = context.Value("d", 0.0)
    requests_total = math.ceil(args.max_spans / args.spans_per_request)
    params = {
        "target": target,
        "spans_per_request": args.spans_per_request,
        "attributes": args.attributes,
        "spans_per_trace": args.spans_per_trace,
        "inflight": args.inflight,
        "duration": args.duration,
        "requests_per_client": math.ceil(requests_total / args.clients),
        "nonce": os.urandom(4),
    }
    clients = [
        context.Process(target=client_process, args=(index, params, ready, go, start_at, results))
        for index in range(args.clients)
    ]
    for client in clients:
        client.start()
    for _ in clients:
        ready.get(timeout=120)
    return clients, results, go, start_at


def _collect(clients: list, results: Any, progress: Any) -> list[dict]:
    """The clients' results; ``progress()`` runs about once a second until all have reported."""
    outcomes: list[dict] = []
    while len(outcomes) < len(clients):
        try:
            outcomes.append(results.get(timeout=1.0))
            continue
        except queue.Empty:
            if not any(client.is_alive() for client in clients) and results.empty():
                raise RuntimeError("a client process died without a result") from None
        progress()
    for client in clients:
        client.join()
    return outcomes


def _drain(gateway: GatewayProcess, acked: int, args: argparse.Namespace) -> tuple[int, float, list]:
    """Poll the stored count until it equals ``acked`` or stops changing for ``--settle`` seconds.

    Returns the final count, the time of the first poll that saw it, and (time, count) changes.
    """
    stored, visible_at = -1, time.monotonic()
    changes = []
    started = time.monotonic()
    while True:
        count = gateway.stored_spans()
        now = time.monotonic()
        if count != stored:
            stored, visible_at = count, now
            changes.append((now, stored))
        if stored >= acked or now - visible_at > args.settle or now - started > args.drain_timeout:
            return stored, visible_at, changes
        time.sleep(0.1)


def _busy_seconds(before: Any, after: Any) -> tuple[float, float]:
    """Machine-wide non-idle CPU seconds between two ``psutil.cpu_times()``, and the steal part."""

    def busy(times: Any) -> float:
        not_busy = ("idle", "iowait", "steal", "guest", "guest_nice")  # guest time is inside user/nice
        return sum(times) - sum(getattr(times, name, 0.0) for name in not_busy)

    steal = getattr(after, "steal", 0.0) - getattr(before, "steal", 0.0)
    return busy(after) - busy(before), steal


def _py_spy(pid: int, output: str, duration: float) -> subprocess.Popen:
    command = ["py-spy", "record", "--pid", str(pid), "--rate", "100", "--nonblocking", "--gil",
               "--format", "raw", "--output", output, "--duration", str(max(1, int(duration)))]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def measure(args: argparse.Namespace, workdir: Path) -> Measured:
    gateway = GatewayProcess(workdir, [f"ingest.flush_interval={args.flush_interval}", *args.gateway_set])
    profiler = None
    try:
        ready_seconds = gateway.wait_ready()
        sampler = ResourceSampler(gateway.process.pid)
        sampler.start()
        clients, results, go, start_at = _start_clients(args, f"127.0.0.1:{gateway.grpc_port}")
        cpu_before, threads_before = sampler.cpu_seconds(), sampler.cpu_by_thread_name()
        machine_before = psutil.cpu_times()
        start_at.value = time.monotonic() + 0.1
        go.set()
        if args.py_spy:
            profiler = _py_spy(gateway.process.pid, args.py_spy, args.duration)
        timeline: list[list] = []

        def progress() -> None:
            elapsed, stored = time.monotonic() - start_at.value, gateway.stored_spans()
            cpu = round(sampler.cpu_seconds() - cpu_before, 2)
            timeline.append([round(elapsed, 2), stored, sampler.last_rss, cpu])
            print(
                f"  t={elapsed:5.1f}s stored={stored:>10,} rss={sampler.last_rss / 2**20:6.0f} MiB",
                flush=True,
            )

        outcomes = _collect(clients, results, progress)
        acked = sum(outcome["stats"].acked_spans for outcome in outcomes)
        stored, visible_at, changes = _drain(gateway, acked, args)
        cpu_seconds = sampler.cpu_seconds() - cpu_before
        machine_busy, steal = _busy_seconds(machine_before, psutil.cpu_times())
        thread_cpu = _thread_cpu(threads_before, sampler.cpu_by_thread_name(), sampler.process.name()[:15])
        timeline += [[round(at - start_at.value, 2), count, None, None] for at, count in changes]
        if profiler is not None:
            profiler.wait(timeout=args.duration + 30)
        unique = gateway.query("SELECT uniqExact(TraceId, SpanId) AS unique_ids FROM otel_traces")[0]
        shutdown_seconds = gateway.stop()
        sampler.stop()
    except BaseException:
        gateway.stop()
        print(f"gateway log {gateway.log_path}:\n{gateway.log_tail()}", file=sys.stderr)
        raise
    finally:
        if profiler is not None and profiler.poll() is None:
            profiler.terminate()
    return Measured(
        outcomes=outcomes,
        acked=acked,
        stored=stored,
        unique_ids=int(unique["unique_ids"]),
        first_send=min(outcome["stats"].first_send for outcome in outcomes),
        last_ack=max(outcome["stats"].last_ack for outcome in outcomes),
        visible_at=visible_at,
        cpu_seconds=cpu_seconds,
        thread_cpu=thread_cpu,
        machine_busy_seconds=machine_busy,
        steal_seconds=steal,
        peak_rss=sampler.peak_rss,
        ready_seconds=ready_seconds,
        shutdown_seconds=shutdown_seconds,
        timeline=timeline,
    )


def report(args: argparse.Namespace, started: datetime.datetime, m: Measured, data_dir: str | None) -> dict:
    stats = [outcome["stats"] for outcome in m.outcomes]
    latencies = np.concatenate([np.frombuffer(s.latencies_ms, dtype=np.float64) for s in stats])
    send_seconds = m.last_ack - m.first_send
    end_to_end_seconds = m.visible_at - m.first_send
    errors: collections.Counter = collections.Counter()
    for s in stats:
        errors.update(s.errors)
    client_cpu = sum(outcome["cpu_seconds"] for outcome in m.outcomes)
    return {
        "benchmark": "ingest",
        "command": " ".join(["python", "bench/ingest.py", *sys.argv[1:]]),
        "started_utc": started.isoformat(timespec="seconds"),
        "machine": machine_info(),
        "parameters": {
            "duration_s": args.duration,
            "clients": args.clients,
            "inflight_per_client": args.inflight,
            "spans_per_request": args.spans_per_request,
            "attributes_per_span": args.attributes,
            "spans_per_trace": args.spans_per_trace,
            "resource_attributes": 3,
            "flush_interval": args.flush_interval,
            "gateway_overrides": args.gateway_set,
            "max_spans": args.max_spans,
            "request_bytes": m.outcomes[0]["request_bytes"],
            "settle_s": args.settle,
            "compression": "none",
        },
        "results": {
            "sustained_spans_per_s": round(m.stored / end_to_end_seconds) if end_to_end_seconds > 0 else None,
            "acked_spans": m.acked,
            "stored_spans": m.stored,
            "stored_unique_ids": m.unique_ids,
            "all_acked_visible": m.stored == m.acked,
            "rejected_spans": sum(s.rejected_spans for s in stats),
            "acked_spans_per_s": round(m.acked / send_seconds) if send_seconds > 0 else None,
            "send_seconds": round(send_seconds, 3),
            "end_to_end_seconds": round(end_to_end_seconds, 3),
            "drain_after_last_ack_s": round(m.visible_at - m.last_ack, 3),
            "export_calls": len(latencies),
            "ok_calls": sum(s.ok_calls for s in stats),
            "export_latency_ms": {
                "p50": _percentile(latencies, 50),
                "p90": _percentile(latencies, 90),
                "p99": _percentile(latencies, 99),
                "max": round(float(latencies.max()), 2) if len(latencies) else None,
            },
            "unavailable": sum(s.unavailable for s in stats),
            "other_errors": dict(errors),
            "sent_mib": round(sum(s.sent_bytes for s in stats) / 2**20, 1),
            "gateway_peak_rss_mib": round(m.peak_rss / 2**20, 1),
            "gateway_cpu_seconds": round(m.cpu_seconds, 2),
            "gateway_cpu_cores_avg": round(m.cpu_seconds / end_to_end_seconds, 2)
            if end_to_end_seconds
            else None,
            "gateway_cpu_seconds_by_component": m.thread_cpu["by_component"],
            "gateway_cpu_seconds_by_thread_name": m.thread_cpu["by_thread_name"],
            "client_cpu_seconds": round(client_cpu, 2),
            # CPU used by anything but the gateway and the clients (other jobs, this script): a busy
            # machine depresses every figure above, so compare runs only when this is small.
            "other_cpu_seconds": round(m.machine_busy_seconds - m.cpu_seconds - client_cpu, 2),
            "steal_seconds": round(m.steal_seconds, 2),
            "gateway_ready_s": round(m.ready_seconds, 2),
            "gateway_shutdown_s": round(m.shutdown_seconds, 2),
        },
        "timeline": {
            "columns": ["t_s", "stored_spans", "gateway_rss_bytes", "gateway_cpu_s"],
            "rows": m.timeline,
        },
        "data_dir": data_dir,
    }


def summary(result: dict) -> str:
    p, r = result["parameters"], result["results"]
    latency = r["export_latency_ms"]
    return "\n".join(
        [
            f"ingest: {p['clients']} clients x {p['inflight_per_client']} in flight, "
            f"{p['spans_per_request']} spans/request x {p['attributes_per_span']} attributes "
            f"({p['request_bytes'] / 1024:.0f} KiB), {p['duration_s']:g}s, flush {p['flush_interval']}"
            + "".join(f", {override}" for override in p["gateway_overrides"]),
            f"  sustained end to end : {r['sustained_spans_per_s']:,} spans/s "
            f"({r['stored_spans']:,} stored; {r['end_to_end_seconds']:.1f}s first send -> last row visible)",
            f"  acknowledged         : {r['acked_spans']:,} spans, {r['acked_spans_per_s']:,} spans/s over "
            f"{r['send_seconds']:.1f}s; all visible: {r['all_acked_visible']}; "
            f"unique ids: {r['stored_unique_ids']:,}",
            f"  drain after last ack : {r['drain_after_last_ack_s']:.2f}s",
            f"  Export latency       : p50 {latency['p50']} ms, p99 {latency['p99']} ms over "
            f"{r['export_calls']:,} calls; UNAVAILABLE {r['unavailable']}; errors {r['other_errors']}",
            f"  gateway              : peak RSS {r['gateway_peak_rss_mib']:,.0f} MiB, "
            f"{r['gateway_cpu_seconds']:.1f} CPU s ({r['gateway_cpu_cores_avg']} cores avg); "
            f"clients {r['client_cpu_seconds']:.1f} CPU s; others {r['other_cpu_seconds']:.1f} CPU s",
            *(
                f"    {seconds:6.1f} CPU s  {group}"
                for group, seconds in r["gateway_cpu_seconds_by_component"].items()
            ),
            *(
                [
                    f"  WARNING: other processes used {r['other_cpu_seconds']:.0f} CPU s during the run "
                    "(a busy machine): the figures are low, repeat on an idle machine"
                ]
                if r["other_cpu_seconds"] > BUSY_MACHINE_SHARE * r["end_to_end_seconds"]
                else []
            ),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of sending (default 30)")
    parser.add_argument("--clients", type=int, default=2, help="client processes (default 2)")
    parser.add_argument("--inflight", type=int, default=4, help="requests in flight per client (default 4)")
    parser.add_argument("--spans-per-request", type=int, default=500, help="default 500")
    parser.add_argument("--attributes", type=int, default=13, help="attributes per span (default 13)")
    parser.add_argument(
        "--spans-per-trace", type=int, default=1, help="spans sharing a trace id, root first (default 1)"
    )
    parser.add_argument("--flush-interval", default="1s", help="gateway ingest.flush_interval (default 1s)")
    parser.add_argument(
        "--max-spans", type=int, default=20_000_000, help="stop sending after this many spans (default 20M)"
    )
    parser.add_argument(
        "--settle", type=float, default=10.0, help="stop waiting once the stored count is unchanged this long"
    )
    parser.add_argument("--drain-timeout", type=float, default=300.0, help="longest wait for stored rows")
    parser.add_argument(
        "--set",
        dest="gateway_set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="another gateway config override, e.g. ingest.max_batch_bytes=64MiB (repeatable)",
    )
    parser.add_argument("--keep-data", action="store_true", help="keep the gateway's data dir and log")
    parser.add_argument(
        "--py-spy", metavar="FILE", help="profile the gateway's GIL holder with py-spy while sending"
    )
    parser.add_argument("--output", help="JSON result path (default bench/results/ingest-<date>.json)")
    args = parser.parse_args()
    if not 1 <= args.clients <= 255:
        parser.error("--clients must be 1..255")
    if not 1 <= args.spans_per_request <= 65535:
        parser.error("--spans-per-request must be 1..65535")
    if args.spans_per_trace < 1:
        parser.error("--spans-per-trace must be at least 1")
    output = Path(args.output or REPO_ROOT / "bench" / "results" / f"ingest-{datetime.date.today()}.json")
    started = datetime.datetime.now(datetime.timezone.utc)
    workdir = Path(tempfile.mkdtemp(prefix="inferwatch-bench-"))
    try:
        measured = measure(args, workdir)
    finally:
        if not args.keep_data:
            shutil.rmtree(workdir, ignore_errors=True)
    result = report(args, started, measured, str(workdir) if args.keep_data else None)
    print(summary(result))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"result written to {output}"
        + (f"; gateway data and log kept in {workdir}" if args.keep_data else "")
    )


if __name__ == "__main__":
    main()
