"""HTTPS proxies: TLS to the proxy, and TLS to an HTTPS origin inside the proxy's tunnel."""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from storagekit.http import Connection, RetryPolicy
from storagekit.transport import Request, Transport
from storagekit.types import ConnectionBrokenError, InvalidOptionError, TLSError
from tests.support.hostile import HostileServer, Peer, hostile, make_certificate, once, parse_error, server_context
from tests.support.hostile import tunnel_proxy as tunnelling

pytestmark = pytest.mark.timeout(60)

BIG = os.urandom(3 * 1024 * 1024 + 17)


def store() -> Callable[[Peer], None]:
    """An object store as a script: PUT keeps the body under its path, GET returns it."""
    objects: dict[bytes, bytes] = {}

    def script(peer: Peer) -> None:
        while head := peer.read_request():
            method, target = head.split()[:2]
            path = urlsplit(target).path
            if method == b"PUT":
                objects[path] = peer.body
                digest = hashlib.sha256(peer.body).hexdigest().encode()
                peer.send(b"HTTP/1.1 201 Created\r\nContent-Length: %d\r\n\r\n%s" % (len(digest), digest))
            elif path in objects:
                peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(objects[path]), objects[path]))
            else:
                peer.send(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")

    return script


def _certificate(directory: Path, *names: str) -> tuple[Path, Path]:
    directory.mkdir()
    return make_certificate(directory, list(names))


@pytest.fixture
def certificates(tmp_path: Path) -> dict[str, Path]:
    """The origin's and the proxy's certificates (for 127.0.0.1), and a bundle trusting both."""
    origin, origin_key = _certificate(tmp_path / "origin", "127.0.0.1")
    proxy, proxy_key = _certificate(tmp_path / "proxy", "localhost", "127.0.0.1")  # a subject of its own
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(origin.read_bytes() + proxy.read_bytes())
    return {"origin": origin, "origin_key": origin_key, "proxy": proxy, "proxy_key": proxy_key, "bundle": bundle}


@pytest.fixture
def origin(certificates: dict[str, Path]) -> Iterator[HostileServer]:
    """An HTTPS object store on 127.0.0.1."""
    with hostile(store(), tls=server_context(certificates["origin"], certificates["origin_key"])) as server:
        yield server


@pytest.fixture
def proxy(certificates: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[HostileServer]:
    """An HTTPS proxy on 127.0.0.1, set as ``HTTPS_PROXY`` and ``HTTP_PROXY``: it tunnels
    CONNECT, and answers plain requests itself as an object store."""
    with hostile(tunnelling(store()), tls=server_context(certificates["proxy"], certificates["proxy_key"])) as server:
        monkeypatch.setenv("https_proxy", server.url)
        monkeypatch.setenv("http_proxy", server.url)
        yield server


def test_put_and_get_through_a_tunnel_inside_tls_to_the_proxy(origin: HostileServer, proxy: HostileServer,
                                                              certificates: dict[str, Path]) -> None:
    assert proxy.url.startswith("https://")
    transport = Transport(verify=str(certificates["bundle"]))
    put = transport.send(Request("PUT", origin.url + "/b/big", body=BIG), timeout=(5, 5))
    assert (put.status_code, put.content) == (201, hashlib.sha256(BIG).hexdigest().encode())
    from_file = Request("PUT", origin.url + "/b/file", {"Content-Length": "11"}, io.BytesIO(b"from a file"))
    put = transport.send(from_file, timeout=(5, 5))
    assert put.status_code == 201

    download = transport.send(Request("GET", origin.url + "/b/big"), timeout=(5, 5), stream=True)
    buffer = bytearray(len(BIG) + 100)
    view, received = memoryview(buffer), 0
    while n := download.readinto(view[received:received + 65536]):
        received += n
    download.close()
    assert buffer[:received] == BIG
    assert transport.send(Request("GET", origin.url + "/b/file"), timeout=(5, 5)).content == b"from a file"

    assert proxy.connections == 1  # one tunnel, kept alive and reused for every request
    assert proxy.requests == [f"CONNECT 127.0.0.1:{origin.port} HTTP/1.1\r\nHost: 127.0.0.1:{origin.port}".encode()]
    assert [head.split(b"\r\n")[0] for head in origin.requests] == [
        b"PUT /b/big HTTP/1.1", b"PUT /b/file HTTP/1.1", b"GET /b/big HTTP/1.1", b"GET /b/file HTTP/1.1"]
    transport.close()


def test_an_http_origin_is_asked_for_over_tls_to_the_proxy(proxy: HostileServer,
                                                           certificates: dict[str, Path]) -> None:
    conn = once(verify=str(certificates["proxy"]))
    url = "http://storage.example:8080/b/k"
    assert conn.request("PUT", url, data=b"plain origin").status_code == 201
    assert conn.request("GET", url).content == b"plain origin"
    assert proxy.connections == 1
    assert [head.split(b"\r\n")[0] for head in proxy.requests] == [
        f"PUT {url} HTTP/1.1".encode(), f"GET {url} HTTP/1.1".encode()]  # absolute form, to the proxy


@pytest.mark.parametrize("trusted", ["origin", "mismatch"])
def test_a_proxy_certificate_that_does_not_verify_is_a_tls_error_naming_the_proxy(
        trusted: str, origin: HostileServer, certificates: dict[str, Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    proxy_cert, proxy_key = certificates["proxy"], certificates["proxy_key"]
    if trusted == "mismatch":  # a certificate the bundle trusts, for another name than the proxy's
        proxy_cert, proxy_key = _certificate(tmp_path / "elsewhere", "proxy.example")
        certificates["bundle"].write_bytes(certificates["origin"].read_bytes() + proxy_cert.read_bytes())
    bundle = certificates["origin"] if trusted == "origin" else certificates["bundle"]
    retrying = Connection(error_parser=parse_error, retry=RetryPolicy(max_attempts=5), sleep=lambda _: None,
                          verify=str(bundle))
    with hostile(tunnelling(), tls=server_context(proxy_cert, proxy_key)) as proxy:
        monkeypatch.setenv("https_proxy", proxy.url)
        reason = "self.signed" if trusted == "origin" else "mismatch"
        with pytest.raises(TLSError, match=rf"certificate of the proxy 127\.0\.0\.1 was refused: .*{reason}") as info:
            retrying.request("GET", origin.url + "/b/k")
    assert not info.value.retryable
    assert (proxy.connections, origin.connections) == (1, 0)  # one attempt; the origin never reached


def test_the_origin_certificate_inside_the_tunnel_is_checked_for_its_hostname(
        proxy: HostileServer, certificates: dict[str, Path], tmp_path: Path) -> None:
    cert, key = _certificate(tmp_path / "other", "storage.example")
    bundle = tmp_path / "both.pem"
    bundle.write_bytes(cert.read_bytes() + certificates["proxy"].read_bytes())
    with (hostile(store(), tls=server_context(cert, key)) as origin,
          pytest.raises(TLSError, match=r"certificate of 127\.0\.0\.1 was refused: .*mismatch") as info):
        once(verify=str(bundle)).request("GET", origin.url + "/b/k")
    assert "proxy" not in str(info.value)
    assert proxy.connections == 1


def test_proxy_credentials_go_to_the_proxy_only_and_are_never_logged(
        origin: HostileServer, proxy: HostileServer, certificates: dict[str, Path],
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    secret = "pr0xy-s3cret"
    encoded = base64.b64encode(f"alice:{secret}".encode()).decode()
    authority = proxy.url.replace("https://", f"https://alice:{secret}@")
    monkeypatch.setenv("https_proxy", authority)
    monkeypatch.setenv("http_proxy", authority)
    events: list[Any] = []
    conn = once(verify=str(certificates["bundle"]), hooks={"request": [events.append], "response": [events.append]})
    caplog.set_level(logging.DEBUG)

    assert conn.request("PUT", origin.url + "/b/k", data=b"tunnelled").status_code == 201
    assert conn.request("PUT", "http://storage.example/b/k", data=b"plain").status_code == 201  # by the proxy
    with hostile(lambda peer: peer.read_request() and peer.send(b"HTTP/1.1 407 Who\r\n\r\n")) as refusing:
        monkeypatch.setenv("https_proxy", refusing.url.replace("http://", f"http://alice:{secret}@"))
        with pytest.raises(ConnectionBrokenError, match=r"proxy refused a tunnel to .*: 407") as info:
            once().request("GET", "https://storage.example/b/k")

    assert f"Proxy-Authorization: Basic {encoded}".encode() in proxy.requests[0]  # the CONNECT
    assert f"Proxy-Authorization: Basic {encoded}".encode() in proxy.requests[1]  # the plain request
    assert f"Proxy-Authorization: Basic {encoded}".encode() in refusing.requests[0]
    assert not any(b"proxy-authorization" in head.lower() for head in origin.requests)
    seen = " ".join([caplog.text, str(info.value), *map(repr, events)])
    assert events and caplog.text
    assert secret not in seen and encoded not in seen


def test_a_proxy_scheme_other_than_http_or_https_is_an_invalid_option(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("https_proxy", "socks5://127.0.0.1:1080")
    with pytest.raises(InvalidOptionError, match="proxy URL's scheme 'socks5' is not supported"):
        once().request("GET", "https://storage.example/b/k")


def test_a_body_cut_short_inside_the_tunnel_is_a_broken_connection(proxy: HostileServer,
                                                                   certificates: dict[str, Path]) -> None:
    def truncate(peer: Peer) -> None:
        peer.read_request()
        peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
        peer.sock.close()  # no close_notify: the TLS session just ends

    with (hostile(truncate, tls=server_context(certificates["origin"], certificates["origin_key"])) as origin,
          pytest.raises(ConnectionBrokenError, match="IncompleteRead") as info):
        once(verify=str(certificates["bundle"])).request("GET", origin.url + "/b/k")
    assert info.value.retryable
