"""The example model service records what docs/semantic-conventions.md says, checked with the SDK's in-memory
exporters as the oracle: the span tree, exact span times, attributes, error statuses, the caller's CLIENT
span, the prediction log record, the metrics, and the traffic driver. No network, no sleep."""

from __future__ import annotations

import ast
import io
import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from opentelemetry.sdk._logs import LoggerProvider, ReadableLogRecord
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    InMemoryMetricReader,
    MetricExporter,
    MetricExportResult,
    MetricsData,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import examples.model_service.conventions as copied
from examples.model_service import (
    DEFAULT_NETWORK_MS,
    DEFAULT_STAGE_DURATIONS_MS,
    FeatureError,
    ModelService,
    call_with_client_span,
    fraud_score,
    input_hash,
    log_prediction,
)
from examples.model_service.__main__ import Exporters, main
from examples.model_service.timeline import STAGE_ORDER
from processors.ml import conventions as keys

PACKAGE_DIR = Path(copied.__file__).parent
T0 = 1_700_000_000_000_000_000  # an explicit start time, ns since the epoch
FEATURES = {"amount": 1200.0, "account_age_days": 30, "is_foreign": True, "merchant_category": "travel"}
DURATIONS = {"queue": 1.5, "preprocess": 2.25, "inference": 10.0, "postprocess": 0.75}
PIPELINE = ("queue", "preprocess", "inference", "postprocess")
MS = 1_000_000
# Keys the example sets that inferwatch does not read (standard HTTP attributes of server and client spans).
HTTP_EXTRAS = {"HTTP_REQUEST_METHOD", "HTTP_ROUTE", "SERVER_ADDRESS", "SERVER_PORT"}


@dataclass
class Sdk:
    """Real SDK providers that keep everything in memory."""

    spans: InMemorySpanExporter
    logs: InMemoryLogRecordExporter
    metrics: InMemoryMetricReader
    tracer_provider: TracerProvider
    meter_provider: MeterProvider
    logger_provider: LoggerProvider

    def service(self, *, meter: bool = False, logger: bool = False, **options: object) -> ModelService:
        return ModelService(
            self.tracer_provider.get_tracer("test.model_service"),
            self.meter_provider.get_meter("test.model_service") if meter else None,
            self.logger_provider.get_logger("test.model_service") if logger else None,
            **options,  # type: ignore[arg-type]
        )

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())

    def server(self) -> ReadableSpan:
        (server,) = [span for span in self.finished() if span.kind == SpanKind.SERVER]
        return server

    def stages(self) -> list[ReadableSpan]:
        server = self.server()
        children = [
            span for span in self.finished() if span.parent and span.parent.span_id == server.context.span_id
        ]
        return sorted(children, key=lambda span: span.start_time or 0)

    def records(self) -> list[ReadableLogRecord]:
        return list(self.logs.get_finished_logs())


@pytest.fixture
def sdk() -> Iterator[Sdk]:
    resource = Resource.create({keys.SERVICE_NAME: "fraud-api", keys.DEPLOYMENT_ENVIRONMENT: "test"})
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider(resource=resource, shutdown_on_exit=False)
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    metrics = InMemoryMetricReader()
    meter_provider = MeterProvider(resource=resource, metric_readers=[metrics], shutdown_on_exit=False)
    logs = InMemoryLogRecordExporter()
    logger_provider = LoggerProvider(resource=resource, shutdown_on_exit=False)
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
    yield Sdk(spans, logs, metrics, tracer_provider, meter_provider, logger_provider)
    tracer_provider.shutdown()
    meter_provider.shutdown()
    logger_provider.shutdown()


# the example spells the conventions as inferwatch reads them


def test_copied_keys_equal_the_conventions_module() -> None:
    names = {name for name in vars(copied) if name.isupper()} - HTTP_EXTRAS
    missing = sorted(name for name in names if not hasattr(keys, name))
    assert missing == []
    assert {name: getattr(copied, name) for name in names} == {name: getattr(keys, name) for name in names}
    assert set(STAGE_ORDER) == set(keys.STAGES)


