"""The HTTP layer against a real local server that injects faults."""

from __future__ import annotations

import datetime
import io
import ipaddress
import logging
import socket
import socketserver
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from storagekit.http import (
    Body,
    Connection,
    RequestContext,
    RetryPolicy,
    Stall,
    Transport,
    error_for_status,
    parse_retry_after,
    redact,
)
from storagekit.mock import MockTransport, reply
from storagekit.transport import Response
from storagekit.types import (
    ConnectionBrokenError,
    InvalidOptionError,
    ObjectDoesNotExistError,
    PermissionDeniedError,
    RateLimitReachedError,
    ServiceUnavailableError,
    StorageKitError,
    TLSError,
)
from tests.support.faults import FaultServer, Reply, fault_server


def parse_error(response: Response, context: RequestContext) -> StorageKitError:
    status = response.status_code
    if status == 404:
        return ObjectDoesNotExistError("missing", context.driver, http_status=404, object_name=context.object_name)
    if status == 429:
        return RateLimitReachedError("slow down", context.driver, http_status=429)
    return ServiceUnavailableError(f"failed: {response.text}", context.driver, http_status=status,
                                   retryable=status >= 500)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with fault_server() as running:
        yield running


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def conn(sleeps: list[float]) -> Connection:
    return Connection(error_parser=parse_error, retry=RetryPolicy(max_attempts=4), timeout=(2, 0.5),
                      sleep=sleeps.append)


def test_retries_5xx_then_succeeds(server: FaultServer, conn: Connection, sleeps: list[float]) -> None:
    server.script(Reply(500), Reply(503), Reply(200, b"ok"))
    assert conn.request("GET", server.url + "/x").content == b"ok"
    assert len(server.seen) == 3 and len(sleeps) == 2


def test_retry_after_is_honoured(server: FaultServer, conn: Connection, sleeps: list[float]) -> None:
    server.script(Reply(429, headers={"Retry-After": "7"}), Reply(200, b"ok"))
    conn.request("GET", server.url + "/x")
    assert sleeps == [7.0]


def test_persistent_failure_raises_typed_error_after_max_attempts(server: FaultServer, conn: Connection) -> None:
    server.script(Reply(503, b"busy"))
    with pytest.raises(ServiceUnavailableError) as info:
        conn.request("PUT", server.url + "/x", data=b"payload")
    assert info.value.http_status == 503
    assert len(server.seen) == 4
    assert all(seen.body == b"payload" for seen in server.seen)  # replayed every time


def test_not_found_is_not_retried(server: FaultServer, conn: Connection) -> None:
    server.script(Reply(404))
    with pytest.raises(ObjectDoesNotExistError) as info:
        conn.request("GET", server.url + "/x", object_name="x")
    assert info.value.object_name == "x" and len(server.seen) == 1


def test_post_is_not_retried_unless_marked_idempotent(server: FaultServer, conn: Connection) -> None:
    server.script(Reply(500), Reply(200))
    with pytest.raises(ServiceUnavailableError):
        conn.request("POST", server.url + "/x", data=b"a")
    assert len(server.seen) == 1
    server.script(Reply(500), Reply(200))
    conn.request("POST", server.url + "/x", data=b"a", idempotent=True)
    assert len(server.seen) == 2


def test_generator_body_is_sent_once(server: FaultServer, conn: Connection) -> None:
    server.script(Reply(500), Reply(200))
    with pytest.raises(ServiceUnavailableError):
        conn.request("PUT", server.url + "/x", data=iter([b"a", b"b"]))
    assert len(server.seen) == 1


def test_seekable_body_is_rewound(server: FaultServer, conn: Connection) -> None:
    server.script(Reply(500), Reply(200))
    conn.request("PUT", server.url + "/x", data=io.BytesIO(b"rewind me"))
    assert [seen.body for seen in server.seen] == [b"rewind me", b"rewind me"]


def test_connection_reset_is_retried(server: FaultServer, conn: Connection) -> None:
    server.script(Reply(fault="reset"), Reply(200, b"ok"))
    assert conn.request("GET", server.url + "/x").content == b"ok"


