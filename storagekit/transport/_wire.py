"""One HTTP/1.1 connection on ``http.client``, with the limits a hostile server needs.

``http.client`` alone trusts the server too much: it returns ``103 Early Hints`` as if it
were the final status (and leaves the real answer on the socket for the next request),
loops forever on ``100 Continue``, lets a server trickle a header line or a body a byte at
a time under a per-read timeout that never fires, calls garbage and truncation in a chunked
body the same ``IncompleteRead``, and ignores bytes past ``Content-Length``. Here:

- :class:`Timing` applies, before every read and write on the socket, the per-read timeout
  capped by what is left of the current phase: the response headers must arrive within
  one read timeout of the request being sent, the whole request within its deadline.
- :class:`HTTPResponse` reads past at most ``MAX_INTERIM`` 1xx responses, refuses a bad
  ``Content-Length``, tells invalid chunked encoding (MalformedResponseError) from a
  connection that broke (``IncompleteRead``), and notes bytes sent past the end of a body.
- :class:`HTTPConnection` connects to a proxy over TLS if it is an HTTPS proxy, through a
  ``CONNECT`` tunnel of its own (IPv6 bracketed once, no header injection), with TLS in TLS
  (``_tls_in_tls``) to an HTTPS origin behind an HTTPS proxy, and turns a refused
  certificate (the proxy's or the origin's) into a TLSError naming that host.

The overrides of ``http.client``'s ``_read_status``, ``_read_next_chunk_size``,
``_read_and_discard_trailer`` and ``_close_conn`` rely on methods stable since Python 3.5.
"""

from __future__ import annotations

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

    The lines are gathered first and parsed by one regular expression over the whole head;
    a head it does not match line for line (a folded line, a malformed one, a stray CR) is
    parsed again line by line, which either folds or refuses it.

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
    pairs = _FIELD_LINE.findall(b"".join(lines).decode("latin-1"))
    if len(pairs) != len(lines):
        return _read_lines(lines)
    fields: CaseInsensitiveDict[str] = CaseInsensitiveDict.from_pairs(pairs)
    if len(fields) == len(pairs):  # no name given twice
        length = fields.get("content-length")
        return fields, [] if length is None else [length]
    return fields, [value for name, value in pairs if name.lower() == "content-length"]


_FIELD_LINE = re.compile(r"^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*([^\r\n]*?)[ \t\r]*\n", re.MULTILINE)
"""One ``name: value`` line (the name a token), the value trimmed: at a line's start only, so a head
whose every line is one has as many matches as lines."""


def _read_lines(lines: list[bytes]) -> tuple[CaseInsensitiveDict[str], list[str]]:
    """:func:`read_fields` line by line: folds continued lines, refuses malformed ones."""
    fields: CaseInsensitiveDict[str] = CaseInsensitiveDict()
    lengths: list[str] = []
    last = ""
    for line in lines:
        text = line.decode("latin-1")
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


class _Fields:
    """The header fields as ``http.client.HTTPResponse`` reads them (``get``, ``get_all``, ``items``)."""

    __slots__ = ("_fields",)

    def __init__(self, fields: CaseInsensitiveDict[str]) -> None:
        self._fields = fields

    def get(self, name: str, default: Any = None) -> Any:
        return self._fields.get(name, default)

    def get_all(self, name: str, default: Any = None) -> Any:
        return [self._fields[name]] if name in self._fields else default

    def items(self) -> list[tuple[str, str]]:
        return list(self._fields.items())

    def __contains__(self, name: object) -> bool:
        return name in self._fields


class _TimedReader(io.RawIOBase):
    """The socket as http.client reads it, with :class:`Timing` applied before each read.

    In ``probing`` mode a read that would block returns None, so a buffered ``peek`` tells
    whether anything is waiting without waiting for it.
    """

    def __init__(self, sock: socket.socket, timing: Timing) -> None:
        super().__init__()
        self._sock = sock
        self._io = sock.makefile("rb", buffering=0)  # keeps the socket open while the body is read
        self._timing = timing
        self.poll = _poller(sock)
        """Whether the socket itself is readable now (one ``poll`` system call)."""
        self.probing = False

    def readable(self) -> bool:
        return True

    def waiting(self) -> bool:
        """Whether the socket has something to read right now (data, or the peer's close)."""
        return bool(getattr(self._sock, "pending", _nothing)() or self.poll())

    def readinto(self, buffer: Any) -> int | None:
        if self.probing and not self.waiting():
            return None
        self._timing.apply(self._sock)
        try:
            return self._io.readinto(buffer)
        except TimeoutError:
            raise self._timing.timed_out() from None

    def close(self) -> None:
        if not self.closed:
            self._io.close()
        super().close()


def _poller(sock: socket.socket) -> Callable[[], bool]:
    """A check of whether ``sock`` is readable now: one ``poll`` system call on a poller made once."""
    if not hasattr(select, "poll"):  # pragma: no cover - platforms without poll
        return functools.partial(readable, sock)
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return functools.partial(poller.poll, 0)  # type: ignore[return-value]  # a list: true when not empty


