"""The transfer engine: parts in parallel with bounded memory, verified reads that resume.

Drivers never loop over parts or retry a broken body: they upload one part or open one
range, and this module decides part sizes, keeps at most ``max_concurrency`` parts in
flight, checks every byte against its checksum, aborts what fails and resumes a download
from the last byte received.
"""

from __future__ import annotations

import contextlib
import copy
import errno
import hashlib
import itertools
import logging
import math
import mimetypes
import os
import uuid
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, fields, replace
from typing import IO, TYPE_CHECKING, Any, TypeVar

from .http import RetryPolicy, Stall
from .models import Container, MultipartUpload, Object, Part
from .options import UploadOptions
from .spans import FileSpan
from .streams import Checksum, Source, cheapest, iter_chunks, read_parts, rechunk
from .types import (
    ConnectionBrokenError,
    DestinationExistsError,
    InsufficientStorageError,
    InvalidOptionError,
    ObjectHashMismatchError,
    StorageKitError,
)

if TYPE_CHECKING:
    from .base import StorageDriver

log = logging.getLogger("storagekit.transfer")

MiB = 1024 * 1024
Progress = Callable[[int, "int | None"], None]
"""Called as ``progress(bytes_done, total_bytes_or_None)`` from the calling thread."""


@dataclass(frozen=True)
class PartLimits:
    """A protocol's rules for parts: sizes, count, and the multiple sizes must be of."""

    min_size: int = 1
    max_size: int = 5 * 1024 * MiB
    max_parts: int = 10_000
    multiple: int = 1
    ordered: bool = False
    """Parts must be sent one after the other (GCS resumable uploads)."""
    from_file: bool = False
    """A seekable file larger than the multipart threshold goes up in one request read from the
    file as it is sent (``_multipart_put_file``), not in parts held in memory."""

    def part_size_for(self, size: int | None, wanted: int) -> int:
        """The part size to use: ``wanted``, grown so ``size`` fits in ``max_parts``."""
        part_size = max(wanted, self.min_size)
        if size is not None:
            part_size = max(part_size, math.ceil(size / self.max_parts))
        part_size = math.ceil(part_size / self.multiple) * self.multiple
        return min(part_size, self.max_size)


