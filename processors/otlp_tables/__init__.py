"""The OTLP tables: the clickhouseexporter layout, filled by ClickHouse decoding OTLP itself.

Reads: the .sql templates in ``sql/`` and ``otlp_ingest.proto`` beside this module.
Writes: nothing (the gateway applies the DDL and inserts into the ingest tables).

Each signal has a Null-engine ingest table that takes length-delimited OTLP export requests in
ClickHouse's ``Protobuf`` format, with ``otlp_ingest.proto`` passed inline; materialized views
turn them into the Collector-compatible rows. Later processors (ML signals, drift) add their own
materialized views on the same ingest tables or on the otel_* tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from processors.otlp_tables.macros import MACROS

__all__ = [
    "INGEST_TABLES",
    "MACROS",
    "IngestTable",
    "Migration",
    "ingest_schema",
    "load_migrations",
    "migrations",
]

OWNER = "otlp"


@dataclass(frozen=True)
class IngestTable:
    """Where the raw export requests of one signal go, and how ClickHouse reads them."""

    table: str
    message_name: str


INGEST_TABLES: dict[str, IngestTable] = {
    "traces": IngestTable("otlp_traces_ingest", "TracesRequest"),
    "metrics": IngestTable("otlp_metrics_ingest", "MetricsRequest"),
    "logs": IngestTable("otlp_logs_ingest", "LogsRequest"),
}


@dataclass(frozen=True)
class Migration:
    """One versioned DDL step of one owner; its statements are idempotent (IF NOT EXISTS)."""

    owner: str
    version: int
    name: str
    template: str


@cache
def ingest_schema() -> str:
    """The .proto text ClickHouse uses to decode the ingest inserts."""
    return resources.files(__package__).joinpath("otlp_ingest.proto").read_text(encoding="utf-8")


def load_migrations(package: str, owner: str) -> list[Migration]:
    """The numbered ``sql/NNNN_name.sql`` files of ``package``, in order, as ``owner``'s migrations."""
    found = []
    for entry in resources.files(package).joinpath("sql").iterdir():
        if entry.name.endswith(".sql"):
            number, _, rest = entry.name.partition("_")
            found.append(Migration(owner, int(number), rest[:-4], entry.read_text(encoding="utf-8")))
    return sorted(found, key=lambda migration: migration.version)


def migrations() -> list[Migration]:
    return load_migrations(__package__, OWNER)
