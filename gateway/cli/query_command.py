"""``inferwatch query "SQL"``: read-only SQL against the configured ClickHouse.

Where it runs: through the running gateway's ``POST /api/v1/query`` when one answers on the
configured HTTP endpoint (the only way while ``serve`` owns an embedded directory); otherwise
directly, with a read-only ClickHouse session, on the embedded directory or the server
(``gateway.cli.sql_access``).
"""

from __future__ import annotations

import argparse
import sys

from gateway.cli.common import add_config_arguments, add_gateway_url_argument, load_or_exit
from gateway.cli.sql_access import SqlSession, failure_message
from gateway.query import OUTPUT_FORMATS

HELP = """\
Run one read-only SQL query and print the result.

Examples:
  inferwatch query "SELECT ServiceName, count() FROM otel_traces GROUP BY ServiceName"
  inferwatch query --format json "SELECT * FROM otel_logs ORDER BY Timestamp DESC LIMIT 10"
  inferwatch query --param m=fraud-detector "SELECT count() FROM ml_requests WHERE ModelName = {m:String}"

Read-only is enforced by ClickHouse (readonly=1): INSERT, ALTER, DROP and SET fail.
"""


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "query",
        help="run read-only SQL against the gateway's ClickHouse",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("sql", metavar="SQL", help="one SELECT (or SHOW/DESCRIBE/EXPLAIN) statement")
    parser.add_argument(
        "--format", "-f", choices=sorted(OUTPUT_FORMATS), default="table", help="output format"
    )
    parser.add_argument(
        "--param",
        dest="parameters",
        action="append",
        default=[],
        type=_parameter,
        metavar="NAME=VALUE",
        help="bind VALUE to the {NAME:Type} placeholder of the SQL, in ClickHouse (repeatable)",
    )
    add_gateway_url_argument(parser)
    add_config_arguments(parser)
    parser.set_defaults(run=run)


def _parameter(text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals or not name.isidentifier():
        raise argparse.ArgumentTypeError(f'expected NAME=VALUE, got "{text}"')
    return name, value


def run(args: argparse.Namespace) -> int:
    config = load_or_exit(args)
    session = SqlSession(config, args.url)
    try:
        data = session.run(args.sql, args.format, dict(args.parameters))
    except Exception as error:  # boundary: gateway absent, SQL failed, or storage could not be opened
        print(failure_message(error), file=sys.stderr)
        return 1
    finally:
        session.close()
    sys.stdout.buffer.write(data)
    sys.stdout.flush()
    return 0
