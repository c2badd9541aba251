"""Tests for the silence service's validation of documents from the network (no storage reached)."""

from __future__ import annotations

import pytest

from gateway.alerting.silence_service import MAX_MATCHERS_TEXT, add_silence


class _NoStorage:
    def insert(self, *args: object, **kwargs: object) -> None:
        raise AssertionError("an invalid silence must not be stored")


@pytest.mark.parametrize(
    ("duration", "message"),
    [
        (1e300, "duration: "),
        ("100000000d", "duration: "),
        ("400d", "duration: at most 366d"),
        (True, "duration: expected a duration"),
        ("0s", "duration: must be a positive"),
    ],
)
def test_bad_durations_are_value_errors_naming_the_field(duration: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        add_silence(_NoStorage(), {"matchers": "model=fraud", "duration": duration}, now=1_800_000_000.0)


def test_oversized_matchers_are_refused() -> None:
    document = {"matchers": "model=~" + "a" * MAX_MATCHERS_TEXT, "duration": "2h"}
    with pytest.raises(ValueError, match=f"matchers: at most {MAX_MATCHERS_TEXT} characters"):
        add_silence(_NoStorage(), document, now=1_800_000_000.0)
