"""TLS against a hostile server: refused at once and typed, trusted only when told to."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storagekit.http import Connection, RetryPolicy
from storagekit.providers import get_driver
from storagekit.types import InvalidOptionError, Provider, TLSError
from tests.support.hostile import (
    HostileServer,
    Peer,
    answer,
    hostile,
    make_certificate,
    once,
    parse_error,
    server_context,
)

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

pytestmark = pytest.mark.timeout(30)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost: (cert, key)."""
    return make_certificate(tmp_path_factory.mktemp("tls"), ["127.0.0.1", "localhost"])


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[HostileServer]:
    with hostile(answer(OK), tls=server_context(*certificate)) as server:
        yield server


def test_a_self_signed_certificate_is_refused_at_once_with_a_typed_error(tls_server: HostileServer) -> None:
    retrying = Connection(error_parser=parse_error, retry=RetryPolicy(max_attempts=5), sleep=lambda _: None)
    with pytest.raises(TLSError, match=r"certificate of 127\.0\.0\.1 was refused: .*self.signed") as info:
        retrying.request("GET", tls_server.url + "/k")
    assert not info.value.retryable
    assert tls_server.connections == 1  # one attempt: retrying cannot make a certificate trusted


def test_the_certificate_is_trusted_with_verify_naming_its_ca(tls_server: HostileServer,
                                                              certificate: tuple[Path, Path]) -> None:
    conn = once(verify=str(certificate[0]))
    assert [conn.request("GET", tls_server.url + "/k").content for _ in range(2)] == [b"ok", b"ok"]
    assert tls_server.connections == 1
    localhost = tls_server.url.replace("127.0.0.1", "localhost")
    assert conn.request("GET", localhost + "/k").content == b"ok"


def test_a_hostname_mismatch_is_refused(tmp_path: Path) -> None:
    cert, key = make_certificate(tmp_path, ["storage.example"])
    with hostile(answer(OK), tls=server_context(cert, key)) as server:
        with pytest.raises(TLSError, match=r"127\.0\.0\.1 was refused: .*mismatch"):
            once(verify=str(cert)).request("GET", server.url + "/k")
        assert server.connections == 1
        assert once(verify=False).request("GET", server.url + "/k").content == b"ok"  # only when told


def test_a_server_that_does_not_speak_tls_is_a_tls_error() -> None:
    def plain(peer: Peer) -> None:
        peer.send(OK)  # plain HTTP, whatever the client says
        peer.hold()

    with hostile(plain) as server, pytest.raises(TLSError, match=r"handshake with 127\.0\.0\.1 failed"):
        once().request("GET", server.url.replace("http://", "https://") + "/k")


def test_s3_trusts_aws_ca_bundle_by_default(tls_server: HostileServer, certificate: tuple[Path, Path],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    listing = (b'<?xml version="1.0" encoding="UTF-8"?><ListAllMyBucketsResult><Owner><ID>o</ID></Owner>'
               b"<Buckets></Buckets></ListAllMyBucketsResult>")
    tls_server.script = answer(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(listing), listing))
    options = {"key": "AKIDEXAMPLE", "secret": "secret", "region": "us-east-1", "endpoint_url": tls_server.url,
               "retry": RetryPolicy(max_attempts=1)}
    monkeypatch.delenv("AWS_CA_BUNDLE", raising=False)
    with pytest.raises(TLSError):
        get_driver(Provider.S3)(**options).list_containers()
    monkeypatch.setenv("AWS_CA_BUNDLE", str(certificate[0]))
    assert get_driver(Provider.S3)(**options).list_containers() == []
    with pytest.raises(TLSError):  # an explicit verify wins over the environment, as in AWS tools
        get_driver(Provider.S3)(**options, verify=True).list_containers()


def test_a_ca_bundle_that_cannot_be_loaded_is_an_invalid_option(tls_server: HostileServer, tmp_path: Path) -> None:
    empty = tmp_path / "empty.pem"
    empty.write_text("no certificate here\n")
    for bundle in (str(tmp_path / "missing.pem"), str(empty)):
        with pytest.raises(InvalidOptionError, match=r"CA bundle .* cannot be loaded"):
            once(verify=bundle).request("GET", tls_server.url + "/k")
    assert tls_server.connections == 0