def test_read_timeout_is_retried_then_reported(server: FaultServer, conn: Connection) -> None:
    server.script(Reply(200, b"late", stall=1.0))
    with pytest.raises(ConnectionBrokenError) as info:
        conn.request("GET", server.url + "/x")
    assert info.value.retryable and len(server.seen) == 4


def test_truncated_body_raises_retryable_error(server: FaultServer, conn: Connection) -> None:
    server.script(Reply(200, b"x" * 100_000, fault="truncate"))
    body = Body(conn.request("GET", server.url + "/x", stream=True), object_name="x")
    buffer = bytearray(200_000)
    received = 0
    while count := body.readinto(memoryview(buffer)[received:]):
        received += count
    assert 0 < received < 100_000  # the early end shows as a short read; the transfer engine resumes from it
    body.close()


def test_broken_stream_raises_retryable_error(server: FaultServer, conn: Connection) -> None:
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (100_000, b"x" * 100_000)  # cut in half by the fault
    server.script(Reply(200, chunked, stall=0, headers={"Transfer-Encoding": "chunked"}, fault="truncate"))
    body = Body(conn.request("GET", server.url + "/x", stream=True), object_name="x")
    with pytest.raises(ConnectionBrokenError) as info:
        while body.readinto(bytearray(1024)):
            pass
    assert info.value.retryable and info.value.object_name == "x"


def test_connections_are_reused(server: FaultServer, conn: Connection) -> None:
    server.script(Reply(200, b"one"), Reply(200, b"two"), Reply(204), Reply(200, b"three"))
    for _ in range(4):
        conn.request("GET", server.url + "/x")
    assert len({seen.client_port for seen in server.seen}) == 1


def test_a_connection_the_server_closed_is_not_reused(server: FaultServer, conn: Connection) -> None:
    server.script(Reply(200, b"bye", fault="hangup"), Reply(200, b"again"))
    assert conn.request("GET", server.url + "/x").content == b"bye"
    assert conn.request("PUT", server.url + "/x", data=b"once").content == b"again"
    assert [seen.body for seen in server.seen] == [b"", b"once"]
    assert server.seen[0].client_port != server.seen[1].client_port


def test_signed_headers_are_the_ones_sent(server: FaultServer) -> None:
    """Auth callables see Host and Content-Length as they go on the wire."""
    signed: dict[str, str] = {}

    def auth(request):  # type: ignore[no-untyped-def]
        signed.update(request.headers)
        request.headers["Authorization"] = "sig"
        return request

    server.script(Reply(200))
    Connection(error_parser=parse_error, auth=auth).request("PUT", server.url + "/k?a=1", data=b"12345")
    sent = server.seen[0].headers
    assert signed["Host"] == sent["Host"] == server.url.split("//")[1]
    assert signed["Content-Length"] == sent["Content-Length"] == "5" and sent["Authorization"] == "sig"
    assert server.seen[0].path == "/k?a=1"


def test_unreachable_server_is_a_typed_error(conn: Connection) -> None:
    with pytest.raises(ConnectionBrokenError):
        conn.request("GET", "http://127.0.0.1:9/unreachable")


def test_debug_log_redacts_signatures(server: FaultServer, conn: Connection, caplog: pytest.LogCaptureFixture) -> None:
    server.script(Reply(200))
    secret = "c2VjcmV0LXNpZ25hdHVyZQ"
    with caplog.at_level(logging.DEBUG, logger="storagekit.http"):
        conn.request("GET", server.url + f"/x?sv=2021&sig={secret}&X-Amz-Signature={secret}")
    assert "GET" in caplog.text and "200" in caplog.text
    assert secret not in caplog.text and "REDACTED" in caplog.text


def test_redact_and_retry_after_parsing() -> None:
    assert redact("https://h/p?X-Amz-Credential=AKIA/x&a=1") == "https://h/p?X-Amz-Credential=REDACTED&a=1"
    assert redact("AccountKey=abc==;") == "AccountKey=REDACTED;"
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("soon") is None


