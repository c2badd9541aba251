"""A small fraud-detection model service instrumented with the OpenTelemetry SDK alone.

This is what a user of inferwatch writes (docs/semantic-conventions.md); it imports nothing from inferwatch.
Reads: one request's features (and a W3C ``traceparent`` header when a caller sends one). Writes, through the
tracer, meter and logger it is given: a SERVER span ``POST /predict`` per request with one child span per
stage (``ml.stage`` = queue, preprocess, inference, postprocess), the ``ml.queue.depth`` gauge and the
``ml.requests.active`` up-down counter, and the structured prediction log record. No config keys.

Tests and the traffic driver control time and outcomes: ``handle(..., stage_durations_ms=..., start_ns=...)``
lays the spans out on an exact timeline, and ``http_status``, ``exception``, ``prediction_override`` and
``error_class`` inject the failures inferwatch classifies. ``call_with_client_span`` adds the caller's CLIENT
span (network time); ``log_prediction`` is the whole instrumentation of a service that logs instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from opentelemetry import trace
from opentelemetry._logs import Logger, SeverityNumber
from opentelemetry.context import Context
from opentelemetry.metrics import Meter
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from examples.model_service.conventions import (
    ERROR_CLASS,
    ERROR_TYPE,
    FEATURE_PREFIX,
    HTTP_REQUEST_METHOD,
    HTTP_RESPONSE_STATUS_CODE,
    HTTP_ROUTE,
    INPUT_HASH,
    LOG_CONFIDENCE,
    LOG_EVENT_NAME,
    LOG_INPUT_HASH,
    LOG_LATENCY_MS,
    LOG_MODEL,
    LOG_PREDICTION,
    LOG_REQUEST_ID,
    LOG_VERSION,
    MODEL_NAME,
    MODEL_VERSION,
    QUEUE_DEPTH_METRIC,
    REQUEST_ID,
    REQUESTS_ACTIVE_METRIC,
    SERVER_ADDRESS,
    SERVER_PORT,
    STAGE,
    STAGE_INFERENCE,
)
from examples.model_service.model import (
    Answer,
    FeatureError,
    FeatureValue,
    Pipeline,
    check_features,
    input_hash,
)
from examples.model_service.timeline import Timeline, select_stages, to_ns

SPAN_NAME = "POST /predict"
ROUTE = "/predict"
DEFAULT_NETWORK_MS = 2.0
PREDICTION_FIELDS = ("label", "confidence", "score", "value")


@dataclass(frozen=True)
class Prediction:
    """What ``handle`` answered, with the ids and times of its SERVER span.

    ``label``/``confidence``/``score``/``value`` are None when the request failed (status >= 400 or an
    exception). ``error_type`` is the SERVER span's ``error.type``: the exception's qualified type name, or
    the status code as a string for a 5xx without exception; None otherwise (4xx are not server errors).
    """

    request_id: str
    status_code: int
    label: str | None
    confidence: float | None
    score: float | None
    value: float | None
    error_type: str | None
    input_hash: str
    trace_id: int
    span_id: int
    start_ns: int
    end_ns: int

    @property
    def ok(self) -> bool:
        return self.status_code < 400

    @property
    def latency_ms(self) -> float:
        return (self.end_ns - self.start_ns) / 1e6


class ModelService:
    """The fraud detector behind ``POST /predict``; one ``handle`` call is one request.

    ``model_name``/``model_version`` go on every span, metric point and log record this service makes,
    overriding the resource; pass None to leave them to the resource. With a ``logger``, every request also
    emits the structured prediction log record, linked to its SERVER span. ``clock`` (ns since the epoch)
    times the stages when ``handle`` gets no explicit timeline.
    """

    def __init__(
        self,
        tracer: Tracer,
        meter: Meter | None = None,
        logger: Logger | None = None,
        model_name: str | None = "fraud-detector",
        model_version: str | None = "2.1.0",
        *,
        threshold: float = 0.5,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"threshold: must be between 0 and 1, got {threshold!r}")
        self.tracer = tracer
        self.logger = logger
        self.model_name = model_name
        self.model_version = model_version
        self.threshold = threshold
        self.clock = clock
        pairs = ((MODEL_NAME, model_name), (MODEL_VERSION, model_version))
        self._model_attributes = {key: value for key, value in pairs if value}
        self._queue_depth = None
        self._active = None
        if meter is not None:
            self._queue_depth = meter.create_gauge(
                QUEUE_DEPTH_METRIC, unit="{request}", description="Requests waiting for a model worker."
            )
            self._active = meter.create_up_down_counter(
                REQUESTS_ACTIVE_METRIC, unit="{request}", description="Requests being served."
            )

    def handle(
        self,
        request_id: str,
        features: Mapping[str, FeatureValue],
        *,
        headers: Mapping[str, str] | None = None,
        stage_durations_ms: Mapping[str, float] | None = None,
        start_ns: int | None = None,
        http_status: int | None = None,
        exception: BaseException | None = None,
        failing_stage: str = STAGE_INFERENCE,
        prediction_override: Mapping[str, str | float | None] | None = None,
        error_class: str | None = None,
        queue_depth: int = 0,
    ) -> Prediction:
        """Serve one prediction request and record it; a failed request is answered, never raised.

        Timeline: with ``stage_durations_ms`` or ``start_ns`` every span gets explicit start and end times:
        the SERVER span starts at ``start_ns`` (default: the clock), the stages follow back to back, each
        lasting its duration (missing stages: DEFAULT_STAGE_DURATIONS_MS); a ``"network"`` entry adds an
        ``ml.stage=network`` child before the queue; a ``"request"`` entry makes the SERVER span that long
        (at least the sum of its stages). Without either, the clock times the real work.

        Outcome: ``exception`` is raised inside ``failing_stage`` (that span: status ERROR and an
        ``exception`` event) and answered with 500, or with ``http_status`` when given. An ``http_status``
        >= 400 without exception also ends the request after ``failing_stage``. Per the HTTP conventions the
        SERVER span is ERROR only for 5xx (with ``error.type`` and, for an exception, its event); 4xx keep
        status UNSET. Failed requests carry no ``ml.prediction.*``. ``prediction_override`` replaces fields
        of the model's answer (label, confidence, score, value; e.g. ``{"confidence": 1.7}``) and
        ``error_class`` sets ``ml.error.class`` on the SERVER span; neither changes the status.
        ``headers`` may carry the caller's ``traceparent``; ``queue_depth`` is recorded on the gauge.
        """
        check_features(features)
        if http_status is not None and not 100 <= http_status <= 599:
            raise ValueError(f"http_status: must be an HTTP status code, got {http_status!r}")
        overrides = _check_override(prediction_override)
        failing = exception is not None or (http_status is not None and http_status >= 400)
        stages = select_stages(stage_durations_ms, failing_stage if failing else None)
        if stage_durations_ms is None and start_ns is None:
            timeline = Timeline.live(self.clock)
        else:
            start = start_ns if start_ns is not None else self.clock()
            timeline = Timeline.planned(stages, stage_durations_ms, start)

        hashed = input_hash(features)
        attributes: dict[str, FeatureValue] = {
            HTTP_REQUEST_METHOD: "POST",
            HTTP_ROUTE: ROUTE,
            **self._model_attributes,
            REQUEST_ID: request_id,
            INPUT_HASH: hashed,
            **{FEATURE_PREFIX + name: value for name, value in features.items()},
        }
        parent = TraceContextTextMapPropagator().extract(dict(headers or {}), context=Context())
        server = self.tracer.start_span(
            SPAN_NAME, context=parent, kind=SpanKind.SERVER, attributes=attributes, start_time=timeline.start
        )
        if self._queue_depth is not None:
            self._queue_depth.set(queue_depth, self._model_attributes)
        if self._active is not None:
            self._active.add(1, self._model_attributes)

        answer, failure = self._run_stages(server, stages, timeline, features, exception, failing_stage)
        end = timeline.finish()
        status = http_status or _status_for(failure)
        server.set_attribute(HTTP_RESPONSE_STATUS_CODE, status)
        if error_class:
            server.set_attribute(ERROR_CLASS, error_class)
        error_type = None
        if status >= 500:
            error_type = _type_name(failure) if failure is not None else str(status)
            server.set_attribute(ERROR_TYPE, error_type)
            if failure is not None:
                server.record_exception(failure, timestamp=end)
            server.set_status(Status(StatusCode.ERROR, _describe(failure) if failure is not None else None))
        if status >= 400 or failure is not None or answer is None:
            answer = Answer(None, None, None)
        elif overrides:
            answer = replace(answer, **overrides)
        server.set_attributes(answer.attributes())
        server.end(end_time=end)
        if self._active is not None:
            self._active.add(-1, self._model_attributes)

        span_context = server.get_span_context()
        prediction = Prediction(
            request_id=request_id,
            status_code=status,
            label=answer.label,
            confidence=answer.confidence,
            score=answer.score,
            value=answer.value,
            error_type=error_type,
            input_hash=hashed,
            trace_id=span_context.trace_id,
            span_id=span_context.span_id,
            start_ns=timeline.start,
            end_ns=end,
        )
        if self.logger is not None:
            self._log(self.logger, prediction, trace.set_span_in_context(server), failure, error_class)
        return prediction

    def _run_stages(
        self,
        server: trace.Span,
        stages: tuple[str, ...],
        timeline: Timeline,
        features: Mapping[str, FeatureValue],
        exception: BaseException | None,
        failing_stage: str,
    ) -> tuple[Answer | None, BaseException | None]:
        """Run the stages as children of ``server``; return the answer, or the exception that stopped them."""
        parent = trace.set_span_in_context(server)
        pipeline = Pipeline(features, self.threshold)
        for stage in stages:
            attributes = {STAGE: stage, **self._model_attributes}
            span = self.tracer.start_span(
                stage, context=parent, attributes=attributes, start_time=timeline.now
            )
            try:
                if exception is not None and stage == failing_stage:
                    raise exception
                pipeline.run(stage)
            except BaseException as error:
                # The request boundary: a failure becomes an error response, as in a web framework. Other
                # BaseExceptions (KeyboardInterrupt, SystemExit) are not the request's to answer.
                if error is not exception and not isinstance(error, Exception):
                    span.end()
                    raise
                end = timeline.end_stage(stage)
                span.record_exception(error, timestamp=end)
                span.set_status(Status(StatusCode.ERROR, _describe(error)))
                span.end(end_time=end)
                return None, error
            span.end(end_time=timeline.end_stage(stage))
        return pipeline.answer, None

    def _log(
        self,
        logger: Logger,
        prediction: Prediction,
        context: Context,
        failure: BaseException | None,
        error_class: str | None,
    ) -> None:
        extra: dict[str, FeatureValue] = {HTTP_RESPONSE_STATUS_CODE: prediction.status_code}
        if error_class:
            extra[ERROR_CLASS] = error_class
        level = "INFO" if prediction.ok else "ERROR" if prediction.status_code >= 500 else "WARN"
        log_prediction(
            logger,
            model=self.model_name,
            version=self.model_version,
            request_id=prediction.request_id,
            latency_ms=prediction.latency_ms,
            prediction=prediction.label,
            confidence=prediction.confidence,
            input_hash=prediction.input_hash,
            timestamp_ns=prediction.end_ns,
            level=level,
            context=context,
            exception=failure,
            extra=extra,
        )


def log_prediction(
    logger: Logger,
    *,
    request_id: str,
    latency_ms: float,
    prediction: str | float | None,
    confidence: float | None,
    input_hash: str | None,
    model: str | None = None,
    version: str | None = None,
    timestamp_ns: int | None = None,
    level: str = "INFO",
    context: Context | None = None,
    exception: BaseException | None = None,
    extra: Mapping[str, FeatureValue] | None = None,
) -> None:
    """Emit the structured prediction log record: the inference event of a service that logs.

    Attributes are the guide's field names (model, version, request_id, latency_ms, prediction, confidence,
    input_hash); timestamp and level are the record's own timestamp and severity (``level`` is a
    SeverityNumber name: INFO, WARN, ERROR, ...); the event name is ``ml.inference``. None values are left out
    (model and version then come from the resource). ``extra`` adds attributes such as
    ``http.response.status_code``, ``ml.error.class`` or ``ml.feature.<name>``; ``exception`` adds
    ``exception.type``/``exception.message``; ``context`` links the record to a span (default: the
    current one).
    """
    fields: dict[str, FeatureValue | None] = {
        LOG_MODEL: model,
        LOG_VERSION: version,
        LOG_REQUEST_ID: request_id,
        LOG_LATENCY_MS: latency_ms,
        LOG_PREDICTION: prediction,
        LOG_CONFIDENCE: confidence,
        LOG_INPUT_HASH: input_hash,
        **(extra or {}),
    }
    logger.emit(
        timestamp=timestamp_ns if timestamp_ns is not None else time.time_ns(),
        context=context,
        severity_number=SeverityNumber[level.upper()],
        severity_text=level.upper(),
        body=f"prediction {request_id}: {prediction} ({latency_ms:.3f} ms)",
        attributes={key: value for key, value in fields.items() if value is not None},
        event_name=LOG_EVENT_NAME,
        exception=exception,
    )


def call_with_client_span(
    tracer: Tracer,
    service: ModelService,
    request_id: str,
    features: Mapping[str, FeatureValue],
    *,
    network_ms: float = DEFAULT_NETWORK_MS,
    start_ns: int | None = None,
    clock: Callable[[], int] = time.time_ns,
    server_address: str = "fraud-api",
    server_port: int = 8080,
    **handle_options: object,
) -> Prediction:
    """Call ``service`` as a caller does: inside a CLIENT span whose context travels in ``traceparent``.

    The CLIENT span (the SERVER span's parent) starts at ``start_ns`` (default: ``clock``), the SERVER span
    ``network_ms // 2`` later, and the CLIENT span ends the remaining half after the SERVER span, so CLIENT
    minus SERVER duration is exactly ``network_ms``: the network time inferwatch derives. The timeline is
    always explicit; ``handle_options`` go to ``handle`` (stage_durations_ms, http_status, ...). The CLIENT
    span is ERROR for any status >= 400, as the HTTP client conventions say.
    """
    network_ns = to_ns(network_ms, "network_ms")
    outbound = network_ns // 2
    client_start = start_ns if start_ns is not None else clock()
    attributes = {HTTP_REQUEST_METHOD: "POST", SERVER_ADDRESS: server_address, SERVER_PORT: server_port}
    span = tracer.start_span("POST", kind=SpanKind.CLIENT, start_time=client_start, attributes=attributes)
    headers: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(headers, context=trace.set_span_in_context(span))
    prediction = service.handle(
        request_id,
        features,
        headers=headers,
        start_ns=client_start + outbound,
        **handle_options,  # type: ignore[arg-type]
    )
    span.set_attribute(HTTP_RESPONSE_STATUS_CODE, prediction.status_code)
    if prediction.status_code >= 400:
        span.set_attribute(ERROR_TYPE, str(prediction.status_code))
        span.set_status(Status(StatusCode.ERROR))
    span.end(end_time=prediction.end_ns + network_ns - outbound)
    return prediction


def _check_override(override: Mapping[str, str | float | None] | None) -> dict[str, str | float | None]:
    unknown = sorted(set(override or {}) - set(PREDICTION_FIELDS))
    if unknown:
        raise ValueError(
            f"prediction_override: unknown field {unknown[0]!r}; expected one of {PREDICTION_FIELDS}"
        )
    return dict(override or {})


def _status_for(failure: BaseException | None) -> int:
    """The response to a request the stages ran through or failed in (the one exception-to-status mapping)."""
    if failure is None:
        return 200
    return 400 if isinstance(failure, FeatureError) else 500


def _type_name(error: BaseException) -> str:
    # As the SDK writes exception.type: qualified, without the "builtins." of built-in exceptions.
    kind = type(error)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def _describe(error: BaseException) -> str:
    return f"{_type_name(error)}: {error}"
