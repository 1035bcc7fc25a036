"""Pooled connections: owned by the process that opened them, checked without ``select``."""

from __future__ import annotations

import os
import resource
import socket
import threading
import time

import pytest

from storagekit.transport import Request, Transport
from storagekit.transport._pool import readable
from tests.support.hostile import answer, hostile, in_child

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

pytestmark = pytest.mark.timeout(60)


def test_a_forked_child_opens_its_own_connection_and_the_parent_keeps_its_own() -> None:
    with hostile(answer(OK)) as server:
        transport = Transport()
        get = Request("GET", server.url + "/k")
        assert transport.send(get, timeout=(2, 2)).content == b"ok"
        assert server.connections == 1  # now pooled in the parent

        def child() -> bool:
            return all(transport.send(get, timeout=(2, 2)).content == b"ok" for _ in range(3))

        assert in_child(child) == 0
        assert server.connections == 2  # the child never touched the parent's socket
        assert transport.send(get, timeout=(2, 2)).content == b"ok"
        assert server.connections == 2  # and the parent's pooled connection still serves it
        transport.close()


def test_a_pool_hands_out_and_takes_back_nothing_in_another_process() -> None:
    with hostile(answer(OK)) as server:
        transport = Transport()
        get = Request("GET", server.url + "/k")
        transport.send(get, timeout=(2, 2))
        (pool, _), = transport._pools.values()
        pool.pid = -1  # as if it had been inherited without the fork hook running
        transport.send(get, timeout=(2, 2))
        transport.send(get, timeout=(2, 2))
        assert server.connections == 3  # nothing was reused, nothing was pooled
        transport.close()


def test_requests_work_with_file_descriptors_above_1024() -> None:
    def child() -> bool:
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
        held = [os.open(os.devnull, os.O_RDONLY) for _ in range(2000)]
        transport = Transport()
        with hostile(answer(OK)) as server:
            get = Request("GET", server.url + "/k")
            ok = all(transport.send(get, timeout=(2, 2)).content == b"ok" for _ in range(3))
            reused = server.connections == 1  # the pooled socket (fd > 2000) was checked and reused
        return ok and reused and min(held) < 1024 < max(held)

    assert resource.getrlimit(resource.RLIMIT_NOFILE)[1] >= 2100, "the hard limit allows no 2,000 open files"
    assert in_child(child) == 0


def test_an_idle_socket_is_not_readable_until_the_server_hangs_up() -> None:
    with hostile(lambda peer: peer.read_request() and peer.sock.close()) as server:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        assert not readable(sock)
        sock.sendall(b"GET / HTTP/1.1\r\n\r\n")
        assert sock.recv(1) == b""  # the server hung up
        assert readable(sock)
        sock.close()


def test_each_new_connection_waits_the_connect_timeout_of_the_request_that_opens_it() -> None:
    with hostile(answer(OK), accepting=False) as server:  # every SYN dropped until accept()
        transport = Transport()
        get = Request("GET", server.url + "/k")
        with pytest.raises(TimeoutError):
            transport.send(get, timeout=(0.2, 5))  # the pool's first use, with a short connect timeout
        answers: list[bytes] = []
        patient = threading.Thread(target=lambda: answers.append(transport.send(get, timeout=(30, 5)).content))
        patient.start()
        time.sleep(0.5)  # longer than the first request's connect timeout: only 30 s lets it wait
        server.accept()
        patient.join(25)
        assert answers == [b"ok"]
        transport.close()
