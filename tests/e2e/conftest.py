"""End-to-end fixtures: real gateways on free ports, writing to one embedded ClickHouse.

A process can open one chdb directory only, so every e2e test shares one directory for the
session and isolates itself with a database of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gateway.app import Gateway
from gateway.clock import Clock
from gateway.config import Config, load_config
from gateway.storage.client import open_client


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def chdb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("chdb")


class GatewayFactory:
    def __init__(self, chdb_dir: Path, tmp_path: Path) -> None:
        self.chdb_dir = chdb_dir
        self.tmp_path = tmp_path
        self.database = f"e2e_{uuid.uuid4().hex[:10]}"
        self.started: list[Gateway] = []
        self._clients: list = []

    def config(self, *overrides: str) -> Config:
        return load_config(
            None,
            [
                f"clickhouse.dsn=chdb://{self.chdb_dir}",
                f"clickhouse.database={self.database}",
                "receivers.grpc.endpoint=127.0.0.1:0",
                "receivers.http.endpoint=127.0.0.1:0",
                f"data_dir={self.tmp_path}",
                "ingest.flush_interval=50ms",
                *overrides,
            ],
        )

    def start(self, *overrides: str, clock: Clock | None = None, run_tasks: bool = True) -> Gateway:
        """A started gateway; ``run_tasks=False`` leaves its periodic tasks to the test (``run_once``)."""
        gateway = Gateway(self.config(*overrides), clock=clock, run_tasks=run_tasks)
        gateway.start()
        self.started.append(gateway)
        return gateway

    def rows(self, sql: str, parameters: dict | None = None) -> list[tuple]:
        """Run SQL on the test's database (after the gateways flushed)."""
        for gateway in self.started:
            for writer in gateway.writers.values():
                writer.flush(timeout=30)
        if not self._clients:
            self._clients.append(open_client(f"chdb://{self.chdb_dir}", self.database))
        return self._clients[0].query(sql, parameters=parameters or {}).result_rows

    def close(self) -> None:
        for gateway in self.started:
            gateway.shutdown(grace=1)
        for client in self._clients:
            client.close()


@pytest.fixture
def gateways(chdb_dir: Path, tmp_path: Path) -> Iterator[GatewayFactory]:
    factory = GatewayFactory(chdb_dir, tmp_path)
    yield factory
    factory.close()


@pytest.fixture
def gateway(gateways: GatewayFactory) -> Gateway:
    return gateways.start()


Endpoint = Callable[[Gateway], str]


def grpc_endpoint(gateway: Gateway) -> str:
    assert gateway.grpc is not None
    return f"127.0.0.1:{gateway.grpc.port}"


def http_url(gateway: Gateway) -> str:
    assert gateway.http is not None
    return f"http://127.0.0.1:{gateway.http.port}"
