"""Checked reads of service answers: sizes, base64 digests, JSON objects, capped bodies."""

from __future__ import annotations

import io

import pytest

from storagekit import fields
from storagekit.types import MalformedResponseError


@pytest.mark.parametrize(("value", "size"), [("0", 0), ("12", 12), (7, 7), ("18446744073709551615", 2**64 - 1)])
def test_sizes(value: object, size: int) -> None:
    assert fields.size(value, "Content-Length") == size


@pytest.mark.parametrize("value", ["", "abc", "-5", "12abc", "1.5", " 1", "1 ", "+1", "\u00b2", "1" * 21, -1, 1.0,
                                   True, None, [1]])
def test_not_sizes(value: object) -> None:
    with pytest.raises(MalformedResponseError, match=r"<Size> .* is not a byte count"):
        fields.size(value, "<Size>")


def test_base64_digests_with_or_without_padding() -> None:
    assert fields.base64_digest("AAAAAQ==", "x-amz-checksum-crc32c", length=4) == b"\0\0\0\1"
    assert fields.base64_digest("AAAAAQ", "x-amz-checksum-crc32c", length=4) == b"\0\0\0\1"


@pytest.mark.parametrize("value", ["", "!!!!", "AAAA AA==", "AAAAAAAA", "é", "AAAAAQ==\n"])
def test_not_base64_digests(value: str) -> None:
    with pytest.raises(MalformedResponseError, match=r"Content-MD5 .* not the base64 of a 4-byte digest"):
        fields.base64_digest(value, "Content-MD5", length=4)


def test_json_objects() -> None:
    assert fields.json_object(b'{"a": 1}', "a page") == {"a": 1}
    with pytest.raises(MalformedResponseError, match=r"a page that is not JSON .*'<html>"):
        fields.json_object(b"<html>portal</html>", "a page")
    with pytest.raises(MalformedResponseError, match="not an object"):
        fields.json_object(b"[1]", "a page")
    with pytest.raises(MalformedResponseError, match="not JSON"):
        fields.json_object(b"\xff\xfe", "a page")


def test_read_capped() -> None:
    assert fields.read_capped(io.BytesIO(b"x" * 100), 100, "a page") == b"x" * 100
    with pytest.raises(MalformedResponseError, match="a page of more than 100 bytes"):
        fields.read_capped(io.BytesIO(b"x" * 101), 100, "a page")


def test_spool_keeps_a_small_body_in_memory_and_a_large_one_in_a_file() -> None:
    small = fields.spool(io.BytesIO(b"x" * fields.SPOOL_IN_MEMORY))
    assert isinstance(small, io.BytesIO) and small.read() == b"x" * fields.SPOOL_IN_MEMORY
    data = bytes(range(256)) * (fields.SPOOL_IN_MEMORY // 256 + 1)
    with fields.spool(io.BytesIO(data)) as large:
        assert not isinstance(large, io.BytesIO) and large.read() == data
