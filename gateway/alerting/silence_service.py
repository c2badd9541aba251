"""Silences as a service: add, list and expire, shared by the API routes and ``inferwatch silence``.

Reads/writes: ``ml_silences`` through ``gateway.alerting.alert_store``. Routes: ``POST /api/v1/silences``
(add), ``GET /api/v1/silences`` (list; ``?all=true`` includes expired ones), ``POST /api/v1/silences/expire``
(``{"id": ...}``). The evaluator reads the silences at every cycle, so a change applies at the next one.

A silence document: ``{"matchers": "model=fraud,severity=~P2|P3", "duration": "2h", "comment": "...",
"created_by": "alice"}``; ``matchers`` may also be a list of ``{"label", "op", "value"}``.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from gateway.alerting.alert_store import load_silences, save_silence
from gateway.config import parse_duration
from gateway.receivers.api_routes import ApiError, ApiRequest, ApiResponse
from processors.alerting.silences import Matcher, Silence, expire, expired, is_active, new_silence


class SilenceNotFound(KeyError):
    pass


MAX_SILENCE = timedelta(days=366)
MAX_MATCHERS_TEXT = 1024


def describe(silence: Silence, now: float) -> dict[str, Any]:
    """The silence as JSON, with its state at ``now``: active, pending or expired."""
    state = "expired" if expired(silence, now) else "active" if is_active(silence, now) else "pending"
    return {
        **silence.to_dict(),
        "state": state,
        "matchers_text": ",".join(str(matcher) for matcher in silence.matchers),
    }


def _matchers(value: Any) -> str | tuple[Matcher, ...]:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        try:
            return tuple(Matcher(item["label"], item["op"], item["value"]) for item in value)
        except (KeyError, TypeError) as error:
            raise ValueError(f"matchers: each needs label, op and value ({error})") from None
    raise ValueError('matchers: expected text like "model=fraud" or a list of {label, op, value}')


def _duration(value: Any) -> timedelta:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError('duration: expected a duration like "2h"')
    try:
        duration = timedelta(seconds=value) if not isinstance(value, str) else parse_duration(value)
    except (ValueError, OverflowError) as error:
        raise ValueError(f"duration: {error}") from None
    if duration > MAX_SILENCE:
        # A silence is a pause, not an off switch: a rule that must never page belongs out of the rules.
        raise ValueError(f"duration: at most {MAX_SILENCE.days}d; remove or change the rule instead")
    return duration


def _check_matcher_sizes(matchers: str | tuple[Matcher, ...]) -> None:
    # Matchers come from the network and are matched at every evaluation: bound their size.
    text = matchers if isinstance(matchers, str) else ",".join(m.value for m in matchers)
    if len(text) > MAX_MATCHERS_TEXT:
        raise ValueError(f"matchers: at most {MAX_MATCHERS_TEXT} characters, got {len(text)}")


def add_silence(client: Any, document: Any, now: float) -> dict[str, Any]:
    """Store a new silence from ``document``; ValueError naming the bad field otherwise."""
    if not isinstance(document, dict):
        raise ValueError("expected a JSON object with matchers, duration, comment and created_by")
    unknown = sorted(set(document) - {"matchers", "duration", "comment", "created_by"})
    if unknown:
        raise ValueError(
            f"unknown field(s) {', '.join(unknown)}: use matchers, duration, comment, created_by"
        )
    for key in ("matchers", "duration"):
        if key not in document:
            raise ValueError(f'{key}: required (e.g. {{"matchers": "model=fraud", "duration": "2h"}})')
    comment = document.get("comment", "")
    created_by = document.get("created_by") or "inferwatch"
    if not isinstance(comment, str) or not isinstance(created_by, str):
        raise ValueError("comment, created_by: must be text")
    matchers = _matchers(document["matchers"])
    _check_matcher_sizes(matchers)
    silence = new_silence(
        matchers,
        now,
        _duration(document["duration"]),
        created_by,
        comment,
        uuid.uuid4().hex,
    )
    save_silence(client, silence, now)
    return describe(silence, now)


def list_silences(client: Any, now: float, include_expired: bool = False) -> list[dict[str, Any]]:
    silences = load_silences(client, None if include_expired else now)
    return [describe(silence, now) for silence in silences]


def expire_silence(client: Any, silence_id: str, now: float) -> dict[str, Any]:
    """End the silence now (idempotent); SilenceNotFound when no silence has that id."""
    found = load_silences(client, silence_id=silence_id)
    if not found:
        raise SilenceNotFound(silence_id)
    ended = expire(found[0], now)
    if ended != found[0]:
        save_silence(client, ended, now)
    return describe(ended, now)


def register_silence_routes(routes: Any, client: Any, now: Callable[[], float]) -> None:
    """The three silence routes on ``routes`` (``ApiRoutes``), serialised on one client."""
    lock = threading.Lock()

    def add(request: ApiRequest) -> ApiResponse:
        try:
            with lock:
                return ApiResponse(201, add_silence(client, request.body, now()))
        except ValueError as error:
            raise ApiError(400, str(error)) from None

    def listing(request: ApiRequest) -> ApiResponse:
        include = request.query.get("all", "").lower() in ("1", "true", "yes")
        with lock:
            return ApiResponse(200, {"silences": list_silences(client, now(), include)})

    def expire_route(request: ApiRequest) -> ApiResponse:
        body = request.body
        if not isinstance(body, dict) or not isinstance(body.get("id"), str):
            raise ApiError(400, 'expected {"id": "<silence id>"} (see inferwatch silence list)')
        try:
            with lock:
                return ApiResponse(200, expire_silence(client, body["id"], now()))
        except SilenceNotFound:
            raise ApiError(404, f"no silence with id {body['id']!r}; see inferwatch silence list") from None

    routes.register("POST", "/api/v1/silences", add)
    routes.register("GET", "/api/v1/silences", listing)
    routes.register("POST", "/api/v1/silences/expire", expire_route)
