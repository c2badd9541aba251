"""``inferwatch quality``: a model's data-quality dashboard, and ``inferwatch quality check FILE…``.

Reads: ``ml_quality`` and ``ml_quality_violations`` through the running gateway's query API, else a
read-only ClickHouse session (``gateway.cli.sql_access``); the rule files named on the command line
(``check``). Writes: stdout (the dashboard or the report), stderr (messages). Exit status: 0 ok, 1 no
data / invalid rule files, 2 usage errors (an unreadable file, a bad config).
The SQL and the rendering are ``processors.quality.queries`` / ``report``; this module fetches and prints.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from pathlib import Path

from gateway.cli.common import (
    add_config_arguments,
    add_gateway_url_argument,
    add_window_arguments,
    load_or_exit,
)
from gateway.cli.file_check import check_files
from gateway.cli.sql_access import SqlSession, failure_message
from gateway.clock import SystemClock
from gateway.config import format_duration
from gateway.config.paths import yaml_file_paths
from processors.quality import QualityLoadError, load_quality_rules
from processors.quality import queries as sql
from processors.quality.report import quality_document, render_text

HELP = """\
The data-quality dashboard of one model, as the gateway's quality task last evaluated it: completeness,
accuracy, consistency, timeliness and validity with their targets and a status (✓ met, ⚠ below target,
✗ below the critical level, n/a nothing to measure), then the most violated rules with sample records
(values of pii fields hashed with HMAC-SHA256).

Examples:
  inferwatch quality --model fraud-detector
  inferwatch quality --model fraud-detector --since 6h --format json
  inferwatch quality check deploy/quality/          (validate rule files)

The gateway evaluates models that have a rule file (quality.rule_files). Rule format and metric
definitions: docs/data-quality.md.
"""

CHECK_HELP = """\
Check data-quality rule files: YAML syntax, keys, types, ranges, patterns, regular expressions and the
expressions of cross-field checks. Every error is printed as FILE:LINE:COLUMN: message.

Examples:
  inferwatch quality check deploy/quality/fraud-detector.yaml
  inferwatch quality check deploy/quality/          (every *.yaml / *.yml in the directory)

Exit status: 0 all files valid, 1 a file has errors, 2 a file could not be read.
"""


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "quality",
        help="data-quality dashboard of a model; check quality rule files",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", "-m", metavar="NAME", help="ml.model.name of the model")
    add_window_arguments(
        parser,
        timedelta(hours=1),
        until=False,
        since_help="show the latest window that ended within this long (default 1h)",
    )
    parser.add_argument("--format", "-f", choices=("table", "json"), default="table", help="output format")
    parser.add_argument("--top", type=int, default=10, metavar="N", help="violated rules shown (default 10)")
    add_gateway_url_argument(parser)
    add_config_arguments(parser)
    parser.set_defaults(run=run)
    actions = parser.add_subparsers(dest="quality_action", metavar="ACTION")
    check = actions.add_parser(
        "check",
        help="validate rule files and report every error as FILE:LINE:COLUMN",
        description=CHECK_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("files", nargs="+", metavar="FILE", help="rule file (YAML) or directory of rule files")
    check.add_argument("--format", "-f", choices=("text", "json"), default="text", help="output format")
    check.set_defaults(run=run_check)


def _check(path: Path) -> dict:
    """{file, model, fields, checks, errors} of one readable file; OSError when it cannot be read."""
    raw = path.read_bytes()
    report: dict = {"file": str(path), "model": None, "fields": 0, "checks": 0, "errors": []}
    try:
        rules = load_quality_rules(raw.decode("utf-8"), str(path))
    except UnicodeDecodeError as error:
        report["errors"] = [f"{path}:1:1: not UTF-8 text: {error.reason}"]
    except QualityLoadError as error:
        report["errors"] = [str(problem) for problem in error.errors]
    else:
        report.update(model=rules.model, fields=len(rules.fields), checks=len(rules.checks))
    return report


def run_check(args: argparse.Namespace) -> int:
    return check_files(
        yaml_file_paths(args.files),
        _check,
        lambda report: f"model {report['model']}, {report['fields']} fields, {report['checks']} checks",
        args.format,
        "inferwatch quality check deploy/quality/",
    )


def _rows(session: SqlSession, text: str, parameters: dict) -> list[dict]:
    data = session.run(text, "json", parameters)
    return [json.loads(line) for line in data.splitlines() if line.strip()]


def run(args: argparse.Namespace) -> int:
    if not args.model:
        print(
            "inferwatch: quality needs --model NAME (the dashboard of one model) "
            "or the check action: inferwatch quality check FILE",
            file=sys.stderr,
        )
        return 2
    config = load_or_exit(args)
    since = SystemClock().now_unix_nano() - int(args.since.total_seconds() * 1e9)
    session = SqlSession(config, args.url)
    try:
        metric_rows = _rows(
            session,
            sql.LATEST_METRICS,
            {"model": args.model, "since": since},
        )
        violation_rows: list[dict] = []
        if metric_rows:
            violation_rows = _rows(
                session,
                sql.WINDOW_VIOLATIONS,
                {"model": args.model, "window_end": metric_rows[0]["window_end"], "limit": args.top},
            )
        known = [] if metric_rows else [row["ModelName"] for row in _rows(session, sql.KNOWN_MODELS, {})]
    except Exception as error:  # boundary: gateway absent, SQL failed, or storage could not be opened
        print(failure_message(error), file=sys.stderr)
        return 1
    finally:
        session.close()
    if not metric_rows:
        others = f" Models with quality results: {', '.join(known)}." if known else ""
        print(
            f"inferwatch: no data-quality results for model {args.model!r} in the last "
            f"{format_duration(args.since)}. The gateway evaluates models that have a rule file in "
            f"quality.rule_files, every quality.interval.{others}",
            file=sys.stderr,
        )
        return 1
    document = quality_document(args.model, metric_rows, violation_rows)
    if args.format == "json":
        print(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(render_text(document))
    return 0
