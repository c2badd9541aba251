"""Tests of gateway/alerting/opsgenie_client.py against a local HTTP server playing Opsgenie's API
(tests/support/opsgenie_server.py: it checks the GenieKey and field limits, replies from a scripted
list first and records every request). Sleeps are injected and recorded, so no test waits on the
wall clock.
"""

from __future__ import annotations

import logging
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.alerting import (
    ApiKeySource,
    OpsgenieClient,
    OpsgenieRequestError,
    OpsgenieUnavailableError,
    RetryPolicy,
)
from gateway.alerting.opsgenie_client import EU_API_URL, JSM_API_URL, alerts_url
from gateway.clock import FakeClock
from tests.support.opsgenie_server import OpsgenieServer, Reply

KEY = "3f1c2b9a-secret-genie-key-0000"
ACCEPTED = (202, {"result": "Request will be processed", "took": 0.302, "requestId": "req-1"})


@pytest.fixture
def opsgenie() -> Iterator[OpsgenieServer]:
    with OpsgenieServer(KEY).running() as server:
        yield server


def _script(server: OpsgenieServer, *replies: tuple[int, dict[str, object]]) -> None:
    server.fail_next(*(Reply(status, body) for status, body in replies))


def _client(url: str, sleeps: list[float] | None = None, **kwargs: object) -> OpsgenieClient:
    clock = FakeClock()
    recorded = [] if sleeps is None else sleeps

    def sleep(seconds: float) -> None:
        recorded.append(seconds)
        clock.advance(seconds)

    return OpsgenieClient(
        lambda: KEY,
        api_url=url,
        timeout=5.0,
        clock=clock,
        sleep=sleep,
        unit_random=lambda: 0.0,
        opener=urllib.request.build_opener(urllib.request.ProxyHandler({})),
        **kwargs,  # type: ignore[arg-type]
    )


def test_create_returns_request_id_and_sends_key(opsgenie: OpsgenieServer) -> None:
    response = _client(opsgenie.url).create({"message": "m", "alias": "a"})
    assert len(response.request_id) == 36 and response.result == "Request will be processed"
    (request,) = opsgenie.requests
    assert request.path == "/v2/alerts"
    assert request.headers["Authorization"] == f"GenieKey {KEY}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.body == {"message": "m", "alias": "a"}


def test_429_then_202_is_retried_with_backoff(opsgenie: OpsgenieServer) -> None:
    _script(opsgenie, *[(429, {"message": "rate limited"}), (429, {"message": "rate limited"}), ACCEPTED])
    sleeps: list[float] = []
    response = _client(opsgenie.url, sleeps).create({"message": "m"})
    assert response.request_id == "req-1"
    assert sleeps == [1.0, 2.0]
    assert len(opsgenie.requests) == 3


def test_500_gives_up_after_max_attempts(opsgenie: OpsgenieServer) -> None:
    _script(opsgenie, *[(500, {"message": "boom"})] * 10)
    sleeps: list[float] = []
    with pytest.raises(OpsgenieUnavailableError, match="HTTP 500 after 3 attempt") as info:
        _client(opsgenie.url, sleeps, retry=RetryPolicy(max_attempts=3)).create({"message": "m"})
    assert info.value.status == 500 and "boom" in str(info.value)
    assert len(opsgenie.requests) == 3 and sleeps == [1.0, 2.0]


def test_retries_stop_at_total_time_bound(opsgenie: OpsgenieServer) -> None:
    _script(opsgenie, *[(503, {"message": "unavailable"})] * 10)
    sleeps: list[float] = []
    policy = RetryPolicy(max_attempts=10, max_total_seconds=5.0)
    with pytest.raises(OpsgenieUnavailableError):
        _client(opsgenie.url, sleeps, retry=policy).create({"message": "m"})
    assert sleeps == [1.0, 2.0] and sum(sleeps) <= 5.0  # the next (4 s) would pass the 5 s bound


def test_jitter_shortens_delay() -> None:
    policy = RetryPolicy(initial_backoff=2.0, jitter=0.5, max_backoff=5.0)
    assert policy.delay(1, 0.0) == 2.0 and policy.delay(1, 1.0) == 1.0
    assert policy.delay(5, 0.0) == 5.0


@pytest.mark.parametrize("status", [400, 422])
def test_client_errors_not_retried_and_message_surfaced(opsgenie: OpsgenieServer, status: int) -> None:
    _script(opsgenie, *[(status, {"message": "Message can not be empty.", "took": 0.0, "requestId": "r"})])
    sleeps: list[float] = []
    with pytest.raises(OpsgenieRequestError, match="Message can not be empty") as info:
        _client(opsgenie.url, sleeps).create({"message": ""})
    assert info.value.status == status and len(opsgenie.requests) == 1 and sleeps == []


