"""S3 driver against recorded AWS responses: what SeaweedFS cannot reproduce.

Region redirects, throttling, SSE-KMS ETags, error bodies, request headers. The
responses live in ``fixtures/s3/*.http`` and are replayed by a requests transport, so
the driver runs unchanged down to the HTTP layer.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import zlib

import pytest

from storagekit.drivers.s3 import S3StorageDriver
from storagekit.drivers.s3._errors import WrongRegionError
from storagekit.drivers.s3.driver import _iso
from storagekit.http import RetryPolicy
from storagekit.models import Object
from storagekit.options import UploadOptions
from storagekit.providers import get_driver
from storagekit.streams import FAST_CRC32C
from storagekit.types import (
    ContainerAlreadyExistsError,
    ContainerDoesNotExistError,
    ContainerIsNotEmptyError,
    InvalidContainerNameError,
    InvalidCredsError,
    InvalidOptionError,
    ObjectDoesNotExistError,
    ObjectHashMismatchError,
    PermissionDeniedError,
    PreconditionFailedError,
    Provider,
    RateLimitReachedError,
    ServiceUnavailableError,
    StorageKitError,
)
from tests.support.replay import ReplayTransport
from tests.support.s3 import replay as replay_s3

KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
FAST_RETRY = RetryPolicy(backoff_base=0.0001, backoff_max=0.001)


@pytest.fixture(autouse=True)
def _no_aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the machine's AWS settings out of these tests."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION",
                 "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    empty = tmp_path_factory.mktemp("aws")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty / "credentials"))


def make_driver(**options: object) -> S3StorageDriver:
    return get_driver(Provider.S3)(KEY, SECRET, region="us-east-1", retry=FAST_RETRY, **options)  # type: ignore[return-value]


def an_object(driver: S3StorageDriver, name: str = "hello.txt", size: int = 11,
              etag: str = "a8b2d1c6f3e94b7a0c5d8e2f1b4a7c3e") -> Object:
    return Object(name, size, etag, {"etag": etag}, {}, driver._as_container("examplebucket"), driver)


def scope_region(request: object) -> str:
    authorization = request.headers["Authorization"]  # type: ignore[attr-defined]
    return str(authorization.split("Credential=")[1].split("/")[2])


# ---------------------------------------------------------------------- region redirects


def test_head_redirect_is_followed_once_and_the_region_cached() -> None:
    driver = make_driver()
    replay = replay_s3(driver, "head_wrong_region", "head_kms", "head_kms")
    obj = driver.get_object("examplebucket", "hello.txt")
    assert obj.size == 11
    first, second = replay.requests
    assert first.url == "https://examplebucket.s3.amazonaws.com/hello.txt"
    assert scope_region(first) == "us-east-1"
    assert second.url == "https://examplebucket.s3.eu-west-1.amazonaws.com/hello.txt"
    assert scope_region(second) == "eu-west-1"
    driver.get_object("examplebucket", "hello.txt")
    assert len(replay.requests) == 3
    assert replay.requests[2].url == second.url  # straight to the cached region


@pytest.mark.parametrize("answer", ["permanent_redirect", "authorization_header_malformed"])
def test_wrong_region_errors_with_a_body_are_followed(answer: str) -> None:
    driver = make_driver()
    replay = replay_s3(driver, answer, "put_ok")
    driver.upload_object_via_stream([b"hello world"], driver._as_container("examplebucket"), "hello.txt")
    assert [scope_region(r) for r in replay.requests] == ["us-east-1", "eu-west-1"]
    assert replay.requests[0].body == replay.requests[1].body == b"hello world"


def test_a_redirect_is_followed_only_once() -> None:
    driver = make_driver()
    replay = replay_s3(driver, "permanent_redirect", "permanent_redirect")
    with pytest.raises(WrongRegionError) as info:
        driver.get_object("examplebucket", "hello.txt")
    assert info.value.region == "eu-west-1"
    assert len(replay.requests) == 2


def test_other_buckets_keep_the_configured_region() -> None:
    driver = make_driver()
    replay = replay_s3(driver, "head_wrong_region", "head_kms", "head_kms")
    driver.get_object("examplebucket", "hello.txt")
    driver.get_object("otherbucket", "hello.txt")
    assert replay.requests[2].url == "https://otherbucket.s3.amazonaws.com/hello.txt"


# ---------------------------------------------------------------------- throttling and 5xx


def test_slowdown_is_retried_with_the_same_body() -> None:
    driver = make_driver()
    replay = replay_s3(driver, "slowdown", "slowdown", "put_ok")
    obj = driver.upload_object_via_stream([b"hello world"], driver._as_container("examplebucket"), "hello.txt")
    assert obj.checksums == {"md5": "5eb63bbbe01eeed093cb22bb8f5acdc3"}
    assert len(replay.requests) == 3
    assert {r.body for r in replay.requests} == {b"hello world"}


def test_persistent_slowdown_raises_rate_limit_with_code_and_request_id() -> None:
    driver = make_driver()
    replay = replay_s3(driver, *["slowdown"] * FAST_RETRY.max_attempts)
    with pytest.raises(RateLimitReachedError) as info:
        driver.upload_object_via_stream([b"x"], driver._as_container("examplebucket"), "x")
    error = info.value
    assert (error.http_status, error.code, error.request_id, error.retryable) == (503, "SlowDown", "4442587FB7D0A2F9",
                                                                                  True)
    assert len(replay.requests) == FAST_RETRY.max_attempts


def test_internal_error_is_retried() -> None:
    driver = make_driver()
    replay = replay_s3(driver, "internal_error", "delete_ok")
    driver.delete_object(an_object(driver))
    assert [r.method for r in replay.requests] == ["DELETE", "DELETE"]


# ---------------------------------------------------------------------- integrity


def test_kms_etag_is_not_taken_for_an_md5() -> None:
    driver = make_driver()
    replay_s3(driver, "head_kms", "get_kms")
    obj = driver.get_object("examplebucket", "hello.txt")
    assert obj.hash == obj.extra["etag"] == "a8b2d1c6f3e94b7a0c5d8e2f1b4a7c3e"
    assert obj.extra["server_side_encryption"] == "aws:kms"
    assert obj.meta_data == {"author": "jane"}
    assert obj.checksums == {}
    assert b"".join(driver.download_object_as_stream(obj)) == b"hello world"


@pytest.mark.parametrize(("answer", "checksums"), [
    ("head_ssec", {}),  # SSE-C: the ETag is no MD5 of the content
    ("head_sse_s3", {"md5": "5eb63bbbe01eeed093cb22bb8f5acdc3"}),  # SSE-S3 (AES256) keeps MD5 ETags
])
def test_which_encryption_keeps_md5_etags(answer: str, checksums: dict[str, str]) -> None:
    driver = make_driver()
    replay_s3(driver, answer)
    assert driver.get_object("examplebucket", "hello.txt").checksums == checksums


def test_kms_put_etag_does_not_raise_a_mismatch() -> None:
    driver = make_driver()
    replay_s3(driver, "put_kms")
    obj = driver.upload_object_via_stream([b"hello world"], driver._as_container("examplebucket"), "hello.txt",
                                          extra={"ServerSideEncryption": "aws:kms"})
    assert obj.checksums == {} and obj.size == 11


def test_a_plain_md5_etag_that_differs_is_a_mismatch_and_the_object_is_deleted() -> None:
    driver = make_driver()
    replay = replay_s3(driver, "put_wrong_md5", "delete_ok")
    with pytest.raises(ObjectHashMismatchError):
        driver.upload_object_via_stream([b"hello world"], driver._as_container("examplebucket"), "hello.txt")
    assert [r.method for r in replay.requests] == ["PUT", "DELETE"]


def _b64(value: int) -> str:
    return base64.b64encode(value.to_bytes(4, "big")).decode()


@pytest.mark.parametrize(("provider", "crc", "checksum_header", "checksum"), [
    (Provider.S3, "crc32c", "x-amz-checksum-crc32c", _b64(0xC99465AA)),  # CRC32C("hello world")
    (Provider.S3, "crc32", "x-amz-checksum-crc32", _b64(zlib.crc32(b"hello world"))),  # without google-crc32c
    (Provider.WASABI, None, "Content-MD5", base64.b64encode(hashlib.md5(b"hello world").digest()).decode()),
])
def test_put_sends_a_checksum_the_service_checks_and_signs_it(provider: Provider, crc: str | None,
                                                              checksum_header: str, checksum: str) -> None:
    """The body's CRC (or MD5 where the service takes no CRC) is sent and signed; the body is
    not hashed again for the signature (UNSIGNED-PAYLOAD)."""
    driver = get_driver(provider)(KEY, SECRET, region="us-east-1", retry=FAST_RETRY)
    assert driver._crc == (crc and ("crc32c" if FAST_CRC32C else "crc32"))  # type: ignore[attr-defined]
    driver._crc = crc  # type: ignore[attr-defined]
    replay = replay_s3(driver, "put_ok")
    driver.upload_object_via_stream([b"hello world"], driver._as_container("examplebucket"), "hello.txt",
                                    extra={"content_type": "text/plain", "cache_control": "no-cache"},
                                    ex_meta={"note": "it's a  test"})
    sent = replay.requests[0].headers
    assert sent[checksum_header] == checksum
    assert sent["x-amz-content-sha256"] == "UNSIGNED-PAYLOAD"
    assert (sent["Content-Type"], sent["Cache-Control"], sent["x-amz-meta-note"]) == (
        "text/plain", "no-cache", "it's a  test")
    signed = sent["Authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
    assert {"x-amz-meta-note", "x-amz-content-sha256", checksum_header.lower()} <= set(signed)


def test_reads_pin_the_etag_and_ask_a_range_only_for_part_of_the_object() -> None:
    driver = make_driver()
    replay = replay_s3(driver, "get_kms", "get_kms")
    obj = an_object(driver)
    assert b"".join(driver.download_object_range_as_stream(obj, 0, 11)) == b"hello world"
    whole = replay.requests[0].headers
    assert "Range" not in whole and whole["x-amz-checksum-mode"] == "ENABLED"  # S3 sends checksums only then
    assert whole["If-Match"] == '"a8b2d1c6f3e94b7a0c5d8e2f1b4a7c3e"'
    with pytest.raises(ObjectHashMismatchError, match="more than"):  # the recorded answer is the whole object
        b"".join(driver.download_object_range_as_stream(obj, 0, 5))
    part = replay.requests[1].headers
    assert part["Range"] == "bytes=0-4" and part["If-Match"] == '"a8b2d1c6f3e94b7a0c5d8e2f1b4a7c3e"'


# ---------------------------------------------------------------------- what a GET proves


HELLO_MD5 = hashlib.md5(b"hello world").hexdigest()
MULTIPART_ETAG = "d41d8cd98f00b204e9800998ecf8427e-2"
HELLO_CRC = base64.b64encode(zlib.crc32(b"hello world").to_bytes(4, "big")).decode()


def _get(body: bytes, status: int = 200, **headers: str) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Length": str(len(body)), **headers}, body


@pytest.mark.parametrize(("answer", "verified"), [
    (_get(b"hello wxrld", ETag=f'"{HELLO_MD5}"'), True),  # a plain MD5 ETag proves the content
    (_get(b"hello wxrld", ETag=f'"{HELLO_MD5}"', **{"x-amz-server-side-encryption": "AES256"}), True),
    (_get(b"hello wxrld", ETag=f'"{HELLO_MD5}"', **{"x-amz-server-side-encryption": "aws:kms"}), False),
    (_get(b"hello wxrld", ETag=f'"{HELLO_MD5}"', **{"x-amz-server-side-encryption-customer-algorithm": "AES256"}),
     False),
    (_get(b"hello wxrld", ETag=f'"{MULTIPART_ETAG}"'), False),
    (_get(b"hello wxrld", ETag=f'"{MULTIPART_ETAG}"', **{"x-amz-checksum-crc32": HELLO_CRC}), True),
    # a COMPOSITE checksum is one of the parts' checksums, not of the content
    (_get(b"hello wxrld", ETag=f'"{MULTIPART_ETAG}"', **{"x-amz-checksum-crc32": HELLO_CRC,
                                                          "x-amz-checksum-type": "COMPOSITE"}), False),
])
def test_a_listed_object_is_checked_against_what_its_get_proves(answer: tuple[int, dict[str, str], bytes],
                                                                  verified: bool) -> None:
    """A listed object carries no digest; the GET's ETag (an MD5 unless SSE-KMS, SSE-C or
    multipart) or its x-amz-checksum-* catches a damaged byte."""
    driver = make_driver()
    ReplayTransport.install(driver, answer)
    obj = an_object(driver, etag=answer[1]["ETag"].strip('"'))
    if verified:
        with pytest.raises(ObjectHashMismatchError):
            b"".join(driver.download_object_as_stream(obj))
    else:
        assert b"".join(driver.download_object_as_stream(obj)) == b"hello wxrld"
    assert obj.checksums == {}  # the caller's object is not changed


def test_a_ranged_answers_checksum_is_not_taken_for_the_whole_objects() -> None:
    """A ranged GET's x-amz-checksum may describe the range: a split read asks HEAD instead."""
    data = os.urandom(3 * 1024 * 1024)
    driver = make_driver(part_size=1024 * 1024, max_concurrency=2)
    whole_crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    seen: list[str] = []

    def answer(request: object) -> tuple[int, dict[str, str], bytes]:
        headers = request.headers  # type: ignore[attr-defined]
        seen.append(f"{request.method} {headers.get('Range', '')}")  # type: ignore[attr-defined]
        if request.method == "HEAD":  # type: ignore[attr-defined]
            return 200, {"Content-Length": str(len(data)), "ETag": f'"{MULTIPART_ETAG}"',
                         "x-amz-checksum-crc32": whole_crc}, b""
        first, last = (int(n) for n in headers["Range"][6:].split("-"))
        body = bytearray(data[first:last + 1])
        if first == 1024 * 1024:
            body[5] ^= 0xFF
        range_crc = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
        return 206, {"Content-Length": str(len(body)), "ETag": f'"{MULTIPART_ETAG}"',
                     "x-amz-checksum-crc32": range_crc}, bytes(body)

    ReplayTransport.install(driver, *[answer] * 4)
    with pytest.raises(ObjectHashMismatchError, match="crc32"):
        b"".join(driver.download_object_as_stream(an_object(driver, size=len(data), etag=MULTIPART_ETAG)))
    assert "HEAD " in seen


