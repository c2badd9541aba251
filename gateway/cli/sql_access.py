"""How a CLI command reaches ClickHouse: a running gateway's query API, else a read-only session.

Reads: the config (``receivers.http.endpoint``, ``clickhouse.*``, ``query_api.*``), the gateway's
``POST /api/v1/query``, or ClickHouse directly. Writes: nothing (every path is ``readonly=1``).

Through the running gateway is the only way while ``serve`` owns an embedded directory; without one
answering on the configured endpoint the command opens the directory or server itself, read-only.
Parameters travel apart from the SQL and are bound by ClickHouse (``{name:Type}``) on both paths.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from gateway.config import Config
from gateway.query import QueryError, QueryService, readonly_settings


class GatewayNotAnswering(Exception):
    """An explicit ``--url`` named a gateway that does not answer."""

    def __init__(self, url: str) -> None:
        super().__init__(f"no gateway answers at {url}; is `inferwatch serve` running?")


class NoStorageYet(Exception):
    """No gateway answers and the embedded data directory does not exist (nothing to read yet)."""

    def __init__(self, path: str, url: str) -> None:
        super().__init__(
            f"no gateway answers at {url} and there is no data directory {path}: start `inferwatch serve` "
            "with the same config (it creates the storage), or pass --url of a running gateway, or "
            "--config / --set data_dir=DIR for the data of an earlier run."
        )


def require_storage(config: Config, url: str) -> None:
    """Raise ``NoStorageYet`` instead of letting a command create an empty embedded directory."""
    from gateway.storage.client import parse_dsn

    path = parse_dsn(config.resolved_clickhouse_dsn()).embedded_path
    if path is not None and not os.path.isdir(path):
        raise NoStorageYet(path, url)


def gateway_url(config: Config, explicit: str | None) -> str:
    if explicit:
        return explicit.rstrip("/")
    host, _, port = config.receivers.http.endpoint.rpartition(":")
    if host in ("", "0.0.0.0", "::", "[::]"):
        host = "127.0.0.1"
    return f"http://{host}:{port}"


def via_gateway(
    url: str, sql: str, output_format: str, parameters: Mapping[str, Any] | None = None
) -> bytes | None:
    """The result from a running gateway; None when no gateway answers there."""
    document: dict[str, Any] = {"query": sql, "format": output_format}
    if parameters:
        document["parameters"] = dict(parameters)
    request = urllib.request.Request(
        f"{url}/api/v1/query",
        data=json.dumps(document).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.read()
    except urllib.error.HTTPError as error:
        detail = error.read().decode(errors="replace")
        with contextlib.suppress(ValueError, KeyError, TypeError):
            detail = json.loads(detail)["error"]
        if error.code == 404:
            raise QueryError(
                f"the gateway at {url} has the query API disabled (query_api.enabled)"
            ) from error
        raise QueryError(detail) from error
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


class SqlSession:
    """Runs read-only SQL for one command: the path is chosen at the first query and kept.

    Raises ``GatewayNotAnswering`` (explicit URL, nothing there), ``QueryError`` (the SQL failed) or
    whatever opening ClickHouse raised.
    """

    def __init__(self, config: Config, explicit_url: str | None) -> None:
        self.config = config
        self.url = gateway_url(config, explicit_url)
        self._explicit = bool(explicit_url)
        self._through_gateway: bool | None = None
        self._direct: QueryService | None = None
        self._client: Any = None

    def run(
        self, sql: str, output_format: str = "json", parameters: Mapping[str, Any] | None = None
    ) -> bytes:
        if self._through_gateway is not False:
            data = via_gateway(self.url, sql, output_format, parameters)
            if data is not None:
                self._through_gateway = True
                return data
            if self._explicit or self._through_gateway:
                raise GatewayNotAnswering(self.url)
            self._through_gateway = False
        data, _ = self._direct_service().run(sql, output_format, parameters)
        return data

    def _direct_service(self) -> QueryService:
        if self._direct is None:
            from gateway.storage.client import open_client

            require_storage(self.config, self.url)
            client = open_client(
                self.config.resolved_clickhouse_dsn(),
                self.config.clickhouse.database,
                create_database=False,
                settings=readonly_settings(
                    self.config.query_api.max_result_rows, self.config.query_api.timeout.total_seconds()
                ),
            )
            self._client = client
            self._direct = QueryService(client)
        return self._direct

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client, self._direct = None, None


# ClickHouse's words for a table or database that does not exist (chdb and servers, old and new).
_MISSING_SCHEMA = re.compile(
    r"Unknown table expression identifier '[^']+'|Table \S+ does not exist|Database \S+ does not exist"
)


def failure_message(error: Exception) -> str:
    """What a command prints when ``SqlSession.run`` raised."""
    from gateway.storage.client import StorageUnavailable

    if isinstance(error, (GatewayNotAnswering, NoStorageYet, StorageUnavailable)):
        return f"inferwatch: {error}"
    missing = _MISSING_SCHEMA.search(str(error))
    if missing:
        return (
            f"inferwatch: {missing.group(0)}: this storage has no inferwatch schema yet (or an older one). "
            "Start `inferwatch serve` with the same config once (it creates every table), "
            "or pass --url of a running gateway."
        )
    if isinstance(error, QueryError):
        return f"inferwatch: query failed: {error}"
    return (
        f"inferwatch: cannot open ClickHouse ({error}). Start `inferwatch serve` with the same config, "
        "or pass --url of a running gateway."
    )
