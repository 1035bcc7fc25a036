"""Transports that answer from recorded responses (for what no local server reproduces).

They are :class:`storagekit.mock.MockTransport` s, given to a driver as its ``transport=``
(or put in place of ``driver.connection.transport``); every request the driver sends is
kept, signed exactly as it would go on the wire.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from storagekit.mock import MockTransport, reply
from storagekit.transport import Request, Response, Transport

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

Answer = tuple[int, dict[str, str], bytes]


def recorded(provider: str, name: str) -> Answer:
    """A response from ``fixtures/<provider>/<name>.http``: status line, headers, blank line, body."""
    head, _, body = (FIXTURES / provider / f"{name}.http").read_bytes().partition(b"\n\n")
    status_line, *lines = head.decode().splitlines()
    headers = dict(line.split(": ", 1) for line in lines)
    return int(status_line.split()[1]), headers, body


class ReplayTransport(MockTransport):
    """Answers each request with the next of ``answers`` (an Answer, or a callable taking the
    request and returning one), keeping every request in ``requests``.

    Pass it as a driver's ``transport=`` (or :meth:`install` it in a driver built already).
    """

    def __init__(self, answers: list[Answer | Callable[[Request], Answer]]) -> None:
        super().__init__(self._next)
        self.answers = list(answers)

    @classmethod
    def install(cls, driver: Any, *answers: Answer | Callable[[Request], Answer]) -> ReplayTransport:
        """Put a replay in place of ``driver``'s transport."""
        replay = cls(list(answers))
        driver.connection.transport = replay
        return replay

    def _next(self, request: Request) -> Response:
        assert self.answers, f"unexpected request {request.method} {request.url}"
        answer = self.answers.pop(0)
        status, headers, body = answer(request) if callable(answer) else answer
        return reply(request, status, headers, body)


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
