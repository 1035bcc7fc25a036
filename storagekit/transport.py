"""A small HTTP/1.1 client on ``http.client``: pooled keep-alive connections, TLS, proxies.

Why not ``requests`` for the requests themselves: on this project's 2-core machine one small
request costs ~0.9 ms of client CPU through ``requests.Session``, ~0.4 ms through urllib3 and
~0.2 ms through ``http.client`` (see docs/architecture.md). Object storage needs little of
what the bigger clients add (no cookies, redirects, content decoding or form encoding), so
this module keeps only what it does need: a pool per host, connect and read timeouts,
verified TLS, proxies from the environment, streamed bodies and ``readinto`` for downloads.

Usage::

    transport = Transport(verify=True, pool_size=16)
    response = transport.send(Request("GET", "https://host/bucket/key"), timeout=(10, 60), stream=True)
    n = response.readinto(buffer)
    response.close()  # the connection goes back to the pool once the body was read to its end
"""

from __future__ import annotations

import base64
import http.client
import io
import json
import os
import select
import socket
import ssl
import threading
import urllib.request
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

from .headers import CaseInsensitiveDict

TransportError = (OSError, http.client.HTTPException)
"""What a broken connection, a timeout or a malformed answer raises from this module."""

_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)
"""How a kept-alive connection that the server has closed fails when it is used again."""
_BLOCK = 1024 * 1024
"""How much of a file body http.client reads per send (its default is 8 KiB)."""


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
    connection then goes back to the pool) or ``close`` is called (it is dropped).
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
        """The whole body (read on first use)."""
        if self._content is None:
            try:
                self._content = self._body.read()
            finally:
                self.close()
        return self._content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)

    def readinto(self, buffer: memoryview | bytearray) -> int:
        """Read into ``buffer`` (straight from the socket); 0 at the end of the body."""
        return self._body.readinto(buffer)  # type: ignore[no-any-return]

    def close(self) -> None:
        """Give the connection back if the body was read to its end, else drop it."""
        finish, self._finish = self._finish, None
        if finish is not None:
            finish()


class _Pool:
    """Idle keep-alive connections to one origin (through one proxy, if any)."""

    def __init__(self, factory: Callable[[], http.client.HTTPConnection], size: int) -> None:
        self._factory = factory
        self._idle: deque[http.client.HTTPConnection] = deque()
        self._size = size
        self._lock = threading.Lock()

    def get(self) -> tuple[http.client.HTTPConnection, bool]:
        """An idle connection the server has not closed (reused=True), or a new one."""
        while True:
            with self._lock:
                if not self._idle:
                    break
                conn = self._idle.pop()
            if conn.sock is not None and not _readable(conn.sock):
                return conn, True
            conn.close()  # readable while idle: the server closed it (or sent garbage)
        return self._factory(), False

    def put(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            if len(self._idle) < self._size:
                self._idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, deque()
        for conn in idle:
            conn.close()


def _readable(sock: socket.socket) -> bool:
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)


def _environment_proxy(scheme: str, host: str) -> str | None:
    """The proxy URL the environment sets for this scheme and host (``NO_PROXY`` honoured)."""
    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get(scheme) or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass_environment(host, proxies):
        return None
    return proxy if "://" in proxy else f"http://{proxy}"


