"""Credentials go only to the origin they were issued for (scheme, host, port).

A hostile server (tests/support/faults.py) plays the provider's endpoint and tries to send the
driver elsewhere: a GCS resumable session ``Location`` on another port, an S3 region hint that
is a host name, Azure and S3 redirects with a ``Location``. A second server plays the foreign
origin and records what reaches it: nothing may, and above all no ``Authorization`` header.
The AWS preset, whose endpoint no local server can play, is checked on the requests it signs
(a replay transport keeps them).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from storagekit.base import StorageDriver
from storagekit.drivers.azure_blobs import AzureBlobsStorageDriver
from storagekit.drivers.google_storage._auth import BearerAuth
from storagekit.http import RetryPolicy
from storagekit.providers import get_driver
from storagekit.transport import Request
from storagekit.types import MalformedResponseError, Provider, StorageKitError
from tests.support.faults import FaultServer, Reply, fault_server
from tests.support.google_storage import PROJECT, with_minted_token
from tests.support.replay import ReplayTransport

FAST_RETRY = RetryPolicy(max_attempts=2, backoff_base=0.001, backoff_max=0.002)
KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
AZURE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
TOKEN = "test-access-token"


@pytest.fixture
def servers() -> Iterator[tuple[FaultServer, FaultServer]]:
    """(the hostile endpoint, the foreign origin it points to)."""
    with fault_server() as endpoint, fault_server() as foreign:
        foreign.script(Reply(200, b"{}"))
        yield endpoint, foreign


def _credentials_in(server: FaultServer) -> list[str]:
    return [next((v for k, v in seen.headers.items() if k.lower() == "authorization"), "") for seen in server.seen]


def _gcs(endpoint: str, info: dict[str, Any]) -> StorageDriver:
    return get_driver(Provider.GOOGLE_STORAGE)(  # type: ignore[no-any-return]
        credentials=with_minted_token(info), endpoint_url=endpoint, project=PROJECT, retry=FAST_RETRY,
        part_size=256 * 1024, multipart_threshold=256 * 1024,
    )


def test_gcs_refuses_a_resumable_session_on_another_origin(
    servers: tuple[FaultServer, FaultServer], google_service_account_info: dict[str, Any]
) -> None:
    endpoint, foreign = servers
    endpoint.script(Reply(200, b"", {"Location": f"{foreign.url}/upload/storage/v1/b/bkt/o?upload_id=stolen"}))
    driver = _gcs(endpoint.url, google_service_account_info)
    with pytest.raises(MalformedResponseError, match="another origin") as info:
        driver.upload_object_via_stream(iter([os.urandom(300 * 1024)]), driver._as_container("bkt"), "big")
    assert "upload_id" not in str(info.value)  # the session URI is a capability: not in messages
    assert _credentials_in(endpoint) == [f"Bearer {TOKEN}"]  # the token went home, once
    assert foreign.seen == []  # neither bytes nor the token went elsewhere


def test_gcs_bearer_token_is_bound_to_the_endpoint_origin(google_service_account_info: dict[str, Any]) -> None:
    auth = BearerAuth(with_minted_token(google_service_account_info), "https://storage.googleapis.com")
    home = auth(Request("PUT", "https://storage.googleapis.com/upload/storage/v1/b/b/o?upload_id=1"))
    assert home.headers["Authorization"] == f"Bearer {TOKEN}"
    for elsewhere in ("https://storage.googleapis.com:8443/upload", "http://storage.googleapis.com/upload",
                      "https://attacker.example/upload", "https://storage.googleapis.com.attacker.example/x"):
        assert "Authorization" not in auth(Request("PUT", elsewhere)).headers, elsewhere


def _s3_at(endpoint: str) -> StorageDriver:
    return get_driver(Provider.S3)(KEY, SECRET, region="us-east-1", endpoint_url=endpoint,  # type: ignore[no-any-return]
                                   retry=FAST_RETRY)


def _redirect(region: str, location: str) -> Reply:
    """A PermanentRedirect as S3 writes it (AWS's documented error form), with a hostile region."""
    body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>PermanentRedirect</Code><Message>The bucket "
            f"you are attempting to access must be addressed using the specified endpoint.</Message><Region>{region}"
            f"</Region><Bucket>bkt</Bucket><RequestId>4442587FB7D0A2F9</RequestId></Error>").encode()
    return Reply(301, body, {"Content-Type": "application/xml", "x-amz-bucket-region": region, "Location": location})