@dataclass(frozen=True)
class TransferConfig:
    """How transfers are cut and run; set per driver, or per call as keyword arguments.

    The defaults come from ``benchmarks/run --sweep`` (``benchmarks/results/sweep.json``: 512 MiB
    on SeaweedFS, 8 and 16 MiB parts x 4 and 8 in flight): 8 MiB x 4 was the fastest or within
    the run-to-run spread for uploads and streamed downloads, at the lowest peak RSS (89 MiB
    against 121-201). 8 in flight fetched files faster in that run, but the gap was the kernel's
    page-cache time, which varied 2x between runs, at 1.4x the memory. The threshold equals the
    part size: an object that fits in one part goes up in one request.
    """

    part_size: int = 8 * MiB
    multipart_threshold: int = 8 * MiB
    """Objects up to this size go up in one request."""
    max_concurrency: int = 4
    progress: Progress | None = None

    def merged(self, **overrides: Any) -> TransferConfig:
        """A copy with per-call overrides; an unknown name raises InvalidOptionError."""
        if not overrides:
            return self
        known = {f.name for f in fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise InvalidOptionError(
                f"unknown transfer option(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})"
            )
        config = replace(self, **overrides)
        for name in ("part_size", "multipart_threshold", "max_concurrency"):
            value = getattr(config, name)
            if not isinstance(value, int) or value < (0 if name == "multipart_threshold" else 1):
                raise InvalidOptionError(f"{name} must be a positive integer, not {value!r}")
        return config


def guess_content_type(object_name: str, file_path: str | os.PathLike[str] | None = None) -> str:
    """The MIME type for a name (or file path), or ``application/octet-stream``."""
    for candidate in (object_name, os.fspath(file_path) if file_path is not None else None):
        if candidate:
            content_type, _ = mimetypes.guess_type(candidate, strict=False)
            if content_type:
                return content_type
    return "application/octet-stream"


# ---------------------------------------------------------------------- uploads


def upload(
    driver: StorageDriver,
    container: Container,
    name: str,
    source: Source,
    size: int | None,
    options: UploadOptions,
    config: TransferConfig,
    verify_hash: bool,
) -> Object:
    """Upload ``source`` (of ``size`` bytes, None if unknown) and verify what was stored."""
    if not driver.capabilities.multipart:
        checksum = Checksum(("md5",) if verify_hash else ())
        chunks = _counted(iter_chunks(source, config.part_size), checksum, size, config.progress)
        obj = driver._write_object(container, name, chunks, options)
        return _verified(driver, obj, checksum.size, checksum.hexdigests())

    # A seekable file goes up in one request read from it where the driver can (see _from_file).
    # Otherwise parts that must go one after the other are max_concurrency times larger when the
    # size is known: about the memory of max_concurrency parallel parts, a fraction of the round
    # trips. A stream's parts are cut by joining chunks (twice a part while it is joined), so
    # they keep part_size.
    limits = driver.part_limits
    if limits.from_file and size is not None and size > config.multipart_threshold and _seekable(source):
        return _from_file(driver, container, name, source, size, options, config, verify_hash)  # type: ignore[arg-type]
    grow = config.max_concurrency if limits.ordered and size is not None else 1
    part_size = limits.part_size_for(size, config.part_size * grow)
    parts = read_parts(source, part_size)
    head: list[bytes] = []
    buffered = 0
    for data in parts:
        head.append(data)
        buffered += len(data)
        if buffered > config.multipart_threshold:
            break
    else:
        part = Part(1, 0, b"".join(head))
        obj = driver._put_object(container, name, part, options)
        if config.progress:
            config.progress(len(part.data), size)
        algorithm = cheapest(obj.checksums) if verify_hash else None
        return _verified(driver, obj, len(part.data), {algorithm: part.hexdigest(algorithm)} if algorithm else {})
    return _multipart(driver, container, name, _handed_on(head, parts), size, options, config, verify_hash)


def _seekable(source: Source) -> bool:
    seekable = getattr(source, "seekable", None)
    return bool(seekable and seekable())


def _from_file(
    driver: StorageDriver,
    container: Container,
    name: str,
    file: IO[bytes],
    size: int,
    options: UploadOptions,
    config: TransferConfig,
    verify_hash: bool,
) -> Object:
    """Upload ``size`` bytes of a seekable file from its position in one request streamed from it.

    For stores whose parts go one after the other: one request is what costs the server least
    (fake-gcs-server hashes all it holds again at every chunk) and memory holds a block, not a
    part. The digest is taken first, in one read of the file, so that the request carries it for
    the server to check; the stored object is then checked against it, which also catches a
    file that changed between the two reads.
    """
    progress = config.progress
    span = FileSpan(file, file.tell(), size, (lambda done: progress(done, size)) if progress else None)
    digests = span.digests(driver.capabilities.multipart_checksums if verify_hash else ())
    upload_ = driver._multipart_start(container, name, options)
    try:
        obj = driver._multipart_put_file(upload_, span, digests)
    except BaseException:
        _abort(driver, upload_)
        raise
    return _verified(driver, obj, size, digests)


def _handed_on(head: list[bytes], rest: Iterator[bytes]) -> Iterator[bytes]:
    """``head`` then ``rest``, letting go of each head part as it is taken (memory stays bounded)."""
    head.reverse()
    while head:
        yield head.pop()
    yield from rest


def _multipart(
    driver: StorageDriver,
    container: Container,
    name: str,
    parts: Iterator[bytes],
    size: int | None,
    options: UploadOptions,
    config: TransferConfig,
    verify_hash: bool,
) -> Object:
    whole = Checksum(driver.capabilities.multipart_checksums if verify_hash else ())
    upload_ = driver._multipart_start(container, name, options)
    workers = 1 if driver.part_limits.ordered else config.max_concurrency
    records: dict[int, Any] = {}
    done = 0
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="storagekit-part") as pool:
            pending: dict[Future[Any], Part] = {}
            offset = 0
            for number, data in enumerate(parts, 1):
                if number > driver.part_limits.max_parts:
                    raise InvalidOptionError(
                        f"{name} needs more than {driver.part_limits.max_parts} parts of {len(data)} bytes: "
                        "raise part_size", driver, object_name=name,
                    )
                whole.update(data)
                part = Part(number, offset, data)
                offset += len(data)
                while len(pending) >= workers:
                    done += _collect(pending, records, FIRST_COMPLETED)
                    if config.progress:
                        config.progress(done, size)
                pending[pool.submit(driver._multipart_put, upload_, part)] = part
            while pending:
                done += _collect(pending, records, FIRST_COMPLETED)
                if config.progress:
                    config.progress(done, size)
        obj = driver._multipart_complete(upload_, [records[n] for n in sorted(records)], whole.hexdigests())
    except BaseException:
        _abort(driver, upload_)
        raise
    return _verified(driver, obj, whole.size, whole.hexdigests())


