"""``inferwatch feedback import FILE`` and ``inferwatch feedback status``: ground truth from files.

Reads: a CSV or Parquet file (``gateway.feedback.file_import``); the config (``receivers.http.endpoint``,
``clickhouse.*``, ``feedback.*``). Writes: labels through the running gateway's ``POST /api/v1/feedback``,
else directly into ClickHouse with the same service (``gateway.cli.admin_access``); a progress bar and
messages on stderr; ``status`` prints to stdout (read-only, ``gateway.cli.sql_access``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from gateway.cli.admin_access import ApiCallFailed, call_gateway, open_direct_client
from gateway.cli.common import add_config_arguments, add_gateway_url_argument, load_or_exit
from gateway.cli.sql_access import GatewayNotAnswering, SqlSession, failure_message, gateway_url
from gateway.clock import SystemClock
from gateway.config import Config, format_duration
from gateway.feedback.file_import import FORMATS, ColumnMap, ImportFileError, open_label_file, read_batches
from gateway.feedback.subsystem import FEEDBACK_PATH, feedback_service, submit_document
from processors.feedback.status import ModelLabels, counts_query, render_table

IMPORT_HELP = """\
Import labels (the true outcome of earlier predictions) from a CSV or Parquet file. Each row is one label:
request_id, model, label_class or label_value, and optionally event_time (RFC 3339, a timestamp column, or
seconds since the epoch; empty: when imported). Labels join predictions by model and request id; a label
imported again, or corrected by a later import, counts once (the latest wins). docs/feedback.md.

Labels go through the running gateway (POST /api/v1/feedback); without one, straight into ClickHouse.

Examples:
  inferwatch feedback import labels.csv
  inferwatch feedback import outcomes.parquet --model fraud-detector --request-id-column txn_id \\
      --class-column is_fraud --event-time-column decided_at
"""

HELP = """\
Ground truth: import the true outcomes (labels) of earlier predictions, and see how many joined a
prediction. The gateway also takes labels over OTLP and POST /api/v1/feedback (docs/feedback.md).

Examples:
  inferwatch feedback import labels.csv
  inferwatch feedback status
  inferwatch feedback status --model fraud-detector --format json
