"""Local HTTP servers for tests: a recorder for webhooks and a stand-in for the Opsgenie Alert API v2.

``StubServer`` binds 127.0.0.1 on a free port, answers each request in its own thread and records
it; a scripted reply list (``script``) is consumed first, so a test can make the next N requests
fail with 429 + Retry-After, 5xx, or answer slowly.

``OpsgenieServer`` enforces the documented contract (REFERENCE §3): ``Authorization: GenieKey <key>``
(401 otherwise), ``POST /v2/alerts`` with field limits (message required ≤ 130, alias ≤ 512,
description ≤ 15000, ≤ 20 tags of ≤ 50, details a string→string map, entity ≤ 512, source ≤ 100,
user ≤ 100, note ≤ 25000, priority P1..P5, ≤ 10 actions, responders with id|name|username and a
known type; 422 with ``errors`` otherwise), ``POST /v2/alerts/{alias}/close|notes?identifierType=alias``,
and replies ``202 {"result": "Request will be processed", "took": …, "requestId": …}``. It keeps the
alert state Opsgenie would: an open alias de-duplicates (count + 1), a close closes it.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ACCEPTED_RESULT = "Request will be processed"
LIMITS = {"message": 130, "alias": 512, "description": 15000, "entity": 512, "source": 100, "user": 100}
NOTE_LIMIT = 25000
PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
RESPONDER_TYPES = ("team", "user", "escalation", "schedule")


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (a slow server)


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str  # without the query string
    query: dict[str, str]
    headers: dict[str, str]
    raw: bytes

    @property
    def body(self) -> Any:
        return json.loads(self.raw) if self.raw else None


class StubServer:
    """Records every request; answers from ``script`` first, then from ``answer``."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.replies: list[Reply] = []  # the reply given to each of ``requests``
        self.script: list[Reply] = []
        self.url = ""
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def answer(self, request: Recorded) -> Reply:
        return Reply(200, {"ok": True})

    def fail_next(self, *replies: Reply) -> None:
        with self._lock:
            self.script.extend(replies)

    def _reply_to(self, request: Recorded) -> Reply:
        with self._lock:  # answer() runs under the lock: stub state changes one request at a time
            reply = self.script.pop(0) if self.script else self.answer(request)
            self.requests.append(request)
            self.replies.append(reply)
            return reply

    def start(self) -> StubServer:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length) if length else b""
                parts = urllib.parse.urlsplit(self.path)
                request = Recorded(
                    self.command,
                    parts.path,
                    dict(urllib.parse.parse_qsl(parts.query)),
                    dict(self.headers.items()),
                    raw,
                )
                reply = stub._reply_to(request)
                if reply.delay:
                    time.sleep(reply.delay)
                data = json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up on a slow answer
                    pass

            do_POST = _handle
            do_GET = _handle

            def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @contextmanager
    def running(self) -> Iterator[StubServer]:
        self.start()
        try:
            yield self
        finally:
            self.stop()


@dataclass
class OpenAlert:
    alias: str
    payload: dict[str, Any]
    count: int = 1
    notes: list[str] = field(default_factory=list)
    closed: bool = False


