"""``inferwatch baseline create|list|show|activate``: the drift baselines of model versions.

Reads: a reference file (CSV, JSON lines, Parquet) or a stored window; baselines through the running
gateway's query API, else a read-only session (``gateway.cli.sql_access``). Writes: new baselines and
activations through the gateway's ``/api/v1/baselines`` routes, else directly into ClickHouse
(``gateway.cli.admin_access``); progress on stderr, results on stdout. Config keys: ``drift.bins``,
``drift.top_k``, ``drift.reservoir_size``, ``drift.max_window_baseline_rows`` and what
``sql_access``/``admin_access`` read.

A file is profiled here, chunk by chunk, and only its profile travels to the gateway; a window is
profiled by the gateway (or the direct client) where the data is.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from gateway.cli.admin_access import ApiCallFailed, call_gateway, through_gateway_or_direct
from gateway.cli.common import add_config_arguments, add_gateway_url_argument, instant_argument, load_or_exit
from gateway.cli.sql_access import GatewayNotAnswering, SqlSession, failure_message
from gateway.clock import SystemClock
from gateway.config import Config
from gateway.drift.evaluation import profile_options
from gateway.drift.files import ReferenceFileError, read_chunks
from gateway.drift.store import (
    BaselineNotFound,
    BaselineRecord,
    BaselineRequestError,
    activate_baseline,
    create_baseline,
    find_baselines,
)
from processors.drift.baseline import PREDICTION_KINDS, BaselineBuilder, ColumnRoles
from processors.drift.profile import FeatureProfile
from processors.drift.render import text_table
from processors.drift.window_queries import Fetch

HELP = """\
Baselines are what drift is measured against: per feature its type, count, missing rate, moments,
quantiles, PSI bins, top categories and a reservoir sample; the same for predictions and confidence.
One baseline per model version is active; `inferwatch drift` and the gateway's drift evaluation use it.

Examples:
  inferwatch baseline create --model fraud-detector --version 2.1.0 --from training.parquet --activate
  inferwatch baseline create --model fraud-detector --version 2.1.0 --from reference.csv \\
      --prediction-column label --confidence-column proba --exclude transaction_id
  inferwatch baseline create --model fraud-detector --version 2.1.0 \\
      --from-window 2026-02-01T00:00:00Z/2026-02-08T00:00:00Z --activate
  inferwatch baseline list --model fraud-detector
  inferwatch baseline show --model fraud-detector --version 2.1.0
  inferwatch baseline activate 3f2a9c1b7d4e

