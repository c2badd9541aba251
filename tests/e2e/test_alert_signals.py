"""The live alert signals from real OTLP traffic: the same numbers as ``inferwatch signals`` (the dashboard's
queries are the oracle), baselines against numpy, infrastructure metrics from the OTel metrics SDK.

Metric points carry the SDK's own (wall-clock) timestamps, so this test's clock is the wall clock at the
moment of the evaluation; span times are explicit, inside the window.
"""

from __future__ import annotations

import time
from datetime import timedelta

import numpy as np
import pytest
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from examples.model_service import ModelService
from gateway.alerting.signal_source import BaselineCache, RequestCache, SignalCycle
from processors.ml.signals import SignalsRequest, Window, build_queries, shape_signals
from tests.e2e.conftest import GatewayFactory, grpc_endpoint

SECOND = 1_000_000_000
DAY = 86_400 * SECOND
FEATURES = {"amount": 120.0, "account_age_days": 30, "country": "DE"}


def _provider(gateway) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": "fraud-api"}))
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=grpc_endpoint(gateway), insecure=True))
    )
    return provider


def _traffic(gateway, now: int) -> dict[str, list[int]]:
    """Requests of fraud 1 and 2 and churn in the window, fraud a day earlier (the baseline), a model
    that stopped 2 h ago; returns the request durations (ns) by group."""
    provider = _provider(gateway)
    tracer = provider.get_tracer("signals-test")
    rng = np.random.default_rng(11)
    durations: dict[str, list[int]] = {"window": [], "baseline": []}
    faults = {
        3: {"http_status": 400},
        7: {"http_status": 503},
        11: {"exception": TimeoutError("upstream timed out")},
    }
    for version, count in (("1", 40), ("2", 12)):
        service = ModelService(tracer, model_name="fraud", model_version=version)
        for index in range(count):
            fault = faults.get(index, {}) if version == "1" else {}
            override = {"confidence": float(rng.uniform(0.2, 1.0))} if not fault else None
            answer = service.handle(
                f"f{version}-{index}",
                FEATURES,
                start_ns=now - 200 * SECOND + index * SECOND,
                stage_durations_ms={
                    "inference": float(rng.uniform(5, 80)),
                    "preprocess": float(rng.uniform(1, 5)),
                },
                prediction_override=override,
                **fault,
            )
            durations["window"].append(answer.end_ns - answer.start_ns)
    old = ModelService(tracer, model_name="fraud", model_version="0.9")
    for index in range(30):
        answer = old.handle(
            f"old-{index}",
            FEATURES,
            start_ns=now - DAY + index * SECOND,
            stage_durations_ms={"inference": float(rng.uniform(2, 20))},
        )
        durations["baseline"].append(answer.end_ns - answer.start_ns)
    churn = ModelService(tracer, model_name="churn", model_version="5")
    for index in range(15):
        churn.handle(f"c-{index}", FEATURES, start_ns=now - 100 * SECOND + index * SECOND)
    gone = ModelService(tracer, model_name="gone", model_version="1")
    gone.handle("g-0", FEATURES, start_ns=now - 2 * 3600 * SECOND)
    assert provider.force_flush(10_000)
    provider.shutdown()
    return durations


def _infrastructure(gateway) -> None:
    resource = Resource.create(
        {"service.name": "fraud-api", "k8s.pod.name": "fraud-7d9f", "ml.model.name": "fraud"}
    )
    reader = PeriodicExportingMetricReader(
        OTLPMetricExporter(endpoint=grpc_endpoint(gateway), insecure=True), export_interval_millis=3_600_000
    )
    provider = MeterProvider(resource=resource, metric_readers=[reader])
    meter = provider.get_meter("infra-test")
    cpu = meter.create_gauge("k8s.pod.cpu_limit_utilization")
    memory = meter.create_gauge("k8s.pod.memory_limit_utilization")
    restarts = meter.create_gauge("k8s.container.restarts")
    cpu.set(0.95)
    memory.set(0.5)
    restarts.set(2)
    assert provider.force_flush(10_000)
    cpu.set(0.85)
    restarts.set(5)
    provider.shutdown()  # the second and last export
    # The hostmetrics receiver's names: CPU per cpu and state (busy = 1 - idle), memory per state.
    host = MeterProvider(
        resource=Resource.create({"service.name": "fraud-api", "host.name": "node-1"}),
        metric_readers=[
            PeriodicExportingMetricReader(
                OTLPMetricExporter(endpoint=grpc_endpoint(gateway), insecure=True),
                export_interval_millis=3_600_000,
            )
        ],
    )
    host_meter = host.get_meter("hostmetrics-test")
    host_cpu = host_meter.create_gauge("system.cpu.utilization")
    for cpu_name, state, value in (("cpu0", "idle", 0.3), ("cpu0", "user", 0.6), ("cpu1", "idle", 0.1)):
        host_cpu.set(value, {"cpu": cpu_name, "state": state})
    host_memory = host_meter.create_gauge("system.memory.utilization")
    host_memory.set(0.7, {"state": "used"})
    host_memory.set(0.3, {"state": "free"})
    host.shutdown()


