"""The ML semantic conventions inferwatch reads: every attribute key in one place.

Reads: nothing. Writes: nothing. The public contract is docs/semantic-conventions.md; the SQL
of the derived tables refers to these keys through the macros in ``processors.ml_signals``.
"""

from __future__ import annotations

from typing import Final

# Resource
SERVICE_NAME: Final = "service.name"
MODEL_NAME: Final = "ml.model.name"
MODEL_VERSION: Final = "ml.model.version"
DEPLOYMENT_ENVIRONMENT: Final = "deployment.environment.name"

# Spans
STAGE: Final = "ml.stage"
STAGE_REQUEST: Final = "request"
STAGE_QUEUE: Final = "queue"
STAGE_PREPROCESS: Final = "preprocess"
STAGE_INFERENCE: Final = "inference"
STAGE_POSTPROCESS: Final = "postprocess"
STAGE_NETWORK: Final = "network"
STAGES: Final = (STAGE_QUEUE, STAGE_PREPROCESS, STAGE_INFERENCE, STAGE_POSTPROCESS, STAGE_NETWORK)

REQUEST_ID: Final = "ml.request.id"
PREDICTION_CLASS: Final = "ml.prediction.class"
PREDICTION_VALUE: Final = "ml.prediction.value"
PREDICTION_CONFIDENCE: Final = "ml.prediction.confidence"
PREDICTION_SCORE: Final = "ml.prediction.score"
FEATURE_PREFIX: Final = "ml.feature."
ERROR_CLASS: Final = "ml.error.class"
INPUT_HASH: Final = "ml.input.hash"

# Standard conventions used for errors
HTTP_RESPONSE_STATUS_CODE: Final = "http.response.status_code"
RPC_GRPC_STATUS_CODE: Final = "rpc.grpc.status_code"
ERROR_TYPE: Final = "error.type"
EXCEPTION_EVENT: Final = "exception"
EXCEPTION_TYPE: Final = "exception.type"
EXCEPTION_MESSAGE: Final = "exception.message"

# Metrics
QUEUE_DEPTH_METRIC: Final = "ml.queue.depth"
REQUESTS_ACTIVE_METRIC: Final = "ml.requests.active"

# Log records that stand for an inference event (the guide's structured prediction log)
LOG_MODEL: Final = "model"
LOG_VERSION: Final = "version"
LOG_REQUEST_ID: Final = "request_id"
LOG_LATENCY_MS: Final = "latency_ms"
LOG_PREDICTION: Final = "prediction"
LOG_CONFIDENCE: Final = "confidence"
LOG_INPUT_HASH: Final = "input_hash"
LOG_ERROR_CLASS: Final = "error_class"
LOG_EVENT_NAME: Final = "ml.inference"

# Ground truth: OTLP log records that carry the label of an earlier prediction (docs/feedback.md)
FEEDBACK_EVENT_NAME: Final = "ml.feedback"
LABEL_CLASS: Final = "ml.label.class"
LABEL_VALUE: Final = "ml.label.value"
