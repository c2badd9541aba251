"""``inferwatch drift --model NAME``: feature and prediction drift against the active baseline, now.

Reads: the active baselines and ``ml_features`` through the running gateway's query API, else a
read-only ClickHouse session (``gateway.cli.sql_access``); the config (``drift.*`` and what
``sql_access`` reads). Writes: stdout (the report), stderr (messages).
The report is computed on demand by the same code as the gateway's drift evaluation
(``gateway.drift.evaluation.drift_reports``), so it needs no scheduler and writes nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta, timezone

from gateway.cli.baseline_command import session_fetch
from gateway.cli.common import (
    add_config_arguments,
    add_gateway_url_argument,
    add_window_arguments,
    load_or_exit,
)
from gateway.cli.sql_access import SqlSession, failure_message
from gateway.clock import SystemClock
from gateway.drift.evaluation import drift_reports
from processors.drift.render import render_text, report_document

HELP = """\
Compares the window [until - since, until) of a model's inference events with the active baseline of
each of its versions: per feature the test (KS for numeric, chi-squared for categorical), statistic,
p-value (corrected across features, drift.correction), PSI and verdict, worst first; then prediction
drift (class shares, predicted values, confidence). A feature is drifted when its corrected p-value is
below drift.alpha AND its effect (normed Wasserstein / Jensen-Shannon) reaches the configured minimum.

Examples:
  inferwatch drift --model fraud-detector
  inferwatch drift --model fraud-detector --version 2.1.0 --since 24h --format json
  inferwatch drift --model fraud-detector --since 1h --until 2026-02-09T10:00:00Z

Statistics, bins and thresholds: docs/drift-statistics.md.
"""


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "drift",
        help="feature and prediction drift of a model against its active baseline",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", "-m", required=True, metavar="NAME", help="ml.model.name of the model")
    parser.add_argument("--version", metavar="V", help="only this ml.model.version (default: every version)")
    add_window_arguments(parser, timedelta(hours=1))
    parser.add_argument("--format", "-f", choices=("table", "json"), default="table", help="output format")
    add_gateway_url_argument(parser)
    add_config_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config = load_or_exit(args)
    if args.until is None:
        end = SystemClock().now_unix_nano()
    else:
        end = (args.until - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(microseconds=1) * 1000
    start = end - args.since // timedelta(microseconds=1) * 1000
    session = SqlSession(config, args.url)
    try:
        reports = drift_reports(
            session_fetch(session), config, start, end, model=args.model, version=args.version
        )
    except Exception as error:  # boundary: gateway absent, SQL failed, or storage could not be opened
        print(failure_message(error), file=sys.stderr)
        return 1
    finally:
        session.close()
    if not reports:
        which = f"{args.model} {args.version}" if args.version else args.model
        print(
            f"inferwatch: no active baseline for {which}; create one with `inferwatch baseline create "
            f"--model {args.model} --version V --from FILE --activate`",
            file=sys.stderr,
        )
        return 1
    if args.format == "json":
        print(
            json.dumps(
                {"reports": [report_document(report) for report in reports]}, indent=2, allow_nan=False
            )
        )
    else:
        for index, report in enumerate(reports):
            if index:
                print()
            sys.stdout.write(render_text(report))
    return 0