def test_a_changed_object_fails_the_read_instead_of_mixing_versions() -> None:
    driver = make_driver()
    replay_s3(driver, "precondition_failed")
    with pytest.raises(PreconditionFailedError):
        b"".join(driver.download_object_as_stream(an_object(driver)))


@pytest.mark.parametrize("meta", [{"name with space": "v"}, {"k": "naïve"}, {"k": "two\nlines"}, {"k:": "v"}])
def test_metadata_that_http_headers_cannot_carry_is_refused(meta: dict[str, str]) -> None:
    driver = make_driver()
    replay = replay_s3(driver)
    with pytest.raises(InvalidOptionError, match="metadata"):
        driver.upload_object_via_stream([b"x"], driver._as_container("examplebucket"), "x", ex_meta=meta)
    assert replay.requests == []


# ---------------------------------------------------------------------- conditional writes


@pytest.mark.parametrize(
    ("extra", "header", "value"),
    [({"if_none_match": "*"}, "If-None-Match", "*"),
     ({"IfMatch": "5eb63bbbe01eeed093cb22bb8f5acdc3"}, "If-Match", '"5eb63bbbe01eeed093cb22bb8f5acdc3"'),
     ({"if_match": '"5eb63bbbe01eeed093cb22bb8f5acdc3"'}, "If-Match", '"5eb63bbbe01eeed093cb22bb8f5acdc3"')],
)
def test_conditional_write_headers(extra: dict[str, str], header: str, value: str) -> None:
    driver = make_driver()
    replay = replay_s3(driver, "precondition_failed")
    with pytest.raises(PreconditionFailedError) as info:
        driver.upload_object_via_stream([b"hello world"], driver._as_container("examplebucket"), "hello.txt",
                                        extra=extra)
    assert replay.requests[0].headers[header] == value
    assert info.value.object_name == "hello.txt" and info.value.code == "PreconditionFailed"


