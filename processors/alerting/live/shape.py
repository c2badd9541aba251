"""Rows of the live-signal queries in, the alert signals (``Sample``s by signal name) out.

Reads: nothing (pure). Writes: nothing. Every sample carries the labels ``model`` and ``version`` plus
its signal's extra labels (``stage``, ``error_class``, ``pod``); ``samples`` is the number of requests
(or spans) behind a value, None where a count means nothing (metrics, ``service_up``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from processors.alerting.expr import Sample
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
    "queue_depth": ("queue_depth",),
    "cpu": ("cpu_utilization",),
    "memory": ("memory_utilization",),
    "restarts": ("pod_restarts",),
    "service_up": ("service_up",),
}
FAMILY_OF: dict[str, str] = {name: family for family, names in FAMILIES.items() for name in names}
LIVE_SIGNALS = frozenset(FAMILY_OF)
assert len(PERCENTILES) == len(LATENCY_SIGNALS)


def _labels(row: Mapping[str, Any], **extra: str) -> dict[str, str]:
    return {"model": str(row["model"]), "version": str(row["version"] or ""), **extra}


def shape_requests(rows: Rows, window_seconds: float) -> Series:
    """error_rate (and by group and class), timeout_rate, rps, confidence_mean, low_confidence_rate."""
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
        series["rps"].append(Sample(labels, requests / window_seconds, requests))
        for error_class, count in _classes(row["classes"]):
            series["error_class_rate"].append(
                Sample(_labels(row, error_class=error_class), int(count) / requests, requests)
            )
        confidences = int(row["confidence_count"])
        if confidences:
            series["confidence_mean"].append(Sample(labels, float(row["confidence_mean"]), confidences))
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


def shape_metric(rows: Rows, signal: str) -> Series:
    """One value per row; a row's ``pod`` becomes a label when the signal has one (not ``queue_depth``)."""
    samples = []
    for row in rows:
        extra = {"pod": str(row["pod"])} if signal != "queue_depth" and signal != "service_up" else {}
        samples.append(Sample(_labels(row, **extra), float(row["value"]), None))
    return {signal: samples}