def test_example_imports_only_opentelemetry_and_the_standard_library() -> None:
    imported = set()
    for path in PACKAGE_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
    foreign = sorted(
        name for name in imported if name.split(".")[0] in {"gateway", "processors", "tests", "inferwatch"}
    )
    assert foreign == []


# span tree and timeline


def test_a_request_is_a_server_span_with_one_child_per_stage(sdk: Sdk) -> None:
    prediction = sdk.service().handle("req-1", FEATURES)

    server = sdk.server()
    assert server.name == "POST /predict"
    assert server.parent is None
    assert (server.context.trace_id, server.context.span_id) == (prediction.trace_id, prediction.span_id)
    stages = sdk.stages()
    assert [span.name for span in stages] == list(PIPELINE)
    assert [span.attributes[keys.STAGE] for span in stages] == [
        keys.STAGE_QUEUE,
        keys.STAGE_PREPROCESS,
        keys.STAGE_INFERENCE,
        keys.STAGE_POSTPROCESS,
    ]
    assert all(span.kind == SpanKind.INTERNAL for span in stages)
    assert {span.context.trace_id for span in stages} == {server.context.trace_id}
    assert len(sdk.finished()) == 5


def test_explicit_durations_give_exact_span_times(sdk: Sdk) -> None:
    prediction = sdk.service().handle("req-1", FEATURES, stage_durations_ms=DURATIONS, start_ns=T0)

    expected = []
    start = T0
    for stage in PIPELINE:
        end = start + round(DURATIONS[stage] * MS)
        expected.append((stage, start, end))
        start = end
    assert [(span.name, span.start_time, span.end_time) for span in sdk.stages()] == expected
    server = sdk.server()
    assert (server.start_time, server.end_time) == (T0, T0 + 14_500_000)
    assert (prediction.start_ns, prediction.end_ns) == (T0, T0 + 14_500_000)
    assert prediction.latency_ms == pytest.approx(14.5)


def test_start_time_alone_uses_the_default_durations(sdk: Sdk) -> None:
    sdk.service().handle("req-1", FEATURES, start_ns=T0)

    durations = [(span.end_time or 0) - (span.start_time or 0) for span in sdk.stages()]
    assert durations == [round(DEFAULT_STAGE_DURATIONS_MS[stage] * MS) for stage in PIPELINE]
    assert sdk.server().start_time == T0


def test_network_stage_and_request_total(sdk: Sdk) -> None:
    durations = {**DURATIONS, "network": 0.5, "request": 20.0}
    sdk.service().handle("req-1", FEATURES, stage_durations_ms=durations, start_ns=T0)

    stages = sdk.stages()
    assert (stages[0].name, stages[0].attributes[keys.STAGE]) == ("network", keys.STAGE_NETWORK)
    assert (stages[0].start_time, stages[0].end_time) == (T0, T0 + 500_000)
    assert stages[-1].end_time == T0 + 15_000_000
    assert (sdk.server().start_time, sdk.server().end_time) == (T0, T0 + 20_000_000)