# ---------------------------------------------------------------------- error bodies


@pytest.mark.parametrize(
    ("answer", "exception", "code", "status"),
    [
        ("no_such_key", ObjectDoesNotExistError, "NoSuchKey", 404),
        ("no_such_bucket", ContainerDoesNotExistError, "NoSuchBucket", 404),
        ("access_denied", PermissionDeniedError, "AccessDenied", 403),
        ("invalid_access_key", InvalidCredsError, "InvalidAccessKeyId", 403),
        ("signature_mismatch", InvalidCredsError, "SignatureDoesNotMatch", 403),
        ("expired_token", InvalidCredsError, "ExpiredToken", 400),
        ("precondition_failed", PreconditionFailedError, "PreconditionFailed", 412),
    ],
)
def test_object_error_bodies(answer: str, exception: type[StorageKitError], code: str, status: int) -> None:
    driver = make_driver()
    replay_s3(driver, answer)
    with pytest.raises(exception) as info:
        b"".join(driver.download_object_as_stream(an_object(driver)))
    error = info.value
    assert (error.code, error.http_status, error.request_id) == (code, status, "4442587FB7D0A2F9")
    assert (error.container_name, error.object_name, error.driver) == ("examplebucket", "hello.txt", driver)
    assert code in str(error) and "4442587FB7D0A2F9" in str(error)
    assert error.retryable is False


