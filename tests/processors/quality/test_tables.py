"""Tests of the quality migrations (processors/quality/sql) as rendered for a single node and a cluster."""

from __future__ import annotations

import processors.ml.tables as ml_tables
import processors.quality as quality
from gateway.storage.ddl import Target, render


def statements(target: Target) -> list[str]:
    rendered = []
    for migration in quality.migrations():
        assert migration.owner == "quality"
        rendered += [" ".join(s.split()) for s in render(migration.template, target, ml_tables.all_macros())]
    return rendered


def test_versions_in_order():
    assert [(m.version, m.name) for m in quality.migrations()] == [
        (1, "violations"),
        (2, "received_at"),
        (3, "received_at_default"),
        (4, "received_at_index"),
    ]


def test_cluster_alters_the_local_tables_and_the_distributed_one():
    found = statements(Target("obs", "prod", {"ml": 86400}))
    received = [s for s in found if "ReceivedAt" in s]
    assert received == [
        "ALTER TABLE `obs`.ml_features_local ON CLUSTER `prod` "
        "ADD COLUMN IF NOT EXISTS ReceivedAt DateTime64(3) DEFAULT toDateTime64(0, 3)",
        "ALTER TABLE `obs`.ml_features_local ON CLUSTER `prod` "
        "MATERIALIZE COLUMN ReceivedAt SETTINGS mutations_sync = 2",
        "ALTER TABLE `obs`.ml_features ON CLUSTER `prod` "
        "ADD COLUMN IF NOT EXISTS ReceivedAt DateTime64(3) DEFAULT toDateTime64(0, 3)",
        "ALTER TABLE `obs`.ml_features_local ON CLUSTER `prod` MODIFY COLUMN ReceivedAt DEFAULT now64(3)",
        "ALTER TABLE `obs`.ml_features ON CLUSTER `prod` MODIFY COLUMN ReceivedAt DEFAULT now64(3)",
        "ALTER TABLE `obs`.ml_features_local ON CLUSTER `prod` "
        "ADD INDEX IF NOT EXISTS received_at_minmax ReceivedAt TYPE minmax GRANULARITY 1",
    ]
    violations = [s for s in found if "ml_quality_violations" in s]
    assert violations[0].startswith(
        "CREATE TABLE IF NOT EXISTS `obs`.ml_quality_violations_local ON CLUSTER `prod`"
    )
    assert "ENGINE = ReplicatedReplacingMergeTree(EvaluatedAt)" in violations[0]
    assert "TTL toDateTime(WindowEnd) + toIntervalSecond(86400)" in violations[0]
    assert violations[1] == (
        "CREATE TABLE IF NOT EXISTS `obs`.ml_quality_violations ON CLUSTER `prod` AS "
        "`obs`.ml_quality_violations_local "
        "ENGINE = Distributed(`prod`, `obs`, ml_quality_violations_local, rand())"
    )


def test_single_node_names_the_one_table():
    found = statements(Target("default"))
    assert all("_local" not in s and "ON CLUSTER" not in s for s in found)
    assert found[1] == (
        "ALTER TABLE `default`.ml_features "
        "ADD COLUMN IF NOT EXISTS ReceivedAt DateTime64(3) DEFAULT toDateTime64(0, 3)"
    )
