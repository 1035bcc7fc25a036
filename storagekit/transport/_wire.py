"""One HTTP/1.1 connection: requests sent through ``http.client``, responses read here.

``http.client`` alone trusts the server too much: it returns ``103 Early Hints`` as if it
were the final status (and leaves the real answer on the socket for the next request),
loops forever on ``100 Continue``, lets a server trickle a header line or a body a byte at
a time under a per-read timeout that never fires, calls garbage and truncation in a chunked
body the same ``IncompleteRead``, and ignores bytes past ``Content-Length``. It is also slow
at reading a small answer (its header parse alone, with the ``email`` package, cost more
than the rest of a request). Here:

- :class:`Timing` applies, before every read and write on the socket, the per-read timeout
  capped by what is left of the current phase: the response headers must arrive within
  one read timeout of the request being sent, the whole request within its deadline.
- :class:`HTTPResponse` (not ``http.client``'s) reads a response from the connection's one
  buffered reader: past at most ``MAX_INTERIM`` 1xx responses, a head that came whole in one
  piece, a bad ``Content-Length`` refused, invalid chunked encoding (MalformedResponseError)
  told from a connection that broke (``IncompleteRead``), bytes sent past the end of a body noted.
- :class:`HTTPConnection` writes a request's head and a small body in one write, connects to
  a proxy over TLS if it is an HTTPS proxy, through a ``CONNECT`` tunnel of its own (IPv6
  bracketed once, no header injection), with TLS in TLS (``_tls_in_tls``) to an HTTPS origin
  behind an HTTPS proxy, and turns a refused certificate (the proxy's or the origin's) into a
  TLSError naming that host. Larger and streamed bodies go through ``http.client``'s
  ``endheaders``; its private state (``_HTTPConnection__state``) is kept as it expects, as it
  has been since Python 3.5.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import io
import math
import re
import select
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from ..headers import CaseInsensitiveDict
from ..types import MalformedResponseError
from ._pool import readable
from ._proxy import connect_request
from ._tls import handshake_error
from ._tls_in_tls import TLSInTLS

MAX_INTERIM = 10
"""How many 1xx responses (100 Continue, 103 Early Hints, ...) may come before the final status."""
_MAX_LINE = 65536
_OWS = " \t\r\n"
"""What is trimmed around a field value (RFC 9110's optional whitespace, and the line's end)."""
_DIGITS = re.compile(r"[0-9]+").fullmatch
_FIELD_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+").fullmatch
_MAX_LINES = 100
"""How many header lines (``http.client``'s limit), trailer lines, or header lines in a proxy's answer
to CONNECT are read at most."""
_BLOCK = 1024 * 1024
"""How much of a file body is sent per write (http.client's default is 8 KiB)."""
_ONE_WRITE = 64 * 1024
"""A body up to this size is sent in one write with the request's head (copied once to join it)."""
_NO_HEADERS: Mapping[str, Any] = {}
_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")
_S = TypeVar("_S")


class Timing:
    """When the current request's reads and writes must end; applied before each one."""

    __slots__ = ("_current", "_deadline", "_end", "_headers_phase", "_request_end", "read_timeout")

    def __init__(self) -> None:
        self.read_timeout = 60.0
        self._deadline = math.inf
        self._request_end = self._end = math.inf
        self._headers_phase = False
        """Whether the current phase is the wait for the response headers (else the whole request)."""
        self._current: float | None = None

    def start(self, read_timeout: float, deadline: float) -> None:
        """A request starts: each read may wait ``read_timeout``, the whole request ``deadline`` seconds."""
        self.read_timeout = read_timeout
        self._deadline = deadline
        self._request_end = self._end = time.monotonic() + deadline
        self._headers_phase = False

    def await_headers(self) -> None:
        """The request is sent: its response headers must come within one read timeout."""
        end = time.monotonic() + self.read_timeout
        if end < self._request_end:
            self._end = end
            self._headers_phase = True

    def read_body(self) -> None:
        """The headers are in: the body may take what is left of the request's deadline."""
        self._end = self._request_end
        self._headers_phase = False

    @property
    def _phase(self) -> str:
        """What the current phase's end means, for the error when it comes (formatted only then)."""
        if self._headers_phase:
            return f"the response headers did not arrive within {self.read_timeout:g} s"
        return f"the request did not complete within its deadline of {self._deadline:g} s"

    def connected(self, sock: socket.socket) -> None:
        """A new socket: remember its timeout, so it is only changed when it must be."""
        self._current = sock.gettimeout()

    def apply(self, sock: socket.socket) -> None:
        """Set ``sock``'s timeout for the next read or write (a syscall only when it changes).

        Raises:
            TimeoutError: the current phase's time is up.
        """
        remaining = self._end - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(self._phase)
        # the read timeout while at least 95% of it is left (a phase may overrun by 5%, and
        # the common case costs no syscall), else just what is left
        timeout = self.read_timeout if remaining >= 0.95 * self.read_timeout else remaining
        if timeout != self._current:
            sock.settimeout(timeout)
            self._current = timeout

    def timed_out(self) -> TimeoutError:
        """The error for a read or write that timed out: the phase's end, or the read timeout."""
        if self._end - time.monotonic() <= 0:
            return TimeoutError(self._phase)
        return TimeoutError(f"no data for {self.read_timeout:g} s (the read timeout)")


def read_fields(fp: io.BufferedReader) -> tuple[CaseInsensitiveDict[str], list[str]]:
    """The header fields of a response head, read up to its empty line, and its Content-Length values.

    At most ``_MAX_LINES`` fields of at most ``_MAX_LINE`` bytes each, as ``http.client``
    allows. Values are Latin-1 text with the surrounding whitespace trimmed; a folded line
    (obs-fold, RFC 9112 section 5.2) joins the previous value with a space; a field named
    twice keeps its last value, except Content-Length, whose every value is returned so the
    caller can refuse a response that gives two.

    The lines are gathered first and parsed by one regular expression over the whole head
    (:func:`_fields`).

    Raises:
        MalformedResponseError: a line is not ``name: value`` with a token for a name (a
            space before the colon, say: RFC 9112 says to refuse it).
        http.client.LineTooLong, http.client.HTTPException: a line, or the head, is too long.
    """
    readline = fp.readline
    lines = []
    for _ in range(_MAX_LINES + 1):
        line = readline(_MAX_LINE + 1)
        if len(line) > _MAX_LINE:
            raise http.client.LineTooLong("header line")
        if line in (b"\r\n", b"\n", b""):
            break
        lines.append(line)
    else:
        raise http.client.HTTPException(f"got more than {_MAX_LINES} headers")
    found = _fields(b"".join(lines).decode("latin-1"), 0, len(lines))
    return found or _read_lines([line.decode("latin-1") for line in lines])


def _parse_fields(head: str, start: int) -> tuple[CaseInsensitiveDict[str], list[str]]:
    """:func:`read_fields` of a whole head already read (its fields from ``start``, then its empty line).

    Raises:
        MalformedResponseError, http.client.HTTPException: as :func:`read_fields`.
    """
    count = head.count("\n", start) - 1
    if count > _MAX_LINES:
        raise http.client.HTTPException(f"got more than {_MAX_LINES} headers")
    return _fields(head, start, count) or _read_lines(head[start:-2].split("\n")[:-1])


def _fields(text: str, start: int, count: int) -> tuple[CaseInsensitiveDict[str], list[str]] | None:
    """The ``count`` field lines of ``text`` from ``start``, parsed by one regular expression;
    None when it does not match them line for line (a folded line, a malformed one, a stray CR):
    :func:`_read_lines` then folds or refuses them."""
    pairs = _FIELD_LINE.findall(text, start)
    if len(pairs) != count:
        return None
    fields: CaseInsensitiveDict[str] = CaseInsensitiveDict.from_pairs(pairs)
    if len(fields) == len(pairs):  # no name given twice
        length = fields.get("content-length")
        return fields, [] if length is None else [length]
    return fields, [value for name, value in pairs if name.lower() == "content-length"]


_FIELD_LINE = re.compile(r"^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*([^\r\n]*)(?<![ \t])\r?\n", re.MULTILINE)
"""One ``name: value`` line (the name a token, the value without blanks around it): at a line's start
only, so a head whose every line is one has as many matches as lines. A value that ends in blanks
(rare) matches no line, so :func:`_read_lines` trims it."""


def _read_lines(lines: list[str]) -> tuple[CaseInsensitiveDict[str], list[str]]:
    """:func:`read_fields` line by line: folds continued lines, refuses malformed ones."""
    fields: CaseInsensitiveDict[str] = CaseInsensitiveDict()
    lengths: list[str] = []
    last = ""
    for text in lines:
        if text[0] in " \t" and last:  # obs-fold: the previous field goes on
            fields[last] = f"{fields[last]} {text.strip(_OWS)}".strip(_OWS)
            continue
        name, colon, value = text.partition(":")
        if not colon or not _FIELD_NAME(name):
            raise MalformedResponseError(f"a response header line is not 'name: value': {text[:40]!r}")
        last = name
        value = value.strip(_OWS)
        fields[name] = value
        if name.lower() == "content-length":
            lengths.append(value)
    return fields, lengths


class _TimedReader(io.RawIOBase):
    """The socket as the connection's buffered reader reads it, with :class:`Timing` applied
    before each read; it counts the bytes it has read, so the reader can tell how many it holds."""

    def __init__(self, sock: socket.socket, timing: Timing) -> None:
        super().__init__()
        self._recv_into = sock.recv_into
        self._apply = functools.partial(timing.apply, sock)
        self._timing = timing
        self.count = 0
        """Bytes read from the socket so far (``tell``: what the buffered reader has, minus what it handed on)."""
        self.waiting = _waiting(sock)
        """Whether the socket has something to read right now (data, or the peer's close), without reading it."""

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.count

    def readinto(self, buffer: Any) -> int:
        self._apply()
        try:
            count: int = self._recv_into(buffer)
        except TimeoutError:
            raise self._timing.timed_out() from None
        self.count += count
        return count


def _waiting(sock: socket.socket) -> Callable[[], Any]:
    """A check of whether ``sock`` is readable now (true when it is): TLS data already decrypted,
    else one ``poll`` system call on a poller made once."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        poll: Callable[[], Any] = functools.partial(poller.poll, 0)  # a list: true when not empty
    else:  # pragma: no cover - platforms without poll
        poll = functools.partial(readable, sock)
    pending = getattr(sock, "pending", None)
    if pending is None:
        return poll
    return lambda: pending() or poll()


def _buffered(reader: io.BufferedReader) -> int:
    """How many bytes ``reader`` holds that were read from its socket but not handed on yet."""
    return int(reader.raw.count - reader.tell())  # type: ignore[attr-defined]


class HTTPResponse:
    """A response read from its connection's buffered reader (``reader``), framed here.

    ``begin`` reads past at most ``MAX_INTERIM`` 1xx responses, then the status line and the
    header fields: a whole head already in the reader's buffer (as a small answer comes, in one
    segment) is taken in one piece and parsed by one regular expression, anything else line by
    line (:func:`read_fields`). The body is then read as it is framed: chunked if
    Transfer-Encoding is ``chunked``, else as long as its one valid Content-Length, else up to
    the connection's close; a HEAD, a 204 and a 304 have none. ``complete`` says the body was
    read to its end; ``excess`` that the server sent more after it (a framing error: the
    connection must not carry another request).

    Invalid chunked encoding (a size that is not hexadecimal, a chunk longer than its size,
    more than ``_MAX_LINES`` trailer lines or one longer than ``_MAX_LINE``) raises
    MalformedResponseError; a connection that ends in the middle of a body raises
    ``http.client.IncompleteRead`` (a broken connection, which may be retried).
    """

    __slots__ = ("_chunk", "_fp", "_head", "chunked", "complete", "excess", "fields", "length", "reason",
                 "status", "version", "will_close")

    def __init__(self, reader: io.BufferedReader, method: str | None) -> None:
        self._fp: io.BufferedReader | None = reader
        """The connection's reader while the body is being read; None once it ended (or broke)."""
        self._head = method == "HEAD"
        self._chunk: int | None = None
        """Bytes left in the current chunk of a chunked body (None before the first)."""
        self.complete = self.excess = False

    def begin(self) -> None:
        """Read the status line and the header fields; decide how the body is framed.

        Raises:
            MalformedResponseError: too many 1xx responses, a 101, a bad header line, or a
                Content-Length that is not one non-negative number.
            http.client.HTTPException: a bad status line, a line or a head too long
                (``TransportError``, as from ``http.client``).
        """
        fp = self._fp
        assert fp is not None
        interim = 0
        while True:
            version, status, reason, head = _read_head(fp)
            if not 100 <= status < 200:
                break
            interim += 1
            if interim > MAX_INTERIM:
                raise MalformedResponseError(f"more than {MAX_INTERIM} interim (1xx) responses came before "
                                             "a final status")
            if status == 101:
                raise MalformedResponseError("the server switched protocols (101), which storagekit never asks for")
            if head is None:  # 100 Continue, 102 Processing, 103 Early Hints: informational only
                read_fields(fp)
        self.status = status
        self.reason = reason.strip()
        if version in ("HTTP/1.0", "HTTP/0.9"):
            self.version = 10
        elif version.startswith("HTTP/1."):
            self.version = 11
        else:
            raise http.client.UnknownProtocol(version)
        fields, lengths = read_fields(fp) if head is None else _parse_fields(*head)
        self.fields = fields
        encoding = fields.get("transfer-encoding")
        chunked = bool(encoding) and encoding.lower() == "chunked"
        connection = fields.get("connection", "").lower()
        if self.version == 11:
            will_close = "close" in connection
        else:  # HTTP/1.0 keeps a connection open only when asked to
            will_close = not ("keep-alive" in fields or "keep-alive" in connection
                              or "keep-alive" in fields.get("proxy-connection", "").lower())
        length = None
        if lengths and not chunked:
            if len(set(lengths)) > 1 or not _DIGITS(lengths[0]):
                raise MalformedResponseError(
                    f"the response has an invalid Content-Length: {', '.join(lengths)[:40]!r}")
            length = int(lengths[0])
        if status in (204, 304) or self._head:
            chunked, length = False, 0
        self.chunked = chunked
        self.length = length
        """Bytes of a Content-Length body still to read (None: chunked, or up to the close)."""
        self.will_close = will_close or (length is None and not chunked)
        if length == 0:
            self._end()

    def isclosed(self) -> bool:
        """Whether the body was read to its end, broke, or was closed."""
        return self._fp is None

    def close(self) -> None:
        """Stop reading: whatever is left of the body stays unread (the connection is then dropped)."""
        self._fp = None

    def read(self, amt: int | None = None) -> bytes:
        """The rest of the body, or up to ``amt`` bytes of it (b"" at its end).

        Raises:
            http.client.IncompleteRead: the connection ended before the body did (a whole read
                only: a read of ``amt`` returns what came).
            MalformedResponseError: invalid chunked encoding.
        """
        fp = self._fp
        if fp is None:
            return b""
        if self.chunked:
            return self._read_chunked(fp, amt)
        length = self.length
        if length is None:  # up to the close
            data = fp.read() if amt is None else fp.read(amt)
            if amt is None or len(data) < amt:
                self._fp = None
                self.complete = True
            return data
        if amt is None or amt >= length:
            data = fp.read(length)
            if len(data) < length:
                self._fp = None
                if amt is None:
                    raise http.client.IncompleteRead(data, length - len(data))
                return data
            self.length = 0
            self._end()
            return data
        data = fp.read(amt)
        self.length = length - len(data)
        if len(data) < amt:
            self._fp = None
        return data

    def readinto(self, buffer: Any) -> int:
        """Read the next bytes of the body into ``buffer``: as many as fit, or as are left; 0 at its end.

        A Content-Length body that ends early ends the reading (the next read returns 0).

        Raises:
            http.client.IncompleteRead: a chunked body ended early.
            MalformedResponseError: invalid chunked encoding.
        """
        fp = self._fp
        if fp is None:
            return 0
        if self.chunked:
            return self._readinto_chunked(fp, memoryview(buffer))
        length = self.length
        if length is not None and len(buffer) > length:
            buffer = memoryview(buffer)[:length]
        count: int = fp.readinto(buffer)
        if count < len(buffer):  # the connection's end came first
            self._fp = None
            self.complete = length is None
            if length is not None:
                self.length = length - count
        elif length is not None:
            length -= count
            self.length = length
            if not length:
                self._end()
        return count

    def _end(self) -> None:
        """The body was read to its end: note whether anything follows it (nothing may)."""
        fp = self._fp
        self._fp = None
        self.complete = True
        if fp is None:
            return
        if _buffered(fp) or fp.raw.waiting():  # type: ignore[attr-defined]
            with contextlib.suppress(OSError):  # a reset: the connection will not be reused either
                self.excess = bool(fp.peek(1))  # something, or the peer's close (which is no excess)

    def _chunk_left(self, fp: io.BufferedReader) -> int:
        """Bytes left in the current chunk, reading the next chunk's size line when it is done;
        0 at the end of the body (its trailer read).

        Raises:
            http.client.IncompleteRead: the connection ended in the middle of the body.
            MalformedResponseError: invalid chunked encoding.
        """
        left = self._chunk
        if left:
            return left
        if left == 0:  # a chunk was read whole: its CRLF must follow
            end = fp.read(2)
            if end != b"\r\n":
                if b"\r\n".startswith(end):
                    raise http.client.IncompleteRead(b"")
                raise MalformedResponseError("invalid chunked encoding: a chunk is longer than its size")
        line = fp.readline(_MAX_LINE + 1)
        if not line.endswith(b"\n"):
            if len(line) > _MAX_LINE:
                raise MalformedResponseError("invalid chunked encoding: a chunk size line is too long")
            raise http.client.IncompleteRead(b"")  # the connection closed in the middle of the body
        size = line.split(b";", 1)[0].strip()
        if not _HEX.fullmatch(size):
            raise MalformedResponseError("invalid chunked encoding: a chunk size is not a hexadecimal number")
        left = self._chunk = int(size, 16)
        if not left:
            self._read_trailer(fp)
            self._end()
        return left

    def _read_trailer(self, fp: io.BufferedReader) -> None:
        for _ in range(_MAX_LINES):
            line = fp.readline(_MAX_LINE + 1)
            if len(line) > _MAX_LINE:
                raise MalformedResponseError("invalid chunked encoding: a trailer line is too long")
            if line in (b"\r\n", b"\n", b""):
                return
        raise MalformedResponseError(f"invalid chunked encoding: more than {_MAX_LINES} trailer lines")

    def _read_chunked(self, fp: io.BufferedReader, amt: int | None) -> bytes:
        pieces: list[bytes] = []
        while amt is None or amt > 0:
            left = self._chunk_left(fp)
            if not left:
                break
            size = left if amt is None else min(left, amt)
            piece = fp.read(size)
            if len(piece) < size:
                self._fp = None
                raise http.client.IncompleteRead(b"".join(pieces) + piece)
            pieces.append(piece)
            self._chunk = left - size
            if amt is not None:
                amt -= size
        return b"".join(pieces)

    def _readinto_chunked(self, fp: io.BufferedReader, view: memoryview) -> int:
        total = 0
        while len(view):
            left = self._chunk_left(fp)
            if not left:
                break
            size = min(left, len(view))
            count = fp.readinto(view[:size])
            if count < size:
                self._fp = None
                raise http.client.IncompleteRead(bytes(view[:count]))
            self._chunk = left - size
            total += size
            view = view[size:]
        return total


def _read_head(fp: io.BufferedReader) -> tuple[str, int, str, tuple[str, int] | None]:
    """The next status line (version, status, reason) and, when the whole head is in ``fp``'s
    buffer, the head with where its fields start (else None: read them with :func:`read_fields`).

    Raises:
        http.client.RemoteDisconnected: the server closed the connection before answering.
        http.client.LineTooLong, http.client.BadStatusLine: the line is too long, or not a status line.
    """
    buffered = fp.peek(1)  # what the buffer holds, or one read of the socket when it is empty
    end = buffered.find(b"\r\n\r\n")
    if end < 0 or buffered.find(b"\n\n", 0, end + 1) >= 0 or buffered.find(b"\n\r\n", 0, end + 2) >= 0:
        # not all there, or an empty line ends with a bare LF before it: line by line
        line = fp.readline(_MAX_LINE + 1).decode("latin-1")
        if len(line) > _MAX_LINE:
            raise http.client.LineTooLong("status line")
        return (*_status(line), None)
    text = fp.read(end + 4).decode("latin-1")
    start = text.find("\n") + 1
    return (*_status(text[:start]), (text, start))


def _status(line: str) -> tuple[str, int, str]:
    """A status line's version, status and reason, judged as ``http.client``'s ``_read_status``
    does (the same errors) in fewer steps: the common ``HTTP/1.1 200 OK`` is split once.

    Raises:
        http.client.RemoteDisconnected: the line is empty (the connection closed).
        http.client.BadStatusLine: the line is not a status line.
    """
    if not line:
        raise http.client.RemoteDisconnected("Remote end closed connection without response")
    parts = line.split(None, 2)
    version = parts[0] if parts else ""
    if not version.startswith("HTTP/"):
        raise http.client.BadStatusLine(line)
    code = parts[1] if len(parts) > 1 else ""
    if len(code) != 3 or not (code.isascii() and code.isdigit()) or code[0] == "0":  # three digits, 100-999
        raise http.client.BadStatusLine(line)
    return version, int(code), parts[2] if len(parts) > 2 else ""


class HTTPConnection(http.client.HTTPConnection):
    """A connection to ``host:port``: over TLS to it first when given a ``proxy_context`` (an
    HTTPS proxy), through its ``CONNECT`` tunnel to ``tunnel`` = (origin host, port, proxy
    headers) when given one, then with TLS to the origin when given a ``context``."""

    def __init__(self, host: str, port: int, *, context: ssl.SSLContext | None = None,
                 tunnel: tuple[str, int, dict[str, str]] | None = None,
                 proxy_context: ssl.SSLContext | None = None) -> None:
        super().__init__(host, port, blocksize=_BLOCK)
        self.context = context
        self.tunnel = tunnel
        self.proxy_context = proxy_context
        self.timing = Timing()
        self.reader: io.BufferedReader | None = None
        """The socket's timed, buffered reader: every response on this connection reads from it."""

    def getresponse(self) -> HTTPResponse:  # type: ignore[override]
        """The response to the request just sent, its head read (its body left to read).

        Unlike ``http.client``'s, the connection does not close itself when the response says
        it will close: whoever reads the response closes the connection when done with it (the
        transport's pool never reuses such a connection).

        Raises:
            http.client.ResponseNotReady: no request was sent.
            MalformedResponseError, http.client.HTTPException, OSError: as :meth:`HTTPResponse.begin`.
        """
        state = getattr(self, "_HTTPConnection__state")  # noqa: B009 - http.client's private state
        if state != http.client._CS_REQ_SENT or self.reader is None:  # type: ignore[attr-defined]
            raise http.client.ResponseNotReady(state)
        response = HTTPResponse(self.reader, self._method)
        response.begin()
        self._HTTPConnection__state = http.client._CS_IDLE  # type: ignore[attr-defined]
        return response

    def connect(self) -> None:
        """Connect, each step within ``self.timeout``: TLS to an HTTPS proxy, the tunnel if any,
        then TLS to the origin.

        Raises:
            TLSError: the proxy's or the origin's certificate or TLS handshake was refused.
            OSError: the connection failed (refused, reset, timed out, tunnel refused).
        """
        sock: Any = socket.create_connection((self.host, self.port), self.timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            origin = self.host
            proxy_context = self.proxy_context
            if proxy_context is not None:
                sock = _handshake(functools.partial(proxy_context.wrap_socket, sock, server_hostname=self.host),
                                  f"the proxy {self.host}")
            if self.tunnel is not None:
                origin, port, headers = self.tunnel
                _open_tunnel(sock, origin, port, headers)
            if self.context is not None:
                if isinstance(sock, ssl.SSLSocket):  # the tunnel runs over TLS to the proxy
                    sock = _handshake(functools.partial(TLSInTLS, sock, self.context, origin), origin)
                else:
                    sock = _handshake(functools.partial(self.context.wrap_socket, sock, server_hostname=origin),
                                      origin)
        except BaseException:
            sock.close()
            raise
        self.sock = sock
        self.timing.connected(sock)
        self.reader = io.BufferedReader(_TimedReader(sock, self.timing))

    def stale(self) -> bool:
        """Whether this idle connection is closed, or its server sent something (or hung up) since
        its last response ended: either way it must not carry another request."""
        return self.reader is None or bool(self.reader.raw.waiting())  # type: ignore[attr-defined]

    def close(self) -> None:
        """Close the connection (a response still reading from it reads no more)."""
        reader, self.reader = self.reader, None
        try:
            super().close()
        finally:
            if reader is not None:
                reader.close()

    def request(self, method: str, url: str, body: Any = None,
                headers: CaseInsensitiveDict[str] | Mapping[str, Any] = _NO_HEADERS, *,
                encode_chunked: bool = False) -> None:
        """``http.client``'s ``request``, for a method, target and headers
        :func:`~storagekit.transport._checks.check_request` has checked (each line is written as
        it is); a small body goes in the same write as the head.

        With a ``Host`` header (case-insensitive when ``headers`` is a CaseInsensitiveDict, as the
        transport passes them), the head is written here in one piece rather than through
        ``putrequest``, whose checks the transport has made already. One write instead of two
        spares a system call and a TCP segment each way, which is most of what a small PUT costs
        the kernel; larger or streamed bodies are sent by ``http.client`` after the head, in blocks.
        """
        if type(headers) is not CaseInsensitiveDict and not isinstance(headers, CaseInsensitiveDict):
            headers = CaseInsensitiveDict(headers)
        if "host" in headers:
            self._start(method)
            lines = [f"{method} {url or '/'} HTTP/1.1"]
            if "accept-encoding" not in headers:
                lines.append("Accept-Encoding: identity")
        else:
            self.putrequest(method, url, skip_accept_encoding="accept-encoding" in headers)
            # http.client's head as it built it (bytes), to go on as text: encoded once, whole
            lines = [line.decode("latin-1") for line in getattr(self, "_buffer")]  # noqa: B009
        if "content-length" in headers:
            encode_chunked = False
        elif "transfer-encoding" not in headers:
            length = self._get_content_length(body, method)  # type: ignore[attr-defined]
            encode_chunked = length is None and body is not None
            if encode_chunked:
                lines.append("Transfer-Encoding: chunked")
            elif length is not None:
                lines.append(f"Content-Length: {length:d}")
        lines.extend([f"{name}: {value}" for name, value in headers.items()])
        if isinstance(body, str):
            body = body.encode("latin-1")
        if body is None or (isinstance(body, (bytes, bytearray, memoryview)) and len(body) <= _ONE_WRITE
                            and not encode_chunked):
            lines.extend(("", ""))
            head = "\r\n".join(lines).encode("latin-1")
            self._buffer = []
            self._HTTPConnection__state = http.client._CS_REQ_SENT  # type: ignore[attr-defined]  # as endheaders()
            sock = self.sock
            if sock is None:
                raise http.client.NotConnected()
            self.timing.apply(sock)
            try:
                sock.sendall(head + body if body else head)
            except TimeoutError:
                raise self.timing.timed_out() from None
        else:
            self._buffer = [line.encode("latin-1") for line in lines]
            self._HTTPConnection__state = http.client._CS_REQ_STARTED  # type: ignore[attr-defined]
            self.endheaders(body, encode_chunked=encode_chunked)

    def _start(self, method: str) -> None:
        """What ``putrequest`` checks and records before a request's head is written."""
        state = getattr(self, "_HTTPConnection__state")  # noqa: B009 - http.client's private state
        if state != http.client._CS_IDLE:  # type: ignore[attr-defined]
            raise http.client.CannotSendRequest(state)
        self._method = method

    def send(self, data: Any) -> None:
        """Send ``data`` (bytes, or a file http.client reads in blocks) within the request's deadline."""
        if self.sock is not None:
            self.timing.apply(self.sock)
        try:
            super().send(data)
        except TimeoutError:
            raise self.timing.timed_out() from None


def _handshake(shake: Callable[[], _S], host: str) -> _S:
    """``shake()`` (a TLS handshake with ``host``), a refused certificate or handshake raised as a TLSError.

    Raises:
        TLSError: the certificate or the handshake was refused.
        ssl.SSLError: (an OSError) the connection broke during the handshake.
    """
    try:
        return shake()
    except ssl.SSLError as error:
        refused = handshake_error(error, host)
        if refused is None:
            raise
        raise refused from None


def _open_tunnel(sock: socket.socket, host: str, port: int, headers: dict[str, str]) -> None:
    """Ask the proxy at the other end of ``sock`` for a tunnel to ``host:port``.

    Raises:
        OSError: the proxy refused (its status and reason in the message).
        MalformedResponseError: its answer is not HTTP.
    """
    sock.sendall(connect_request(host, port, headers))
    with sock.makefile("rb") as answer:
        status = answer.readline(_MAX_LINE + 1).split(None, 2)
        if len(status) < 2 or not status[0].startswith(b"HTTP/1."):
            raise MalformedResponseError("the proxy's answer to CONNECT is not HTTP")
        for _ in range(_MAX_LINES):
            if answer.readline(_MAX_LINE + 1) in (b"\r\n", b"\n", b""):
                break
        else:
            raise MalformedResponseError(f"the proxy's answer to CONNECT has more than {_MAX_LINES} header lines")
    if status[1] != b"200":
        reason = status[2].decode("latin-1").strip() if len(status) > 2 else ""
        raise OSError(f"the proxy refused a tunnel to {host}: {status[1].decode('latin-1')} {reason}".rstrip())