@pytest.mark.parametrize(
    ("answer", "operation", "exception"),
    [
        ("bucket_already_exists", "create", ContainerAlreadyExistsError),
        ("bucket_already_owned", "create", ContainerAlreadyExistsError),
        ("invalid_bucket_name", "create", InvalidContainerNameError),
        ("bucket_not_empty", "delete", ContainerIsNotEmptyError),
        ("no_such_bucket", "delete", ContainerDoesNotExistError),
    ],
)
def test_bucket_error_bodies(answer: str, operation: str, exception: type[StorageKitError]) -> None:
    driver = make_driver()
    replay_s3(driver, answer)
    with pytest.raises(exception) as info:
        if operation == "create":
            driver.create_container("examplebucket")
        else:
            driver.delete_container(driver._as_container("examplebucket"))
    assert info.value.container_name == "examplebucket" and info.value.code


@pytest.mark.parametrize(
    ("head_answer", "bucket_answer", "exception"),
    [("head_not_found", "list_empty", ObjectDoesNotExistError),
     ("head_not_found", "no_such_bucket", ContainerDoesNotExistError),
     ("head_forbidden", "list_empty", PermissionDeniedError),
     ("head_forbidden", "signature_mismatch", InvalidCredsError)],
)
def test_bodyless_head_errors_ask_the_bucket(head_answer: str, bucket_answer: str,
                                             exception: type[StorageKitError]) -> None:
    driver = make_driver()
    replay = replay_s3(driver, head_answer, bucket_answer)
    with pytest.raises(exception) as info:
        driver.get_object("examplebucket", "hello.txt")
    assert type(info.value) is exception
    assert replay.requests[1].url == "https://examplebucket.s3.amazonaws.com/?list-type=2&max-keys=0"


