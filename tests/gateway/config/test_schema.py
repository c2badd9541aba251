"""Tests for gateway.config.schema: defaults, derived values, value syntax and validate()."""

import os
from datetime import timedelta

import pytest

from gateway.config.schema import (
    ClickHouseConfig,
    Config,
    GrpcReceiverConfig,
    IngestConfig,
    ReceiversConfig,
    TtlConfig,
    format_duration,
    format_size,
    is_secret_name,
    mask_url_password,
    parse_duration,
    parse_size,
)

MiB = 1024 * 1024


def test_defaults() -> None:
    config = Config()
    assert config.data_dir == "./inferwatch-data"
    assert config.log_level == "info"
    assert config.receivers.grpc == GrpcReceiverConfig(enabled=True, endpoint="localhost:4317")
    assert config.receivers.http.endpoint == "localhost:4318"
    assert config.receivers.max_request_size == 64 * MiB
    assert config.clickhouse.dsn == ""
    assert config.clickhouse.database == "default"
    assert config.clickhouse.ttl == TtlConfig(timedelta(0), timedelta(0), timedelta(0), timedelta(0))
    assert config.clickhouse.connect_timeout == timedelta(seconds=10)
    assert config.clickhouse.query_timeout == timedelta(seconds=60)
    assert config.ingest == IngestConfig(
        flush_interval=timedelta(seconds=1),
        max_batch_bytes=16 * MiB,
        max_queue_bytes=256 * MiB,
        retry_after=timedelta(seconds=2),
        spool_dir="",
        max_insert_retry_backoff=timedelta(seconds=30),
    )
    assert config.query_api.enabled is True
    assert config.query_api.max_result_rows == 100_000
    assert config.query_api.timeout == timedelta(seconds=30)


def test_defaults_are_valid_everywhere() -> None:
    config = Config()
    for section in (
        config,
        config.receivers,
        config.receivers.grpc,
        config.receivers.http,
        config.clickhouse,
        config.clickhouse.ttl,
        config.ingest,
        config.query_api,
    ):
        assert section.validate() == []


def test_configs_are_frozen() -> None:
    with pytest.raises(AttributeError):
        Config().log_level = "debug"  # type: ignore[misc]


def test_resolved_dsn_and_spool_dir_default_under_the_absolute_data_dir() -> None:
    config = Config(data_dir="relative/data")
    data_dir = os.path.abspath("relative/data")
    assert config.resolved_data_dir() == data_dir
    assert config.resolved_clickhouse_dsn() == "chdb://" + os.path.join(data_dir, "clickhouse")
    assert config.resolved_clickhouse_dsn().startswith("chdb:///")
    assert config.resolved_spool_dir() == os.path.join(data_dir, "spool")


def test_explicit_dsn_and_spool_dir_win() -> None:
    config = Config(
        clickhouse=ClickHouseConfig(dsn="http://u:p@ch:8123/db"),
        ingest=IngestConfig(spool_dir="/var/spool/iw"),
    )
    assert config.resolved_clickhouse_dsn() == "http://u:p@ch:8123/db"
    assert config.resolved_spool_dir() == "/var/spool/iw"


def test_dsn_is_not_in_repr() -> None:
    assert "hunter2" not in repr(Config(clickhouse=ClickHouseConfig(dsn="http://u:hunter2@ch:8123")))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("500ms", timedelta(milliseconds=500)),
        ("5s", timedelta(seconds=5)),
        ("5m", timedelta(minutes=5)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("7d", timedelta(days=7)),
        ("1.5h", timedelta(minutes=90)),
        ("250us", timedelta(microseconds=250)),
        ("250µs", timedelta(microseconds=250)),
        ("2000ns", timedelta(microseconds=2)),
        ("30", timedelta(seconds=30)),
        ("0.1", timedelta(milliseconds=100)),
        ("0", timedelta(0)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "5 minutes", "5minutes", "1h 30m", "-5s", "s", "5x", "1e3s"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    "value",
    [
        timedelta(0),
        timedelta(milliseconds=500),
        timedelta(seconds=90),
        timedelta(days=30, hours=1),
        timedelta(microseconds=1),
        timedelta(hours=1, minutes=30, seconds=15, milliseconds=250),
    ],
)
def test_format_duration_round_trips(value: timedelta) -> None:
    assert parse_duration(format_duration(value)) == value


def test_format_duration_is_short() -> None:
    assert format_duration(timedelta(seconds=1)) == "1s"
    assert format_duration(timedelta(milliseconds=500)) == "500ms"
    assert format_duration(timedelta(minutes=2)) == "2m"
    assert format_duration(timedelta(seconds=90)) == "1m30s"
    assert format_duration(timedelta(0)) == "0s"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("64MiB", 64 * MiB),
        ("512KiB", 512 * 1024),
        ("1GiB", 1024 * MiB),
        ("1000000", 1_000_000),
        ("1MB", 1_000_000),
        ("2kb", 2000),
        ("10B", 10),
        ("1.5KiB", 1536),
        ("64 MiB", 64 * MiB),
    ],
)
def test_parse_size(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "64 megs", "-1", "MiB", "0.5B", "1.2.3KiB"])
def test_parse_size_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="size"):
        parse_size(text)


