"""The loaded form of data-quality rule files: ``QualityRules``, ``FieldRule``, ``CrossCheck``, load errors.

Reads: nothing. Writes: nothing (pure). These dataclasses hold the only defaults of the rule-file keys
(``required`` false, ``nullable`` true, no type, no limits); docs/data-quality.md describes the format.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property

from processors.alerting.rules.model import RuleError as QualityRuleError
from processors.quality.expr import Check

TYPES = ("numeric", "string", "boolean", "datetime")
PATTERNS = ("email", "phone")
# The rule names under which violations are counted (besides cross-field checks, named by the file).
RULE_REQUIRED = "required"
RULE_NOT_NULL = "not_null"
RULE_TYPE = "type"
RULE_MIN = "min"
RULE_MAX = "max"
RULE_MIN_LENGTH = "min_length"
RULE_MAX_LENGTH = "max_length"
RULE_ALLOWED = "allowed"
RULE_PATTERN = "pattern"
RULE_REFERENCE = "reference"


@dataclass(frozen=True)
class DateBound:
    """A bound of a datetime field: an absolute instant, or an offset from the window end (``now-30d``)."""

    absolute_seconds: float | None = None
    offset: timedelta | None = None

    def resolve(self, now_unix_nano: int) -> float:
        """The bound in seconds since the epoch, for a window ending at ``now_unix_nano``."""
        if self.absolute_seconds is not None:
            return self.absolute_seconds
        assert self.offset is not None
        return now_unix_nano / 1e9 + self.offset.total_seconds()


@dataclass(frozen=True)
class TableReference:
    """Allowed values are those of one column of a ClickHouse table (fetched by the gateway)."""

    table: str
    column: str

    @property
    def key(self) -> str:
        return f"{self.table}.{self.column}"


@dataclass(frozen=True)
class Reference:
    """Reference data of a field: a fixed set of values, or a ClickHouse table's column."""

    values: frozenset[str] | None = None
    table: TableReference | None = None


@dataclass(frozen=True)
class FieldRule:
    """The rules of one field (a feature name without the ``ml.feature.`` prefix).

    ``minimum``/``maximum`` are numbers for numeric fields; ``earliest``/``latest`` bound datetime fields.
    """

    name: str
    type: str | None = None
    required: bool = False
    nullable: bool = True
    minimum: float | None = None
    maximum: float | None = None
    earliest: DateBound | None = None
    latest: DateBound | None = None
    min_length: int | None = None
    max_length: int | None = None
    allowed: frozenset[str] | None = None
    pattern: str | None = None  # "email", "phone" or "regex"
    regex: re.Pattern[str] | None = field(default=None, compare=False)
    reference: Reference | None = None
    pii: bool = False
    location: str = ""  # "FILE:LINE" of the field, for messages

    @cached_property
    def has_value_rules(self) -> bool:
        """Whether a present value of this field is checked for validity at all."""
        return (
            any(
                value is not None
                for value in (
                    self.type,
                    self.minimum,
                    self.maximum,
                    self.earliest,
                    self.latest,
                    self.min_length,
                    self.max_length,
                    self.allowed,
                    self.pattern,
                )
            )
            or not self.nullable
        )

    @cached_property
    def rule_names(self) -> tuple[str, ...]:
        """The rules violations of this field are counted under (``required`` … ``reference``)."""
        date_or_number = (self.minimum, self.earliest), (self.maximum, self.latest)
        present = (
            (RULE_REQUIRED, self.required),
            (RULE_NOT_NULL, not self.nullable),
            (RULE_TYPE, self.type is not None),
            (RULE_MIN, any(bound is not None for bound in date_or_number[0])),
            (RULE_MAX, any(bound is not None for bound in date_or_number[1])),
            (RULE_MIN_LENGTH, self.min_length is not None),
            (RULE_MAX_LENGTH, self.max_length is not None),
            (RULE_ALLOWED, self.allowed is not None),
            (RULE_PATTERN, self.pattern is not None),
            (RULE_REFERENCE, self.reference is not None),
        )
        return tuple(name for name, applies in present if applies)


@dataclass(frozen=True)
class CrossCheck:
    """A logical rule across fields (``start_date < end_date``), named for the violation counts."""

    name: str
    expr: str
    check: Check = field(compare=False, repr=False)
    location: str = ""


@dataclass(frozen=True)
class QualityRules:
    """Every rule of one model. ``max_delay`` None means the configured timeliness target."""

    model: str
    fields: tuple[FieldRule, ...] = ()
    checks: tuple[CrossCheck, ...] = ()
    max_delay: timedelta | None = None
    file: str = ""

    def field(self, name: str) -> FieldRule | None:
        return next((rule for rule in self.fields if rule.name == name), None)

    @property
    def table_references(self) -> tuple[TableReference, ...]:
        """The ClickHouse columns whose values the gateway must fetch before an evaluation."""
        found = {rule.reference.table for rule in self.fields if rule.reference and rule.reference.table}
        return tuple(sorted(found, key=lambda reference: reference.key))

    @property
    def pii_fields(self) -> frozenset[str]:
        return frozenset(rule.name for rule in self.fields if rule.pii)


class QualityLoadError(ValueError):
    """Every error of a load, in file order (each a ``QualityRuleError``: FILE:LINE:COLUMN: message)."""

    def __init__(self, errors: Iterable[QualityRuleError]) -> None:
        self.errors = tuple(errors)
        super().__init__("\n".join(str(error) for error in self.errors))
