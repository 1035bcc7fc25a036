"""File objects over any driver: a seekable reader and a buffered writer, written once on the primitives.

The reader fetches ranges on demand through the transfer engine's verified range read
(:func:`storagekit.transfer.read_range`), with a read-ahead that doubles while the reads are
sequential (up to the transfer config's ``part_size``) and falls back to a small block on a
seek, and keeps a few blocks in a bounded cache. It holds no connection between reads. When
it has read the whole object in order from byte 0, it checks the bytes against the digest the
object carries or its responses proved, as a download does.

The writer hands what is written to the upload engine
(:meth:`~storagekit.base.StorageDriver.upload_object_via_stream`) through a bounded queue read
by a worker thread, so parts, parallelism and verification are the engine's. ``close()``
commits; an error inside ``with``, :meth:`ObjectWriter.abort` or a writer dropped without
``close()`` aborts (nothing stored, no multipart upload left behind).

Usage::

    with driver.open("photos", "2024/cat.txt", "w", encoding="utf-8") as file:
        file.write("meow\\n")
    with driver.open("photos", "2024/cat.txt", "rb") as file:
        file.seek(-5, io.SEEK_END)
        tail = file.read()
"""

from __future__ import annotations

import io
import queue
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Union

from . import transfer
from .models import Container, Object
from .options import UploadOptions
from .streams import Checksum, cheapest
from .types import InvalidOptionError

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer, WriteableBuffer

    from .base import StorageDriver

MODES = ("rb", "wb", "r", "w")
"""The modes :func:`open_object` takes: binary or text, read or write."""
MIN_BLOCK = 64 * 1024
"""The first read-ahead, and the block fetched after a seek (a footer read stays this small)."""
_CHUNK = 1024 * 1024
"""The writer hands its bytes to the upload engine in chunks of this size."""
_QUEUE_CHUNKS = 2
"""Chunks the writer may have queued ahead of the engine (with the engine's parts: bounded memory)."""
_MAX_BLOCKS = 64
"""Most blocks the reader's cache holds, whatever their size (tiny blocks after many seeks)."""
_TEXT_OPTIONS = ("encoding", "errors", "newline")

ObjectFile = Union["ObjectReader", "ObjectWriter", io.TextIOWrapper]
"""What :func:`open_object` returns: a binary reader or writer, or text over one."""


def open_object(
    driver: StorageDriver, container: Container | str, object_name: str, mode: str = "rb", **options: Any
) -> ObjectFile:
    """Open an object as a file; see :meth:`storagekit.base.StorageDriver.open`.

    Opening to read sends one HEAD (the reader needs the size and digest) and no GET until the
    first read; a writer stores nothing until ``close()``.

    Args:
        driver: the store's driver.
        container: the container, or its name.
        object_name: the object's name.
        mode: ``rb`` or ``wb`` for binary, ``r`` or ``w`` for text (UTF-8 unless ``encoding``
            says otherwise).
        **options: ``encoding``, ``errors`` and ``newline`` (text modes only), then the
            options of :class:`ObjectReader` or :class:`ObjectWriter`.

    Returns:
        An :class:`ObjectReader` or :class:`ObjectWriter`, or an :class:`io.TextIOWrapper`
        over one for a text mode.

    Raises:
        InvalidOptionError: an unknown mode, or text options with a binary mode.
        ObjectDoesNotExistError: reading an object that does not exist.
    """
    if mode not in MODES:
        raise InvalidOptionError(f"mode must be one of {', '.join(MODES)}, not {mode!r}", driver)
    text = {name: options.pop(name) for name in _TEXT_OPTIONS if name in options}
    if text and mode.endswith("b"):
        raise InvalidOptionError(f"{', '.join(text)} only apply to text modes (r, w), not {mode!r}", driver)
    binary: ObjectReader | ObjectWriter
    if mode.startswith("r"):
        obj = driver.get_object(driver._as_container(container).name, object_name)
        binary = ObjectReader(driver, obj, **options)
    else:
        binary = ObjectWriter(driver, driver._as_container(container), object_name, **options)
    if mode.endswith("b"):
        return binary
    text.setdefault("encoding", "utf-8")
    return _TextFile(binary, **text)


