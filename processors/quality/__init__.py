"""Data quality: per-model rule files, the checks of values and records, and the metrics of a window.

Reads: rule file text, records of ``ml_features`` handed over by the gateway. Writes: nothing (pure),
except the DDL in ``sql/`` that the gateway applies (owner ``quality``): the ``ReceivedAt`` column of
``ml_features`` and the ``ml_quality_violations`` table. The format and every metric's definition:
docs/data-quality.md.
"""

from processors.otlp_tables import Migration, load_migrations
from processors.quality.loader import load_quality_rules
from processors.quality.metrics import (
    QualityMeasurement,
    Ratio,
    Record,
    Timeliness,
    Violation,
    measure_quality,
)
from processors.quality.model import (
    FieldRule,
    QualityLoadError,
    QualityRuleError,
    QualityRules,
    TableReference,
)
from processors.quality.samples import SAMPLE_VALUES, SampleMasking
from processors.quality.status import GUIDE_TARGETS, MetricStatus, MetricTarget, dashboard

OWNER = "quality"

__all__ = [
    "GUIDE_TARGETS",
    "OWNER",
    "SAMPLE_VALUES",
    "FieldRule",
    "MetricStatus",
    "MetricTarget",
    "QualityLoadError",
    "QualityMeasurement",
    "QualityRuleError",
    "QualityRules",
    "Ratio",
    "Record",
    "SampleMasking",
    "TableReference",
    "Timeliness",
    "Violation",
    "dashboard",
    "load_quality_rules",
    "measure_quality",
    "migrations",
]


def migrations() -> list[Migration]:
    return load_migrations(__package__, OWNER)
