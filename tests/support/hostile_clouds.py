"""Cloud drivers pointed at a scripted hostile HTTP server, each request tried once.

Transport-level hostile servers are in :mod:`tests.support.hostile`.

The drivers are the real ones with the real transport; only the server lies. Used to show what
a driver makes of answers no real server sends: malformed sizes and digests, HTML where JSON
belongs, page tokens that repeat.
"""

from __future__ import annotations

import base64
import socket
import threading
from collections.abc import Callable, Iterable, Iterator

from storagekit.base import StorageDriver
from storagekit.drivers.azure_blobs import AzureBlobsStorageDriver
from storagekit.drivers.google_storage import GoogleStorageDriver
from storagekit.drivers.s3 import S3StorageDriver
from storagekit.http import RetryPolicy

CLOUDS = ("s3", "azure_blobs", "google_storage")
ONCE = RetryPolicy(max_attempts=1)


def cloud_driver(provider: str, url: str, **options: object) -> StorageDriver:
    """A driver of ``provider`` whose every request goes to ``url`` and is tried once."""
    options.setdefault("retry", ONCE)
    if provider == "s3":
        return S3StorageDriver("AKIDEXAMPLE", "secret", region="us-east-1", endpoint_url=url, **options)
    if provider == "azure_blobs":
        key = base64.b64encode(b"a hostile test's key, 32 bytes!!").decode()
        return AzureBlobsStorageDriver("acct", key, endpoint_url=f"{url}/acct", **options)
    if provider == "google_storage":
        return GoogleStorageDriver(credentials="anonymous", endpoint_url=url, project="proj", **options)
    raise ValueError(provider)


Answer = bytes | Callable[[], Iterable[bytes]]
"""A whole raw HTTP response, or a function returning its bytes in pieces (for bodies too large to hold)."""


def response(status: int = 200, headers: dict[str, str] | None = None, body: bytes = b"") -> bytes:
    """A raw HTTP/1.1 response; ``Content-Length`` is the body's unless ``headers`` set one (a lie, maybe)."""
    fields = {"Content-Length": str(len(body)), **(headers or {}), "Connection": "close"}
    head = f"HTTP/1.1 {status} Hostile\r\n" + "".join(f"{name}: {value}\r\n" for name, value in fields.items())
    return head.encode("latin-1") + b"\r\n" + body


def chunked(
    status: int, headers: dict[str, str], pieces: Callable[[], Iterable[bytes]]
) -> Callable[[], Iterator[bytes]]:
    """An answer whose body is sent with chunked encoding as ``pieces()`` yields it."""

    def answer() -> Iterator[bytes]:
        fields = {**headers, "Transfer-Encoding": "chunked", "Connection": "close"}
        yield (f"HTTP/1.1 {status} Hostile\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items())
               + "\r\n").encode("latin-1")
        for piece in pieces():
            if piece:
                yield b"%x\r\n%s\r\n" % (len(piece), piece)
        yield b"0\r\n\r\n"

    return answer


class RawServer:
    """Answers each request on 127.0.0.1 with the next scripted raw response (the last repeats),
    byte for byte as given, then closes the connection; ``requests`` keeps each request line."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.requests: list[str] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)
        self._listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(30)
                self._answer(conn)

    def _answer(self, conn: socket.socket) -> None:
        received = b""
        while b"\r\n\r\n" not in received:
            data = conn.recv(65536)
            if not data:
                return
            received += data
        head, _, body = received.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        length = next((int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:")), 0)
        while len(body) < length:
            data = conn.recv(65536)
            if not data:
                return
            body += data
        self.requests.append(lines[0])
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        try:
            for piece in [answer] if isinstance(answer, bytes) else answer():
                conn.sendall(piece)
        except OSError:  # the client gave up (as it should, on a body it refuses)
            pass
