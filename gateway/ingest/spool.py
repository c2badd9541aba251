"""Durable spool: accepted export requests are appended to disk before they are acknowledged.

Reads/writes: ``<spool_dir>/<signal>/<sequence>.seg`` files. Config: ``ingest.spool_dir``.

A segment file holds length-delimited (varint) serialized export requests — exactly the bytes
ClickHouse's ``Protobuf`` format takes — so recovery inserts a file as it is. The writer seals
the open segment at each flush, inserts it, and deletes it once ClickHouse has it. A process
killed at any point leaves only sealed-or-open segments, which the next start inserts again:
delivery is at-least-once (a crash between a successful insert and the delete repeats that batch).

``append`` returns once the bytes are in the operating system (``os.write``), which survives the
process being killed; ``fsync=True`` also survives a power loss at the cost of a disk flush per
append.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from google.protobuf.internal.decoder import _DecodeVarint
from google.protobuf.internal.encoder import _VarintBytes
from google.protobuf.message import DecodeError

SEGMENT_SUFFIX = ".seg"


def encode_record(payload: bytes) -> bytes:
    return _VarintBytes(len(payload)) + payload


def iter_records(data: bytes) -> Iterator[bytes]:
    """The complete records of a segment; a torn record at the end (a crash mid-write) is skipped."""
    position = 0
    while position < len(data):
        try:
            length, start = _DecodeVarint(data, position)
        except (IndexError, DecodeError):  # torn, or garbage where a length should be: stop there
            return
        if start + length > len(data):
            return
        yield data[start : start + length]
        position = start + length


@dataclass
class Segment:
    """A sealed batch: its file and its records (kept in memory to avoid reading the file back)."""

    path: str
    records: list[bytes] = field(default_factory=list)
    size: int = 0
    partition_days: set[int] = field(default_factory=set)

    def payload(self) -> bytes:
        return b"".join(encode_record(record) for record in self.records)


class Spool:
    """The segment files of one signal. Thread-safe for ``append``; ``seal`` is called by the writer."""

    def __init__(self, directory: str, *, fsync: bool = False) -> None:
        self._directory = directory
        self._fsync = fsync
        self._lock = threading.Lock()
        os.makedirs(directory, exist_ok=True)
        self._sequence = max((self._number(name) for name in self._segment_names()), default=0)
        self._open: Segment | None = None
        self._fd: int | None = None

    @property
    def directory(self) -> str:
        return self._directory

    def _segment_names(self) -> list[str]:
        return sorted(name for name in os.listdir(self._directory) if name.endswith(SEGMENT_SUFFIX))

    @staticmethod
    def _number(name: str) -> int:
        try:
            return int(name[: -len(SEGMENT_SUFFIX)])
        except ValueError:
            return 0

    def recover(self) -> list[Segment]:
        """Segments left by an earlier process, oldest first. Call before the first ``append``."""
        recovered = []
        for name in self._segment_names():
            path = os.path.join(self._directory, name)
            with open(path, "rb") as handle:
                records = list(iter_records(handle.read()))
            if not records:
                os.unlink(path)
                continue
            recovered.append(Segment(path, records, sum(len(record) for record in records)))
        return recovered

    def append(self, payload: bytes, partition_days: frozenset[int] = frozenset()) -> Segment:
        """Write one record durably; returns the open segment it joined."""
        record = encode_record(payload)
        with self._lock:
            if self._open is None:
                self._sequence += 1
                path = os.path.join(self._directory, f"{self._sequence:012d}{SEGMENT_SUFFIX}")
                self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
                self._open = Segment(path)
            assert self._fd is not None
            written = os.write(self._fd, record)
            if written != len(record):  # a short write to a regular file means the disk is full
                raise OSError(f"short write to spool segment {self._open.path}")
            if self._fsync:
                os.fsync(self._fd)
            self._open.records.append(payload)
            self._open.size += len(payload)
            self._open.partition_days.update(partition_days)
            return self._open

    def open_segment(self) -> Segment | None:
        with self._lock:
            return self._open

    def seal(self) -> Segment | None:
        """Close the open segment and return it (None when nothing was appended since the last seal)."""
        with self._lock:
            segment, fd = self._open, self._fd
            self._open, self._fd = None, None
        if fd is not None:
            os.close(fd)
        return segment

    @staticmethod
    def release(segment: Segment) -> None:
        """The segment's rows are in ClickHouse: forget it."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(segment.path)

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
            self._fd = None
