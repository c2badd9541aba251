"""Tests of processors/quality/report.py: stored rows → the JSON document and the dashboard text."""

from __future__ import annotations

import json

from processors.quality.report import quality_document, render_text

START, END = 1_767_222_000 * 10**9, 1_767_225_600 * 10**9


def metric(signal: str, value: float | None, status: str, target: float, critical: float, passed=0, total=0):
    details = {"status": status, "target": target, "critical": critical, "passed": passed, "total": total}
    details["records"] = 1000
    return {
        "Signal": signal,
        "value": value,
        "samples": total,
        "details": json.dumps(details),
        "window_start": START,
        "window_end": END,
    }


ROWS = [
    metric("completeness", 0.998, "✓", 0.99, 0.95, 998, 1000),
    metric("consistency", 0.965, "⚠", 0.98, 0.95, 965, 1000),
    metric("quality_accuracy", None, "n/a", 0.95, 0.9),
    metric("timeliness_seconds", 2700.0, "✓", 3600, 7200, 990, 1000),
    metric("validity", 0.988, "⚠", 0.99, 0.95, 988, 1000),
]
VIOLATIONS = [
    {
        "Rule": "allowed",
        "Field": "country",
        "violations": "12",
        "checked": "1000",
        "samples": [json.dumps({"key": "t1", "values": {"country": "XX"}})],
    }
]


def test_document_orders_metrics_like_the_guide_and_keeps_samples():
    document = quality_document("fraud-detector", ROWS, VIOLATIONS)
    assert document["window"] == {"start": "2025-12-31T23:00:00Z", "end": "2026-01-01T00:00:00Z"}
    assert document["records"] == 1000
    assert [(m["metric"], m["status_word"], m["value"]) for m in document["metrics"]] == [
        ("completeness", "ok", 0.998),
        ("accuracy", "undefined", None),
        ("consistency", "warning", 0.965),
        ("timeliness", "ok", 2700.0),
        ("validity", "warning", 0.988),
    ]
    assert document["violations"] == [
        {
            "rule": "allowed",
            "field": "country",
            "violations": 12,
            "checked": 1000,
            "samples": [{"key": "t1", "values": {"country": "XX"}}],
        }
    ]


def test_text_is_the_guides_dashboard_then_the_violations():
    text = render_text(quality_document("fraud-detector", ROWS, VIOLATIONS))
    assert text.splitlines()[2:9] == [
        "Metric          | Target  | Current  | Status",
        "----------------|---------|----------|-------",
        "Completeness    | ≥ 99%   | 99.8%    | ✓",
        "Accuracy        | ≥ 95%   | n/a      | n/a",
        "Consistency     | ≥ 98%   | 96.5%    | ⚠",
        "Timeliness      | ≤ 1h    | 45min    | ✓",
        "Validity        | ≥ 99%   | 98.8%    | ⚠",
    ]
    assert "  allowed on country: 12 of 1000 checked" in text
    assert '    e.g. {"key": "t1", "values": {"country": "XX"}}' in text


def test_text_without_violations():
    assert "No rule was violated in this window." in render_text(quality_document("m", ROWS, []))
