"""Live alert signals: SQL over the ML and metric tables for every model at once, and the row shaping.

Reads: nothing (pure). Writes: nothing. ``queries`` builds one parameterised query per family,
``shape`` turns its rows into ``Sample``s by signal name. The gateway's ``ClickHouseSignalSource``
runs them once per evaluation cycle. Definitions: docs/alert-rules.md ("Signals").
"""

from processors.alerting.live.buckets import (
    MINUTE,
    RequestPlan,
    Totals,
    minute_totals,
    plan_requests,
    segment_totals,
    window_totals,
)
from processors.alerting.live.queries import (
    CPU_METRICS,
    MEMORY_METRICS,
    REQUEST_SCAN_SLACK,
    RESTART_METRICS,
    latency_query,
    metrics_query,
    requests_query,
    service_up_query,
    split_windows,
)
from processors.alerting.live.shape import (
    FAMILIES,
    FAMILY_OF,
    LATENCY_SIGNALS,
    LIVE_SIGNALS,
    REQUEST_SIGNALS,
    shape_latency,
    shape_metrics,
    shape_requests,
    shape_service_up,
)

__all__ = [
    "CPU_METRICS",
    "FAMILIES",
    "FAMILY_OF",
    "LATENCY_SIGNALS",
    "LIVE_SIGNALS",
    "MEMORY_METRICS",
    "MINUTE",
    "REQUEST_SCAN_SLACK",
    "REQUEST_SIGNALS",
    "RESTART_METRICS",
    "RequestPlan",
    "Totals",
    "latency_query",
    "metrics_query",
    "minute_totals",
    "plan_requests",
    "requests_query",
    "segment_totals",
    "service_up_query",
    "shape_latency",
    "shape_metrics",
    "shape_requests",
    "shape_service_up",
    "split_windows",
    "window_totals",
]
