"""The alerting tables' migrations (``sql/0001_alerts.sql``): ml_alerts, ml_alert_state, ml_silences.

Reads: the .sql templates beside this package. Writes: nothing (the gateway applies the DDL).
"""

from __future__ import annotations

from processors.otlp_tables import Migration, load_migrations

OWNER = "alerting"


def migrations() -> list[Migration]:
    return load_migrations("processors.alerting", OWNER)
