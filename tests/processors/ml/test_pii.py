from __future__ import annotations

import base64
import hashlib
import hmac
import random

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue, KeyValueList

from processors.ml.pii import (
    _EMAIL_CANDIDATE,
    EMAIL_REPLACEMENT,
    PHONE_REPLACEMENT,
    PiiProtector,
    _may_hold_phone,
    canonical_text,
    redact,
)
from processors.otlp.signals import Signal

SALT = "s3cr3t-salt"
EMAIL = "jane.doe@example.com"
PHONE = "+1 (415) 555-0132"


def oracle(text: str, salt: str = SALT) -> str:
    return "hmac-sha256:" + hmac.new(salt.encode(), text.encode(), hashlib.sha256).hexdigest()


def protector(**overrides) -> PiiProtector:
    options = {"hash_keys": ["user.id"], "drop_keys": ["user.ssn"], "salt": SALT, **overrides}
    return PiiProtector(**options)


def value(python: object) -> AnyValue:
    if isinstance(python, AnyValue):
        return python
    if isinstance(python, str):
        return AnyValue(string_value=python)
    if isinstance(python, bool):
        return AnyValue(bool_value=python)
    if isinstance(python, int):
        return AnyValue(int_value=python)
    if isinstance(python, float):
        return AnyValue(double_value=python)
    if isinstance(python, bytes):
        return AnyValue(bytes_value=python)
    if isinstance(python, list):
        return AnyValue(array_value=ArrayValue(values=[value(item) for item in python]))
    assert isinstance(python, dict)
    return AnyValue(kvlist_value=KeyValueList(values=pairs(python)))


def pairs(mapping: dict) -> list[KeyValue]:
    return [KeyValue(key=key, value=value(item)) for key, item in mapping.items()]


PII = {"user.id": "u-12345", "user.ssn": "078-05-1120", "contact": f"mail {EMAIL}", "phone": PHONE, "n": 7}
PROTECTED = {
    "user.id": oracle("u-12345"),
    "contact": f"mail {EMAIL_REPLACEMENT}",
    "phone": PHONE_REPLACEMENT,
    "n": 7,
}


def fill(attributes, mapping: dict = PII) -> None:
    attributes.extend(pairs(mapping))


def assert_protected(attributes, expected: dict = PROTECTED) -> None:
    assert list(attributes) == pairs(expected)


def process(signal: Signal, request, pii: PiiProtector | None = None) -> bool:
    return (pii or protector()).process(signal, request, request.SerializeToString())


# ---- every location -------------------------------------------------------------------------------


def test_traces_resource_scope_span_event_link_attributes_and_status_message():
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    fill(resource_spans.resource.attributes)
    scope_spans = resource_spans.scope_spans.add()
    fill(scope_spans.scope.attributes)
    span = scope_spans.spans.add(name=f"predict {EMAIL}")
    fill(span.attributes)
    fill(span.events.add(name="lookup").attributes)
    fill(span.links.add(trace_id=b"\x01" * 16, span_id=b"\x02" * 8).attributes)
    span.status.code = 2
    span.status.message = f"could not notify {EMAIL} at {PHONE}"

    assert process(Signal.TRACES, request) is True

    assert_protected(resource_spans.resource.attributes)
    assert_protected(scope_spans.scope.attributes)
    assert_protected(span.attributes)
    assert_protected(span.events[0].attributes)
    assert_protected(span.links[0].attributes)
    assert span.status.message == f"could not notify {EMAIL_REPLACEMENT} at {PHONE_REPLACEMENT}"
    assert span.name == f"predict {EMAIL}", "names are not protected"


def test_logs_attributes_and_string_kvlist_and_array_bodies():
    request = ExportLogsServiceRequest()
    resource_logs = request.resource_logs.add()
    fill(resource_logs.resource.attributes)
    scope_logs = resource_logs.scope_logs.add()
    fill(scope_logs.scope.attributes)
    text = scope_logs.log_records.add()
    fill(text.attributes)
    text.body.string_value = f"user {EMAIL} called from 020 7946 0958"
    structured = scope_logs.log_records.add()
    structured.body.CopyFrom(value({**PII, "nested": {"user.id": 42, "to": [EMAIL, "ok"]}}))
    listed = scope_logs.log_records.add()
    listed.body.CopyFrom(value(["fine", PHONE, [EMAIL]]))
    no_body = scope_logs.log_records.add()

    assert process(Signal.LOGS, request) is True

    assert_protected(resource_logs.resource.attributes)
    assert_protected(scope_logs.scope.attributes)
    assert_protected(text.attributes)
    assert text.body.string_value == f"user {EMAIL_REPLACEMENT} called from {PHONE_REPLACEMENT}"
    assert structured.body == value(
        {**PROTECTED, "nested": {"user.id": oracle("42"), "to": [EMAIL_REPLACEMENT, "ok"]}}
    )
    assert listed.body == value(["fine", PHONE_REPLACEMENT, [EMAIL_REPLACEMENT]])
    assert not no_body.HasField("body")


