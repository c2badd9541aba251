"""Tests for gateway.ingest.spool: records on disk, sealing, release and recovery after a crash."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gateway.ingest.spool import SEGMENT_SUFFIX, Spool, encode_record, iter_records


def _segment_files(directory: Path) -> list[str]:
    return sorted(name for name in os.listdir(directory) if name.endswith(SEGMENT_SUFFIX))


# ---- record encoding -------------------------------------------------------------------------
@pytest.mark.parametrize("size", [0, 1, 127, 128, 300, 70_000])
def test_records_round_trip_across_varint_sizes(size: int) -> None:
    payloads = [b"a" * size, b"", b"\x00\xff" * 3]
    data = b"".join(encode_record(payload) for payload in payloads)
    assert list(iter_records(data)) == payloads


def test_encode_record_prefixes_the_varint_length() -> None:
    assert encode_record(b"xyz") == b"\x03xyz"
    assert encode_record(b"x" * 300) == b"\xac\x02" + b"x" * 300


@pytest.mark.parametrize("cut", [1, 2, 5, 301])
def test_iter_records_skips_a_torn_last_record(cut: int) -> None:
    # Cut inside the last record's varint (1, 2) or inside its payload.
    complete = encode_record(b"first") + encode_record(b"second")
    torn = encode_record(b"t" * 300)[:cut]
    assert list(iter_records(complete + torn)) == [b"first", b"second"]


def test_iter_records_stops_at_garbage_where_a_length_should_be() -> None:
    # More varint continuation bytes than any length has: not a record, and not a reason to fail
    # recovery of the complete records before it.
    assert list(iter_records(encode_record(b"kept") + b"\xff" * 12)) == [b"kept"]


# ---- append / seal / release -----------------------------------------------------------------
def test_append_writes_records_to_the_open_segment(tmp_path: Path) -> None:
    spool = Spool(str(tmp_path))
    first = spool.append(b"one", frozenset({19_000}))
    second = spool.append(b"two", frozenset({19_001}))

    assert first is second is spool.open_segment()
    assert first.records == [b"one", b"two"]
    assert first.size == 6
    assert first.partition_days == {19_000, 19_001}
    assert first.payload() == encode_record(b"one") + encode_record(b"two")
    # The bytes are in the file before append returns, not only in memory.
    assert Path(first.path).read_bytes() == first.payload()
    spool.close()


def test_seal_closes_the_segment_and_the_next_append_opens_another(tmp_path: Path) -> None:
    spool = Spool(str(tmp_path))
    spool.append(b"one")
    sealed = spool.seal()
    assert sealed is not None and sealed.records == [b"one"]
    assert spool.open_segment() is None
    assert spool.seal() is None  # nothing appended since

    later = spool.append(b"two")
    assert later.path != sealed.path
    assert later.records == [b"two"]
    assert _segment_files(tmp_path) == [os.path.basename(sealed.path), os.path.basename(later.path)]
    spool.close()


def test_release_deletes_the_segment_file_once(tmp_path: Path) -> None:
    spool = Spool(str(tmp_path))
    spool.append(b"one")
    sealed = spool.seal()
    assert sealed is not None

    Spool.release(sealed)
    assert _segment_files(tmp_path) == []
    Spool.release(sealed)  # already gone: no error


def test_spool_creates_its_directory(tmp_path: Path) -> None:
    directory = tmp_path / "spool" / "traces"
    spool = Spool(str(directory))
    assert directory.is_dir()
    assert spool.directory == str(directory)


# ---- recovery --------------------------------------------------------------------------------
def test_new_spool_recovers_unreleased_segments_oldest_first(tmp_path: Path) -> None:
    spool = Spool(str(tmp_path))
    for index in range(12):  # ten and more: the order is by sequence number
        spool.append(f"batch-{index}-a".encode())
        spool.append(f"batch-{index}-b".encode())
        if index < 11:
            spool.seal()
    released = spool.seal()
    assert released is not None
    Spool.release(released)
    spool.close()

    recovered = Spool(str(tmp_path)).recover()

    assert [segment.records for segment in recovered] == [
        [f"batch-{index}-a".encode(), f"batch-{index}-b".encode()] for index in range(11)
    ]
    assert recovered[0].size == len(b"batch-0-a") + len(b"batch-0-b")
    assert [segment.path for segment in recovered] == sorted(segment.path for segment in recovered)


def test_open_segment_of_a_killed_process_is_recovered(tmp_path: Path) -> None:
    spool = Spool(str(tmp_path))
    spool.append(b"accepted")  # never sealed: the process died here

    recovered = Spool(str(tmp_path)).recover()

    assert [segment.records for segment in recovered] == [[b"accepted"]]


def test_recover_skips_a_torn_trailing_record_and_keeps_the_complete_ones(tmp_path: Path) -> None:
    spool = Spool(str(tmp_path))
    spool.append(b"complete-1")
    spool.append(b"complete-2")
    segment = spool.append(b"torn-" + b"x" * 200)
    spool.close()
    with open(segment.path, "r+b") as handle:  # a crash in the middle of the last write
        handle.truncate(os.path.getsize(segment.path) - 50)

    recovered = Spool(str(tmp_path)).recover()

    assert [segment.records for segment in recovered] == [[b"complete-1", b"complete-2"]]
    assert recovered[0].size == len(b"complete-1") + len(b"complete-2")


def test_recover_removes_empty_and_wholly_torn_segments(tmp_path: Path) -> None:
    (tmp_path / f"{1:012d}{SEGMENT_SUFFIX}").write_bytes(b"")
    (tmp_path / f"{2:012d}{SEGMENT_SUFFIX}").write_bytes(encode_record(b"kept"))
    (tmp_path / f"{3:012d}{SEGMENT_SUFFIX}").write_bytes(encode_record(b"x" * 300)[:10])

    recovered = Spool(str(tmp_path)).recover()

    assert [segment.records for segment in recovered] == [[b"kept"]]
    assert _segment_files(tmp_path) == [f"{2:012d}{SEGMENT_SUFFIX}"]


def test_recover_keeps_the_records_before_a_corrupt_tail(tmp_path: Path) -> None:
    (tmp_path / f"{1:012d}{SEGMENT_SUFFIX}").write_bytes(encode_record(b"kept") + b"\xff" * 16)

    recovered = Spool(str(tmp_path)).recover()

    assert [segment.records for segment in recovered] == [[b"kept"]]


def test_recover_ignores_other_files(tmp_path: Path) -> None:
    (tmp_path / "dead-letter").mkdir()
    (tmp_path / "dead-letter" / f"{1:012d}{SEGMENT_SUFFIX}").write_bytes(encode_record(b"bad"))
    (tmp_path / "notes.txt").write_text("not a segment")

    assert Spool(str(tmp_path)).recover() == []
    assert (tmp_path / "notes.txt").exists()


def test_sequence_numbers_continue_after_existing_files(tmp_path: Path) -> None:
    (tmp_path / f"{41:012d}{SEGMENT_SUFFIX}").write_bytes(encode_record(b"old"))
    (tmp_path / f"{7:012d}{SEGMENT_SUFFIX}").write_bytes(encode_record(b"older"))

    spool = Spool(str(tmp_path))
    recovered = spool.recover()
    segment = spool.append(b"new")
    spool.close()

    assert [s.records for s in recovered] == [[b"older"], [b"old"]]
    assert os.path.basename(segment.path) == f"{42:012d}{SEGMENT_SUFFIX}"


def test_sequence_numbers_continue_after_removed_empty_files(tmp_path: Path) -> None:
    # recover removes the empty newest file; its number is still not handed out again.
    (tmp_path / f"{5:012d}{SEGMENT_SUFFIX}").write_bytes(b"")

    spool = Spool(str(tmp_path))
    assert spool.recover() == []
    segment = spool.append(b"new")
    spool.close()

    assert os.path.basename(segment.path) == f"{6:012d}{SEGMENT_SUFFIX}"


def test_fsync_spool_writes_the_same_bytes(tmp_path: Path) -> None:
    spool = Spool(str(tmp_path), fsync=True)
    segment = spool.append(b"durable")
    spool.close()
    assert Path(segment.path).read_bytes() == encode_record(b"durable")
