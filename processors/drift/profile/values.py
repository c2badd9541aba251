"""Missing values, category labels and type detection of one column's values.

Reads: values passed in. Writes: nothing (pure). Config: none.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timezone
from enum import Enum
from typing import Any

import numpy as np

QUANTILE_PROBABILITIES: tuple[float, ...] = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
OTHER_CATEGORY = "__other__"
# Free text: at least this share of distinct values and this mean length (characters).
TEXT_MIN_DISTINCT_RATIO = 0.5
TEXT_MIN_MEAN_LENGTH = 20.0


class FeatureType(str, Enum):
    """The kind of a column, which decides how it is summarised."""

    NUMERIC = "numeric"
    CATEGORICAL = "categorical"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    TEXT = "text"


def is_missing(value: Any) -> bool:
    """``None``, float NaN and the empty string are missing."""
    if value is None:
        return True
    if isinstance(value, str):
        return value == ""
    return isinstance(value, (float, np.floating)) and math.isnan(value)


def category_label(value: Any) -> str:
    """The label a category is counted under: ``str(value)``; booleans as ``"true"``/``"false"``."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    return str(value)


def _is_boolean(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return True
    if isinstance(value, (int, np.integer)):
        return value in (0, 1)
    return isinstance(value, str) and value.lower() in ("true", "false")


def _to_float(value: Any) -> float:
    """``value`` as a float; inf and NaN become NaN (missing). Raises ValueError if it is not a number."""
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"boolean {value!r} is not a number")
    number = float(value)
    return number if math.isfinite(number) else math.nan


def _to_epoch(value: Any) -> float:
    """Seconds since the epoch of an ISO 8601 string or datetime/date; naive times are taken as UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    elif isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if not isinstance(value, datetime):
        raise ValueError(f"{value!r} is not a datetime")
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()


def _parses(convert: Any, values: Sequence[Any]) -> bool:
    try:
        for value in values:
            convert(value)
    except (TypeError, ValueError, OverflowError):
        return False
    return True


def detect_type(values: Iterable[Any]) -> FeatureType:
    """The type of a column from its non-missing values, checked in this order.

    boolean: every value is a bool, the integer 0 or 1, or the string "true"/"false" (any case).
    numeric: every value parses with ``float`` (strings included); inf counts as missing later.
    datetime: every value is a datetime/date or a string ``datetime.fromisoformat`` accepts.
    text: every value is a string, at least ``TEXT_MIN_DISTINCT_RATIO`` of them are distinct and
    their mean length is at least ``TEXT_MIN_MEAN_LENGTH`` characters.
    categorical: anything else, including a column with no non-missing values.
    """
    present = [value for value in values if not is_missing(value)]
    if not present:
        return FeatureType.CATEGORICAL
    if all(_is_boolean(value) for value in present):
        return FeatureType.BOOLEAN
    if _parses(_to_float, present):
        return FeatureType.NUMERIC
    if _parses(_to_epoch, present):
        return FeatureType.DATETIME
    if all(isinstance(value, str) for value in present):
        distinct_ratio = len(set(present)) / len(present)
        mean_length = sum(len(value) for value in present) / len(present)
        if distinct_ratio >= TEXT_MIN_DISTINCT_RATIO and mean_length >= TEXT_MIN_MEAN_LENGTH:
            return FeatureType.TEXT
    return FeatureType.CATEGORICAL
