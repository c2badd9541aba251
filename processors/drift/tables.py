"""The drift tables: baselines and their activations (``sql/NNNN_*.sql`` beside this module).

Reads: the .sql templates in ``sql/``. Writes: nothing (the gateway applies them with the other
owners' migrations, ``gateway.app.schema_migrations``).
"""

from __future__ import annotations

from processors.otlp_tables import Migration, load_migrations

OWNER = "drift"


def migrations() -> list[Migration]:
    return load_migrations(__package__, OWNER)