def _metrics_request(kind: str) -> tuple[ExportMetricsServiceRequest, object]:
    request = ExportMetricsServiceRequest()
    resource_metrics = request.resource_metrics.add()
    fill(resource_metrics.resource.attributes)
    scope_metrics = resource_metrics.scope_metrics.add()
    fill(scope_metrics.scope.attributes)
    metric = scope_metrics.metrics.add(name="requests")
    fill(metric.metadata)
    point = getattr(metric, kind).data_points.add(time_unix_nano=1)
    fill(point.attributes)
    if kind != "summary":
        fill(point.exemplars.add(as_double=1.0).filtered_attributes)
    return request, point


@pytest.mark.parametrize("kind", ["gauge", "sum", "histogram", "exponential_histogram", "summary"])
def test_metrics_of_every_kind(kind):
    request, point = _metrics_request(kind)

    assert process(Signal.METRICS, request) is True

    resource_metrics = request.resource_metrics[0]
    assert_protected(resource_metrics.resource.attributes)
    assert_protected(resource_metrics.scope_metrics[0].scope.attributes)
    assert_protected(resource_metrics.scope_metrics[0].metrics[0].metadata)
    assert_protected(point.attributes)
    if kind != "summary":
        assert_protected(point.exemplars[0].filtered_attributes)


def test_nested_array_and_kvlist_values():
    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add()
    fill(
        span.attributes,
        {
            "emails": [EMAIL, "none", [PHONE]],
            "profile": {"user.id": "u-1", "user.ssn": "x", "mail": EMAIL, "deep": [{"user.ssn": "y"}]},
            "hashed.list": {"user.id": ["a", 1]},
        },
    )

    assert process(Signal.TRACES, request) is True

    assert_protected(
        span.attributes,
        {
            "emails": [EMAIL_REPLACEMENT, "none", [PHONE_REPLACEMENT]],
            "profile": {"user.id": oracle("u-1"), "mail": EMAIL_REPLACEMENT, "deep": [{}]},
            "hashed.list": {"user.id": oracle('["a",1]')},
        },
    )


# ---- hashing ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("python", "text"),
    [
        ("u-12345", "u-12345"),
        (42, "42"),
        (-7, "-7"),
        (True, "true"),
        (0.25, "0.25"),
        (b"\x00\xff", base64.b64encode(b"\x00\xff").decode()),
        (["a", 1, False], '["a",1,false]'),
        ({"k": "é", "n": [1.5]}, '{"k":"é","n":[1.5]}'),
        (AnyValue(), ""),
    ],
)
def test_hash_of_each_value_type_is_the_hmac_of_its_canonical_text(python, text):
    assert canonical_text(value(python)) == text
    request = ExportLogsServiceRequest()
    record = request.resource_logs.add().scope_logs.add().log_records.add()
    record.attributes.add(key="user.id").value.CopyFrom(value(python))

    assert process(Signal.LOGS, request) is True

    assert list(record.attributes) == pairs({"user.id": oracle(text)})


def test_salt_changes_the_hash():
    hashes = []
    for salt in ("salt-a", "salt-b"):
        request = ExportTraceServiceRequest()
        span = request.resource_spans.add().scope_spans.add().spans.add()
        fill(span.attributes, {"user.id": "u-12345"})
        process(Signal.TRACES, request, protector(salt=salt))
        hashes.append(span.attributes[0].value.string_value)
    assert hashes == [oracle("u-12345", "salt-a"), oracle("u-12345", "salt-b")]
    assert hashes[0] != hashes[1]


def test_hashing_needs_a_salt_and_patterns_must_be_known():
    with pytest.raises(ValueError, match="salt"):
        PiiProtector(hash_keys=["user.id"])
    with pytest.raises(ValueError, match="ssn"):
        PiiProtector(redact_patterns=["email", "ssn"])


# ---- nothing to do: nothing changes ---------------------------------------------------------------


