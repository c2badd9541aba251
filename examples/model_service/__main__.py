"""``python -m examples.model_service``: drive the example fraud detector with random traffic over OTLP/gRPC.

Reads: the command line (``--help``). Writes, to ``--endpoint``: the caller's CLIENT spans (service
``checkout-api``), the model service's SERVER and stage spans, its ``ml.queue.depth`` and
``ml.requests.active`` metrics and one prediction log record per request; progress lines on stdout.
Stage durations, features and failures come from a seeded RNG, so a seed always sends the same traffic.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TextIO

from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, LogRecordExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricExporter, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

from examples.model_service.conventions import (
    DEPLOYMENT_ENVIRONMENT,
    MODEL_NAME,
    MODEL_VERSION,
    SERVICE_NAME,
    STAGE_INFERENCE,
    STAGE_POSTPROCESS,
    STAGE_PREPROCESS,
    STAGE_QUEUE,
)
from examples.model_service.service import ModelService, call_with_client_span

DESCRIPTION = """\
Send OTLP/gRPC traffic from the example fraud-detection model service (examples/model_service) to an
inferwatch gateway or OpenTelemetry Collector.

Every request is a CLIENT span of the caller (service "checkout-api") around the model service's SERVER
span "POST /predict" with the stage spans queue, preprocess, inference and postprocess (ml.stage), the
features (ml.feature.*) and the prediction (ml.prediction.*). The service also exports the ml.queue.depth
gauge and the ml.requests.active up-down counter every 5 s, and one prediction log record per request
(event ml.inference). --error-rate of the requests fail in one of the ways inferwatch classifies: 400, 429,
503, a timeout (504), a model that cannot load, an unavailable feature database (500) or a NaN confidence.
"""

EPILOG = """\
examples:
  inferwatch serve &                                  # the gateway, OTLP/gRPC on localhost:4317
  python -m examples.model_service --requests 200
  python -m examples.model_service --requests 1000 --rate 0 --error-rate 0.1
  python -m examples.model_service --version 2.2.0    # a new model version: a deployment event

Run from the repository root (the example is not installed with the inferwatch package).
"""

PROGRESS_STEPS = 10
METRIC_INTERVAL_MS = 5000
MERCHANT_CATEGORIES = ("grocery", "electronics", "travel", "fuel", "restaurants", "gaming")
CHANNELS = ("web", "app", "pos")


@dataclass(frozen=True)
class Exporters:
    """Where each signal goes: OTLP/gRPC normally, in-memory exporters in tests."""

    spans: SpanExporter
    caller_spans: SpanExporter
    metrics: MetricExporter
    logs: LogRecordExporter


def otlp_exporters(endpoint: str) -> Exporters:
    """OTLP/gRPC exporters for ``endpoint`` (host:port, or a URL; plaintext unless it starts with https://)."""
    from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    insecure = not endpoint.startswith("https://")
    return Exporters(
        spans=OTLPSpanExporter(endpoint=endpoint, insecure=insecure),
        caller_spans=OTLPSpanExporter(endpoint=endpoint, insecure=insecure),
        metrics=OTLPMetricExporter(endpoint=endpoint, insecure=insecure),
        logs=OTLPLogExporter(endpoint=endpoint, insecure=insecure),
    )


class Traffic:
    """Random but reproducible requests: features, stage durations, queue depth and failures."""

    def __init__(self, rng: random.Random, error_rate: float) -> None:
        self.rng = rng
        self.error_rate = error_rate
        self.depth = 0

    def request_id(self) -> str:
        return f"{self.rng.getrandbits(64):016x}"

    def features(self) -> dict[str, float | int | bool | str]:
        rng = self.rng
        return {
            "amount": round(rng.lognormvariate(math.log(60.0), 1.0), 2),
            "account_age_days": int(rng.expovariate(1 / 400)),
            "is_foreign": rng.random() < 0.1,
            "merchant_category": rng.choice(MERCHANT_CATEGORIES),
            "channel": rng.choice(CHANNELS),
        }

    def queue_depth(self) -> int:
        """A random walk between 0 and 30: load comes and goes."""
        self.depth = max(0, min(30, self.depth + self.rng.choice((-1, -1, 0, 1, 1))))
        return self.depth

    def stage_durations_ms(self, depth: int) -> dict[str, float]:
        rng = self.rng
        inference = rng.lognormvariate(math.log(12.0), 0.35) * (5.0 if rng.random() < 0.01 else 1.0)
        return {
            STAGE_QUEUE: depth * 1.5 + rng.expovariate(1 / 0.3),
            STAGE_PREPROCESS: max(0.2, rng.gauss(3.0, 0.6)),
            STAGE_INFERENCE: inference,
            STAGE_POSTPROCESS: max(0.1, rng.gauss(1.0, 0.2)),
        }

    def network_ms(self) -> float:
        return self.rng.lognormvariate(math.log(2.0), 0.5)

    def outcome(self) -> tuple[str, dict[str, object]]:
        """("ok", {}) or a failure's name and the ``handle`` options that cause it."""
        if self.rng.random() >= self.error_rate:
            return "ok", {}
        failures: list[tuple[str, dict[str, object]]] = [
            ("client_400", {"http_status": 400, "failing_stage": STAGE_PREPROCESS}),
            ("client_429", {"http_status": 429, "failing_stage": STAGE_QUEUE}),
            ("server_503", {"http_status": 503, "failing_stage": STAGE_QUEUE}),
            ("timeout", {"exception": TimeoutError("inference timed out after 50 ms"), "http_status": 504}),
            ("model_load", {"exception": RuntimeError("model weights not loaded: checkpoint missing")}),
            (
                "database",
                {
                    "exception": ConnectionError("feature database unavailable"),
                    "failing_stage": STAGE_PREPROCESS,
                },
            ),
            ("invalid_prediction", {"prediction_override": {"confidence": math.nan}}),
        ]
        return self.rng.choice(failures)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m examples.model_service",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--endpoint",
        default="localhost:4317",
        metavar="HOST:PORT",
        help="OTLP/gRPC endpoint of inferwatch or a Collector (default: %(default)s)",
    )
    parser.add_argument(
        "--requests", type=int, default=200, metavar="N", help="requests to send (default: 200)"
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=50.0,
        metavar="R",
        help="requests per second; 0 = as fast as possible (50)",
    )
    parser.add_argument(
        "--error-rate", type=float, default=0.02, metavar="P", help="share of failing requests, 0..1 (0.02)"
    )
    parser.add_argument("--version", default="2.1.0", help="model version, ml.model.version (default: 2.1.0)")
    parser.add_argument(
        "--model", default="fraud-detector", help="model name, ml.model.name (fraud-detector)"
    )
    parser.add_argument("--service-name", default="fraud-api", help="service.name of the model service")
    parser.add_argument("--caller-name", default="checkout-api", help="service.name of the caller")
    parser.add_argument("--environment", default="demo", help="deployment.environment.name (default: demo)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the traffic generator (default: 1)")
    parser.add_argument("--no-logs", action="store_true", help="send no prediction log records")
    args = parser.parse_args(argv)
    if args.requests < 0:
        parser.error(f"--requests: must be >= 0, got {args.requests}")
    if not 0 <= args.rate < math.inf:
        parser.error(f"--rate: must be a number >= 0, got {args.rate}")
    if not 0 <= args.error_rate <= 1:
        parser.error(f"--error-rate: must be between 0 and 1, got {args.error_rate}")
    return args