@pytest.mark.parametrize(
    ("durations", "message"),
    [
        ({"queue": 1.0, "gpu": 2.0}, "stage_durations_ms: unknown stage 'gpu'"),
        ({"queue": -1.0}, "stage_durations_ms.queue: must be a finite number"),
        ({"inference": math.inf}, "stage_durations_ms.inference: must be a finite number"),
        ({**DURATIONS, "request": 5.0}, "stage_durations_ms.request: 5.0 ms is shorter than the stages"),
    ],
)
def test_invalid_durations_are_rejected_before_any_span(sdk: Sdk, durations: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        sdk.service().handle("req-1", FEATURES, stage_durations_ms=durations, start_ns=T0)
    assert sdk.finished() == []


def test_without_a_timeline_the_clock_times_each_stage(sdk: Sdk) -> None:
    ticks = itertools.count(T0, 7)
    prediction = sdk.service(clock=lambda: next(ticks)).handle("req-1", FEATURES)

    stages = sdk.stages()
    assert stages[0].start_time == sdk.server().start_time == prediction.start_ns
    assert [span.start_time for span in stages[1:]] == [span.end_time for span in stages[:-1]]
    assert all((span.end_time or 0) > (span.start_time or 0) for span in stages)
    assert sdk.server().end_time == prediction.end_ns >= (stages[-1].end_time or 0)


def test_server_span_is_a_root_unless_a_traceparent_arrives(sdk: Sdk) -> None:
    tracer = sdk.tracer_provider.get_tracer("test")
    with tracer.start_as_current_span("unrelated work in the same process"):
        sdk.service().handle("req-1", FEATURES)
    assert sdk.server().parent is None


# attributes


def test_request_span_carries_the_request_prediction_and_features(sdk: Sdk) -> None:
    prediction = sdk.service().handle("req-1", FEATURES)

    score = fraud_score(FEATURES)
    assert score > 0.5
    attributes = dict(sdk.server().attributes or {})
    assert attributes[keys.MODEL_NAME] == "fraud-detector"
    assert attributes[keys.MODEL_VERSION] == "2.1.0"
    assert attributes[keys.REQUEST_ID] == "req-1"
    assert attributes[keys.INPUT_HASH] == input_hash(FEATURES) == prediction.input_hash
    assert attributes[keys.HTTP_RESPONSE_STATUS_CODE] == 200
    assert attributes[keys.PREDICTION_CLASS] == "fraud" == prediction.label
    assert attributes[keys.PREDICTION_SCORE] == score == prediction.score
    assert attributes[keys.PREDICTION_CONFIDENCE] == score == prediction.confidence
    assert keys.PREDICTION_VALUE not in attributes
    assert keys.ERROR_CLASS not in attributes and keys.ERROR_TYPE not in attributes
    features = {key: value for key, value in attributes.items() if key.startswith(keys.FEATURE_PREFIX)}
    assert features == {keys.FEATURE_PREFIX + name: value for name, value in FEATURES.items()}
    assert type(features["ml.feature.account_age_days"]) is int
    assert type(features["ml.feature.is_foreign"]) is bool
    assert sdk.server().status.status_code == StatusCode.UNSET
    assert prediction.ok and prediction.error_type is None


def test_a_legit_prediction_has_the_confidence_of_its_class(sdk: Sdk) -> None:
    features = {"amount": 12.5, "account_age_days": 900}
    prediction = sdk.service().handle("req-1", features)

    score = fraud_score(features)
    assert (prediction.label, prediction.score, prediction.confidence) == ("legit", score, 1.0 - score)


def test_stage_spans_carry_the_stage_and_model_but_no_prediction(sdk: Sdk) -> None:
    sdk.service().handle("req-1", FEATURES)

    for span in sdk.stages():
        assert dict(span.attributes or {}) == {
            keys.STAGE: span.name,
            keys.MODEL_NAME: "fraud-detector",
            keys.MODEL_VERSION: "2.1.0",
        }


def test_model_name_and_version_can_be_left_to_the_resource(sdk: Sdk) -> None:
    sdk.service(model_name=None, model_version=None).handle("req-1", FEATURES)

    for span in sdk.finished():
        assert keys.MODEL_NAME not in (span.attributes or {})
        assert keys.MODEL_VERSION not in (span.attributes or {})


def test_prediction_override_sets_invalid_values_as_given(sdk: Sdk) -> None:
    override = {"value": math.nan, "confidence": 1.7}
    prediction = sdk.service().handle("req-1", FEATURES, prediction_override=override)

    attributes = sdk.server().attributes or {}
    assert math.isnan(attributes[keys.PREDICTION_VALUE]) and math.isnan(prediction.value or 0.0)
    assert attributes[keys.PREDICTION_CONFIDENCE] == 1.7 == prediction.confidence
    assert attributes[keys.PREDICTION_CLASS] == "fraud"
    assert sdk.server().status.status_code == StatusCode.UNSET
    assert attributes[keys.HTTP_RESPONSE_STATUS_CODE] == 200


def test_unknown_prediction_override_field_is_rejected(sdk: Sdk) -> None:
    with pytest.raises(ValueError, match="prediction_override: unknown field 'probability'"):
        sdk.service().handle("req-1", FEATURES, prediction_override={"probability": 0.3})


def test_explicit_error_class_is_set_without_changing_the_status(sdk: Sdk) -> None:
    sdk.service().handle("req-1", FEATURES, error_class="cache")

    assert sdk.server().attributes[keys.ERROR_CLASS] == "cache"
    assert sdk.server().status.status_code == StatusCode.UNSET


def test_features_that_cannot_be_attributes_are_rejected(sdk: Sdk) -> None:
    with pytest.raises(TypeError, match=r"features\.tags: must be a bool, int, float or str, got list"):
        sdk.service().handle("req-1", {"tags": ["a"]})  # type: ignore[dict-item]


# errors


def _event(span: ReadableSpan) -> dict:
    (event,) = span.events
    assert event.name == keys.EXCEPTION_EVENT
    return dict(event.attributes or {})


def test_exception_in_inference_marks_stage_and_request_as_errors(sdk: Sdk) -> None:
    error = RuntimeError("model weights not loaded")
    prediction = sdk.service().handle(
        "req-1", FEATURES, exception=error, stage_durations_ms=DURATIONS, start_ns=T0
    )

    stages = sdk.stages()
    assert [span.name for span in stages] == ["queue", "preprocess", "inference"]
    inference = stages[-1]
    assert inference.status.status_code == StatusCode.ERROR
    assert inference.status.description == "RuntimeError: model weights not loaded"
    event = _event(inference)
    assert (event[keys.EXCEPTION_TYPE], event[keys.EXCEPTION_MESSAGE]) == (
        "RuntimeError",
        "model weights not loaded",
    )
    assert inference.events[0].timestamp == inference.end_time
    assert [span.status.status_code for span in stages[:-1]] == [StatusCode.UNSET, StatusCode.UNSET]

    server = sdk.server()
    assert server.status.status_code == StatusCode.ERROR
    assert server.end_time == inference.end_time == T0 + round((1.5 + 2.25 + 10.0) * MS)
    assert server.attributes[keys.HTTP_RESPONSE_STATUS_CODE] == 500
    assert server.attributes[keys.ERROR_TYPE] == "RuntimeError"
    assert _event(server)[keys.EXCEPTION_TYPE] == "RuntimeError"
    assert not any(key.startswith("ml.prediction.") for key in server.attributes or {})
    assert (prediction.status_code, prediction.error_type, prediction.label) == (500, "RuntimeError", None)


def test_exception_in_another_stage_with_a_chosen_status(sdk: Sdk) -> None:
    sdk.service().handle(
        "req-1",
        FEATURES,
        exception=TimeoutError("feature store timed out"),
        failing_stage="preprocess",
        http_status=504,
    )

    stages = sdk.stages()
    assert [span.name for span in stages] == ["queue", "preprocess"]
    assert stages[-1].status.status_code == StatusCode.ERROR
    assert _event(stages[-1])[keys.EXCEPTION_TYPE] == "TimeoutError"
    assert sdk.server().attributes[keys.HTTP_RESPONSE_STATUS_CODE] == 504
    assert sdk.server().status.status_code == StatusCode.ERROR


@pytest.mark.parametrize("status", [400, 401, 403, 404, 429])
def test_client_errors_leave_the_server_span_unset(sdk: Sdk, status: int) -> None:
    prediction = sdk.service().handle("req-1", FEATURES, http_status=status)

    server = sdk.server()
    assert server.attributes[keys.HTTP_RESPONSE_STATUS_CODE] == status
    assert server.status.status_code == StatusCode.UNSET
    assert keys.ERROR_TYPE not in server.attributes
    assert not any(key.startswith("ml.prediction.") for key in server.attributes)
    assert all(span.status.status_code == StatusCode.UNSET for span in sdk.stages())
    assert [span.name for span in sdk.stages()] == ["queue", "preprocess", "inference"]
    assert (prediction.ok, prediction.status_code, prediction.error_type) == (False, status, None)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_mark_the_server_span_as_error(sdk: Sdk, status: int) -> None:
    prediction = sdk.service().handle("req-1", FEATURES, http_status=status, failing_stage="queue")

    server = sdk.server()
    assert server.attributes[keys.HTTP_RESPONSE_STATUS_CODE] == status
    assert server.status.status_code == StatusCode.ERROR
    assert server.attributes[keys.ERROR_TYPE] == str(status) == prediction.error_type
    assert server.events == ()
    assert [span.name for span in sdk.stages()] == ["queue"]


def test_an_exception_answered_with_a_client_error_keeps_the_server_span_unset(sdk: Sdk) -> None:
    sdk.service().handle(
        "req-1", FEATURES, exception=ValueError("bad schema"), failing_stage="preprocess", http_status=400
    )

    assert sdk.stages()[-1].status.status_code == StatusCode.ERROR
    assert sdk.server().status.status_code == StatusCode.UNSET
    assert sdk.server().events == ()


def test_a_feature_the_model_cannot_read_is_a_400_from_preprocess(sdk: Sdk) -> None:
    prediction = sdk.service().handle("req-1", {"amount": "twelve"})

    preprocess = sdk.stages()[-1]
    assert preprocess.name == "preprocess"
    assert preprocess.status.status_code == StatusCode.ERROR
    assert _event(preprocess)[keys.EXCEPTION_TYPE] == f"{FeatureError.__module__}.FeatureError"
    assert prediction.status_code == 400
    assert sdk.server().status.status_code == StatusCode.UNSET


def test_failing_stage_must_be_one_that_runs(sdk: Sdk) -> None:
    with pytest.raises(ValueError, match="failing_stage: must be one of"):
        sdk.service().handle("req-1", FEATURES, http_status=503, failing_stage="network")


# the caller's CLIENT span


def test_client_span_is_the_parent_and_adds_exactly_the_network_time(sdk: Sdk) -> None:
    caller = sdk.tracer_provider.get_tracer("test.caller")
    prediction = call_with_client_span(
        caller, sdk.service(), "req-1", FEATURES, network_ms=3.0, start_ns=T0, stage_durations_ms=DURATIONS
    )

    (client,) = [span for span in sdk.finished() if span.kind == SpanKind.CLIENT]
    server = sdk.server()
    assert server.parent is not None and server.parent.span_id == client.context.span_id
    assert server.context.trace_id == client.context.trace_id == prediction.trace_id
    assert client.parent is None
    assert client.start_time == T0
    assert server.start_time == T0 + 1_500_000
    client_ns = (client.end_time or 0) - (client.start_time or 0)
    server_ns = (server.end_time or 0) - (server.start_time or 0)
    assert client_ns - server_ns == 3_000_000
    assert server_ns == 14_500_000
    assert client.attributes[keys.HTTP_RESPONSE_STATUS_CODE] == 200
    assert client.status.status_code == StatusCode.UNSET


def test_client_span_is_an_error_for_a_client_error(sdk: Sdk) -> None:
    caller = sdk.tracer_provider.get_tracer("test.caller")
    call_with_client_span(caller, sdk.service(), "req-1", FEATURES, start_ns=T0, http_status=429)

    (client,) = [span for span in sdk.finished() if span.kind == SpanKind.CLIENT]
    assert client.status.status_code == StatusCode.ERROR
    assert client.attributes[keys.ERROR_TYPE] == "429"
    assert sdk.server().status.status_code == StatusCode.UNSET
    client_ns = (client.end_time or 0) - (client.start_time or 0)
    server_ns = (sdk.server().end_time or 0) - (sdk.server().start_time or 0)
    assert client_ns - server_ns == round(DEFAULT_NETWORK_MS * MS)


# the prediction log record


def test_each_request_logs_the_structured_prediction_record(sdk: Sdk) -> None:
    prediction = sdk.service(logger=True).handle("req-1", FEATURES, stage_durations_ms=DURATIONS, start_ns=T0)

    (record,) = sdk.records()
    log = record.log_record
    assert log.event_name == keys.LOG_EVENT_NAME
    assert (log.severity_text, log.severity_number.name if log.severity_number else None) == ("INFO", "INFO")
    assert log.timestamp == prediction.end_ns
    assert (log.trace_id, log.span_id) == (prediction.trace_id, prediction.span_id)
    assert dict(log.attributes or {}) == {
        keys.LOG_MODEL: "fraud-detector",
        keys.LOG_VERSION: "2.1.0",
        keys.LOG_REQUEST_ID: "req-1",
        keys.LOG_LATENCY_MS: 14.5,
        keys.LOG_PREDICTION: "fraud",
        keys.LOG_CONFIDENCE: prediction.confidence,
        keys.LOG_INPUT_HASH: prediction.input_hash,
        keys.HTTP_RESPONSE_STATUS_CODE: 200,
    }


def test_a_failed_request_logs_an_error_record_with_the_exception(sdk: Sdk) -> None:
    sdk.service(logger=True).handle(
        "req-1", FEATURES, exception=RuntimeError("boom"), error_class="model_load"
    )

    (record,) = sdk.records()
    attributes = dict(record.log_record.attributes or {})
    assert record.log_record.severity_text == "ERROR"
    assert attributes[keys.HTTP_RESPONSE_STATUS_CODE] == 500
    assert attributes[keys.ERROR_CLASS] == "model_load"
    assert (attributes[keys.EXCEPTION_TYPE], attributes[keys.EXCEPTION_MESSAGE]) == ("RuntimeError", "boom")
    assert keys.LOG_PREDICTION not in attributes and keys.LOG_CONFIDENCE not in attributes


def test_log_prediction_alone_is_the_inference_event_of_a_service_that_logs(sdk: Sdk) -> None:
    logger = sdk.logger_provider.get_logger("scorer")
    log_prediction(
        logger,
        model="churn",
        version="7",
        request_id="r-9",
        latency_ms=41.5,
        prediction=0.25,
        confidence=None,
        input_hash="abc",
        timestamp_ns=T0,
        level="warn",
        extra={"ml.feature.tenure": 12},
    )

    (record,) = sdk.records()
    log = record.log_record
    assert (log.timestamp, log.severity_text, log.event_name) == (T0, "WARN", "ml.inference")
    assert log.trace_id == 0
    assert dict(log.attributes or {}) == {
        "model": "churn",
        "version": "7",
        "request_id": "r-9",
        "latency_ms": 41.5,
        "prediction": 0.25,
        "input_hash": "abc",
        "ml.feature.tenure": 12,
    }


# metrics


def _points(reader: InMemoryMetricReader) -> dict[str, list]:
    data = reader.get_metrics_data()
    assert data is not None
    return {
        metric.name: list(metric.data.data_points)
        for resource_metrics in data.resource_metrics
        for scope_metrics in resource_metrics.scope_metrics
        for metric in scope_metrics.metrics
    }


def test_queue_depth_gauge_and_active_requests_counter(sdk: Sdk) -> None:
    service = sdk.service(meter=True)
    service.handle("req-1", FEATURES, queue_depth=4)
    service.handle("req-2", FEATURES, queue_depth=7, http_status=503)

    points = _points(sdk.metrics)
    model = {keys.MODEL_NAME: "fraud-detector", keys.MODEL_VERSION: "2.1.0"}
    (depth,) = points[keys.QUEUE_DEPTH_METRIC]
    assert (depth.value, dict(depth.attributes or {})) == (7, model)
    (active,) = points[keys.REQUESTS_ACTIVE_METRIC]
    assert (active.value, dict(active.attributes or {})) == (0, model)


# the traffic driver (python -m examples.model_service)


class MemoryMetricExporter(MetricExporter):
    def __init__(self) -> None:
        super().__init__()
        self.exported: list[MetricsData] = []

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: object
    ) -> MetricExportResult:
        self.exported.append(metrics_data)
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: object) -> None:
        pass


