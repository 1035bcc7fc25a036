"""A small HTTP/1.1 client on ``http.client``: pooled keep-alive connections, TLS, proxies.

Why not ``requests`` for the requests themselves: on this project's 2-core machine one small
request costs ~0.9 ms of client CPU through ``requests.Session``, ~0.4 ms through urllib3 and
~0.2 ms through ``http.client`` (see docs/architecture.md). Object storage needs little of
what the bigger clients add (no cookies, redirects, content decoding or form encoding), so
this package keeps only what it does need: a pool per host, connect and read timeouts and a
deadline per request, verified TLS, proxies from the environment, streamed bodies and
``readinto`` for downloads. Requests go out through ``http.client``'s connection; responses
are read and framed by ``_wire``'s own reader (``http.client``'s cost more CPU than the rest of
a small request). It is written against hostile servers: each pitfall ``http.client`` leaves
open is closed in ``_wire`` (1xx, trickling, framing, tunnels), ``_pool`` (stale connections,
fork, more than 1024 file descriptors), ``_tls`` and ``_proxy``.

What it raises: ``TransportError`` (an ``OSError`` or ``http.client.HTTPException``: a
connection that failed, broke or timed out, which a caller may retry), and storagekit's
typed errors for what retrying cannot fix: :class:`~storagekit.types.TLSError`,
:class:`~storagekit.types.MalformedResponseError` and, for a URL or header that would
inject lines into the request, :class:`~storagekit.types.InvalidOptionError`.

Usage::

    transport = Transport(verify=True, pool_size=16)
    response = transport.send(Request("GET", "https://host/bucket/key"), timeout=(10, 60), stream=True)
    n = response.readinto(buffer)
    response.close()  # the connection goes back to the pool once the body was read to its end
"""

from __future__ import annotations

import functools
import http.client
import io
import json
import os
import re
import ssl
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

from ..headers import CaseInsensitiveDict
from ..types import InvalidOptionError, MalformedResponseError
from ._checks import check_request
from ._pool import Pool
from ._proxy import environment_proxy, proxy_auth
from ._tls import make_context
from ._wire import HTTPConnection, HTTPResponse

TransportError = (OSError, http.client.HTTPException)
"""What a broken connection, a timeout or a truncated answer raises from this module (retryable)."""

DEFAULT_DEADLINE = 1800.0
"""Seconds one request may take from connecting to the last byte of its body, by default."""
ERROR_BODY_CAP = 1024 * 1024
"""At most this much of an error response's body (status >= 300) is read; the rest is dropped."""

_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)
"""How a kept-alive connection that the server has closed fails when it is used again."""
_BLOCK = 1024 * 1024
"""How much of an unsized body is read per chunk."""
_PLAIN_URL = re.compile(r"(https?)://([^/?#]*)([^?#]*)(?:\?([^#]*))?").fullmatch
"""scheme://netloc path ?query of a URL without a fragment or upper-case scheme, split without ``urlsplit``."""


class Request:
    """A request as auth callables see it: they may add headers or change the URL's query."""

    __slots__ = ("body", "headers", "method", "url")

    def __init__(self, method: str, url: str, headers: Mapping[str, str] | None = None, body: Any = None) -> None:
        self.method = method
        self.url = url
        self.headers: CaseInsensitiveDict[str] = CaseInsensitiveDict(headers or {})
        self.body = body

    def __repr__(self) -> str:
        return f"<Request {self.method}>"


def with_params(url: str, params: Mapping[str, Any] | None) -> str:
    """``url`` with ``params`` appended as a form-encoded query (None values left out)."""
    if not params:
        return url
    query = urlencode([(k, v) for k, v in params.items() if v is not None], doseq=True)
    if not query:
        return url
    return f"{url}{'&' if '?' in url else '?'}{query}"


