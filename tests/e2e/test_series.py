"""Signal series (ml_drift / ml_quality / ml_performance) and the CLI's gateway-or-direct write path."""

from __future__ import annotations

import math

import pytest

from gateway.cli.admin_access import ApiCallFailed, call_gateway, through_gateway_or_direct
from gateway.cli.sql_access import GatewayNotAnswering
from gateway.receivers.api_routes import ApiError, ApiRequest, ApiResponse
from gateway.storage.series import latest_points, write_points
from processors.ml.series import SignalPoint
from tests.e2e.conftest import GatewayFactory, http_url

HOUR = 3600 * 10**9
T0 = 1_800_000_000 * 10**9


def _psi(value: float, end: int, feature: str = "age", samples: int = 500) -> SignalPoint:
    return SignalPoint(
        "psi", "fraud", "2.1", value, end - HOUR, end, {"feature": feature}, samples, {"verdict": "drift"}
    )


def test_latest_point_per_series_wins_and_replicas_collapse(gateways: GatewayFactory) -> None:
    gateway = gateways.start(run_tasks=False)
    client = gateway.open_client()
    write_points(client, "ml_drift", [_psi(0.05, T0), _psi(0.31, T0 + HOUR), _psi(0.01, T0, "income")], T0)
    # A second replica evaluating the same window writes the same key: one row remains after merges.
    write_points(client, "ml_drift", [_psi(0.31, T0 + HOUR)], T0 + 5)
    points = latest_points(client, "ml_drift", ["psi"], since_unix_nano=T0 - HOUR)
    by_feature = {point.labels["feature"]: point for point in points}
    assert set(by_feature) == {"age", "income"}
    assert by_feature["age"].value == pytest.approx(0.31)
    assert by_feature["age"].window_end_unix_nano == T0 + HOUR
    assert by_feature["age"].samples == 500 and '"verdict": "drift"' in by_feature["age"].details
    assert latest_points(client, "ml_drift", ["psi"], since_unix_nano=T0 + 2 * HOUR) == []
    assert latest_points(client, "ml_drift", ["psi"], T0 - HOUR, model="other") == []
    rows = gateways.rows(
        "SELECT count() FROM ml_drift FINAL WHERE LabelsKey = {key:String}", {"key": '[["feature","age"]]'}
    )
    assert rows == [(2,)]


def test_nan_values_are_stored_as_nan(gateways: GatewayFactory) -> None:
    gateway = gateways.start(run_tasks=False)
    client = gateway.open_client()
    point = SignalPoint("accuracy", "m", "", math.nan, T0 - HOUR, T0, details={"why": math.inf})
    assert write_points(client, "ml_performance", [point], T0) == 1
    (stored,) = latest_points(client, "ml_performance", ["accuracy"], T0 - HOUR)
    assert math.isnan(stored.value) and stored.details == '{"why": "inf"}'


def test_write_points_refuses_other_tables(gateways: GatewayFactory) -> None:
    gateway = gateways.start(run_tasks=False)
    with pytest.raises(ValueError, match="not a series table"):
        write_points(gateway.open_client(), "otel_traces", [_psi(0.1, T0)], T0)


def test_cli_writes_go_through_the_gateway_then_directly(gateways: GatewayFactory) -> None:
    gateway = gateways.start(run_tasks=False)

    def handler(request: ApiRequest) -> ApiResponse:
        if request.body.get("value") is None:
            raise ApiError(400, "value is required")
        client = gateway.open_client()
        write_points(
            client, "ml_quality", [SignalPoint("validity", "m", "", request.body["value"], 0, T0)], T0
        )
        return ApiResponse(200, {"written": 1, "path": "gateway"})

    gateway.api.register("POST", "/api/v1/test-points", handler)
    url = http_url(gateway)
    answer = through_gateway_or_direct(
        gateway.config,
        url,
        lambda base: call_gateway(base, "POST", "/api/v1/test-points", {"value": 0.9}),
        lambda client: {"path": "direct"},
    )
    assert answer == {"written": 1, "path": "gateway"}
    with pytest.raises(ApiCallFailed) as refused:
        call_gateway(url, "POST", "/api/v1/test-points", {})
    assert (refused.value.status, refused.value.message) == (400, "value is required")

    # No gateway answers on the configured endpoint: the same work runs on a direct client.
    config = gateways.config("receivers.http.endpoint=127.0.0.1:9")  # discard port: nothing listens
    answer = through_gateway_or_direct(
        config,
        None,
        lambda base: call_gateway(base, "POST", "/api/v1/test-points", {"value": 0.5}),
        lambda client: client.query("SELECT count() FROM ml_quality").result_rows[0][0],
    )
    assert answer == 1
    with pytest.raises(GatewayNotAnswering):
        through_gateway_or_direct(
            config, "http://127.0.0.1:9", lambda base: call_gateway(base, "GET", "/api/v1/x"), lambda c: 0
        )
