"""The drift subsystem without ClickHouse: aligned windows, settings from config, registration."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from gateway.clock import FakeClock
from gateway.config import ConfigError, load_config
from gateway.drift.evaluation import aligned_window, drift_settings, profile_options, register_drift
from gateway.receivers.api_routes import ApiError, ApiRequest, ApiRoutes

S = 10**9


def test_windows_end_on_interval_boundaries_so_replicas_agree():
    config = load_config(None, ["drift.interval=5m", "drift.window=1h"])
    assert aligned_window(601 * S, config) == (600 * S - 3600 * S, 600 * S)
    assert aligned_window(601 * S, config) == aligned_window(899 * S, config)
    assert aligned_window(900 * S, config) == (900 * S - 3600 * S, 900 * S)


def test_settings_come_from_the_config():
    config = load_config(
        None,
        ["drift.alpha=0.01", "drift.correction=bonferroni", "drift.min_jensen_shannon=0.2", "drift.bins=5"],
    )
    settings = drift_settings(config)
    assert (settings.alpha, settings.correction, settings.min_jensen_shannon) == (0.01, "bonferroni", 0.2)
    assert profile_options(config).bins == 5


def test_config_errors_name_the_yaml_path(tmp_path):
    path = tmp_path / "inferwatch.yaml"
    path.write_text("drift:\n  correction: holm\n  alpha: 1.5\n  bins: 1\n  window: 0s\n")
    with pytest.raises(ConfigError) as caught:
        load_config(str(path))
    message = str(caught.value)
    assert f'{path}: line 2: drift.correction: must be one of none, bonferroni, bh, got "holm"' in message
    assert f"{path}: line 3: drift.alpha: must be in (0, 1), got 1.5" in message
    assert f"{path}: line 4: drift.bins: must be at least 2, got 1" in message
    assert f"{path}: line 5: drift.window: must be longer than 0, got 0s" in message


class _Client:
    def raw_query(self, *args, **kwargs):  # pragma: no cover - the routes below refuse before any query
        raise AssertionError("no query expected")


def _gateway(*overrides: str) -> SimpleNamespace:
    return SimpleNamespace(
        config=load_config(None, list(overrides)),
        clock=FakeClock(),
        api=ApiRoutes(),
        tasks=[],
        open_client=lambda **kwargs: _Client(),
    )


def test_registration_adds_the_task_and_the_routes_and_routes_refuse_bad_bodies():
    gateway = _gateway("drift.interval=2m")
    register_drift(gateway)
    (task,) = gateway.tasks
    assert (task.name, task.interval) == ("drift", 120.0)
    create = gateway.api.lookup("POST", "/api/v1/baselines")
    activate = gateway.api.lookup("POST", "/api/v1/baselines/activate")
    with pytest.raises(ApiError) as caught:
        create(ApiRequest("POST", "/api/v1/baselines", body={"version": "1"}))
    assert caught.value.status == 400 and '"model"' in caught.value.message
    with pytest.raises(ApiError) as caught:
        create(ApiRequest("POST", "/api/v1/baselines", body={"model": "m", "version": "1"}))
    assert caught.value.status == 400 and 'either "profile"' in caught.value.message
    with pytest.raises(ApiError) as caught:
        create(
            ApiRequest(
                "POST", "/api/v1/baselines", body={"model": "m", "version": "1", "profile": {"rows": 1}}
            )
        )
    assert caught.value.status == 400 and "not a baseline profile" in caught.value.message
    with pytest.raises(ApiError) as caught:
        activate(ApiRequest("POST", "/api/v1/baselines/activate", body={}))
    assert caught.value.status == 400


def test_disabled_drift_keeps_the_routes_but_adds_no_task():
    gateway = _gateway("drift.enabled=false")
    register_drift(gateway)
    assert gateway.tasks == [] and len(gateway.api) == 2
