"""A fault-injecting HTTP proxy on 127.0.0.1, between a driver and its real server.

Requests are forwarded unchanged (Host included, so signatures stay valid; response headers
naming the upstream, such as a resumable upload's Location, are rewritten to the proxy) until a
scripted fault matches; then the proxy resets the connection after N bytes of the request or
response, answers a status itself (500, 503, 429 with Retry-After), truncates the body,
stalls, or flips one byte of the body.

Usage::

    with FaultProxy("http://127.0.0.1:8333") as proxy:
        proxy.inject(Fault("status", status=503, times=2, method="PUT"))
        driver = make_driver(endpoint_url=proxy.url)
"""

from __future__ import annotations

import http.client
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

_BLOCK = 64 * 1024


@dataclass
class Fault:
    """One scripted fault, applied to the next ``times`` requests that match.

    kind: "status" (answer ``status`` with ``body`` and ``retry_after``), "reset_request"
    (drop the connection after ``after`` bytes of the request body), "reset_response" (after
    ``after`` bytes of the response body), "truncate" (send ``after`` bytes of a body announced
    whole, then close), "stall" (wait ``seconds`` before answering), "flip" (invert the byte at
    offset ``after`` of the response body).
    """

    kind: str
    times: int = 1
    method: str | None = None
    path_contains: str | None = None
    when: Callable[[str, str, dict[str, str]], bool] | None = None
    status: int = 503
    body: bytes = b""
    retry_after: str | None = None
    after: int = 0
    seconds: float = 0.0

    def matches(self, method: str, path: str, headers: dict[str, str]) -> bool:
        return (
            self.times > 0
            and (self.method is None or self.method == method)
            and (self.path_contains is None or self.path_contains in path)
            and (self.when is None or self.when(method, path, headers))
        )


class FaultProxy:
    """Forward to ``upstream`` (``http://host:port``), injecting the faults queued with ``inject``."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.faults: list[Fault] = []
        self.log: list[tuple[str, str, str]] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def handle_one_request(self) -> None:
                try:
                    super().handle_one_request()
                except (TimeoutError, ConnectionError):
                    self.close_connection = True

            def _any(self) -> None:
                proxy._serve(self)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _any

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def inject(self, *faults: Fault) -> None:
        with self._lock:
            self.faults.extend(faults)

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()
            self.log.clear()

    def _take(self, method: str, path: str, headers: dict[str, str]) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.matches(method, path, headers):
                    fault.times -= 1
                    self.log.append((method, path, fault.kind))
                    return fault
            self.log.append((method, path, "forwarded"))
            return None

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        method, path = handler.command, handler.path
        headers = {k: v for k, v in handler.headers.items()}
        fault = self._take(method, path, headers)
        length = int(headers.get("Content-Length") or 0)
        if fault and fault.kind == "reset_request":
            handler.rfile.read(min(fault.after, length))
            _reset(handler)
            return
        body = handler.rfile.read(length) if length else b""
        if fault and fault.kind == "status":
            extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            _answer(handler, fault.status, fault.body, extra)
            return
        if fault and fault.kind == "stall":
            time.sleep(fault.seconds)
        upstream = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            upstream.request(method, path, body=body, headers=headers)
            response = upstream.getresponse()
            data = response.read()
        finally:
            upstream.close()
        upstream_base = f"http://{self.upstream[0]}:{self.upstream[1]}"
        out_headers = [(k, v.replace(upstream_base, self.url)) for k, v in response.getheaders()
                       if k.lower() not in ("transfer-encoding", "connection", "content-length")]
        handler.send_response(response.status, response.reason)
        for name, value in out_headers:
            handler.send_header(name, value)
        announced = response.getheader("Content-Length") if method == "HEAD" else str(len(data))
        if announced is not None:
            handler.send_header("Content-Length", announced)
        handler.end_headers()
        if method == "HEAD":
            return
        if fault and fault.kind == "flip" and fault.after < len(data):
            data = data[: fault.after] + bytes([data[fault.after] ^ 0xFF]) + data[fault.after + 1:]
        if fault and fault.kind in ("reset_response", "truncate"):
            handler.wfile.write(data[: fault.after])
            handler.wfile.flush()
            if fault.kind == "reset_response":
                _reset(handler)
            else:
                handler.connection.shutdown(socket.SHUT_RDWR)
                handler.close_connection = True
            return
        for start in range(0, len(data), _BLOCK):
            handler.wfile.write(data[start:start + _BLOCK])


def _answer(handler: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str]) -> None:
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _reset(handler: BaseHTTPRequestHandler) -> None:
    """Close with RST (SO_LINGER 0), the way a crashed peer or middlebox drops a connection."""
    handler.wfile.flush()
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.connection.close()
    handler.close_connection = True
