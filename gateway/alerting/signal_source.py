"""The alert signals of one evaluation cycle, read from ClickHouse: a ``SignalSource`` per rule window.

Reads: ClickHouse — ``ml_requests``, ``ml_stage_spans``, ``ml_deployments``, ``otel_metrics_gauge`` (live
signals, SQL in ``processors.alerting.live``) and ``ml_drift``, ``ml_quality``, ``ml_performance`` (stored
signals, ``gateway.storage.series.latest_points``). Writes: nothing. Config keys:
``alerting.evaluation_delay``, ``alerting.baselines``, ``alerting.baseline_window``,
``alerting.baseline_refresh``,
``alerting.stored_signal_staleness``, ``ml.low_confidence_threshold``.

One ``SignalCycle`` per evaluation: each family is read in one query for every model and every rule
window (they share one end; ``service_up``: one per window), and the stored signals once, whatever the
number of rules. ``baseline(name,
labels)`` is (1) ``alerting.baselines[model][name]`` when configured, else (2) for a live signal its value
over the trailing ``baseline_window`` that ends where the rule's window starts, across the model's
versions (so a new version has a baseline at once), kept in a ``BaselineCache`` and recomputed every
``baseline_refresh`` off the evaluation cycle; stored signals have only configured baselines.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from gateway.storage.series import latest_points
from processors.alerting import live
from processors.alerting.expr import Sample
from processors.alerting.labels import Labels
from processors.alerting.signal_names import KNOWN_SIGNALS
from processors.ml.series import SERIES_TABLES
from processors.ml.signals.queries import Query, Window

log = logging.getLogger(__name__)
STORED_SIGNALS = tuple(sorted(KNOWN_SIGNALS - live.LIVE_SIGNALS))
Series = dict[str, list[Sample]]


def _ns(delta: timedelta) -> int:
    return delta // timedelta(microseconds=1) * 1000


def _rows(client: Any, query: Query) -> list[dict[str, Any]]:
    return list(client.query(query.sql, parameters=dict(query.parameters)).named_results())


class RequestCache:
    """The request totals of final minutes, kept across cycles so long windows are not re-read
    (``processors.alerting.live.buckets``)."""

    def __init__(self) -> None:
        self.minutes: dict[int, live.Totals] = {}

    def update(self, plan: live.RequestPlan, filled: dict[int, live.Totals]) -> dict[int, live.Totals]:
        self.minutes.update(filled)
        oldest = min(plan.starts)
        for minute in [m for m in self.minutes if m + live.MINUTE <= oldest or m >= plan.final_before]:
            del self.minutes[minute]
        return self.minutes


def fetch_requests(
    client: Any,
    windows: Sequence[Window],
    low_confidence: float,
    by_version: bool = True,
    cache: RequestCache | None = None,
) -> dict[Window, Series]:
    """The request signals of several windows with one end, in one query (their counts add up); with a
    ``cache``, final minutes already counted are not read again."""
    end = windows[0].end_unix_nano
    assert all(window.end_unix_nano == end for window in windows)
    slack = _ns(live.REQUEST_SCAN_SLACK)
    plan = live.plan_requests(
        end, [w.start_unix_nano for w in windows], None if cache is None else cache.minutes, slack
    )
    query = live.requests_query(plan.boundaries, plan.ranges, low_confidence, by_version=by_version)
    segments = live.segment_totals(_rows(client, query))
    minutes = {} if cache is None else cache.update(plan, live.minute_totals(plan, segments))
    totals = live.window_totals(plan, segments, minutes)
    return {window: live.shape_requests(totals[window.start_unix_nano], window.seconds) for window in windows}


def fetch_windows(
    client: Any,
    family: str,
    windows: Sequence[Window],
    low_confidence: float,
    by_version: bool = True,
    cache: RequestCache | None = None,
) -> dict[Window, Series]:
    """The signals of one family over several windows with one end, for every model, in one query
    (``cache``: the request minutes kept across cycles)."""
    if family == "requests":
        return fetch_requests(client, windows, low_confidence, by_version, cache)
    if family == "latency":
        rows = _rows(client, live.latency_query(windows, by_version=by_version))
        shaped = [live.shape_latency(part) for part in live.split_windows(rows, len(windows))]
    elif family == "metrics":
        rows = _rows(client, live.metrics_query(windows))
        shaped = [live.shape_metrics(part) for part in live.split_windows(rows, len(windows))]
    else:
        shaped = [live.shape_service_up(_rows(client, live.service_up_query(window))) for window in windows]
    return dict(zip(windows, shaped, strict=True))


def fetch_family(
    client: Any, family: str, window: Window, low_confidence: float, by_version: bool = True
) -> Series:
    """The signals of one family over ``window`` for every model."""
    return fetch_windows(client, family, [window], low_confidence, by_version)[window]


def _baseline_key(labels: Mapping[str, str]) -> Labels:
    return Labels({**labels, "version": ""})  # reference values are per model across versions


class BaselineCache:
    """Reference values of live signals by (signal, labels without version), per family.

    A family's values are computed on its first lookup and then only by ``refresh`` — run by the
    ``alert-baselines`` task on its own thread and client every ``baseline_refresh`` — so an evaluation
    cycle never waits for a 7-day query once the values exist (they change slowly; a refresh swaps them in
    whole). Without a refresher (``background=False``), a lookup recomputes values older than ``refresh``.
    """

    def __init__(self, refresh: timedelta, length: timedelta, *, background: bool = False) -> None:
        self.refresh_every = refresh
        self.length = length
        self.background = background
        self._values: dict[str, tuple[int, dict[str, dict[Labels, float]]]] = {}
        self._lock = threading.Lock()  # one computation of a family at a time; readers never take it
        self.computed = 0  # family computations (for tests and the benchmark)

    def lookup(
        self,
        client: Any,
        family: str,
        name: str,
        labels: Mapping[str, str],
        window_start_ns: int,
        low_confidence: float,
    ) -> float | None:
        cached = self._values.get(family)
        if cached is None or (not self.background and self._stale(cached[0], window_start_ns)):
            with self._lock:  # a refresh in flight finishes first, then is used
                cached = self._values.get(family)
                if cached is None or (not self.background and self._stale(cached[0], window_start_ns)):
                    cached = self._compute(client, family, window_start_ns, low_confidence)
        return cached[1].get(name, {}).get(_baseline_key(labels))

    def refresh(
        self, client: Any, families: Sequence[str], window_start_ns: int, low_confidence: float
    ) -> None:
        """Recompute ``families`` for a reference window ending at ``window_start_ns``."""
        for family in families:
            with self._lock:
                self._compute(client, family, window_start_ns, low_confidence)

    def _stale(self, computed_for: int, window_start_ns: int) -> bool:
        return window_start_ns - computed_for >= _ns(self.refresh_every) or window_start_ns < computed_for

    def _compute(
        self, client: Any, family: str, window_start_ns: int, low_confidence: float
    ) -> tuple[int, dict[str, dict[Labels, float]]]:
        reference = Window(window_start_ns - _ns(self.length), window_start_ns)
        series = fetch_family(client, family, reference, low_confidence, by_version=False)
        values = {
            signal: {_baseline_key(sample.labels): sample.value for sample in samples}
            for signal, samples in series.items()
        }
        self.computed += 1
        self._values[family] = (window_start_ns, values)
        return self._values[family]


class SignalCycle:
    """Every signal read in one evaluation at ``now``; ``source(window)`` is the view of one rule window."""

    def __init__(
        self,
        client: Any,
        now_unix_nano: int,
        *,
        delay: timedelta,
        low_confidence: float,
        fixed_baselines: Mapping[str, Mapping[str, float]],
        staleness: timedelta,
        baselines: BaselineCache,
        windows: Sequence[timedelta] = (),
        requests: RequestCache | None = None,
    ) -> None:
        self.client = client
        self.end_ns = now_unix_nano - _ns(delay)
        self.now_ns = now_unix_nano
        self.low_confidence = low_confidence
        self.fixed_baselines = fixed_baselines
        self.staleness = staleness
        self.baselines = baselines
        self.windows = sorted(set(windows))  # every rule window: the request family reads them in one query
        self.requests = requests
        self._families: dict[tuple[str, int], Series | Exception] = {}
        self._stored: Series | None = None
        self.queries = 0  # family and stored-signal queries run (for the benchmark and tests)

    def source(self, window: timedelta) -> WindowSource:
        return WindowSource(self, Window.ending(self.end_ns, window))

    def live_series(self, name: str, window: Window) -> list[Sample]:
        family = live.FAMILY_OF[name]
        key = (family, window.start_unix_nano)
        if key not in self._families:
            self.queries += 1
            # Every rule window of the cycle in one query (service_up: only this one, it is cheap).
            windows = [window]
            if family != "service_up":
                windows += [w for w in self._windows() if w.start_unix_nano != window.start_unix_nano]
            try:
                found = fetch_windows(self.client, family, windows, self.low_confidence, cache=self.requests)
                for each, series in found.items():
                    self._families[(family, each.start_unix_nano)] = series
            except Exception as error:  # boundary: remembered so each rule needing it fails alike
                self._families[key] = error
        found = self._families[key]
        if isinstance(found, Exception):
            raise found
        return found.get(name, [])

    def _windows(self) -> list[Window]:
        return [Window.ending(self.end_ns, length) for length in self.windows]

    def stored_series(self, name: str) -> list[Sample]:
        if self._stored is None:
            self.queries += len(SERIES_TABLES)
            since = self.now_ns - _ns(self.staleness)
            stored: Series = {}
            for table in SERIES_TABLES:
                for point in latest_points(self.client, table, STORED_SIGNALS, since):
                    labels = {"model": point.model, "version": point.version, **point.labels}
                    samples = point.samples if point.samples > 0 else None
                    stored.setdefault(point.signal, []).append(Sample(labels, point.value, samples))
            self._stored = stored
        return self._stored.get(name, [])

    def baseline(self, name: str, labels: Mapping[str, str], window: Window) -> float | None:
        fixed = self.fixed_baselines.get(labels.get("model", ""), {}).get(name)
        if fixed is not None:
            return float(fixed)
        if name not in live.LIVE_SIGNALS:
            return None
        return self.baselines.lookup(
            self.client, live.FAMILY_OF[name], name, labels, window.start_unix_nano, self.low_confidence
        )


@dataclass(frozen=True)
class WindowSource:
    """``processors.alerting.expr.SignalSource`` over one cycle and one window length."""

    cycle: SignalCycle
    window: Window

    def series(self, name: str) -> Sequence[Sample]:
        if name in live.LIVE_SIGNALS:
            return self.cycle.live_series(name, self.window)
        return self.cycle.stored_series(name)

    def baseline(self, name: str, labels: Mapping[str, str]) -> float | None:
        return self.cycle.baseline(name, labels, self.window)
