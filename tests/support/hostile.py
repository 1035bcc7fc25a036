"""A hostile HTTP server for the transport's tests: each connection is handed to a script.

A script is a function of one :class:`Peer` (the accepted connection) that reads the
request and answers whatever the test needs: raw bytes, a header trickled a byte at a
time, endless ``100 Continue``, nothing at all. The server listens on 127.0.0.1 (or ``::1``),
optionally behind TLS with a certificate from :func:`make_certificate`::

    def answer(peer: Peer) -> None:
        peer.read_request()
        peer.send(b"HTTP/1.1 103 Early Hints\\r\\n\\r\\nHTTP/1.1 500 Oops\\r\\nContent-Length: 0\\r\\n\\r\\n")

    with hostile(answer) as server:
        Transport().send(Request("GET", server.url + "/x"), timeout=(5, 5))
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import os
import selectors
import socket
import ssl
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from storagekit.http import Connection, RequestContext, RetryPolicy
from storagekit.transport import Response
from storagekit.types import ServiceUnavailableError, StorageKitError


class Peer:
    """One accepted connection, as a script sees it."""

    def __init__(self, sock: socket.socket, stop: threading.Event, log: list[bytes]) -> None:
        self.sock = sock
        self._stop = stop
        self._log = log
        self._buffer = b""
        self.body = b""
        """The body of the last request read (with a ``Content-Length``)."""

    def _recv(self) -> bytes:
        while not self._stop.is_set():
            try:
                return self.sock.recv(65536)
            except TimeoutError:
                continue
        return b""

    def peek_method(self) -> bytes:
        """The method of the next request, left unread; b"" if the client closed first."""
        while b" " not in self._buffer:
            data = self._recv()
            if not data:
                return b""
            self._buffer += data
        return self._buffer.split(b" ", 1)[0]

    def read_request(self) -> bytes:
        """Read one request's head (and a ``Content-Length`` body); b"" if the client closed first."""
        while b"\r\n\r\n" not in self._buffer:
            data = self._recv()
            if not data:
                return b""
            self._buffer += data
        head, _, self._buffer = self._buffer.partition(b"\r\n\r\n")
        self.body = b""
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
                while len(self._buffer) < length:
                    data = self._recv()
                    if not data:
                        break
                    self._buffer += data
                self.body, self._buffer = self._buffer[:length], self._buffer[length:]
        self._log.append(head)
        return head

    def send(self, data: bytes) -> None:
        """Send ``data`` as it is."""
        self.sock.sendall(data)

    def trickle(self, data: bytes, interval: float = 1.0) -> None:
        """Send ``data`` one byte every ``interval`` seconds (until the test ends or the client leaves)."""
        for byte in data:
            if self._stop.wait(interval):
                return
            self.sock.sendall(bytes([byte]))

    def relay(self, upstream: socket.socket) -> None:
        """Pass bytes both ways between this connection and ``upstream`` until either side closes.

        One thread does both directions: a TLS socket must not be read and written at once
        from two threads.
        """
        with selectors.DefaultSelector() as selector, upstream:
            selector.register(self.sock, selectors.EVENT_READ, upstream)
            selector.register(upstream, selectors.EVENT_READ, self.sock)
            while not self._stop.is_set():
                for key, _ in selector.select(0.1):
                    source, sink = key.fileobj, key.data
                    assert isinstance(source, socket.socket)
                    try:
                        data = source.recv(65536)
                        while isinstance(source, ssl.SSLSocket) and source.pending():
                            data += source.recv(65536)  # decrypted already: poll would not see it
                    except TimeoutError:  # half a TLS record arrived: the rest comes on the next turn
                        continue
                    if not data:
                        return
                    sink.sendall(data)

    def hold(self) -> None:
        """Keep the connection open without a word until the test ends or the client leaves."""
        while self._recv():
            pass


