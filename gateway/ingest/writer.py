"""The batching writer: spooled export requests of one signal → one ClickHouse INSERT per flush.

Reads: requests handed over by the receivers. Writes: the signal's spool segments and its
ingest table (``processors.otlp_tables.INGEST_TABLES``). Config keys: ``ingest.flush_interval``,
``ingest.max_batch_bytes``, ``ingest.max_queue_bytes``, ``ingest.retry_after``,
``ingest.max_insert_retry_backoff``.

``submit`` returns once the request is in the spool (so it may be acknowledged) or raises
``QueueFull`` when more than ``max_queue_bytes`` wait for ClickHouse: back-pressure instead of
an unbounded queue. A flusher thread seals the open segment every ``flush_interval`` (earlier
when it reaches ``max_batch_bytes``, or before a request would make one INSERT span more than
``max_partitions`` daily partitions) and inserts sealed segments in order.

Insert failures: an unreachable ClickHouse is retried with jittered exponential back-off for as
long as it takes (the queue fills and clients are told to retry later); a batch ClickHouse
rejects is split into its requests, and a request rejected on its own is moved to
``<spool>/dead-letter/`` and counted, so one bad request never blocks the others.
"""

from __future__ import annotations

import logging
import os
import random
import re
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from gateway.ingest.spool import Segment, Spool, encode_record

log = logging.getLogger(__name__)

# ClickHouse error codes that say "try again later" rather than "this data is bad".
# Missing tables or databases (60, 81) and failed authentication (497, 516) are operator problems:
# retrying (and so back-pressure) is better than dead-lettering every request meanwhile.
_TRANSIENT_CLICKHOUSE_CODES = frozenset(
    {60, 81, 159, 164, 202, 209, 210, 236, 241, 242, 252, 279, 285, 319, 425, 497, 516, 999, 1000}
)
_CODE_PATTERN = re.compile(r"Code: (\d+)")


class QueueFull(Exception):
    """More than ``max_queue_bytes`` are waiting for ClickHouse; the client should retry later."""

    def __init__(self, retry_after_seconds: float) -> None:
        super().__init__(f"write queue full; retry in {retry_after_seconds:g}s")
        self.retry_after_seconds = retry_after_seconds


class InsertSink(Protocol):
    """Where sealed batches go: ``payload`` is length-delimited serialized requests."""

    def insert(self, payload: bytes) -> None: ...


class TransientInsertError(Exception):
    """The sink could not be reached or was overloaded; retry the same batch later."""


def is_transient(error: BaseException) -> bool:
    """Whether an insert failure is worth retrying as is (storage down or busy)."""
    if isinstance(error, (TransientInsertError, ConnectionError, TimeoutError)):
        return True
    match = _CODE_PATTERN.search(str(error))
    if match is None:
        # No ClickHouse code: the client library failed to talk to the server.
        return type(error).__name__ in ("OperationalError", "StorageUnavailable")
    return int(match.group(1)) in _TRANSIENT_CLICKHOUSE_CODES


@dataclass
class WriterStats:
    accepted_requests: int = 0
    accepted_bytes: int = 0
    inserted_requests: int = 0
    inserts: int = 0
    insert_failures: int = 0
    dead_lettered_requests: int = 0
    rejected_queue_full: int = 0
    flusher_errors: int = 0


