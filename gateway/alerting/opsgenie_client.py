"""Sends Opsgenie Alert API v2 requests: create, close by alias, add a note by alias.

Reads: the API key (from ``api_key_env`` or ``api_key_file``, at each request so a rotated key is
picked up), the replies of the API. Writes: HTTPS POSTs with JSON bodies and ``Authorization:
GenieKey <key>``. Config keys: ``api_url``, ``api_key_env`` / ``api_key_file``, ``timeout``, ``retry``.

``api_url`` takes either a base URL, to which ``/v2/alerts`` is appended (Opsgenie US
``https://api.opsgenie.com``, EU ``https://api.eu.opsgenie.com``), or a URL that already ends in
``/v2/alerts``, used as is (Jira Service Management Ops:
``https://api.atlassian.com/jsm/ops/integration/v2/alerts``). Both forms give the same endpoints.

Every request expects ``202 Accepted``. 429, 5xx and network errors are retried with exponential
back-off and jitter, never sooner than a ``Retry-After`` header asks, bounded by
``RetryPolicy.max_attempts`` and ``max_total_seconds``; other 4xx
raise ``OpsgenieRequestError`` at once, carrying the API's ``message``. The key is never logged and
never appears in an exception's text or repr (it is also scrubbed from echoed reply messages).
"""

from __future__ import annotations

import json
import logging
import os
import random
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.clock import Clock, SystemClock
from processors.alerting.delivery import retry_after_seconds

logger = logging.getLogger(__name__)

US_API_URL = "https://api.opsgenie.com"
EU_API_URL = "https://api.eu.opsgenie.com"
JSM_API_URL = "https://api.atlassian.com/jsm/ops/integration/v2/alerts"
ALERTS_PATH = "/v2/alerts"
_REDACTED = "<redacted>"


class OpsgenieError(Exception):
    """A request Opsgenie did not accept. ``status`` is None when no HTTP reply came back;
    ``retry_after`` is the last reply's ``Retry-After`` header, if it had one."""

    def __init__(
        self, action: str, status: int | None, message: str, attempts: int, retry_after: str | None = None
    ) -> None:
        self.action = action
        self.status = status
        self.message = message
        self.attempts = attempts
        self.retry_after = retry_after
        where = f"HTTP {status}" if status is not None else "no reply"
        super().__init__(f"opsgenie {action}: {where} after {attempts} attempt(s): {message}")


class OpsgenieRequestError(OpsgenieError):
    """A permanent rejection (4xx other than 429): retrying the same request cannot succeed."""


class OpsgenieUnavailableError(OpsgenieError):
    """429, 5xx or network errors until the retry budget ran out."""


@dataclass(frozen=True)
class OpsgenieResponse:
    """The ``202`` reply. Processing is asynchronous: ``GET /v2/alerts/requests/{request_id}`` tells
    the outcome."""

    request_id: str
    result: str
    took: float


@dataclass(frozen=True)
class RetryPolicy:
    """Back-off before retry n (1-based) is ``min(max_backoff, initial_backoff * multiplier**(n-1))``,
    jittered into [(1 - jitter) * d, d]; no retry starts after ``max_total_seconds``."""

    max_attempts: int = 5
    initial_backoff: float = 1.0
    multiplier: float = 2.0
    max_backoff: float = 30.0
    jitter: float = 0.5
    max_total_seconds: float = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"retry.max_attempts: must be >= 1, got {self.max_attempts!r}")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError(f"retry.jitter: must be in [0, 1], got {self.jitter!r}")
        for name in ("initial_backoff", "multiplier", "max_backoff", "max_total_seconds"):
            if getattr(self, name) < 0:
                raise ValueError(f"retry.{name}: must be >= 0, got {getattr(self, name)!r}")

    def delay(self, retry: int, unit_random: float) -> float:
        ceiling = min(self.max_backoff, self.initial_backoff * self.multiplier ** (retry - 1))
        return ceiling * (1.0 - self.jitter * unit_random)


