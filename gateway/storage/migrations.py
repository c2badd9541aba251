"""Apply the versioned DDL of every table owner, once, and record what ran.

Reads/writes: ``inferwatch_schema_migrations`` (owner, version, name, checksum, applied_at).
Config keys: ``clickhouse.database``, ``clickhouse.cluster``, ``clickhouse.ttl.*``.

Every statement is idempotent (``IF NOT EXISTS``), so a run interrupted half-way is simply run
again; the record only saves work on later starts. Owners (``processors.otlp_tables`` today, the
ML-signal, drift and alerting processors later) each number their own migrations.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from gateway.storage.ddl import Target, quote_identifier, render

log = logging.getLogger(__name__)

MIGRATIONS_TABLE = "inferwatch_schema_migrations"


class MigrationLike(Protocol):
    owner: str
    version: int
    name: str
    template: str


class CommandClient(Protocol):
    def command(self, cmd: str, *args: object, **kwargs: object) -> object: ...

    def query(self, query: str, *args: object, **kwargs: object) -> object: ...


@dataclass(frozen=True)
class AppliedMigration:
    owner: str
    version: int
    name: str
    statements: int


def checksum(template: str) -> str:
    return hashlib.sha256(template.encode()).hexdigest()[:16]


def _ledger_ddl(target: Target) -> str:
    on_cluster = f" ON CLUSTER {quote_identifier(target.cluster)}" if target.cluster else ""
    engine = "ReplicatedReplacingMergeTree" if target.cluster else "ReplacingMergeTree"
    return (
        f"CREATE TABLE IF NOT EXISTS {quote_identifier(target.database)}.{MIGRATIONS_TABLE}{on_cluster} ("
        "owner LowCardinality(String), version UInt32, name String, checksum String, "
        "applied_at DateTime64(3) DEFAULT now64(3)"
        f") ENGINE = {engine}(applied_at) ORDER BY (owner, version)"
    )


def applied_versions(client: CommandClient, target: Target) -> dict[tuple[str, int], str]:
    result = client.query(
        f"SELECT owner, version, argMax(checksum, applied_at) "
        f"FROM {quote_identifier(target.database)}.{MIGRATIONS_TABLE} GROUP BY owner, version"
    )
    return {(row[0], int(row[1])): row[2] for row in result.result_rows}  # type: ignore[attr-defined]


def plan(migrations: Iterable[MigrationLike], target: Target, macros: dict[str, str]) -> list[str]:
    """Every statement all migrations would run on an empty database (for golden tests and --dry-run)."""
    statements = [_ledger_ddl(target)]
    for migration in migrations:
        statements.extend(render(migration.template, target, macros))
    return statements


def apply_migrations(
    client: CommandClient,
    migrations: Sequence[MigrationLike],
    target: Target,
    macros: dict[str, str],
) -> list[AppliedMigration]:
    """Run the migrations not yet recorded, in (owner order given, version) order."""
    client.command(_ledger_ddl(target))
    done = applied_versions(client, target)
    applied = []
    for migration in migrations:
        key = (migration.owner, migration.version)
        digest = checksum(migration.template)
        if key in done:
            if done[key] != digest:
                log.warning(
                    "migration %s/%04d_%s changed since it was applied; not re-run",
                    migration.owner,
                    migration.version,
                    migration.name,
                )
            continue
        statements = render(migration.template, target, macros)
        for statement in statements:
            client.command(statement)
        client.command(
            f"INSERT INTO {quote_identifier(target.database)}.{MIGRATIONS_TABLE} "
            "(owner, version, name, checksum) VALUES "
            f"('{migration.owner}', {migration.version}, '{migration.name}', '{digest}')"
        )
        log.info("applied migration %s/%04d_%s", migration.owner, migration.version, migration.name)
        applied.append(AppliedMigration(migration.owner, migration.version, migration.name, len(statements)))
    return applied