More: docs/drift-statistics.md.
"""


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "baseline",
        help="create, list, show and activate drift baselines",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    # each action shows the command's help (it has an example of every action)
    _described: dict[str, Any] = {
        "description": HELP,
        "formatter_class": argparse.RawDescriptionHelpFormatter,
    }

    create = actions.add_parser(
        "create", help="profile a file or a stored window into a new baseline", **_described
    )
    create.add_argument("--model", "-m", required=True, metavar="NAME", help="ml.model.name")
    create.add_argument("--version", required=True, metavar="V", help="ml.model.version")
    source = create.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--from", dest="from_file", type=Path, metavar="FILE", help="CSV, JSON lines or Parquet"
    )
    source.add_argument(
        "--from-window", metavar="START/END", help="stored traffic, ISO 8601 times (END may be now)"
    )
    create.add_argument("--activate", action="store_true", help="make it the active baseline of the version")
    create.add_argument(
        "--prediction-column", default="prediction", metavar="COL", help="default: prediction"
    )
    create.add_argument(
        "--prediction-kind",
        choices=PREDICTION_KINDS,
        default="auto",
        help="class (labels) or value (regression); auto: value when a number has a fraction",
    )
    create.add_argument(
        "--confidence-column", default="confidence", metavar="COL", help="default: confidence"
    )
    create.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="COL",
        help="a column that is not a feature (repeatable)",
    )
    create.add_argument(
        "--format-in", choices=("csv", "jsonl", "parquet"), help="file type (default: by suffix)"
    )
    _common(create)
    create.set_defaults(run=run_create)

    listing = actions.add_parser("list", help="stored baselines, newest revision first", **_described)
    listing.add_argument("--model", "-m", metavar="NAME", help="only this model")
    listing.add_argument("--format", "-f", choices=("table", "json"), default="table")
    _common(listing)
    listing.set_defaults(run=run_list)

    show = actions.add_parser(
        "show", help="one baseline's profile (by id, or the active one of a version)", **_described
    )
    show.add_argument("id", nargs="?", metavar="ID", help="baseline id (inferwatch baseline list)")
    show.add_argument("--model", "-m", metavar="NAME", help="without ID: the active baseline of this model")
    show.add_argument("--version", metavar="V", help="... and this version")
    show.add_argument("--format", "-f", choices=("table", "json"), default="table")
    _common(show)
    show.set_defaults(run=run_show)

    activate = actions.add_parser(
        "activate", help="make a baseline the active one of its model version", **_described
    )
    activate.add_argument("id", metavar="ID", help="baseline id (inferwatch baseline list)")
    _common(activate)
    activate.set_defaults(run=run_activate)


def _common(parser: argparse.ArgumentParser) -> None:
    add_gateway_url_argument(parser)
    add_config_arguments(parser)


def _fail(message: str, status: int = 1) -> int:
    """Print ``message``; status 1 for a failure, 2 for bad input (file, window), like feedback import."""
    print(f"inferwatch: {message}", file=sys.stderr)
    return status


def _write(config: Config, args: argparse.Namespace, path: str, document: dict, direct: Any) -> int:
    """POST ``document`` to the gateway, or call ``direct(client)``; print the baseline summary."""
    try:
        summary = through_gateway_or_direct(
            config, args.url, lambda url: call_gateway(url, "POST", path, document), direct
        )
    except ApiCallFailed as error:
        return _fail(error.message)
    except (BaselineRequestError, BaselineNotFound) as error:
        return _fail(str(error))
    except GatewayNotAnswering as error:
        return _fail(str(error))
    except Exception as error:  # boundary: no storage yet, or ClickHouse could not be opened
        print(failure_message(error), file=sys.stderr)
        return 1
    print(json.dumps(summary, indent=2))
    return 0


def _window_ns(text: str) -> tuple[int, int]:
    start_text, slash, end_text = text.partition("/")
    if not slash:
        raise argparse.ArgumentTypeError(f'--from-window needs START/END, got "{text}"')
    now = SystemClock().now_unix_nano()
    bounds = []
    for part in (start_text, end_text):
        instant = instant_argument(part)
        bounds.append(now if instant is None else int(instant.timestamp() * 1e6) * 1000)
    return bounds[0], bounds[1]


def run_create(args: argparse.Namespace) -> int:
    config = load_or_exit(args)
    document: dict[str, Any] = {"model": args.model, "version": args.version, "activate": args.activate}
    if args.from_window:
        try:
            start, end = _window_ns(args.from_window)
        except argparse.ArgumentTypeError as error:
            return _fail(str(error), 2)
        document["window"] = {"start": start, "end": end}
    else:
        roles = ColumnRoles(
            prediction=args.prediction_column,
            confidence=args.confidence_column,
            prediction_kind=args.prediction_kind,
            exclude=tuple(args.exclude),
        )
        builder = BaselineBuilder(roles, profile_options(config))
        try:
            for columns, rows in read_chunks(
                args.from_file, explicit_format=args.format_in, progress=sys.stderr
            ):
                builder.add(columns, rows)
            profile = builder.build()
        except (ReferenceFileError, ValueError, OSError) as error:
            return _fail(f"cannot profile {args.from_file}: {error}", 2)
        document["profile"] = profile.to_dict()
        document["source"] = str(args.from_file)

    def direct(client: Any) -> dict:
        record = create_baseline(
            client,
            document,
            profile_options(config),
            config.drift.max_window_baseline_rows,
            SystemClock().now_unix_nano(),
        )
        return record.summary()

    return _write(config, args, "/api/v1/baselines", document, direct)


def run_activate(args: argparse.Namespace) -> int:
    config = load_or_exit(args)

    def direct(client: Any) -> dict:
        return activate_baseline(client, args.id, SystemClock().now_unix_nano()).summary()

    return _write(config, args, "/api/v1/baselines/activate", {"id": args.id}, direct)


def session_fetch(session: SqlSession) -> Fetch:
    """A ``Fetch`` through the CLI's read-only session (the gateway's query API or a direct one)."""

    def fetch(sql: str, parameters: Any) -> list[dict[str, Any]]:
        data = session.run(sql, "json", parameters)
        return [json.loads(line) for line in data.splitlines() if line.strip()]

    return fetch


def _read(config: Config, args: argparse.Namespace, **filters: Any) -> list[BaselineRecord] | int:
    session = SqlSession(config, args.url)
    try:
        return find_baselines(session_fetch(session), **filters)
    except Exception as error:  # boundary: gateway absent, SQL failed, or storage could not be opened
        print(failure_message(error), file=sys.stderr)
        return 1
    finally:
        session.close()


def run_list(args: argparse.Namespace) -> int:
    config = load_or_exit(args)
    records = _read(config, args, model=args.model)
    if isinstance(records, int):
        return records
    if args.format == "json":
        print(json.dumps([record.summary() for record in records], indent=2))
        return 0
    if not records:
        print("no baselines yet: inferwatch baseline create --model NAME --version V --from FILE --activate")
        return 0
    rows = [("ID", "MODEL", "VERSION", "REVISION", "CREATED", "ROWS", "ACTIVE", "SOURCE")]
    for record in records:
        summary = record.summary()
        rows.append(
            (
                record.id,
                record.model,
                record.version,
                str(record.revision),
                summary["created_at"],
                str(record.rows),
                "yes" if record.active else "",
                record.source,
            )
        )
    print("\n".join(text_table(rows)))
    return 0


def run_show(args: argparse.Namespace) -> int:
    config = load_or_exit(args)
    if args.id is None and (args.model is None or args.version is None):
        return _fail("give a baseline ID, or --model and --version for the active baseline of a version")
    if args.id is not None:
        records = _read(config, args, baseline_id=args.id, with_profile=True)
    else:
        records = _read(
            config, args, model=args.model, version=args.version, active_only=True, with_profile=True
        )
    if isinstance(records, int):
        return records
    if not records:
        wanted = args.id or f"active baseline of {args.model} {args.version}"
        return _fail(f"no {wanted}; list them with `inferwatch baseline list`")
    record = records[0]
    assert record.profile is not None
    if args.format == "json":
        print(json.dumps(record.summary() | {"profile": record.profile.to_dict()}, indent=2))
        return 0
    summary = record.summary()
    print(
        f"baseline {record.id}: {record.model} {record.version} revision {record.revision}"
        f"{' (active)' if record.active else ''}, {record.rows} rows from {record.source}, "
        f"{summary['created_at']}"
    )
    rows = [("FEATURE", "TYPE", "COUNT", "MISSING", "MEAN", "STD", "MIN", "MAX", "BINS / TOP CATEGORIES")]
    profiles = list(record.profile.features)
    outputs = record.profile.predictions
    for label, output in (("(prediction class)", outputs.classes), ("(prediction value)", outputs.values)):
        if output is not None:
            profiles.append(FeatureProfile(**{**output.__dict__, "name": label}))
    if outputs.confidence is not None:
        profiles.append(FeatureProfile(**{**outputs.confidence.__dict__, "name": "(confidence)"}))
    for profile in profiles:
        rows.append(_profile_row(profile))
    print("\n".join(text_table(rows)))
    return 0


def _profile_row(profile: FeatureProfile) -> tuple[str, ...]:
    moments = profile.numeric.moments if profile.numeric else profile.text_length
    numbers = (
        ("-",) * 4
        if moments is None
        else tuple(f"{value:.4g}" for value in (moments.mean, moments.std, moments.min, moments.max))
    )
    if profile.categories is not None:
        shares = profile.categories.shares
        detail = ", ".join(f"{label} {share:.1%}" for label, share in list(shares.items())[:5])
        if len(shares) > 5:
            detail += f", ... ({profile.categories.distinct} distinct)"
    elif profile.numeric is not None:
        detail = "edges " + ", ".join(f"{edge:.4g}" for edge in profile.numeric.bin_edges)
    else:
        detail = "text length" if profile.text_length is not None else "-"
    return (
        profile.name,
        profile.feature_type.value,
        str(profile.count),
        f"{profile.missing_rate:.1%}",
        *numbers,
        detail,
    )