class HostileServer:
    """A listening socket whose connections each run ``script`` in a thread of their own."""

    def __init__(self, script: Callable[[Peer], None], *, host: str = "127.0.0.1",
                 tls: ssl.SSLContext | None = None, accepting: bool = True) -> None:
        self.script = script
        self.tls = tls
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.socket(family, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, 0))
        self._listener.listen(64 if accepting else 0)
        self._listener.settimeout(0.1)  # so the accepting thread sees the end of the test
        self.port: int = self._listener.getsockname()[1]
        self._fillers = [] if accepting else _fill_accept_queue(family, (host, self.port))
        authority = f"[{host}]" if ":" in host else host
        self.url = f"{'https' if tls else 'http'}://{authority}:{self.port}"
        self.connections = 0
        """How many connections were accepted (a TLS handshake refused by the client counts)."""
        self.requests: list[bytes] = []
        self._stop = threading.Event()
        self._peers: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        if accepting:
            self._thread.start()

    def accept(self) -> None:
        """Start accepting (a server made with ``accepting=False``): a client's next SYN gets in."""
        for filler in self._fillers:
            filler.close()
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            self._peers.append(sock)
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        sock.settimeout(0.5)
        with contextlib.suppress(OSError):
            if self.tls is not None:
                sock.settimeout(10)
                sock = self.tls.wrap_socket(sock, server_side=True)
                self._peers.append(sock)
                sock.settimeout(0.5)
            self.script(Peer(sock, self._stop, self.requests))
        with contextlib.suppress(OSError):
            sock.close()

    def close(self) -> None:
        """Stop accepting, end every script that waits, and close every connection."""
        self._stop.set()
        self._listener.close()
        for sock in self._peers:
            with contextlib.suppress(OSError):
                sock.close()
        if self._thread.is_alive():
            self._thread.join(5)
        for filler in self._fillers:
            filler.close()


def _fill_accept_queue(family: socket.AddressFamily, address: tuple[str, int]) -> list[socket.socket]:
    """Connect to a listener (backlog 0) that never accepts until its queue is full: the
    kernel then drops each new SYN, so a client's connect waits until its own timeout."""
    fillers: list[socket.socket] = []
    while len(fillers) < 8:
        filler = socket.socket(family, socket.SOCK_STREAM)
        filler.settimeout(0.5)
        try:
            filler.connect(address)
        except TimeoutError:
            filler.close()
            return fillers
        fillers.append(filler)
    raise RuntimeError("the listener's accept queue never filled up")


@contextlib.contextmanager
def hostile(script: Callable[[Peer], None], *, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None,
            accepting: bool = True) -> Iterator[HostileServer]:
    """A :class:`HostileServer` running ``script`` for the duration of the ``with`` block
    (with ``accepting=False``, a full accept queue until its ``accept()``)."""
    server = HostileServer(script, host=host, tls=tls, accepting=accepting)
    try:
        yield server
    finally:
        server.close()


def answer(response: bytes) -> Callable[[Peer], None]:
    """A script that answers every request on a connection with ``response`` (raw bytes)."""

    def script(peer: Peer) -> None:
        while peer.read_request():
            peer.send(response)

    return script


def tunnel_proxy(plain: Callable[[Peer], None] | None = None) -> Callable[[Peer], None]:
    """A proxy script: a ``CONNECT host:port`` opens a tunnel to the loopback server there;
    any other request (absolute form, for an http origin) goes to ``plain``, which answers it
    on the origin's behalf (403 to everything if None)."""

    def script(peer: Peer) -> None:
        method = peer.peek_method()
        if method != b"CONNECT":
            if method:
                (plain or answer(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"))(peer)
            return
        host, _, port = peer.read_request().split()[1].decode().rpartition(":")
        upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=5)
        peer.send(b"HTTP/1.1 200 Connection established\r\n\r\n")
        peer.relay(upstream)

    return script


def make_certificate(directory: Path, names: list[str]) -> tuple[Path, Path]:
    """A self-signed certificate (also its own CA) for ``names`` (DNS names or IP addresses):
    the paths of its PEM file and of its key's."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.datetime.now(datetime.timezone.utc)
    alternatives: list[x509.GeneralName] = []
    for name in names:
        try:
            alternatives.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alternatives.append(x509.DNSName(name))
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def server_context(cert_path: Path, key_path: Path) -> ssl.SSLContext:
    """A server-side TLS context presenting the certificate at ``cert_path``."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context


def parse_error(response: Response, context: RequestContext) -> StorageKitError:
    """Every status >= 300 as a ServiceUnavailableError carrying the status and the body."""
    return ServiceUnavailableError(f"failed: {response.text}", context.driver, http_status=response.status_code)


def once(**options: Any) -> Connection:
    """A Connection that sends each request once (typed errors, no retry), 2 s timeouts unless given."""
    options.setdefault("timeout", (2.0, 2.0))
    return Connection(error_parser=parse_error, retry=RetryPolicy(max_attempts=1), **options)


def in_child(work: Callable[[], bool]) -> int:
    """Run ``work`` in a forked child; its exit code (0: it returned True)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        code = 1
        try:
            code = 0 if work() else 2
        except BaseException:  # noqa: BLE001 - reported, and the child exits 1
            traceback.print_exc(file=sys.stderr)
        finally:
            os._exit(code)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