@pytest.fixture
def cycle(gateways: GatewayFactory):
    gateway = gateways.start(run_tasks=False)
    now = time.time_ns()
    durations = _traffic(gateway, now)
    _infrastructure(gateway)
    gateways.rows("SELECT 1")
    evaluated_at = time.time_ns()
    client = gateway.open_client()
    signal_cycle = SignalCycle(
        client,
        evaluated_at,
        delay=timedelta(0),
        low_confidence=0.5,
        fixed_baselines={"churn": {"latency_p95": 123.0}},
        staleness=timedelta(hours=2),
        baselines=BaselineCache(timedelta(hours=1), timedelta(days=7)),
    )
    return signal_cycle, client, evaluated_at, durations


def _plain_cycle(
    client, end: int, baselines: BaselineCache, windows=(), requests: RequestCache | None = None
) -> SignalCycle:
    """A cycle ending at ``end`` without delay or configured baselines."""
    return SignalCycle(
        client,
        end,
        delay=timedelta(0),
        low_confidence=0.5,
        fixed_baselines={},
        staleness=timedelta(hours=2),
        baselines=baselines,
        windows=windows,
        requests=requests,
    )


def test_cached_minutes_give_the_numbers_of_one_pass(cycle):
    signal_cycle, client, evaluated_at, _ = cycle
    windows = (timedelta(minutes=2), timedelta(minutes=5), timedelta(minutes=15))
    cache = RequestCache()

    def cycle_at(end: int, requests: RequestCache | None) -> SignalCycle:
        return _plain_cycle(client, end, signal_cycle.baselines, windows, requests)

    for offset in (-150, -61, -1, 0):  # seconds before the evaluation: the cache fills, then serves
        cached = cycle_at(evaluated_at + offset * SECOND, cache)
        fresh = cycle_at(evaluated_at + offset * SECOND, None)
        for window in windows:
            for name in ("error_rate", "rps", "error_class_rate", "confidence_mean", "low_confidence_rate"):
                expected = _values(fresh.source(window), name)
                assert _values(cached.source(window), name) == pytest.approx(expected), (offset, window, name)
    assert cache.minutes  # minutes were counted once and reused
    assert len(_values(cycle_at(evaluated_at, cache).source(timedelta(minutes=5)), "error_rate")) == 3


def _values(source, name: str) -> dict[tuple, float]:
    return {tuple(sorted(s.labels.items())): s.value for s in source.series(name)}


def _dashboard(client, model: str, version: str, window: Window):
    request = SignalsRequest(model, window, version, 0.5)
    rows = {
        name: list(client.query(query.sql, parameters=dict(query.parameters)).named_results())
        for name, query in build_queries(request).items()
    }
    return shape_signals(request, rows)


def test_request_and_latency_signals_equal_the_dashboard(cycle):
    signal_cycle, client, evaluated_at, _ = cycle
    source = signal_cycle.source(timedelta(minutes=5))
    window = Window.ending(evaluated_at, timedelta(minutes=5))
    for model, version in (("fraud", "1"), ("fraud", "2"), ("churn", "5")):
        board = _dashboard(client, model, version, window)
        key = (("model", model), ("version", version))

        def value(name: str, extra: tuple = (), key: tuple = key) -> float:
            return _values(source, name)[tuple(sorted(key + extra))]

        assert value("error_rate") == pytest.approx(board.errors.error_rate)
        for group in ("client", "server", "application"):
            assert value(f"error_rate_{group}") == pytest.approx(board.errors.groups[group].share)
        for item in board.errors.classes:
            assert value("error_class_rate", (("error_class", item.error_class),)) == pytest.approx(
                item.share
            )
        assert value("timeout_rate") == pytest.approx(board.throughput.timeout_rate)
        assert value("rps") == pytest.approx(board.throughput.requests_per_second)
        confidence = board.predictions.confidence
        assert value("confidence_mean") == pytest.approx(confidence.mean)
        assert value("low_confidence_rate") == pytest.approx(confidence.below_threshold_share)
        for stage in board.latency:
            if stage.stage == "network":
                continue  # not an alert signal
            extra = (("stage", stage.stage),)
            assert value("latency_p50", extra) == pytest.approx(stage.p50_ms)
            assert value("latency_p95", extra) == pytest.approx(stage.p95_ms)
            assert value("latency_p999", extra) == pytest.approx(stage.p999_ms)
    fraud1 = _dashboard(client, "fraud", "1", window)
    assert fraud1.errors.failed == 3 and fraud1.throughput.timeouts == 1  # the scenario is what it claims
    samples = {
        s.labels["version"]: s.samples for s in source.series("error_rate") if s.labels["model"] == "fraud"
    }
    assert samples == {"1": 40, "2": 12}