def _collect(pending: dict[Future[Any], Part], records: dict[int, Any], when: str) -> int:
    """Wait for finished parts, keep their records, re-raise the first failure; bytes done."""
    finished, _ = wait(pending, return_when=when)
    count = 0
    for future in finished:
        part = pending.pop(future)
        records[part.number] = future.result()
        count += len(part.data)
    return count


def _abort(driver: StorageDriver, upload_: MultipartUpload) -> None:
    try:
        driver._multipart_abort(upload_)
    except Exception as error:  # noqa: BLE001 - the original failure matters more than this one
        log.warning("could not abort the multipart upload of %s: %s", upload_.object_name, error)


def _counted(
    chunks: Iterable[bytes], checksum: Checksum, total: int | None, progress: Progress | None
) -> Iterator[bytes]:
    for chunk in chunks:
        checksum.update(chunk)
        if progress:
            progress(checksum.size, total)
        yield chunk


def _verified(driver: StorageDriver, obj: Object, size: int, digests: dict[str, str]) -> Object:
    """``obj`` if what was stored matches what was sent (``size`` bytes with ``digests``); else
    delete it and raise. A single PUT is checked with the cheapest digest the store reports,
    usually the one already computed for its request (Content-MD5, x-amz-checksum-crc32)."""
    problems = [] if obj.size == size else [f"size {obj.size} != {size} sent"]
    for algorithm, digest in digests.items():
        stored = obj.checksums.get(algorithm)
        if stored is not None and stored != digest:
            problems.append(f"{algorithm} {stored} != {digest} sent")
    if not problems:
        return obj
    try:
        driver._delete_object(obj.container, obj.name)
    except StorageKitError as error:
        log.warning("could not delete corrupt upload %s: %s", obj.name, error)
    raise ObjectHashMismatchError(
        f"{obj.name} was stored corrupt ({'; '.join(problems)}) and has been deleted",
        driver, container_name=obj.container.name, object_name=obj.name,
    )


# ---------------------------------------------------------------------- downloads


def read_range(
    driver: StorageDriver, obj: Object, start: int, end: int, config: TransferConfig
) -> Iterator[memoryview]:
    """Yield bytes ``start``..``end`` of ``obj`` in order, verified at the end.

    Each block is a view of a reused buffer, valid until the next one is asked for: callers
    write it or copy it. Large reads from request-based stores fetch up to
    ``max_concurrency`` ranges of ``part_size`` at once into ``max_concurrency + 1`` buffers
    (so memory stays O(part_size x max_concurrency)). The size is always checked; when the
    whole object is read, the cheapest digest known (CRC-32, CRC32C or MD5) too: one ``obj``
    carries, one its first response proved (see :func:`_verifiable`), or, for a read split
    into ranges that proved nothing, one HEAD reports (:func:`_expected`).
    """
    return _checked(driver, obj, start, end, config, iter)


def read_chunks(
    driver: StorageDriver, obj: Object, start: int, end: int, config: TransferConfig, chunk_size: int
) -> Iterator[bytes]:
    """:func:`read_range` as ``bytes`` of exactly ``chunk_size`` (the last may be shorter).

    The digest is taken over the ``bytes`` handed out, so the one copy a stream must make
    (out of the reused buffers) is also the only one: a CRC32C library that takes only
    ``bytes`` hashes them as they are. Closing the iterator early closes the reads.
    """
    return _checked(driver, obj, start, end, config, lambda blocks: rechunk(blocks, chunk_size))


_Block = TypeVar("_Block", bytes, memoryview)


def _checked(
    driver: StorageDriver, obj: Object, start: int, end: int, config: TransferConfig,
    cut: Callable[[Iterator[memoryview]], Iterable[_Block]],
) -> Iterator[_Block]:
    """The blocks of ``start``..``end`` cut by ``cut``, each hashed as handed on, verified at the end."""
    whole = start == 0 and end == obj.size
    obj = _verifiable(obj)
    parallel = driver.capabilities.multipart and config.max_concurrency > 1 and end - start > config.part_size
    if parallel:
        blocks = _prefetched(driver, obj, start, end, config)
    else:
        blocks = _blocks(driver, obj, start, end, config, bytearray(min(end - start, _READ_BLOCK)))
    checksum: Checksum | None = None
    expected: dict[str, str] = {}
    try:
        for block in cut(blocks):
            if checksum is None:  # the first range has been opened: what it proved is known now
                expected = _expected(driver, obj, parallel) if whole else {}
                algorithm = cheapest(expected)
                checksum = Checksum([algorithm] if algorithm else [])
            checksum.update(block)
            if config.progress:
                config.progress(checksum.size, end - start)
            yield block
    finally:
        blocks.close()
    for algorithm, digest in (checksum.hexdigests() if checksum else {}).items():
        if expected[algorithm] != digest:
            raise _mismatch(driver, obj, f"{algorithm} {digest} != {expected[algorithm]} stored")


