"""Rows of the live-signal queries in, the alert signals (``Sample``s by signal name) out.

Reads: nothing (pure). Writes: nothing. Every sample carries the labels ``model`` and ``version`` plus
its signal's extra labels (``stage``, ``error_class``, ``pod``); ``samples`` is the number of requests
(or spans) behind a value, None where a count means nothing (metrics, ``service_up``) or is the signal
itself (``rps``: a traffic drop must be able to page).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from processors.alerting.expr import Sample
from processors.alerting.labels import Labels
from processors.alerting.live.queries import CPU_METRICS, RESTART_METRICS
from processors.ml.conventions import QUEUE_DEPTH_METRIC
from processors.ml.signals.queries import PERCENTILES

Rows = Iterable[Mapping[str, Any]]
Series = dict[str, list[Sample]]

# The family (one query) behind each live signal; every other catalogue signal is read from the
# evaluated series tables (ml_drift, ml_quality, ml_performance).
LATENCY_SIGNALS = ("latency_p50", "latency_p75", "latency_p95", "latency_p99", "latency_p999")
REQUEST_SIGNALS = (
    "error_rate",
    "error_rate_client",
    "error_rate_server",
    "error_rate_application",
    "error_class_rate",
    "timeout_rate",
    "rps",
    "confidence_mean",
    "low_confidence_rate",
)
FAMILIES: dict[str, tuple[str, ...]] = {
    "requests": REQUEST_SIGNALS,
    "latency": LATENCY_SIGNALS,
    "metrics": ("queue_depth", "cpu_utilization", "memory_utilization", "pod_restarts"),
    "service_up": ("service_up",),
}
FAMILY_OF: dict[str, str] = {name: family for family, names in FAMILIES.items() for name in names}
LIVE_SIGNALS = frozenset(FAMILY_OF)
assert len(PERCENTILES) == len(LATENCY_SIGNALS)


def _labels(row: Mapping[str, Any], **extra: str) -> dict[str, str]:
    return {"model": str(row["model"]), "version": str(row["version"] or ""), **extra}


def shape_requests(rows: Rows, window_seconds: float) -> Series:
    """error_rate (and by group and class), timeout_rate, rps, confidence_mean, low_confidence_rate from
    the totals of one window (``buckets.window_totals``)."""
    series: Series = {name: [] for name in REQUEST_SIGNALS}
    for row in rows:
        requests = int(row["requests"])
        if requests == 0:
            continue
        labels = _labels(row)
        failed = int(row["failures"])
        client, server = int(row["client_errors"]), int(row["server_errors"])
        shares = {
            "error_rate": failed,
            "error_rate_client": client,
            "error_rate_server": server,
            "error_rate_application": failed - client - server,
            "timeout_rate": int(row["timeouts"]),
        }
        for name, count in shares.items():
            series[name].append(Sample(labels, count / requests, requests))
        # No sample count: few requests is what `rps < 1` looks for, min_samples must not hold it.
        series["rps"].append(Sample(labels, requests / window_seconds, None))
        for error_class, count in _classes(row["classes"]):
            series["error_class_rate"].append(
                Sample(_labels(row, error_class=error_class), int(count) / requests, requests)
            )
        confidences = int(row["confidence_count"])
        if confidences:
            mean = float(row["confidence_sum"]) / confidences
            series["confidence_mean"].append(Sample(labels, mean, confidences))
            series["low_confidence_rate"].append(
                Sample(labels, int(row["confidence_below"]) / confidences, confidences)
            )
    return series


def _classes(value: Any) -> list[tuple[str, int]]:
    """sumMap's ``(keys, values)`` (a tuple, or a dict through some clients) as pairs."""
    if isinstance(value, Mapping):
        return sorted(value.items())
    keys, counts = value
    return list(zip(keys, counts, strict=True))


def shape_latency(rows: Rows) -> Series:
    """latency_p50 … latency_p999 in milliseconds, one series per stage (``request`` = the whole request)."""
    series: Series = {name: [] for name in LATENCY_SIGNALS}
    for row in rows:
        labels = _labels(row, stage=str(row["stage"]))
        count = int(row["count"])
        for name, quantile_ns in zip(LATENCY_SIGNALS, row["quantiles_ns"], strict=True):
            series[name].append(Sample(labels, float(quantile_ns) / 1e6, count))
    return series


def shape_metrics(rows: Rows) -> Series:
    """queue_depth: the largest point per model and version; cpu_utilization, memory_utilization: per pod,
    each metric's average over the window, the highest of the metrics; pod_restarts: per pod, the increase
    of the cumulative restart count."""
    queue: dict[Labels, float] = {}
    per_pod: dict[str, dict[Labels, float]] = {
        "cpu_utilization": {},
        "memory_utilization": {},
        "pod_restarts": {},
    }
    for row in rows:
        metric = str(row["metric"])
        if metric == QUEUE_DEPTH_METRIC:
            labels = Labels(_labels(row))
            queue[labels] = max(queue.get(labels, -math.inf), float(row["maximum"]))
            continue
        labels = Labels(_labels(row, pod=str(row["pod"])))
        if metric in RESTART_METRICS:
            values = per_pod["pod_restarts"]
            values[labels] = values.get(labels, 0.0) + float(row["maximum"]) - float(row["minimum"])
        else:
            values = per_pod["cpu_utilization" if metric in CPU_METRICS else "memory_utilization"]
            values[labels] = max(values.get(labels, -math.inf), float(row["average"]))
    series: Series = {"queue_depth": [Sample(labels, value) for labels, value in queue.items()]}
    for name, values in per_pod.items():
        series[name] = [Sample(labels, value) for labels, value in values.items()]
    return series


def shape_service_up(rows: Rows) -> Series:
    """1 for a model that sent anything in the window, 0 for one seen only in the 24 h before."""
    return {"service_up": [Sample(_labels(row), float(row["value"])) for row in rows]}
