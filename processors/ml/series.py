"""Evaluated signals as time series: the row shape of ``ml_drift``, ``ml_quality`` and ``ml_performance``.

Reads: nothing. Writes: nothing (pure). The drift, data-quality and performance evaluations each
produce ``SignalPoint``s for one window; the gateway writes them with ``gateway.storage.series`` and
the alert rules read the latest point of each series by signal name (``psi{feature="age"}``).

One row per (signal, model, version, labels, window end). The tables are ReplacingMergeTrees keyed
on exactly that, so gateway replicas evaluating the same aligned window write one result
(``FINAL`` or ``argMax(..., EvaluatedAt)`` reads it). ``Details`` holds what an alert or a CLI shows
beside the number (the test used, the verdict, ...) as a JSON object.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SERIES_TABLES = ("ml_drift", "ml_quality", "ml_performance")
COLUMNS = (
    "EvaluatedAt",
    "WindowStart",
    "WindowEnd",
    "ModelName",
    "ModelVersion",
    "Signal",
    "Labels",
    "LabelsKey",
    "Value",
    "Samples",
    "Details",
)


def labels_key(labels: Mapping[str, str]) -> str:
    """The labels as one sortable string (Map columns cannot be part of a sorting key)."""
    return json.dumps(sorted(labels.items()), ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class SignalPoint:
    """The value of one signal series over [window_start, window_end] (ns since the epoch).

    ``version`` "" means all versions of the model; ``labels`` are the extra labels (``feature``,
    ``class``, ``metric`` ...) beyond model and version. ``value`` may be NaN (not computable).
    """

    signal: str
    model: str
    version: str
    value: float
    window_start_unix_nano: int
    window_end_unix_nano: int
    labels: Mapping[str, str] = field(default_factory=dict)
    samples: int = 0
    details: Mapping[str, Any] = field(default_factory=dict)

    def row(self, evaluated_at_unix_nano: int) -> list[Any]:
        """The row in ``COLUMNS`` order; DateTime64 columns take ns integers through clickhouse-connect."""
        return [
            _ns_to_datetime(evaluated_at_unix_nano),
            _ns_to_datetime(self.window_start_unix_nano),
            _ns_to_datetime(self.window_end_unix_nano),
            self.model,
            self.version,
            self.signal,
            dict(self.labels),
            labels_key(self.labels),
            float(self.value),
            int(self.samples),
            json.dumps(_json_safe(dict(self.details)), ensure_ascii=False, sort_keys=True),
        ]


def _ns_to_datetime(ns: int) -> Any:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(ns // 1000 / 1e6, tz=timezone.utc)


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return repr(value)
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value