def body_length(body: Any) -> int | None:
    """The length of a body that has one (bytes, a seekable file), else None (sent chunked)."""
    if body is None:
        return 0
    if isinstance(body, (bytes, bytearray)):
        return len(body)
    if isinstance(body, memoryview):
        return body.nbytes
    if isinstance(body, str):
        return len(body.encode("utf-8"))
    if hasattr(body, "seek") and hasattr(body, "tell"):
        position = body.tell()
        end = body.seek(0, io.SEEK_END)
        body.seek(position)
        return int(end - position)
    return None


class Response:
    """A status, headers and a body that is read once: whole (``content``) or streamed.

    A streamed response holds its connection until the body is read to the end (the
    connection then goes back to the pool) or ``close`` is called (it is dropped). The body
    of an error (status >= 300) is read up to ``ERROR_BODY_CAP`` bytes only. A connection
    on which anything follows the end of a body is never reused.
    """

    def __init__(
        self,
        request: Request,
        status_code: int,
        headers: CaseInsensitiveDict[str],
        body: Any,
        finish: Callable[[], None] | None = None,
        reason: str = "",
    ) -> None:
        self.request = request
        self.url = request.url
        self.status_code = status_code
        self.reason = reason
        self.headers = headers
        self._body = body
        self._finish = finish
        self._content: bytes | None = None

    def __repr__(self) -> str:
        return f"<Response [{self.status_code}]>"

    @property
    def content(self) -> bytes:
        """The whole body (read on first use; an error's body up to ``ERROR_BODY_CAP`` bytes).

        Raises:
            MalformedResponseError: the server sent more than the body it announced.
        """
        if self._content is None:
            try:
                self._content = self._body.read(ERROR_BODY_CAP) if self.status_code >= 300 else self._body.read()
                self._check_framing()
            finally:
                self.close()
        return self._content

    @property
    def text(self) -> str:
        """The body as UTF-8 text (undecodable bytes replaced)."""
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.content)

    def readinto(self, buffer: memoryview | bytearray) -> int:
        """Read into ``buffer`` (straight from the socket); 0 at the end of the body.

        Raises:
            MalformedResponseError: the server sent more than the body it announced, or
                invalid chunked encoding.
        """
        n: int = self._body.readinto(buffer)
        self._check_framing()
        return n

    def _check_framing(self) -> None:
        # bytes past the end of a success may be the end of a longer body: refused. After an
        # error (which a server may send before reading the whole request, then answer the
        # rest as garbage) the connection is only dropped, and the error stands.
        if self.status_code < 300 and getattr(self._body, "excess", False):
            self.close()
            raise MalformedResponseError(f"the server sent more bytes than the body it announced "
                                         f"({self.request.method} answered {self.status_code})")

    def close(self) -> None:
        """Give the connection back if the body was read to its end, else drop it."""
        finish, self._finish = self._finish, None
        if finish is not None:
            finish()


_LIVE: weakref.WeakSet[Transport] = weakref.WeakSet()
"""Every transport of this process, so a forked child can forget their pooled connections."""


