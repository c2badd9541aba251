"""The periodic data-quality evaluation: read a window of ``ml_features``, measure, write the results.

Reads: the rule files named by ``quality.rule_files`` (once, at start), ``ml_features`` rows received
in the window, the ClickHouse columns named by ``in_table`` references. Writes: ``ml_quality`` (the
signals completeness, validity, consistency, quality_accuracy, timeliness_seconds, timeliness_share and
quality_violations{rule, field}) and ``ml_quality_violations`` (counts and a few PII-hashed samples).
Config keys: ``quality.*``, ``ml.pii.salt``.

Windows end at ``floor(now / interval) * interval`` and hold the rows received in the ``window`` before
that, so gateway replicas evaluating the same model write the same keys and one result stays.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from gateway.config import Config
from gateway.config.paths import yaml_file_paths as rule_file_paths
from gateway.storage.series import write_points
from processors.ml.series import SignalPoint
from processors.quality import (
    MetricTarget,
    QualityLoadError,
    QualityMeasurement,
    QualityRules,
    Record,
    SampleMasking,
    load_quality_rules,
    measure_quality,
)
from processors.quality import queries as sql
from processors.quality.signals import quality_points

log = logging.getLogger(__name__)

SERIES_TABLE = "ml_quality"
VIOLATIONS_TABLE = "ml_quality_violations"
REFERENCE_VALUES_LIMIT = 1_000_000  # distinct values read from one in_table column
VIOLATION_COLUMNS = (
    "EvaluatedAt",
    "WindowStart",
    "WindowEnd",
    "ModelName",
    "ModelVersion",
    "Rule",
    "Field",
    "Violations",
    "Checked",
    "Samples",
)


class QualityRulesError(ValueError):
    """The configured rule files cannot be used; the message lists every problem."""


def load_rule_files(names: Iterable[str]) -> tuple[QualityRules, ...]:
    """Every model's rules; ``QualityRulesError`` naming each unreadable file and each error."""
    loaded: list[QualityRules] = []
    problems: list[str] = []
    for path in rule_file_paths(names):
        try:
            rules = load_quality_rules(path.read_text(encoding="utf-8"), str(path))
        except OSError as error:
            problems.append(f"quality.rule_files: cannot read {path}: {error.strerror or error}")
            continue
        except QualityLoadError as error:
            problems.extend(str(problem) for problem in error.errors)
            continue
        other = next((earlier for earlier in loaded if earlier.model == rules.model), None)
        if other is not None:
            problems.append(f'{path}: model "{rules.model}" already has rules in {other.file}')
            continue
        loaded.append(rules)
    if problems:
        raise QualityRulesError("invalid data-quality rules:\n" + "\n".join(problems))
    return tuple(loaded)


def targets_of(config: Config) -> tuple[MetricTarget, ...]:
    targets, critical = config.quality.targets, config.quality.critical
    shares = tuple(
        MetricTarget(name, getattr(targets, name), getattr(critical, name))
        for name in ("completeness", "accuracy", "consistency", "validity")
    )
    delay = MetricTarget(
        "timeliness",
        targets.timeliness.total_seconds(),
        critical.timeliness.total_seconds(),
        higher_is_better=False,
    )
    return (*shares, delay)


def aligned_window(now_unix_nano: int, interval: timedelta, window: timedelta) -> tuple[int, int]:
    """(start, end) in ns: the end floored to the interval, the start one window before."""
    step = int(interval.total_seconds() * 1e9)
    end = now_unix_nano // step * step
    return end - int(window.total_seconds() * 1e9), end


@dataclass(frozen=True)
class ModelResult:
    """One model's evaluation of one window (what was written)."""

    rules: QualityRules
    window_start: int
    window_end: int
    measurement: QualityMeasurement
    points: tuple[SignalPoint, ...]