class ObjectReader(io.BufferedIOBase):
    """A seekable, read-only binary file over one object, fetched in ranges as it is read.

    Args:
        driver: the object's driver.
        obj: the object, with its size (as ``get_object`` returns it).
        block_size: the first read-ahead and the block fetched after a seek.
        cache_size: most bytes of fetched blocks kept (least recently used dropped first);
            default twice the part size.
        **transfer_options: overrides of the driver's transfer config (``part_size`` caps the
            read-ahead; reads larger than the next fetch go through the engine's parallel ranges
            straight into the caller's buffer).

    Raises:
        InvalidOptionError: ``block_size`` or ``cache_size`` is not a positive integer, or a
            transfer option is unknown or out of range.
    """

    def __init__(
        self, driver: StorageDriver, obj: Object, block_size: int = MIN_BLOCK, cache_size: int | None = None,
        **transfer_options: Any,
    ) -> None:
        super().__init__()
        self._config = driver.transfer_config.merged(**transfer_options)
        for label, value in (("block_size", block_size), ("cache_size", cache_size)):
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                raise InvalidOptionError(f"{label} must be a positive integer, not {value!r}", driver)
        self.driver = driver
        self.object = transfer._verifiable(obj)
        self.name = obj.name
        self.size = obj.size
        self._position = 0
        self._block = block_size
        self._readahead = block_size
        self._last_end = -1
        self._cache: OrderedDict[int, bytearray] = OrderedDict()
        """Fetched blocks by their start (bytearrays as fetched: a block is never copied)."""
        self._cached = 0
        self._cache_size = cache_size or 2 * self._config.part_size
        self._checksum: Checksum | None = None
        self._expected: dict[str, str] = {}
        self._hashed = 0

    def __repr__(self) -> str:
        return f"<ObjectReader {self.object.container.name}/{self.name} at {self._position} of {self.size}>"

    def readable(self) -> bool:
        """A reader can be read.

        Returns:
            Always True.
        """
        return True

    def seekable(self) -> bool:
        """A reader can seek anywhere: each fetch is a ranged read, so no stream is kept to rewind.

        Returns:
            Always True.
        """
        return True

    def tell(self) -> int:
        """The current position (no request is made).

        Returns:
            The offset from the start of the object, which may be past its end after a seek.

        Raises:
            ValueError: the reader is closed.
        """
        self._check_open()
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move to ``offset`` from the start, the current position or the end (no request is made).

        The next fetch after a move reads a small block (``block_size``), not the grown
        read-ahead, so a footer or index read stays small.

        Args:
            offset: bytes from the point ``whence`` names (negative counts back from it).
            whence: :data:`io.SEEK_SET` (the start), :data:`io.SEEK_CUR` or :data:`io.SEEK_END`.

        Returns:
            The new position. A position past the end is allowed; reads there return ``b""``.

        Raises:
            ValueError: a position before the start, an unknown ``whence``, or the reader is closed.
        """
        self._check_open()
        bases = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.size}
        if whence not in bases:
            raise ValueError(f"whence must be SEEK_SET, SEEK_CUR or SEEK_END, not {whence!r}")
        position = bases[whence] + offset
        if position < 0:
            raise ValueError(f"cannot seek to {position}, before the start of {self.name}")
        self._position = position
        return position

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes from the current position (all that is left if ``size`` is negative).

        Served from the block cache where it can; see :meth:`readinto` for what is fetched.

        Args:
            size: the most bytes to read; negative or None for the rest of the object.

        Returns:
            The bytes read, ``b""`` at the end.

        Raises:
            ObjectHashMismatchError: this read completed an in-order read of the whole object
                and its bytes do not match the object's digest.
            ValueError: the reader is closed.
        """
        self._check_open()
        wanted = self.size - self._position if size is None or size < 0 else size
        buffer = bytearray(max(0, min(wanted, self.size - self._position)))
        return bytes(memoryview(buffer)[: self.readinto(buffer)])  # one copy: a large read holds two, not three

    def read1(self, size: int = -1) -> bytes:
        """The same as :meth:`read`: with no raw stream below, there is no single raw call to stop at.

        Args:
            size: the most bytes to read; negative for the rest of the object.

        Returns:
            The bytes read, ``b""`` at the end.
        """
        return self.read(size)

    def readinto(self, buffer: WriteableBuffer) -> int:
        """Fill ``buffer`` from the current position.

        Bytes the block cache holds cost no request. Otherwise a read no larger than the next
        read-ahead fetches a block (one verified range read) into the cache; a larger read goes
        straight into ``buffer``, through the engine's parallel ranges past ``part_size``.

        Args:
            buffer: a writable bytes-like object (``bytearray``, ``memoryview``, numpy array...).

        Returns:
            The count of bytes read: ``len(buffer)``, fewer near the end of the object, 0 at it.

        Raises:
            ObjectHashMismatchError: this read completed an in-order read of the whole object
                and its bytes do not match the object's digest.
        """
        self._check_open()
        view = memoryview(buffer).cast("B")
        done = 0
        while done < len(view) and self._position < self.size:
            found = self._cached_at(self._position)
            if found is None:
                wanted = min(len(view) - done, self.size - self._position)
                if wanted > self._next_fetch_size():  # a large read goes straight into the caller's buffer
                    self._fetch_into(self._position, view[done : done + wanted])
                    self._readahead = min(max(self._readahead, wanted), self._largest_fetch())
                    count = wanted
                else:
                    found = self._fetch_block(self._position)
            if found is not None:
                start, data = found
                piece = memoryview(data)[self._position - start : self._position - start + len(view) - done]
                count = len(piece)
                view[done : done + count] = piece
            done += count
            self._position += count
        return done

    def readinto1(self, buffer: WriteableBuffer) -> int:
        """The same as :meth:`readinto`: with no raw stream below, there is no single raw call to stop at.

        Args:
            buffer: a writable bytes-like object.

        Returns:
            The count of bytes read, 0 at the end.
        """
        return self.readinto(buffer)

    def peek(self, size: int = 0) -> bytes:
        """The bytes from the current position, without moving; fetches a block if none is cached.

        Args:
            size: the fewest bytes wanted, if the cached block holds them.

        Returns:
            At most the rest of the block, or ``size`` or 64 KiB, whichever is more; at least one
            byte before the end of the object, ``b""`` at or past it.

        Raises:
            ValueError: the reader is closed.
        """
        self._check_open()
        if self._position >= self.size:
            return b""
        start, data = self._block_at(self._position)
        offset = self._position - start
        return bytes(memoryview(data)[offset : offset + max(size, MIN_BLOCK)])

    def readline(self, size: int | None = -1) -> bytes:
        """The bytes up to and including the next ``\\n``, scanned in the cached blocks without copying them.

        Args:
            size: the most bytes to return; negative or None for no limit.

        Returns:
            The line with its ``\\n`` (without one at the end of the object), ``b""`` at the end.

        Raises:
            ValueError: the reader is closed.
        """
        self._check_open()
        limit = -1 if size is None else size
        line = bytearray()
        while (limit < 0 or len(line) < limit) and self._position < self.size:
            start, data = self._block_at(self._position)
            offset = self._position - start
            stop = len(data) if limit < 0 else min(len(data), offset + limit - len(line))
            end = data.find(b"\n", offset, stop) + 1 or stop
            line += memoryview(data)[offset:end]
            self._position += end - offset
            if line.endswith(b"\n"):
                break
        return bytes(line)

    def close(self) -> None:
        self._cache.clear()
        self._cached = 0
        super().close()

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError(f"I/O operation on the closed reader of {self.name}")

    def _block_at(self, position: int) -> tuple[int, bytearray]:
        """The cached block holding ``position``, fetched if there is none."""
        return self._cached_at(position) or self._fetch_block(position)

    def _cached_at(self, position: int) -> tuple[int, bytearray] | None:
        for start, data in self._cache.items():
            if start <= position < start + len(data):
                self._cache.move_to_end(start)
                return start, data
        return None

    def _next_fetch_size(self) -> int:
        """The read-ahead for a fetch at the current position: doubled when it continues the last
        fetch (up to :meth:`_largest_fetch`), back to ``block_size`` after a seek."""
        if self._position == self._last_end:
            return min(self._readahead * 2, self._largest_fetch())
        return self._block

    def _largest_fetch(self) -> int:
        """The read-ahead's cap: the part size (or the block size, if that is larger).

        Not ``max_concurrency`` parts fetched in parallel: measured on SeaweedFS (1 MiB reads of
        256 MiB), that was no faster and held 138 MiB more than 35 MiB."""
        return max(self._config.part_size, self._block)

    def _fetch_block(self, position: int) -> tuple[int, bytearray]:
        self._readahead = self._next_fetch_size()
        size = min(self._readahead, self.size - position)
        while self._cache and (self._cached + size > self._cache_size or len(self._cache) >= _MAX_BLOCKS):
            _, dropped = self._cache.popitem(last=False)  # room first: the old blocks and the new are never all held
            self._cached -= len(dropped)
        block = bytearray(size)
        self._fetch_into(position, memoryview(block))
        self._cache[position] = block
        self._cached += size
        return position, block

    def _fetch_into(self, position: int, view: memoryview) -> None:
        """Fill ``view`` with the bytes from ``position`` (one verified range read, no connection kept)."""
        end = position + len(view)
        filled = 0
        for block in transfer.read_range(self.driver, self.object, position, end, self._config):
            view[filled : filled + len(block)] = block
            filled += len(block)
        self._last_end = end
        self._hash(position, view)

    def _hash(self, position: int, view: memoryview) -> None:
        """Feed the in-order prefix from byte 0 to the checksum; verify when it reaches the end.

        A fetch of the whole object at once was verified by the engine's read already."""
        if position == 0 and len(view) == self.size:
            self._hashed = self.size
        if not position <= self._hashed < position + len(view):
            return
        if self._checksum is None:  # the first range is open: what it proved of the object is known
            self._expected = transfer._expected(self.driver, self.object, True)
            algorithm = cheapest(self._expected)
            self._checksum = Checksum([algorithm] if algorithm else [])
        self._checksum.update(view[self._hashed - position :])
        self._hashed = position + len(view)
        if self._hashed == self.size:
            for algorithm, digest in self._checksum.hexdigests().items():
                if self._expected[algorithm] != digest:
                    raise transfer._mismatch(
                        self.driver, self.object, f"{algorithm} {digest} != {self._expected[algorithm]} stored"
                    )


