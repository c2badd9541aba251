"""How a CLI command that changes state (silences, baselines, feedback, ...) reaches the gateway.

Reads: the config (``receivers.http.endpoint``, ``clickhouse.*``). Writes: through the running
gateway's JSON API (``gateway.receivers.api_routes``), else directly into ClickHouse.

While ``serve`` owns an embedded ClickHouse directory, only the gateway can write to it, so a
command first calls the gateway's route; when no gateway answers (and no ``--url`` was given) it
opens ClickHouse itself and calls the same service function the route handler calls. Both paths
therefore behave the same; tests cover each.
"""

from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from gateway.cli.sql_access import GatewayNotAnswering, gateway_url, require_storage
from gateway.config import Config

T = TypeVar("T")


class ApiCallFailed(Exception):
    """The gateway answered with an error status; ``message`` is its ``error`` text."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def call_gateway(
    url: str,
    method: str,
    path: str,
    document: Any = None,
    query: Mapping[str, str] | None = None,
    timeout: float = 120.0,
) -> Any | None:
    """The JSON answer of ``method path`` at the gateway ``url``; None when no gateway answers there."""
    target = f"{url}{path}"
    if query:
        target += "?" + urllib.parse.urlencode(dict(query))
    data = None if document is None else json.dumps(document).encode()
    request = urllib.request.Request(
        target, data=data, headers={"Content-Type": "application/json"}, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
            return json.loads(body) if body.strip() else {}
    except urllib.error.HTTPError as error:
        with error:
            detail = error.read().decode(errors="replace")
        with contextlib.suppress(ValueError, KeyError, TypeError):
            detail = json.loads(detail)["error"]
        if error.code == 404 and "no such path" in str(detail):
            raise ApiCallFailed(404, f"the gateway at {url} does not serve {path}: upgrade it") from error
        raise ApiCallFailed(error.code, str(detail)) from error
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def open_direct_client(config: Config) -> Any:
    """A read-write ClickHouse client on the configured storage (the schema must already exist);
    ``NoStorageYet`` rather than creating an empty embedded directory."""
    from gateway.storage.client import open_client

    require_storage(config, gateway_url(config, None))

    return open_client(config.resolved_clickhouse_dsn(), config.clickhouse.database, create_database=False)


def through_gateway_or_direct(
    config: Config,
    explicit_url: str | None,
    via_api: Callable[[str], Any | None],
    direct: Callable[[Any], T],
) -> T | Any:
    """``via_api(url)`` when a gateway answers (it returns None when none does), else ``direct(client)``.

    Raises ``GatewayNotAnswering`` when an explicit ``--url`` does not answer, ``ApiCallFailed`` when
    the gateway refused, and whatever opening ClickHouse raised.
    """
    url = gateway_url(config, explicit_url)
    answer = via_api(url)
    if answer is not None:
        return answer
    if explicit_url:
        raise GatewayNotAnswering(url)
    client = open_direct_client(config)
    try:
        return direct(client)
    finally:
        client.close()