def _nothing() -> int:
    return 0


class HTTPResponse(http.client.HTTPResponse):
    """``http.client``'s response with bounded 1xx, strict framing and timed reads (see the module).

    It reads from its connection's buffered reader of the socket (``reader``), made once per
    connection rather than once per response. The connection keeps the reader, unless the
    response says the connection will close: the response then owns it (``http.client``
    hands the socket to such a response) and closes it when done.
    """

    fields: CaseInsensitiveDict[str]
    """The response's header fields (a repeated field's last value; see :func:`read_fields`), set by ``begin``."""
    # http.client's state before ``begin``, as class defaults: a response sets only what changes
    headers = msg = None  # type: ignore[assignment]
    version = status = reason = length = http.client._UNKNOWN  # type: ignore[attr-defined]
    chunked = chunk_left = will_close = http.client._UNKNOWN  # type: ignore[attr-defined]
    debuglevel = 0
    owns_reader = False
    """Whether closing the response closes the reader (set once the connection is known to close)."""
    excess = False
    """Whether the server sent bytes past the end of the body (a framing error)."""
    _interim = 0
    _last_chunk = False

    def __init__(self, sock: socket.socket, debuglevel: int = 0, method: str | None = None,
                 url: str | None = None, *, reader: io.BufferedReader) -> None:
        # http.client's __init__ without its own reader of the socket (the connection's timed one)
        self.fp = reader
        self._method = method
        if debuglevel:
            self.debuglevel = debuglevel

    def begin(self) -> None:
        """Read the status line and the header fields; decide how the body is framed.

        What ``http.client``'s own ``begin`` decides, without its parse of the fields with the
        ``email`` package (about 30 us a response): a body is chunked if Transfer-Encoding is
        ``chunked``, else as long as its one valid Content-Length, else read to the close.

        Raises:
            MalformedResponseError: too many 1xx responses, a 101, a bad header line, or a
                Content-Length that is not one non-negative number.
            http.client.HTTPException: a bad status line, a line or a head too long
                (``TransportError``, as from ``http.client``).
        """
        if self.headers is not None:
            return
        while True:
            version, status, reason = self._read_status()
            if status != 100:
                break
            read_fields(self.fp)  # the head of a 100 Continue: nothing in it is used
        self.code = self.status = status
        self.reason = reason.strip()
        if version in ("HTTP/1.0", "HTTP/0.9"):
            self.version = 10
        elif version.startswith("HTTP/1."):
            self.version = 11
        else:
            raise http.client.UnknownProtocol(version)
        fields, lengths = read_fields(self.fp)
        self.fields = fields
        self.headers = self.msg = _Fields(fields)
        encoding = fields.get("transfer-encoding")
        self.chunked = bool(encoding) and encoding.lower() == "chunked"
        self.chunk_left = None
        connection = fields.get("connection", "").lower()
        if self.version == 11:
            self.will_close = "close" in connection
        else:  # HTTP/1.0 keeps a connection open only when asked to
            self.will_close = not ("keep-alive" in fields or "keep-alive" in connection
                                   or "keep-alive" in fields.get("proxy-connection", "").lower())
        self.length = None
        if lengths and not self.chunked:
            if len(set(lengths)) > 1 or not _DIGITS(lengths[0]):
                self._close_conn()
                raise MalformedResponseError(
                    f"the response has an invalid Content-Length: {', '.join(lengths)[:40]!r}")
            self.length = int(lengths[0])
        if status in (204, 304) or self._method == "HEAD":
            self.length = 0
        if not self.will_close and not self.chunked and self.length is None:
            self.will_close = True
        self.owns_reader = self.will_close

    def _read_status(self) -> tuple[str, int, str]:
        while True:
            version, status, reason = self._status_line()
            if not 100 <= status < 200:
                return version, status, reason
            self._interim += 1
            if self._interim > MAX_INTERIM:
                raise MalformedResponseError(f"more than {MAX_INTERIM} interim (1xx) responses came before "
                                             "a final status")
            if status == 101:
                raise MalformedResponseError("the server switched protocols (101), which storagekit never asks for")
            if status == 100:
                return version, status, reason  # begin() skips its headers and reads the next status
            read_fields(self.fp)  # 102 Processing, 103 Early Hints: informational only

    def _status_line(self) -> tuple[str, int, str]:
        """One status line, read and judged as ``http.client``'s ``_read_status`` does (the same
        errors) in fewer steps: the common ``HTTP/1.1 200 OK`` is split once.

        Raises:
            http.client.RemoteDisconnected: the server closed the connection before answering.
            http.client.LineTooLong, http.client.BadStatusLine: the line is too long, or not a status line.
        """
        line = self.fp.readline(_MAX_LINE + 1).decode("latin-1")
        if len(line) > _MAX_LINE:
            raise http.client.LineTooLong("status line")
        if not line:
            raise http.client.RemoteDisconnected("Remote end closed connection without response")
        parts = line.split(None, 2)
        version = parts[0] if parts else ""
        if not version.startswith("HTTP/"):
            self._close_conn()
            raise http.client.BadStatusLine(line)
        code = parts[1] if len(parts) > 1 else ""
        if len(code) != 3 or not (code.isascii() and code.isdigit()) or code[0] == "0":  # three digits, 100-999
            raise http.client.BadStatusLine(line)
        return version, int(code), parts[2] if len(parts) > 2 else ""

    def _read_next_chunk_size(self) -> int:
        line = self.fp.readline(_MAX_LINE + 1)
        if not line:
            raise http.client.IncompleteRead(b"")  # the connection closed in the middle of the body
        size = line.split(b";", 1)[0].strip()
        if len(line) > _MAX_LINE or not _HEX.fullmatch(size):
            raise MalformedResponseError("invalid chunked encoding: a chunk size is not a hexadecimal number")
        chunk = int(size, 16)
        self._last_chunk = chunk == 0
        return chunk

    def _read_and_discard_trailer(self) -> None:
        for _ in range(_MAX_LINES):
            line = self.fp.readline(_MAX_LINE + 1)
            if len(line) > _MAX_LINE:
                raise MalformedResponseError("invalid chunked encoding: a trailer line is too long")
            if line in (b"\r\n", b"\n", b""):
                return
        raise MalformedResponseError(f"invalid chunked encoding: more than {_MAX_LINES} trailer lines")

    def flush(self) -> None:
        """Nothing to flush: a response only reads (``http.client`` would flush the reader,
        which its connection may have closed already)."""

    def _close_conn(self) -> None:
        fp = self.fp
        if fp is not None and (self.length == 0 or self._last_chunk):
            self.excess = self._more_to_read()  # the body is complete: nothing may follow it
        self.fp = None  # type: ignore[assignment]
        if fp is not None and self.owns_reader:
            fp.close()

    def _more_to_read(self) -> bool:
        reader = self.fp.raw
        reader.probing = True  # type: ignore[attr-defined]
        try:
            return bool(self.fp.peek(1))
        except OSError:
            return False
        finally:
            reader.probing = False  # type: ignore[attr-defined]


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
        self._reading: HTTPResponse | None = None
        self.response_class = self._response  # type: ignore[assignment]

    def _response(self, sock: socket.socket, debuglevel: int = 0, method: str | None = None,
                  url: str | None = None) -> HTTPResponse:
        """The response to the request just sent, reading from this connection's reader."""
        assert self.reader is not None  # connected: getresponse is only called after a request
        self._reading = HTTPResponse(sock, debuglevel, method, url, reader=self.reader)
        return self._reading

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
        return self.reader is None or bool(self.reader.raw.poll())  # type: ignore[attr-defined]

    def close(self) -> None:
        """Close the connection; its reader too, unless a response that outlives the connection
        (``will_close``, see :class:`HTTPResponse`) reads from it."""
        reader, self.reader = self.reader, None
        reading, self._reading = self._reading, None
        try:
            super().close()
        finally:
            if reader is not None and not (reading is not None and reading.owns_reader and not reading.isclosed()):
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
        if not isinstance(headers, CaseInsensitiveDict):
            headers = CaseInsensitiveDict(headers)
        if "host" in headers:
            self._start(method)
            lines = [f"{method} {url or '/'} HTTP/1.1".encode("latin-1")]
            if "accept-encoding" not in headers:
                lines.append(b"Accept-Encoding: identity")
        else:
            self.putrequest(method, url, skip_accept_encoding="accept-encoding" in headers)
            lines = getattr(self, "_buffer")  # noqa: B009 - http.client's head being built
        if "content-length" in headers:
            encode_chunked = False
        elif "transfer-encoding" not in headers:
            length = self._get_content_length(body, method)  # type: ignore[attr-defined]
            encode_chunked = length is None and body is not None
            if encode_chunked:
                lines.append(b"Transfer-Encoding: chunked")
            elif length is not None:
                lines.append(b"Content-Length: %d" % length)
        lines.extend([f"{name}: {value}".encode("latin-1") for name, value in headers.items()])
        if isinstance(body, str):
            body = body.encode("latin-1")
        if body is None or (isinstance(body, (bytes, bytearray, memoryview)) and len(body) <= _ONE_WRITE
                            and not encode_chunked):
            lines.extend((b"", b""))
            head = b"\r\n".join(lines)
            del lines[:]
            self._HTTPConnection__state = http.client._CS_REQ_SENT  # type: ignore[attr-defined]  # as endheaders()
            self.send(head + body if body else head)
        else:
            self._buffer = lines
            self._HTTPConnection__state = http.client._CS_REQ_STARTED  # type: ignore[attr-defined]
            self.endheaders(body, encode_chunked=encode_chunked)

    def _start(self, method: str) -> None:
        """What ``putrequest`` checks and records before a request's head is written."""
        previous = getattr(self, "_HTTPConnection__response")  # noqa: B009 - http.client's private state
        if previous is not None and previous.isclosed():
            self._HTTPConnection__response = None
        state = getattr(self, "_HTTPConnection__state")  # noqa: B009
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