def main(
    argv: Sequence[str] | None = None,
    *,
    exporters: Exporters | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], int] = time.time_ns,
    out: TextIO = sys.stdout,
) -> int:
    args = parse_args(argv)
    exporters = exporters or otlp_exporters(args.endpoint)
    resource = Resource.create(
        {
            SERVICE_NAME: args.service_name,
            MODEL_NAME: args.model,
            MODEL_VERSION: args.version,
            DEPLOYMENT_ENVIRONMENT: args.environment,
        }
    )
    caller_resource = Resource.create(
        {SERVICE_NAME: args.caller_name, DEPLOYMENT_ENVIRONMENT: args.environment}
    )
    tracer_provider = TracerProvider(resource=resource, shutdown_on_exit=False)
    tracer_provider.add_span_processor(BatchSpanProcessor(exporters.spans))
    caller_provider = TracerProvider(resource=caller_resource, shutdown_on_exit=False)
    caller_provider.add_span_processor(BatchSpanProcessor(exporters.caller_spans))
    reader = PeriodicExportingMetricReader(exporters.metrics, export_interval_millis=METRIC_INTERVAL_MS)
    meter_provider = MeterProvider(resource=resource, metric_readers=[reader], shutdown_on_exit=False)
    logger_provider = None
    if not args.no_logs:
        logger_provider = LoggerProvider(resource=resource, shutdown_on_exit=False)
        logger_provider.add_log_record_processor(BatchLogRecordProcessor(exporters.logs))

    service = ModelService(
        tracer_provider.get_tracer("examples.model_service"),
        meter_provider.get_meter("examples.model_service"),
        logger_provider.get_logger("examples.model_service") if logger_provider else None,
        model_name=args.model,
        model_version=args.version,
        clock=clock,
    )
    caller = caller_provider.get_tracer("examples.model_service.caller")
    traffic = Traffic(random.Random(args.seed), args.error_rate)
    outcomes: Counter[str] = Counter()
    step = max(1, math.ceil(args.requests / PROGRESS_STEPS))
    print(f"sending {args.requests} requests of {args.model} {args.version} to {args.endpoint}", file=out)
    began = time.monotonic()
    try:
        for index in range(args.requests):
            if args.rate > 0:
                sleep(max(0.0, began + index / args.rate - time.monotonic()))
            depth = traffic.queue_depth()
            outcome, options = traffic.outcome()
            call_with_client_span(
                caller,
                service,
                traffic.request_id(),
                traffic.features(),
                network_ms=traffic.network_ms(),
                clock=clock,
                stage_durations_ms=traffic.stage_durations_ms(depth),
                queue_depth=depth,
                **options,
            )
            outcomes[outcome] += 1
            sent = index + 1
            if sent % step == 0 or sent == args.requests:
                failed = sent - outcomes["ok"]
                print(f"  {sent}/{args.requests} requests, {failed} failed", file=out)
    except KeyboardInterrupt:
        print("interrupted; flushing what was recorded", file=out)
    finally:
        # Spans and logs first, metrics last, so the final metric export sees every request.
        for provider in (caller_provider, tracer_provider, logger_provider, meter_provider):
            if provider is not None:
                provider.shutdown()
    failures = ", ".join(f"{name} {count}" for name, count in sorted(outcomes.items()) if name != "ok")
    print(
        f"done: {sum(outcomes.values())} requests, {outcomes['ok']} ok; failures: {failures or 'none'}",
        file=out,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
