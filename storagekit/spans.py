"""A span of a seekable file as a request body: read a block at a time as it is sent.

An upload whose parts go one after the other (GCS resumable sessions) sends a file in one
request from a :class:`FileSpan`: memory holds the block being sent, not a part, and a
request that breaks is resumed by seeking the span to where the server stands.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import IO

from .streams import Checksum
from .types import ObjectHashMismatchError

_BLOCK = 1024 * 1024
"""Bytes read at a time by :meth:`FileSpan.digests` (http.client asks ``read`` for 1 MiB too)."""


class FileSpan:
    """Bytes ``start``..``start + length`` of a seekable binary file, as a file object.

    ``read``, ``seek`` and ``tell`` count from the span's start, and the end of the span is
    its end of file, so the transport sizes the body (``Content-Length``) and sends it in
    blocks. A file that ends before the span does is an error, never a short body.

    Args:
        file: a binary file open for reading, positioned anywhere (the span seeks it).
        start: the span's first byte in the file.
        length: the span's size in bytes.
        progress: called with the bytes of the span read so far, as they are read.
    """

    def __init__(self, file: IO[bytes], start: int, length: int,
                 progress: Callable[[int], None] | None = None) -> None:
        self._file = file
        self._start = start
        self._length = length
        self._position = 0
        self._progress = progress

    def __len__(self) -> int:
        return self._length

    def tell(self) -> int:
        """The position in the span."""
        return self._position

    def seekable(self) -> bool:
        """Always True: a request that breaks goes again from a position."""
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move within the span (``whence`` as for files; the end is the span's end).

        Raises:
            ValueError: the position would be outside the span.
        """
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._length}[whence]
        if not 0 <= base + offset <= self._length:
            raise ValueError(f"position {base + offset} is outside the span of {self._length} bytes")
        self._position = base + offset
        return self._position

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes from the position (all that is left for ``-1``).

        Raises:
            ObjectHashMismatchError: the file ends before the span does (it shrank since its
                size was taken): a request never sends fewer bytes than it announced.
        """
        left = self._length - self._position
        wanted = left if size < 0 else min(size, left)
        if not wanted:
            return b""
        self._file.seek(self._start + self._position)
        data = self._file.read(wanted)
        while len(data) < wanted:  # short reads (raw files) are looped over; an early end is an error
            more = self._file.read(wanted - len(data))
            if not more:
                raise ObjectHashMismatchError(
                    f"the file ended at byte {self._position + len(data)} of the {self._length} being uploaded: "
                    "it changed during the upload"
                )
            data += more
        self._position += len(data)
        if self._progress:
            self._progress(self._position)
        return data

    def digests(self, algorithms: Iterable[str]) -> dict[str, str]:
        """The span's digests (hex, as :class:`~storagekit.streams.Checksum` gives them), read
        a block at a time; the position is back at the start afterwards.

        Raises:
            ObjectHashMismatchError: the file ends before the span does.
        """
        wanted = tuple(algorithms)
        if not wanted:
            return {}
        checksum = Checksum(wanted)
        progress, self._progress = self._progress, None
        try:
            self.seek(0)
            while block := self.read(_BLOCK):
                checksum.update(block)
        finally:
            self._progress = progress
            self.seek(0)
        return checksum.hexdigests()
