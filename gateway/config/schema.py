"""The gateway's configuration as frozen dataclasses: the only place where defaults live.

Reads: nothing. Writes: nothing (pure). Config keys: all of them — every field below is a YAML key at
the same path (``ingest.flush_interval`` is ``Config.ingest.flush_interval``); ``docs/configuration.md``
describes them and ``examples/config/inferwatch.yaml`` lists them at their defaults.

``gateway.config.loader`` binds YAML to these classes by introspecting their fields and type hints:
``timedelta`` fields take durations (``"500ms"``, ``"5m"``), ``int`` fields whose name ends in ``_size``
or ``_bytes`` take sizes (``"64MiB"``). A class with a ``validate()`` method is checked after binding;
``validate()`` returns ``(field, message)`` pairs and the loader prefixes each with the YAML path.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import timedelta
from fractions import Fraction
from urllib.parse import urlsplit, urlunsplit

from gateway.config.alerting_schema import AlertingConfig
from gateway.config.drift_schema import DriftConfig
from gateway.config.feedback_schema import FeedbackConfig
from gateway.config.ml_schema import MlConfig
from gateway.config.notifications_schema import NotificationsConfig
from gateway.config.performance_schema import PerformanceConfig
from gateway.config.quality_schema import QualityConfig

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
LOG_LEVELS = ("debug", "info", "warning", "error")
DSN_SCHEMES = ("chdb", "http", "https")
SIZE_SUFFIXES = ("_size", "_bytes")  # int fields named so take sizes like "64MiB"

Problems = list[tuple[str, str]]  # (field name or "" for the whole object, message)

# --- Value syntax shared by the loader (parsing YAML) and the messages below ---------------------------

_DURATION_UNITS_US = {
    "ns": Fraction(1, 1000),
    "us": 1,
    "µs": 1,
    "ms": 1000,
    "s": 10**6,
    "m": 60 * 10**6,
    "h": 3600 * 10**6,
    "d": 86400 * 10**6,
}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)")
_FORMAT_UNITS_US = (("d", 86400 * 10**6), ("h", 3600 * 10**6), ("m", 60 * 10**6), ("s", 10**6), ("ms", 1000))
_SIZE_UNITS = {
    "": 1,
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "kib": KiB,
    "mib": MiB,
    "gib": GiB,
    "tib": 1024 * GiB,
}
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([A-Za-z]*)")
DURATION_HINT = "use e.g. 500ms, 5s, 5m, 1h, 7d"
SIZE_HINT = "use e.g. 512KiB, 64MiB, 1GiB or a number of bytes"


def parse_duration(text: str) -> timedelta:
    """``"1h30m"``, ``"500ms"``, ``"7d"``, ``"30"`` (seconds) → timedelta; ValueError otherwise.

    Units: ns, us (µs), ms, s, m, h, d. Precision is a microsecond (timedelta's), so ns are rounded.
    """
    text = text.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        text += "s"
    if not text or _DURATION_PART.sub("", text):
        raise ValueError(f'invalid duration "{text}" ({DURATION_HINT})')
    micros = sum(Fraction(n) * _DURATION_UNITS_US[unit] for n, unit in _DURATION_PART.findall(text))
    try:
        return timedelta(microseconds=round(micros))
    except OverflowError:
        raise ValueError(f'duration "{text}" is too long') from None


def format_duration(value: timedelta) -> str:
    """The shortest unit string ``parse_duration`` reads back exactly: ``"1m30s"``, ``"500ms"``, ``"0s"``."""
    micros = abs(value // timedelta(microseconds=1))
    parts = []
    for unit, size in _FORMAT_UNITS_US:
        count, micros = divmod(micros, size)
        if count:
            parts.append(f"{count}{unit}")
    if micros:
        parts.append(f"{micros}us")
    return ("-" if value < timedelta(0) else "") + ("".join(parts) or "0s")


def parse_size(text: str) -> int:
    """``"64MiB"``, ``"512 KiB"``, ``"1GB"``, ``"1000000"`` → bytes; ValueError otherwise.

    KB/MB/GB/TB are powers of 1000, KiB/MiB/GiB/TiB powers of 1024 (unit case is ignored).
    """
    match = _SIZE.fullmatch(text.strip())
    unit = match and _SIZE_UNITS.get(match.group(2).lower())
    if not match or unit is None:
        raise ValueError(f'invalid size "{text}" ({SIZE_HINT})')
    size = Fraction(match.group(1)) * unit
    if size.denominator != 1:
        raise ValueError(f'invalid size "{text}": not a whole number of bytes')
    return int(size)


def format_size(value: int) -> str | int:
    """``"64MiB"`` when ``value`` is an exact multiple of a binary unit, else the plain number of bytes."""
    for unit, size in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if value and value % size == 0:
            return f"{value // size}{unit}"
    return value


# --- Secrets: dump_config masks them, code that logs a DSN should too ---------------------------------

_SECRET_WORDS = {
    "password",
    "passwd",
    "secret",
    "token",
    "key",
    "apikey",
    "authorization",
    "credentials",
    "salt",
}


def is_secret_name(name: str) -> bool:
    """Whether a field or mapping key named ``name`` holds a secret (``api_key``, ``client_secret``, …).

    ``api_key_env`` / ``secret_env`` / ``api_key_file`` say where a secret is kept, not the secret:
    ``--print-config`` shows them, so a reader sees which variable or file the gateway reads."""
    words = re.split(r"[_\-.\s]+", name.lower())
    if words[-1] in ("env", "file"):
        return False
    return any(word in _SECRET_WORDS for word in words)


def mask_url_password(value: str) -> str:
    """``http://user:pw@host/db`` → ``http://user:***@host/db``, and query parameters named like
    secrets (``?token=abc`` → ``?token=***``, as chat webhook URLs carry them); other strings unchanged."""
    if "://" not in value:
        return value
    try:
        parts = urlsplit(value)
        password = parts.password
    except ValueError:
        return value
    if password is not None:
        userinfo, _, host = parts.netloc.rpartition("@")
        parts = parts._replace(netloc=f"{userinfo.partition(':')[0]}:***@{host}")
    if parts.query:
        pairs = [pair.partition("=") for pair in parts.query.split("&")]
        parts = parts._replace(
            query="&".join(
                f"{name}={'***' if value_ and is_secret_name(name) else value_}" if equals else name
                for name, equals, value_ in pairs
            )
        )
    masked = urlunsplit(parts)
    return value if masked == urlunsplit(urlsplit(value)) else masked  # urlunsplit drops chdb:///'s //


# --- Validation helpers -------------------------------------------------------------------------------


def _endpoint_problem(endpoint: str) -> str | None:
    """Why ``endpoint`` is not ``host:port`` (IPv6 hosts in brackets), or None if it is."""
    host, sep, port = endpoint.rpartition(":")
    usage = f'must be host:port, e.g. "0.0.0.0:4317" or "[::]:4317", got "{endpoint}"'
    if not sep or not host:
        return usage
    if ":" in host and not (host.startswith("[") and host.endswith("]")):
        return f'IPv6 hosts must be in brackets, e.g. "[::1]:4317", got "{endpoint}"'
    if not (port.isascii() and port.isdigit()) or int(port) > 65535:
        return f'port must be a number from 0 to 65535, got "{endpoint}"'
    return None


def _show(value: timedelta | int) -> str:
    return format_duration(value) if isinstance(value, timedelta) else str(value)


def _not_negative(problems: Problems, name: str, value: timedelta | int) -> None:
    if value < type(value)(0):
        problems.append((name, f"must not be negative, got {_show(value)}"))


def _positive(problems: Problems, name: str, value: timedelta | int) -> None:
    if value <= type(value)(0):
        problems.append((name, f"must be greater than 0, got {_show(value)}"))


@dataclass(frozen=True)
class GrpcReceiverConfig:
    """OTLP/gRPC receiver (``TraceService``, ``LogsService``, ``MetricsService``)."""

    enabled: bool = True
    endpoint: str = "localhost:4317"

    def validate(self) -> Problems:
        problem = _endpoint_problem(self.endpoint)
        return [("endpoint", problem)] if problem else []


@dataclass(frozen=True)
class HttpReceiverConfig:
    """OTLP/HTTP receiver (``/v1/traces``, ``/v1/logs``, ``/v1/metrics``; also serves the query API)."""

    enabled: bool = True
    endpoint: str = "localhost:4318"

    def validate(self) -> Problems:
        problem = _endpoint_problem(self.endpoint)
        return [("endpoint", problem)] if problem else []


@dataclass(frozen=True)
class ReceiversConfig:
    grpc: GrpcReceiverConfig = field(default_factory=GrpcReceiverConfig)
    http: HttpReceiverConfig = field(default_factory=HttpReceiverConfig)
    max_request_size: int = 64 * MiB  # bytes, compressed and decompressed; larger: 413 / RESOURCE_EXHAUSTED

    def validate(self) -> Problems:
        problems: Problems = []
        _positive(problems, "max_request_size", self.max_request_size)
        both_enabled = self.grpc.enabled and self.http.enabled
        if (
            both_enabled
            and self.grpc.endpoint == self.http.endpoint
            and not self.http.endpoint.endswith(":0")
        ):
            problems.append(("http.endpoint", f'same as grpc.endpoint "{self.grpc.endpoint}"'))
        return problems


@dataclass(frozen=True)
class TtlConfig:
    """How long each family of tables keeps rows; 0 keeps them forever."""

    traces: timedelta = timedelta(0)
    logs: timedelta = timedelta(0)
    metrics: timedelta = timedelta(0)
    ml: timedelta = timedelta(0)

    def validate(self) -> Problems:
        problems: Problems = []
        for name in ("traces", "logs", "metrics", "ml"):
            _not_negative(problems, name, getattr(self, name))
        return problems


@dataclass(frozen=True)
class ClickHouseConfig:
    # "" means embedded chdb in <data_dir>/clickhouse; the password inside an http(s) DSN is a secret,
    # hence repr=False (the loader's dump_config masks it).
    dsn: str = field(default="", repr=False)
    database: str = "default"
    cluster: str = ""  # non-empty: ON CLUSTER DDL, Replicated engines, Distributed tables
    ttl: TtlConfig = field(default_factory=TtlConfig)
    connect_timeout: timedelta = timedelta(seconds=10)
    query_timeout: timedelta = timedelta(seconds=60)

    def validate(self) -> Problems:
        problems: Problems = []
        if self.dsn:
            problem = _dsn_problem(self.dsn)
            if problem:
                problems.append(("dsn", problem))
        if not self.database:
            problems.append(("database", "must not be empty"))
        _positive(problems, "connect_timeout", self.connect_timeout)
        _positive(problems, "query_timeout", self.query_timeout)
        return problems


def _dsn_problem(dsn: str) -> str | None:
    """Why ``dsn`` is not ``chdb:///abs/dir`` or ``http(s)://[user[:password]@]host[:port][/db]``."""
    parts = urlsplit(dsn)
    if parts.scheme not in DSN_SCHEMES:
        return (
            f'scheme must be one of {", ".join(DSN_SCHEMES)}, got "{parts.scheme}" (in "{parts.scheme}://…")'
        )
    if parts.scheme == "chdb":
        if parts.netloc or not parts.path.startswith("/"):
            return "a chdb DSN needs an absolute directory: chdb:///abs/dir"
        return None
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "port must be a number from 0 to 65535"
    if not parts.hostname:
        return "an http(s) DSN needs a host: http://user:password@host:8123/db"
    return None


@dataclass(frozen=True)
class IngestConfig:
    flush_interval: timedelta = timedelta(seconds=1)  # one INSERT per signal per interval...
    max_batch_bytes: int = 16 * MiB  # ...or earlier when a batch reaches this size
    max_queue_bytes: int = 256 * MiB  # accepted, not yet inserted; beyond it exports get UNAVAILABLE/503
    retry_after: timedelta = timedelta(seconds=2)  # RetryInfo / Retry-After hint when the queue is full
    spool_dir: str = ""  # "" means <data_dir>/spool
    max_insert_retry_backoff: timedelta = timedelta(seconds=30)

    def validate(self) -> Problems:
        problems: Problems = []
        _positive(problems, "flush_interval", self.flush_interval)
        _positive(problems, "max_batch_bytes", self.max_batch_bytes)
        _positive(problems, "max_queue_bytes", self.max_queue_bytes)
        if self.max_batch_bytes > 0 and 0 < self.max_queue_bytes < self.max_batch_bytes:
            batch = format_size(self.max_batch_bytes)
            problems.append(("max_queue_bytes", f"must be at least max_batch_bytes ({batch})"))
        _positive(problems, "retry_after", self.retry_after)
        _positive(problems, "max_insert_retry_backoff", self.max_insert_retry_backoff)
        return problems


@dataclass(frozen=True)
class QueryApiConfig:
    """``POST /api/v1/query`` on the HTTP receiver; queries run with ClickHouse ``readonly=1``."""

    enabled: bool = True
    max_result_rows: int = 100_000
    timeout: timedelta = timedelta(seconds=30)

    def validate(self) -> Problems:
        problems: Problems = []
        _positive(problems, "max_result_rows", self.max_result_rows)
        _positive(problems, "timeout", self.timeout)
        return problems


@dataclass(frozen=True)
class Config:
    data_dir: str = "./inferwatch-data"  # embedded ClickHouse and the spool live here
    log_level: str = "info"
    receivers: ReceiversConfig = field(default_factory=ReceiversConfig)
    clickhouse: ClickHouseConfig = field(default_factory=ClickHouseConfig)
    ingest: IngestConfig = field(default_factory=IngestConfig)
    query_api: QueryApiConfig = field(default_factory=QueryApiConfig)
    ml: MlConfig = field(default_factory=MlConfig)
    drift: DriftConfig = field(default_factory=DriftConfig)
    feedback: FeedbackConfig = field(default_factory=FeedbackConfig)
    alerting: AlertingConfig = field(default_factory=AlertingConfig)
    notifications: NotificationsConfig = field(default_factory=NotificationsConfig)
    quality: QualityConfig = field(default_factory=QualityConfig)
    performance: PerformanceConfig = field(default_factory=PerformanceConfig)

    def validate(self) -> Problems:
        problems: Problems = []
        if not self.data_dir:
            problems.append(("data_dir", "must not be empty"))
        if self.log_level not in LOG_LEVELS:
            problems.append(("log_level", f'must be one of {", ".join(LOG_LEVELS)}, got "{self.log_level}"'))
        return problems

    def resolved_data_dir(self) -> str:
        """``data_dir`` as an absolute path (``~`` expanded, relative to the working directory)."""
        return os.path.abspath(os.path.expanduser(self.data_dir))

    def resolved_clickhouse_dsn(self) -> str:
        """``clickhouse.dsn``, or ``chdb:///<absolute data_dir>/clickhouse`` when it is empty."""
        if self.clickhouse.dsn:
            return self.clickhouse.dsn
        return "chdb://" + os.path.join(self.resolved_data_dir(), "clickhouse")

    def resolved_spool_dir(self) -> str:
        """``ingest.spool_dir`` as an absolute path, or ``<absolute data_dir>/spool`` when it is empty."""
        if self.ingest.spool_dir:
            return os.path.abspath(os.path.expanduser(self.ingest.spool_dir))
        return os.path.join(self.resolved_data_dir(), "spool")
