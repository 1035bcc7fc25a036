"""The response as a hostile server sends it: 1xx, trickling, silence, framing, error bodies."""

from __future__ import annotations

import os
import time

import pytest

from storagekit.transport import ERROR_BODY_CAP, Request, Transport
from storagekit.transport._wire import MAX_INTERIM
from storagekit.types import ConnectionBrokenError, MalformedResponseError, ServiceUnavailableError
from tests.support.hostile import Peer, answer, hostile, once

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

pytestmark = pytest.mark.timeout(30)


def test_early_hints_then_500_is_the_500_not_a_success() -> None:
    with hostile(answer(b"HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n"
                        b"HTTP/1.1 500 Internal Error\r\nContent-Length: 4\r\n\r\noops")) as server:
        response = Transport().send(Request("PUT", server.url + "/k", body=b"data"), timeout=(2, 2))
        assert (response.status_code, response.content) == (500, b"oops")
        with pytest.raises(ServiceUnavailableError) as info:
            once().request("PUT", server.url + "/k", data=b"data")
    assert info.value.http_status == 500


def test_a_few_interim_responses_are_read_past() -> None:
    interim = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\n"
    with hostile(answer(interim * 3 + OK)) as server:
        conn = once()
        assert conn.request("GET", server.url + "/k").content == b"ok"
        assert conn.request("GET", server.url + "/k").content == b"ok"  # nothing left over on the connection
    assert server.connections == 1


@pytest.mark.parametrize("interim", [b"HTTP/1.1 100 Continue\r\n\r\n", b"HTTP/1.1 103 Early Hints\r\n\r\n"])
def test_endless_interim_responses_are_malformed(interim: bytes) -> None:
    def endless(peer: Peer) -> None:
        peer.read_request()
        while True:
            peer.send(interim)

    with hostile(endless) as server, pytest.raises(MalformedResponseError, match=f"more than {MAX_INTERIM}"):
        once().request("GET", server.url + "/k")


def test_switching_protocols_is_malformed() -> None:
    switching = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n" + OK
    with hostile(answer(switching)) as server, pytest.raises(MalformedResponseError, match="101"):
        once().request("GET", server.url + "/k")


def test_a_header_line_trickled_a_byte_at_a_time_ends_within_the_read_timeout() -> None:
    def trickle(peer: Peer) -> None:
        peer.read_request()
        peer.send(b"HTTP/1.1 200 OK\r\n")
        peer.trickle(b"X-Slow: " + b"a" * 1000 + b"\r\n\r\n", interval=0.2)  # each read waits 0.2 s < 1 s

    with hostile(trickle) as server, pytest.raises(ConnectionBrokenError, match="headers did not arrive within 1 s"):
        once(timeout=(2, 1)).request("GET", server.url + "/k")


def test_a_body_trickled_a_byte_at_a_time_ends_at_the_deadline() -> None:
    def trickle(peer: Peer) -> None:
        peer.read_request()
        peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        peer.trickle(b"x" * 1000, interval=0.2)

    with hostile(trickle) as server:
        with pytest.raises(ConnectionBrokenError, match="deadline of 2 s"):
            once(timeout=(2, 1), deadline=2).request("GET", server.url + "/k")
        response = once(timeout=(2, 1), deadline=2).request("GET", server.url + "/k", stream=True)
        with pytest.raises(TimeoutError, match="deadline of 2 s"):
            while response.readinto(bytearray(100)):
                pass


def test_a_server_that_never_answers_ends_with_a_typed_error() -> None:
    def silent(peer: Peer) -> None:
        peer.read_request()
        peer.hold()

    with hostile(silent) as server, pytest.raises(ConnectionBrokenError, match="headers did not arrive"):
        once(timeout=(1, 1)).request("GET", server.url + "/k")


def test_the_default_options_bound_every_request() -> None:
    conn = once(timeout=(10.0, 60.0))
    transport = conn.transport
    assert isinstance(transport, Transport) and 0 < transport.deadline <= 3600


def test_a_body_shorter_than_its_content_length_is_a_broken_connection() -> None:
    def short(peer: Peer) -> None:
        peer.read_request()
        peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 50)

    with hostile(short) as server, pytest.raises(ConnectionBrokenError) as info:
        once().request("GET", server.url + "/k")
    assert info.value.retryable