class _Abort(Exception):
    """Raised into the upload engine when a writer is aborted, so it stores nothing."""


_END = b""
"""What the writer queues after its last chunk to commit (every other chunk it sends holds bytes)."""


class _Upload:
    """The upload a writer feeds: a worker thread running the engine over a bounded queue.

    It holds no reference to its writer, so a writer dropped without ``close()`` is collected
    and its finalizer aborts the upload.
    """

    def __init__(self, driver: StorageDriver, container: Container, name: str, arguments: Mapping[str, Any]) -> None:
        self.chunks: queue.Queue[bytes | None] = queue.Queue(_QUEUE_CHUNKS)
        self.finished = threading.Event()
        self.result: Object | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(
            target=self._run, args=(driver, container, name, dict(arguments)),
            name=f"storagekit-writer-{name}", daemon=True,
        )
        self.thread.start()

    def _run(self, driver: StorageDriver, container: Container, name: str, arguments: dict[str, Any]) -> None:
        try:
            self.result = driver.upload_object_via_stream(self._source(), container, name, **arguments)
        except BaseException as error:  # noqa: BLE001 - handed to the writing thread, which raises it
            self.error = error
        finally:
            self.finished.set()

    def _source(self) -> Iterator[bytes]:
        while True:
            chunk = self.chunks.get()
            if chunk is None:
                raise _Abort("the writer was aborted")
            if not chunk:
                return
            yield chunk

    def send(self, chunk: bytes | None) -> None:
        """Queue ``chunk`` (``_END`` commits, None aborts), waiting while the queue is full unless
        the upload has already ended (a failure is then raised by :meth:`wait`)."""
        while not self.finished.is_set():
            try:
                self.chunks.put(chunk, timeout=0.1)
                return
            except queue.Full:
                continue

    def wait(self) -> Object:
        self.thread.join()
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result

    def abort(self) -> None:
        self.send(None)
        self.thread.join()


