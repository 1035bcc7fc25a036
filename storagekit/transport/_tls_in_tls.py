"""TLS to an origin inside the TLS connection to an HTTPS proxy (TLS in TLS).

``ssl.SSLContext.wrap_socket`` needs a real socket under it, and the tunnel through an
HTTPS proxy is itself an ``ssl.SSLSocket``. So the origin's TLS session runs on an
``ssl.SSLObject`` between two memory BIOs: what it wants to send is taken from the outgoing
BIO and written to the proxy's TLS socket, what that socket receives is fed to the incoming
BIO. :class:`TLSInTLS` shows it to ``http.client`` as a socket: ``sendall``, ``recv_into``,
``makefile`` and the timeout and ``fileno`` of the socket under it (so ``poll`` and the
transport's per-read timeouts work unchanged).
"""

from __future__ import annotations

import io
import socket
import ssl
from collections.abc import Callable
from typing import Any, TypeVar, cast

_RECORD = 16384 + 2048
"""How much is read from the proxy's socket per turn: one TLS record (16 KiB) and its overhead."""

_WRITE = 256 * 1024
"""How much of a body is encrypted per turn before it is sent on."""
_T = TypeVar("_T")


class TLSInTLS:
    """A TLS session with ``server_hostname`` carried over ``outer`` (the proxy's TLS socket).

    Raises:
        ssl.SSLError: from the constructor, the handshake failed (the certificate refused, ...).
        OSError: the connection broke or timed out during the handshake.
    """

    def __init__(self, outer: ssl.SSLSocket, context: ssl.SSLContext, server_hostname: str) -> None:
        self._outer = outer
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._tls = context.wrap_bio(self._incoming, self._outgoing, server_hostname=server_hostname)
        self._files = 0
        self._closed = False
        self._turn(self._tls.do_handshake)

    def __repr__(self) -> str:
        return f"<TLSInTLS fd={self._outer.fileno()}>"

    def _turn(self, operation: Callable[..., _T], *args: Any) -> _T:
        """Run ``operation`` on the TLS object, feeding it from and flushing it to the proxy's socket."""
        while True:
            try:
                result = operation(*args)
            except ssl.SSLWantReadError:
                self._flush()  # e.g. the handshake's next message, before waiting for the answer
                data = self._outer.recv(_RECORD)
                if data:
                    self._incoming.write(data)
                else:
                    self._incoming.write_eof()
                continue
            self._flush()
            return result

    def _flush(self) -> None:
        if self._outgoing.pending:
            self._outer.sendall(self._outgoing.read())

    # ------------------------------------------------------------------ the socket API http.client uses

    def fileno(self) -> int:
        """The file descriptor of the connection to the proxy (what ``poll`` waits on)."""
        return self._outer.fileno()

    def settimeout(self, timeout: float | None) -> None:
        """Set the timeout of each read and write on the connection to the proxy."""
        self._outer.settimeout(timeout)

    def gettimeout(self) -> float | None:
        """The timeout of each read and write on the connection to the proxy."""
        return self._outer.gettimeout()

    def pending(self) -> int:
        """How many bytes from the origin wait in a buffer rather than on the socket."""
        return self._tls.pending() + self._incoming.pending + self._outer.pending()

    def sendall(self, data: Any) -> None:
        """Encrypt and send all of ``data`` (bytes-like) to the origin."""
        view = memoryview(data).cast("B")
        while view:  # a slice at a time, so a large body is not held encrypted whole in memory
            sent = self._turn(self._tls.write, view[:_WRITE])
            view = view[sent:]

    def send(self, data: Any) -> int:
        """Encrypt and send ``data``; how many bytes were sent (all of them)."""
        self.sendall(data)
        return memoryview(data).nbytes

    def recv_into(self, buffer: Any, nbytes: int = 0) -> int:
        """Read decrypted bytes from the origin into ``buffer``; 0 when the origin closed."""
        size = nbytes or memoryview(buffer).nbytes
        if size == 0:
            return 0
        try:
            return cast(int, self._turn(self._tls.read, size, buffer))  # with a buffer, a count
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            return 0  # closed, with or without close_notify: framing tells a truncated body

    def recv(self, size: int) -> bytes:
        """At most ``size`` decrypted bytes from the origin; b"" when it closed."""
        buffer = bytearray(size)
        return bytes(buffer[: self.recv_into(buffer)])

    def makefile(self, mode: str = "rb", buffering: int | None = None) -> io.RawIOBase | io.BufferedReader:
        """A binary reader of the origin's bytes; the connection stays open while one is."""
        if mode != "rb":
            raise ValueError(f"only binary reading is supported, not mode {mode!r}")
        raw = socket.SocketIO(self, "rb")  # type: ignore[arg-type]  # it needs recv_into and _decref_socketios
        self._files += 1
        if buffering == 0:
            return raw
        return io.BufferedReader(raw, buffering if buffering and buffering > 0 else io.DEFAULT_BUFFER_SIZE)

    def _decref_socketios(self) -> None:
        self._files = max(0, self._files - 1)
        if self._closed and not self._files:
            self._outer.close()

    def close(self) -> None:
        """Close the connection to the proxy once no reader from :meth:`makefile` is open."""
        self._closed = True
        if not self._files:
            self._outer.close()