class ApiKeySource:
    """Reads the API key from an environment variable or a file; its repr names only the source."""

    def __init__(
        self,
        api_key_env: str | None = None,
        api_key_file: str | os.PathLike[str] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        if (api_key_env is None) == (api_key_file is None):
            raise ValueError("opsgenie: set exactly one of api_key_env, api_key_file")
        self._env = api_key_env
        self._file = None if api_key_file is None else Path(api_key_file)
        self._environ = os.environ if environ is None else environ

    def __call__(self) -> str:
        if self._env is not None:
            key = self._environ.get(self._env, "").strip()
            if not key:
                raise ValueError(f"api_key_env: environment variable {self._env!r} is unset or empty")
            return key
        assert self._file is not None
        try:
            key = self._file.read_text(encoding="utf-8").strip()
        except OSError as err:
            raise ValueError(f"api_key_file: cannot read {str(self._file)!r}: {err.strerror}") from None
        if not key:
            raise ValueError(f"api_key_file: {str(self._file)!r} is empty")
        return key

    def __repr__(self) -> str:
        source = (
            f"api_key_env={self._env!r}" if self._env is not None else f"api_key_file={str(self._file)!r}"
        )
        return f"ApiKeySource({source})"


def alerts_url(api_url: str) -> str:
    """The ``…/v2/alerts`` endpoint for a base URL or for a URL already ending in ``/v2/alerts``."""
    base = api_url.rstrip("/")
    if not base.startswith(("https://", "http://")):
        raise ValueError(f"api_url: must be an http(s) URL, got {api_url!r}")
    return base if base.endswith(ALERTS_PATH) else base + ALERTS_PATH


class OpsgenieClient:
    """Synchronous, thread-safe client; one instance per API key source and endpoint."""

    def __init__(
        self,
        api_key_provider: Callable[[], str],
        api_url: str = US_API_URL,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
        sleep: Callable[[float], None] = time.sleep,
        unit_random: Callable[[], float] = random.random,
        opener: urllib.request.OpenerDirector | None = None,
    ) -> None:
        self._key = api_key_provider
        self._alerts_url = alerts_url(api_url)
        self._timeout = timeout
        self._retry = retry or RetryPolicy()
        self._clock = clock or SystemClock()
        self._sleep = sleep
        self._random = unit_random
        self._opener = opener or urllib.request.build_opener()

    def __repr__(self) -> str:
        return f"OpsgenieClient(alerts_url={self._alerts_url!r})"

    @property
    def alerts_url(self) -> str:
        return self._alerts_url

    def create(self, payload: Mapping[str, Any]) -> OpsgenieResponse:
        """``POST /v2/alerts``."""
        return self._post("create", self._alerts_url, payload)

    def close(self, alias: str, payload: Mapping[str, Any]) -> OpsgenieResponse:
        """``POST /v2/alerts/{alias}/close?identifierType=alias``."""
        return self._post("close", self._by_alias(alias, "close"), payload)

    def add_note(self, alias: str, payload: Mapping[str, Any]) -> OpsgenieResponse:
        """``POST /v2/alerts/{alias}/notes?identifierType=alias``."""
        return self._post("add_note", self._by_alias(alias, "notes"), payload)

    def _by_alias(self, alias: str, action: str) -> str:
        quoted = urllib.parse.quote(alias, safe="")
        return f"{self._alerts_url}/{quoted}/{action}?identifierType=alias"

    def _post(self, action: str, url: str, payload: Mapping[str, Any]) -> OpsgenieResponse:
        key = self._key()
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        started = self._clock.monotonic()
        attempt = 0
        while True:
            attempt += 1
            status, reply, retry_after = self._send(url, body, key)
            if status == 202:
                return OpsgenieResponse(
                    request_id=str(reply.get("requestId", "")),
                    result=str(reply.get("result", "")),
                    took=float(reply.get("took", 0.0) or 0.0),
                )
            message = _scrub(_reply_message(status, reply), key)
            if status is not None and status != 429 and status < 500:
                raise OpsgenieRequestError(action, status, message, attempt, retry_after)
            delay = self._retry.delay(attempt, self._random())
            server_wait = retry_after_seconds(retry_after, self._clock.now_unix_nano() / 1e9)
            delay = max(delay, server_wait or 0.0)  # never sooner than the server asked
            elapsed = self._clock.monotonic() - started
            if attempt >= self._retry.max_attempts or elapsed + delay > self._retry.max_total_seconds:
                raise OpsgenieUnavailableError(action, status, message, attempt, retry_after)
            logger.warning(
                "opsgenie %s: %s, retry %d in %.2fs",
                action,
                f"HTTP {status}" if status is not None else "no reply",
                attempt,
                delay,
            )
            self._sleep(delay)

    def _send(self, url: str, body: bytes, key: str) -> tuple[int | None, dict[str, Any], str | None]:
        """One POST; (status, decoded reply, Retry-After), status None on a network error (reply
        holds its text)."""
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={"Authorization": f"GenieKey {key}", "Content-Type": "application/json"},
        )
        try:
            with self._opener.open(request, timeout=self._timeout) as response:
                return response.status, _decode(response.read()), response.headers.get("Retry-After")
        except urllib.error.HTTPError as err:
            with err:
                return err.code, _decode(err.read()), err.headers.get("Retry-After")
        except (urllib.error.URLError, OSError) as err:  # retry boundary: connection refused, timeout
            reason = getattr(err, "reason", err)
            return None, {"message": f"{type(err).__name__}: {reason}"}, None


def _decode(raw: bytes) -> dict[str, Any]:
    try:
        decoded = json.loads(raw.decode("utf-8")) if raw else {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {"message": raw[:500].decode("utf-8", "replace")}
    return decoded if isinstance(decoded, dict) else {"message": str(decoded)[:500]}


def _reply_message(status: int | None, reply: Mapping[str, Any]) -> str:
    if status is not None and 200 <= status < 300:
        return f"unexpected reply status, expected 202 Accepted: {reply.get('message', '')}"
    message = str(reply.get("message", "")) or "no message"
    errors = reply.get("errors")
    if isinstance(errors, Mapping) and errors:
        message += " (" + "; ".join(f"{k}: {v}" for k, v in errors.items()) + ")"
    return message


def _scrub(text: str, key: str) -> str:
    return text.replace(key, _REDACTED) if key else text