def _clean_traces() -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    fill(resource_spans.resource.attributes, {"service.name": "fraud-api", "ml.model.version": "2.1.0"})
    span = resource_spans.scope_spans.add().spans.add(
        trace_id=bytes(range(16)), span_id=bytes(range(8)), name="predict", start_time_unix_nano=1 << 60
    )
    fill(
        span.attributes,
        {
            "ml.request.id": "550e8400-e29b-41d4-a716-446655440000",
            "timestamp": "2024-01-15T10:30:00Z",
            "http.route": "/v1/models/resnet50:predict",
            "peer": "10.0.0.1:8080",
            "score": 0.973,
            "epoch": 1718000000000000000,
            "list": ["a", 1],
            "user.identity": "not a hashed key",
        },
    )
    span.status.message = "model failed"
    return request


@pytest.mark.parametrize("with_raw", [True, False])
def test_request_without_pii_is_left_as_it_is_without_walking_it(with_raw, monkeypatch):
    request = _clean_traces()
    before = request.SerializeToString()
    pii = PiiProtector(hash_keys=["user.id"], drop_keys=["user.ssn"], salt=SALT)
    monkeypatch.setattr(pii, "_traces", lambda request, plan: pytest.fail("the pre-check let it through"))

    changed = pii.process(Signal.TRACES, request, before if with_raw else None)

    assert changed is False
    assert request.SerializeToString() == before


def test_candidate_found_by_the_pre_check_but_no_pii_changes_nothing():
    request = _clean_traces()
    fill(request.resource_spans[0].resource.attributes, {"started": "2024-01-15 10:30:00", "at": "a@b"})
    before = request.SerializeToString()
    assert _may_hold_phone(before), "the date-time passes the pre-check"

    assert process(Signal.TRACES, request) is False
    assert request.SerializeToString() == before


def test_only_the_configured_patterns_are_redacted():
    text = f"{EMAIL} {PHONE}"
    for patterns, expected in [
        ((), text),
        (("email",), f"{EMAIL_REPLACEMENT} {PHONE}"),
        (("phone",), f"{EMAIL} {PHONE_REPLACEMENT}"),
        (("email", "phone"), f"{EMAIL_REPLACEMENT} {PHONE_REPLACEMENT}"),
    ]:
        request = ExportLogsServiceRequest()
        record = request.resource_logs.add().scope_logs.add().log_records.add()
        record.body.string_value = text
        assert process(Signal.LOGS, request, PiiProtector(redact_patterns=patterns)) is (text != expected)
        assert record.body.string_value == expected


def test_without_anything_configured_nothing_changes():
    request = ExportLogsServiceRequest()
    record = request.resource_logs.add().scope_logs.add().log_records.add()
    fill(record.attributes)
    before = request.SerializeToString()

    assert process(Signal.LOGS, request, PiiProtector(redact_patterns=())) is False
    assert request.SerializeToString() == before


# ---- the patterns -----------------------------------------------------------------------------------

EMAILS = [
    "jane.doe@example.com",
    "a@b.co",
    "user+tag@mail.example.co.uk",
    "jane_o-neil%x@sub-domain.example.org",
    "UPPER.Case@Example.COM",
]
NOT_EMAILS = [
    "bob@localhost",
    "bob@x.c0m",
    "@example.com",
    "user@",
    "a@b",
    "x@-bad.com",
    "user@example.com-x",
]

PHONES = [
    "+1 (415) 555-0132",
    "+14155550132",
    "+442079460958",
    "415-555-0132",
    "415.555.0132",
    "415 555 0132",
    "(415) 555-0132",
    "(415)555-0132",
    "1-415-555-0132",
    "020 7946 0958",
    "+44 20 7946 0958",
    "+44 (0)20 7946 0958",
    "+44 7700 900123",
    "+33 1 23 45 67 89",
    "01 23 45 67 89",
    "+49 30 1234567",
    "+1-415-555-0132",
]
NOT_PHONES = [
    "1718000000000000000",  # timestamp
    "4155550132",  # a plain integer, even of phone length
    "42",
    "2.1.0",  # versions
    "v1.26.4",
    "10.2.345",
    "2024-01-15",  # ISO dates and times
    "2024-01-15T10:30:00Z",
    "2024-01-15 10:30:00",
    "2024-01-15 10:30:00.123456",
    "15.01.2024 10:30",
    "192.168.100.200",  # IPv4 addresses
    "10.123.45.67",
    "10.0.0.1:8080",
    "550e8400-e29b-41d4-a716-446655440000",  # UUIDs
    "123e4567-e89b-12d3-a456-426614174000",
    "0af7651916cd43dd8448eb211c80319c",
    "1 234 567 890",  # grouped integers
    "1.234.567.890",
    "30000-32767",  # a range
    "req-000123",
    "0.9712345678",
    "3.14159265358979",
    "/v1/models/resnet50:predict",
    "555-0132",  # too short to tell
    "+0200",  # a time-zone offset
    "+1234567",
    "978-3-16-148410-0",  # ISBN
    "id-415-555-0132",  # inside a longer token
    "415-555-0132x",
]