class SignalWriter:
    """Spool + batching + insert + retry for one signal."""

    def __init__(
        self,
        name: str,
        spool: Spool,
        sink: InsertSink,
        *,
        flush_interval: float = 1.0,
        max_batch_bytes: int = 16 << 20,
        max_queue_bytes: int = 256 << 20,
        max_partitions: int = 100,
        retry_after: float = 2.0,
        max_backoff: float = 30.0,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.name = name
        self._spool = spool
        self._sink = sink
        self._flush_interval = flush_interval
        self._max_batch_bytes = max_batch_bytes
        self._max_queue_bytes = max_queue_bytes
        self._max_partitions = max_partitions
        self._retry_after = retry_after
        self._max_backoff = max_backoff
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._pending: deque[Segment] = deque()
        self._queued_bytes = 0
        self._seal_requested = False
        self._stopping = False
        self._idle = threading.Condition(self._lock)
        self._busy = False
        self._thread: threading.Thread | None = None
        self._stop_event = threading.Event()
        self._sleep = sleep or self._stop_event.wait
        self.stats = WriterStats()

    # ---- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Queue what an earlier process left in the spool, then start the flusher thread."""
        if self._thread is not None:
            return
        for segment in self._spool.recover():
            self._pending.append(segment)
            self._queued_bytes += segment.size
            log.info(
                "%s: recovered %d spooled requests (%d bytes) from %s",
                self.name,
                len(segment.records),
                segment.size,
                segment.path,
            )
        self._thread = threading.Thread(target=self._run, name=f"writer-{self.name}", daemon=True)
        self._thread.start()

    def shutdown(self, timeout: float = 30.0) -> bool:
        """Insert everything accepted so far, then stop. Idempotent; returns False if data stayed spooled."""
        drained = self.flush(timeout)
        with self._lock:
            self._stopping = True
            self._wake.notify_all()
        self._stop_event.set()
        if self._thread is not None:
            self._thread.join(timeout=max(1.0, timeout))
        self._spool.close()
        if not drained:
            log.warning("%s: %d bytes stay in the spool for the next start", self.name, self._queued_bytes)
        return drained

    # ---- hot path --------------------------------------------------------------------------
    def submit(self, payload: bytes, partition_days: frozenset[int] = frozenset()) -> None:
        """Spool one serialized export request; raises QueueFull for back-pressure."""
        with self._lock:
            if self._stopping:
                raise QueueFull(self._retry_after)
            if self._queued_bytes + len(payload) > self._max_queue_bytes and self._queued_bytes > 0:
                self.stats.rejected_queue_full += 1
                raise QueueFull(self._retry_after)
            open_segment = self._spool.open_segment()
            if open_segment is not None and (
                len(open_segment.partition_days | partition_days) > self._max_partitions
            ):
                self._seal_locked()
            segment = self._spool.append(payload, partition_days)
            self._queued_bytes += len(payload)
            self.stats.accepted_requests += 1
            self.stats.accepted_bytes += len(payload)
            if segment.size >= self._max_batch_bytes:
                # Sealed here, not by the flusher: a busy or retrying flusher must not let the batch grow.
                self._seal_locked()

    @property
    def queued_bytes(self) -> int:
        return self._queued_bytes

    def flush(self, timeout: float = 30.0) -> bool:
        """Seal the open batch and wait until every accepted request is inserted."""
        with self._lock:
            self._seal_requested = True
            self._wake.notify_all()
            if self._thread is None or not self._thread.is_alive():
                # Never started, or stopped with data left: nobody will insert, so do not wait.
                timeout = 0
            return self._idle.wait_for(
                lambda: not self._pending and not self._busy and self._spool.open_segment() is None,
                timeout=timeout,
            )

    # ---- flusher thread --------------------------------------------------------------------
    def _seal_locked(self) -> None:
        segment = self._spool.seal()
        if segment is not None:
            self._pending.append(segment)
            self._wake.notify_all()

    def _run(self) -> None:
        while True:
            with self._lock:
                interval_passed = False
                if not self._pending:
                    self._idle.notify_all()
                    interval_passed = not self._wake.wait_for(
                        lambda: self._pending or self._seal_requested or self._stopping,
                        timeout=self._flush_interval,
                    )
                # A batch sealed by size is inserted at once; the open one waits for its time.
                if interval_passed or self._seal_requested or self._stopping:
                    self._seal_requested = False
                    self._seal_locked()
                if not self._pending:
                    if self._stopping:
                        self._idle.notify_all()
                        return
                    continue
                segment = self._pending[0]
                self._busy = True
            try:
                delivered = self._deliver(segment)
            except Exception:  # boundary: the flusher thread must outlive any bug or disk error
                log.exception("%s: delivering %s failed; retrying", self.name, segment.path)
                self.stats.flusher_errors += 1
                self._sleep(1.0)
                continue
            finally:
                with self._lock:
                    self._busy = False
            if not delivered:  # stopping while ClickHouse is unreachable: it stays spooled
                return
            # Deleted before it counts as done, so a flush that returned True leaves nothing to repeat.
            self._spool.release(segment)
            with self._lock:
                self._pending.popleft()
                self._queued_bytes -= segment.size
                self._idle.notify_all()

    def _deliver(self, segment: Segment) -> bool:
        """Insert a segment, retrying transient failures; False only when stopping gave up."""
        backoff = 0.1
        while True:
            try:
                self._sink.insert(segment.payload())
                self.stats.inserts += 1
                self.stats.inserted_requests += len(segment.records)
                return True
            except Exception as error:  # boundary: every insert failure is classified and counted
                self.stats.insert_failures += 1
                if not is_transient(error):
                    return self._deliver_one_by_one(segment, error)
                if self._stopping:
                    return False
                log.warning("%s: insert failed (%s); retrying in %.1fs", self.name, error, backoff)
                self._sleep(backoff * (0.5 + random.random() / 2))
                backoff = min(backoff * 2, self._max_backoff)
                if self._stopping and self._stop_event.is_set():
                    return False

    def _deliver_one_by_one(self, segment: Segment, batch_error: BaseException) -> bool:
        """Isolate the requests ClickHouse rejects; insert the rest. False only when stopping gave up."""
        log.error(
            "%s: ClickHouse rejected a batch (%s); inserting its requests one by one", self.name, batch_error
        )
        for record in segment.records:
            attempts = 0
            while True:
                try:
                    self._sink.insert(encode_record(record))
                    self.stats.inserts += 1
                    self.stats.inserted_requests += 1
                    break
                except Exception as error:  # boundary: classified, counted and logged
                    self.stats.insert_failures += 1
                    attempts += 1
                    if is_transient(error) and self._stopping:
                        # ClickHouse went away, the request is not known to be bad: keep the whole
                        # segment spooled (requests already inserted repeat: at-least-once).
                        return False
                    if is_transient(error) and attempts < 5:
                        self._sleep(min(0.2 * 2**attempts, self._max_backoff))
                        continue
                    self._dead_letter(segment, record, error)
                    break
        return True

    def _dead_letter(self, segment: Segment, record: bytes, error: BaseException) -> None:
        directory = os.path.join(os.path.dirname(segment.path), "dead-letter")
        os.makedirs(directory, exist_ok=True)
        base = os.path.basename(segment.path)
        path = os.path.join(directory, base)
        with open(path, "ab") as handle:
            handle.write(encode_record(record))
        with open(path + ".errors", "a", encoding="utf-8") as handle:
            handle.write(f"{error}\n")
        self.stats.dead_lettered_requests += 1
        log.error("%s: request rejected by ClickHouse moved to %s: %s", self.name, path, error)
