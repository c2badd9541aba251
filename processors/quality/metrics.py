"""Data-quality metrics of one window of records: completeness, validity, consistency, accuracy, timeliness.

Reads: the records of one model in one window (``Record``: the feature values of one inference event with
its event and receive times), the model's ``QualityRules`` and, for ``in_table`` references, the values
the gateway fetched. Writes: nothing (pure; ``now_unix_nano`` is the window end and is passed in).

Definitions (docs/data-quality.md has them with examples):

* completeness = populated (record, required field) pairs / (records × required fields); populated means
  present and not null.
* validity = checked values passing every type, null, range, length, set and pattern rule of their field /
  checked values. A value is checked when its field has such a rule and the value is present (and not
  null, unless the field is ``nullable: false``).
* consistency = records passing every cross-field check that applies to them / records to which at least
  one applies. A check applies when every field it reads has a value of its declared type.
* accuracy = present values found in their field's reference data (``reference.values`` or
  ``reference.in_table``) / present values of fields with reference data.
* timeliness: delay = receive time − event time (negative delays, clock skew, count as 0); the share of
  records delayed at most ``max_delay``, and the 95th percentile delay in seconds (linear interpolation).

A ratio with nothing to count (no required field, no check applied, ...) is undefined: NaN, status n/a.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta

import numpy as np

from processors.quality import model as m
from processors.quality.checks import RawValue, ValueOutcome, check_value, is_null, typed
from processors.quality.expr import CheckError, Value, evaluate
from processors.quality.samples import SampleMasking, sample_record


@dataclass(frozen=True)
class Record:
    """One inference event's features (name without ``ml.feature.`` → float or text) and its times."""

    values: Mapping[str, RawValue]
    event_time_unix_nano: int
    received_time_unix_nano: int | None = None
    key: str = ""  # trace id (or request id) of the event, shown with samples
    version: str = ""


@dataclass(frozen=True)
class Ratio:
    passed: int
    total: int

    @property
    def value(self) -> float:
        return self.passed / self.total if self.total else math.nan


@dataclass(frozen=True)
class Timeliness:
    within: int  # records delayed at most max_delay
    total: int  # records with a receive time
    p95_seconds: float  # NaN without records
    max_delay_seconds: float

    @property
    def share(self) -> Ratio:
        return Ratio(self.within, self.total)


@dataclass(frozen=True)
class Violation:
    """How often one rule failed on one field (``field`` of a cross-field check: the fields it reads)."""

    rule: str
    field: str
    count: int
    checked: int
    samples: tuple[Mapping[str, object], ...] = ()


@dataclass(frozen=True)
class QualityMeasurement:
    records: int
    completeness: Ratio
    validity: Ratio
    consistency: Ratio
    accuracy: Ratio
    timeliness: Timeliness
    violations: tuple[Violation, ...] = field(default=())  # most frequent first


# Rules whose "checked" is the number of checked values of the field (validity).
VALUE_RULES = frozenset(
    {m.RULE_NOT_NULL, m.RULE_TYPE, m.RULE_MIN, m.RULE_MAX}
    | {m.RULE_MIN_LENGTH, m.RULE_MAX_LENGTH, m.RULE_ALLOWED, m.RULE_PATTERN}
)


class _Counter:
    """Violations per (rule, field), with how often each rule was checked and the first few violators.

    Every rule of the file starts at 0, so a rule that stopped failing reports 0 rather than nothing.
    """

    def __init__(self, rules: m.QualityRules, samples_per_rule: int, masking: SampleMasking) -> None:
        shown = [rule.name for rule in rules.fields]
        shown += [name for cross in rules.checks for name in cross.check.fields if name not in shown]
        self.shown_fields = shown
        self.samples_per_rule = samples_per_rule
        self.masking = replace(masking, pii_fields=masking.pii_fields | rules.pii_fields)
        self.counts: dict[tuple[str, str], int] = {}
        for rule in rules.fields:
            for name in rule.rule_names:
                self.counts[(name, rule.name)] = 0
        for cross in rules.checks:
            self.counts[(cross.name, ",".join(cross.check.fields))] = 0
        self.checked: dict[tuple[str, str], int] = defaultdict(int)
        self.values_checked: dict[str, int] = defaultdict(int)  # per field: the count of its value rules
        self.records = 0  # the count of the required rules
        self.samples: dict[tuple[str, str], list[Mapping[str, object]]] = defaultdict(list)

    def seen(self, rule: str, field_name: str) -> None:
        self.checked[(rule, field_name)] += 1

    def failed(self, rule: str, field_name: str, record: Record, reason: str = "") -> None:
        key = (rule, field_name)
        self.counts[key] = self.counts.get(key, 0) + 1
        if len(self.samples[key]) < self.samples_per_rule:
            self.samples[key].append(sample_record(record, self.shown_fields, self.masking, reason))

    def seen_by(self, rule: str, field_name: str) -> int:
        if rule == m.RULE_REQUIRED:
            return self.records
        if rule in VALUE_RULES:
            return self.values_checked[field_name]
        return self.checked[(rule, field_name)]

    def violations(self) -> tuple[Violation, ...]:
        found = [
            Violation(rule, name, count, self.seen_by(rule, name), tuple(self.samples[(rule, name)]))
            for (rule, name), count in self.counts.items()
        ]
        return tuple(sorted(found, key=lambda v: (-v.count, v.rule, v.field)))