def test_s3_a_region_hint_naming_a_host_is_not_followed(servers: tuple[FaultServer, FaultServer]) -> None:
    endpoint, foreign = servers
    port = foreign.url.rsplit(":", 1)[1]
    endpoint.script(_redirect(f"127.0.0.1:{port}/#", foreign.url))
    driver = _s3_at(endpoint.url)
    with pytest.raises(MalformedResponseError, match="no region name"):
        driver.get_object("bkt", "key")
    with pytest.raises(MalformedResponseError, match="no region name"):
        driver.upload_object_via_stream(iter([b"data"]), driver._as_container("bkt"), "key")
    assert len(endpoint.seen) == 2 and foreign.seen == []


def test_s3_a_redirect_location_is_never_followed(servers: tuple[FaultServer, FaultServer]) -> None:
    endpoint, foreign = servers
    endpoint.script(Reply(307, b"", {"Location": f"{foreign.url}/bkt/key"}))
    driver = _s3_at(endpoint.url)
    with pytest.raises(StorageKitError):
        b"".join(driver.download_object_as_stream(driver.get_object("bkt", "key")))
    assert foreign.seen == []


@pytest.mark.parametrize("region", ["attacker.example:4443/#", "eu-west-1.attacker.example", "EU-WEST-1", "-x", ""])
def test_the_aws_preset_follows_region_hints_only_within_its_domain(region: str) -> None:
    driver = get_driver(Provider.S3)(KEY, SECRET, region="us-east-1", retry=FAST_RETRY)
    body = (f"<Error><Code>PermanentRedirect</Code><Message>m</Message><Region>{region}</Region>"
            "<RequestId>4442587FB7D0A2F9</RequestId></Error>").encode()
    headers = {"Content-Type": "application/xml", "x-amz-bucket-region": region}
    replay = ReplayTransport.install(driver, (301, headers, body), (200, {"Content-Length": "0"}, b""))
    with pytest.raises(StorageKitError):
        driver.get_object("examplebucket", "hello.txt")
    assert [request.url for request in replay.requests] == ["https://examplebucket.s3.amazonaws.com/hello.txt"]


def test_the_aws_preset_follows_a_real_region_to_that_region_only() -> None:
    driver = get_driver(Provider.S3)(KEY, SECRET, region="us-east-1", retry=FAST_RETRY)
    headers = {"Content-Type": "application/xml", "x-amz-bucket-region": "eu-west-1"}
    replay = ReplayTransport.install(
        driver, (301, headers, b"<Error><Code>PermanentRedirect</Code><Region>eu-west-1</Region></Error>"),
        (200, {"Content-Length": "5", "ETag": '"5d41402abc4b2a76b9719d911017c592"'}, b""),
    )
    driver.get_object("examplebucket", "hello.txt")
    assert [request.url for request in replay.requests] == [
        "https://examplebucket.s3.amazonaws.com/hello.txt", "https://examplebucket.s3.eu-west-1.amazonaws.com/hello.txt"]


def test_azure_redirects_are_never_followed(servers: tuple[FaultServer, FaultServer]) -> None:
    endpoint, foreign = servers
    endpoint.script(Reply(307, b"", {"Location": f"{foreign.url}/devstoreaccount1/cont/blob"}))
    driver = AzureBlobsStorageDriver("devstoreaccount1", AZURE_KEY, endpoint_url=f"{endpoint.url}/devstoreaccount1",
                                     retry=FAST_RETRY)
    with pytest.raises(StorageKitError):
        driver.get_object("cont", "blob")
    with pytest.raises(StorageKitError):
        driver.upload_object_via_stream(iter([b"data"]), driver._as_container("cont"), "blob")
    assert all(credential.startswith("SharedKey devstoreaccount1:") for credential in _credentials_in(endpoint))
    assert endpoint.seen and foreign.seen == []