class OpsgenieServer(StubServer):
    """Opsgenie's Alert API v2 as documented; ``keys`` are the accepted GenieKeys."""

    def __init__(self, *keys: str) -> None:
        super().__init__()
        self.keys = set(keys)
        self.alerts: dict[str, OpenAlert] = {}  # by alias, latest instance
        self.history: list[OpenAlert] = []  # every alert ever opened

    # -- views for assertions ------------------------------------------------------------------
    def accepted(self, action: str) -> list[Recorded]:
        """Requests of ``action`` (create | close | notes) that got a 202."""
        return [r for r in self._accepted if _action(r.path) == action]

    @property
    def _accepted(self) -> list[Recorded]:
        with self._lock:
            return [r for r, reply in zip(self.requests, self.replies, strict=True) if reply.status == 202]

    # -- the contract --------------------------------------------------------------------------
    def answer(self, request: Recorded) -> Reply:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("GenieKey ") or auth[len("GenieKey ") :] not in self.keys:
            return _error(401, "Could not authenticate")
        action = _action(request.path)
        if request.method != "POST" or action is None:
            return _error(404, f"No handler for {request.method} {request.path}")
        if request.headers.get("Content-Type", "").split(";")[0] != "application/json":
            return _error(415, "Content-Type must be application/json")
        try:
            body = request.body or {}
        except json.JSONDecodeError:
            return _error(400, "Could not parse the request body as JSON")
        if not isinstance(body, dict):
            return _error(422, "Request body is not processable", {"body": "must be a JSON object"})
        errors = validate_create(body) if action == "create" else validate_action(body)
        if action != "create" and request.query.get("identifierType") != "alias":
            errors["identifierType"] = "this stub expects identifierType=alias"
        if errors:
            return _error(422, "Request body is not processable. Please check the errors.", errors)
        self._apply(action, request.path, body)
        return Reply(202, {"result": ACCEPTED_RESULT, "took": 0.01, "requestId": str(uuid.uuid4())})

    def _apply(self, action: str, path: str, body: dict[str, Any]) -> None:
        if action == "create":
            alias = str(body.get("alias") or body["message"])
            current = self.alerts.get(alias)
            if current is not None and not current.closed:
                current.count += 1  # Opsgenie's de-duplication while the alias is open
                return
            self.alerts[alias] = OpenAlert(alias, body)
            self.history.append(self.alerts[alias])
            return
        alias = urllib.parse.unquote(path.split("/")[-2])
        current = self.alerts.get(alias)
        if current is None or current.closed:
            return  # Opsgenie accepts the request; processing later fails (alert not found)
        if action == "close":
            current.closed = True
        else:
            current.notes.append(str(body.get("note", "")))


def _action(path: str) -> str | None:
    parts = path.rstrip("/").split("/")
    if path.rstrip("/").endswith("/v2/alerts"):
        return "create"
    if len(parts) >= 3 and parts[-3] == "alerts" and parts[-1] in ("close", "notes"):
        return parts[-1]
    return None


def _error(status: int, message: str, errors: dict[str, str] | None = None) -> Reply:
    body: dict[str, Any] = {"message": message, "took": 0.0, "requestId": str(uuid.uuid4())}
    if errors:
        body["errors"] = errors
    return Reply(status, body)


def validate_create(body: dict[str, Any]) -> dict[str, str]:
    """Opsgenie's create-alert field rules; an empty dict when the body is valid."""
    errors: dict[str, str] = {}
    message = body.get("message")
    if not isinstance(message, str) or not message.strip():
        errors["message"] = "Message can not be empty."
    for name, limit in LIMITS.items():
        value = body.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            errors[name] = f"must be a string of at most {limit} characters"
    if "note" in body and (not isinstance(body["note"], str) or len(body["note"]) > NOTE_LIMIT):
        errors["note"] = f"must be a string of at most {NOTE_LIMIT} characters"
    tags = body.get("tags", [])
    if (
        not isinstance(tags, list)
        or len(tags) > 20
        or any(not isinstance(t, str) or len(t) > 50 for t in tags)
    ):
        errors["tags"] = "at most 20 tags of at most 50 characters"
    details = body.get("details", {})
    if not isinstance(details, dict) or any(not isinstance(v, str) for v in details.values()):
        errors["details"] = "must be a map of strings to strings"
    actions = body.get("actions", [])
    if not isinstance(actions, list) or len(actions) > 10:
        errors["actions"] = "at most 10 actions"
    if "priority" in body and body["priority"] not in PRIORITIES:
        errors["priority"] = f"must be one of {', '.join(PRIORITIES)}"
    for key in ("responders", "visibleTo"):
        for item in body.get(key, []) or []:
            if (
                not isinstance(item, dict)
                or item.get("type") not in RESPONDER_TYPES
                or not any(item.get(k) for k in ("id", "name", "username"))
            ):
                errors[key] = "each needs a type (team|user|escalation|schedule) and id, name or username"
    return errors


def validate_action(body: dict[str, Any]) -> dict[str, str]:
    """Close / add-note bodies: ``{user ≤ 100, source ≤ 100, note ≤ 25000}`` (note required for notes)."""
    errors: dict[str, str] = {}
    for name, limit in (("user", 100), ("source", 100), ("note", NOTE_LIMIT)):
        value = body.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            errors[name] = f"must be a string of at most {limit} characters"
    return errors