def _no_sleep(seconds: float) -> None:
    raise AssertionError(f"the driver slept {seconds} s with --rate 0")


def _drive(argv: Sequence[str]) -> tuple[Exporters, str]:
    exporters = Exporters(
        InMemorySpanExporter(), InMemorySpanExporter(), MemoryMetricExporter(), InMemoryLogRecordExporter()
    )
    out = io.StringIO()
    assert main(["--rate", "0", *argv], exporters=exporters, sleep=_no_sleep, out=out) == 0
    return exporters, out.getvalue()


def test_driver_sends_client_server_and_stage_spans_metrics_and_logs() -> None:
    exporters, output = _drive(
        ["--requests", "30", "--error-rate", "0.5", "--seed", "3", "--version", "2.2.0"]
    )

    spans = list(exporters.spans.get_finished_spans())  # type: ignore[attr-defined]
    clients = list(exporters.caller_spans.get_finished_spans())  # type: ignore[attr-defined]
    servers = [span for span in spans if span.kind == SpanKind.SERVER]
    assert len(servers) == len(clients) == 30
    assert {span.resource.attributes[keys.MODEL_VERSION] for span in spans} == {"2.2.0"}
    assert {span.resource.attributes[keys.SERVICE_NAME] for span in clients} == {"checkout-api"}
    assert keys.MODEL_NAME not in clients[0].resource.attributes
    client_ids = {span.context.span_id for span in clients}
    assert all(span.parent is not None and span.parent.span_id in client_ids for span in servers)
    assert {span.attributes[keys.STAGE] for span in spans if span.kind == SpanKind.INTERNAL} <= set(PIPELINE)
    failed = [span for span in servers if span.attributes[keys.HTTP_RESPONSE_STATUS_CODE] >= 400]
    assert 0 < len(failed) < 30
    assert len(exporters.logs.get_finished_logs()) == 30  # type: ignore[attr-defined]
    exported = exporters.metrics.exported  # type: ignore[attr-defined]
    names = {
        metric.name
        for data in exported
        for resource_metrics in data.resource_metrics
        for scope_metrics in resource_metrics.scope_metrics
        for metric in scope_metrics.metrics
    }
    assert {keys.QUEUE_DEPTH_METRIC, keys.REQUESTS_ACTIVE_METRIC} <= names
    assert "30/30 requests" in output
    assert output.splitlines()[-1].startswith("done: 30 requests")


def test_driver_traffic_is_reproducible_from_the_seed() -> None:
    def request_ids(seed: str) -> list[str]:
        exporters, _ = _drive(["--requests", "5", "--seed", seed, "--no-logs"])
        assert exporters.logs.get_finished_logs() == ()  # type: ignore[attr-defined]
        servers = [span for span in exporters.spans.get_finished_spans() if span.kind == SpanKind.SERVER]  # type: ignore[attr-defined]
        return [span.attributes[keys.REQUEST_ID] for span in servers]

    assert request_ids("11") == request_ids("11") != request_ids("12")


def test_driver_help_and_option_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    help_text = capsys.readouterr().out
    for option in ("--endpoint", "--requests", "--rate", "--error-rate", "--version", "inferwatch serve"):
        assert option in help_text

    with pytest.raises(SystemExit) as exit_info:
        main(["--error-rate", "1.5"])
    assert exit_info.value.code == 2
    assert "--error-rate: must be between 0 and 1, got 1.5" in capsys.readouterr().err
