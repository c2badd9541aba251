"""A drift report as named signal points for ``ml_drift`` (what alert rules read).

Reads: a ``DriftReport``. Writes: nothing (pure). Config: none. Signal names are those of
``processors.alerting.signal_names``; per feature they carry the label ``feature``, class shares
the label ``class``. ``Details`` holds the test, statistic, p-values and verdict beside the number.

Per numeric feature: psi, ks_pvalue, js_distance, wasserstein (normed), mean_shift, missing_rate,
out_of_range_share. Per categorical or boolean feature: psi, chi2_pvalue, js_distance,
missing_rate, new_categories. Per model version: drifted_features; prediction_psi,
prediction_chi2_pvalue and class_share for predicted classes; prediction_ks_pvalue (and
prediction_psi without classes), prediction_mean_shift, prediction_variance_ratio for predicted
values; confidence_psi, confidence_mean_shift, confidence_variance_ratio for confidences.
A feature with too few current values only gets missing_rate.
"""

from __future__ import annotations

from typing import Any

from processors.drift.report import INSUFFICIENT, DriftReport, FeatureDrift, OutputDrift, json_number
from processors.ml.series import SignalPoint


def _feature_details(feature: FeatureDrift) -> dict[str, Any]:
    return {
        "test": feature.test,
        "statistic": json_number(feature.statistic),
        "p_value": json_number(feature.p_value),
        "adjusted_p_value": json_number(feature.adjusted_p_value),
        "effect": json_number(feature.effect),
        "psi_band": feature.psi_band,
        "verdict": feature.verdict,
        "reason": feature.reason,
        "type": feature.feature_type,
    }


def report_points(report: DriftReport) -> list[SignalPoint]:
    """Every signal point of ``report`` over its window."""
    points: list[SignalPoint] = []

    def add(signal: str, value: float, samples: int, details: dict[str, Any], **labels: str) -> None:
        points.append(
            SignalPoint(
                signal=signal,
                model=report.model,
                version=report.version,
                value=float(value),
                window_start_unix_nano=report.start_unix_nano,
                window_end_unix_nano=report.end_unix_nano,
                labels=labels,
                samples=samples,
                details=details,
            )
        )

    for feature in report.features:
        if feature.samples == 0 and feature.verdict != INSUFFICIENT:
            continue  # not evaluated: nothing measured
        details = _feature_details(feature)
        add("missing_rate", feature.missing_rate, report.rows, details, feature=feature.feature)
        if feature.test is None:
            continue
        values: dict[str, float | None] = {
            "psi": feature.psi,
            "js_distance": feature.jensen_shannon,
        }
        if feature.test == "ks":
            values |= {
                "ks_pvalue": feature.p_value,
                "wasserstein": feature.normed_wasserstein,
                "mean_shift": feature.mean_shift,
                "out_of_range_share": feature.out_of_range_share,
            }
        else:
            values |= {"chi2_pvalue": feature.p_value, "new_categories": float(len(feature.new_categories))}
            details = details | {"new": list(feature.new_categories), "cardinality": feature.cardinality}
        for signal, value in values.items():
            if value is not None:
                add(signal, value, feature.samples, details, feature=feature.feature)
    drifted = [feature.feature for feature in report.features if feature.verdict == "drifted"]
    add("drifted_features", len(drifted), report.rows, {"features": drifted})
    if report.classes is not None:
        classes = report.classes
        details = {
            "test": "chi2",
            "statistic": classes.chi2_statistic,
            "p_value": classes.p_value,
            "verdict": classes.verdict,
            "reference_shares": dict(classes.reference_shares),
        }
        add("prediction_psi", classes.psi, classes.samples, details)
        add("prediction_chi2_pvalue", classes.p_value, classes.samples, details)
        for label, share in classes.current_shares.items():
            add("class_share", share, classes.samples, details, **{"class": label})
    for output in report.outputs:
        _output_points(output, add, with_psi=report.classes is None)
    return points


def _output_points(output: OutputDrift, add: Any, *, with_psi: bool) -> None:
    comparison = output.comparison
    details = {
        "test": "ks",
        "statistic": comparison.ks_statistic,
        "p_value": comparison.ks_p_value,
        "verdict": output.verdict,
        "baseline_mean": comparison.baseline_mean,
        "current_mean": comparison.current_mean,
    }
    prefix = "prediction" if output.output == "value" else "confidence"
    if output.output == "value":
        add("prediction_ks_pvalue", comparison.ks_p_value, comparison.samples, details)
    if output.output == "confidence" or with_psi:
        add(f"{prefix}_psi", comparison.psi, comparison.samples, details)
    add(f"{prefix}_mean_shift", comparison.mean_shift, comparison.samples, details)
    add(f"{prefix}_variance_ratio", comparison.variance_ratio, comparison.samples, details)
