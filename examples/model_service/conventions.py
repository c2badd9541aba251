"""The attribute keys and metric names of docs/semantic-conventions.md, as a model service spells them.

Copied on purpose from inferwatch's ``processors/ml/conventions.py``: a model service depends on OpenTelemetry
only, so copy this file (or the keys you use) into yours. tests/examples/test_model_service.py checks every
copied key against the original. Reads: nothing. Writes: nothing.
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
ERROR_TYPE: Final = "error.type"

# Metrics
QUEUE_DEPTH_METRIC: Final = "ml.queue.depth"
REQUESTS_ACTIVE_METRIC: Final = "ml.requests.active"

# The structured prediction log record
LOG_MODEL: Final = "model"
LOG_VERSION: Final = "version"
LOG_REQUEST_ID: Final = "request_id"
LOG_LATENCY_MS: Final = "latency_ms"
LOG_PREDICTION: Final = "prediction"
LOG_CONFIDENCE: Final = "confidence"
LOG_INPUT_HASH: Final = "input_hash"
LOG_EVENT_NAME: Final = "ml.inference"

# Standard HTTP keys inferwatch does not read, set because HTTP server and client spans have them.
HTTP_REQUEST_METHOD: Final = "http.request.method"
HTTP_ROUTE: Final = "http.route"
SERVER_ADDRESS: Final = "server.address"
SERVER_PORT: Final = "server.port"
