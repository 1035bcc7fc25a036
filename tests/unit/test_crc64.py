"""storagekit.crc64 is Azure Storage's CRC64: the Azure SDK's own test vectors, in C and in Python.

The vectors are those of azure-sdk-for-python's ``sdk/storage/azure-storage-extensions/tests/test_crc64.py``
(its C ``compute_crc64(data, initial)``, polynomial 0x9A6C9329AC4BC9B5); the header layout (the base64 of
the CRC's 8 little-endian bytes) is azure-sdk-for-go's ``TransferValidationTypeCRC64.Apply``.
"""

from __future__ import annotations

import base64
import os

import pytest

from storagekit import crc64
from storagekit.streams import CHEAPEST_FIRST, Checksum
from storagekit.types import InvalidOptionError

AZURE_SDK_VECTORS = [  # (data, CRC continued from, expected), from the Azure SDK's tests
    (b"", 0, 0),
    (b"Hello World!", 0, 208604604655264165),
    (b"123456789!@#$%^&*()", 0, 2153758901452455624),
    (b"This is a test where the data is longer than 64 characters so that we can test that code path.", 0,
     2736107658526394369),
    (b"\xC8\xE1\x1B\x40\xD7\x93\xD1\x52\x60\x18", 0, 3386042136331673945),
    (b"Hello World!", 208604604655264165, 8707751150827052565),
    (b"123456789!@#$%^&*()", 2153758901452455624, 17932421111440067515),
    (b"Hello World!", 12345, 4200897209132841242),
]


@pytest.fixture(params=["awscrt", "python"])
def implementation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "python":
        monkeypatch.setattr(crc64, "_checksums", None)
    return str(request.param)


def test_azure_sdk_vectors(implementation: str) -> None:
    for data, initial, expected in AZURE_SDK_VECTORS:
        assert crc64.crc64(data, initial) == expected, (implementation, data)
    assert crc64.crc64(memoryview(b"123456789")) == 0xAE8B14860A799888  # CRC-64/NVME's catalogued check value


def test_awscrt_is_installed_and_used() -> None:
    """The test extra brings awscrt: without it uploads would fall back to MD5 unseen."""
    assert crc64.FAST and CHEAPEST_FIRST[0] == crc64.NAME


def test_combine_gives_the_crc_of_the_concatenation() -> None:
    parts = [os.urandom(n) for n in (1000, 1, 4096, 0, 777)]
    whole = 0
    for part in parts:
        whole = crc64.combine(whole, crc64.crc64(part), len(part))
    assert whole == crc64.crc64(b"".join(parts))


def test_header_value_is_little_endian_base64() -> None:
    value = crc64.crc64(b"Hello World!")
    assert base64.b64decode(crc64.to_base64(value)) == value.to_bytes(8, "little")
    assert crc64.from_bytes(value.to_bytes(8, "little")) == value
    assert crc64.to_hex(1) == "0000000000000001"


def test_running_checksum_matches(implementation: str) -> None:
    checksum = Checksum([crc64.NAME, "md5"])
    checksum.update(b"Hello ")
    checksum.update(memoryview(b"World!"))
    assert checksum.hexdigests()[crc64.NAME] == crc64.to_hex(208604604655264165)


def test_without_awscrt_uploading_with_crc64_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crc64, "_checksums", None)
    with pytest.raises(InvalidOptionError, match=r"needs awscrt .*storagekit\[azure\]"):
        crc64.combine(1, 2, 3)
