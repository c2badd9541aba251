"""The drift migrations (processors/drift/sql) as rendered for a single node and for a cluster."""

from __future__ import annotations

import processors.drift.tables as drift_tables
import processors.ml.tables as ml_tables
from gateway.app import schema_migrations
from gateway.storage.ddl import Target, render


def statements(target: Target) -> list[str]:
    rendered = []
    for migration in drift_tables.migrations():
        assert migration.owner == "drift"
        rendered += [" ".join(s.split()) for s in render(migration.template, target, ml_tables.all_macros())]
    return rendered


def test_versions_and_registration():
    assert [(m.version, m.name) for m in drift_tables.migrations()] == [(1, "baselines")]
    assert [m for m in schema_migrations() if m.owner == "drift"] == drift_tables.migrations()


def test_single_node():
    found = statements(Target("obs"))
    assert len(found) == 2
    assert found[0].startswith("CREATE TABLE IF NOT EXISTS `obs`.ml_baselines (")
    assert "ENGINE = ReplacingMergeTree(CreatedAt) ORDER BY (ModelName, ModelVersion, BaselineId)" in found[0]
    assert found[1].startswith("CREATE TABLE IF NOT EXISTS `obs`.ml_baseline_activations (")
    assert "ActivatedAt DateTime64(9)" in found[1] and "ENGINE = MergeTree" in found[1]


def test_cluster_has_replicated_local_tables_and_distributed_ones_over_them():
    found = statements(Target("obs", "prod"))
    local = [s for s in found if "ENGINE = Distributed" not in s]
    assert [s.split(" ON CLUSTER")[0] for s in local] == [
        "CREATE TABLE IF NOT EXISTS `obs`.ml_baselines_local",
        "CREATE TABLE IF NOT EXISTS `obs`.ml_baseline_activations_local",
    ]
    assert all("Replicated" in s for s in local)
    distributed = [s for s in found if "ENGINE = Distributed" in s]
    assert len(distributed) == 2 and all("ON CLUSTER `prod`" in s for s in distributed)
