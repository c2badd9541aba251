"""What a page says beyond the rule: recent deployments, top error classes, related drift and quality.

Reads: ClickHouse — ``ml_deployments`` (over ``ml_model_versions``) and ``ml_request_breakdown`` with
the dashboard's own SQL (``processors.ml.signals.queries``), the latest points of ``ml_drift`` and
``ml_quality`` (``gateway.storage.series.latest_points``). Writes: nothing. Config keys:
``notifications.delivery.context_timeout`` (ClickHouse ``max_execution_time`` of each query).

Error classes come with the event when the evaluator counted them in its cycle (no query then);
deployments and related signals are gathered once per model and time and shared by the pages of a cycle.
Each section is gathered on its own: a failing or slow query leaves its section out (logged and
counted) and the page still goes out. ``context_timeout`` is the budget of all of them together:
each query may run for what is left of it (ClickHouse ``max_execution_time``), and a section whose
turn comes after the budget is spent is skipped.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from gateway.clock import Clock, SystemClock
from gateway.config.schema import parse_duration
from gateway.storage.series import latest_points
from processors.alerting.events import AlertEvent
from processors.alerting.opsgenie import Deployment, ErrorClass, RelatedSignal
from processors.alerting.signal_names import KNOWN_SIGNALS
from processors.ml.signals.queries import (
    Query,
    SignalsRequest,
    Window,
    deployments_query,
    error_classes_query,
)

log = logging.getLogger(__name__)

TOP_ERROR_CLASSES = 5
MAX_RELATED_SIGNALS = 10
RELATED_TABLES = (("drift", "ml_drift"), ("quality", "ml_quality"))
RELATED_STALENESS = timedelta(hours=2)  # older drift/quality points are not "related" to a fresh page
DEFAULT_WINDOW = timedelta(minutes=5)
MAX_SHARED_CONTEXTS = 512  # (model, time) pairs kept; more are one cycle's worth of models at most


@dataclass(frozen=True)
class PageContext:
    deployments: tuple[Deployment, ...] = ()
    error_classes: tuple[ErrorClass, ...] = ()
    related_signals: tuple[RelatedSignal, ...] = ()
    failed_sections: tuple[str, ...] = field(default=())


class ContextSource:
    """Runs the context queries on one ClickHouse client, opened on first use."""

    def __init__(
        self, open_client: Callable[[], Any], timeout: timedelta, clock: Clock | None = None
    ) -> None:
        self._open_client = open_client
        self._client: Any = None
        self._budget = timeout.total_seconds()
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()  # one clickhouse-connect client is not for concurrent queries
        # Deployments and related signals depend on the model and the time only: the pages of one
        # cycle (all at its time) share them, so 700 new instances over 50 models cost 50 gatherings.
        self._per_model: dict[tuple[str, int], tuple[tuple[Any, ...], tuple[Any, ...]]] = {}
        self.failures = 0

    def gather(
        self, event: AlertEvent, model_label: str = "model", version_label: str = "version"
    ) -> PageContext:
        model = event.labels.get(model_label, "")
        if not model:
            return PageContext()
        end_ns = int(event.at * 1e9)
        request = SignalsRequest(
            model,
            Window.ending(end_ns, _window(event.window)),
            version=event.labels.get(version_label) or None,
        )
        failed: list[str] = []
        deadline = self._clock.monotonic() + self._budget
        with self._lock:
            shared = self._per_model.get((model, end_ns))
            deployments = (
                shared[0]
                if shared
                else self._section("deployments", failed, deadline, lambda c: self._deployments(c, request))
            )
            errors = (
                tuple(ErrorClass(name or "unknown", count) for name, count in event.error_classes)[
                    :TOP_ERROR_CLASSES
                ]
                if event.error_classes is not None  # counted by the evaluator this cycle
                else self._section(
                    "error classes", failed, deadline, lambda c: self._error_classes(c, request)
                )
            )
            related = (
                shared[1]
                if shared
                else self._section(
                    "related signals", failed, deadline, lambda c: self._related(c, model, end_ns)
                )
            )
            if not shared and not {"deployments", "related signals"} & set(failed):
                if len(self._per_model) >= MAX_SHARED_CONTEXTS:
                    self._per_model.clear()
                self._per_model[(model, end_ns)] = (deployments, related)
        return PageContext(deployments, errors, related, tuple(failed))

    def _section(
        self, name: str, failed: list[str], deadline: float, run: Callable[[_Bounded], tuple[Any, ...]]
    ) -> tuple[Any, ...]:
        left = deadline - self._clock.monotonic()
        try:
            if left <= 0:
                raise TimeoutError(f"the context_timeout budget ({self._budget:g} s) is spent")
            if self._client is None:
                self._client = self._open_client()
            return run(_Bounded(self._client, max(1, math.ceil(left))))
        except Exception as error:  # boundary: a failed context query must not stop the page
            self.failures += 1
            failed.append(name)
            log.warning("alert context: %s left out of the page: %s", name, error)
            return ()

    def _deployments(self, client: _Bounded, request: SignalsRequest) -> tuple[Deployment, ...]:
        # Deployments of every version of the model, not only the alerting one: a rollout of another
        # version is often the cause.
        everything = SignalsRequest(request.model, request.window)
        rows = client.rows(deployments_query(everything))
        return tuple(Deployment(str(row["version"]), int(row["deployed_at_ns"]) / 1e9) for row in rows)

    def _error_classes(self, client: _Bounded, request: SignalsRequest) -> tuple[ErrorClass, ...]:
        rows = client.rows(error_classes_query(request))[:TOP_ERROR_CLASSES]
        return tuple(ErrorClass(str(row["error_class"] or "unknown"), int(row["count"])) for row in rows)

    def _related(self, client: _Bounded, model: str, end_ns: int) -> tuple[RelatedSignal, ...]:
        since = end_ns - int(RELATED_STALENESS.total_seconds() * 1e9)
        related: list[RelatedSignal] = []
        for kind, table in RELATED_TABLES:
            for point in latest_points(client, table, sorted(KNOWN_SIGNALS), since, model):
                labels = ",".join(f"{k}={v}" for k, v in sorted(point.labels.items()))
                version = f" ({point.version})" if point.version else ""
                name = f"{point.signal}{{{labels}}}{version}" if labels else f"{point.signal}{version}"
                related.append(RelatedSignal(kind, name, point.value))
        return tuple(related[:MAX_RELATED_SIGNALS])


class _Bounded:
    """The client with ``max_execution_time`` set on every query (also those of ``latest_points``)."""

    def __init__(self, client: Any, seconds: int) -> None:
        self._client = client
        self._settings = {"max_execution_time": seconds}

    def query(self, sql: str, parameters: Mapping[str, Any] | None = None) -> Any:
        return self._client.query(sql, parameters=dict(parameters or {}), settings=self._settings)

    def rows(self, query: Query) -> list[Mapping[str, Any]]:
        return list(self.query(query.sql, query.parameters).named_results())


def _window(text: str) -> timedelta:
    try:
        window = parse_duration(text) if text else DEFAULT_WINDOW
    except ValueError:
        return DEFAULT_WINDOW
    return window if window > timedelta(0) else DEFAULT_WINDOW
