"""Read-only SQL against the configured ClickHouse, for ``inferwatch query`` and ``POST /api/v1/query``.

Reads: whatever the SQL selects. Writes: nothing — enforced by ClickHouse itself: the query
client's session runs with ``readonly=1`` (set last, after the result limits, because a
read-only session may not change settings), not by inspecting the SQL text.
Config keys: ``query_api.max_result_rows``, ``query_api.timeout``.

Parameters are bound by ClickHouse (``{name:Type}`` placeholders, sent apart from the SQL text), so a
value never becomes SQL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

# Output format name → (ClickHouse format, Content-Type).
OUTPUT_FORMATS: dict[str, tuple[str, str]] = {
    "table": ("PrettyCompactMonoBlock", "text/plain; charset=utf-8"),
    "json": ("JSONEachRow", "application/x-ndjson"),
    "csv": ("CSVWithNames", "text/csv; charset=utf-8"),
}


class QueryError(Exception):
    """The SQL failed in ClickHouse (syntax, unknown table, not allowed read-only, too many rows)."""

    http_status = 400


class RawQueryClient(Protocol):
    def raw_query(self, query: str, **kwargs: Any) -> bytes: ...


def readonly_settings(max_result_rows: int, timeout_seconds: float) -> dict[str, Any]:
    """Session settings of a query client; ``readonly`` must come last."""
    return {
        "max_result_rows": max_result_rows,
        "result_overflow_mode": "throw",
        "max_execution_time": max(1, int(timeout_seconds)),
        "readonly": 1,
    }


_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*):[^}]+\}")
_SCALARS = (str, int, float, bool, type(None))


def check_parameters(sql: str, parameters: Mapping[str, Any]) -> None:
    """QueryError unless every parameter is a scalar bound by a ``{name:Type}`` placeholder of ``sql``.

    Requiring the placeholder keeps clickhouse-connect on server-side binding: without one it would
    format the values into the SQL text itself.
    """
    placeholders = set(_PLACEHOLDER.findall(sql))
    for name, value in parameters.items():
        if not isinstance(name, str) or name not in placeholders:
            raise QueryError(f"parameter {name!r} has no {{{name}:Type}} placeholder in the query")
        if not isinstance(value, _SCALARS):
            raise QueryError(f"parameter {name!r} must be a string, number, boolean or null")


_CODE = re.compile(
    r"Code: (\d+)\. DB::Exception: (?:Code: \d+\. DB::Exception: )?"
    r"(.*?)(?: \(version [^)]*\))?\.?( \([A-Z_]+\))*\s*$",
    re.S,
)


def clickhouse_message(error: BaseException) -> str:
    """The useful part of a ClickHouse error message."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    match = _CODE.search(text)
    return f"ClickHouse error {match.group(1)}: {match.group(2)}" if match else text


class NotReadOnly(RuntimeError):
    """The query client's session is not read-only: refuse to serve SQL through it."""


@dataclass
class QueryService:
    client: RawQueryClient

    def __post_init__(self) -> None:
        readonly = self.client.raw_query("SELECT getSetting('readonly')", fmt="TabSeparated").strip()
        if readonly != b"1":
            raise NotReadOnly(f"the query session has readonly={readonly.decode()!r}, expected 1")

    def run(
        self, sql: str, output_format: str = "table", parameters: Mapping[str, Any] | None = None
    ) -> tuple[bytes, str]:
        if output_format not in OUTPUT_FORMATS:
            raise QueryError(f"unknown format {output_format!r}: use one of {', '.join(OUTPUT_FORMATS)}")
        clickhouse_format, content_type = OUTPUT_FORMATS[output_format]
        bound = dict(parameters) if parameters else None
        if bound:
            check_parameters(sql, bound)
        try:
            return self.client.raw_query(sql, parameters=bound, fmt=clickhouse_format), content_type
        except Exception as error:  # boundary: the user's SQL failed; report ClickHouse's reason
            raise QueryError(clickhouse_message(error)) from error
