"""What ``inferwatch quality`` shows: the stored metrics of a window with targets and ✓ / ⚠ / ✗, and the
most violated rules with sample records.

Reads: rows of ``processors.quality.queries.LATEST_METRICS`` and ``WINDOW_VIOLATIONS`` (dicts as
ClickHouse's JSONEachRow gives them). Writes: nothing (pure: rows in, a JSON document or text out).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from processors.quality.status import (
    METRIC_SIGNALS,
    STATUS_WORDS,
    UNDEFINED,
    MetricTarget,
    format_seconds,
    format_share,
)

SIGNAL_METRICS = {signal: metric for metric, signal in METRIC_SIGNALS.items()}
LABELS = {
    "completeness": "Completeness",
    "accuracy": "Accuracy",
    "consistency": "Consistency",
    "timeliness": "Timeliness",
    "validity": "Validity",
}


def _iso(unix_nano: int) -> str:
    moment = datetime.fromtimestamp(int(unix_nano) // 1000 / 1e6, tz=timezone.utc)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _number(value: Any) -> float:
    return math.nan if value is None else float(value)


def quality_document(
    model: str, metric_rows: Sequence[Mapping[str, Any]], violation_rows: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The JSON document of ``inferwatch quality --format json`` (NaN values become null)."""
    metrics = []
    window: dict[str, str] = {}
    records = 0
    for row in metric_rows:
        metric = SIGNAL_METRICS.get(row["Signal"])
        if metric is None:
            continue
        details = json.loads(row.get("details") or "{}")
        value = _number(row.get("value"))
        target = MetricTarget(
            metric,
            float(details["target"]),
            float(details["critical"]),
            higher_is_better=metric != "timeliness",
        )
        status = details.get("status") or target.status(value)
        window = {"start": _iso(row["window_start"]), "end": _iso(row["window_end"])}
        records = int(details.get("records", records))
        metrics.append(
            {
                "metric": metric,
                "signal": row["Signal"],
                "value": None if math.isnan(value) else value,
                "target": target.target,
                "critical": target.critical,
                "target_shown": target.describe(),
                "status": status,
                "status_word": STATUS_WORDS.get(status, status),
                "passed": int(details.get("passed", 0)),
                "total": int(details.get("total", 0)),
            }
        )
    metrics.sort(key=lambda line: list(LABELS).index(line["metric"]))
    violations = [
        {
            "rule": row["Rule"],
            "field": row["Field"],
            "violations": int(row["violations"]),
            "checked": int(row["checked"]),
            "samples": [json.loads(sample) for sample in row.get("samples") or []],
        }
        for row in violation_rows
    ]
    return {
        "model": model,
        "window": window,
        "records": records,
        "metrics": metrics,
        "violations": violations,
    }


def _shown(line: Mapping[str, Any]) -> str:
    if line["value"] is None:
        return UNDEFINED
    return format_seconds(line["value"]) if line["metric"] == "timeliness" else format_share(line["value"])


def render_text(document: Mapping[str, Any], samples: int = 2) -> str:
    """The dashboard table of the guide, then the violated rules with up to ``samples`` records each."""
    window = document["window"]
    lines = [
        f"Data quality of {document['model']}: window {window['start']} .. {window['end']}, "
        f"{document['records']} records",
        "",
        f"{'Metric':<15} | {'Target':<7} | {'Current':<8} | Status",
        f"{'-' * 15}-|-{'-' * 7}-|-{'-' * 8}-|-------",
    ]
    for line in document["metrics"]:
        lines.append(
            f"{LABELS[line['metric']]:<15} | {line['target_shown']:<7} | {_shown(line):<8} | {line['status']}"
        )
    lines.append("")
    if not document["violations"]:
        lines.append("No rule was violated in this window.")
        return "\n".join(lines) + "\n"
    lines.append("Most violated rules:")
    for violation in document["violations"]:
        lines.append(
            f"  {violation['rule']} on {violation['field']}: {violation['violations']} "
            f"of {violation['checked']} checked"
        )
        for sample in violation["samples"][:samples]:
            lines.append(f"    e.g. {json.dumps(sample, ensure_ascii=False, sort_keys=True)}")
    return "\n".join(lines) + "\n"
