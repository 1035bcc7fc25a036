"""The Azure driver against recorded responses, for what Azurite cannot do.

Throttling (ServerBusy + Retry-After), Entra ID tokens and user-delegation keys (Azurite
needs HTTPS + OAuth for those) and the error bodies of the real service. The responses
live in ``fixtures/azure_blobs/*.http`` and are replayed by a transport standing in for the real one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from urllib.parse import parse_qsl, urlsplit

import pytest
from azure.core.credentials import AccessToken

from storagekit import crc64
from storagekit.drivers.azure_blobs import AzureBlobsStorageDriver
from storagekit.drivers.azure_blobs._sas import SAS_VERSION
from storagekit.types import (
    ContainerAlreadyExistsError,
    ContainerDoesNotExistError,
    InvalidCredsError,
    InvalidObjectNameError,
    NotSupportedError,
    ObjectDoesNotExistError,
    ObjectHashMismatchError,
    PermissionDeniedError,
    PreconditionFailedError,
    RateLimitReachedError,
    ServiceUnavailableError,
    StorageKitError,
)
from tests.support.replay import ReplayTransport, recorded

KEY = base64.b64encode(b"a secret account key, 32 bytes!!").decode()
ENDPOINT = "https://acct.blob.core.windows.net"


class Replay(ReplayTransport):
    """Recorded Azure responses (``fixtures/azure_blobs/<name>.http``) in order; retries do not sleep."""

    def __init__(self, driver: AzureBlobsStorageDriver, *names: str) -> None:
        super().__init__([recorded("azure_blobs", name) for name in names])
        self.sleeps: list[float] = []
        driver.connection._sleep = self.sleeps.append
        driver.connection.transport = self


@pytest.fixture
def driver() -> AzureBlobsStorageDriver:
    return AzureBlobsStorageDriver("acct", KEY)


def test_server_busy_waits_for_retry_after_then_succeeds(driver: AzureBlobsStorageDriver) -> None:
    replay = Replay(driver, "server_busy", "list_containers")
    assert [c.name for c in driver.list_containers()] == ["backups"]
    assert len(replay.requests) == 2 and replay.sleeps and replay.sleeps[0] >= 2
    assert all(r.headers["x-ms-version"] == "2025-11-05" for r in replay.requests)
    assert all(r.headers["Authorization"].startswith("SharedKey acct:") for r in replay.requests)


def test_server_busy_to_the_end_is_rate_limit_reached(driver: AzureBlobsStorageDriver) -> None:
    replay = Replay(driver, *["server_busy"] * 5)
    with pytest.raises(RateLimitReachedError) as info:
        driver.list_containers()
    error = info.value
    assert (error.http_status, error.code, error.retry_after, error.retryable) == (503, "ServerBusy", 2.0, True)
    assert error.request_id == "1f6a1c7e-601e-0042-3a1b-3c2e8d000000"
    assert len(replay.requests) == 5


def test_operation_timed_out_is_retried_then_service_unavailable(driver: AzureBlobsStorageDriver) -> None:
    replay = Replay(driver, *["operation_timed_out"] * 5)
    with pytest.raises(ServiceUnavailableError) as info:
        driver.list_containers()
    assert info.value.code == "OperationTimedOut" and info.value.retryable and len(replay.requests) == 5


@pytest.mark.parametrize(
    ("fixture", "call", "expected", "code"),
    [
        ("authentication_failed", lambda d: d.list_container_objects(d._as_container("data")), InvalidCredsError,
         "AuthenticationFailed"),
        ("authorization_permission_mismatch", lambda d: d.upload_object_via_stream([b"x"], "data", "a.txt"),
         PermissionDeniedError, "AuthorizationPermissionMismatch"),
        ("container_not_found", lambda d: d.list_container_objects(d._as_container("data")),
         ContainerDoesNotExistError, "ContainerNotFound"),
        ("blob_not_found_head", lambda d: d.get_object("data", "a.txt"), ObjectDoesNotExistError, "BlobNotFound"),
        ("container_already_exists", lambda d: d.create_container("data"), ContainerAlreadyExistsError,
         "ContainerAlreadyExists"),
        ("container_being_deleted", lambda d: d.create_container("data"), ContainerAlreadyExistsError,
         "ContainerBeingDeleted"),
        ("container_being_deleted", lambda d: d.get_container("data"), ContainerDoesNotExistError,
         "ContainerBeingDeleted"),
        ("condition_not_met", lambda d: d.upload_object_via_stream([b"x"], "data", "a.txt",
                                                                    extra={"if_match": "0x8D"}),
         PreconditionFailedError, "ConditionNotMet"),
        ("blob_already_exists", lambda d: d.upload_object_via_stream([b"x"], "data", "a.txt",
                                                                      extra={"if_none_match": "*"}),
         PreconditionFailedError, "BlobAlreadyExists"),
        ("invalid_resource_name", lambda d: d.get_object("data", "a.txt"), InvalidObjectNameError,
         "InvalidResourceName"),
    ],
)
def test_error_bodies_become_typed_exceptions(driver: AzureBlobsStorageDriver, fixture: str, call, expected,  # type: ignore[no-untyped-def]
                                              code: str) -> None:
    Replay(driver, fixture)
    with pytest.raises(expected) as info:
        call(driver)
    status, headers, _ = recorded("azure_blobs", fixture)
    error: StorageKitError = info.value
    assert (error.http_status, error.code, error.request_id) == (status, code, headers["x-ms-request-id"])
    assert error.container_name == "data"
    assert code in str(error) and error.request_id in str(error)
    assert type(error) is expected


def test_secrets_stay_out_of_repr_errors_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    sas = "sv=2020-12-06&ss=b&srt=sco&sp=rl&se=2030-01-01T00:00:00Z&sig=c2VjcmV0LXNhcy1zaWduYXR1cmU%3D"
    drivers = {
        KEY: AzureBlobsStorageDriver("acct", KEY),
        "c2VjcmV0LXNhcy1zaWduYXR1cmU": AzureBlobsStorageDriver("acct", sas_token=sas),
        KEY[:20]: AzureBlobsStorageDriver(connection_string=f"AccountName=acct;AccountKey={KEY}"),
    }
    for secret, driver in drivers.items():
        Replay(driver, "authentication_failed")
        with caplog.at_level(logging.DEBUG), pytest.raises(InvalidCredsError) as info:
            driver.list_containers()
        for text in (repr(driver), str(info.value), repr(info.value), caplog.text, repr(driver.connection.auth)):
            assert secret not in text


class FakeTokenCredential:
    """An azure-core TokenCredential issuing numbered tokens that expire after an hour."""

    def __init__(self) -> None:
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken(f"entra-token-{len(self.scopes)}", 4_000_000_000)


def test_token_credential_requests_and_user_delegation_sas() -> None:
    credential = FakeTokenCredential()
    driver = AzureBlobsStorageDriver("acct", credential=credential)
    replay = Replay(driver, "list_containers", "user_delegation_key")
    assert [c.name for c in driver.list_containers()] == ["backups"]
    container = driver._as_container("data")
    get_url = driver.get_object_url(container, object_name="dir/report.pdf", expires_in=600)
    put_url = driver.get_object_url(container, object_name="dir/report.pdf", method="PUT")  # key reused
    assert credential.scopes == [("https://storage.azure.com/.default",)]
    listing, key_request = replay.requests
    for request in (listing, key_request):
        assert request.headers["Authorization"] == "Bearer entra-token-1" and "x-ms-date" not in request.headers
    assert key_request.method == "POST" and "comp=userdelegationkey" in (key_request.url or "")
    assert b"<KeyInfo><Start>" in key_request.body  # type: ignore[operator]

    _, _, body = recorded("azure_blobs", "user_delegation_key")
    value = body.split(b"<Value>")[1].split(b"</Value>")[0].decode()
    for url, permissions in ((get_url, "r"), (put_url, "cw")):
        parts = urlsplit(url)
        assert parts.scheme == "https" and parts.path == "/data/dir/report.pdf"
        query = dict(parse_qsl(parts.query))
        assert (query["sp"], query["spr"], query["sv"], query["skoid"], query["sks"]) == (
            permissions, "https", SAS_VERSION, "6f2b9c4e-1d3a-4e5f-8a7b-9c0d1e2f3a4b", "b")
        fields = [permissions, "", query["se"], "/blob/acct/data/dir/report.pdf", query["skoid"], query["sktid"],
                  query["skt"], query["ske"], query["sks"], query["skv"], "", "", "", "", "https", SAS_VERSION, "b",
                  "", "", "", "", "", "", ""]
        digest = hmac.new(base64.b64decode(value), "\n".join(fields).encode(), hashlib.sha256).digest()
        assert query["sig"] == base64.b64encode(digest).decode()


def test_sas_credential_cannot_sign_urls() -> None:
    driver = AzureBlobsStorageDriver("acct", sas_token="sv=1&sig=x")
    with pytest.raises(NotSupportedError, match="cannot sign"):
        driver.get_object_url(driver._as_container("data"), object_name="a")


def test_blocks_carry_their_crc64_over_http_and_https() -> None:
    """With awscrt, every Put Block (over HTTPS too) and the block list carry ``x-ms-content-crc64``
    for the service to check, and no Content-MD5; the blob's whole MD5 (one pass) goes with the block
    list for downloads to check. (Without awscrt: tests/integration/azure_blobs/test_crc64.py.)"""
    data = bytes(range(256)) * 4096 * 3  # 3 MiB: three 1 MiB blocks
    md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
    stored = {"Content-Length": str(len(data)), "Content-MD5": md5, "ETag": '"0x1"',
              "Last-Modified": "Sat, 21 Nov 2026 12:00:00 GMT", "x-ms-blob-type": "BlockBlob"}
    for endpoint in (ENDPOINT, "http://127.0.0.1:10000/acct"):
        driver = AzureBlobsStorageDriver("acct", KEY, endpoint_url=endpoint)
        replay = Replay(driver)
        replay.answers = [(201, {}, b"")] * 3 + [(201, {"ETag": '"0x1"'}, b""), (200, stored, b"")]
        obj = driver.upload_object_via_stream(iter([data]), driver._as_container("data"), "big.bin",
                                              part_size=1024 * 1024, multipart_threshold=1024 * 1024)
        blocks = [r for r in replay.requests if "comp=block&" in r.url]
        assert [r.headers["x-ms-content-crc64"] for r in blocks] == [
            crc64.to_base64(crc64.crc64(data[n << 20:(n + 1) << 20])) for n in range(3)], endpoint
        assert not any("Content-MD5" in r.headers for r in blocks)
        (commit,) = [r for r in replay.requests if "comp=blocklist" in r.url]
        assert commit.headers["x-ms-blob-content-md5"] == md5
        assert commit.headers["x-ms-content-crc64"] == crc64.to_base64(crc64.crc64(commit.body))
        assert obj.checksums == {"md5": hashlib.md5(data).hexdigest()}


HELLO_MD5 = base64.b64encode(hashlib.md5(b"hello world").digest()).decode()
RANGE_MD5 = base64.b64encode(hashlib.md5(b"hello").digest()).decode()


@pytest.mark.parametrize(("headers", "ok"), [
    ({"x-ms-blob-content-md5": HELLO_MD5}, False),  # a ranged read names the blob's MD5 here
    ({"Content-MD5": RANGE_MD5}, True),  # on a 206, Content-MD5 may be the range's: not the blob's
    ({"x-ms-meta-storagekit_crc64": crc64.to_base64(crc64.crc64(b"hello world"))}, False),  # checksum="crc64"
])
def test_a_read_is_checked_against_the_blob_md5_its_answer_carries(
    driver: AzureBlobsStorageDriver, headers: dict[str, str], ok: bool
) -> None:
    """An Object without an MD5 (a blob listed without one, or built by hand) is verified with the
    blob's MD5 (or CRC64) the Get Blob answer carries."""
    replay = Replay(driver)
    replay.answers = [(206, {"Content-Length": "11", "ETag": '"0x1"', **headers}, b"hello wxrld")]
    obj = driver._object(driver._as_container("data"), "a.txt", {"etag": '"0x1"', "content-length": "11"}, {})
    assert obj.checksums == {}
    stream = driver.download_object_as_stream(obj)
    if ok:
        assert b"".join(stream) == b"hello wxrld"
    else:
        with pytest.raises(ObjectHashMismatchError):
            b"".join(stream)