def measure_quality(
    rules: m.QualityRules,
    records: Sequence[Record],
    now_unix_nano: int,
    *,
    max_delay: timedelta,
    table_values: Mapping[str, frozenset[str]] | None = None,
    samples_per_rule: int = 5,
    masking: SampleMasking | None = None,
) -> QualityMeasurement:
    """Every metric of ``records`` under ``rules``; ``max_delay`` is used when the rules set none.

    ``violations`` lists every rule of the file per field (count 0 when it held), most frequent first;
    ``checked`` is how many values (field rules), records (required) or applicable records (checks) it saw.
    """
    counter = _Counter(rules, samples_per_rule, masking or SampleMasking())
    required = [rule for rule in rules.fields if rule.required]
    by_name = {rule.name: rule for rule in rules.fields}
    checks = _MemoizedChecks(now_unix_nano, table_values)
    populated = valid = checked = consistent = applicable = matched = referenced = 0
    for record in records:
        for rule in required:
            if is_null(record.values.get(rule.name)):
                counter.failed(m.RULE_REQUIRED, rule.name, record)
            else:
                populated += 1
        for rule in rules.fields:
            raw = record.values.get(rule.name)
            if raw is None:
                continue
            outcome = checks.outcome(rule, raw)
            if outcome.checked:
                checked += 1
                valid += not outcome.failed
                counter.values_checked[rule.name] += 1
                for name in outcome.failed:
                    counter.failed(name, rule.name, record)
            if outcome.reference is not None:
                referenced += 1
                matched += outcome.reference
                counter.seen(m.RULE_REFERENCE, rule.name)
                if not outcome.reference:
                    counter.failed(m.RULE_REFERENCE, rule.name, record)
        if rules.checks:
            passed = _cross_checks(rules.checks, checks.typed_values(by_name, record), record, counter)
            if passed is not None:
                applicable += 1
                consistent += passed
    counter.records = len(records)
    limit = max_delay if rules.max_delay is None else rules.max_delay
    return QualityMeasurement(
        records=len(records),
        completeness=Ratio(populated, len(records) * len(required)),
        validity=Ratio(valid, checked),
        consistency=Ratio(consistent, applicable),
        accuracy=Ratio(matched, referenced),
        timeliness=timeliness(records, limit),
        violations=counter.violations(),
    )


def _cross_checks(
    checks: Sequence[m.CrossCheck], values: Mapping[str, Value], record: Record, counter: _Counter
) -> bool | None:
    """Whether the record passes every applicable check; None when none applies."""
    result: bool | None = None
    for cross in checks:
        reason = ""
        try:
            passed = evaluate(cross.check, values)
        except CheckError as error:
            passed, reason = False, str(error)
        if passed is None:
            continue
        field_names = ",".join(cross.check.fields)
        counter.seen(cross.name, field_names)
        if not passed:
            counter.failed(cross.name, field_names, record, reason)
        result = passed if result is None else result and passed
    return result


class _MemoizedChecks:
    """``check_value`` and ``typed`` of text values, remembered per (field, text) for one window.

    Both are pure for a fixed window end and reference data, and text values repeat (categories,
    dates, identifiers): a 200,000-record window of 8 fields checks ~4x fewer values. Numbers are
    not remembered (they rarely repeat); at most ``LIMIT`` texts are, to bound memory.
    """

    LIMIT = 200_000

    def __init__(self, now_unix_nano: int, table_values: Mapping[str, frozenset[str]] | None) -> None:
        self.now_unix_nano = now_unix_nano
        self.table_values = table_values
        self.outcomes: dict[tuple[str, str], ValueOutcome] = {}
        self.values: dict[tuple[str, str], Value | None] = {}

    def outcome(self, rule: m.FieldRule, raw: RawValue) -> ValueOutcome:
        if not isinstance(raw, str):
            return check_value(rule, raw, self.now_unix_nano, self.table_values)
        key = (rule.name, raw)
        found = self.outcomes.get(key)
        if found is None:
            found = check_value(rule, raw, self.now_unix_nano, self.table_values)
            if len(self.outcomes) < self.LIMIT:
                self.outcomes[key] = found
        return found

    def typed_values(self, fields: Mapping[str, m.FieldRule], record: Record) -> dict[str, Value]:
        """The record's usable values as the checks read them: null and mistyped values are left out."""
        values: dict[str, Value] = {}
        for name, raw in record.values.items():
            if isinstance(raw, str):
                key = (name, raw)
                if key in self.values:
                    value = self.values[key]
                else:
                    value = None if is_null(raw) else typed(fields.get(name), raw)
                    if len(self.values) < self.LIMIT:
                        self.values[key] = value
            else:
                value = None if is_null(raw) else typed(fields.get(name), raw)
            if value is not None:
                values[name] = value
        return values


def timeliness(records: Sequence[Record], max_delay: timedelta) -> Timeliness:
    """Share of records received within ``max_delay`` of their event time, and the p95 delay (s)."""
    delays = np.array(
        [
            max(0, record.received_time_unix_nano - record.event_time_unix_nano) / 1e9
            for record in records
            if record.received_time_unix_nano is not None
        ],
        dtype=float,
    )
    limit = max_delay.total_seconds()
    p95 = float(np.percentile(delays, 95)) if len(delays) else math.nan
    return Timeliness(int(np.count_nonzero(delays <= limit)), len(delays), p95, limit)
