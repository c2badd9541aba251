"""``inferwatch query "SQL"``: read-only SQL against the configured ClickHouse.

Where it runs: through the running gateway's ``POST /api/v1/query`` when one answers on the
configured HTTP endpoint (the only way while ``serve`` owns an embedded directory); otherwise
directly, with a read-only ClickHouse session, on the embedded directory or the server.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import urllib.error
import urllib.request

from gateway.cli.common import add_config_arguments, load_or_exit
from gateway.config import Config
from gateway.query import OUTPUT_FORMATS, QueryError, QueryService, readonly_settings

HELP = """\
Run one read-only SQL query and print the result.

Examples:
  inferwatch query "SELECT ServiceName, count() FROM otel_traces GROUP BY ServiceName"
  inferwatch query --format json "SELECT * FROM otel_logs ORDER BY Timestamp DESC LIMIT 10"

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
        "--url",
        metavar="URL",
        help="gateway base URL (default: http://<receivers.http.endpoint> from the config)",
    )
    add_config_arguments(parser)
    parser.set_defaults(run=run)


def _gateway_url(config: Config, explicit: str | None) -> str:
    if explicit:
        return explicit.rstrip("/")
    host, _, port = config.receivers.http.endpoint.rpartition(":")
    if host in ("", "0.0.0.0", "::", "[::]"):
        host = "127.0.0.1"
    return f"http://{host}:{port}"


def _via_gateway(url: str, sql: str, output_format: str) -> bytes | None:
    """The result from a running gateway; None when no gateway answers there."""
    request = urllib.request.Request(
        f"{url}/api/v1/query",
        data=json.dumps({"query": sql, "format": output_format}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.read()
    except urllib.error.HTTPError as error:
        detail = error.read().decode(errors="replace")
        with contextlib.suppress(ValueError, KeyError, TypeError):
            detail = json.loads(detail)["error"]
        if error.code == 404:
            raise QueryError(
                f"the gateway at {url} has the query API disabled (query_api.enabled)"
            ) from error
        raise QueryError(detail) from error
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def _direct(config: Config, sql: str, output_format: str) -> bytes:
    from gateway.storage.client import open_client

    client = open_client(
        config.resolved_clickhouse_dsn(),
        config.clickhouse.database,
        create_database=False,
        settings=readonly_settings(
            config.query_api.max_result_rows, config.query_api.timeout.total_seconds()
        ),
    )
    try:
        data, _ = QueryService(client).run(sql, output_format)
        return data
    finally:
        client.close()


def run(args: argparse.Namespace) -> int:
    config = load_or_exit(args)
    url = _gateway_url(config, args.url)
    try:
        data = _via_gateway(url, args.sql, args.format)
        if data is None:
            if args.url:
                print(
                    f"inferwatch: no gateway answers at {url}; is `inferwatch serve` running?",
                    file=sys.stderr,
                )
                return 1
            data = _direct(config, args.sql, args.format)
    except QueryError as error:
        print(f"inferwatch: query failed: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # boundary: storage could not be opened
        print(
            f"inferwatch: cannot open ClickHouse ({error}). Start `inferwatch serve` with the same config, "
            "or pass --url of a running gateway.",
            file=sys.stderr,
        )
        return 1
    sys.stdout.buffer.write(data)
    sys.stdout.flush()
    return 0
