"""Idle keep-alive connections per origin, owned by the process that opened them.

A pooled socket inherited through ``fork`` is shared with the parent: two processes reading
one socket receive each other's answers. So a pool remembers the pid that made it, hands
nothing out and takes nothing back in any other process, and the transport (through
``os.register_at_fork``) makes every child forget the idle connections it inherited. The
current pid is kept here, refreshed in every child, rather than asked of the kernel at each
request (``getpid`` is a system call).
"""

from __future__ import annotations

import os
import select
import selectors
import socket
import threading
from collections import deque
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar


class Connection(Protocol):
    """What a pool holds: an HTTP connection that can tell whether its server spoke while it was idle."""

    def stale(self) -> bool:
        """Whether the connection is closed, or its server sent something (or hung up) while it was idle."""
        ...  # pragma: no cover - a protocol

    def close(self) -> None:
        """Close the connection."""
        ...  # pragma: no cover - a protocol


_C = TypeVar("_C", bound=Connection)


class Pool(Generic[_C]):
    """Idle keep-alive connections to one origin (through one proxy, if any)."""

    def __init__(self, factory: Callable[[], _C], size: int) -> None:
        self._factory = factory
        self._idle: deque[_C] = deque()
        self._size = size
        self._lock = threading.Lock()
        self.pid = _pid

    def get(self) -> tuple[_C, bool]:
        """An idle connection the server has not closed (reused=True), or a new one."""
        while self.pid == _pid:
            with self._lock:
                if not self._idle:
                    break
                conn = self._idle.pop()
            if not conn.stale():
                return conn, True
            conn.close()  # readable while idle: the server closed it (or sent garbage)
        return self._factory(), False

    def put(self, conn: _C) -> None:
        """Keep ``conn`` for the next request, unless the pool is full or belongs to another process."""
        if self.pid == _pid:
            with self._lock:
                if len(self._idle) < self._size:
                    self._idle.append(conn)
                    return
        conn.close()

    def close(self) -> None:
        """Close every idle connection."""
        with self._lock:
            idle, self._idle = self._idle, deque()
        for conn in idle:
            conn.close()

    def forget(self) -> None:
        """Drop the idle connections without touching them (in a forked child: they are the parent's).

        Closing a socket's file descriptor in the child leaves the parent's connection open;
        the lock is replaced because a thread of the parent may have held it at the fork.
        """
        self._lock = threading.Lock()
        idle, self._idle = self._idle, deque()
        for conn in idle:
            conn.close()  # closes this process's file descriptor only: the parent's socket stays open


def readable(sock: socket.socket) -> bool:
    """Whether ``sock`` has something to read right now (data, or the peer's close).

    ``poll`` (or a selector where there is none) rather than ``select``, which fails for
    file descriptors above 1023.
    """
    if _POLL:
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    with selectors.DefaultSelector() as selector:  # pragma: no cover - platforms without poll
        selector.register(sock, selectors.EVENT_READ)
        return bool(selector.select(0))


_POLL = hasattr(select, "poll")
_pid = os.getpid()
"""This process's id (set again in every forked child)."""


def _forked() -> None:
    global _pid
    _pid = os.getpid()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forked)
