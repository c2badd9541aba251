"""Every JSON route a gateway with all subsystems serves is in docs/architecture.md's endpoint table,
and the table names no route the gateway does not serve."""

from __future__ import annotations

import re
import socket
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"


def test_every_api_route_is_in_the_http_endpoint_table(gateways) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        nobody = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    gateway = gateways.start(f"notifications.webhooks=[{{name: hook, url: {nobody}}}]", run_tasks=False)
    served = {f"{method} {path}" for method, path in gateway.api._handlers}
    served.add("POST /api/v1/query")  # the receiver serves it itself (query_api.enabled)
    table = DOC.read_text(encoding="utf-8").split("## HTTP endpoints", 1)[1].split("\n## ", 1)[0]
    documented = {
        route
        for cell in re.findall(r"^\| ([^|]+) \|", table, re.MULTILINE)
        for route in re.findall(r"`((?:GET|POST|PUT|DELETE) /api/v1/[^`]*)`", cell)
    }
    assert served - documented == set(), "routes missing from docs/architecture.md#http-endpoints"
    assert documented - served == set(), "documented routes the gateway does not serve"
    assert len(served) >= 8
