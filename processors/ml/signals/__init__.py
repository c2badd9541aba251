"""The operations dashboard of one model (``inferwatch signals``): SQL builders, result shaping, rendering.

Reads: nothing (pure). Writes: nothing. ``queries`` builds parameterised SQL over the ML signal tables,
``results`` shapes their rows into frozen dataclasses (and holds ``error_rate_tier``), ``render``
turns them into plain-text tables. Definitions of every signal: docs/signals.md.
"""

from processors.ml.signals.queries import (
    PERCENTILES,
    STAGE_ORDER,
    Query,
    SignalsRequest,
    Window,
    build_queries,
    known_models_query,
    suggest_models,
)
from processors.ml.signals.render import describe_duration, no_data_message, render_text
from processors.ml.signals.results import (
    ERROR_GROUPS,
    ERROR_RATE_TIERS,
    Signals,
    error_group,
    error_rate_tier,
    format_instant,
    shape_signals,
)

__all__ = [
    "ERROR_GROUPS",
    "ERROR_RATE_TIERS",
    "PERCENTILES",
    "STAGE_ORDER",
    "Query",
    "Signals",
    "SignalsRequest",
    "Window",
    "build_queries",
    "describe_duration",
    "error_group",
    "error_rate_tier",
    "format_instant",
    "known_models_query",
    "no_data_message",
    "render_text",
    "shape_signals",
    "suggest_models",
]
