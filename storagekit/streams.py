"""Fixed-size chunking and hashing while streaming.

Every upload source (a file, bytes, any iterable of byte chunks) is cut into parts of a
fixed size here, and every byte that passes through can be hashed on the way, so no
driver ever needs the whole object in memory.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import zlib
from collections.abc import Callable, Iterable, Iterator
from types import ModuleType
from typing import IO, Protocol, Union

from . import crc64

_crc32c_ext: ModuleType | None
try:  # the C implementation, if google-crc32c is installed (it comes with google-cloud-storage)
    import google_crc32c as _crc32c_ext
except ImportError:  # pragma: no cover - depends on the environment
    _crc32c_ext = None

FAST_CRC32C = _crc32c_ext is not None or importlib.util.find_spec("crc32c") is not None
"""True when CRC32C runs at C speed; the pure-Python fallback manages only a few MB/s."""

Source = Union[bytes, bytearray, memoryview, str, IO[bytes], Iterable[bytes]]  # noqa: UP007 - a runtime alias on 3.10
"""What an upload accepts: bytes, a binary file object, or an iterable of byte chunks."""


def _crc32c_table() -> list[int]:
    table = []
    for byte in range(256):
        value = byte
        for _ in range(8):
            value = (value >> 1) ^ 0x82F63B78 if value & 1 else value >> 1
        table.append(value)
    return table


_CRC32C_TABLE = _crc32c_table()


@functools.cache
def _crc32c_any_buffer() -> Callable[[bytes | bytearray | memoryview, int], int] | None:
    """The crc32c package's CRC32C, which hashes any buffer where it lies, or None if it is not
    installed. Imported on first use: it loads ``importlib.metadata`` (~60 ms), which a process
    that hashes only ``bytes`` (google-crc32c's sole input) need not pay for."""
    try:
        from crc32c import crc32c as in_place
    except ImportError:  # pragma: no cover - depends on the environment
        return None
    return in_place


def crc32c(data: bytes | bytearray | memoryview, value: int = 0) -> int:
    """CRC32C (Castagnoli) of ``data``, continuing from ``value``; C speed when available.

    ``bytes`` go to google-crc32c; another buffer (a view of a reused bytearray) to the crc32c
    package, which hashes it in place, or, without that package, is copied to ``bytes`` first.
    """
    if _crc32c_ext is not None and isinstance(data, bytes):
        return int(_crc32c_ext.extend(value, data))
    in_place = _crc32c_any_buffer()
    if in_place is not None:
        return in_place(data, value)
    if _crc32c_ext is not None:
        return int(_crc32c_ext.extend(value, bytes(data)))
    crc = value ^ 0xFFFFFFFF
    table = _CRC32C_TABLE
    for byte in bytes(data):
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


_POLYNOMIALS = {"crc32": 0xEDB88320, "crc32c": 0x82F63B78}
"""CRC-32 (zlib's) and CRC32C (Castagnoli), bit-reflected."""


def _multmodp(a: int, b: int, polynomial: int) -> int:
    """``a * b`` modulo a CRC polynomial, all bit-reflected."""
    bit, product = 1 << 31, 0
    while True:
        if a & bit:
            product ^= b
            if not a & (bit - 1):
                return product
        bit >>= 1
        b = (b >> 1) ^ polynomial if b & 1 else b >> 1


def _x_powers(polynomial: int) -> list[int]:
    powers = [1 << 30]  # x^1; then x^2, x^4, x^8, ... by squaring
    for _ in range(31):
        powers.append(_multmodp(powers[-1], powers[-1], polynomial))
    return powers


_X_POWERS = {name: _x_powers(polynomial) for name, polynomial in _POLYNOMIALS.items()}


def crc_combine(algorithm: str, crc1: int, crc2: int, length2: int) -> int:
    """The ``crc32`` or ``crc32c`` of ``a + b`` from those of ``a`` and ``b`` and ``len(b)``, without
    the bytes: ``crc1`` shifted by ``length2`` bytes (times x^(8 * length2)) plus ``crc2``."""
    polynomial, powers = _POLYNOMIALS[algorithm], _X_POWERS[algorithm]
    shift, k = 1 << 31, 3  # x^0; bit n of length2 stands for x^(8 * 2^n) = x^(2^(n + 3))
    while length2:
        if length2 & 1:
            shift = _multmodp(powers[k & 31], shift, polynomial)
        length2 >>= 1
        k += 1
    return _multmodp(shift, crc1, polynomial) ^ crc2


CHEAPEST_FIRST: tuple[str, ...] = (
    ((crc64.NAME,) if crc64.FAST else ())
    + (("crc32c", "crc32", "md5") if FAST_CRC32C else ("crc32", "md5", "crc32c"))
    + (() if crc64.FAST else (crc64.NAME,))
)
"""Checksum algorithms from the cheapest to compute (CRC32C in C ~15 GB/s, CRC64 in C (awscrt) about
as fast, zlib's CRC-32 ~2, MD5 ~0.6; the pure-Python CRCs a few MB/s)."""


def cheapest(algorithms: Iterable[str]) -> str | None:
    """The cheapest of ``algorithms`` to verify, or None if none is known."""
    available = set(algorithms)
    return next((name for name in CHEAPEST_FIRST if name in available), None)


class Checksum:
    """Running checksums (``md5``, ``crc32``, ``crc32c``, ``crc64nvme``, ``sha256``) over bytes fed with ``update``."""

    def __init__(self, algorithms: Iterable[str] = ("md5",)) -> None:
        self._hashes: dict[str, hashlib._Hash | crc64.Crc64] = {
            name: crc64.Crc64() if name == crc64.NAME else hashlib.new(name)
            for name in algorithms if name not in ("crc32", "crc32c")
        }
        self._crc32: int | None = 0 if "crc32" in algorithms else None
        self._crc32c: int | None = 0 if "crc32c" in algorithms else None
        self.size = 0

    def update(self, data: bytes | memoryview) -> None:
        self.size += len(data)
        for digest in self._hashes.values():
            digest.update(data)
        if self._crc32 is not None:
            self._crc32 = zlib.crc32(data, self._crc32)
        if self._crc32c is not None:
            self._crc32c = crc32c(data, self._crc32c)

    def hexdigests(self) -> dict[str, str]:
        """Digests by algorithm name, as lowercase hex (CRCs as 8 hex digits)."""
        result = {name: digest.hexdigest() for name, digest in self._hashes.items()}
        if self._crc32 is not None:
            result["crc32"] = f"{self._crc32:08x}"
        if self._crc32c is not None:
            result["crc32c"] = f"{self._crc32c:08x}"
        return result


def iter_chunks(source: Source, chunk_size: int) -> Iterator[bytes]:
    """Yield the bytes of ``source`` as they come, reading files ``chunk_size`` at a time."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        for start in range(0, len(data), chunk_size):
            yield data[start : start + chunk_size]
    elif isinstance(source, str):
        raise TypeError("upload sources must be bytes, not str: encode the text first")
    elif hasattr(source, "read"):
        read = source.read
        while chunk := read(chunk_size):
            if not isinstance(chunk, (bytes, bytearray)):
                raise TypeError(f"file object returned {type(chunk).__name__}, not bytes: open it in binary mode")
            yield bytes(chunk)
    else:
        for chunk in source:
            if not isinstance(chunk, (bytes, bytearray, memoryview)):
                raise TypeError(f"upload iterator yielded {type(chunk).__name__}, not bytes")
            if chunk:
                yield bytes(chunk)


def read_parts(source: Source, part_size: int) -> Iterator[bytes]:
    """Yield ``source`` cut into parts of exactly ``part_size`` bytes (the last may be shorter).

    A part is joined once from views of the chunks it spans (no growing buffer, no slicing
    copies), so while it is cut, at most one part's bytes exist twice.
    """
    if hasattr(source, "read"):
        yield from _read_file_parts(source, part_size)  # type: ignore[arg-type]
        return
    pieces: list[memoryview] = []
    filled = 0
    for chunk in iter_chunks(source, part_size):
        if not filled and len(chunk) == part_size:
            yield chunk
            continue
        view = memoryview(chunk)
        while view:
            take = min(part_size - filled, len(view))
            pieces.append(view[:take])
            filled += take
            view = view[take:]
            if filled == part_size:
                yield b"".join(pieces)
                pieces, filled = [], 0
    if filled:
        yield b"".join(pieces)


def _read_file_parts(file: IO[bytes], part_size: int) -> Iterator[bytes]:
    """Read whole parts from a file, looping over the short reads pipes and raw files give.

    A whole first read is the part itself; short reads are joined once per part (growing a
    ``bytes`` read by read would copy the part over and over: 64 KiB pipe reads made 128
    copies of an 8 MiB part).
    """
    read = file.read
    while part := read(part_size):
        if not isinstance(part, bytes):
            raise TypeError(f"file object returned {type(part).__name__}, not bytes: open it in binary mode")
        if len(part) < part_size:
            pieces, filled = [part], len(part)
            while filled < part_size and (more := read(part_size - filled)):
                pieces.append(more)
                filled += len(more)
            part = b"".join(pieces)
            if filled < part_size:
                yield part
                return
        yield part


def rechunk(blocks: Iterable[bytes | memoryview], chunk_size: int) -> Iterator[bytes]:
    """Re-cut a stream of blocks of any size into bytes of exactly ``chunk_size`` (the last may
    be shorter). Each block is used before the next is asked for, so blocks may be views of a
    buffer the source reuses."""
    pending = bytearray()
    for block in blocks:
        view = memoryview(block)
        if pending:
            take = chunk_size - len(pending)
            pending += view[:take]
            view = view[take:]
            if len(pending) < chunk_size:
                continue
            yield bytes(pending)
            pending.clear()
        whole = len(view) - len(view) % chunk_size
        for offset in range(0, whole, chunk_size):
            yield bytes(view[offset : offset + chunk_size])
        pending += view[whole:]
    if pending:
        yield bytes(pending)


class RangeReader(Protocol):
    """What ``_open_range`` returns: the bytes of one range, read into the caller's buffers."""

    def readinto(self, buffer: bytearray | memoryview) -> int:
        """Fill ``buffer`` with the next bytes; 0 at the end of the range (or a broken stream)."""

    def close(self) -> None:
        """Release the file or connection (early, if the range was not read to its end)."""


class FileRange:
    """``length`` bytes of an open binary file from its current position, read with ``readinto``."""

    def __init__(self, file: IO[bytes], length: int) -> None:
        self._file = file
        self._remaining = length

    def readinto(self, buffer: bytearray | memoryview) -> int:
        view = memoryview(buffer)[: self._remaining]
        count = self._file.readinto(view) if len(view) else 0  # type: ignore[attr-defined]
        self._remaining -= count
        return count

    def close(self) -> None:
        self._file.close()
