"""The gateway's small JSON API beside OTLP/HTTP: silences, baselines, feedback, alerts, ...

Reads: nothing itself. Writes: nothing itself; handlers do their own I/O.
Subsystems register a handler per (method, path) on the gateway's ``ApiRoutes``; the HTTP receiver
routes ``/api/v1/...`` requests to them. A handler gets an ``ApiRequest`` (JSON body already parsed,
query string split) and returns an ``ApiResponse``; raising ``ApiError`` answers with its status and
``{"error": message}``. Any other exception is a 500 logged by the receiver.

The CLI reaches these routes through ``gateway.cli.admin_access``, which falls back to calling the same
service functions on a direct ClickHouse client when no gateway answers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str
    query: Mapping[str, str] = field(default_factory=dict)  # last value of each query parameter
    body: Any = None  # the parsed JSON body, None when empty


@dataclass(frozen=True)
class ApiResponse:
    status: int
    document: Any


class ApiError(Exception):
    """A request the handler refuses: ``status`` (400, 404, 409, ...) and a message saying what to do."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


ApiHandler = Callable[[ApiRequest], ApiResponse]


class ApiRoutes:
    """(method, exact path) → handler. Paths start with ``/api/v1/``."""

    def __init__(self) -> None:
        self._handlers: dict[tuple[str, str], ApiHandler] = {}

    def register(self, method: str, path: str, handler: ApiHandler) -> None:
        key = (method.upper(), path)
        if not path.startswith("/api/v1/"):
            raise ValueError(f"API paths start with /api/v1/, got {path!r}")
        if key in self._handlers:
            raise ValueError(f"{method} {path} is registered twice")
        self._handlers[key] = handler

    def lookup(self, method: str, path: str) -> ApiHandler | None:
        return self._handlers.get((method.upper(), path))

    def has_path(self, path: str) -> bool:
        return any(registered == path for _, registered in self._handlers)

    def __len__(self) -> int:
        return len(self._handlers)
