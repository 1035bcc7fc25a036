"""CRC-64/NVME, the CRC Azure Storage checks (``x-ms-content-crc64``), in C through awscrt.

Azure's transactional CRC64 is the reflected polynomial 0x9A6C9329AC4BC9B5 with all-ones
initial value and final XOR: the catalogued CRC-64/NVME (``check`` of ``b"123456789"`` is
0xAE8B14860A799888), which S3 calls ``crc64nvme``. ``awscrt`` (the ``azure`` extra) computes
it at about 0.2 CPU-s/GiB, a tenth of MD5, and combines the CRCs of adjacent blocks without
their bytes, so blocks uploaded in parallel give the whole blob's CRC. Without awscrt a
table-driven Python loop still verifies a download (a few MB/s: slow, but never unchecked);
uploading with CRC64 (which :func:`combine` needs) is refused with :func:`require`.
"""

from __future__ import annotations

import base64
from types import ModuleType

from .types import InvalidOptionError

try:
    import awscrt.checksums

    _checksums: ModuleType | None = awscrt.checksums
except ImportError:  # pragma: no cover - depends on the environment
    _checksums = None

FAST = _checksums is not None
"""True when awscrt computes CRC64 in C (and :func:`combine` is available)."""

NAME = "crc64nvme"
"""The algorithm's name in ``Object.checksums`` and :class:`storagekit.streams.Checksum`."""

_POLYNOMIAL = 0x9A6C9329AC4BC9B5
_MASK = 0xFFFFFFFFFFFFFFFF


def _table() -> list[int]:
    table = []
    for byte in range(256):
        value = byte
        for _ in range(8):
            value = (value >> 1) ^ _POLYNOMIAL if value & 1 else value >> 1
        table.append(value)
    return table


_TABLE = _table()


def crc64(data: bytes | memoryview, value: int = 0) -> int:
    """The CRC-64/NVME of ``data``, continuing from the CRC ``value`` of the bytes before it."""
    if _checksums is not None:
        return int(_checksums.crc64nvme(data, value))
    crc = value ^ _MASK
    table = _TABLE
    for byte in bytes(data):
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ _MASK


def combine(crc1: int, crc2: int, length2: int) -> int:
    """The CRC of ``a + b`` from the CRCs of ``a`` and ``b`` and ``len(b)``, without the bytes.

    Raises:
        InvalidOptionError: awscrt is not installed (see :func:`require`).
    """
    require("combining CRC64s")
    assert _checksums is not None  # for mypy: require() raised otherwise
    return int(_checksums.combine_crc64nvme(crc1, crc2, length2))


def require(what: str) -> None:
    """Refuse ``what`` unless awscrt is installed (CRC64 in C).

    Raises:
        InvalidOptionError: awscrt cannot be imported; the message says how to install it.
    """
    if _checksums is None:
        raise InvalidOptionError(
            f"{what} needs awscrt (CRC64 in C), which is not installed: pip install 'storagekit[azure]' "
            "or pip install awscrt"
        )


def to_base64(crc: int) -> str:
    """``crc`` as Azure sends it in ``x-ms-content-crc64``: the base64 of its 8 little-endian bytes."""
    return base64.b64encode(crc.to_bytes(8, "little")).decode()


def from_bytes(digest: bytes) -> int:
    """The CRC whose 8 little-endian bytes are ``digest`` (a decoded ``x-ms-content-crc64``)."""
    return int.from_bytes(digest, "little")


def to_hex(crc: int) -> str:
    """``crc`` as ``Object.checksums`` writes it: 16 lower-case hex digits."""
    return f"{crc:016x}"


class Crc64:
    """A running CRC-64/NVME with the ``update`` / ``hexdigest`` of a hashlib object."""

    def __init__(self) -> None:
        self.value = 0

    def update(self, data: bytes | memoryview) -> None:
        """Add ``data`` to the CRC."""
        self.value = crc64(data, self.value)

    def hexdigest(self) -> str:
        """The CRC so far as 16 lower-case hex digits."""
        return to_hex(self.value)
