"""Tests of gateway/alerting/webhook.py: signatures checked against hmac/hashlib computed here,
requests sent to a local recording server."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.request
from collections.abc import Iterator

import pytest

from gateway.alerting.webhook import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookError,
    encode,
    post_json,
    sign,
    verify,
)
from tests.support.opsgenie_server import Reply, StubServer

SECRET = "whsec-0123456789"
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture
def receiver() -> Iterator[StubServer]:
    with StubServer().running() as server:
        yield server


def test_sign_matches_independent_hmac() -> None:
    body = b'{"alert":"HighErrorRate","value":0.12}'
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert sign(body, SECRET) == "sha256=" + expected
    assert verify(body, SECRET, "sha256=" + expected)
    assert not verify(body + b" ", SECRET, "sha256=" + expected)
    assert sign(body, "other") != sign(body, SECRET)


def test_post_json_sends_signed_body(receiver: StubServer) -> None:
    document = {"event": "firing", "model": "fraud", "ünïcode": "✓"}
    status = post_json(
        receiver.url + "/hook", document, SECRET, 5.0, timestamp=1_700_000_123.9, opener=NO_PROXY
    )
    assert status == 200
    (request,) = receiver.requests
    assert request.path == "/hook" and request.method == "POST"
    assert json.loads(request.raw) == document and request.raw == encode(document)
    digest = hmac.new(SECRET.encode(), request.raw, hashlib.sha256).hexdigest()
    assert request.headers[SIGNATURE_HEADER] == f"sha256={digest}"
    assert request.headers[TIMESTAMP_HEADER] == "1700000123"
    assert request.headers["Content-Type"] == "application/json"


def test_unsigned_without_secret(receiver: StubServer) -> None:
    post_json(receiver.url, {"a": 1}, None, 5.0, opener=NO_PROXY)
    (request,) = receiver.requests
    assert SIGNATURE_HEADER not in request.headers and TIMESTAMP_HEADER in request.headers


@pytest.mark.parametrize(("status", "retryable"), [(429, True), (503, True), (400, False), (404, False)])
def test_non_2xx_raises_with_retry_after(receiver: StubServer, status: int, retryable: bool) -> None:
    receiver.fail_next(Reply(status, {"message": "nope"}, {"Retry-After": "7"}))
    with pytest.raises(WebhookError) as info:
        post_json(receiver.url, {"a": 1}, SECRET, 5.0, opener=NO_PROXY)
    assert info.value.status == status and info.value.retry_after == "7"
    assert info.value.retryable is retryable
    assert SECRET not in str(info.value)


def test_network_error_and_timeout_are_retryable(receiver: StubServer) -> None:
    with pytest.raises(WebhookError, match="no reply") as info:
        post_json("http://127.0.0.1:9/hook", {"a": 1}, SECRET, 2.0, opener=NO_PROXY)
    assert info.value.status is None and info.value.retryable
    receiver.fail_next(Reply(200, delay=1.0))
    with pytest.raises(WebhookError, match="no reply"):
        post_json(receiver.url, {"a": 1}, SECRET, 0.2, opener=NO_PROXY)


def test_rejects_non_http_url() -> None:
    with pytest.raises(ValueError, match="url"):
        post_json("ftp://example.com", {}, SECRET)
