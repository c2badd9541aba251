"""LabelStore.delete_unmatched on a cluster: the DELETE runs on the local tables of every shard."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from gateway.feedback.store import LabelStore


class _RecordingClient:
    """Answers the count with one expired label and records the statements it is given."""

    def __init__(self) -> None:
        self.commands: list[tuple[str, dict[str, Any]]] = []

    def query(self, sql: str, parameters: dict[str, Any]) -> SimpleNamespace:
        return SimpleNamespace(result_rows=[(1,)])

    def command(self, sql: str, parameters: dict[str, Any]) -> None:
        self.commands.append((sql, parameters))


def test_delete_on_a_cluster_targets_the_qualified_local_table_and_escapes_the_cluster_name() -> None:
    client = _RecordingClient()
    assert LabelStore(client, cluster="prod`; DROP TABLE x; --", database="obs").delete_unmatched(123) == 1
    ((sql, parameters),) = client.commands
    assert "DELETE FROM `obs`.ml_labels_local ON CLUSTER `prod\\`; DROP TABLE x; --`" in sql
    # The DDL worker of each host runs it in its own default database: every name is qualified.
    assert "FROM `obs`.ml_requests" in sql
    assert parameters == {"cutoff": 123}


def test_delete_on_a_single_node_has_no_cluster_clause() -> None:
    client = _RecordingClient()
    LabelStore(client).delete_unmatched(123)
    ((sql, _),) = client.commands
    assert "DELETE FROM ml_labels " in sql and "FROM ml_requests" in sql and "ON CLUSTER" not in sql
