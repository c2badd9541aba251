"""OTLP/HTTP receiver, health endpoints and the read-only query API on one port.

Reads: HTTP requests on ``receivers.http.endpoint`` (default localhost:4318):
``POST /v1/traces|metrics|logs`` (protobuf or JSON, optionally gzip), ``GET /healthz``,
``GET /readyz`` (200 only while ClickHouse answers), ``POST /api/v1/query`` (JSON ``query``,
``format`` and optional ``parameters`` bound to ``{name:Type}`` placeholders; see ``gateway.query``),
and the JSON API routes subsystems register (``gateway.receivers.api_routes``: silences, baselines, ...).
Writes: through ``ExportService``. Config keys: ``receivers.http.*``, ``receivers.max_request_size``,
``query_api.*``.

Responses use the request's content type; errors carry a ``google.rpc.Status`` body; 503
answers carry ``Retry-After``.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import zlib
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from google.protobuf import json_format
from google.rpc import status_pb2

from gateway.receivers.api_routes import ApiError, ApiRequest, ApiRoutes
from gateway.receivers.errors import RequestTooLarge, UnsupportedMediaType, status_for
from gateway.receivers.export import ExportService
from processors.otlp.errors import PayloadError
from processors.otlp.json_codec import decode_json, decode_protobuf, encode_json
from processors.otlp.signals import Signal

log = logging.getLogger(__name__)

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
_SIGNALS_BY_PATH = {signal.http_path: signal for signal in Signal}


class QueryHandler:
    """What the HTTP server needs from the query API (``gateway.query.QueryService``)."""

    def run(
        self, sql: str, output_format: str, parameters: dict[str, object] | None = None
    ) -> tuple[bytes, str]: ...


def decompress_gzip(body: bytes, limit: int) -> bytes:
    """Every member of a gzip body (RFC 1952 allows several), stopping once ``limit`` is passed."""
    chunks: list[bytes] = []
    size = 0
    remaining = body
    while True:
        decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            data = decompressor.decompress(remaining, limit - size + 1)
        except zlib.error as error:
            raise PayloadError(f"cannot decompress gzip body: {error}") from error
        size += len(data)
        if size > limit:
            raise RequestTooLarge(limit)
        if not decompressor.eof:
            raise PayloadError("cannot decompress gzip body: truncated stream")
        chunks.append(data)
        remaining = decompressor.unused_data
        if not remaining:  # anything after a member must be another member, else zlib rejects it
            return b"".join(chunks)


class HttpReceiver:
    def __init__(
        self,
        endpoint: str,
        export: ExportService,
        *,
        max_request_size: int,
        readiness: Callable[[], tuple[bool, str]],
        query: QueryHandler | None = None,
        routes: ApiRoutes | None = None,
    ) -> None:
        host, _, port = endpoint.rpartition(":")
        host = host.strip("[]") or "0.0.0.0"
        receiver = self

        class Handler(_OtlpHttpHandler):
            pass

        Handler.receiver = receiver
        self._export = export
        self._max_request_size = max_request_size
        self._readiness = readiness
        self._query = query
        self._routes = routes if routes is not None else ApiRoutes()
        self._serving = True
        try:
            self._server = ThreadingHTTPServer((host, int(port)), Handler)
        except OSError as error:
            raise OSError(
                f"cannot listen on {endpoint} for OTLP/HTTP (receivers.http.endpoint): "
                f"{error.strerror or error}"
            ) from error
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.endpoint = endpoint
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, name="otlp-http", daemon=True)
        self._thread.start()

    def set_serving(self, serving: bool) -> None:
        self._serving = serving

    def stop(self) -> None:
        self._serving = False
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()


class _OtlpHttpHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "inferwatch"
    receiver: HttpReceiver

    def log_message(self, format: str, *args: object) -> None:
        log.debug("http %s - %s", self.address_string(), format % args)

    # ---- routing ---------------------------------------------------------------------------
    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if self._api("GET"):
            return
        if path == "/healthz":
            self._send_text(HTTPStatus.OK, "ok\n")
        elif path == "/readyz":
            ready, detail = self.receiver._readiness()
            ready = ready and self.receiver._serving
            self._send_text(HTTPStatus.OK if ready else HTTPStatus.SERVICE_UNAVAILABLE, detail + "\n")
        else:
            self._send_text(HTTPStatus.NOT_FOUND, f"no such path {path}\n")

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        signal = _SIGNALS_BY_PATH.get(path)
        if signal is not None:
            self._export(signal)
        elif path == "/api/v1/query" and self.receiver._query is not None:
            self._run_query()
        elif self._api("POST"):
            return
        else:
            self._read_body_or_error()
            self._send_text(HTTPStatus.NOT_FOUND, f"no such path {path}\n")

    # ---- OTLP export -----------------------------------------------------------------------
    def _export(self, signal: Signal) -> None:
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        response_type = JSON if content_type == JSON else PROTOBUF
        try:
            body = self._read_body()
            if content_type == PROTOBUF:
                request = decode_protobuf(signal, body)
                response = self.receiver._export.export(signal, request, body)
                self._send(HTTPStatus.OK, PROTOBUF, response.SerializeToString())
            elif content_type == JSON:
                request = decode_json(signal, body)
                response = self.receiver._export.export(signal, request)
                self._send(HTTPStatus.OK, JSON, encode_json(response))
            else:
                raise UnsupportedMediaType(content_type)
        except Exception as error:  # boundary: mapped to a status in one place
            self._send_error(error, response_type)

    def _send_error(self, error: BaseException, response_type: str) -> None:
        status = status_for(error)
        if status.http_status == 500:
            log.exception("OTLP/HTTP request failed")
        body_status = status_pb2.Status(code=status.grpc_code.value[0], message=status.message)
        if response_type == JSON:
            body = json_format.MessageToJson(body_status, indent=None).encode()
        else:
            body = body_status.SerializeToString()
        headers = {}
        if status.retry_after_seconds is not None:
            headers["Retry-After"] = str(max(1, math.ceil(status.retry_after_seconds)))
        if isinstance(error, RequestTooLarge):
            headers["Connection"] = "close"  # the rest of the body was not read
            self.close_connection = True
        self._send(status.http_status, response_type, body, headers)

    def do_DELETE(self) -> None:
        if not self._api("DELETE"):
            self._read_body_or_error()
            path = self.path.split("?", 1)[0]
            self._send_text(HTTPStatus.NOT_FOUND, f"no such path {path}\n")

    # ---- JSON API routes -------------------------------------------------------------------
    def _api(self, method: str) -> bool:
        """Serve a registered API route; False when none is registered for this method and path."""
        path, _, query_string = self.path.partition("?")
        handler = self.receiver._routes.lookup(method, path)
        if handler is None:
            if self.receiver._routes.has_path(path):
                self._read_body_or_error()
                self._send(
                    HTTPStatus.METHOD_NOT_ALLOWED,
                    JSON,
                    json.dumps({"error": f"{method} not allowed"}).encode(),
                )
                return True
            return False
        try:
            body = self._read_body()
            try:
                document = json.loads(body) if body.strip() else None
            except ValueError as error:
                raise ApiError(400, f"the body must be JSON: {error}") from error
            request = ApiRequest(method, path, dict(parse_qsl(query_string)), document)
            response = handler(request)
            self._send(response.status, JSON, json.dumps(response.document).encode())
        except ApiError as error:
            self._send(error.status, JSON, json.dumps({"error": error.message}).encode())
        except Exception as error:  # boundary: a failing handler answers 500 and is logged
            status = status_for(error)
            if status.http_status == 500:
                log.exception("API %s %s failed", method, path)
            self._send(status.http_status, JSON, json.dumps({"error": status.message}).encode())
        return True

    # ---- query API -------------------------------------------------------------------------
    def _run_query(self) -> None:
        try:
            body = self._read_body()
            try:
                document = json.loads(body)
                sql, output_format = document["query"], document.get("format", "table")
                parameters = document.get("parameters")
                if parameters is not None and not isinstance(parameters, dict):
                    raise TypeError("parameters must be an object")
            except (ValueError, KeyError, TypeError) as error:
                raise PayloadError(
                    'body must be JSON {"query": "SELECT ... {name:Type}", "format": "table|json|csv", '
                    '"parameters": {"name": value}}'
                ) from error
            assert self.receiver._query is not None
            data, content_type = self.receiver._query.run(sql, output_format, parameters)
            self._send(HTTPStatus.OK, content_type, data)
        except Exception as error:  # boundary: query errors are the user's, shown as they are
            status = getattr(error, "http_status", None) or status_for(error).http_status
            message = (
                str(error) if status != 500 or hasattr(error, "http_status") else status_for(error).message
            )
            self._send(status, JSON, json.dumps({"error": message}).encode())

    # ---- plumbing --------------------------------------------------------------------------
    def _read_body(self) -> bytes:
        limit = self.receiver._max_request_size
        if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
            body = self._read_chunked(limit)
        else:
            length = int(self.headers.get("Content-Length") or 0)
            if length > limit:
                raise RequestTooLarge(limit)
            body = self.rfile.read(length)
        encoding = (self.headers.get("Content-Encoding") or "identity").lower()
        if encoding == "gzip":
            return decompress_gzip(body, limit)
        if encoding not in ("identity", ""):
            raise PayloadError(f"unsupported Content-Encoding {encoding!r}: use gzip or none")
        return body

    def _read_body_or_error(self) -> None:
        try:
            self._read_body()
        except Exception:  # boundary: the body of a request we reject anyway
            self.close_connection = True

    def _read_chunked(self, limit: int) -> bytes:
        parts, total = [], 0
        while True:
            size_line = self.rfile.readline(65537)
            try:
                size = int(size_line.split(b";")[0].strip(), 16)
            except ValueError as error:
                raise PayloadError("malformed chunked body") from error
            if size == 0:
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(parts)
            total += size
            if total > limit:
                raise RequestTooLarge(limit)
            parts.append(self.rfile.read(size))
            self.rfile.readline(3)

    def _send(
        self, status: int, content_type: str, body: bytes, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _send_text(self, status: int, text: str) -> None:
        self._send(status, "text/plain; charset=utf-8", text.encode())
