"""The migrations of the signal owners (quality, feedback, alerting, drift, performance) on a cluster.

Each data table must be a Replicated ``<name>_local`` with a Distributed ``<name>`` right after it,
every statement must run ``ON CLUSTER``, a materialized view must read a local table (it fires on the
shard that stores its source), and an ``ALTER`` of a data table must change both the local table and
the Distributed table over it (else inserts through the Distributed table miss the column).
"""

from __future__ import annotations

import re

import pytest

from gateway.app import schema_migrations
from gateway.storage.ddl import Target, render
from processors.ml import tables as ml_tables

OWNERS = ("quality", "feedback", "alerting", "drift", "performance")
CLUSTER = Target(cluster="analytics", ttl_seconds={"ml": 86_400})
SINGLE_NODE = Target()


def _statements(owner: str, target: Target) -> list[str]:
    migrations = [migration for migration in schema_migrations() if migration.owner == owner]
    assert migrations, f"no migrations of {owner}"
    return [
        statement
        for migration in migrations
        for statement in render(migration.template, target, ml_tables.all_macros())
    ]


def _all_local_tables() -> set[str]:
    """Tables created as ``<name>_local`` by any owner (the OTLP and ML ones included)."""
    names = set()
    for migration in schema_migrations():
        for statement in render(migration.template, CLUSTER, ml_tables.all_macros()):
            match = re.match(r"CREATE TABLE IF NOT EXISTS `default`\.(\w+)_local ", statement)
            if match:
                names.add(match.group(1))
    return names


@pytest.mark.parametrize("owner", OWNERS)
def test_signal_owner_migrations_on_a_cluster(owner: str) -> None:
    statements = _statements(owner, CLUSTER)
    local_tables = _all_local_tables()
    altered: dict[str, list[str]] = {}
    for index, statement in enumerate(statements):
        first_line = statement.splitlines()[0]
        assert "ON CLUSTER `analytics`" in first_line, statement
        assert "$" not in statement and "@" not in statement, statement
        # Each host runs an ON CLUSTER statement in its own default database: every name is qualified.
        unqualified = re.findall(r"\b(?:FROM|JOIN|TO)\s+(?!\(|`default`\.)(\S+)", statement)
        assert not unqualified, f"unqualified {unqualified} in {statement}"
        created = re.match(r"CREATE TABLE IF NOT EXISTS `default`\.(\w+)_local ", statement)
        if created:
            name = created.group(1)
            assert re.search(r"ENGINE = Replicated\w*MergeTree", statement), statement
            following = statements[index + 1]
            assert following.startswith(f"CREATE TABLE IF NOT EXISTS `default`.{name} ON CLUSTER"), name
            assert f"ENGINE = Distributed(`analytics`, `default`, {name}_local, rand())" in following
        elif statement.startswith("CREATE TABLE"):
            assert "ENGINE = Distributed(" in statement, (
                f"a table that is neither local nor Distributed: {statement}"
            )
        if statement.startswith("CREATE MATERIALIZED VIEW"):
            source = re.search(r"\bFROM `default`\.(\w+)", statement)
            assert source and source.group(1).endswith("_local"), (
                f"the view must read a local table: {statement}"
            )
            target = re.search(r"\bTO `default`\.(\w+)", statement)
            assert target and target.group(1) in local_tables, statement
        altered_table = re.match(r"ALTER TABLE `default`\.(\w+) ON CLUSTER", statement)
        if altered_table:
            table = altered_table.group(1)
            assert table.removesuffix("_local") in local_tables, statement
            if re.search(r"\b(ADD|MODIFY) COLUMN\b", statement):
                altered.setdefault(table.removesuffix("_local"), []).append(table)
    for table, names in altered.items():
        assert f"{table}_local" in names and table in names, f"{owner}: {table} altered on {names} only"


@pytest.mark.parametrize("owner", OWNERS)
def test_signal_owner_migrations_on_a_single_node(owner: str) -> None:
    for statement in _statements(owner, SINGLE_NODE):
        assert "ON CLUSTER" not in statement and "_local" not in statement, statement
        assert "Replicated" not in statement and "Distributed" not in statement, statement
        assert "$" not in statement and "@" not in statement, statement