def test_key_never_in_errors_reprs_or_logs(
    opsgenie: OpsgenieServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _script(
        opsgenie,
        *[
            (503, {"message": f"bad key {KEY}"}),
            (401, {"message": f"Key {KEY} is invalid"}),
        ],
    )
    client = _client(opsgenie.url)
    with pytest.raises(OpsgenieRequestError) as info:
        client.create({"message": "m"})
    assert KEY not in str(info.value) and KEY not in repr(info.value) and "<redacted>" in str(info.value)
    assert KEY not in repr(client)
    assert caplog.records and all(KEY not in record.getMessage() for record in caplog.records)
    assert KEY not in caplog.text


def test_network_error_is_retried_then_raised_without_key() -> None:
    sleeps: list[float] = []
    client = _client("http://127.0.0.1:9", sleeps, retry=RetryPolicy(max_attempts=2))
    with pytest.raises(OpsgenieUnavailableError, match="no reply") as info:
        client.create({"message": "m"})
    assert info.value.status is None and KEY not in str(info.value) and sleeps == [1.0]


def test_close_and_note_by_alias(opsgenie: OpsgenieServer) -> None:
    client = _client(opsgenie.url)
    client.close("inferwatch-abc/def", {"user": "u", "source": "s", "note": "n"})
    client.add_note("inferwatch-abc", {"user": "u", "source": "s", "note": "worse"})
    close, note = opsgenie.requests
    assert close.path == "/v2/alerts/inferwatch-abc%2Fdef/close" and close.query == {
        "identifierType": "alias"
    }
    assert close.body == {"user": "u", "source": "s", "note": "n"}
    assert note.path == "/v2/alerts/inferwatch-abc/notes" and note.query == {"identifierType": "alias"}


def test_url_forms(opsgenie: OpsgenieServer) -> None:
    assert alerts_url("https://api.opsgenie.com") == "https://api.opsgenie.com/v2/alerts"
    assert alerts_url(EU_API_URL + "/") == "https://api.eu.opsgenie.com/v2/alerts"
    assert alerts_url(JSM_API_URL) == JSM_API_URL
    assert alerts_url("https://api.atlassian.com/jsm/ops/integration") == JSM_API_URL
    with pytest.raises(ValueError, match="api_url"):
        alerts_url("api.opsgenie.com")
    # A JSM-style URL already ending in /v2/alerts reaches the same endpoints on the wire.
    client = _client(opsgenie.url + "/jsm/ops/integration/v2/alerts/")
    client.create({"message": "m"})
    client.close("a1", {"note": "n"})
    assert [r.path for r in opsgenie.requests] == [
        "/jsm/ops/integration/v2/alerts",
        "/jsm/ops/integration/v2/alerts/a1/close",
    ]


def test_api_key_source_env_and_file(tmp_path: Path) -> None:
    from_env = ApiKeySource(api_key_env="OPSGENIE_KEY", environ={"OPSGENIE_KEY": f" {KEY}\n"})
    assert from_env() == KEY and KEY not in repr(from_env) and "OPSGENIE_KEY" in repr(from_env)
    key_file = tmp_path / "key"
    key_file.write_text(KEY + "\n", encoding="utf-8")
    from_file = ApiKeySource(api_key_file=key_file)
    assert from_file() == KEY and KEY not in repr(from_file)
    with pytest.raises(ValueError, match="OPSGENIE_KEY"):
        ApiKeySource(api_key_env="OPSGENIE_KEY", environ={})()
    with pytest.raises(ValueError, match="api_key_file"):
        ApiKeySource(api_key_file=tmp_path / "missing")()
    with pytest.raises(ValueError, match="exactly one"):
        ApiKeySource()


def test_retry_after_longer_than_backoff_is_honoured(opsgenie: OpsgenieServer) -> None:
    opsgenie.fail_next(Reply(429, {"message": "rate limited"}, {"Retry-After": "7"}))
    sleeps: list[float] = []
    _client(opsgenie.url, sleeps).create({"message": "m"})
    assert sleeps == [7.0] and len(opsgenie.accepted("create")) == 1


def test_wrong_key_gets_401_and_is_not_retried(opsgenie: OpsgenieServer) -> None:
    opsgenie.keys = {"another-key"}
    with pytest.raises(OpsgenieRequestError, match="HTTP 401") as info:
        _client(opsgenie.url).create({"message": "m"})
    assert info.value.attempts == 1 and KEY not in str(info.value)


def test_stub_enforces_documented_limits(opsgenie: OpsgenieServer) -> None:
    client = _client(opsgenie.url)
    for bad in (
        {"message": "x" * 131},
        {"message": "m", "alias": "a" * 513},
        {"message": "m", "tags": ["t"] * 21},
        {"message": "m", "details": {"n": 1}},
        {"message": "m", "priority": "P0"},
    ):
        with pytest.raises(OpsgenieRequestError, match="HTTP 422"):
            client.create(bad)
    client.create({"message": "x" * 130, "alias": "a" * 512, "tags": ["t" * 50] * 20, "priority": "P5"})
    assert len(opsgenie.accepted("create")) == 1
