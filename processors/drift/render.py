"""A drift report as a JSON document and as the table ``inferwatch drift`` prints.

Reads: a ``DriftReport``. Writes: nothing (pure): strings and dicts. Config: none.
Non-finite numbers become the strings "inf", "-inf" or "nan" so the JSON is strict.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from processors.drift.report import ClassDrift, DriftReport, FeatureDrift, OutputDrift, json_number


def _instant(unix_nano: int) -> str:
    return datetime.fromtimestamp(unix_nano / 1e9, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def feature_document(feature: FeatureDrift) -> dict[str, Any]:
    return {
        "feature": feature.feature,
        "type": feature.feature_type,
        "verdict": feature.verdict,
        "reason": feature.reason,
        "test": feature.test,
        "statistic": json_number(feature.statistic),
        "p_value": json_number(feature.p_value),
        "adjusted_p_value": json_number(feature.adjusted_p_value),
        "psi": json_number(feature.psi),
        "psi_band": feature.psi_band,
        "js_distance": json_number(feature.jensen_shannon),
        "normed_wasserstein": json_number(feature.normed_wasserstein),
        "mean_shift": json_number(feature.mean_shift),
        "variance_ratio": json_number(feature.variance_ratio),
        "missing_rate": json_number(feature.missing_rate),
        "baseline_missing_rate": json_number(feature.baseline_missing_rate),
        "out_of_range_share": json_number(feature.out_of_range_share),
        "new_categories": list(feature.new_categories),
        "cardinality": None if feature.cardinality is None else list(feature.cardinality),
        "samples": feature.samples,
    }


def _classes_document(classes: ClassDrift) -> dict[str, Any]:
    return {
        "test": "chi2",
        "statistic": json_number(classes.chi2_statistic),
        "p_value": json_number(classes.p_value),
        "psi": json_number(classes.psi),
        "verdict": classes.verdict,
        "samples": classes.samples,
        "reference_shares": dict(classes.reference_shares),
        "current_shares": dict(classes.current_shares),
    }


def _output_document(output: OutputDrift) -> dict[str, Any]:
    comparison = output.comparison
    return {
        "output": output.output,
        "test": "ks",
        "statistic": json_number(comparison.ks_statistic),
        "p_value": json_number(comparison.ks_p_value),
        "psi": json_number(comparison.psi),
        "baseline_mean": json_number(comparison.baseline_mean),
        "current_mean": json_number(comparison.current_mean),
        "mean_shift": json_number(comparison.mean_shift),
        "variance_ratio": json_number(comparison.variance_ratio),
        "verdict": output.verdict,
        "samples": comparison.samples,
    }


def report_document(report: DriftReport) -> dict[str, Any]:
    """The JSON document of ``inferwatch drift --format json`` (one per baseline)."""
    settings = report.settings
    return {
        "model": report.model,
        "version": report.version,
        "baseline_id": report.baseline_id,
        "window": {"start": _instant(report.start_unix_nano), "end": _instant(report.end_unix_nano)},
        "rows": report.rows,
        "settings": {
            "alpha": settings.alpha,
            "correction": settings.correction,
            "min_normed_wasserstein": settings.min_normed_wasserstein,
            "min_jensen_shannon": settings.min_jensen_shannon,
            "min_psi": settings.min_psi,
            "min_samples": settings.min_samples,
        },
        "drifted_features": report.drifted_features,
        "features": [feature_document(feature) for feature in report.features],
        "predictions": {
            "classes": None if report.classes is None else _classes_document(report.classes),
            "outputs": [_output_document(output) for output in report.outputs],
        },
    }


def _number(value: float | None, digits: int = 4) -> str:
    if value is None:
        return "-"
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    if value != 0 and abs(value) < 10 ** -(digits - 1):
        return f"{value:.2e}"
    return f"{value:.{digits}f}"


def render_text(report: DriftReport) -> str:
    """The terminal table: one line per feature, worst first, then the predictions."""
    lines = [
        f"Drift of {report.model} {report.version or '(all versions)'} against baseline {report.baseline_id}",
        f"window {_instant(report.start_unix_nano)} .. {_instant(report.end_unix_nano)}: "
        f"{report.rows} events; "
        f"{report.drifted_features} of {len(report.features)} features drifted "
        f"(alpha {report.settings.alpha}, correction {report.settings.correction})",
        "",
    ]
    header = ("FEATURE", "TYPE", "TEST", "STATISTIC", "P-VALUE", "PSI", "MISSING", "VERDICT")
    rows = [header]
    for feature in report.features:
        rows.append(
            (
                feature.feature,
                feature.feature_type,
                feature.test or "-",
                _number(feature.statistic),
                _number(
                    feature.adjusted_p_value if feature.adjusted_p_value is not None else feature.p_value
                ),
                _number(feature.psi),
                _number(feature.missing_rate, 3),
                feature.verdict
                + (f" ({feature.reason})" if feature.verdict != "stable" and feature.reason else ""),
            )
        )
    lines.extend(text_table(rows))
    lines.append("")
    lines.append("Prediction drift")
    if report.classes is None and not report.outputs:
        lines.append("  no predictions in the baseline or the window")
    if report.classes is not None:
        classes = report.classes
        shares = ", ".join(
            f"{label} {classes.reference_shares.get(label, 0.0):.1%} -> {share:.1%}"
            for label, share in classes.current_shares.items()
        )
        lines.append(
            f"  classes: chi2 {_number(classes.chi2_statistic)} p {_number(classes.p_value)} "
            f"PSI {_number(classes.psi)} {classes.verdict}; {shares}"
        )
    for output in report.outputs:
        comparison = output.comparison
        lines.append(
            f"  {output.output}: KS {_number(comparison.ks_statistic)} p {_number(comparison.ks_p_value)} "
            f"PSI {_number(comparison.psi)} mean {_number(comparison.baseline_mean)} -> "
            f"{_number(comparison.current_mean)} variance x{_number(comparison.variance_ratio, 3)} "
            f"{output.verdict}"
        )
    return "\n".join(lines) + "\n"


def text_table(rows: list[tuple[str, ...]]) -> list[str]:
    """Left-aligned columns two spaces apart; the first row is the header."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
