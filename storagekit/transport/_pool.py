"""Idle keep-alive connections per origin, owned by the process that opened them.

A pooled socket inherited through ``fork`` is shared with the parent: two processes reading
one socket receive each other's answers. So a pool remembers the pid that made it, hands
nothing out and takes nothing back in any other process, and :func:`after_fork` (run in
every child through ``os.register_at_fork``) forgets the idle connections the child inherited.
"""

from __future__ import annotations

import http.client
import os
import select
import selectors
import socket
import threading
from collections import deque
from collections.abc import Callable


class Pool:
    """Idle keep-alive connections to one origin (through one proxy, if any)."""

    def __init__(self, factory: Callable[[], http.client.HTTPConnection], size: int) -> None:
        self._factory = factory
        self._idle: deque[http.client.HTTPConnection] = deque()
        self._size = size
        self._lock = threading.Lock()
        self.pid = os.getpid()

    def get(self) -> tuple[http.client.HTTPConnection, bool]:
        """An idle connection the server has not closed (reused=True), or a new one."""
        while self.pid == os.getpid():
            with self._lock:
                if not self._idle:
                    break
                conn = self._idle.pop()
            if conn.sock is not None and not readable(conn.sock):
                return conn, True
            conn.close()  # readable while idle: the server closed it (or sent garbage)
        return self._factory(), False

    def put(self, conn: http.client.HTTPConnection) -> None:
        """Keep ``conn`` for the next request, unless the pool is full or belongs to another process."""
        if self.pid == os.getpid():
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
            if conn.sock is not None:
                conn.sock.close()
                conn.sock = None


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
