"""The periodic performance evaluation: metrics per window and model version, then concept drift.

Reads: ``ml_labeled_predictions`` and ``ml_features`` (window metrics, CBPE), ``ml_performance`` (the
stored series concept drift watches). Writes: ``ml_performance`` points (``accuracy{window="1h"}``,
``estimated_accuracy``, ``concept_drift{kind="sudden"}`` ...). Config keys: ``performance.{windows,
min_samples, calibration_bins, thresholds, models, concept_drift}``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from gateway.config.performance_schema import LOWER_IS_BETTER, MetricThresholds, PerformanceConfig
from gateway.performance import reads
from gateway.storage.series import write_points
from processors.ml.series import SignalPoint
from processors.performance.concept_drift import KINDS, DriftSettings, detect
from processors.performance.estimation import AccuracyEstimate
from processors.performance.evaluation import LabeledPredictions, evaluate, to_points
from processors.performance.metrics import Threshold
from processors.performance.windows import windows_to_evaluate

NS = 10**9


def thresholds_for(config: PerformanceConfig, model: str) -> dict[str, Threshold]:
    """The global table overlaid with the model's own thresholds."""
    merged: dict[str, MetricThresholds] = dict(config.thresholds)
    model_config = config.models.get(model)
    if model_config is not None:
        merged.update(model_config.thresholds)
    return {
        name: Threshold(
            entry.baseline, entry.warning, entry.critical, higher_is_better=name not in LOWER_IS_BETTER
        )
        for name, entry in merged.items()
    }


def positive_class_for(config: PerformanceConfig, model: str) -> str | None:
    model_config = config.models.get(model)
    return (model_config.positive_class or None) if model_config else None


def window_points(
    config: PerformanceConfig, source: reads.RowSource, now: int, model: str = "", version: str = ""
) -> list[SignalPoint]:
    """Points of every configured window that overlaps the lookback, for every model version seen.

    The labelled predictions are read once for all window sizes: the join behind
    ``ml_labeled_predictions`` is the expensive read of a run."""
    specs = []
    for spec in config.windows:
        length = int(spec.length.total_seconds() * NS)
        step = int(spec.step.total_seconds() * NS) or length
        lookback = int(spec.lookback.total_seconds() * NS)
        specs.append((step, windows_to_evaluate(spec.name, now, length, lookback, step)))
    start = min(windows[0].start_unix_nano for _, windows in specs)
    end = max(windows[-1].end_unix_nano for _, windows in specs)
    labelled = reads.labeled_predictions(source, start, end, model, version)
    points: list[SignalPoint] = []
    for step, windows in specs:
        first, last = windows[0].start_unix_nano, windows[-1].end_unix_nano
        # per step: a window is its steps (one, unless the windows slide)
        estimates = reads.confidence_estimates(source, first, last, step, model, version)
        keys = set(labelled) | {(m, v) for m, v, _ in estimates}
        for key in sorted(keys):
            data = labelled.get(key, LabeledPredictions.from_rows([]))
            thresholds = thresholds_for(config, key[0])
            for window in windows:
                estimate = AccuracyEstimate.combine(
                    [
                        estimates[(*key, bucket)]
                        for bucket in range(window.start_unix_nano // step, window.end_unix_nano // step)
                        if (*key, bucket) in estimates
                    ]
                )
                in_window = data.in_window(window)
                if not len(in_window) and estimate is None:
                    continue
                result = evaluate(in_window, positive_class_for(config, key[0]), config.calibration_bins)
                points.extend(
                    to_points(result, key[0], key[1], window, thresholds, config.min_samples, estimate)
                )
    return points


def concept_drift_points(config: PerformanceConfig, source: reads.RowSource, now: int) -> list[SignalPoint]:
    """``concept_drift{kind, window}`` per model version with a stored series: the decline when the
    detector says that kind, else 0; Details hold the verdict."""
    drift = config.concept_drift
    spec = next(spec for spec in config.windows if spec.name == drift.window)
    length = int(spec.length.total_seconds() * NS)
    span = int(drift.span.total_seconds() * NS)
    since = now - span - int(drift.history.total_seconds() * NS)
    settings = DriftSettings(span_ns=span, min_drop=drift.min_drop, min_evidence=drift.min_evidence)
    interval = int(config.interval.total_seconds() * NS)
    end = now // interval * interval
    points: list[SignalPoint] = []
    seen: set[reads.Key] = set()
    for metric in ("accuracy", "mae"):  # classifiers by accuracy, regressors by MAE
        series = reads.window_series(source, "ml_performance", metric, since, drift.window)
        for key, windows in sorted(series.items()):
            usable = [w for w in windows if w.samples >= config.min_samples and w.end <= now + length]
            if key in seen or not usable:
                continue
            seen.add(key)
            threshold = thresholds_for(config, key[0]).get(metric)
            baseline = threshold.baseline if threshold else math.nan
            verdict = detect(
                [w.start for w in usable],
                [w.value for w in usable],
                now,
                length,
                baseline,
                higher_is_better=metric not in LOWER_IS_BETTER,
                settings=settings,
            )
            details: Mapping[str, Any] = {"metric": metric, **verdict.as_details()}
            for kind in KINDS:
                points.append(
                    SignalPoint(
                        signal="concept_drift",
                        model=key[0],
                        version=key[1],
                        value=verdict.drop if verdict.kind == kind else 0.0,
                        window_start_unix_nano=end - span,
                        window_end_unix_nano=end,
                        labels={"kind": kind, "window": drift.window},
                        samples=verdict.points,
                        details=details,
                    )
                )
    return points


def evaluate_performance(config: PerformanceConfig, client: Any, now: int) -> int:
    """One run: window metrics, then concept drift over the series just written. Returns points written."""
    source = reads.ClientRows(client)
    written = write_points(client, "ml_performance", window_points(config, source, now), now)
    if config.concept_drift.enabled:
        written += write_points(client, "ml_performance", concept_drift_points(config, source, now), now)
    return written
