"""``inferwatch silence add|list|expire``: mute the notifications of matching alerts for a while.

Reads: the config (``receivers.http.endpoint``, ``clickhouse.*``). Writes: ``ml_silences`` through the
running gateway's ``/api/v1/silences`` routes, else directly (``gateway.cli.admin_access``); stdout.
Both paths call ``gateway.alerting.silence_service``.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import datetime, timezone
from typing import Any

from gateway.alerting import silence_service
from gateway.cli.admin_access import ApiCallFailed, call_gateway, through_gateway_or_direct
from gateway.cli.common import add_config_arguments, add_gateway_url_argument, load_or_exit
from gateway.cli.sql_access import GatewayNotAnswering, failure_message
from gateway.clock import SystemClock

HELP = """\
Silences mute the notifications (Opsgenie, webhooks) of the alerts whose labels match every matcher, for a
while. The alerts keep being evaluated and recorded (inferwatch alerts shows them); when the silence ends,
a still-firing alert is sent.

Matchers: label=value, label!=value, label=~regex, label!~regex, comma-separated. Labels: model, version,
the signal's labels (feature, stage, ...), alertname and severity.

Examples:
  inferwatch silence add --match model=fraud-detector --for 2h --comment "deploying 2.2.0"
  inferwatch silence add --match 'alertname=AgeDrift,severity=~P2|P3' --for 1d --comment "known drift"
  inferwatch silence list            (active and pending; --all includes expired)
  inferwatch silence expire 3f2a...  (the id from the list)
"""


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "silence",
        help="mute alert notifications for a while (add, list, expire)",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="silence_action", metavar="ACTION")
    add = actions.add_parser(
        "add", help="add a silence", description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add.add_argument("--match", "-m", required=True, metavar="MATCHERS", help="e.g. model=fraud-detector")
    add.add_argument("--for", dest="duration", required=True, metavar="DURATION", help="how long, e.g. 2h")
    add.add_argument("--comment", required=True, help="why (shown in the list)")
    add.add_argument("--author", default=None, help="who (default: the login name)")
    add.set_defaults(run=run_add)
    listing = actions.add_parser(
        "list",
        help="list active and pending silences",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    listing.add_argument("--all", action="store_true", help="include expired silences")
    listing.set_defaults(run=run_list)
    expire = actions.add_parser(
        "expire",
        help="end a silence now",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    expire.add_argument("id", metavar="ID", help="the silence id (inferwatch silence list)")
    expire.set_defaults(run=run_expire)
    for sub in (add, listing, expire):
        sub.add_argument("--format", "-f", choices=("table", "json"), default="table", help="output format")
        add_gateway_url_argument(sub)
        add_config_arguments(sub)
    parser.set_defaults(run=lambda args: parser.print_help() or 2)


def _now() -> float:
    return SystemClock().now_unix_nano() / 1e9


def _call(args: argparse.Namespace, via_api: Any, direct: Any) -> Any:
    """The answer, or None after printing what went wrong."""
    config = load_or_exit(args)
    try:
        return through_gateway_or_direct(config, args.url, via_api, direct)
    except ValueError as error:
        print(f"inferwatch: invalid silence: {error}", file=sys.stderr)
    except silence_service.SilenceNotFound as error:
        print(
            f"inferwatch: no silence with id {error.args[0]!r}; see inferwatch silence list", file=sys.stderr
        )
    except ApiCallFailed as error:
        print(f"inferwatch: the gateway refused: {error.message}", file=sys.stderr)
    except GatewayNotAnswering as error:
        print(f"inferwatch: {error}", file=sys.stderr)
    except Exception as error:  # boundary: no storage yet, or it could not be opened
        print(failure_message(error), file=sys.stderr)
    return None


def _time(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _print(silences: list[dict[str, Any]], output: str) -> None:
    if output == "json":
        print(json.dumps(silences, indent=2))
        return
    if not silences:
        print("no silences")
        return
    header = ("ID", "STATE", "MATCHERS", "STARTS", "ENDS", "BY", "COMMENT")
    rows = [
        (
            s["id"],
            s["state"],
            s["matchers_text"],
            _time(s["starts_at"]),
            _time(s["ends_at"]),
            s["created_by"],
            s["comment"],
        )
        for s in silences
    ]
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header) - 1)]
    for row in (header, *rows):
        print(
            "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=False))
            + "  "
            + str(row[-1])
        )


def run_add(args: argparse.Namespace) -> int:
    document = {
        "matchers": args.match,
        "duration": args.duration,
        "comment": args.comment,
        "created_by": args.author or getpass.getuser(),
    }
    answer = _call(
        args,
        lambda url: call_gateway(url, "POST", "/api/v1/silences", document),
        lambda client: silence_service.add_silence(client, document, _now()),
    )
    if answer is None:
        return 1
    if args.format == "json":
        print(json.dumps(answer, indent=2))
    else:
        print(f"silence {answer['id']} mutes {answer['matchers_text']} until {_time(answer['ends_at'])}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    query = {"all": "true"} if args.all else None
    answer = _call(
        args,
        lambda url: _unwrap(call_gateway(url, "GET", "/api/v1/silences", query=query)),
        lambda client: silence_service.list_silences(client, _now(), args.all),
    )
    if answer is None:
        return 1
    _print(answer, args.format)
    return 0


def _unwrap(answer: Any) -> Any:
    return None if answer is None else answer["silences"]


def run_expire(args: argparse.Namespace) -> int:
    answer = _call(
        args,
        lambda url: call_gateway(url, "POST", "/api/v1/silences/expire", {"id": args.id}),
        lambda client: silence_service.expire_silence(client, args.id, _now()),
    )
    if answer is None:
        return 1
    if args.format == "json":
        print(json.dumps(answer, indent=2))
    else:
        print(f"silence {answer['id']} expired at {_time(answer['ends_at'])}")
    return 0
