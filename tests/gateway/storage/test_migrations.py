"""Tests for gateway.storage.migrations: apply once, record, skip what is recorded, warn on changes."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from gateway.storage.ddl import Target
from gateway.storage.migrations import MIGRATIONS_TABLE, apply_migrations, checksum, plan

_LEDGER_INSERT = re.compile(
    r"INSERT INTO .*\.inferwatch_schema_migrations .* VALUES \('(\w+)', (\d+), '(\w+)', '(\w+)'\)"
)


@dataclass(frozen=True)
class FakeMigration:
    owner: str
    version: int
    name: str
    template: str


TABLES = FakeMigration(
    "otlp",
    1,
    "tables",
    "CREATE TABLE IF NOT EXISTS $db.a$local $on_cluster (x UInt8) ENGINE = $MergeTree ORDER BY x;\n"
    "CREATE TABLE IF NOT EXISTS $db.ingest $on_cluster (x UInt8) ENGINE = Null;\n",
)
VIEWS = FakeMigration(
    "otlp",
    2,
    "views",
    "CREATE MATERIALIZED VIEW IF NOT EXISTS $db.mv $on_cluster TO $db.a AS SELECT x FROM $db.ingest;\n",
)
MIGRATIONS = [TABLES, VIEWS]


@dataclass
class FakeClient:
    """Records every command; keeps the ledger rows the INSERTs add and answers the ledger query."""

    ledger: list[tuple[str, int, str]] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)

    def command(self, cmd: str, *args: object, **kwargs: object) -> object:
        self.commands.append(cmd)
        match = _LEDGER_INSERT.fullmatch(cmd)
        if match:
            owner, version, _name, digest = match.groups()
            self.ledger.append((owner, int(version), digest))
        return None

    def query(self, query: str, *args: object, **kwargs: object) -> object:
        self.queries.append(query)
        assert f"FROM `obs`.{MIGRATIONS_TABLE}" in query
        return SimpleNamespace(result_rows=list(self.ledger))

    def schema_commands(self) -> list[str]:
        """The commands other than the ledger's own DDL and INSERTs."""
        return [cmd for cmd in self.commands if MIGRATIONS_TABLE not in cmd]


TARGET = Target(database="obs")


def test_first_run_applies_every_migration_in_order_and_records_it() -> None:
    client = FakeClient()
    applied = apply_migrations(client, MIGRATIONS, TARGET, {})

    assert [(m.owner, m.version, m.name, m.statements) for m in applied] == [
        ("otlp", 1, "tables", 2),
        ("otlp", 2, "views", 1),
    ]
    assert client.commands[0].startswith(f"CREATE TABLE IF NOT EXISTS `obs`.{MIGRATIONS_TABLE} (")
    assert client.schema_commands() == [
        "CREATE TABLE IF NOT EXISTS `obs`.a  (x UInt8) ENGINE = MergeTree ORDER BY x",
        "CREATE TABLE IF NOT EXISTS `obs`.ingest  (x UInt8) ENGINE = Null",
        "CREATE MATERIALIZED VIEW IF NOT EXISTS `obs`.mv  TO `obs`.a AS SELECT x FROM `obs`.ingest",
    ]
    # Each migration is recorded right after its own statements.
    assert "INSERT INTO" in client.commands[3] and "'tables'" in client.commands[3]
    assert "INSERT INTO" in client.commands[5] and "'views'" in client.commands[5]
    assert client.ledger == [("otlp", 1, checksum(TABLES.template)), ("otlp", 2, checksum(VIEWS.template))]


def test_second_run_applies_nothing() -> None:
    client = FakeClient()
    apply_migrations(client, MIGRATIONS, TARGET, {})
    client.commands.clear()

    assert apply_migrations(client, MIGRATIONS, TARGET, {}) == []
    assert len(client.commands) == 1 and MIGRATIONS_TABLE in client.commands[0]
    assert len(client.ledger) == 2


def test_only_unrecorded_migrations_run() -> None:
    client = FakeClient(ledger=[("otlp", 1, checksum(TABLES.template))])

    applied = apply_migrations(client, MIGRATIONS, TARGET, {})

    assert [m.version for m in applied] == [2]
    assert client.schema_commands() == [
        "CREATE MATERIALIZED VIEW IF NOT EXISTS `obs`.mv  TO `obs`.a AS SELECT x FROM `obs`.ingest"
    ]


def test_same_version_of_another_owner_is_a_different_migration() -> None:
    client = FakeClient(ledger=[("drift", 1, checksum(TABLES.template))])

    applied = apply_migrations(client, [TABLES], TARGET, {})

    assert [(m.owner, m.version) for m in applied] == [("otlp", 1)]


def test_changed_migration_is_not_rerun_but_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    client = FakeClient(ledger=[("otlp", 1, "0123456789abcdef"), ("otlp", 2, checksum(VIEWS.template))])

    with caplog.at_level(logging.WARNING, logger="gateway.storage.migrations"):
        applied = apply_migrations(client, MIGRATIONS, TARGET, {})

    assert applied == []
    assert client.schema_commands() == []
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert warnings == ["migration otlp/0001_tables changed since it was applied; not re-run"]


def test_unchanged_migrations_log_no_warning(caplog: pytest.LogCaptureFixture) -> None:
    client = FakeClient()
    apply_migrations(client, MIGRATIONS, TARGET, {})
    with caplog.at_level(logging.WARNING, logger="gateway.storage.migrations"):
        apply_migrations(client, MIGRATIONS, TARGET, {})
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]


def test_ledger_is_replicated_on_a_cluster() -> None:
    client = FakeClient()
    apply_migrations(client, [TABLES], Target(database="obs", cluster="c"), {})

    ledger_ddl = client.commands[0]
    assert f"`obs`.{MIGRATIONS_TABLE} ON CLUSTER `c` (" in ledger_ddl
    assert "ENGINE = ReplicatedReplacingMergeTree(applied_at)" in ledger_ddl
    assert client.schema_commands() == [
        "CREATE TABLE IF NOT EXISTS `obs`.a_local ON CLUSTER `c` (x UInt8) "
        "ENGINE = ReplicatedMergeTree ORDER BY x",
        "CREATE TABLE IF NOT EXISTS `obs`.a ON CLUSTER `c` AS `obs`.a_local "
        "ENGINE = Distributed(`c`, `obs`, a_local, rand())",
        "CREATE TABLE IF NOT EXISTS `obs`.ingest ON CLUSTER `c` (x UInt8) ENGINE = Null",
    ]


def test_plan_is_the_ledger_then_every_statement() -> None:
    client = FakeClient()
    apply_migrations(client, MIGRATIONS, TARGET, {})

    statements = plan(MIGRATIONS, TARGET, {})

    assert statements[0] == client.commands[0]
    assert statements[1:] == client.schema_commands()


def test_checksum_depends_on_the_template_only() -> None:
    assert checksum("a") == checksum("a")
    assert checksum("a") != checksum("a ")
    assert len(checksum("a")) == 16
