"""Chunking and checksums."""

from __future__ import annotations

import hashlib
import io
import os
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storagekit import streams
from storagekit.streams import (
    FAST_CRC32C,
    Checksum,
    FileRange,
    cheapest,
    crc_combine,
    iter_chunks,
    read_parts,
    rechunk,
)


@given(st.lists(st.binary(max_size=300), max_size=20), st.integers(min_value=1, max_value=257))
def test_read_parts_cuts_exact_sizes(chunks: list[bytes], size: int) -> None:
    parts = list(read_parts(iter(chunks), size))
    assert b"".join(parts) == b"".join(chunks)
    assert all(len(p) == size for p in parts[:-1])
    assert all(0 < len(p) <= size for p in parts)


class ShortReads(io.RawIOBase):
    """A pipe-like file that returns at most 7 bytes per read."""

    def __init__(self, data: bytes) -> None:
        self.data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self.data.read(min(size, 7))


def test_read_parts_fills_parts_from_short_reads() -> None:
    data = os.urandom(1000)
    parts = list(read_parts(ShortReads(data), 100))
    assert [len(p) for p in parts] == [100] * 10 and b"".join(parts) == data


def test_sources_of_every_kind() -> None:
    assert list(iter_chunks(b"abcdef", 4)) == [b"abcd", b"ef"]
    assert list(iter_chunks(io.BytesIO(b"abcdef"), 4)) == [b"abcd", b"ef"]
    assert list(iter_chunks([b"ab", b"", bytearray(b"c")], 4)) == [b"ab", b"c"]
    with pytest.raises(TypeError, match="encode"):
        list(iter_chunks("text", 4))
    with pytest.raises(TypeError, match="binary mode"):
        list(iter_chunks(io.StringIO("text"), 4))


def test_checksums_match_hashlib_and_known_crc32c() -> None:
    checksum = Checksum(("md5", "sha256", "crc32c"))
    for piece in (b"123", b"456789"):
        checksum.update(piece)
    digests = checksum.hexdigests()
    assert digests["md5"] == hashlib.md5(b"123456789").hexdigest()
    assert digests["sha256"] == hashlib.sha256(b"123456789").hexdigest()
    assert digests["crc32c"] == "e3069283"  # the CRC-32C check value
    assert checksum.size == 9


def test_pure_python_crc32c_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streams, "_crc32c_ext", None)
    monkeypatch.setattr(streams, "_crc32c_any_buffer", lambda: None)
    assert streams.crc32c(b"123456789") == 0xE3069283
    assert streams.crc32c(b"456789", streams.crc32c(b"123")) == 0xE3069283


@pytest.mark.parametrize("implementation", ["crc32c package", "google-crc32c", "pure Python"])
def test_crc32c_hashes_any_buffer_alike(implementation: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if implementation != "crc32c package":
        monkeypatch.setattr(streams, "_crc32c_any_buffer", lambda: None)
    if implementation != "google-crc32c":
        monkeypatch.setattr(streams, "_crc32c_ext", None)
    reused = bytearray(b"xx123456789")
    for data in (b"123456789", bytearray(b"123456789"), memoryview(reused)[2:]):
        assert streams.crc32c(data) == 0xE3069283
    assert streams.crc32c(memoryview(reused)[5:], streams.crc32c(memoryview(reused)[2:5])) == 0xE3069283


@given(st.binary(max_size=5000), st.binary(max_size=5000))
def test_crc_combine_matches_the_crc_of_the_concatenation(first: bytes, second: bytes) -> None:
    for algorithm in ("crc32", "crc32c"):
        def crc(data: bytes, algorithm: str = algorithm) -> int:
            checksum = Checksum([algorithm])
            checksum.update(data)
            return int(checksum.hexdigests()[algorithm], 16)

        assert crc_combine(algorithm, crc(first), crc(second), len(second)) == crc(first + second)


def test_crc_combine_across_large_lengths() -> None:
    part = bytes(range(256)) * 4096  # 1 MiB
    whole = zlib.crc32(part * 9)
    crc = 0
    for _ in range(9):
        crc = crc_combine("crc32", crc, zlib.crc32(part), len(part))
    assert crc == whole


@given(st.lists(st.binary(max_size=300), max_size=12), st.integers(min_value=1, max_value=100))
def test_rechunk_cuts_exact_sizes_from_reused_buffers(blocks: list[bytes], size: int) -> None:
    buffer = bytearray(300)

    def reused() -> Iterator[memoryview]:
        for block in blocks:  # each block is a view of one buffer, overwritten by the next
            buffer[: len(block)] = block
            yield memoryview(buffer)[: len(block)]

    chunks = list(rechunk(reused(), size))
    assert b"".join(chunks) == b"".join(blocks)
    assert all(len(chunk) == size for chunk in chunks[:-1]) and all(isinstance(c, bytes) for c in chunks)


def test_file_range_stops_at_its_end(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"0123456789")
    with open(path, "rb") as file:
        file.seek(2)
        reader = FileRange(file, 5)
        buffer = bytearray(8)
        assert reader.readinto(buffer) == 5 and bytes(buffer[:5]) == b"23456"
        assert reader.readinto(buffer) == 0


def test_cheapest_prefers_crcs_over_md5() -> None:
    assert cheapest(["md5", "crc32"]) == "crc32"
    assert cheapest(["md5", "crc32c"]) == ("crc32c" if FAST_CRC32C else "md5")
    assert cheapest(["sha1"]) is None and cheapest([]) is None