def _expected(driver: StorageDriver, obj: Object, split: bool) -> dict[str, str]:
    """The whole-object digests to check a read of ``obj`` against.

    What the object carries or its first response proved; when a read split into ranges has
    nothing (a ranged answer may say less than a whole one: S3 sends ``x-amz-checksum-*``
    only for whole objects), what HEAD says of the same version (same ETag), once.
    """
    expected = dict(obj.checksums)
    etag = obj.extra.get("etag")
    if not expected and split and etag:
        fresh = driver._head_object(obj.container, obj.name)
        if fresh.extra.get("etag") == etag:
            expected = dict(fresh.checksums)
    return expected


def _verifiable(obj: Object) -> Object:
    """A private copy of ``obj`` that the driver's responses may teach digests to.

    A driver's ``_open_range`` adds to ``obj.checksums`` the whole-object digests its response
    proves (an S3 ETag that is an MD5, ``x-amz-checksum-*``, Azure's blob MD5, GCS's
    ``x-goog-hash``), so an object known only from a listing is verified too. The read picks
    its digest once the first range is open; the caller's object is left as it was.
    """
    copied = copy.copy(obj)
    copied.checksums = dict(obj.checksums)
    return copied


_READ_BLOCK = 1024 * 1024
"""Block size of reads that are not split into parallel ranges."""


def _blocks(
    driver: StorageDriver, obj: Object, start: int, end: int, config: TransferConfig,
    buffer: bytearray | memoryview,
) -> Generator[memoryview, None, None]:
    """Read ``start``..``end`` through one range request, filling ``buffer`` again and again.

    A connection that breaks is reopened from the last byte received, as the driver's retry
    policy allows: failures are counted per stall (in a row, with no byte received between
    them, the reopening requests' own retries included), so a long read survives any number
    of breaks that each let it move on. A server that sends more than asked is an error.
    """
    view = memoryview(buffer)
    position = start  # the first byte not yet handed on
    filled = 0
    reader: Any = None
    stall = _stall(driver)
    try:
        while position < end:
            wanted = min(len(view), end - position)
            try:
                if reader is None:
                    with stall.active():
                        reader = driver._open_range(obj, position + filled, end)
                while filled < wanted:
                    count = reader.readinto(view[filled:wanted])
                    if not count:
                        raise ConnectionBrokenError(
                            f"{obj.name} ended at byte {position + filled} of {end}", driver, retryable=True
                        )
                    filled += count
                    stall.progressed()
                if position + filled == end and reader.readinto(bytearray(1)):
                    raise _mismatch(driver, obj, f"the server sent more than the {end - start} bytes asked for")
            except StorageKitError as error:
                if reader is not None:
                    reader.close()
                    reader = None
                if not stall.again(error):
                    raise
                log.info("resuming %s at byte %d after: %s", obj.name, position + filled, error)
                continue
            position += filled
            yield view[:filled]
            filled = 0
    finally:
        if reader is not None:
            reader.close()


def _stall(driver: StorageDriver) -> Stall:
    """A new stall under the driver's one retry policy: its connection's (the constructor's
    ``retry=``), or the default policy for a driver that speaks no HTTP."""
    connection = getattr(driver, "connection", None)
    return connection.stall() if connection is not None else Stall(RetryPolicy())


def _fetch(driver: StorageDriver, obj: Object, start: int, view: memoryview, config: TransferConfig) -> memoryview:
    """Fill ``view`` with the bytes of ``obj`` from ``start`` (resuming a broken connection)."""
    for _ in _blocks(driver, obj, start, start + len(view), config, view):
        pass
    return view