def test_an_error_inside_a_200_copy_answer_is_raised() -> None:
    driver = make_driver()
    replay_s3(driver, "copy_error_in_200")
    with pytest.raises(ServiceUnavailableError) as info:
        driver.copy_object(an_object(driver), driver._as_container("examplebucket"), "copy.txt")
    assert info.value.code == "InternalError" and info.value.object_name == "copy.txt"


# ---------------------------------------------------------------------- batch delete


def test_batch_delete_reports_each_failed_key() -> None:
    driver = make_driver()
    replay = replay_s3(driver, "delete_objects_partial")
    objects = [an_object(driver, name) for name in ("a.txt", "locked/report.pdf", "b&c.txt")]
    errors = driver.delete_objects(objects)
    assert len(errors) == 1 and isinstance(errors[0], PermissionDeniedError)
    assert errors[0].object_name == "locked/report.pdf" and errors[0].code == "AccessDenied"
    sent = replay.requests[0]
    assert sent.url == "https://examplebucket.s3.amazonaws.com/?delete"
    assert sent.headers["Content-MD5"] == base64.b64encode(hashlib.md5(sent.body).digest()).decode()
    assert b"<Key>b&amp;c.txt</Key>" in sent.body and b"<Quiet>true</Quiet>" in sent.body


def test_batch_delete_splits_at_1000_keys() -> None:
    driver = make_driver()
    replay = replay_s3(driver, "delete_objects_partial", "delete_objects_partial", "delete_objects_partial")
    driver.delete_objects([an_object(driver, f"k{i}") for i in range(2001)])
    assert [r.body.count(b"<Object>") for r in replay.requests] == [1000, 1000, 1]


