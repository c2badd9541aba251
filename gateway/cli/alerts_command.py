"""``inferwatch alerts``: the alerts now pending, firing or recently resolved, and the recent transitions.

Reads: ``ml_alert_state`` (the evaluator's latest state of every rule) and ``ml_alerts`` (the history of
transitions) through the running gateway's query API, else a read-only ClickHouse session
(``gateway.cli.sql_access``). Writes: stdout, stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta, timezone
from typing import Any

from gateway.cli.common import add_config_arguments, add_gateway_url_argument, load_or_exit, window_argument
from gateway.cli.sql_access import SqlSession, failure_message
from gateway.clock import SystemClock
from gateway.config import format_duration
from processors.alerting.opsgenie import format_value

STATES = ("pending", "firing", "resolved")
HELP = """\
The alert instances (one per rule and label set) that are pending (condition true, waiting for `for`),
firing, or resolved within alerting.resolved_retention, and the state changes of the last --since.

Examples:
  inferwatch alerts
  inferwatch alerts --state firing
  inferwatch alerts --since 7d --format json

How rules are evaluated: docs/alert-rules.md.
"""

STATE_SQL = """
SELECT RuleId AS rule_id, argMax(State, UpdatedAt) AS state
FROM ml_alert_state GROUP BY RuleId ORDER BY RuleId"""
HISTORY_SQL = """
SELECT toUnixTimestamp64Milli(At) AS at_ms, RuleId AS rule_id, Rule AS rule, Severity AS severity,
       Labels AS labels, FromState AS from_state, ToState AS to_state, Value AS value, Muted AS muted
FROM ml_alerts
WHERE At >= fromUnixTimestamp64Milli({since_ms:Int64})
ORDER BY At DESC, RuleId
LIMIT 1000"""


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "alerts",
        help="active and recent alerts",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--state", choices=STATES, help="only alerts in this state (transitions into it)")
    parser.add_argument(
        "--since",
        type=window_argument,
        default=timedelta(days=1),
        metavar="DURATION",
        help="history (default 1d)",
    )
    parser.add_argument("--format", "-f", choices=("table", "json"), default="table", help="output format")
    add_gateway_url_argument(parser)
    add_config_arguments(parser)
    parser.set_defaults(run=run)


def _rows(session: SqlSession, sql: str, parameters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    data = session.run(sql.strip(), "json", parameters)
    return [json.loads(line) for line in data.splitlines() if line.strip()]


def _time(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def active_alerts(state_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per stored instance of every rule, most severe first."""
    alerts = []
    for row in state_rows:
        document = json.loads(row["state"])
        for instance in document.get("instances", []):
            since = instance["fired_at"] if instance["state"] == "firing" else instance["active_at"]
            if instance["state"] == "resolved":
                since = instance["resolved_at"]
            alerts.append(
                {
                    "state": instance["state"],
                    "rule_id": row["rule_id"],
                    "rule": document.get("alert", row["rule_id"].rpartition("/")[2]),
                    "severity": document.get("severity", ""),
                    "labels": instance["labels"],
                    "value": instance["value"],
                    "since": _time(since),
                    "active_at": _time(instance["active_at"]),
                    "notified_at": _time(instance.get("last_sent_at")),
                }
            )
    order = {"firing": 0, "pending": 1, "resolved": 2}
    return sorted(
        alerts, key=lambda a: (order[a["state"]], a["severity"], a["rule_id"], sorted(a["labels"].items()))
    )


def _labels(labels: dict[str, str]) -> str:
    return ",".join(f"{name}={value}" for name, value in sorted(labels.items()))


def _table(rows: list[tuple[Any, ...]], header: tuple[str, ...]) -> None:
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)).rstrip())


def _value(value: object) -> str:
    """Four significant digits for the table (JSON keeps the full value)."""
    return format_value(float(value)) if isinstance(value, (int, float, str)) else str(value)


def run(args: argparse.Namespace) -> int:
    config = load_or_exit(args)
    now = SystemClock().now_unix_nano() / 1e9
    session = SqlSession(config, args.url)
    try:
        states = _rows(session, STATE_SQL)
        since_ms = int((now - args.since.total_seconds()) * 1000)
        history = _rows(session, HISTORY_SQL, {"since_ms": since_ms})
    except Exception as error:  # boundary: gateway absent, SQL failed, or storage could not be opened
        if "ml_alert_state" in str(error) or "ml_alerts" in str(error):
            print(
                "inferwatch: no alert tables in this storage yet: start `inferwatch serve` with this config "
                "once (it creates them), or pass --url of a running gateway.",
                file=sys.stderr,
            )
        else:
            print(failure_message(error), file=sys.stderr)
        return 1
    finally:
        session.close()
    active = [a for a in active_alerts(states) if args.state in (None, a["state"])]
    transitions = [
        {**row, "at": _time(int(row.pop("at_ms")) / 1000), "value": float(row["value"])}
        for row in history
        if args.state in (None, row["to_state"])
    ]
    if args.format == "json":
        print(json.dumps({"active": active, "transitions": transitions}, indent=2))
        return 0
    print("Active alerts" if active else "Active alerts: none")
    if active:
        _table(
            [
                (
                    a["state"],
                    a["severity"],
                    a["rule_id"],
                    _labels(a["labels"]),
                    _value(a["value"]),
                    a["since"],
                )
                for a in active
            ],
            ("STATE", "SEVERITY", "RULE", "LABELS", "VALUE", "SINCE"),
        )
    print(f"\nTransitions in the last {format_duration(args.since)}" + ("" if transitions else ": none"))
    if transitions:
        _table(
            [
                (
                    t["at"],
                    t["severity"],
                    t["rule_id"],
                    _labels(t["labels"]),
                    f"{t['from_state']} -> {t['to_state']}",
                    _value(t["value"]),
                    t["muted"],
                )
                for t in transitions
            ],
            ("AT", "SEVERITY", "RULE", "LABELS", "CHANGE", "VALUE", "MUTED"),
        )
    return 0
