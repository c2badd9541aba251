"""Arguments and config loading shared by the sub-commands."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta, timezone

from gateway.config import Config, ConfigError, format_duration, load_config, parse_duration


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        "-c",
        metavar="FILE",
        help="YAML config file (every key and its default: docs/configuration.md); defaults apply without it",
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY.PATH=VALUE",
        help="override one config key, e.g. --set receivers.grpc.endpoint=0.0.0.0:4317 (repeatable)",
    )


def load_or_exit(args: argparse.Namespace, extra_overrides: list[str] | None = None) -> Config:
    """The effective config, or a message naming every bad key and exit status 2."""
    try:
        return load_config(args.config, [*args.overrides, *(extra_overrides or [])])
    except ConfigError as error:
        print(f"inferwatch: invalid configuration:\n{error}", file=sys.stderr)
        raise SystemExit(2) from error
    except OSError as error:
        print(f"inferwatch: cannot read config file: {error}", file=sys.stderr)
        raise SystemExit(2) from error


def add_gateway_url_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        metavar="URL",
        help="gateway base URL (default: http://<receivers.http.endpoint> from the config)",
    )


def window_argument(text: str) -> timedelta:
    """An argparse type: a positive duration such as ``15m``, ``1h``, ``7d`` (``--since``)."""
    try:
        value = parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    if value <= timedelta(0):
        raise argparse.ArgumentTypeError(f'the window must be longer than 0, got "{text}"')
    return value


def instant_argument(text: str) -> datetime | None:
    """An argparse type: ``now`` (None) or an ISO 8601 time; without an offset it is UTC."""
    if text.strip().lower() == "now":
        return None
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'invalid time "{text}": use ISO 8601 such as 2026-02-09T10:15:30Z, or now'
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def add_window_arguments(
    parser: argparse.ArgumentParser,
    default_since: timedelta,
    *,
    until: bool = True,
    since_help: str | None = None,
) -> None:
    """``--since DURATION`` (window length) and, with ``until``, ``--until TIME`` (window end)."""
    parser.add_argument(
        "--since",
        type=window_argument,
        default=default_since,
        metavar="DURATION",
        help=since_help or f"window length (default {format_duration(default_since)})",
    )
    if until:
        parser.add_argument(
            "--until",
            type=instant_argument,
            default=None,
            metavar="TIME",
            help="window end, ISO 8601 or now (default now)",
        )