class Transport:
    """Sends a :class:`Request` and returns a :class:`Response`, reusing pooled connections.

    ``verify`` is True (the certifi bundle, or ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE``),
    False (no TLS verification) or a CA bundle path. Proxies come from ``HTTP(S)_PROXY`` /
    ``ALL_PROXY`` / ``NO_PROXY``, read once per origin.
    """

    def __init__(self, *, verify: bool | str = True, pool_size: int = 16) -> None:
        self.verify = verify
        self._ssl_context: ssl.SSLContext | None = None
        self._pool_size = pool_size
        self._pools: dict[tuple[str, str], tuple[_Pool, str | None]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<Transport pools={len(self._pools)}>"

    def close(self) -> None:
        """Close every idle connection."""
        with self._lock:
            pools, self._pools = self._pools, {}
        for pool, _ in pools.values():
            pool.close()

    def send(self, request: Request, *, timeout: tuple[float, float], stream: bool = False) -> Response:
        """Send ``request``; with ``stream`` the body is left to read from the response."""
        parts = urlsplit(request.url)
        pool, proxy = self._pool_for(parts.scheme, parts.netloc, timeout[0])
        target = request.url if proxy and parts.scheme == "http" else (parts.path or "/") + (
            f"?{parts.query}" if parts.query else ""
        )
        body = request.body
        headers = dict(request.headers)
        if proxy and parts.scheme == "http":
            headers.update(_proxy_auth(proxy))
        chunked = body_length(body) is None and body is not None
        if chunked:
            body = _bytes_chunks(body)
        while True:
            conn, reused = pool.get()
            try:
                if conn.sock is None:
                    conn.connect()
                if conn.sock.gettimeout() != timeout[1]:  # settimeout costs two fcntl calls
                    conn.sock.settimeout(timeout[1])
                conn.request(request.method, target, body=body, headers=headers, encode_chunked=chunked)
                raw = conn.getresponse()
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
        response_headers = CaseInsensitiveDict(raw.getheaders())

        def finish() -> None:
            if not raw.isclosed() and raw.length == 0:
                raw.read()  # an empty body (HEAD, 204, 304): reading it ends the response
            if raw.isclosed() and not raw.will_close and not raw.length:  # read to its end, kept alive
                pool.put(conn)
            else:
                raw.close()
                conn.close()

        response = Response(request, raw.status, response_headers, raw, finish, raw.reason)
        if not stream:
            response.content  # noqa: B018 - read now, so the connection goes back to the pool
        return response

    def _pool_for(self, scheme: str, netloc: str, connect_timeout: float) -> tuple[_Pool, str | None]:
        key = (scheme, netloc)
        found = self._pools.get(key)
        if found is not None:
            return found
        with self._lock:
            found = self._pools.get(key)
            if found is None:
                found = self._pools[key] = self._new_pool(scheme, netloc, connect_timeout)
        return found

    def _new_pool(self, scheme: str, netloc: str, connect_timeout: float) -> tuple[_Pool, str | None]:
        if scheme not in ("http", "https"):
            raise http.client.InvalidURL(f"unsupported URL scheme {scheme!r}")
        host = urlsplit(f"//{netloc}").hostname or ""
        proxy = _environment_proxy(scheme, host)
        context = self._context() if scheme == "https" else None

        def connect() -> http.client.HTTPConnection:
            if proxy is None:
                return _connection(scheme, netloc, connect_timeout, context)
            proxy_netloc = urlsplit(proxy).netloc.rpartition("@")[2]
            conn = _connection(scheme, proxy_netloc, connect_timeout, context)
            if scheme == "https":  # a CONNECT tunnel through the proxy, TLS to the origin inside it
                origin = urlsplit(f"//{netloc}")
                conn.set_tunnel(origin.hostname or "", origin.port, headers=_proxy_auth(proxy))
            return conn

        return _Pool(connect, self._pool_size), proxy

    def _context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            if self.verify is False:
                context = ssl.create_default_context()
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            else:
                context = ssl.create_default_context(cafile=self.verify if isinstance(self.verify, str)
                                                     else _default_ca_bundle())
            self._ssl_context = context
        return self._ssl_context


def _connection(scheme: str, netloc: str, timeout: float, context: ssl.SSLContext | None) -> http.client.HTTPConnection:
    parts = urlsplit(f"//{netloc}")
    host = parts.hostname or ""
    if scheme == "https":
        return http.client.HTTPSConnection(host, parts.port, timeout=timeout, context=context, blocksize=_BLOCK)
    return http.client.HTTPConnection(host, parts.port, timeout=timeout, blocksize=_BLOCK)


def _proxy_auth(proxy: str) -> dict[str, str]:
    """A ``Proxy-Authorization`` header for a proxy URL with ``user:password@``."""
    parts = urlsplit(proxy)
    if parts.username is None:
        return {}
    credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
    return {"Proxy-Authorization": "Basic " + base64.b64encode(credentials).decode()}


def _default_ca_bundle() -> str | None:
    """``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` if set, else certifi's bundle, else the system's."""
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        return bundle
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi comes with requests
        return None
    return str(certifi.where())


def _bytes_chunks(body: Iterable[Any]) -> Iterator[bytes]:
    """An iterable body (or an unsized file) as non-empty byte chunks, for chunked encoding."""
    if hasattr(body, "read"):
        read = body.read  # type: ignore[attr-defined]
        while chunk := read(_BLOCK):
            yield chunk
        return
    for chunk in body:
        if chunk:
            yield chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)


__all__ = ["Request", "Response", "Transport", "TransportError", "body_length", "with_params"]
