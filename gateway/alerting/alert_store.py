"""Alert state, history and silences in ClickHouse.

Reads/writes: ``ml_alert_state`` (the latest ``RuleState`` JSON per rule id, restored at start),
``ml_alerts`` (one row per transition), ``ml_silences`` (one row per change of a silence; the newest
row of an id wins). Tables: ``processors/alerting/sql/0001_alerts.sql``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from processors.alerting.silences import Silence

TRANSITION_COLUMNS = (
    "At",
    "RuleId",
    "Rule",
    "Severity",
    "ModelName",
    "Labels",
    "FromState",
    "ToState",
    "Value",
    "Expr",
    "Summary",
    "Muted",
)


def _time(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def load_states(client: Any) -> dict[str, dict[str, Any]]:
    """The latest stored state document of every rule id."""
    result = client.query("SELECT RuleId, argMax(State, UpdatedAt) FROM ml_alert_state GROUP BY RuleId")
    return {rule_id: json.loads(state) for rule_id, state in result.result_rows}


def save_states(client: Any, states: Mapping[str, Mapping[str, Any]], at: float) -> None:
    if states:
        rows = [[rule_id, _time(at), json.dumps(state, sort_keys=True)] for rule_id, state in states.items()]
        client.insert("ml_alert_state", rows, column_names=["RuleId", "UpdatedAt", "State"])


@dataclass(frozen=True)
class TransitionRow:
    at: float
    rule_id: str
    rule: str
    severity: str
    labels: Mapping[str, str]
    from_state: str
    to_state: str
    value: float
    expr: str
    summary: str
    muted: str = ""

    def row(self) -> list[Any]:
        return [
            _time(self.at),
            self.rule_id,
            self.rule,
            self.severity,
            self.labels.get("model", ""),
            dict(self.labels),
            self.from_state,
            self.to_state,
            float(self.value),
            self.expr,
            self.summary,
            self.muted,
        ]


def record_transitions(client: Any, transitions: Iterable[TransitionRow]) -> int:
    rows = [transition.row() for transition in transitions]
    if rows:
        client.insert("ml_alerts", rows, column_names=list(TRANSITION_COLUMNS))
    return len(rows)


def save_silence(client: Any, silence: Silence, at: float) -> None:
    matchers = json.dumps([matcher.to_dict() for matcher in silence.matchers])
    client.insert(
        "ml_silences",
        [
            [
                silence.id,
                _time(at),
                _time(silence.starts_at),
                _time(silence.ends_at),
                silence.created_by,
                silence.comment,
                matchers,
            ]
        ],
        column_names=["Id", "UpdatedAt", "StartsAt", "EndsAt", "CreatedBy", "Comment", "Matchers"],
    )


def load_silences(
    client: Any, ending_after: float | None = None, silence_id: str | None = None
) -> list[Silence]:
    """Silences (their newest version) that end after ``ending_after`` (all when None), oldest first."""
    having, where, parameters = "", "", {}
    if ending_after is not None:
        having = "HAVING ends_ms > {after_ms:Int64}"
        parameters["after_ms"] = int(ending_after * 1000)
    if silence_id is not None:
        where = "WHERE Id = {id:String}"
        parameters["id"] = silence_id
    # A change only ever ends a silence earlier, so of rows written in the same millisecond (added and
    # expired at once) the earlier end is the newer one; argMax on UpdatedAt alone picks either.
    sql = f"""
SELECT Id, toUnixTimestamp64Milli(argMax(StartsAt, version_)) AS starts_ms,
       toUnixTimestamp64Milli(argMax(EndsAt, version_)) AS ends_ms, argMax(CreatedBy, version_),
       argMax(Comment, version_), argMax(Matchers, version_)
FROM (SELECT *, (UpdatedAt, -toUnixTimestamp64Milli(EndsAt)) AS version_ FROM ml_silences {where})
GROUP BY Id {having}
ORDER BY starts_ms, Id"""
    rows = client.query(sql, parameters=parameters)
    silences = []
    for silence_id_, starts_ms, ends_ms, created_by, comment, matchers in rows.result_rows:
        silences.append(
            Silence.from_dict(
                {
                    "id": silence_id_,
                    "matchers": json.loads(matchers),
                    "starts_at": starts_ms / 1000,
                    "ends_at": ends_ms / 1000,
                    "created_by": created_by,
                    "comment": comment,
                }
            )
        )
    return silences