# ---------------------------------------------------------------------- addressing


@pytest.mark.parametrize(
    ("bucket", "options", "url"),
    [
        ("examplebucket", {}, "https://examplebucket.s3.amazonaws.com/k"),
        ("example.bucket", {}, "https://s3.amazonaws.com/example.bucket/k"),
        ("Example_Bucket", {}, "https://s3.amazonaws.com/Example_Bucket/k"),
        ("examplebucket", {"addressing_style": "path"}, "https://s3.amazonaws.com/examplebucket/k"),
        ("examplebucket", {"region": "eu-west-2"}, "https://examplebucket.s3.eu-west-2.amazonaws.com/k"),
        ("examplebucket", {"endpoint_url": "http://127.0.0.1:9000/"}, "http://127.0.0.1:9000/examplebucket/k"),
        ("examplebucket", {"endpoint_url": "minio.internal:9000", "secure": False},
         "http://minio.internal:9000/examplebucket/k"),
        ("examplebucket", {"endpoint_url": "https://gw.example.com/s3", "addressing_style": "virtual"},
         "https://examplebucket.gw.example.com/s3/k"),
    ],
)
def test_addressing(bucket: str, options: dict[str, object], url: str) -> None:
    region = options.pop("region", "us-east-1")
    driver = get_driver(Provider.S3)(KEY, SECRET, region=region, **options)
    replay = replay_s3(driver, "delete_ok")  # type: ignore[arg-type]
    driver.delete_object(Object("k", 1, None, {}, {}, driver._as_container(bucket), driver))
    assert replay.requests[0].url == url


def test_unusual_keys_are_signed_as_sent() -> None:
    driver = make_driver()
    replay = replay_s3(driver, "delete_ok")
    name = "a//b/./c/../d e+f%20g"
    driver.delete_object(an_object(driver, name))
    assert replay.requests[0].url == "https://examplebucket.s3.amazonaws.com/a//b/%2E/c/%2E%2E/d%20e%2Bf%2520g"


def test_session_token_is_sent_and_signed() -> None:
    driver = make_driver(token="FwoGZXIvYXdzSESSIONTOKEN")
    replay = replay_s3(driver, "delete_ok")
    driver.delete_object(an_object(driver))
    sent = replay.requests[0].headers
    assert sent["x-amz-security-token"] == "FwoGZXIvYXdzSESSIONTOKEN"
    assert "x-amz-security-token" in sent["Authorization"].split("SignedHeaders=")[1]


# ---------------------------------------------------------------------- secrets


