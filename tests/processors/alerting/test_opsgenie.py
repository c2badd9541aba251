"""Tests of processors/alerting/opsgenie.py: golden payloads, Opsgenie limits, alias stability, routing.

Golden payloads live in ``testdata/opsgenie/``; ``pytest --update-golden`` rewrites them (review the diff).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from processors.alerting.labels import Labels
from processors.alerting.opsgenie import (
    DEFAULT_PRIORITY_MAP,
    DESCRIPTION_LIMIT,
    HIGH_ERROR_RATE_RUNBOOK,
    MESSAGE_LIMIT,
    TAG_LIMIT,
    TAGS_MAX,
    Deployment,
    ErrorClass,
    Notification,
    RelatedSignal,
    Responder,
    Route,
    RouteRule,
    alias,
    close_payload,
    create_payload,
    note_payload,
    route,
    truncate,
)
from tests.support import opsgenie_models

TESTDATA = Path(__file__).parent / "testdata" / "opsgenie"
FIRED_AT = 1_780_000_000.0  # 2026-05-28T20:26:40Z
LABELS = {"model": "fraud-detector", "version": "2.2.0", "region": "eu-west-1"}
ONCALL = Route("opsgenie.ml", (Responder("team", name="ml-oncall"),))


def _notification(**overrides: object) -> Notification:
    fields: dict[str, object] = {
        "rule": "HighErrorRate",
        "severity": "P1",
        "labels": LABELS,
        "value": 0.0712,
        "threshold": "> 0.05",
        "window": "5m",
        "summary": "Error rate above 5% for 5 minutes",
        "fired_at": FIRED_AT,
        "category": "error-rate",
        "deployments": (
            Deployment("2.2.0", FIRED_AT - 14 * 60),
            Deployment("2.1.3", FIRED_AT - 20 * 3600),
            Deployment("2.0.0", FIRED_AT - 3 * 24 * 3600),  # older than 24 h: left out
        ),
        "error_classes": (ErrorClass("http.503", 412), ErrorClass("PreprocessingError", 97)),
        "related_signals": (
            RelatedSignal("drift", "psi{feature=amount}", 0.31, "> 0.2"),
            RelatedSignal("quality", "missing_rate{feature=merchant_id}", 0.12),
        ),
    }
    fields.update(overrides)
    return Notification(**fields)  # type: ignore[arg-type]


def _check_golden(name: str, payload: object, request: pytest.FixtureRequest) -> None:
    path = TESTDATA / name
    actual = json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if request.config.getoption("--update-golden"):
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run pytest --update-golden"
    assert json.loads(actual) == json.loads(path.read_text(encoding="utf-8")), (
        f"{name} differs from the built payload: run pytest --update-golden and review"
    )


def test_create_golden(request: pytest.FixtureRequest) -> None:
    payload = create_payload(_notification(), source="inferwatch-gw-1", chosen_route=ONCALL)
    _check_golden("create_high_error_rate.json", payload, request)


def test_close_golden(request: pytest.FixtureRequest) -> None:
    payload = close_payload("HighErrorRate", LABELS, 0.004, FIRED_AT + 1800, source="inferwatch-gw-1")
    _check_golden("close.json", payload, request)


def test_note_golden(request: pytest.FixtureRequest) -> None:
    n = _notification(value=0.134, fired_at=FIRED_AT + 600)
    payload = note_payload(n, "P0", "> 0.10", source="inferwatch-gw-1")
    _check_golden("note_worsened.json", payload, request)


def test_create_description_has_context_and_default_runbook() -> None:
    description = create_payload(_notification(), source="gw")["description"]
    assert isinstance(description, str)
    assert "2.2.0 rolled out 14 minutes before this alert" in description
    assert "2.1.3 rolled out 20 hours 0 minutes before this alert" in description
    assert "2.0.0" not in description
    assert "http.503: 412" in description
    assert "drift: psi{feature=amount} = 0.31 (threshold > 0.2)" in description
    assert "Current value: 0.0712" in description
    assert HIGH_ERROR_RATE_RUNBOOK in description


def test_given_runbook_replaces_default_and_other_categories_get_none() -> None:
    given = create_payload(_notification(runbook="Call Alice."), source="gw")["description"]
    assert "Call Alice." in str(given) and HIGH_ERROR_RATE_RUNBOOK not in str(given)
    latency = create_payload(_notification(category="latency"), source="gw")["description"]
    assert "Runbook" not in str(latency)


def test_priority_mapping_default_and_override() -> None:
    for severity, expected in DEFAULT_PRIORITY_MAP.items():
        assert create_payload(_notification(severity=severity), source="gw")["priority"] == expected
    custom = Route("k", priority_map={"P3": "P5"})
    assert create_payload(_notification(severity="P3"), "gw", chosen_route=custom)["priority"] == "P5"
    assert create_payload(_notification(severity="P0"), "gw", chosen_route=custom)["priority"] == "P1"
    assert create_payload(_notification(), "gw", priority_map={"P1": "P1"})["priority"] == "P1"


def test_invalid_severity_and_priority_map_are_refused() -> None:
    with pytest.raises(ValueError, match="severity"):
        _notification(severity="P4")
    with pytest.raises(ValueError, match="priority_map"):
        Route("k", priority_map={"P1": "P9"})


def test_message_truncated_to_130_characters_with_multibyte_text() -> None:
    summary = "エラー率が閾値を超えました 🚨" * 20
    message = create_payload(_notification(summary=summary), source="gw")["message"]
    assert isinstance(message, str)
    assert len(message) == MESSAGE_LIMIT
    assert message.endswith("…")
    assert message.encode("utf-8").decode("utf-8") == message  # whole code points only
    short = create_payload(_notification(summary="short"), source="gw")["message"]
    assert short == "[P1] HighErrorRate on fraud-detector 2.2.0: short"


def test_truncate_never_cuts_inside_a_character() -> None:
    text = "é🚨" * 100
    cut = truncate(text, 11)
    assert len(cut) == 11 and cut.endswith("…")
    assert text.startswith(cut[:-1])


def test_tags_within_limits() -> None:
    labels = {"model": "m" * 200, "version": "v" * 80}
    tags = create_payload(_notification(labels=labels, rule="R" * 90), source="gw")["tags"]
    assert isinstance(tags, list)
    assert 0 < len(tags) <= TAGS_MAX
    assert all(len(tag) <= TAG_LIMIT for tag in tags)
    assert len(set(tags)) == len(tags)
    normal = create_payload(_notification(), source="gw")["tags"]
    assert {"model:fraud-detector", "version:2.2.0", "severity:P1", "category:error-rate"} <= set(normal)


def test_description_within_limit() -> None:
    classes = tuple(ErrorClass(f"Error{i}" + "x" * 200, i) for i in range(200))
    description = create_payload(_notification(error_classes=classes), source="gw")["description"]
    assert isinstance(description, str)
    assert len(description) == DESCRIPTION_LIMIT and description.endswith("…")


def test_details_are_strings_and_other_fields_bounded() -> None:
    payload = create_payload(_notification(value=float("nan")), source="s" * 300)
    details = payload["details"]
    assert isinstance(details, dict)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in details.items())
    assert details["value"] == "NaN" and details["model"] == "fraud-detector"
    assert len(str(payload["source"])) == 100
    assert payload["entity"] == "fraud-detector"
    assert "responders" not in payload


def test_alias_stable_and_distinct() -> None:
    forward = alias("HighErrorRate", {"a": "1", "b": "2"})
    assert forward == alias("HighErrorRate", {"b": "2", "a": "1"})
    assert forward == alias("HighErrorRate", Labels({"b": "2", "a": "1"}))
    assert forward != alias("HighErrorRate", {"a": "1", "b": "3"})
    assert forward != alias("OtherRule", {"a": "1", "b": "2"})
    assert alias("r", {"a": "1,b=2"}) != alias("r", {"a": "1", "b": "2"})
    assert forward.startswith("inferwatch-") and len(forward) == len("inferwatch-") + 40
    assert create_payload(_notification(), "gw")["alias"] == alias("HighErrorRate", LABELS)


def test_route_first_match_then_default() -> None:
    default = Route("opsgenie.default")
    payments = Route("opsgenie.payments", (Responder("team", name="payments"),))
    pager = Route("opsgenie.pager", (Responder("user", username="oncall@example.com"),))
    rules = [
        RouteRule(pager, severities=frozenset({"P0"})),
        RouteRule(payments, matchers={"model": "fraud-detector"}),
    ]
    assert route(LABELS, "P0", rules, default) is pager
    assert route(LABELS, "P2", rules, default) is payments
    assert route({"model": "ranker"}, "P2", rules, default) is default
    assert route({"model": "ranker"}, "P2", [], default) is default


def test_responder_needs_exactly_one_reference() -> None:
    assert Responder("schedule", id="abc").to_dict() == {"id": "abc", "type": "schedule"}
    with pytest.raises(ValueError, match="exactly one"):
        Responder("team")
    with pytest.raises(ValueError, match="type"):
        Responder("squad", name="x")


@pytest.mark.parametrize("name", ["create_high_error_rate.json", "close.json", "note_worsened.json"])
def test_golden_payloads_are_valid_sdk_models(name: str) -> None:
    action = {"create_high_error_rate.json": "create", "close.json": "close", "note_worsened.json": "note"}[
        name
    ]
    opsgenie_models.validate(action, json.loads((TESTDATA / name).read_text(encoding="utf-8")))


def test_note_at_defaults_to_fired_at_and_can_be_given() -> None:
    n = _notification(fired_at=FIRED_AT)
    assert "at 2026-05-28T20:26:40Z" in note_payload(n, "P0", "> 0.10", source="gw")["note"]
    assert (
        "at 2026-05-28T20:36:40Z" in note_payload(n, "P0", "> 0.10", source="gw", at=FIRED_AT + 600)["note"]
    )
