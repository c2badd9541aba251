"""Generic webhook notifier: POSTs a JSON document, HMAC-signed, to a configured URL.

Reads: the webhook's secret (resolved by the caller, e.g. from ``secret_env``), the HTTP reply.
Writes: ``POST <url>`` with a JSON body and the headers

- ``Content-Type: application/json``
- ``X-Inferwatch-Timestamp: <unix seconds>`` (when the request was signed)
- ``X-Inferwatch-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes with the secret>``

Config keys: ``notifications.webhooks[].{name, url, secret_env, events}`` (see
``gateway.config.notifications_schema``). Alert webhooks are queued in the durable outbox like
Opsgenie requests (``gateway.alerting.outbox``); ``post_json`` is the single send used by every
webhook caller (alert notifications, retraining triggers).

A receiver checks a request by recomputing ``sign(raw_body, secret)`` and comparing it with the
header using ``hmac.compare_digest``. The secret is never logged nor put in an exception's text.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from gateway.clock import SystemClock

SIGNATURE_HEADER = "X-Inferwatch-Signature"
TIMESTAMP_HEADER = "X-Inferwatch-Timestamp"
_SIGNATURE_PREFIX = "sha256="


class WebhookError(Exception):
    """A webhook POST that did not get a 2xx reply. ``status`` is None when no reply came back;
    ``retry_after`` is the raw ``Retry-After`` header when the server sent one."""

    def __init__(self, url: str, status: int | None, message: str, retry_after: str | None = None) -> None:
        self.url = url
        self.status = status
        self.message = message
        self.retry_after = retry_after
        where = f"HTTP {status}" if status is not None else "no reply"
        super().__init__(f"webhook {url}: {where}: {message}")

    @property
    def retryable(self) -> bool:
        """Network errors, 408, 429 and 5xx may succeed later; other 4xx will not."""
        return self.status is None or self.status in (408, 429) or self.status >= 500


def sign(body: bytes, secret: str) -> str:
    """The ``X-Inferwatch-Signature`` header value: ``sha256=<hex HMAC-SHA256(secret, body)>``."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return _SIGNATURE_PREFIX + digest


def verify(body: bytes, secret: str, signature: str) -> bool:
    """True when ``signature`` (a header value) is ``sign(body, secret)``; constant-time."""
    return hmac.compare_digest(sign(body, secret), signature)


def encode(document: Mapping[str, Any]) -> bytes:
    """The exact body bytes that are signed and sent."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def signed_headers(body: bytes, secret: str | None, timestamp: float) -> dict[str, str]:
    headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: str(int(timestamp))}
    if secret:
        headers[SIGNATURE_HEADER] = sign(body, secret)
    return headers


def post_json(
    url: str,
    document: Mapping[str, Any],
    secret: str | None,
    timeout: float = 10.0,
    *,
    timestamp: float | None = None,
    opener: urllib.request.OpenerDirector | None = None,
) -> int:
    """POST ``document`` as signed JSON once (no retries: the outbox retries); returns the 2xx status.

    Raises ``WebhookError`` for any other status or a network error. ``secret`` None or empty sends
    the request unsigned (no signature header). ``timestamp`` defaults to now (epoch seconds).
    """
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"url: must be an http(s) URL, got {url!r}")
    body = encode(document)
    when = SystemClock().now_unix_nano() / 1e9 if timestamp is None else timestamp
    request = urllib.request.Request(
        url, data=body, method="POST", headers=signed_headers(body, secret, when)
    )
    send = (opener or urllib.request.build_opener()).open
    try:
        with send(request, timeout=timeout) as response:
            status = int(response.status)
            if 200 <= status < 300:
                return status
            raise WebhookError(url, status, _text(response.read()), response.headers.get("Retry-After"))
    except urllib.error.HTTPError as err:
        with err:
            raise WebhookError(url, err.code, _text(err.read()), err.headers.get("Retry-After")) from None
    except (urllib.error.URLError, OSError) as err:  # retry boundary: connection refused, timeout
        reason = getattr(err, "reason", err)
        raise WebhookError(url, None, f"{type(err).__name__}: {reason}") from None


def _text(raw: bytes) -> str:
    return raw[:500].decode("utf-8", "replace") or "no message"
