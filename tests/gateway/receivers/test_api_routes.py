"""Tests for the JSON API routes: registration rules and how the HTTP receiver serves them."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from gateway.receivers.api_routes import ApiError, ApiRequest, ApiResponse, ApiRoutes
from gateway.receivers.http_server import HttpReceiver


def test_paths_must_be_under_api_v1() -> None:
    with pytest.raises(ValueError, match="start with /api/v1/"):
        ApiRoutes().register("GET", "/silences", lambda request: ApiResponse(200, {}))


def test_a_route_cannot_be_registered_twice() -> None:
    routes = ApiRoutes()
    routes.register("get", "/api/v1/x", lambda request: ApiResponse(200, {}))
    with pytest.raises(ValueError, match="GET /api/v1/x is registered twice"):
        routes.register("GET", "/api/v1/x", lambda request: ApiResponse(200, {}))
    assert routes.lookup("GET", "/api/v1/x") is not None and routes.lookup("POST", "/api/v1/x") is None


@pytest.fixture
def server() -> Iterator[str]:
    routes = ApiRoutes()
    seen: list[ApiRequest] = []

    def echo(request: ApiRequest) -> ApiResponse:
        seen.append(request)
        return ApiResponse(
            201, {"method": request.method, "query": dict(request.query), "body": request.body}
        )

    def refuse(request: ApiRequest) -> ApiResponse:
        raise ApiError(409, "silence 7 is already expired")

    def crash(request: ApiRequest) -> ApiResponse:
        raise RuntimeError("secret internals")

    routes.register("POST", "/api/v1/echo", echo)
    routes.register("GET", "/api/v1/echo", echo)
    routes.register("DELETE", "/api/v1/echo", echo)
    routes.register("POST", "/api/v1/refuse", refuse)
    routes.register("GET", "/api/v1/crash", crash)
    receiver = HttpReceiver(
        "127.0.0.1:0", export=None, max_request_size=1 << 20, readiness=lambda: (True, "ok"), routes=routes
    )  # type: ignore[arg-type]
    receiver.start()
    yield f"http://127.0.0.1:{receiver.port}"
    receiver.stop()


def _call(url: str, method: str, body: bytes | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=body, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def test_post_gets_the_parsed_body_and_query(server: str) -> None:
    status, document = _call(f"{server}/api/v1/echo?model=fraud&x=1", "POST", b'{"for": "2h"}')
    assert status == 201
    assert document == {"method": "POST", "query": {"model": "fraud", "x": "1"}, "body": {"for": "2h"}}


def test_get_and_delete_without_body(server: str) -> None:
    assert _call(f"{server}/api/v1/echo", "GET") == (201, {"method": "GET", "query": {}, "body": None})
    assert _call(f"{server}/api/v1/echo", "DELETE")[1]["method"] == "DELETE"


def test_malformed_json_is_400(server: str) -> None:
    status, document = _call(f"{server}/api/v1/echo", "POST", b"{not json")
    assert status == 400 and document["error"].startswith("the body must be JSON")


def test_api_error_keeps_its_status_and_message(server: str) -> None:
    assert _call(f"{server}/api/v1/refuse", "POST", b"{}") == (409, {"error": "silence 7 is already expired"})


def test_a_crashing_handler_is_500_without_internals(server: str) -> None:
    status, document = _call(f"{server}/api/v1/crash", "GET")
    assert status == 500 and "secret internals" not in document["error"]


def test_wrong_method_on_a_known_path_is_405(server: str) -> None:
    status, document = _call(f"{server}/api/v1/refuse", "GET")
    assert status == 405 and "GET not allowed" in document["error"]


def test_unknown_path_is_404(server: str) -> None:
    request = urllib.request.Request(f"{server}/api/v1/nothing", method="DELETE")
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10)
    with raised.value:
        assert raised.value.code == 404