class Transport:
    """Sends a :class:`Request` and returns a :class:`Response`, reusing pooled connections.

    Args:
        verify: True (the certifi bundle, or ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE``),
            False (no TLS verification at all) or a CA bundle file or directory; it checks
            the certificates of the origins and of an HTTPS proxy alike.
        pool_size: idle connections kept per origin.
        deadline: seconds one request may take in all, body included (each read may
            still wait at most the read timeout, and the response headers must come within
            one read timeout of the request being sent).

    Proxies come from ``HTTP(S)_PROXY`` / ``ALL_PROXY`` / ``NO_PROXY``, read once per origin;
    an ``https://`` proxy is spoken to over TLS (TLS in TLS to an HTTPS origin behind it).
    Pooled connections belong to the process that opened them: a forked child opens its own.

    Raises:
        InvalidOptionError: ``deadline`` or ``pool_size`` is not a positive number.
    """

    def __init__(self, *, verify: bool | str = True, pool_size: int = 16, deadline: float = DEFAULT_DEADLINE) -> None:
        if isinstance(deadline, bool) or not isinstance(deadline, (int, float)) or not 0 < deadline < float("inf"):
            raise InvalidOptionError(f"deadline must be a positive number of seconds, not {deadline!r}")
        if isinstance(pool_size, bool) or not isinstance(pool_size, int) or pool_size < 1:
            raise InvalidOptionError(f"pool_size must be a positive integer, not {pool_size!r}")
        self.verify = verify
        self.deadline = float(deadline)
        self._ssl_context: ssl.SSLContext | None = None
        self._pool_size = pool_size
        self._pools: dict[tuple[str, str], tuple[Pool[HTTPConnection], str | None]] = {}
        self._lock = threading.Lock()
        _LIVE.add(self)

    def __repr__(self) -> str:
        return f"<Transport pools={len(self._pools)}>"

    def close(self) -> None:
        """Close every idle connection."""
        with self._lock:
            pools, self._pools = self._pools, {}
        for pool, _ in pools.values():
            pool.close()

    def send(self, request: Request, *, timeout: tuple[float, float], stream: bool = False) -> Response:
        """Send ``request``; with ``stream`` the body is left to read from the response.

        Args:
            request: what to send; its URL and headers are checked for injected lines first.
            timeout: (connect, read) seconds; the read timeout applies to each read, and
                bounds the wait for the response headers as a whole.
            stream: leave the body unread (read it with ``readinto``), else read it now.

        Raises:
            InvalidOptionError: the method, URL or a header holds CR, LF or another control
                character, or the URL's scheme or port is not usable.
            TLSError: the server's certificate (or handshake) was refused.
            MalformedResponseError: too many 1xx responses, a bad Content-Length, invalid
                chunked encoding, more bytes than the announced body.
            OSError, http.client.HTTPException: (``TransportError``) the connection failed,
                broke or timed out, or the request overran its deadline.
        """
        check_request(request.method, request.url, request.headers)
        match = _PLAIN_URL(request.url)
        found = self._pools.get((match[1], match[2])) if match is not None else None
        if found is not None:  # an origin already pooled (so its netloc was checked), a URL without fragment
            scheme, netloc, path, query = match.groups()  # type: ignore[union-attr]
            pool, proxy = found
        else:
            try:
                parts = urlsplit(request.url)
            except ValueError as error:  # an unbalanced IPv6 bracket, ...
                raise InvalidOptionError(f"the URL of this {request.method} request is not valid: {error}") from None
            scheme, netloc, path, query = parts.scheme, parts.netloc, parts.path, parts.query
            pool, proxy = self._pool_for(scheme, netloc)
        through_proxy = proxy is not None and scheme == "http"  # absolute-form, no tunnel
        target = request.url if through_proxy else (path or "/") + (f"?{query}" if query else "")
        body = request.body
        headers = request.headers
        if through_proxy or "host" not in headers:
            headers = headers.copy()
            if "host" not in headers:
                headers["Host"] = netloc
            if through_proxy:
                headers.update(proxy_auth(proxy or ""))
        chunked = body_length(body) is None and body is not None
        if chunked:
            body = _bytes_chunks(body)
        while True:
            conn, reused = pool.get()
            try:
                conn.timing.start(timeout[1], self.deadline)
                if conn.sock is None:
                    conn.timeout = timeout[0]
                    conn.connect()
                conn.request(request.method, target, body=body, headers=headers, encode_chunked=chunked)
                conn.timing.await_headers()
                raw = conn.getresponse()
                conn.timing.read_body()
                break
            except _STALE as error:
                conn.close()
                # a kept-alive connection the server closed as we sent: the request never
                # reached it, so it goes again on a new connection (if its body can be re-sent)
                if not (reused and isinstance(body, (bytes, bytearray, memoryview, type(None)))):
                    raise error from None
            except BaseException:
                conn.close()
                raise
        response = Response(request, raw.status, raw.fields, raw, functools.partial(_finish, pool, conn, raw),
                            raw.reason)
        if not stream:
            response.content  # noqa: B018 - read now, so the connection goes back to the pool
        return response

    def _pool_for(self, scheme: str, netloc: str) -> tuple[Pool[HTTPConnection], str | None]:
        key = (scheme, netloc)
        found = self._pools.get(key)
        if found is not None:
            return found
        with self._lock:
            found = self._pools.get(key)
            if found is None:
                found = self._pools[key] = self._new_pool(scheme, netloc)
        return found

    def _new_pool(self, scheme: str, netloc: str) -> tuple[Pool[HTTPConnection], str | None]:
        if scheme not in ("http", "https"):
            raise InvalidOptionError(f"unsupported URL scheme {scheme!r} (http or https)")
        host, port = _host_port(netloc, 443 if scheme == "https" else 80)
        proxy = environment_proxy(scheme, host, port)
        context = self._context() if scheme == "https" else None
        if proxy is None:
            return Pool(functools.partial(HTTPConnection, host, port, context=context), self._pool_size), None
        proxy_parts = urlsplit(proxy)
        if proxy_parts.scheme not in ("http", "https"):
            raise InvalidOptionError(f"the proxy URL's scheme {proxy_parts.scheme!r} is not supported (http or https)")
        proxy_host, proxy_port = _host_port(proxy_parts.netloc.rpartition("@")[2],
                                            443 if proxy_parts.scheme == "https" else 80)
        proxy_context = self._context() if proxy_parts.scheme == "https" else None
        # an https origin: a CONNECT tunnel through the proxy, TLS to the origin inside it;
        # an http origin: requests in absolute form to the proxy itself
        tunnel = (host, port, proxy_auth(proxy)) if scheme == "https" else None
        connect = functools.partial(HTTPConnection, proxy_host, proxy_port, context=context, tunnel=tunnel,
                                    proxy_context=proxy_context)
        return Pool(connect, self._pool_size), proxy

    def _context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = make_context(self.verify)
        return self._ssl_context

    def _forget_connections(self) -> None:
        """In a forked child: drop the parent's pooled connections, without closing them for it."""
        self._lock = threading.Lock()
        pools, self._pools = self._pools, {}
        for pool, _ in pools.values():
            pool.forget()


