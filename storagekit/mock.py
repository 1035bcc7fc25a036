"""A transport that answers requests with a function: for testing code that uses storagekit.

Every HTTP driver takes ``transport=``; :class:`MockTransport` stands in for the network, so
a test can script what the service says (errors, throttling, odd answers) and look at what
the driver sent, signed exactly as it would go on the wire.

Usage::

    from storagekit.mock import MockTransport, reply
    from storagekit.providers import get_driver

    def handler(request):
        if request.method == "HEAD":
            return reply(request, 404)
        return reply(request, 503, headers={"Retry-After": "1"})

    transport = MockTransport(handler)
    driver = get_driver("s3")("key", "secret", region="us-east-1", transport=transport)
    ...  # exercise your code
    assert transport.requests[0].headers["Authorization"].startswith("AWS4-HMAC-SHA256")
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Mapping

from .headers import CaseInsensitiveDict
from .transport import Request, Response

Handler = Callable[[Request], Response]
"""Takes the request as it would go on the wire and returns the response to give back."""


def reply(request: Request, status: int = 200, headers: Mapping[str, str] | None = None, body: bytes = b"") -> Response:
    """A response to ``request`` with ``status``, ``headers`` and ``body`` (left out for HEAD).

    ``Content-Length`` is set from the body unless given.
    """
    fields = CaseInsensitiveDict(headers or {})
    fields.setdefault("Content-Length", str(len(body)))
    content = b"" if request.method == "HEAD" else body
    return Response(request, status, fields, io.BytesIO(content), reason="mock")


class MockTransport:
    """Answers each request with ``handler(request)``; keeps every request in ``requests``.

    A request body that is a file or an iterable is read into bytes before the handler sees
    it, so handlers can compare ``request.body`` and the driver may send it again.
    An ``OSError`` the handler raises reaches the driver as a broken connection would.
    """

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[Request] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<MockTransport requests={len(self.requests)}>"

    def send(self, request: Request, *, timeout: tuple[float, float], stream: bool = False) -> Response:
        """Record ``request`` and return the handler's response to it."""
        request.body = _as_bytes(request.body)
        with self._lock:
            self.requests.append(request)
        return self.handler(request)

    def close(self) -> None:
        """Nothing to release."""


def _as_bytes(body: object) -> bytes | None:
    if body is None or isinstance(body, bytes):
        return body
    if isinstance(body, (bytearray, memoryview)):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    read = getattr(body, "read", None)
    if read is not None:
        data = read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return b"".join(chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)
                    for chunk in body)  # type: ignore[attr-defined]
