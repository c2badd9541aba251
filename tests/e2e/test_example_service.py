"""The example model service, instrumented with only the OTel SDK, drives a real gateway end to end."""

from __future__ import annotations

import numpy as np
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from examples.model_service import ModelService
from examples.model_service.__main__ import main as drive_traffic
from tests.e2e.conftest import grpc_endpoint

START = 1_760_000_000_000_000_000
MS = 1_000_000


def test_example_service_requests_give_the_breakdown_they_were_given(gateways):
    gateway = gateways.start()
    provider = TracerProvider(resource=Resource.create({"service.name": "fraud-api"}))
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=grpc_endpoint(gateway), insecure=True))
    )
    service = ModelService(provider.get_tracer("example"), model_name="fraud-detector", model_version="2.1.0")
    rng = np.random.default_rng(7)
    inference_ms = rng.uniform(5, 50, size=40).round(3)
    for index, inference in enumerate(inference_ms):
        service.handle(
            f"req-{index}",
            {"amount": 120.0 + index, "account_age_days": 30, "country": "DE"},
            start_ns=START + index * 100 * MS,
            stage_durations_ms={
                "queue": 1.0,
                "preprocess": 2.0,
                "inference": float(inference),
                "postprocess": 0.5,
            },
        )
    assert provider.force_flush(10_000)
    provider.shutdown()

    rows = gateways.rows(
        "SELECT RequestId, QueueNs, PreprocessNs, InferenceNs, PostprocessNs, Failed "
        "FROM ml_request_breakdown ORDER BY toUInt32(substring(RequestId, 5))"
    )
    assert [row[0] for row in rows] == [f"req-{index}" for index in range(40)]
    assert [row[3] for row in rows] == [round(value * MS) for value in inference_ms]
    assert {row[1:3] + row[4:] for row in rows} == {(1 * MS, 2 * MS, MS // 2, False)}
    ((p50, p99),) = gateways.rows(
        "SELECT quantileExactInclusive(0.5)(DurationNs), quantileExactInclusive(0.99)(DurationNs) "
        "FROM ml_stage_spans WHERE Stage = 'inference'"
    )
    durations = np.array([round(value * MS) for value in inference_ms])
    assert p50 == np.percentile(durations, 50)
    assert p99 == np.percentile(durations, 99)
    features = gateways.rows("SELECT CategoricalFeatures['country'], count() FROM ml_features GROUP BY 1")
    assert features == [("DE", 40)]


def test_feature_sampling_keeps_the_share_chosen_by_trace_id(gateways):
    gateway = gateways.start("ml.feature_sample_rate=0.25")
    exit_code = drive_traffic(
        [
            "--endpoint",
            grpc_endpoint(gateway),
            "--requests",
            "400",
            "--rate",
            "0",
            "--no-logs",
            "--seed",
            "3",
        ],
        sleep=lambda seconds: None,
    )
    assert exit_code == 0
    (requests,) = gateways.rows("SELECT count() FROM ml_request_breakdown")
    assert requests == (400,)
    kept = gateways.rows("SELECT TraceId FROM ml_features ORDER BY TraceId")
    expected = gateways.rows(
        "SELECT DISTINCT TraceId FROM ml_request_breakdown WHERE cityHash64(TraceId) % 1000000 < 250000 "
        "ORDER BY TraceId"
    )
    assert kept == expected
    # the share is a binomial draw around 25 %: 400 requests, well inside ±4.5 standard deviations
    assert 100 - 4.5 * 8.66 < len(kept) < 100 + 4.5 * 8.66