def test_baselines_infrastructure_and_service_up(cycle):
    signal_cycle, _, _, durations = cycle
    source = signal_cycle.source(timedelta(minutes=5))
    request = {"model": "fraud", "version": "1", "stage": "request"}
    # the trailing 7 d before the window: the day-old requests of version 0.9, across versions
    expected = np.percentile(np.array(durations["baseline"]), 95) / 1e6
    assert source.baseline("latency_p95", request) == pytest.approx(expected)
    assert source.baseline("latency_p95", {**request, "version": "2"}) == pytest.approx(expected)
    assert source.baseline("latency_p95", {"model": "churn", "version": "5", "stage": "request"}) == 123.0
    assert source.baseline("psi", {"model": "fraud", "version": "", "feature": "age"}) is None
    pod = (("model", "fraud"), ("pod", "fraud-7d9f"), ("version", ""))
    cpu, memory = _values(source, "cpu_utilization"), _values(source, "memory_utilization")
    assert cpu.pop(pod) == pytest.approx(0.90)  # average of 0.95 and 0.85
    assert memory.pop(pod) == pytest.approx(0.5)
    # The host's points name no model: they count for every model its service (fraud-api) reported.
    assert sorted(dict(key)["model"] for key in cpu) == sorted(dict(key)["model"] for key in memory)
    assert sorted(dict(key)["model"] for key in cpu) == ["churn", "fraud", "gone"]
    assert list(cpu.values()) == pytest.approx([1 - (0.3 + 0.1) / 2] * 3)  # busy share, averaged over cpus
    assert list(memory.values()) == pytest.approx([0.7] * 3)  # the "used" point
    assert _values(source, "pod_restarts") == {pod: 3.0}
    assert _values(source, "service_up") == {
        (("model", "churn"), ("version", "")): 1.0,
        (("model", "fraud"), ("version", "")): 1.0,
        (("model", "gone"), ("version", "")): 0.0,
    }
    queries = signal_cycle.queries
    source.series("error_rate"), source.series("latency_p50")
    assert signal_cycle.queries == queries + 2
    for name in ("rps", "timeout_rate", "error_class_rate", "latency_p99", "latency_p95"):
        source.series(name)
    assert signal_cycle.queries == queries + 2  # every family is read once per cycle


def test_background_baselines_are_computed_once_and_then_only_by_refresh(cycle):
    _, client, evaluated_at, durations = cycle
    expected = np.percentile(np.array(durations["baseline"]), 95) / 1e6
    labels = {"model": "fraud", "version": "1", "stage": "request"}
    cache = BaselineCache(timedelta(hours=1), timedelta(days=7), background=True)
    start = Window.ending(evaluated_at, timedelta(minutes=5)).start_unix_nano
    assert cache.lookup(client, "latency", "latency_p95", labels, start, 0.5) == pytest.approx(expected)
    later = start + 2 * 3600 * SECOND  # past baseline_refresh: a cycle still never recomputes
    assert cache.lookup(client, "latency", "latency_p95", labels, later, 0.5) == pytest.approx(expected)
    assert cache.computed == 1
    cache.refresh(client, ["latency", "requests"], start, 0.5)  # what the alert-baselines task runs
    assert cache.computed == 3
    assert cache.lookup(client, "latency", "latency_p95", labels, later, 0.5) == pytest.approx(expected)
    cache.refresh(client, ["latency"], start - 8 * 24 * 3600 * SECOND, 0.5)  # a week with no traffic
    assert cache.lookup(client, "latency", "latency_p95", labels, later, 0.5) is None


def test_every_window_from_one_query_equals_one_query_per_window(cycle):
    signal_cycle, client, evaluated_at, _ = cycle
    windows = (timedelta(minutes=2), timedelta(minutes=5), timedelta(minutes=15))

    def cycle_with(lengths: tuple[timedelta, ...]) -> SignalCycle:
        return _plain_cycle(client, evaluated_at, signal_cycle.baselines, lengths)

    together = cycle_with(windows)
    names = ("latency_p50", "latency_p999", "cpu_utilization", "memory_utilization", "pod_restarts")
    for window in windows:
        alone = cycle_with(())  # the window asked for is then read by itself
        for name in names:
            expected = _values(alone.source(window), name)
            assert expected or window < windows[-1], (window, name)  # the longest has every signal
            assert _values(together.source(window), name) == pytest.approx(expected), (window, name)
    assert together.queries == 2  # latency and metrics, each once for the three windows
