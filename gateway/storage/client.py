"""Open ClickHouse through clickhouse-connect: ``chdb:///dir`` (embedded) or ``http(s)://...``.

Reads: config ``clickhouse.dsn``, ``clickhouse.database``, ``clickhouse.connect_timeout``,
``clickhouse.query_timeout``. Writes: creates the database (and the embedded directory).

A process can open one chdb directory only; several clients on that directory are fine and
run concurrently, so the writer and the query API each get their own client.
"""

from __future__ import annotations

import os
import urllib.parse
from dataclasses import dataclass
from typing import Any

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from gateway.storage.ddl import quote_identifier


class StorageUnavailable(Exception):
    """ClickHouse cannot be reached or opened; retryable."""


@dataclass(frozen=True)
class Dsn:
    """A parsed DSN; ``embedded_path`` is set for chdb."""

    raw: str
    embedded_path: str | None

    @property
    def is_embedded(self) -> bool:
        return self.embedded_path is not None

    def masked(self) -> str:
        return mask_dsn(self.raw)


def parse_dsn(dsn: str) -> Dsn:
    parsed = urllib.parse.urlsplit(dsn)
    if parsed.scheme == "chdb":
        path = urllib.parse.unquote(parsed.path)
        if parsed.netloc:  # chdb://relative/dir
            path = parsed.netloc + path
        if not path:
            raise ValueError(f"chdb DSN needs a directory, e.g. chdb:///var/lib/inferwatch: {dsn!r}")
        return Dsn(raw=f"chdb://{os.path.abspath(path)}", embedded_path=os.path.abspath(path))
    if parsed.scheme in ("http", "https"):
        return Dsn(raw=dsn, embedded_path=None)
    raise ValueError(f"unsupported DSN scheme {parsed.scheme!r}: use chdb:///dir or http(s)://host:8123")


def mask_dsn(dsn: str) -> str:
    parsed = urllib.parse.urlsplit(dsn)
    if parsed.password is None:
        return dsn
    netloc = parsed.netloc.replace(f":{parsed.password}@", ":***@")
    return urllib.parse.urlunsplit(parsed._replace(netloc=netloc))


def open_client(
    dsn: str,
    database: str,
    *,
    connect_timeout: float = 10.0,
    query_timeout: float = 60.0,
    create_database: bool = True,
    settings: dict[str, Any] | None = None,
) -> Client:
    """A clickhouse-connect client on ``database``, created if missing."""
    parsed = parse_dsn(dsn)
    if parsed.embedded_path:
        os.makedirs(parsed.embedded_path, exist_ok=True)
    options: dict[str, Any] = {"dsn": parsed.raw}
    if not parsed.is_embedded:
        options.update(connect_timeout=connect_timeout, send_receive_timeout=query_timeout)
    elif query_timeout > 0:
        # chdb runs in-process, with no socket to time out: ClickHouse itself bounds each statement
        # (a stuck evaluation would otherwise hold its task, e.g. the alert rules, forever)
        settings = {"max_execution_time": max(1, int(query_timeout)), **(settings or {})}
    try:
        if create_database:
            bootstrap = clickhouse_connect.get_client(**options)
            bootstrap.command(f"CREATE DATABASE IF NOT EXISTS {quote_identifier(database)}")
            bootstrap.close()
        return clickhouse_connect.get_client(database=database, settings=settings or {}, **options)
    except clickhouse_connect.driver.exceptions.OperationalError as error:
        raise StorageUnavailable(f"cannot reach ClickHouse at {mask_dsn(dsn)}: {error}") from error
    except clickhouse_connect.driver.exceptions.ProgrammingError as error:
        if not parsed.embedded_path:
            raise
        # chdb says only "Error initializing EmbeddedServer" when another process holds the directory
        raise StorageUnavailable(
            f"cannot open the embedded ClickHouse in {parsed.embedded_path}: only one process at a time can, "
            "and another one (an `inferwatch serve`?) may have it open. Stop it, or pass --url of that "
            f"gateway to a CLI command, or use another --data-dir. ({error})"
        ) from error
