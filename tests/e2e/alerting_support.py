"""Shared by the alerting e2e tests (tests/e2e/test_alerting*.py, test_paging_flow.py): rule files, the
example service's traffic and minute-by-minute evaluation on a ``FakeClock``.

Traffic (explicit span times, sent once per test through the OTel SDK's OTLP/gRPC exporter): 20 requests
a minute of fraud-detector; in minutes 5..14 half of them fail with 503. With a 5m window and no delay,
the evaluation at minute m sees minutes m-5..m-1: the error rate is 0 at m=5, 10% at m=6 (pending), stays
above 5% until m=19 and is 0 at m=20. With ``for: 5m`` (``ERROR_RULE``) the alert fires at m=11 and
resolves at m=20.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from examples.model_service import ModelService
from gateway.app import Gateway
from gateway.clock import FakeClock
from processors.alerting.events import AlertEvent
from tests.e2e.conftest import GatewayFactory, grpc_endpoint

T0 = 1_760_000_000 // 3600 * 3600 * 1_000_000_000  # an hour boundary, ns
MINUTE = 60_000_000_000
MODEL = "fraud-detector"
ERROR_MINUTES = range(5, 15)

ERROR_RULE = """\
groups:
  - name: errors
    rules:
      - alert: ErrorRateHigh
        expr: error_rate > 0.05
        for: 5m
        severity: P1
        annotations:
          summary: "Error rate of {{ $labels.model }} is {{ $value }}"
"""


def write_rules(tmp_path: Path, text: str, name: str = "rules.yaml") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return str(path)


def send_traffic(
    gateways: GatewayFactory, gateway: Gateway, minutes: int = 22, tiny_failures: int = 3
) -> None:
    """20 requests a minute (half failing in ERROR_MINUTES), plus ``tiny_failures`` failing requests of
    a model "tiny" in minute 6: too few samples to page."""
    provider = TracerProvider(resource=Resource.create({"service.name": "fraud-api"}))
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=grpc_endpoint(gateway), insecure=True))
    )
    tracer = provider.get_tracer("alerting-test")
    service = ModelService(tracer, model_name=MODEL, model_version="2.1.0")
    features = {"amount": 120.0, "account_age_days": 30, "country": "DE"}
    for minute in range(minutes):
        for index in range(20):
            failing = minute in ERROR_MINUTES and index % 2 == 0
            service.handle(
                f"r-{minute}-{index}",
                features,
                start_ns=T0 + minute * MINUTE + (1 + 2 * index) * 1_000_000_000,
                stage_durations_ms={"inference": 10.0},
                http_status=503 if failing else None,
            )
    tiny = ModelService(tracer, model_name="tiny", model_version="1")
    for index in range(tiny_failures):
        tiny.handle(f"t-{index}", features, start_ns=T0 + 5 * MINUTE + index * 1_000_000_000, http_status=503)
    assert provider.force_flush(10_000)
    provider.shutdown()
    gateways.rows("SELECT 1")  # the gateway's writers flushed: every request is stored


def start_with_events(
    gateways: GatewayFactory, clock: FakeClock, rule_file: str, *extra: str
) -> tuple[Gateway, list]:
    gateway = gateways.start(
        f"alerting.rule_files=[{rule_file}]",
        "alerting.evaluation_delay=0s",
        *extra,
        clock=clock,
        run_tasks=False,
    )
    events: list[AlertEvent] = []
    gateway.notifiers.append(events.append)
    return gateway, events


def at_minute(clock: FakeClock, minute: int) -> None:
    clock.advance((T0 + minute * MINUTE - clock.now_unix_nano()) / 1e9)


def stored_states(gateways: GatewayFactory, rule_id: str) -> dict[str, str]:
    """model -> state of the rule's stored instances."""
    rows = gateways.rows(
        "SELECT argMax(State, UpdatedAt) FROM ml_alert_state WHERE RuleId = {id:String}", {"id": rule_id}
    )
    if not rows or not rows[0][0]:
        return {}
    return {item["labels"]["model"]: item["state"] for item in json.loads(rows[0][0])["instances"]}


def run_minute(gateway: Gateway, clock: FakeClock, minute: int) -> None:
    at_minute(clock, minute)
    assert gateway.task("alerts").run_once(), gateway.task("alerts").last_error