class QualityEvaluator:
    """Evaluates every model that has a rule file; ``run(now)`` is the periodic task's body."""

    def __init__(self, client: Any, config: Config, rules: tuple[QualityRules, ...]) -> None:
        self.client = client
        self.config = config
        self.rules = rules
        self.targets = targets_of(config)
        self.last_results: list[ModelResult] = []
        self._reference_errors: dict[str, str] = {}  # the last error of each unreadable in_table reference

    def run(self, now_unix_nano: int) -> None:
        quality = self.config.quality
        start, end = aligned_window(now_unix_nano, quality.interval, quality.window)
        results, failed = [], []
        for rules in self.rules:
            try:
                results.append(self.evaluate(rules, start, end, now_unix_nano))
            except Exception:  # boundary: one model's failure must not stop the others
                log.exception("data quality of model %s: evaluation failed", rules.model)
                failed.append(rules.model)
        self.last_results = results
        if failed:  # so the task counts the run as failed (PeriodicTask.failures, last_error)
            raise RuntimeError(f"data quality evaluation failed for: {', '.join(failed)}")

    def evaluate(self, rules: QualityRules, start: int, end: int, evaluated_at: int) -> ModelResult:
        quality = self.config.quality
        table_values, reference_errors = self.reference_values(rules)
        records = self.records(rules, start, end)
        masking = SampleMasking(quality.sample_values, self.config.ml.pii.salt)
        measurement = measure_quality(
            rules,
            records,
            end,
            max_delay=quality.targets.timeliness,
            table_values=table_values,
            samples_per_rule=quality.samples_per_rule,
            masking=masking,
        )
        points = quality_points(rules.model, measurement, self.targets, (start, end), reference_errors)
        write_points(self.client, SERIES_TABLE, points, evaluated_at)
        self.write_violations(rules.model, measurement, start, end, evaluated_at)
        return ModelResult(rules, start, end, measurement, points)

    def reference_values(self, rules: QualityRules) -> tuple[dict[str, frozenset[str]], dict[str, str]]:
        values: dict[str, frozenset[str]] = {}
        errors: dict[str, str] = {}
        for reference in rules.table_references:
            try:
                result = self.client.query(
                    sql.reference_values(reference), parameters={"limit": REFERENCE_VALUES_LIMIT}
                )
            except Exception as error:  # boundary: a missing table leaves that reference unchecked
                message = str(error).splitlines()[0][:300]
                if self._reference_errors.get(reference.key) != message:  # once, not every run
                    log.warning("data quality of %s: cannot read %s: %s", rules.model, reference.key, message)
                self._reference_errors[reference.key] = errors[reference.key] = message
                continue
            self._reference_errors.pop(reference.key, None)
            values[reference.key] = frozenset(row[0] for row in result.result_rows)
        return values, errors

    def records(self, rules: QualityRules, start: int, end: int) -> list[Record]:
        read = {rule.name for rule in rules.fields} | {name for c in rules.checks for name in c.check.fields}
        fields = sorted(read)
        result = self.client.query(
            sql.WINDOW_RECORDS,
            parameters={
                "fields": fields,
                "model": rules.model,
                "start_ms": start // 1_000_000,
                "end_ms": end // 1_000_000,
                "limit": self.config.quality.max_records,
            },
        )
        return [
            Record({**categorical, **numeric}, event_ns, received_ms * 1_000_000, key, version)
            for event_ns, received_ms, key, version, numeric, categorical in result.result_rows
        ]

    def write_violations(
        self, model: str, measurement: QualityMeasurement, start: int, end: int, evaluated_at: int
    ) -> None:
        rows = [
            [
                _datetime(evaluated_at),
                _datetime(start),
                _datetime(end),
                model,
                "",
                violation.rule,
                violation.field,
                violation.count,
                violation.checked,
                [json.dumps(sample, ensure_ascii=False, sort_keys=True) for sample in violation.samples],
            ]
            for violation in measurement.violations
        ]
        if rows:
            self.client.insert(VIOLATIONS_TABLE, rows, column_names=list(VIOLATION_COLUMNS))


def _datetime(unix_nano: int) -> datetime:
    return datetime.fromtimestamp(unix_nano // 1000 / 1e6, tz=timezone.utc)
