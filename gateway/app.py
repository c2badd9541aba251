"""Assemble the gateway from its config, and run its lifecycle.

Reads: the ``Config``. Writes: the ClickHouse schema (migrations), spool directories.
Start order: storage → migrations → writers (which insert what an earlier run left spooled)
→ subsystems (periodic evaluations and deliveries, API routes) → receivers. Shutdown order, written
once: health NOT_SERVING → receivers stop accepting and finish running exports → periodic tasks
finish their current run (``TASK_STOP_SECONDS`` for all together) → writers flush every accepted
request → clients close (none while a task is still in a query: closing would wait for it).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import grpc
from clickhouse_connect.driver.client import Client

import processors.alerting.tables as alerting_tables
import processors.drift.tables as drift_tables
import processors.feedback as feedback_tables
import processors.ml.tables as ml_tables
import processors.otlp_tables as otlp_tables
import processors.performance as performance_tables
import processors.quality as quality_tables
from gateway import __version__
from gateway.alerting.evaluator import AlertEvaluator, register_alerting
from gateway.alerting.notifier import register_notifications
from gateway.clock import Clock, SystemClock
from gateway.config import Config
from gateway.drift.evaluation import register_drift
from gateway.feedback import register_feedback
from gateway.ingest.spool import Spool
from gateway.ingest.writer import SignalWriter
from gateway.performance import register_performance
from gateway.quality import register_quality
from gateway.query import QueryService, readonly_settings
from gateway.receivers.api_routes import ApiRoutes
from gateway.receivers.export import ExportService
from gateway.receivers.grpc_server import GrpcReceiver
from gateway.receivers.http_server import HttpReceiver
from gateway.scheduling import PeriodicTask
from gateway.storage.client import mask_dsn, open_client, parse_dsn
from gateway.storage.ddl import Target
from gateway.storage.ingest_sink import ClickHouseIngestSink, schema_settings
from gateway.storage.migrations import apply_migrations
from processors.alerting.events import AlertEvent
from processors.ml.pii import PiiProtector
from processors.otlp.signals import Signal

log = logging.getLogger(__name__)

TASK_STOP_SECONDS = 10.0  # how long shutdown waits for running evaluations, all tasks together


def storage_target(config: Config) -> Target:
    ttl = config.clickhouse.ttl
    return Target(
        database=config.clickhouse.database,
        cluster=config.clickhouse.cluster,
        ttl_seconds={
            "traces": int(ttl.traces.total_seconds()),
            "logs": int(ttl.logs.total_seconds()),
            "metrics": int(ttl.metrics.total_seconds()),
            "ml": int(ttl.ml.total_seconds()),
        },
    )


def schema_migrations() -> list:
    """Every owner's migrations, in dependency order (the ML views read the OTLP tables)."""
    return [
        *otlp_tables.migrations(),
        *ml_tables.migrations(),
        *quality_tables.migrations(),
        *feedback_tables.migrations(),
        *alerting_tables.migrations(),
        *drift_tables.migrations(),
        *performance_tables.migrations(),
    ]


def write_runtime_settings(client: Client, config: Config) -> None:
    """Settings the materialized views read at insert time (so changing them needs no DDL)."""
    sample_ppm = round(config.ml.feature_sample_rate * 1_000_000)
    client.insert(
        "inferwatch_settings",
        [["ml.feature_sample_ppm", str(sample_ppm)]],
        column_names=["key", "value"],
    )


@dataclass
class _Readiness:
    """Caches the last storage probe for a second so /readyz polling stays cheap."""

    client: Client
    checked_at: float = 0.0
    result: tuple[bool, str] = (False, "not checked yet")

    def __call__(self) -> tuple[bool, str]:
        now = time.monotonic()
        if now - self.checked_at >= 1.0:
            try:
                self.client.query("SELECT 1")
                self.result = (True, "ready: ClickHouse answers")
            except Exception as error:  # boundary: any failure means not ready
                self.result = (False, f"not ready: ClickHouse does not answer: {error}")
            self.checked_at = now
        return self.result