def _finish(pool: Pool[HTTPConnection], conn: HTTPConnection, raw: HTTPResponse) -> None:
    """End a response: its connection back to the pool if the body was read to its end, nothing
    followed it and the connection stays open, else the connection closed."""
    if raw.complete and not raw.will_close and not raw.excess:
        pool.put(conn)
    else:
        raw.close()
        conn.close()


def _host_port(netloc: str, default_port: int) -> tuple[str, int]:
    """The host (IPv6 without brackets) and port of ``netloc``.

    Raises:
        InvalidOptionError: the port is not a number from 0 to 65535, or there is no host.
    """
    parts = urlsplit(f"//{netloc}")
    try:
        port = parts.port
    except ValueError:
        raise InvalidOptionError(f"the URL's port is not valid: {netloc.rpartition('@')[2]!r}") from None
    if not parts.hostname:
        raise InvalidOptionError("the URL has no host")
    return parts.hostname, default_port if port is None else port


def _forget_all_connections() -> None:
    for transport in list(_LIVE):
        transport._forget_connections()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_all_connections)


def _bytes_chunks(body: Iterable[Any]) -> Iterator[bytes]:
    """An iterable body (or an unsized file) as non-empty byte chunks, for chunked encoding."""
    if hasattr(body, "read"):
        read = body.read
        while chunk := read(_BLOCK):
            yield chunk
        return
    for chunk in body:
        if chunk:
            yield chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)


__all__ = [
    "DEFAULT_DEADLINE", "ERROR_BODY_CAP", "Request", "Response", "Transport", "TransportError", "body_length",
    "with_params",
]
