"""Model performance monitoring: metrics over windows, concept drift, CBPE, retraining triggers.

Reads: the ``.sql`` files beside this module (``sql/`` migrations, ``queries/`` read by the gateway).
Writes: nothing (pure). Config: none. See docs/performance-metrics.md.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from processors.otlp_tables import Migration, load_migrations

OWNER = "performance"


def migrations() -> list[Migration]:
    return load_migrations(__package__, OWNER)


@cache
def query(name: str) -> str:
    """The text of ``queries/<name>.sql``."""
    return resources.files(__package__).joinpath("queries", f"{name}.sql").read_text(encoding="utf-8")