def test_the_secret_never_shows(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    driver = get_driver(Provider.S3)(KEY, SECRET, token="FwoGZXIvYXdzSESSIONTOKEN", retry=FAST_RETRY)
    replay_s3(driver, "signature_mismatch", "put_ok")  # type: ignore[arg-type]
    with pytest.raises(InvalidCredsError) as info:
        b"".join(driver.download_object_as_stream(an_object(driver)))  # type: ignore[arg-type]
    url = driver.get_object_url(an_object(driver))  # type: ignore[arg-type]
    assert "X-Amz-Security-Token=FwoGZXIvYXdzSESSIONTOKEN" in url
    driver.upload_object_via_stream([b"hello world"], driver._as_container("examplebucket"), "x")
    logged = caplog.text
    assert "GET https://examplebucket.s3.amazonaws.com/hello.txt" in logged
    for shown in (repr(driver), str(info.value), repr(info.value), logged, repr(driver._credentials)):
        assert SECRET not in shown and "FwoGZXIvYXdzSESSIONTOKEN" not in shown


@pytest.mark.parametrize(("http_date", "iso"), [
    ("Sat, 21 Nov 2026 12:00:00 GMT", "2026-11-21T12:00:00.000Z"),  # IMF-fixdate: read by slicing
    ("Sunday, 06-Nov-94 08:49:37 GMT", "1994-11-06T08:49:37.000Z"),  # obsolete forms: the email parser
    ("Sat, 21 Nov 2026 13:00:00 +0100", "2026-11-21T12:00:00.000Z"),
    ("", ""), ("not a date", "not a date"),
])
def test_last_modified_becomes_iso_8601_utc(http_date: str, iso: str) -> None:
    assert _iso(http_date) == iso


# ---------------------------------------------------------------------- retried CreateMultipartUpload


def _uploads(*uploads: tuple[str, str, str]) -> bytes:
    entries = "".join(f"<Upload><Key>{key}</Key><UploadId>{upload_id}</UploadId><Initiated>{initiated}</Initiated>"
                      "</Upload>" for key, upload_id, initiated in uploads)
    return (f'<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>examplebucket'
            f"</Bucket>{entries}<IsTruncated>false</IsTruncated></ListMultipartUploadsResult>").encode()


def test_a_retried_create_multipart_upload_aborts_the_upload_its_lost_answer_started() -> None:
    """The first CreateMultipartUpload reached S3 but its answer was lost; the retry got upload B.
    Upload A (same key, started during the retries) is aborted; older uploads of the key and
    uploads of other keys are someone else's and stay."""
    driver = make_driver()
    created = (b'<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>examplebucket'
               b"</Bucket><Key>big.bin</Key><UploadId>B</UploadId></InitiateMultipartUploadResult>")

    def lost(request: object) -> tuple[int, dict[str, str], bytes]:
        raise ConnectionResetError("the answer was lost")

    listing = _uploads(
        ("big.bin", "A", "2026-11-21T12:00:00.000Z"), ("big.bin", "B", "2026-11-21T12:00:01.000Z"),
        ("big.bin", "OLD", "2026-11-20T12:00:00.000Z"), ("big.bin.2", "OTHER", "2026-11-21T12:00:00.000Z"),
    )
    replay = ReplayTransport.install(
        driver, lost, (200, {"Date": "Sat, 21 Nov 2026 12:00:01 GMT"}, created), (200, {}, listing), (204, {}, b""))
    upload = driver._multipart_start(driver._as_container("examplebucket"), "big.bin",
                                     UploadOptions.parse(None, None, None))
    assert upload.upload_id == "B"
    assert [(r.method, r.url.rsplit("?", 1)[-1]) for r in replay.requests[2:]] == [
        ("GET", "prefix=big.bin&uploads"), ("DELETE", "uploadId=A")]


def test_a_create_multipart_upload_answered_at_once_lists_nothing() -> None:
    driver = make_driver()
    created = (b'<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><UploadId>B'
               b"</UploadId></InitiateMultipartUploadResult>")
    replay = ReplayTransport.install(driver, (200, {"Date": "Sat, 21 Nov 2026 12:00:01 GMT"}, created))
    driver._multipart_start(driver._as_container("examplebucket"), "big.bin", UploadOptions.parse(None, None, None))
    assert len(replay.requests) == 1
