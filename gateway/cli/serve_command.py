"""``inferwatch serve``: run the receivers and storage until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading

from gateway.cli.common import add_config_arguments, load_or_exit
from gateway.config import dump_config

HELP = """\
Run the gateway: OTLP/gRPC and OTLP/HTTP receivers writing to ClickHouse.

With no config it listens on localhost:4317 (gRPC) and localhost:4318 (HTTP) and keeps its data
in ./inferwatch-data (embedded ClickHouse). Ctrl-C or SIGTERM stops it after every accepted
request is stored. Drift, data-quality, performance and alert evaluations run inside it (each can be
turned off in the config); every key and its default: docs/configuration.md. The config and rule
files are read at start only: SIGHUP reloads nothing (it is logged); restart to apply changes.

Examples:
  inferwatch serve
  inferwatch serve --config inferwatch.yaml
  inferwatch serve --grpc-endpoint 0.0.0.0:4317 --http-endpoint 0.0.0.0:4318 --data-dir /var/lib/inferwatch
  inferwatch serve --set alerting.rule_files=[deploy/rules/guide-examples.yaml] --print-config

Exit status: 0 stopped after storing every accepted request; 1 could not start (port or storage) or
requests stay spooled for the next start; 2 invalid configuration, or a rule/trigger file it names.
"""


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "serve",
        help="run the gateway",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_config_arguments(parser)
    parser.add_argument(
        "--grpc-endpoint", metavar="HOST:PORT", help="= --set receivers.grpc.endpoint=HOST:PORT"
    )
    parser.add_argument(
        "--http-endpoint", metavar="HOST:PORT", help="= --set receivers.http.endpoint=HOST:PORT"
    )
    parser.add_argument("--data-dir", metavar="DIR", help="= --set data_dir=DIR")
    parser.add_argument(
        "--clickhouse-dsn", metavar="DSN", help="= --set clickhouse.dsn=DSN (chdb:///dir or http://...)"
    )
    parser.add_argument(
        "--print-config", action="store_true", help="print the effective config (secrets masked) and exit"
    )
    parser.set_defaults(run=run)


def _flag_overrides(args: argparse.Namespace) -> list[str]:
    pairs = {
        "receivers.grpc.endpoint": args.grpc_endpoint,
        "receivers.http.endpoint": args.http_endpoint,
        "data_dir": args.data_dir,
        "clickhouse.dsn": args.clickhouse_dsn,
    }
    return [f"{key}={value}" for key, value in pairs.items() if value is not None]


def run(args: argparse.Namespace) -> int:
    config = load_or_exit(args, _flag_overrides(args))
    if args.print_config:
        sys.stdout.write(dump_config(config, mask_secrets=True))
        return 0
    logging.basicConfig(
        level=config.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    from gateway.alerting.evaluator import RuleFilesError
    from gateway.app import Gateway  # imported late: --help and --print-config stay fast
    from gateway.quality import QualityRulesError
    from gateway.storage.client import StorageUnavailable
    from processors.performance.triggers.model import TriggerLoadError

    gateway = Gateway(config)
    stop = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        print(f"inferwatch: {signal.Signals(signum).name} received, flushing and stopping…", file=sys.stderr)
        stop.set()

    def ignore_reload(signum: int, _frame: object) -> None:
        # Prometheus and the Collector users send SIGHUP to reload; its default action would end the
        # process without flushing. Nothing is reloaded: say so instead of dying.
        print(
            "inferwatch: SIGHUP received: the configuration and rule files are read only at start; "
            "restart the gateway (SIGTERM, then start it again) to apply changes",
            file=sys.stderr,
            flush=True,
        )

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    if hasattr(signal, "SIGHUP"):  # not on Windows
        signal.signal(signal.SIGHUP, ignore_reload)
    try:
        gateway.start()
    except FileNotFoundError as error:  # a rule, quality or trigger file the config names
        print(
            f"inferwatch: cannot start: no such file: {error.filename}. Fix the path in the config "
            "(alerting.rule_files, quality.rule_files, performance.trigger_files, ...).",
            file=sys.stderr,
        )
        gateway.shutdown(grace=0)
        return 2
    except (
        RuleFilesError,
        QualityRulesError,
        TriggerLoadError,
    ) as error:  # a rule or trigger file the config names is invalid
        print(
            f"inferwatch: cannot start: {error}\nCheck rule files with `inferwatch rules check FILE` "
            "(alert rules) or `inferwatch quality check FILE` (data-quality rules).",
            file=sys.stderr,
        )
        gateway.shutdown(grace=0)
        return 2
    except StorageUnavailable as error:
        print(f"inferwatch: cannot start: {error}", file=sys.stderr)
        gateway.shutdown(grace=0)
        return 1
    except OSError as error:
        print(
            f"inferwatch: cannot start: {error}. Is another process using the port or data directory?",
            file=sys.stderr,
        )
        gateway.shutdown(grace=0)
        return 1
    except Exception as error:  # boundary: start-up failure is reported, not a traceback
        logging.getLogger("inferwatch").exception("start-up failed")
        print(f"inferwatch: cannot start: {error}", file=sys.stderr)
        gateway.shutdown(grace=0)
        return 1
    print("inferwatch is running:\n  " + "\n  ".join(gateway.describe()), file=sys.stderr, flush=True)
    stop.wait()
    drained = gateway.shutdown(grace=5.0)
    status = 0 if drained else 1
    if gateway.stuck_tasks:
        # A task is still inside an embedded ClickHouse query; the interpreter's teardown would crash
        # under it (SIGSEGV). Everything accepted is stored or spooled by now, so end here.
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    return status