@pytest.mark.parametrize("address", EMAILS)
def test_email_addresses_are_redacted_in_context(address):
    assert redact(f"mail {address}, please.") == f"mail {EMAIL_REPLACEMENT}, please."
    assert redact(f"<{address}>") == f"<{EMAIL_REPLACEMENT}>"


@pytest.mark.parametrize("text", NOT_EMAILS)
def test_not_email_addresses(text):
    assert redact(text, phone=False) == text


@pytest.mark.parametrize("number", PHONES)
def test_phone_numbers_are_redacted_in_context(number):
    assert redact(number) == PHONE_REPLACEMENT
    assert redact(f"call {number}.") == f"call {PHONE_REPLACEMENT}."
    assert redact(f"tel:{number}") == f"tel:{PHONE_REPLACEMENT}"
    assert redact(f"2024-01-15 {number}") == f"2024-01-15 {PHONE_REPLACEMENT}"


@pytest.mark.parametrize("text", NOT_PHONES)
def test_not_phone_numbers(text):
    assert redact(text) == text


@pytest.mark.parametrize("text", [*EMAILS, *PHONES])
def test_pre_check_never_misses_what_the_walk_would_redact(text):
    request = ExportLogsServiceRequest()
    record = request.resource_logs.add().scope_logs.add().log_records.add()
    record.attributes.add(key="k").value.string_value = f"x {text} y"
    assert process(Signal.LOGS, request) is True


def _random_text(generator: random.Random) -> str:
    alphabet = "0123456789" * 4 + " .-()+@:/aZx_%é"
    tails = ["", ".com", ".co.uk", "-0132", " 555 0132", " 7946 0958"]
    text = "".join(generator.choices(alphabet, k=generator.randint(1, 24))) + generator.choice(tails)
    if generator.random() < 0.5:  # vary the length byte(s) before the string: 1 to ~300 bytes
        text += " " + "w" * generator.randint(0, 280)
    return text


def test_the_pre_check_never_skips_a_request_the_walk_would_change():
    """Random strings in every protected place of real requests: they end up exactly as redact() says.

    The strings start with the PII-like part, so the byte before it is the string's length: the
    pre-check must not mistake it for text (lengths 43-122 are printable).
    """
    generator = random.Random(20240115)
    pii = PiiProtector(redact_patterns=("email", "phone"))
    redacted = 0
    for _ in range(6_000):
        text = _random_text(generator)
        expected = redact(text)
        redacted += expected != text
        traces = ExportTraceServiceRequest()
        span = traces.resource_spans.add().scope_spans.add().spans.add(name="s", trace_id=b"\x01" * 16)
        place = generator.randrange(4)
        if place == 0:
            span.status.message = text
        elif place == 1:
            span.attributes.add(key="k").value.string_value = text
        elif place == 2:
            span.events.add(name="e").attributes.extend(pairs({"k": [{"k": text}]}))
        else:
            logs = ExportLogsServiceRequest()
            logs.resource_logs.add().scope_logs.add().log_records.add().body.string_value = text
            assert process(Signal.LOGS, logs, pii) is (expected != text), text
            assert logs.resource_logs[0].scope_logs[0].log_records[0].body.string_value == expected
            continue
        assert process(Signal.TRACES, traces, pii) is (expected != text), text
        stored = [
            span.status.message,
            *(pair.value.string_value for pair in span.attributes),
            *(
                item.kvlist_value.values[0].value.string_value
                for event in span.events
                for item in event.attributes[0].value.array_value.values
            ),
        ]
        assert expected in stored, text
    assert redacted > 500, "the generator exercises the patterns"


def test_pre_check_of_a_phone_ignores_uuids_dates_and_versions():
    words = [
        "550e8400-e29b-41d4-a716-446655440000",
        "154e-4512-9209-3d26ac512b01",
        "2024-01-15T10:30:00.123Z",
        "2.1.0",
        "10.0.0.1:8080",
        "req-000123",
    ]
    raw = b"".join(b"\x0a" + bytes([len(word)]) + word.encode() for word in words)
    assert not _may_hold_phone(raw)
    assert not _EMAIL_CANDIDATE.search(raw)
