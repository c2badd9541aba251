"""``inferwatch signals --model NAME``: the operations dashboard of one model, in the terminal.

Reads: the ML signal tables through the running gateway's query API, else a read-only ClickHouse
session (``gateway.cli.sql_access``); the config (``ml.low_confidence_threshold`` and what
``sql_access`` reads). Writes: stdout (the dashboard), stderr (messages).
The SQL, the shaping and the rendering are ``processors.ml.signals``; this module fetches and prints.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta, timezone

from gateway.cli.common import (
    add_config_arguments,
    add_gateway_url_argument,
    add_window_arguments,
    load_or_exit,
)
from gateway.cli.sql_access import SqlSession, failure_message
from gateway.clock import SystemClock
from processors.ml import signals

HELP = """\
What an operations dashboard shows for one model over a window of time: latency percentiles per stage
and version, throughput (requests/s, failures, timeouts, peak concurrency, queue depth), error classes
with the error-rate tier (ok <= 1% < warning <= 5% < critical <= 10% < emergency), predictions
(classes, value statistics, confidence) and the versions rolled out in the 24 h before the window end.

Examples:
  inferwatch signals --model fraud-detector
  inferwatch signals --model fraud-detector --since 15m --version 2.2.0
  inferwatch signals --model fraud-detector --since 1d --until 2026-02-09T10:00:00Z --format json

Every signal and its SQL: docs/signals.md.
"""


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f'must be a number in [0, 1], got "{text}"')
    return value


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "signals",
        help="latency, throughput, errors, predictions and deployments of one model",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", "-m", required=True, metavar="NAME", help="ml.model.name of the model")
    parser.add_argument("--version", metavar="V", help="only this ml.model.version (default: all versions)")
    add_window_arguments(parser, timedelta(hours=1))
    parser.add_argument("--format", "-f", choices=("table", "json"), default="table", help="output format")
    parser.add_argument(
        "--low-confidence",
        type=_share,
        default=None,
        metavar="P",
        help="confidence below which a prediction is low-confidence (default: ml.low_confidence_threshold)",
    )
    add_gateway_url_argument(parser)
    add_config_arguments(parser)
    parser.set_defaults(run=run)


def _rows(session: SqlSession, query: signals.Query) -> list[dict]:
    data = session.run(query.sql, "json", query.parameters)
    return [json.loads(line) for line in data.splitlines() if line.strip()]


def _unknown_model(model: str, known: list[str]) -> str:
    if not known:
        return f"inferwatch: unknown model {model!r}: no model has reported requests yet"
    suggestions = ", ".join(signals.suggest_models(model, known))
    return f"inferwatch: unknown model {model!r}. Known models: {suggestions}"


def run(args: argparse.Namespace) -> int:
    config = load_or_exit(args)
    if args.until is None:
        end = SystemClock().now_unix_nano()
    else:
        end = (args.until - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(microseconds=1) * 1000
    threshold = config.ml.low_confidence_threshold if args.low_confidence is None else args.low_confidence
    request = signals.SignalsRequest(
        args.model, signals.Window.ending(end, args.since), args.version, threshold
    )
    session = SqlSession(config, args.url)
    try:
        known = [row["model"] for row in _rows(session, signals.known_models_query())]
        if args.model not in known:
            print(_unknown_model(args.model, known), file=sys.stderr)
            return 1
        rows = {name: _rows(session, query) for name, query in signals.build_queries(request).items()}
    except Exception as error:  # boundary: gateway absent, SQL failed, or storage could not be opened
        print(failure_message(error), file=sys.stderr)
        return 1
    finally:
        session.close()
    result = signals.shape_signals(request, rows)
    if args.format == "json":
        if not result.has_data:
            print(f"inferwatch: {signals.no_data_message(result)}", file=sys.stderr)
        print(json.dumps(result.to_json(), indent=2, allow_nan=False))
    else:
        sys.stdout.write(signals.render_text(result))
    return 0