class Gateway:
    def __init__(self, config: Config, clock: Clock | None = None, *, run_tasks: bool = True) -> None:
        """``run_tasks=False`` builds the periodic tasks without starting their threads: tests then
        drive them with ``task(name).run_once()`` on a ``FakeClock``."""
        self.config = config
        self.clock = clock or SystemClock()
        self.run_tasks = run_tasks
        self.writers: dict[Signal, SignalWriter] = {}
        self.grpc: GrpcReceiver | None = None
        self.http: HttpReceiver | None = None
        self.export: ExportService | None = None
        self.tasks: list[PeriodicTask] = []  # evaluations and deliveries, started after the writers
        self.api = ApiRoutes()  # JSON routes beside OTLP/HTTP (silences, baselines, feedback, ...)
        self.grpc_services: list[grpc.ServiceRpcHandler] = []  # served beside OTLP/gRPC (FeedbackService)
        # Where alert events go (Opsgenie, webhooks); the notification subsystem appends, the
        # alert evaluator calls each with every AlertEvent (processors.alerting.events).
        self.notifiers: list[Callable[[AlertEvent], None]] = []
        self.alert_evaluator: AlertEvaluator | None = None  # set by register_alerting when enabled
        self._dsn = ""
        self._timeouts: dict[str, float] = {}
        self._clients: list[Client] = []
        self._stopped = False
        self._lock = threading.Lock()
        # Tasks still running a query when shutdown gave up waiting: their clients stay open, and the
        # process should end with os._exit (tearing down embedded ClickHouse under a query crashes).
        self.stuck_tasks: list[str] = []

    # ---- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        config = self.config
        dsn = config.resolved_clickhouse_dsn()
        database = config.clickhouse.database
        timeouts = {
            "connect_timeout": config.clickhouse.connect_timeout.total_seconds(),
            "query_timeout": config.clickhouse.query_timeout.total_seconds(),
        }
        self._dsn, self._timeouts = dsn, timeouts
        admin = self._open(dsn, database, **timeouts)
        applied = apply_migrations(admin, schema_migrations(), storage_target(config), ml_tables.all_macros())
        if applied:
            log.info("schema: applied %d migrations", len(applied))
        write_runtime_settings(admin, config)

        ingest = config.ingest
        schema = otlp_tables.ingest_schema()
        for signal in Signal:
            table = otlp_tables.INGEST_TABLES[signal.value]
            sink = ClickHouseIngestSink(
                self._open(dsn, database, create_database=False, **timeouts),
                table.table,
                schema_settings(schema, table.message_name, parse_dsn(dsn).embedded_path),
            )
            writer = SignalWriter(
                signal.value,
                Spool(os.path.join(config.resolved_spool_dir(), signal.value)),
                sink,
                flush_interval=ingest.flush_interval.total_seconds(),
                max_batch_bytes=ingest.max_batch_bytes,
                max_queue_bytes=ingest.max_queue_bytes,
                retry_after=ingest.retry_after.total_seconds(),
                max_backoff=ingest.max_insert_retry_backoff.total_seconds(),
            )
            writer.start()
            self.writers[signal] = writer
        pii = config.ml.pii
        request_processors = []
        if pii.hash_keys or pii.drop_keys or pii.redact_patterns:
            request_processors.append(
                PiiProtector(pii.hash_keys, pii.drop_keys, pii.redact_patterns, pii.salt)
            )
        self.export = ExportService(self.writers, self.clock, processors=request_processors)

        self._start_subsystems()

        query_service = None
        if config.query_api.enabled:
            query_client = self._open(
                dsn,
                database,
                create_database=False,
                settings=readonly_settings(
                    config.query_api.max_result_rows, config.query_api.timeout.total_seconds()
                ),
                **timeouts,
            )
            query_service = QueryService(query_client)
        receivers = config.receivers
        if receivers.grpc.enabled:
            self.grpc = GrpcReceiver(
                receivers.grpc.endpoint,
                self.export,
                max_request_size=receivers.max_request_size,
                services=self.grpc_services,
            )
            self.grpc.start()
        if receivers.http.enabled:
            self.http = HttpReceiver(
                receivers.http.endpoint,
                self.export,
                max_request_size=receivers.max_request_size,
                readiness=_Readiness(admin),
                query=query_service,
                routes=self.api,
            )
            self.http.start()
        log.info("inferwatch %s started: %s", __version__, "; ".join(self.describe()))

    def _start_subsystems(self) -> None:
        """Each subsystem adds its periodic tasks (``self.tasks``) and API routes (``self.api``).

        One line per subsystem; each builder lives beside its subsystem and reads its config section.
        Order matters: notifications before alerting (which calls ``self.notifiers``).
        """
        register_notifications(self)  # notifications (Opsgenie, webhooks)
        register_feedback(self)  # feedback (ground truth in)
        register_drift(self)  # drift (baselines, drift evaluation)
        register_quality(self)  # quality (data-quality evaluation)
        register_performance(self)  # performance (model performance, concept drift, retraining triggers)
        register_alerting(self)  # alerting (rule evaluation, silences)
        if self.run_tasks:
            for task in self.tasks:
                task.start()

    def task(self, name: str) -> PeriodicTask:
        """The periodic task called ``name`` (KeyError naming the known ones otherwise)."""
        for task in self.tasks:
            if task.name == name:
                return task
        raise KeyError(f"no task {name!r}; tasks: {', '.join(t.name for t in self.tasks) or 'none'}")

    def open_client(self, **kwargs: object) -> Client:
        """A new ClickHouse client on the gateway's storage (closed at shutdown), for a subsystem."""
        return self._open(
            self._dsn, self.config.clickhouse.database, create_database=False, **{**self._timeouts, **kwargs}
        )

    def _open(self, dsn: str, database: str, **kwargs: object) -> Client:
        client = open_client(dsn, database, **kwargs)  # type: ignore[arg-type]
        self._clients.append(client)
        return client

    def describe(self) -> list[str]:
        """Where it listens and where the data lives, for the start-up message."""
        lines = []
        if self.grpc is not None:
            lines.append(f"OTLP/gRPC on {_host_port(self.config.receivers.grpc.endpoint, self.grpc.port)}")
        if self.http is not None:
            http = _host_port(self.config.receivers.http.endpoint, self.http.port)
            lines.append(f"OTLP/HTTP on {http} (health: http://{http}/healthz, /readyz)")
            if self.config.query_api.enabled:
                lines.append(f"read-only SQL: POST http://{http}/api/v1/query")
        dsn = parse_dsn(self.config.resolved_clickhouse_dsn())
        if dsn.embedded_path:
            lines.append(f"data: embedded ClickHouse in {dsn.embedded_path}")
        else:
            lines.append(
                f"data: ClickHouse at {mask_dsn(dsn.raw)}, database {self.config.clickhouse.database}"
            )
        lines.append(f"spool: {self.config.resolved_spool_dir()}")
        return lines

    def shutdown(self, grace: float = 10.0) -> bool:
        """Stop receiving, flush what was accepted, close storage. Idempotent, safe before start."""
        with self._lock:
            if self._stopped:
                return True
            self._stopped = True
        if self.http is not None:
            self.http.set_serving(False)
        if self.grpc is not None:
            self.grpc.stop(grace)
        if self.http is not None:
            self.http.stop()
        # Every task is asked first and all share one budget: a run stuck on a slow query must not
        # delay the flush by a timeout per task (a later run redoes an interrupted evaluation).
        for task in self.tasks:
            task.request_stop()
        tasks_deadline = time.monotonic() + max(grace, TASK_STOP_SECONDS)
        self.stuck_tasks = stuck = [
            task.name
            for task in self.tasks
            if not task.stop(timeout=max(0.0, tasks_deadline - time.monotonic()))
        ]
        with ThreadPoolExecutor(max_workers=max(1, len(self.writers))) as pool:
            results = list(
                pool.map(lambda writer: writer.shutdown(timeout=max(grace, 30.0)), self.writers.values())
            )
        drained = all(results)
        if stuck:
            # Closing a client waits for its running query (embedded ClickHouse holds a lock), which
            # could outlast any grace period; the process is exiting and takes the clients with it.
            log.warning("not closing ClickHouse clients: %s still running a query", ", ".join(stuck))
        for client in [] if stuck else self._clients:
            try:
                client.close()
            except Exception:  # boundary: closing is best effort at exit
                log.debug("closing a ClickHouse client failed", exc_info=True)
        log.info(
            "inferwatch stopped%s", "" if drained else " (some requests stay spooled for the next start)"
        )
        return drained


def _host_port(endpoint: str, port: int) -> str:
    host = endpoint.rpartition(":")[0] or "0.0.0.0"
    return f"{host}:{port}"
