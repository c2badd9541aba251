"""The periodic drift evaluation and the baseline API routes of the gateway.

Reads: active baselines and ``ml_features`` windows (ClickHouse), the clock (``now`` of each run).
Writes: ``ml_drift`` signal points (``gateway.storage.series.write_points``); baselines and
activations through the routes. Config keys: ``drift.*``.

Every ``drift.interval`` the task takes the window ``[end - drift.window, end)`` with
``end = floor(now / interval) * interval`` and, for every model version with an active baseline,
aggregates the window inside ClickHouse (``processors.drift.window_queries``), builds the report
(``processors.drift.report``) and writes its points. Replicas evaluate the same aligned window and
write the same ``ml_drift`` keys, which the ReplacingMergeTree collapses. A model version that
fails is logged and the others still run; the run then counts as failed.

Routes: ``POST /api/v1/baselines`` (create from a profile or a stored window, optionally activate),
``POST /api/v1/baselines/activate`` (``{"id": ...}``).
"""

from __future__ import annotations

import logging
from typing import Any

from gateway.config import Config
from gateway.drift.store import (
    BaselineNotFound,
    BaselineRecord,
    BaselineRequestError,
    activate_baseline,
    client_fetch,
    create_baseline,
    find_baselines,
)
from gateway.receivers.api_routes import ApiError, ApiRequest, ApiResponse
from gateway.scheduling import PeriodicTask
from gateway.storage.series import write_points
from processors.drift.baseline import ProfileOptions
from processors.drift.report import DriftReport, DriftSettings, build_report
from processors.drift.signals import report_points
from processors.drift.window_queries import Fetch, fetch_window

log = logging.getLogger(__name__)


def drift_settings(config: Config) -> DriftSettings:
    drift = config.drift
    return DriftSettings(
        alpha=drift.alpha,
        correction=drift.correction,
        min_normed_wasserstein=drift.min_normed_wasserstein,
        min_jensen_shannon=drift.min_jensen_shannon,
        min_psi=drift.min_psi,
        min_samples=drift.min_samples,
    )


def profile_options(config: Config) -> ProfileOptions:
    drift = config.drift
    return ProfileOptions(bins=drift.bins, top_k=drift.top_k, reservoir_size=drift.reservoir_size)


def aligned_window(now_unix_nano: int, config: Config) -> tuple[int, int]:
    """[start, end) of the window evaluated at ``now``: end on a multiple of ``drift.interval``."""
    interval = int(config.drift.interval.total_seconds() * 1e9)
    end = now_unix_nano - now_unix_nano % interval
    return end - int(config.drift.window.total_seconds() * 1e9), end


def drift_reports(
    fetch: Fetch,
    config: Config,
    start_unix_nano: int,
    end_unix_nano: int,
    *,
    model: str | None = None,
    version: str | None = None,
) -> list[DriftReport]:
    """The report of every active baseline (of ``model``/``version`` when given) over the window.

    The evaluation task and ``inferwatch drift`` both call this; it only reads.
    """
    reports = []
    for record in find_baselines(fetch, model=model, version=version, active_only=True, with_profile=True):
        reports.append(report_for(fetch, config, record, start_unix_nano, end_unix_nano))
    return reports


def report_for(fetch: Fetch, config: Config, record: BaselineRecord, start: int, end: int) -> DriftReport:
    assert record.profile is not None
    summary = fetch_window(
        fetch,
        record.profile,
        model=record.model,
        version=record.version,
        start_unix_nano=start,
        end_unix_nano=end,
        sample_size=config.drift.sample_size,
        category_limit=config.drift.category_limit,
    )
    return build_report(
        record.profile,
        summary,
        drift_settings(config),
        model=record.model,
        version=record.version,
        baseline_id=record.id,
    )


class DriftEvaluation:
    """One run: every active baseline against the aligned window; points into ``ml_drift``."""

    def __init__(self, client: Any, config: Config) -> None:
        self.client = client
        self.config = config
        self.fetch = client_fetch(client)

    def __call__(self, now_unix_nano: int) -> None:
        start, end = aligned_window(now_unix_nano, self.config)
        failed = []
        for record in find_baselines(self.fetch, active_only=True, with_profile=True):
            try:
                report = report_for(self.fetch, self.config, record, start, end)
                if report.rows:
                    write_points(self.client, "ml_drift", report_points(report), now_unix_nano)
            except Exception:  # boundary: one model version's failure must not stop the others
                log.exception("drift: evaluating %s %s failed", record.model, record.version)
                failed.append(f"{record.model} {record.version}")
        if failed:
            raise RuntimeError(f"drift evaluation failed for {', '.join(failed)}")


def register_drift(gateway: Any) -> None:
    """Add the "drift" task (when ``drift.enabled``) and the baseline routes to ``gateway``."""
    config: Config = gateway.config
    client = gateway.open_client()  # the routes' (HTTP threads); the task has its own

    def create(request: ApiRequest) -> ApiResponse:
        try:
            record = create_baseline(
                client,
                request.body,
                profile_options(config),
                config.drift.max_window_baseline_rows,
                gateway.clock.now_unix_nano(),
            )
        except BaselineRequestError as error:
            raise ApiError(400, str(error)) from error
        return ApiResponse(201, record.summary())

    def activate(request: ApiRequest) -> ApiResponse:
        body = request.body
        if not isinstance(body, dict) or not isinstance(body.get("id"), str):
            raise ApiError(400, 'the body must be {"id": "<baseline id>"}')
        try:
            record = activate_baseline(client, body["id"], gateway.clock.now_unix_nano())
        except BaselineNotFound as error:
            raise ApiError(404, str(error)) from error
        return ApiResponse(200, record.summary())

    gateway.api.register("POST", "/api/v1/baselines", create)
    gateway.api.register("POST", "/api/v1/baselines/activate", activate)
    if config.drift.enabled:
        evaluation = DriftEvaluation(gateway.open_client(), config)
        gateway.tasks.append(
            PeriodicTask("drift", config.drift.interval.total_seconds(), evaluation, gateway.clock)
        )