def test_a_body_longer_than_its_content_length_is_malformed_and_the_connection_dropped() -> None:
    with hostile(answer(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok and then some")) as server:
        conn = once()
        with pytest.raises(MalformedResponseError, match="more bytes than the body"):
            conn.request("GET", server.url + "/k")
        with pytest.raises(MalformedResponseError):
            conn.request("GET", server.url + "/k", stream=True).readinto(bytearray(10))
    assert server.connections == 2  # never reused after the excess


@pytest.mark.parametrize("length", [b"abc", b"-5", b"2, 3"])
def test_an_invalid_content_length_is_malformed(length: bytes) -> None:
    bad = b"HTTP/1.1 200 OK\r\nContent-Length: " + length + b"\r\n\r\nok"
    with hostile(answer(bad)) as server, pytest.raises(MalformedResponseError, match="Content-Length"):
        once().request("GET", server.url + "/k")


def test_invalid_chunked_encoding_is_malformed() -> None:
    garbage = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\nzz\r\n\r\n"
    with hostile(answer(garbage)) as server, pytest.raises(MalformedResponseError, match="chunked"):
        once().request("GET", server.url + "/k")


def test_a_chunk_longer_than_announced_is_malformed() -> None:
    garbage = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok, and more\r\n0\r\n\r\n"
    with hostile(answer(garbage)) as server, pytest.raises(MalformedResponseError, match="chunked"):
        once().request("GET", server.url + "/k")


@pytest.mark.parametrize("body", [b"10\r\nonly part", b"2\r\nok\r"], ids=["inside-a-chunk", "before-its-crlf"])
def test_truncated_chunked_encoding_is_a_broken_connection(body: bytes) -> None:
    """The connection closes inside a chunk, or after a chunk's data but before its CRLF."""
    def truncated(peer: Peer) -> None:
        peer.read_request()
        peer.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body)

    with hostile(truncated) as server, pytest.raises(ConnectionBrokenError):
        once().request("GET", server.url + "/k")


def test_endless_trailers_are_malformed() -> None:
    def trailers(peer: Peer) -> None:
        peer.read_request()
        peer.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n")
        while True:
            peer.send(b"X-Trailer: again\r\n" * 100)

    with hostile(trailers) as server, pytest.raises(MalformedResponseError, match="trailer"):
        once().request("GET", server.url + "/k")


def test_chunked_bodies_and_their_trailers_are_read() -> None:
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;ext=1\r\nok\r\n0\r\nX-Sum: 1\r\n\r\n"
    with hostile(answer(chunked)) as server:
        conn = once()
        assert [conn.request("GET", server.url + "/k").content for _ in range(2)] == [b"ok", b"ok"]
    assert server.connections == 1


def test_an_error_body_is_read_up_to_a_cap() -> None:
    sent = []

    def huge_error(peer: Peer) -> None:
        peer.read_request()
        size = 50 * 1024 * 1024
        peer.send(b"HTTP/1.1 500 Internal Error\r\nContent-Length: %d\r\n\r\n" % size)
        block = b"e" * 65536
        for _ in range(size // len(block)):
            peer.send(block)
            sent.append(len(block))

    with hostile(huge_error) as server:
        response = Transport().send(Request("GET", server.url + "/k"), timeout=(2, 2))
        assert len(response.content) == ERROR_BODY_CAP
        with pytest.raises(ServiceUnavailableError) as info:
            once().request("GET", server.url + "/k")
    assert info.value.http_status == 500
    assert sum(sent) < 25 * 1024 * 1024  # the client stopped reading; it never took in the whole body


@pytest.mark.parametrize("line", [b"no colon here", b"Content-Length : 2", b"X Bad: 1", b": empty name"])
def test_a_header_line_that_is_not_a_field_is_malformed(line: bytes) -> None:
    bad = b"HTTP/1.1 200 OK\r\n" + line + b"\r\nContent-Length: 2\r\n\r\nok"
    with hostile(answer(bad)) as server, pytest.raises(MalformedResponseError, match="not 'name: value'"):
        once().request("GET", server.url + "/k")


def test_endless_header_lines_end_the_connection() -> None:
    def endless(peer: Peer) -> None:
        peer.read_request()
        peer.send(b"HTTP/1.1 200 OK\r\n")
        while True:
            peer.send(b"X-Again: 1\r\n" * 100)

    with hostile(endless) as server, pytest.raises(ConnectionBrokenError, match="more than 100 headers"):
        once().request("GET", server.url + "/k")


def test_fields_are_trimmed_folded_lines_joined_and_a_repeated_field_keeps_its_last_value() -> None:
    head = (b"HTTP/1.1 200 OK\r\nX-Trim:  \t padded \t \r\nX-Folded: first\r\n \t second\r\n"
            b"X-Twice: 1\r\nx-twice: 2\r\nContent-Length: 2\r\n\r\nok")
    with hostile(answer(head)) as server:
        response = once().request("GET", server.url + "/k")
    assert (response.headers["x-trim"], response.headers["X-FOLDED"]) == ("padded", "first second")
    assert response.headers["X-Twice"] == "2" and response.content == b"ok"


def test_a_http_1_0_answer_without_keep_alive_closes_its_connection() -> None:
    with hostile(answer(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")) as server:
        conn = once()
        assert [conn.request("GET", server.url + "/k").content for _ in range(2)] == [b"ok", b"ok"]
    assert server.connections == 2


def _open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.parametrize("connection", [b"keep-alive", b"close"])
def test_bodies_read_whole_through_each_connection_and_closing_leaves_no_descriptor_open(connection: bytes) -> None:
    body = os.urandom(100_000)  # more than one read of the connection's buffer
    head = b"HTTP/1.1 200 OK\r\nConnection: %s\r\nContent-Length: %d\r\n\r\n" % (connection, len(body))
    before = _open_descriptors()  # counted with the server stopped: its end of a connection may close late
    with hostile(answer(head + body)) as server:
        transport = Transport()
        get = Request("GET", server.url + "/k")
        for _ in range(5):
            streamed = transport.send(get, timeout=(2, 2), stream=True)
            buffer = bytearray(len(body) + 1)
            view, got = memoryview(buffer), 0
            while n := streamed.readinto(view[got:]):
                got += n
            streamed.close()
            assert bytes(buffer[:got]) == body and transport.send(get, timeout=(2, 2)).content == body
        transport.close()
    assert _open_descriptors() <= before
    assert server.connections == (1 if connection == b"keep-alive" else 10)


def test_a_head_ended_by_a_bare_lf_empty_line_frames_its_body_there() -> None:
    # the body itself holds CRLF CRLF: the head must end at the first empty line, not at that
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 6\n\nab\r\n\r\n"
    with hostile(answer(head)) as server:
        conn = once()
        assert [conn.request("GET", server.url + "/k").content for _ in range(2)] == [b"ab\r\n\r\n"] * 2
    assert server.connections == 1


def test_a_head_that_comes_in_pieces_is_read_as_one_that_comes_whole() -> None:
    head = b"HTTP/1.1 200 OK\r\nX-Folded: first\r\n second\r\nContent-Length: 2\r\n\r\nok"

    def in_pieces(peer: Peer) -> None:
        while peer.read_request():
            for piece in (head[:5], head[5:30], head[30:]):
                peer.send(piece)
                time.sleep(0.02)

    answers = []
    for script in (answer(head), in_pieces):
        with hostile(script) as server:
            conn = once()
            answers.extend((response.headers["x-folded"], response.content)
                           for response in (conn.request("GET", server.url + "/k") for _ in range(2)))
    assert answers == [("first second", b"ok")] * 4


def test_a_chunked_body_streams_across_chunks_and_the_connection_is_kept() -> None:
    body = os.urandom(20_000)
    chunks = b"".join(b"%x;ext\r\n%s\r\n" % (len(piece), piece) for piece in (body[:3], body[3:12_000], body[12_000:]))
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\nX-Sum: 1\r\n\r\n"
    with hostile(answer(chunked)) as server:
        transport = Transport()
        for size in (5, 4096, 50_000):
            response = transport.send(Request("GET", server.url + "/k"), timeout=(2, 2), stream=True)
            got, buffer = b"", bytearray(size)
            while n := response.readinto(buffer):
                got += buffer[:n]
            response.close()
            assert got == body
        assert transport.send(Request("GET", server.url + "/k"), timeout=(2, 2)).content == body
        transport.close()
    assert server.connections == 1


def test_a_body_up_to_the_close_is_read_whole_and_its_connection_not_reused() -> None:
    body = os.urandom(30_000)

    def then_close(peer: Peer) -> None:  # no Content-Length, not chunked: the body ends at the close
        peer.read_request()
        peer.send(b"HTTP/1.1 200 OK\r\n\r\n" + body)

    with hostile(then_close) as server:
        conn = once()
        assert conn.request("GET", server.url + "/k").content == body
        streamed = conn.request("GET", server.url + "/k", stream=True)
        got, buffer = b"", bytearray(7000)
        while n := streamed.readinto(buffer):
            got += buffer[:n]
        assert got == body
    assert server.connections == 2


@pytest.mark.parametrize("status", [b"204 No Content", b"304 Not Modified"])
def test_no_body_is_read_for_a_head_a_204_or_a_304_whatever_their_framing_says(status: bytes) -> None:
    # a HEAD's Content-Length and Transfer-Encoding describe the GET's body; 204 and 304 have none
    framed = b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
    def script(peer: Peer) -> None:
        while head := peer.read_request():
            peer.send(b"HTTP/1.1 " + (b"200 OK" if head.startswith(b"HEAD") else status) + b"\r\n" + framed)

    with hostile(script) as server:
        transport = Transport()
        for method in ("HEAD", "GET", "HEAD"):
            response = transport.send(Request(method, server.url + "/k"), timeout=(2, 2))
            assert response.content == b""
        transport.close()
    assert server.connections == 1


def test_bytes_past_the_content_length_are_malformed_even_when_the_connection_closes() -> None:
    closing = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok and then some"
    with hostile(answer(closing)) as server, pytest.raises(MalformedResponseError, match="more bytes than the body"):
        once().request("GET", server.url + "/k")
