"""``inferwatch performance --model NAME``: metrics, baselines, status, confusion matrix, calibration,
estimated accuracy and recorded retraining triggers of one model, computed on demand.

Reads: ``ml_labeled_predictions``, ``ml_features`` and ``ml_retraining_triggers`` through the running
gateway's query API, else a read-only ClickHouse session (``gateway.cli.sql_access``); the config
(``performance.{thresholds, models, min_samples, calibration_bins}``). Writes: stdout, stderr.
The metrics are ``processors.performance.evaluation`` — the same code the gateway's task runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np

from gateway.cli.common import (
    add_config_arguments,
    add_gateway_url_argument,
    add_window_arguments,
    load_or_exit,
)
from gateway.cli.sql_access import SqlSession, failure_message
from gateway.clock import SystemClock
from gateway.config import format_duration
from gateway.performance import reads
from gateway.performance.retraining import read_records
from gateway.performance.windows_task import positive_class_for, thresholds_for
from processors.performance.estimation import AccuracyEstimate
from processors.performance.evaluation import LabeledPredictions, evaluate
from processors.performance.report import render_text, report_document

HELP = """\
Model performance from the labelled predictions of a trailing window: accuracy, precision, recall,
F1, AUC, calibration error (classifiers), MAE, RMSE, R², MAPE (regressors), each against its baseline
and warning/critical thresholds (performance.thresholds), the confusion matrix, the reliability table,
the accuracy estimated from confidences before labels arrive (CBPE), and fired retraining triggers.

Examples:
  inferwatch performance --model fraud-detector
  inferwatch performance --model fraud-detector --version 2.1.0 --since 1d --format json

Definitions: docs/performance-metrics.md.
"""


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "performance",
        help="accuracy, F1, calibration ... of one model against its baselines",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", "-m", required=True, metavar="NAME", help="ml.model.name of the model")
    parser.add_argument(
        "--version", metavar="V", default="", help="only this ml.model.version (default: all)"
    )
    add_window_arguments(parser, timedelta(days=7), until=False)
    parser.add_argument("--format", "-f", choices=("table", "json"), default="table", help="output format")
    add_gateway_url_argument(parser)
    add_config_arguments(parser)
    parser.set_defaults(run=run)


class _SessionRows:
    """``reads.RowSource`` over the CLI's read-only session (JSONEachRow keeps column order)."""

    def __init__(self, session: SqlSession) -> None:
        self.session = session

    def rows(self, sql: str, parameters: dict[str, Any]) -> Sequence[Sequence[Any]]:
        data = self.session.run(sql, "json", parameters)
        return [list(json.loads(line).values()) for line in data.splitlines() if line.strip()]


def _iso(unix_nano: int) -> str:
    return (
        datetime.fromtimestamp(unix_nano / 1e9, tz=timezone.utc)
        .isoformat(timespec="seconds")
        .replace("+00:00", "Z")
    )


def run(args: argparse.Namespace) -> int:
    config = load_or_exit(args)
    performance = config.performance
    end = SystemClock().now_unix_nano()
    start = end - args.since // timedelta(microseconds=1) * 1000
    session = SqlSession(config, args.url)
    source = _SessionRows(session)
    try:
        labelled = reads.labeled_predictions(source, start, end, args.model, args.version)
        estimates = reads.confidence_estimates(source, start, end, end, args.model, args.version)
        records = read_records(source, args.model)
    except Exception as error:  # boundary: gateway absent, SQL failed, or storage could not be opened
        print(failure_message(error), file=sys.stderr)
        return 1
    finally:
        session.close()
    parts = list(labelled.values())
    data = (
        LabeledPredictions(
            *(
                np.concatenate([getattr(part, name) for part in parts])
                for name in LabeledPredictions.__dataclass_fields__
            )
        )
        if parts
        else LabeledPredictions.from_rows([])
    )
    result = evaluate(data, positive_class_for(performance, args.model), performance.calibration_bins)
    estimate = AccuracyEstimate.combine(list(estimates.values()))
    header = {
        "model": args.model,
        "version": args.version or None,
        "versions": sorted(version for _, version in labelled),
        "start": _iso(start),
        "end": _iso(end),
    }
    triggers = [
        {
            **record.document(),
            "delivered": record.delivered,
            "state": record.state,
            "attempts": record.attempts,
            "last_error": record.last_error,
        }
        for record in records
        if not args.version or record.version == args.version
    ]
    document = report_document(
        result, thresholds_for(performance, args.model), performance.min_samples, estimate, header, triggers
    )
    if not document["labelled_predictions"]:
        print(
            f"inferwatch: no labelled predictions of {args.model!r} "
            f"in the last {format_duration(args.since)}; "
            "send labels (inferwatch feedback import, FeedbackService or ml.feedback logs) or widen --since",
            file=sys.stderr,
        )
    if args.format == "json":
        print(json.dumps(document, indent=2, allow_nan=False))
    else:
        sys.stdout.write(render_text(document))
    return 0