"""

MAX_SHOWN_ERRORS = 10


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "feedback",
        help="ground truth: import labels, show how many joined",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="feedback_action", metavar="ACTION", required=True)

    importing = actions.add_parser(
        "import",
        help="import labels from a CSV or Parquet file",
        description=IMPORT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    importing.add_argument("file", type=Path, metavar="FILE", help="CSV (with a header) or Parquet file")
    importing.add_argument("--format", choices=FORMATS, help="file format (default: from the file name)")
    importing.add_argument("--model", "-m", metavar="NAME", help="one model for every row (no model column)")
    importing.add_argument(
        "--request-id-column", default="request_id", metavar="COL", help="default request_id"
    )
    importing.add_argument("--model-column", default="model", metavar="COL", help="default model")
    importing.add_argument("--class-column", default="label_class", metavar="COL", help="default label_class")
    importing.add_argument("--value-column", default="label_value", metavar="COL", help="default label_value")
    importing.add_argument(
        "--event-time-column", default="event_time", metavar="COL", help="default event_time"
    )
    importing.add_argument(
        "--batch-size", type=_positive, default=10_000, metavar="N", help="labels per request"
    )
    importing.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    add_gateway_url_argument(importing)
    add_config_arguments(importing)
    importing.set_defaults(run=run_import)

    status = actions.add_parser(
        "status",
        help="labels per model: matched, waiting for their prediction",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    status.add_argument("--model", "-m", metavar="NAME", help="only this model")
    status.add_argument("--format", "-f", choices=("table", "json"), default="table", help="output format")
    add_gateway_url_argument(status)
    add_config_arguments(status)
    status.set_defaults(run=run_status)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f'must be a whole number of at least 1, got "{text}"')
    return value


class ProgressBar:
    """``[#####.....]  50%  5,000/10,000 labels`` on one stderr line (redrawn only on a terminal)."""

    def __init__(self, total: int | None, stream: TextIO, enabled: bool = True) -> None:
        self.total, self.stream, self.enabled, self.done = total, stream, enabled, 0
        self.live = enabled and stream.isatty()

    def line(self) -> str:
        if not self.total:
            return f"{self.done:,} labels"
        share = min(self.done / self.total, 1.0)
        filled = round(share * 30)
        return f"[{'#' * filled}{'.' * (30 - filled)}] {share:4.0%}  {self.done:,}/{self.total:,} labels"

    def advance(self, count: int) -> None:
        self.done += count
        if self.live:
            self.stream.write("\r" + self.line())
            self.stream.flush()

    def finish(self) -> None:
        if self.enabled:
            self.total = max(self.total or 0, self.done)
            self.stream.write(("\r" if self.live else "") + self.line() + "\n")


class LabelSender:
    """Sends batches through the gateway when one answers at the first batch, else directly."""

    def __init__(self, config: Config, explicit_url: str | None) -> None:
        self.config = config
        self.url = gateway_url(config, explicit_url)
        self.explicit = bool(explicit_url)
        self.through_gateway: bool | None = None
        self._client: Any = None
        self._service: Any = None

    def send(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        document = {"labels": items, "source": "file"}
        if self.through_gateway is not False:
            answer = call_gateway(self.url, "POST", FEEDBACK_PATH, document)
            if answer is not None:
                self.through_gateway = True
                return answer
            if self.explicit or self.through_gateway:
                raise GatewayNotAnswering(self.url)
            self.through_gateway = False
            self._client = open_direct_client(self.config)
            self._service = feedback_service(self._client, self.config, SystemClock())
        return submit_document(self._service, document).document()

    def where(self) -> str:
        return f"through the gateway at {self.url}" if self.through_gateway else "directly into ClickHouse"

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def run_import(args: argparse.Namespace) -> int:
    config = load_or_exit(args)
    columns = ColumnMap(
        request_id=args.request_id_column,
        model_column=args.model_column,
        label_class=args.class_column,
        label_value=args.value_column,
        event_time=args.event_time_column,
        model=args.model,
    )
    try:
        label_file = open_label_file(args.file, args.format)
        batches = read_batches(label_file, columns, args.batch_size)
        progress = ProgressBar(label_file.rows, sys.stderr, enabled=not args.quiet)
        sender = LabelSender(config, args.url)
        accepted, errors, offset = 0, [], 0
        try:
            for batch in batches:
                answer = sender.send(batch)
                accepted += int(answer["accepted"])
                errors.extend((offset + int(e["index"]), e["message"]) for e in answer["errors"])
                offset += len(batch)
                progress.advance(len(batch))
        finally:
            sender.close()
        progress.finish()
    except ImportFileError as error:
        print(f"inferwatch: {error}", file=sys.stderr)
        return 2
    except ApiCallFailed as error:
        print(
            f"inferwatch: the gateway refused the labels ({error.status}): {error.message}", file=sys.stderr
        )
        return 1
    except Exception as error:  # boundary: gateway absent with --url, or storage could not be opened
        print(failure_message(error), file=sys.stderr)
        return 1
    row = 2 if label_file.format == "csv" else 1  # CSV line numbers count the header
    for index, message in errors[:MAX_SHOWN_ERRORS]:
        where = f"line {index + row}" if label_file.format == "csv" else f"row {index + row}"
        print(f"{args.file}: {where}: {message}", file=sys.stderr)
    if len(errors) > MAX_SHOWN_ERRORS:
        print(f"... and {len(errors) - MAX_SHOWN_ERRORS} more rejected rows", file=sys.stderr)
    print(f"imported {accepted:,} labels from {args.file} {sender.where()}", file=sys.stderr)
    if errors:
        print(
            f"inferwatch: {len(errors):,} rows rejected; fix them and import the file again "
            "(labels already imported count once)",
            file=sys.stderr,
        )
        return 1
    return 0


def run_status(args: argparse.Namespace) -> int:
    config = load_or_exit(args)
    sql, parameters = counts_query(args.model)
    session = SqlSession(config, args.url)
    try:
        data = session.run(sql, "json", parameters)
    except Exception as error:  # boundary: gateway absent, SQL failed, or storage could not be opened
        print(failure_message(error), file=sys.stderr)
        return 1
    finally:
        session.close()
    counts = [ModelLabels.from_row(json.loads(line)) for line in data.splitlines() if line.strip()]
    if args.model is not None and not counts:
        print(f"inferwatch: no labels for model {args.model!r} yet", file=sys.stderr)
    if args.format == "json":
        print(json.dumps([item.to_json() for item in counts], indent=2))
    else:
        sys.stdout.write(render_table(counts, format_duration(config.feedback.unmatched_retention)))
    return 0
