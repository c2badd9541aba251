"""``inferwatch``: entry point and sub-command table.

Reads: argv, the config file named by ``--config``, the environment. Writes: stdout/stderr.
Each sub-command lives in its own module and registers its arguments here.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from gateway import __version__
from gateway.cli import (
    alerts_command,
    baseline_command,
    drift_command,
    feedback_command,
    performance_command,
    quality_command,
    query_command,
    rules_command,
    serve_command,
    signals_command,
    silence_command,
)

DESCRIPTION = """\
inferwatch: an OpenTelemetry gateway for machine-learning model services.
Receives OTLP (gRPC 4317, HTTP 4318), stores it in ClickHouse (embedded by default) and derives ML signals.

Start with:  inferwatch serve            (then point an OTel SDK or Collector at localhost:4317)
Query with:  inferwatch query "SELECT count() FROM otel_traces"
Dashboard:   inferwatch signals --model fraud-detector --since 1h
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inferwatch",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"inferwatch {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve_command.register(commands)
    query_command.register(commands)
    signals_command.register(commands)
    feedback_command.register(commands)
    rules_command.register(commands)
    silence_command.register(commands)
    alerts_command.register(commands)
    baseline_command.register(commands)
    drift_command.register(commands)
    performance_command.register(commands)
    quality_command.register(commands)
    version = commands.add_parser("version", help="print the version and exit")
    version.set_defaults(run=lambda args: print(f"inferwatch {__version__}") or 0)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    return int(args.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