def test_format_size() -> None:
    assert format_size(64 * MiB) == "64MiB"
    assert format_size(1024 * MiB) == "1GiB"
    assert format_size(3072) == "3KiB"
    assert format_size(1536) == 1536
    assert format_size(1_000_000) == 1_000_000
    assert format_size(0) == 0


def test_mask_url_password() -> None:
    assert mask_url_password("http://user:s3cret@ch:8123/db") == "http://user:***@ch:8123/db"
    assert mask_url_password("https://user@ch/db") == "https://user@ch/db"
    assert mask_url_password("chdb:///var/lib/iw") == "chdb:///var/lib/iw"
    assert mask_url_password("no url") == "no url"


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("password", True),
        ("api_key", True),
        ("client_secret", True),
        ("auth_token", True),
        ("Authorization", True),
        ("endpoint", False),
        ("dsn", False),
        ("max_batch_bytes", False),
        ("api_key_env", False),  # the name of the variable holding the key
        ("secret_env", False),
        ("api_key_file", False),
    ],
)
def test_is_secret_name(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret


@pytest.mark.parametrize(
    ("endpoint", "fragment"),
    [
        ("localhost", "must be host:port"),
        (":4317", "must be host:port"),
        ("localhost:http", "port must be a number"),
        ("localhost:65536", "port must be a number"),
        ("::1:4317", "IPv6 hosts must be in brackets"),
    ],
)
def test_endpoint_validation(endpoint: str, fragment: str) -> None:
    problems = GrpcReceiverConfig(endpoint=endpoint).validate()
    assert len(problems) == 1
    assert problems[0][0] == "endpoint"
    assert fragment in problems[0][1]


@pytest.mark.parametrize("endpoint", ["0.0.0.0:4317", "[::]:0", "[::1]:65535", "my-host.example:1"])
def test_endpoint_validation_accepts(endpoint: str) -> None:
    assert GrpcReceiverConfig(endpoint=endpoint).validate() == []


def test_receivers_on_the_same_endpoint_clash() -> None:
    receivers = ReceiversConfig(grpc=GrpcReceiverConfig(endpoint="localhost:4318"))
    assert receivers.validate() == [("http.endpoint", 'same as grpc.endpoint "localhost:4318"')]


@pytest.mark.parametrize(
    ("dsn", "fragment"),
    [
        ("mysql://host/db", "scheme must be one of chdb, http, https"),
        ("/var/lib/clickhouse", "scheme must be one of"),
        ("chdb://relative/dir", "absolute directory"),
        ("http://:8123", "needs a host"),
        ("http://host:99999", "port must be a number"),
    ],
)
def test_dsn_validation(dsn: str, fragment: str) -> None:
    problems = ClickHouseConfig(dsn=dsn).validate()
    assert [name for name, _ in problems] == ["dsn"]
    assert fragment in problems[0][1]


@pytest.mark.parametrize("dsn", ["", "chdb:///var/lib/iw", "http://u:p@ch:8123/db", "https://ch.example"])
def test_dsn_validation_accepts(dsn: str) -> None:
    assert ClickHouseConfig(dsn=dsn).validate() == []


def test_ingest_ranges() -> None:
    ingest = IngestConfig(flush_interval=timedelta(0), max_batch_bytes=2 * MiB, max_queue_bytes=MiB)
    assert ingest.validate() == [
        ("flush_interval", "must be greater than 0, got 0s"),
        ("max_queue_bytes", "must be at least max_batch_bytes (2MiB)"),
    ]


def test_negative_ttl_is_invalid() -> None:
    assert TtlConfig(logs=timedelta(days=-1)).validate() == [("logs", "must not be negative, got -1d")]


def test_log_level_must_be_known() -> None:
    assert Config(log_level="verbose").validate() == [
        ("log_level", 'must be one of debug, info, warning, error, got "verbose"')
    ]
