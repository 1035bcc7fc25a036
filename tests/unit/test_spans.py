"""FileSpan: a window of a file as a request body, sized, seekable, hashed in one read."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest

from storagekit.spans import FileSpan
from storagekit.streams import crc32c
from storagekit.transport import body_length
from storagekit.types import ObjectHashMismatchError

DATA = os.urandom(3 * 1024 * 1024 + 17)


def test_a_span_reads_sizes_and_seeks_within_its_window() -> None:
    file = io.BytesIO(b"head" + DATA + b"tail")
    seen: list[int] = []
    span = FileSpan(file, 4, len(DATA), seen.append)
    assert len(span) == body_length(span) == len(DATA)  # the transport's Content-Length
    assert span.read(10) == DATA[:10] and span.tell() == 10 and seen == [10]
    assert span.seek(-7, io.SEEK_END) == len(DATA) - 7
    assert span.read() == DATA[-7:] and span.read(5) == b""  # never into the file's tail
    span.seek(2 * 1024 * 1024)
    assert body_length(span) == len(DATA) - 2 * 1024 * 1024  # a resumed request sends what is left
    with pytest.raises(ValueError, match="outside the span"):
        span.seek(len(DATA) + 1)


def test_digests_are_read_once_and_leave_the_span_at_its_start() -> None:
    span = FileSpan(io.BytesIO(DATA), 0, len(DATA))
    span.read(100)
    assert span.digests(["md5", "crc32c"]) == {"md5": hashlib.md5(DATA).hexdigest(), "crc32c": f"{crc32c(DATA):08x}"}
    assert span.tell() == 0 and span.digests([]) == {}


def test_a_file_shorter_than_its_span_is_an_error_not_a_short_body(tmp_path: Path) -> None:
    path = tmp_path / "short.bin"
    path.write_bytes(DATA[:1000])
    with open(path, "rb") as file:
        span = FileSpan(file, 0, 2000)
        with pytest.raises(ObjectHashMismatchError, match="ended at byte 1000 of the 2000 being uploaded"):
            span.read()
        with pytest.raises(ObjectHashMismatchError):
            span.digests(["crc32c"])