def _abort(upload: _Upload) -> None:
    """The finalizer of a writer dropped without close(): abort, never commit."""
    if not upload.finished.is_set():
        upload.abort()


class ObjectWriter(io.BufferedIOBase):
    """A write-only binary file that becomes an object on ``close()``, or nothing at all.

    Args:
        driver: the driver to store with.
        container: the container.
        object_name: the object's name.
        extra, headers, ex_meta: as for :meth:`~storagekit.base.StorageDriver.upload_object_via_stream`.
        **transfer_options: overrides of the driver's transfer config (``part_size``,
            ``multipart_threshold``, ``max_concurrency``, ``progress``).
    """

    def __init__(
        self, driver: StorageDriver, container: Container, object_name: str,
        extra: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None,
        ex_meta: Mapping[str, Any] | None = None, **transfer_options: Any,
    ) -> None:
        super().__init__()
        driver._check_object_name(object_name)
        UploadOptions.parse(extra, ex_meta, headers)  # a bad option fails here, not in the worker
        driver.transfer_config.merged(**transfer_options)
        self.driver = driver
        self.name = object_name
        self.container = container
        self.object: Object | None = None
        """The stored object, once ``close()`` has committed it."""
        self._buffer = bytearray()
        self._upload = _Upload(driver, container, object_name,
                               {"extra": extra, "headers": headers, "ex_meta": ex_meta, **transfer_options})
        self._finalize = weakref.finalize(self, _abort, self._upload)

    def __repr__(self) -> str:
        return f"<ObjectWriter {self.container.name}/{self.name}>"

    def writable(self) -> bool:
        """A writer can be written.

        Returns:
            Always True.
        """
        return True

    def write(self, data: ReadableBuffer) -> int:
        """Buffer ``data``; full chunks go to the upload (waiting while the engine catches up).

        Nothing is stored until :meth:`close`; memory stays bounded by the queue and the
        engine's parts, however much is written.

        Args:
            data: a bytes-like object.

        Returns:
            The count of bytes taken: all of ``data``.

        Raises:
            StorageKitError: the upload has already failed (raised here as the engine raised it).
            ValueError: the writer is closed.
        """
        if self.closed:
            raise ValueError(f"write to the closed writer of {self.name}")
        view = memoryview(data).cast("B")
        self._buffer += view
        if len(self._buffer) >= _CHUNK:
            self._send(bytes(self._buffer))
            self._buffer.clear()
        return len(view)

    def flush(self) -> None:
        """Nothing to do: bytes reach the store only on ``close()`` (an object is written whole)."""

    def close(self) -> None:
        """Commit: send what is buffered, wait for the engine to store and verify the object.

        Raises:
            ObjectHashMismatchError: what was stored does not match what was written (deleted).
            StorageKitError: the upload failed (nothing is left behind).
        """
        if self.closed:
            return
        self._finalize.detach()
        try:
            if self._buffer:
                self._send(bytes(self._buffer))
                self._buffer.clear()
            self._send(_END)
            self.object = self._upload.wait()
        finally:
            super().close()

    def abort(self) -> None:
        """Give the object up: nothing is stored and a multipart upload begun is aborted."""
        if self.closed:
            return
        self._finalize.detach()
        self._buffer.clear()
        try:
            self._upload.abort()
        finally:
            super().close()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()

    def __del__(self) -> None:
        """Abort, where io's default would close (and so commit) a file dropped unclosed."""
        if hasattr(self, "_finalize"):  # else __init__ failed before the upload began
            self.abort()

    def _send(self, chunk: bytes) -> None:
        self._upload.send(chunk)
        if self._upload.finished.is_set():
            self._upload.wait()  # raises the engine's error


class _TextFile(io.TextIOWrapper):
    """Text over an object reader or writer; a writer is aborted, not committed, on an error
    inside ``with`` or when dropped unclosed."""

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if kind is not None and isinstance(self.buffer, ObjectWriter):
            self.buffer.abort()
        self.close()

    def __del__(self) -> None:
        if isinstance(self.buffer, ObjectWriter) and not self.closed:
            self.buffer.abort()
        super().__del__()