def test_backoff_is_bounded_full_jitter() -> None:
    policy = RetryPolicy(backoff_base=1, backoff_max=4)
    delays = [policy.delay(failures) for failures in range(1, 10) for _ in range(20)]
    assert all(0 <= d <= 4 for d in delays) and max(delays) > 1
    assert policy.delay(1, retry_after=3) == 3
    assert policy.delay(1, retry_after=100_000) == 4  # a Retry-After of a day waits backoff_max


def test_environment_proxies_are_honoured(server: FaultServer, conn: Connection,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    server.script(Reply(200, b"via proxy"))
    monkeypatch.setenv("HTTP_PROXY", server.url)
    monkeypatch.setenv("NO_PROXY", "skip.invalid")
    proxied = Connection(error_parser=parse_error, retry=RetryPolicy(max_attempts=1))
    assert proxied.request("GET", "http://storage.invalid/key").content == b"via proxy"
    assert server.seen[-1].path == "http://storage.invalid/key"  # absolute form: it went through the proxy
    with pytest.raises(ConnectionBrokenError):
        proxied.request("GET", "http://skip.invalid/key")  # NO_PROXY: straight to a host that does not resolve
    assert len(server.seen) == 1


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """An HTTPS server on 127.0.0.1 with a certificate from a throw-away CA: (url, CA bundle path)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "storagekit test CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    directory = tmp_path_factory.mktemp("tls")
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    with fault_server() as server:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
        server.httpd.socket = context.wrap_socket(server.httpd.socket, server_side=True)
        server.script(Reply(200, b"over tls"))
        yield server.url.replace("http://", "https://"), str(cert_path)


def test_tls_is_verified_against_the_ca_bundle_given(tls_server: tuple[str, str]) -> None:
    url, ca_bundle = tls_server
    trusting = Connection(error_parser=parse_error, verify=ca_bundle, retry=RetryPolicy(max_attempts=1))
    assert trusting.request("GET", url + "/x").content == b"over tls"
    assert trusting.request("GET", url + "/x").content == b"over tls"  # again, on the kept-alive connection
    default = Connection(error_parser=parse_error, retry=RetryPolicy(max_attempts=1))
    with pytest.raises(TLSError, match="certificate"):
        default.request("GET", url + "/x")  # a certificate no default bundle trusts is refused
    unverified = Connection(error_parser=parse_error, verify=False, retry=RetryPolicy(max_attempts=1))
    assert unverified.request("GET", url + "/x").content == b"over tls"


@contextmanager
def connect_proxy() -> Iterator[tuple[str, list[str]]]:
    """A minimal HTTP CONNECT proxy on 127.0.0.1: (its URL, the CONNECT targets it was asked for)."""
    targets: list[str] = []

    class Tunnel(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            head = b""
            while b"\r\n\r\n" not in head:
                head += self.request.recv(4096)
            target = head.split()[1].decode()
            targets.append(target)
            host, port = target.rsplit(":", 1)
            upstream = socket.create_connection((host, int(port)))
            self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            pipes = [threading.Thread(target=_pipe, args=pair, daemon=True)
                     for pair in ((self.request, upstream), (upstream, self.request))]
            for pipe in pipes:
                pipe.start()
            for pipe in pipes:
                pipe.join()

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Tunnel)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", targets
    finally:
        server.shutdown()
        server.server_close()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        sink.close()


def test_https_goes_through_a_connect_tunnel_with_tls_to_the_origin(tls_server: tuple[str, str],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    url, ca_bundle = tls_server
    with connect_proxy() as (proxy, targets):
        monkeypatch.setenv("HTTPS_PROXY", proxy)
        monkeypatch.setenv("https_proxy", proxy)  # the lowercase name wins where both are set
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        tunnelled = Connection(error_parser=parse_error, verify=ca_bundle, retry=RetryPolicy(max_attempts=1))
        assert tunnelled.request("GET", url + "/x").content == b"over tls"
    assert targets == [url.removeprefix("https://")]  # the proxy saw only where to connect, not the request


def test_retry_after_is_capped_at_the_policy_maximum_backoff(server: FaultServer, sleeps: list[float]) -> None:
    capped = Connection(error_parser=parse_error, retry=RetryPolicy(backoff_max=3.0), sleep=sleeps.append)
    server.script(Reply(503, headers={"Retry-After": "100000"}), Reply(200, b"ok"))
    assert capped.request("GET", server.url + "/x").content == b"ok"
    assert sleeps == [3.0]


def test_the_policy_alone_decides_from_the_parser_classification(server: FaultServer, conn: Connection) -> None:
    def not_retryable(response: Response, context: RequestContext) -> StorageKitError:
        return ServiceUnavailableError("final answer", context.driver, http_status=response.status_code)

    conn.error_parser = not_retryable
    server.script(Reply(503), Reply(200, b"never asked"))
    with pytest.raises(ServiceUnavailableError):
        conn.request("GET", server.url + "/x")
    assert len(server.seen) == 1  # a 503 the driver did not mark retryable is not retried


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _broken() -> ConnectionBrokenError:
    return ConnectionBrokenError("reset", retryable=True)


def test_a_stall_counts_failures_in_a_row_and_progress_starts_a_new_one() -> None:
    clock = Clock()
    stall = Stall(RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_max=0.01), clock.sleep, clock)
    for _ in range(100):
        assert stall.again(_broken()) and stall.again(_broken())
        stall.progressed()
    assert stall.again(_broken()) and stall.again(_broken())
    error = _broken()
    assert not stall.again(error)  # the third failure in a row
    assert not stall.again(error) and stall.failures == 3  # refused once, not counted twice
    assert not Stall(RetryPolicy()).again(StorageKitError("not retryable"))


def test_a_stall_ends_at_the_policy_deadline() -> None:
    clock = Clock()
    stall = Stall(RetryPolicy(max_attempts=1000, backoff_base=1, backoff_max=1, deadline=10), clock.sleep, clock)
    attempts = 0
    while stall.again(RateLimitReachedError("slow down", retry_after=1)):
        attempts += 1
        clock.now += 1  # each attempt itself takes a second
    assert attempts == 5 and clock.now <= 10


def test_requests_inside_an_operation_count_in_its_stall(server: FaultServer, conn: Connection) -> None:
    server.script(Reply(503), Reply(503), Reply(503), Reply(200, b"too late"))
    stall = Stall(RetryPolicy(max_attempts=4, backoff_base=0.001), lambda seconds: None)
    stall.failures = 2  # the operation already failed twice in a row
    with stall.active(), pytest.raises(ServiceUnavailableError):
        conn.request("GET", server.url + "/x")
    assert len(server.seen) == 2 and stall.failures == 4
    assert Stall.current() is None


def test_error_for_status_redacts_the_service_message() -> None:
    context = RequestContext("GET", "https://h/c/o", None, "c", "o")
    error = error_for_status(403, context, code="AccessDenied", message="bad sig=abc123 for you")
    assert isinstance(error, PermissionDeniedError) and "abc123" not in str(error) and error.code == "AccessDenied"
    throttled = error_for_status(503, context, cls=RateLimitReachedError, retry_after=4.0)
    assert isinstance(throttled, RateLimitReachedError) and throttled.retry_after == 4.0 and throttled.retryable


def test_the_pooled_transport_is_a_transport() -> None:
    assert isinstance(Connection(error_parser=parse_error).transport, Transport)
    assert isinstance(MockTransport(lambda request: reply(request)), Transport)


@pytest.mark.parametrize("policy", [
    {"max_attempts": 0}, {"max_attempts": "5"}, {"backoff_max": float("nan")}, {"deadline": -1}, {"backoff_base": True},
])
def test_a_bad_retry_policy_is_a_typed_error(policy: dict[str, object]) -> None:
    with pytest.raises(InvalidOptionError):
        RetryPolicy(**policy)  # type: ignore[arg-type]
