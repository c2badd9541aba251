"""Tests for gateway.ingest.writer: batching, back-pressure, partition limit, retries, dead letters.

The flusher thread is real, but nothing here waits on the wall clock: ``flush_interval`` is an hour,
so batches are inserted only by ``flush()``/``shutdown()`` (condition waits) or the size trigger,
and the retry back-off is an injected no-op that records what it was asked to wait.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError

from gateway.ingest.spool import SEGMENT_SUFFIX, Spool, encode_record, iter_records
from gateway.ingest.writer import QueueFull, SignalWriter, TransientInsertError, is_transient
from gateway.storage.client import StorageUnavailable

WAIT = 30.0  # generous bound for condition waits; a passing test never comes near it
POISON = b"<poison>"
BAD_ARGUMENT = "Code: 36. DB::Exception: Unexpected value of enum. (BAD_ARGUMENTS)"


class FakeSink:
    """Records every insert attempt; ``failures`` are raised by the next attempts, one each."""

    def __init__(self) -> None:
        self.inserted: list[bytes] = []
        self.attempts: list[bytes] = []
        self.failures: deque[BaseException] = deque()
        self.down: BaseException | None = None  # raised by every attempt while set
        self._changed = threading.Condition()

    def insert(self, payload: bytes) -> None:
        with self._changed:
            self.attempts.append(payload)
            self._changed.notify_all()
            if self.failures:
                raise self.failures.popleft()
            if self.down is not None:
                raise self.down
            if POISON in payload:
                raise Exception(BAD_ARGUMENT)
            self.inserted.append(payload)

    def wait_for_attempts(self, count: int) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.attempts) >= count, timeout=WAIT)

    def batches(self) -> list[list[bytes]]:
        """The requests of each successful insert."""
        return [list(iter_records(payload)) for payload in self.inserted]


class RecordingSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


WriterFactory = Callable[..., SignalWriter]


@pytest.fixture
def spool_dir(tmp_path: Path) -> Path:
    return tmp_path / "spool" / "traces"


@pytest.fixture
def make_writer(spool_dir: Path) -> Iterator[WriterFactory]:
    writers: list[SignalWriter] = []

    def make(sink: FakeSink, **options: object) -> SignalWriter:
        settings: dict[str, object] = {"flush_interval": 3600.0, "sleep": RecordingSleep(), **options}
        writer = SignalWriter("traces", Spool(str(spool_dir)), sink, **settings)  # type: ignore[arg-type]
        writers.append(writer)
        return writer

    yield make
    for writer in writers:
        writer.shutdown(timeout=0)


def _request(index: int, size: int = 0) -> bytes:
    return f"request-{index}:".encode().ljust(size, b".")


def _segment_files(directory: Path) -> list[str]:
    return sorted(name for name in os.listdir(directory) if name.endswith(SEGMENT_SUFFIX))


# ---- batching --------------------------------------------------------------------------------
def test_many_submits_become_one_insert_of_the_concatenated_requests(
    make_writer: WriterFactory, spool_dir: Path
) -> None:
    sink = FakeSink()
    writer = make_writer(sink)
    writer.start()
    requests = [_request(index) for index in range(50)]
    for request in requests:
        writer.submit(request)

    assert writer.flush(WAIT)

    assert sink.inserted == [b"".join(encode_record(request) for request in requests)]
    assert sink.batches() == [requests]
    assert writer.queued_bytes == 0
    assert _segment_files(spool_dir) == []  # released once inserted
    stats = writer.stats
    assert (stats.accepted_requests, stats.accepted_bytes) == (50, sum(map(len, requests)))
    assert (stats.inserts, stats.inserted_requests, stats.insert_failures) == (1, 50, 0)


def test_each_flush_inserts_what_arrived_since_the_last_one(
    make_writer: WriterFactory, spool_dir: Path
) -> None:
    sink = FakeSink()
    writer = make_writer(sink)
    writer.start()
    writer.submit(_request(1))
    writer.submit(_request(2))
    assert writer.flush(WAIT)
    writer.submit(_request(3))

    assert writer.flush(WAIT)

    assert sink.batches() == [[_request(1), _request(2)], [_request(3)]]
    assert writer.flush(WAIT)  # nothing new: no empty insert
    assert len(sink.attempts) == 2


def test_max_batch_bytes_seals_the_batch(make_writer: WriterFactory) -> None:
    sink = FakeSink()
    writer = make_writer(sink, max_batch_bytes=100)
    writer.start()
    requests = [_request(index, size=40) for index in range(10)]
    for request in requests:
        writer.submit(request)

    # The size trigger alone gets the full batches inserted: no flush needed.
    sink.wait_for_attempts(3)
    assert writer.flush(WAIT)

    assert sink.batches() == [requests[0:3], requests[3:6], requests[6:9], requests[9:]]


def test_a_request_larger_than_max_batch_bytes_is_a_batch_of_its_own(make_writer: WriterFactory) -> None:
    sink = FakeSink()
    writer = make_writer(sink, max_batch_bytes=100)
    writer.start()
    writer.submit(_request(1, size=10))
    writer.submit(_request(2, size=500))
    writer.submit(_request(3, size=10))

    assert writer.flush(WAIT)

    assert sink.batches() == [[_request(1, size=10), _request(2, size=500)], [_request(3, size=10)]]


# ---- back-pressure ---------------------------------------------------------------------------
def test_queue_full_once_queued_bytes_would_pass_the_limit(make_writer: WriterFactory) -> None:
    sink = FakeSink()
    writer = make_writer(sink, max_queue_bytes=100, retry_after=7.5)
    writer.submit(_request(1, size=60))  # the flusher is not running: nothing leaves the queue
    writer.submit(_request(2, size=40))  # exactly at the limit is still accepted

    with pytest.raises(QueueFull) as raised:
        writer.submit(_request(3, size=1))

    assert raised.value.retry_after_seconds == 7.5
    assert "7.5s" in str(raised.value)
    assert writer.queued_bytes == 100
    assert (writer.stats.accepted_requests, writer.stats.rejected_queue_full) == (2, 1)

    writer.start()
    assert writer.flush(WAIT)
    assert writer.queued_bytes == 0
    writer.submit(_request(3, size=1))  # room again once ClickHouse has the batch
    assert writer.stats.accepted_requests == 3


def test_first_request_is_accepted_even_when_larger_than_the_queue(make_writer: WriterFactory) -> None:
    sink = FakeSink()
    writer = make_writer(sink, max_queue_bytes=100)
    writer.submit(_request(1, size=500))
    with pytest.raises(QueueFull):
        writer.submit(_request(2, size=1))
    assert writer.queued_bytes == 500


# ---- partition limit -------------------------------------------------------------------------
def test_no_insert_spans_more_than_max_partitions_days(make_writer: WriterFactory) -> None:
    sink = FakeSink()
    writer = make_writer(sink, max_partitions=3)
    writer.start()
    days = [{1}, {2}, {2, 3}, {4}, {4, 5}, {5}, {1, 2}, {6, 7, 8}, {9}]
    requests = {_request(index): frozenset(request_days) for index, request_days in enumerate(days)}
    for request, request_days in requests.items():
        writer.submit(request, request_days)

    assert writer.flush(WAIT)

    batches = sink.batches()
    assert [len(batch) for batch in batches] == [3, 3, 1, 1, 1]
    for batch in batches:
        assert len(set().union(*(requests[request] for request in batch))) <= 3
    assert [request for batch in batches for request in batch] == list(requests)


# ---- transient failures ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "failures",
    [
        pytest.param([TransientInsertError("busy"), ConnectionError("refused")], id="transient+connection"),
        pytest.param(
            [Exception("Code: 241. DB::Exception: Memory limit (total) exceeded")] * 2, id="code-241"
        ),
        pytest.param([OperationalError("HTTP driver failed"), TimeoutError("read timed out")], id="driver"),
    ],
)
def test_transient_failures_retry_the_same_batch_until_it_is_in(
    make_writer: WriterFactory, spool_dir: Path, failures: list[Exception]
) -> None:
    sink = FakeSink()
    sink.failures.extend(failures)
    sleep = RecordingSleep()
    writer = make_writer(sink, sleep=sleep, max_backoff=30.0)
    writer.start()
    requests = [_request(index) for index in range(3)]
    for request in requests:
        writer.submit(request)

    assert writer.flush(WAIT)

    expected = b"".join(encode_record(request) for request in requests)
    assert sink.attempts == [expected] * 3
    assert sink.inserted == [expected]
    stats = writer.stats
    assert (stats.inserts, stats.inserted_requests, stats.insert_failures, stats.dead_lettered_requests) == (
        1,
        3,
        2,
        0,
    )
    # Jittered exponential back-off: 50-100% of 0.1s, then of 0.2s.
    assert len(sleep.delays) == 2
    assert 0.05 <= sleep.delays[0] <= 0.1
    assert 0.1 <= sleep.delays[1] <= 0.2
    assert _segment_files(spool_dir) == []
    assert not (spool_dir / "dead-letter").exists()


def test_back_off_is_capped(make_writer: WriterFactory) -> None:
    sink = FakeSink()
    sink.failures.extend(ConnectionError("refused") for _ in range(8))
    sleep = RecordingSleep()
    writer = make_writer(sink, sleep=sleep, max_backoff=0.5)
    writer.start()
    writer.submit(_request(1))

    assert writer.flush(WAIT)

    assert len(sleep.delays) == 8
    assert max(sleep.delays) <= 0.5
    assert sleep.delays[-1] >= 0.25
    assert sink.batches() == [[_request(1)]]


# ---- permanent failures ----------------------------------------------------------------------
def test_a_rejected_request_is_dead_lettered_and_the_others_inserted(
    make_writer: WriterFactory, spool_dir: Path
) -> None:
    sink = FakeSink()
    writer = make_writer(sink)
    writer.start()
    good_1, bad, good_2 = _request(1), _request(2) + POISON, _request(3)
    for request in (good_1, bad, good_2):
        writer.submit(request)

    assert writer.flush(WAIT)

    assert sink.batches() == [[good_1], [good_2]]  # one by one after the batch was rejected
    assert len(sink.attempts) == 4  # the batch, then each request once: a permanent error is not retried
    stats = writer.stats
    assert stats.dead_lettered_requests == 1
    assert (stats.inserts, stats.inserted_requests, stats.insert_failures) == (2, 2, 2)
    dead_letter = spool_dir / "dead-letter"
    (segment_name,) = _segment_files(dead_letter)
    assert (dead_letter / segment_name).read_bytes() == encode_record(bad)
    assert (dead_letter / f"{segment_name}.errors").read_text(encoding="utf-8") == f"{BAD_ARGUMENT}\n"
    assert _segment_files(spool_dir) == []  # the segment itself is done with
    assert writer.queued_bytes == 0


def test_a_transient_failure_while_isolating_does_not_dead_letter_a_good_request(
    make_writer: WriterFactory, spool_dir: Path
) -> None:
    sink = FakeSink()
    sink.failures.extend([Exception(BAD_ARGUMENT), ConnectionError("refused")])
    writer = make_writer(sink)
    writer.start()
    writer.submit(_request(1))
    writer.submit(_request(2))

    assert writer.flush(WAIT)

    assert sink.batches() == [[_request(1)], [_request(2)]]
    assert writer.stats.dead_lettered_requests == 0
    assert not (spool_dir / "dead-letter").exists()


def test_shutdown_while_isolating_keeps_requests_spooled_instead_of_dead_lettering(
    make_writer: WriterFactory, spool_dir: Path
) -> None:
    # The batch is rejected, then ClickHouse goes away while the requests are tried one by one:
    # none of them is bad, so none may end in the dead-letter directory.
    sink = FakeSink()
    sink.failures.append(Exception(BAD_ARGUMENT))
    sink.down = ConnectionError("refused")
    # The writer's own back-off wait, which shutdown interrupts; no wall-clock time passes here.
    writer = make_writer(sink, sleep=None)
    writer.start()
    writer.submit(_request(1))
    writer.submit(_request(2))
    writer.flush(0)
    sink.wait_for_attempts(2)  # the rejected batch, then the first request alone

    assert writer.shutdown(timeout=0) is False

    assert writer.stats.dead_lettered_requests == 0
    assert not (spool_dir / "dead-letter").exists()
    assert len(_segment_files(spool_dir)) == 1


# ---- lifecycle -------------------------------------------------------------------------------
def test_shutdown_drains_everything_and_is_idempotent(make_writer: WriterFactory, spool_dir: Path) -> None:
    sink = FakeSink()
    writer = make_writer(sink)
    writer.start()
    writer.submit(_request(1))
    writer.submit(_request(2))

    assert writer.shutdown(timeout=WAIT) is True
    assert sink.batches() == [[_request(1), _request(2)]]
    assert _segment_files(spool_dir) == []

    assert writer.shutdown(timeout=WAIT) is True
    assert len(sink.attempts) == 1
    with pytest.raises(QueueFull):
        writer.submit(_request(3))


def test_shutdown_without_start_is_safe(make_writer: WriterFactory) -> None:
    writer = make_writer(FakeSink())
    assert writer.shutdown(timeout=WAIT) is True
    assert writer.shutdown(timeout=WAIT) is True


@pytest.mark.timeout(20)
def test_shutdown_without_start_does_not_wait_for_a_flusher_that_never_ran(
    make_writer: WriterFactory, spool_dir: Path
) -> None:
    sink = FakeSink()
    writer = make_writer(sink)
    writer.submit(_request(1))

    assert writer.shutdown(timeout=3600) is False  # returns at once: nobody could insert
    assert sink.attempts == []
    assert len(_segment_files(spool_dir)) == 1


def test_shutdown_while_the_sink_is_down_keeps_the_data_for_the_next_start(
    make_writer: WriterFactory, spool_dir: Path
) -> None:
    sink = FakeSink()
    sink.down = ConnectionError("connection refused")
    # The writer's own back-off wait is interrupted by shutdown; no wall-clock time passes here.
    writer = make_writer(sink, sleep=None)
    writer.start()
    writer.submit(_request(1))
    writer.submit(_request(2))
    writer.flush(0)
    sink.wait_for_attempts(1)

    assert writer.shutdown(timeout=0) is False
    assert writer.shutdown(timeout=0) is False
    assert sink.inserted == []
    assert writer.stats.insert_failures >= 1
    assert len(_segment_files(spool_dir)) == 1

    healthy = FakeSink()
    restarted = make_writer(healthy)
    assert restarted.queued_bytes == 0
    restarted.start()  # recovery: the spooled batch is queued before anything new
    restarted.submit(_request(3))

    assert restarted.flush(WAIT)

    assert healthy.batches() == [[_request(1), _request(2)], [_request(3)]]
    assert restarted.stats.inserted_requests == 3
    assert _segment_files(spool_dir) == []


def test_recovered_segments_are_inserted_oldest_first(make_writer: WriterFactory, spool_dir: Path) -> None:
    spool = Spool(str(spool_dir))
    for batch in (["a1", "a2"], ["b1"], ["c1", "c2", "c3"]):
        for name in batch:
            spool.append(name.encode())
        spool.seal()
    spool.close()
    sink = FakeSink()
    writer = make_writer(sink)

    writer.start()
    assert writer.flush(WAIT)

    assert sink.batches() == [[b"a1", b"a2"], [b"b1"], [b"c1", b"c2", b"c3"]]
    assert writer.queued_bytes == 0  # recovered bytes were counted as queued, then released


# ---- classification --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (TransientInsertError("busy"), True),
        (ConnectionRefusedError("refused"), True),
        (TimeoutError("timed out"), True),
        (Exception("Code: 241. DB::Exception: Memory limit (total) exceeded: would use 9.31 GiB"), True),
        (Exception("Code: 252. DB::Exception: Too many parts (300)"), True),
        (
            DatabaseError(
                "HTTPDriver received ClickHouse error code 209\n Code: 209. DB::Exception: Timeout"
            ),
            True,
        ),
        (Exception(BAD_ARGUMENT), False),
        (Exception("Code: 27. DB::Exception: Cannot parse input"), False),
        (DatabaseError("Code: 62. DB::Exception: Syntax error"), False),
        (OperationalError("Error HTTPConnectionPool(host='ch', port=8123): Max retries exceeded"), True),
        (StorageUnavailable("cannot open ClickHouse"), True),
        (ValueError("bug in the writer"), False),
        (Exception("Code: 60. DB::Exception: Table default.otlp_traces_ingest does not exist"), True),
        (Exception("Code: 516. DB::Exception: default: Authentication failed"), True),
        (Exception("Code: 3. DB::Exception: Unexpected end of file while reading"), False),
    ],
)
def test_is_transient(error: BaseException, transient: bool) -> None:
    assert is_transient(error) is transient
