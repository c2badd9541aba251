"""`inferwatch serve` and `inferwatch query` as separate processes: lifecycle, durability, CLI errors."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

INFERWATCH = [sys.executable, "-m", "gateway"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServeProcess:
    def __init__(self, data_dir: Path, *extra: str) -> None:
        self.grpc_port, self.http_port = free_port(), free_port()
        self.log = data_dir.parent / f"serve-{self.http_port}.log"
        self.args = [
            *INFERWATCH,
            "serve",
            "--data-dir",
            str(data_dir),
            "--grpc-endpoint",
            f"127.0.0.1:{self.grpc_port}",
            "--http-endpoint",
            f"127.0.0.1:{self.http_port}",
            *extra,
        ]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(self.args, stderr=log, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"gateway did not become ready:\n{self.log.read_text()}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def query(self, sql: str) -> list[dict]:
        result = subprocess.run(
            [*INFERWATCH, "query", "--url", self.url, "--format", "json", sql],
            capture_output=True,
            timeout=60,
            check=True,
        )
        return [json.loads(line) for line in result.stdout.splitlines()]

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.process.send_signal(sig)
        return self.process.wait(timeout=60)


def send_spans(port: int, count: int, name: str) -> None:
    provider = TracerProvider(resource=Resource.create({"service.name": "durability"}))
    provider.add_span_processor(
        SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"127.0.0.1:{port}", insecure=True))
    )
    tracer = provider.get_tracer("tests")
    for _ in range(count):
        with tracer.start_as_current_span(name):
            pass
    provider.shutdown()


def test_acknowledged_spans_survive_kill_9(tmp_path):
    # A flush interval of an hour: acknowledged spans are only in the spool when the process dies.
    first = ServeProcess(tmp_path / "data", "--set", "ingest.flush_interval=1h")
    send_spans(first.grpc_port, 25, "before-kill")
    assert first.stop(signal.SIGKILL) == -signal.SIGKILL
    segments = list((tmp_path / "data" / "spool" / "traces").glob("*.seg"))
    assert segments, "the acknowledged spans must be in the spool"

    second = ServeProcess(tmp_path / "data")
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            rows = second.query("SELECT count() AS n FROM otel_traces WHERE SpanName = 'before-kill'")
            if rows[0]["n"] == 25:
                break
            time.sleep(0.2)
        assert rows == [{"n": 25}]
    finally:
        assert second.stop() == 0


def test_sigterm_flushes_and_restart_keeps_rows(tmp_path):
    first = ServeProcess(tmp_path / "data", "--set", "ingest.flush_interval=1h")
    send_spans(first.grpc_port, 10, "before-stop")
    assert first.stop(signal.SIGTERM) == 0
    assert "stopped" in first.log.read_text()
    assert not list((tmp_path / "data" / "spool" / "traces").glob("*.seg")), "SIGTERM flushes the spool"

    second = ServeProcess(tmp_path / "data")
    try:
        send_spans(second.grpc_port, 5, "after-restart")
        time.sleep(1.5)  # the default flush interval is 1 s; this is a process test, not a unit test
        rows = second.query(
            "SELECT SpanName AS name, count() AS n FROM otel_traces GROUP BY name ORDER BY name"
        )
        assert rows == [{"name": "after-restart", "n": 5}, {"name": "before-stop", "n": 10}]
        # read-only is enforced by ClickHouse, through the running gateway
        result = subprocess.run(
            [*INFERWATCH, "query", "--url", second.url, "DROP TABLE otel_traces"],
            capture_output=True,
            timeout=60,
        )
        assert result.returncode == 1
        assert b"readonly" in result.stderr
        assert second.query("SELECT count() AS n FROM otel_traces") == [{"n": 15}]
    finally:
        assert second.stop() == 0
    listening = second.log.read_text()
    assert f"OTLP/gRPC on 127.0.0.1:{second.grpc_port}" in listening
    assert str(tmp_path / "data") in listening


def test_config_error_names_the_key_and_binds_nothing(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text(
        "receivers:\n  grpc:\n    endpont: 0.0.0.0:4317\ningest:\n  flush_interval: 5 minutes\n"
    )
    result = subprocess.run([*INFERWATCH, "serve", "--config", str(config)], capture_output=True, timeout=60)
    assert result.returncode == 2
    stderr = result.stderr.decode()
    assert "receivers.grpc.endpont" in stderr and "endpoint" in stderr
    assert "ingest.flush_interval" in stderr and "5 minutes" in stderr
    assert "listening" not in stderr and "running" not in stderr


def test_print_config_masks_the_password(tmp_path):
    result = subprocess.run(
        [*INFERWATCH, "serve", "--print-config", "--clickhouse-dsn", "http://ops:s3cret@db.internal:8123/ml"],
        capture_output=True,
        timeout=60,
        check=True,
    )
    output = result.stdout.decode()
    assert "s3cret" not in output
    assert "http://ops:***@db.internal:8123/ml" in output
    assert "flush_interval: 1s" in output


def test_version_and_help():
    version = subprocess.run([*INFERWATCH, "version"], capture_output=True, timeout=60, check=True)
    assert version.stdout.decode().startswith("inferwatch ")
    helptext = subprocess.run([*INFERWATCH, "serve", "--help"], capture_output=True, timeout=60, check=True)
    assert b"--print-config" in helptext.stdout and b"SIGTERM" in helptext.stdout


@pytest.mark.skipif(os.name != "posix", reason="signals")
def test_query_without_gateway_opens_the_directory_read_only(tmp_path):
    first = ServeProcess(tmp_path / "data")
    send_spans(first.grpc_port, 3, "offline")
    assert first.stop() == 0
    result = subprocess.run(
        [
            *INFERWATCH,
            "query",
            "--set",
            f"data_dir={tmp_path / 'data'}",
            "--set",
            "receivers.http.endpoint=127.0.0.1:1",
            "--format",
            "csv",
            "SELECT SpanName, count() FROM otel_traces GROUP BY SpanName",
        ],
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().splitlines() == ['"SpanName","count()"', '"offline",3']
