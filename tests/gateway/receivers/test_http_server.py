"""Tests for gateway.receivers.http_server.decompress_gzip (the rest is covered end to end)."""

from __future__ import annotations

import gzip
import zlib

import pytest

from gateway.receivers.errors import RequestTooLarge
from gateway.receivers.http_server import decompress_gzip
from processors.otlp.errors import PayloadError

DATA = b"".join(f"span {index};".encode() for index in range(2_000))


def test_round_trip() -> None:
    assert decompress_gzip(gzip.compress(DATA), limit=len(DATA)) == DATA


def test_empty_payload_round_trips() -> None:
    assert decompress_gzip(gzip.compress(b""), limit=0) == b""


def test_one_byte_over_the_limit_is_too_large() -> None:
    with pytest.raises(RequestTooLarge) as raised:
        decompress_gzip(gzip.compress(DATA), limit=len(DATA) - 1)
    assert raised.value.limit == len(DATA) - 1


def test_a_gzip_bomb_is_stopped_at_the_limit() -> None:
    bomb = gzip.compress(bytes(16 << 20), compresslevel=9)
    assert len(bomb) < 100_000
    with pytest.raises(RequestTooLarge):
        decompress_gzip(bomb, limit=1 << 20)


def test_garbage_is_a_payload_error() -> None:
    with pytest.raises(PayloadError, match="cannot decompress gzip"):
        decompress_gzip(b"this is not gzip at all", limit=1 << 20)


def test_plain_deflate_without_gzip_header_is_a_payload_error() -> None:
    with pytest.raises(PayloadError):
        decompress_gzip(zlib.compress(DATA), limit=1 << 20)


@pytest.mark.parametrize("keep", [0, 5, 20, -8, -1])
def test_truncated_stream_is_a_payload_error(keep: int) -> None:
    compressed = gzip.compress(DATA)
    with pytest.raises(PayloadError, match="cannot decompress gzip"):
        decompress_gzip(compressed[:keep], limit=1 << 20)


def test_corrupted_checksum_is_a_payload_error() -> None:
    compressed = bytearray(gzip.compress(DATA))
    compressed[-8] ^= 0xFF  # the CRC32 of the trailer
    with pytest.raises(PayloadError):
        decompress_gzip(bytes(compressed), limit=1 << 20)


def test_every_member_of_a_multi_member_stream_is_decompressed() -> None:
    # RFC 1952 allows concatenated members (`cat a.gz b.gz`); none may be silently dropped.
    body = gzip.compress(DATA[:100]) + gzip.compress(DATA[100:])
    assert decompress_gzip(body, limit=len(DATA)) == DATA


def test_the_limit_applies_to_all_members_together() -> None:
    body = gzip.compress(DATA) + gzip.compress(DATA)
    with pytest.raises(RequestTooLarge):
        decompress_gzip(body, limit=2 * len(DATA) - 1)


def test_trailing_garbage_is_a_payload_error() -> None:
    with pytest.raises(PayloadError):
        decompress_gzip(gzip.compress(DATA) + b"junk", limit=1 << 20)
