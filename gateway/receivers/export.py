"""Transport-free OTLP export: validate, hand to the writer, build the (partial-success) response.

Reads: decoded export requests from the gRPC and HTTP receivers. Writes: serialized requests to
the signal's ``SignalWriter`` (spool, then ClickHouse). Config: none of its own.

Invalid items are dropped and reported as partial success (the client must not retry them);
the valid rest is stored. Nothing is acknowledged before ``submit`` has spooled it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from google.protobuf.message import Message

from gateway.clock import Clock
from processors.otlp.signals import Signal
from processors.otlp.validate import split_by_partition, validate

log = logging.getLogger(__name__)

MAX_PARTITIONS_PER_INSERT = 100


class RequestSubmitter(Protocol):
    def submit(self, payload: bytes, partition_days: frozenset[int] = frozenset()) -> None: ...


class RequestProcessor(Protocol):
    """A stage that may rewrite a validated request before it is stored (e.g. PII redaction).

    It mutates ``request`` in place and returns True when it changed it. ``raw`` is ``request``
    serialized, or None when the caller does not have it (or an earlier stage changed the request).
    """

    def process(self, signal: Signal, request: Message, raw: bytes | None) -> bool: ...


@dataclass
class SignalCounters:
    requests: int = 0
    accepted_items: int = 0
    rejected_items: int = 0


@dataclass
class ExportCounters:
    by_signal: dict[str, SignalCounters] = field(default_factory=dict)


class ExportService:
    def __init__(
        self,
        writers: Mapping[Signal, RequestSubmitter],
        clock: Clock,
        processors: Sequence[RequestProcessor] = (),
    ) -> None:
        self._writers = writers
        self._clock = clock
        self._processors = tuple(processors)
        self._lock = threading.Lock()
        self.counters = ExportCounters({signal.value: SignalCounters() for signal in Signal})

    def export(self, signal: Signal, request: Message, raw: bytes | None = None) -> Message:
        """Store the valid items of ``request`` and return the Export*ServiceResponse.

        ``raw`` is the request's serialized form when the caller has it; it is stored as is
        when nothing had to be removed or rewritten (saving a serialization on the hot path).
        Raises QueueFull (retryable) when the writer is full.
        """
        now = self._clock.now_unix_nano()
        result = validate(signal, request, now)
        modified = result.modified
        if result.accepted:
            for processor in self._processors:
                if processor.process(signal, request, None if modified else raw):
                    modified = True
        if result.accepted:
            writer = self._writers[signal]
            if len(result.partition_days) > MAX_PARTITIONS_PER_INSERT:
                for part in split_by_partition(signal, request, MAX_PARTITIONS_PER_INSERT, now_unix_nano=now):
                    writer.submit(part.SerializeToString(), validate(signal, part, now).partition_days)
            else:
                payload = raw if raw is not None and not modified else request.SerializeToString()
                writer.submit(payload, result.partition_days)
        with self._lock:
            counters = self.counters.by_signal[signal.value]
            counters.requests += 1
            counters.accepted_items += result.accepted
            counters.rejected_items += result.rejected
        response = signal.response_type()
        if result.rejected or result.message:
            partial = response.partial_success
            setattr(partial, signal.rejected_field, result.rejected)
            partial.error_message = result.message
        return response
