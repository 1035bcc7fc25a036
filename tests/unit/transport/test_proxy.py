"""Proxies, tunnels, IPv6 and injected lines, against hostile local servers."""

from __future__ import annotations

from pathlib import Path

import pytest

from storagekit.transport import Request, Transport
from storagekit.transport._proxy import bypassed, connect_request
from storagekit.types import ConnectionBrokenError, InvalidOptionError
from tests.support.hostile import answer, hostile, make_certificate, once, server_context, tunnel_proxy

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

pytestmark = pytest.mark.timeout(30)


@pytest.mark.parametrize(("host", "port", "no_proxy", "direct"), [
    ("10.1.2.3", 80, "10.0.0.0/8", True),
    ("11.1.2.3", 80, "10.0.0.0/8", False),
    ("192.168.1.7", 443, "example.com, 192.168.1.7", True),
    ("192.168.1.8", 443, "192.168.1.7", False),
    ("::1", 80, "::1", True),
    ("[::1]", 80, "[::1]:80", True),
    ("::1", 8080, "[::1]:80", False),
    ("fd00::5", 80, "fd00::/8", True),
    ("fe80::5", 80, "fd00::/8", False),
    ("s3.example.com", 443, ".example.com", True),
    ("example.com", 443, "example.com", True),
    ("notexample.com", 443, "example.com", False),
    ("bucket.s3.example.com", 443, "*.example.com", True),
    ("storage.example", 9000, "storage.example:9000", True),
    ("storage.example", 443, "storage.example:9000", False),
    ("anything", 443, "*", True),
    ("10.0.0.1", 443, "not a range/99, , ", False),
])
def test_no_proxy_matches_names_addresses_and_ranges(host: str, port: int, no_proxy: str, direct: bool) -> None:
    assert bypassed(host, port, no_proxy) is direct


def test_a_no_proxy_cidr_range_sends_requests_straight_to_the_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    with hostile(answer(OK)) as proxy, hostile(answer(OK)) as origin:
        monkeypatch.setenv("http_proxy", proxy.url)
        monkeypatch.setenv("no_proxy", "10.0.0.0/8, 127.0.0.0/8")
        assert once().request("GET", origin.url + "/k").content == b"ok"
        assert (proxy.connections, origin.connections) == (0, 1)
        monkeypatch.setenv("no_proxy", "10.0.0.0/8")
        assert once().request("GET", origin.url + "/k").content == b"ok"
        assert proxy.requests[-1].startswith(f"GET {origin.url}/k HTTP/1.1".encode())  # absolute form


def test_a_connect_tunnel_to_an_ipv6_host_brackets_it_once(monkeypatch: pytest.MonkeyPatch) -> None:
    with hostile(answer(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")) as proxy:
        monkeypatch.setenv("https_proxy", proxy.url)
        with pytest.raises(ConnectionBrokenError, match="proxy refused a tunnel to ::1: 403 Forbidden"):
            once().request("GET", "https://[::1]:8443/bucket/key")
    head = proxy.requests[0].decode().split("\r\n")
    assert head[0] == "CONNECT [::1]:8443 HTTP/1.1" and "Host: [::1]:8443" in head


def test_https_through_a_tunnel_to_an_ipv6_origin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key = make_certificate(tmp_path, ["::1"])
    with hostile(answer(OK), host="::1", tls=server_context(cert, key)) as origin, hostile(tunnel_proxy()) as proxy:
        monkeypatch.setenv("https_proxy", proxy.url)
        conn = once(verify=str(cert))
        assert [conn.request("GET", origin.url + "/k").content for _ in range(2)] == [b"ok", b"ok"]
        assert origin.requests[0].split(b"\r\n")[0] == b"GET /k HTTP/1.1"  # origin-form inside the tunnel
        assert f"Host: [::1]:{origin.port}".encode() in origin.requests[0]
        assert proxy.connections == 1  # the tunnel is kept alive and reused


def test_an_ipv6_endpoint_is_reached_with_a_bracketed_host_header() -> None:
    with hostile(answer(OK), host="::1") as server:
        assert server.url.startswith("http://[::1]:")
        assert once().request("GET", server.url + "/k").content == b"ok"
        assert Transport().send(Request("GET", server.url + "/k"), timeout=(2, 2)).content == b"ok"
    assert f"Host: [::1]:{server.port}".encode() in server.requests[0]
    assert f"Host: [::1]:{server.port}".encode() in server.requests[1]  # also when the caller set none


@pytest.mark.parametrize(("url", "headers"), [
    ("/k\r\nX-Injected: 1", {}),
    ("/k HTTP/1.1\r\n\r\nGET /other", {}),
    ("/k\n", {}),
    ("/k", {"X-Meta": "a\r\nX-Injected: 1"}),
    ("/k", {"X-Meta": "a\nb"}),
    ("/k", {"X-Bad\r\nName": "a"}),
    ("/k", {"X-Colon:": "a"}),
    ("/k", {"X-Meta": "snow \u2603"}),
])
def test_lines_injected_through_a_url_or_a_header_are_refused(url: str, headers: dict[str, str]) -> None:
    with hostile(answer(OK)) as server:
        with pytest.raises(InvalidOptionError) as info:
            once().request("GET", server.url + url, headers=headers)
        assert "Injected" not in str(info.value)  # the message names the part, never quotes it
    assert server.requests == []


def test_a_proxy_url_or_tunnel_with_control_characters_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9\r\nX-Injected: 1")
    with pytest.raises(InvalidOptionError, match="proxy URL"):
        once().request("GET", "https://storage.example/k")
    with pytest.raises(InvalidOptionError, match="tunnel's host"):
        connect_request("storage.example\r\nX-Injected: 1", 443, {})
    with pytest.raises(InvalidOptionError, match="proxy header"):
        connect_request("storage.example", 443, {"Proxy-Authorization": "Basic x\r\nX-Injected: 1"})


def test_a_url_with_a_bad_port_scheme_or_host_is_an_invalid_option() -> None:
    with pytest.raises(InvalidOptionError, match="port"):
        once().request("GET", "http://127.0.0.1:99999/k")
    with pytest.raises(InvalidOptionError, match="scheme"):
        once().request("GET", "ftp://127.0.0.1/k")
    with pytest.raises(InvalidOptionError, match="IPv6"):
        Transport().send(Request("GET", "http://[::1/k"), timeout=(2, 2))
