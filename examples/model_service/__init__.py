"""An example model service instrumented for inferwatch with the OpenTelemetry SDK alone.

``service`` holds the instrumented fraud detector (what a user writes), ``conventions`` the attribute keys it
copies, ``model`` the toy model, ``timeline`` the span times; ``python -m examples.model_service`` drives it
with random traffic towards an OTLP endpoint (README.md). Reads and writes nothing on import.
"""

from examples.model_service.model import Answer, FeatureError, FeatureValue, fraud_score, input_hash
from examples.model_service.service import (
    DEFAULT_NETWORK_MS,
    ModelService,
    Prediction,
    call_with_client_span,
    log_prediction,
)
from examples.model_service.timeline import DEFAULT_STAGE_DURATIONS_MS

__all__ = [
    "DEFAULT_NETWORK_MS",
    "DEFAULT_STAGE_DURATIONS_MS",
    "Answer",
    "FeatureError",
    "FeatureValue",
    "ModelService",
    "Prediction",
    "call_with_client_span",
    "fraud_score",
    "input_hash",
    "log_prediction",
]
