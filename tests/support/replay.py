"""Transports that answer from recorded responses (for what no local server reproduces).

A driver's ``connection.transport`` is swapped for one of these; every request the driver
sends is kept, signed exactly as it would go on the wire.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from requests.structures import CaseInsensitiveDict

from storagekit.transport import Request, Response, Transport

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

Answer = tuple[int, dict[str, str], bytes]


def recorded(provider: str, name: str) -> Answer:
    """A response from ``fixtures/<provider>/<name>.http``: status line, headers, blank line, body."""
    head, _, body = (FIXTURES / provider / f"{name}.http").read_bytes().partition(b"\n\n")
    status_line, *lines = head.decode().splitlines()
    headers = dict(line.split(": ", 1) for line in lines)
    return int(status_line.split()[1]), headers, body


class ReplayTransport:
    """Answers each request with the next of ``answers`` (an Answer, or a callable taking the
    request and returning one), keeping every request in ``requests``."""

    def __init__(self, answers: list[Answer | Callable[[Request], Answer]]) -> None:
        self.answers = list(answers)
        self.requests: list[Request] = []

    @classmethod
    def install(cls, driver: Any, *answers: Answer | Callable[[Request], Answer]) -> ReplayTransport:
        """Put a replay in place of ``driver``'s transport."""
        replay = cls(list(answers))
        driver.connection.transport = replay
        return replay

    def send(self, request: Request, *, timeout: tuple[float, float], stream: bool = False) -> Response:
        assert self.answers, f"unexpected request {request.method} {request.url}"
        self.requests.append(request)
        answer = self.answers.pop(0)
        status, headers, body = answer(request) if callable(answer) else answer
        if request.method == "HEAD":
            body = b""
        return Response(request, status, CaseInsensitiveDict(headers), io.BytesIO(body), reason="recorded")

    def close(self) -> None:
        pass


class RecordingTransport:
    """The real transport, keeping every request sent through it (no mocking)."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.requests: list[Request] = []

    def send(self, request: Request, *, timeout: tuple[float, float], stream: bool = False) -> Response:
        self.requests.append(request)
        return self.inner.send(request, timeout=timeout, stream=stream)

    def close(self) -> None:
        self.inner.close()
