"""Validation of labels, shared by every way in."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pytest

from processors.feedback.labels import (
    MAX_ID_LENGTH,
    ItemError,
    Label,
    LabelError,
    parse_event_time,
    validate_batch,
    validate_label,
)

NOW = 1_760_000_000_123_456_789


def item(**fields):
    return {"request_id": "r-1", "model": "fraud", "label_class": "fraud", **fields}


def test_a_class_label_and_a_value_label():
    assert validate_label(item(), NOW) == Label("r-1", "fraud", "fraud", None, NOW)
    value = validate_label(item(label_class=None, label_value=3, event_time_unix_nano=5), NOW)
    assert value == Label("r-1", "fraud", None, 3.0, 5)
    assert isinstance(value.label_value, float)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"request_id": None}, "request_id: required"),
        ({"request_id": ""}, "request_id: required"),
        ({"request_id": "  "}, "request_id: must not be blank"),
        ({"request_id": 7}, "request_id: must be a string, got int"),
        ({"request_id": "x" * (MAX_ID_LENGTH + 1)}, f"request_id: longer than {MAX_ID_LENGTH} characters"),
        ({"model": None}, "model: required"),
        ({"label_class": None}, "label: one of label_class and label_value is required"),
        ({"label_class": ""}, "label: one of label_class and label_value is required"),
        ({"label_value": 1.0}, "label: give label_class or label_value, not both"),
        ({"label_class": 1}, "label_class: must be a string, got int"),
        ({"label_class": None, "label_value": "high"}, "label_value: must be a number, got str"),
        ({"label_class": None, "label_value": True}, "label_value: must be a number, got bool"),
        ({"label_class": None, "label_value": math.nan}, "label_value: must be finite, got nan"),
        ({"label_class": None, "label_value": math.inf}, "label_value: must be finite, got inf"),
        (
            {"event_time": "yesterday"},
            "event_time: not an RFC 3339 time: 'yesterday' (e.g. 2026-01-31T12:00:00Z)",
        ),
        ({"event_time_unix_nano": -1}, "event_time: must not be before 1970, got -1"),
        ({"event_time_unix_nano": 2**64 - 1}, f"event_time: after 2262-04-11, got {2**64 - 1}"),
        ({"event_time": "9999-12-31T00:00:00Z"}, "event_time: after 2262-04-11, got '9999-12-31T00:00:00Z'"),
    ],
)
def test_each_bad_field_is_named(fields, message):
    with pytest.raises(LabelError) as caught:
        validate_label(item(**fields), NOW)
    assert str(caught.value) == message


def test_event_times():
    assert parse_event_time(None, NOW) == NOW
    assert parse_event_time(0, NOW) == NOW
    assert parse_event_time("", NOW) == NOW
    assert parse_event_time(1_700_000_000_000_000_001, NOW) == 1_700_000_000_000_000_001
    assert parse_event_time(1_700_000_000.25, NOW) == 1_700_000_000_250_000_000
    expected = round(datetime(2026, 1, 31, 12, tzinfo=timezone.utc).timestamp()) * 10**9
    assert parse_event_time("2026-01-31T12:00:00Z", NOW) == expected
    assert parse_event_time("2026-01-31T12:00:00", NOW) == expected  # naive means UTC
    assert parse_event_time("2026-01-31T13:00:00+01:00", NOW) == expected
    assert parse_event_time("2026-01-31T12:00:00.000001Z", NOW) == expected + 1000
    moment = datetime(2026, 1, 31, 12, tzinfo=timezone(timedelta(hours=-5)))
    assert parse_event_time(moment, NOW) == expected + 5 * 3600 * 10**9


def test_batch_keeps_the_last_label_per_key_and_counts_every_valid_item():
    batch = validate_batch(
        [
            item(label_class="fraud"),
            item(request_id=None),
            "not an object",
            item(request_id="r-2"),
            item(label_class="legit"),  # corrects the first
            item(model="other"),  # another model: another key
        ],
        NOW,
    )
    assert batch.accepted == 4
    assert batch.rejected == 2
    assert batch.errors == (
        ItemError(1, "request_id: required"),
        ItemError(2, "label: must be an object, got str"),
    )
    assert [(label.model, label.request_id, label.label_class) for label in batch.labels] == [
        ("fraud", "r-2", "fraud"),
        ("fraud", "r-1", "legit"),
        ("other", "r-1", "fraud"),
    ]