def _prefetched(
    driver: StorageDriver, obj: Object, start: int, end: int, config: TransferConfig
) -> Generator[memoryview, None, None]:
    """Fetch ``part_size`` ranges ``max_concurrency`` at a time and yield them in order."""
    offsets = iter(range(start, end, config.part_size))
    size = min(config.part_size, end - start)
    spare = [bytearray(size) for _ in range(config.max_concurrency + 1)]
    pool = ThreadPoolExecutor(max_workers=config.max_concurrency, thread_name_prefix="storagekit-range")
    window: deque[Future[memoryview]] = deque()

    def submit() -> None:
        for offset in itertools.islice(offsets, 1):
            view = memoryview(spare.pop())[: min(config.part_size, end - offset)]
            window.append(pool.submit(_fetch, driver, obj, offset, view, config))

    try:
        for _ in range(config.max_concurrency):
            submit()
        while window:
            view = window.popleft().result()
            submit()
            yield view
            spare.append(view.obj)  # type: ignore[arg-type]
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _mismatch(driver: StorageDriver, obj: Object, why: str) -> ObjectHashMismatchError:
    return ObjectHashMismatchError(
        f"{obj.name} arrived corrupt: {why}", driver, container_name=obj.container.name, object_name=obj.name
    )


_DISK_FULL = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})


@contextlib.contextmanager
def disk_full_is_typed(what: str, driver: StorageDriver | None = None, **where: Any) -> Iterator[None]:
    """Turn a full disk or a file size limit (ENOSPC, EFBIG, EDQUOT) met inside into a typed error.

    Args:
        what: what was being written, for the message ("downloading x to /tmp/x").
        driver: the driver the error is about, if any.
        where: ``container_name`` / ``object_name`` for the error.

    Raises:
        InsufficientStorageError: an ``OSError`` with one of those errnos happened; the caller's
            cleanup (``finally``) has already run or still runs as the error passes.
    """
    try:
        yield
    except OSError as error:
        if error.errno not in _DISK_FULL or isinstance(error, StorageKitError):
            raise
        raise InsufficientStorageError(f"no room left while {what}: {error.strerror}", driver, **where) from error


def write_file_atomically(
    chunks: Iterable[bytes | memoryview], destination: str, overwrite: bool, delete_on_failure: bool = True,
    fsync: bool = True,
) -> None:
    """Write chunks to a hidden temp file beside ``destination`` and move it there only when complete.

    The file is fsynced before it is renamed into place and its directory after, so a crash or a
    SIGKILL leaves either the old state or the whole new file, never a partial or empty one at
    ``destination`` (at most a hidden ``.<name>.<random>.part`` file; a later download uses a
    fresh temp name, so it never trips over one).

    Args:
        chunks: the bytes to write.
        destination: the final path.
        overwrite: replace an existing file; if False, DestinationExistsError when one appears.
        delete_on_failure: remove the temp file when writing fails (libcloud's option).
        fsync: flush the file and its directory to disk (off only where durability does not matter).

    Raises:
        DestinationExistsError: ``overwrite`` is False and ``destination`` exists.
        InsufficientStorageError: the disk is full or a file size limit was hit.
    """
    directory, base = os.path.split(os.path.abspath(destination))
    if len(os.fsencode(base)) > 200:  # keep the temp name within the 255 bytes of a file name
        base = hashlib.sha256(os.fsencode(base)).hexdigest()[:32]
    temp = os.path.join(directory, f".{base}.{uuid.uuid4().hex[:12]}.part")
    try:
        with disk_full_is_typed(f"writing {destination}"):
            with open(temp, "xb") as file:
                for chunk in chunks:
                    file.write(chunk)
                if fsync:
                    file.flush()
                    os.fsync(file.fileno())
            if overwrite:
                os.replace(temp, destination)
            else:
                _move_without_overwrite(temp, destination)
            if fsync:
                _fsync_directory(directory)
    except BaseException:
        if delete_on_failure and os.path.lexists(temp):
            os.unlink(temp)
        raise


def _move_without_overwrite(temp: str, destination: str) -> None:
    """Rename ``temp`` to ``destination`` unless that exists (a hard link makes it race-free).

    ``temp`` is complete and fsynced: a crash between the link and the unlink leaves the whole
    file at ``destination`` and a stale temp beside it, never a partial destination.
    """
    try:
        os.link(temp, destination)
    except FileExistsError:
        raise DestinationExistsError(f"{destination} appeared while downloading; not overwritten") from None
    except OSError:  # no hard links on this filesystem
        if os.path.lexists(destination):
            raise DestinationExistsError(f"{destination} appeared while downloading; not overwritten") from None
        os.replace(temp, destination)
        return
    os.unlink(temp)


def _fsync_directory(directory: str) -> None:
    """Flush a directory's entries (a rename into it) to disk, where the platform allows."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # pragma: no cover - Windows cannot open a directory
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
