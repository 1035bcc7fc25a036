"""One table of failed answers through every HTTP driver's error parser: the same situation
is the same exception (type, retryable, retry_after) on S3, Azure and GCS."""

from __future__ import annotations

import base64
import json

import pytest

from storagekit.drivers.azure_blobs._errors import parse_error as parse_azure
from storagekit.drivers.google_storage._errors import parse_error as parse_gcs
from storagekit.drivers.s3._errors import parse_error as parse_s3
from storagekit.drivers.swift._errors import parse_error as parse_swift
from storagekit.http import ErrorParser, RequestContext
from storagekit.mock import MockTransport, reply
from storagekit.providers import get_driver
from storagekit.transport import Request, Response
from storagekit.types import (
    ContainerDoesNotExistError,
    InvalidCredsError,
    InvalidOptionError,
    InvalidRangeError,
    NotSupportedError,
    ObjectDoesNotExistError,
    PermissionDeniedError,
    PreconditionFailedError,
    RateLimitReachedError,
    ServiceUnavailableError,
    StorageKitError,
)

URL = "https://store.test/bucket/key"
AZURE_KEY = base64.b64encode(b"a secret account key, 32 bytes!!").decode()


def _s3(status: int, code: str | None, headers: dict[str, str]) -> Response:
    body = f"<Error><Code>{code}</Code><Message>it failed</Message></Error>".encode() if code else b""
    return reply(Request("GET", URL), status, headers, body)


def _azure(status: int, code: str | None, headers: dict[str, str]) -> Response:
    if code:
        headers = {**headers, "x-ms-error-code": code}
    body = f"<Error><Code>{code}</Code><Message>it failed</Message></Error>".encode() if code else b""
    return reply(Request("GET", URL), status, headers, body)


def _gcs(status: int, code: str | None, headers: dict[str, str]) -> Response:
    error: dict[str, object] = {"code": status, "message": "it failed"}
    if code:
        error["errors"] = [{"reason": code, "message": "it failed"}]
    return reply(Request("GET", URL), status, {**headers, "Content-Type": "application/json"},
                 json.dumps({"error": error}).encode())


def _swift(status: int, code: str | None, headers: dict[str, str]) -> Response:
    """Swift sends no error codes: a status and a short HTML page."""
    return reply(Request("GET", URL), status, headers, b"<html><h1>It failed</h1><p>it failed</p></html>")


PARSERS: dict[str, tuple[ErrorParser, object]] = {
    "s3": (parse_s3, _s3),
    "azure_blobs": (parse_azure, _azure),
    "google_storage": (parse_gcs, _gcs),
    "swift": (parse_swift, _swift),
}

# (status, the provider's code (one for all, or per provider), about an object?, Retry-After,
#  the exception every driver must raise, whether it is retryable)
CASES: list[tuple[int, str | dict[str, str] | None, bool, str | None, type[StorageKitError], bool]] = [
    (400, None, True, None, InvalidOptionError, False),
    (401, None, True, None, InvalidCredsError, False),
    (403, None, True, None, PermissionDeniedError, False),
    (404, None, True, None, ObjectDoesNotExistError, False),
    (404, None, False, None, ContainerDoesNotExistError, False),
    (405, None, True, None, NotSupportedError, False),
    (409, None, True, None, StorageKitError, False),
    (412, None, True, None, PreconditionFailedError, False),
    (416, None, True, None, InvalidRangeError, False),
    (429, None, True, "3", RateLimitReachedError, True),
    (500, None, True, None, ServiceUnavailableError, True),
    (501, None, True, None, NotSupportedError, False),
    (502, None, True, None, ServiceUnavailableError, True),
    (503, None, True, None, ServiceUnavailableError, True),
    (503, None, False, "100000", ServiceUnavailableError, True),
    (504, None, True, None, ServiceUnavailableError, True),
    (404, {"s3": "NoSuchKey", "azure_blobs": "BlobNotFound", "google_storage": "notFound"}, True, None,
     ObjectDoesNotExistError, False),
    (412, {"s3": "PreconditionFailed", "azure_blobs": "ConditionNotMet", "google_storage": "conditionNotMet"}, True,
     None, PreconditionFailedError, False),
    (429, {"s3": "SlowDown", "azure_blobs": "ServerBusy", "google_storage": "rateLimitExceeded"}, True, "7",
     RateLimitReachedError, True),
    (500, {"s3": "InternalError", "azure_blobs": "InternalError", "google_storage": "backendError"}, True, None,
     ServiceUnavailableError, True),
]


@pytest.mark.parametrize(("status", "code", "about_object", "retry_after", "expected", "retryable"), CASES)
@pytest.mark.parametrize("provider", sorted(PARSERS))
def test_the_same_answer_is_the_same_exception_on_every_driver(
    provider: str, status: int, code: str | dict[str, str] | None, about_object: bool, retry_after: str | None,
    expected: type[StorageKitError], retryable: bool,
) -> None:
    parse, build = PARSERS[provider]
    provider_code = code.get(provider) if isinstance(code, dict) else code
    if provider == "swift":
        provider_code = None  # Swift has no error codes: the status alone decides
    headers = {"Retry-After": retry_after} if retry_after else {}
    response = build(status, provider_code, headers)  # type: ignore[operator]
    context = RequestContext("GET", URL, None, "bucket", "key" if about_object else None)
    error = parse(response, context)
    assert type(error) is expected, f"{provider}: {status} {provider_code} gave {type(error).__name__}"
    assert error.retryable is retryable
    assert error.http_status == status and error.code == provider_code
    assert error.container_name == "bucket"
    if expected is RateLimitReachedError:
        assert error.retry_after == float(retry_after or 0)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("provider", "extra"), [
    ("s3", {"blob_type": "BlockBlob"}),
    ("google_storage", {"blob_type": "BlockBlob"}),
    ("azure_blobs", {"acl": "public-read"}),
    ("azure_blobs", {"kms_key_id": "arn:aws:kms:us-east-1:1:key/k"}),
    ("swift", {"blob_type": "BlockBlob"}),
    ("swift", {"storage_class": "GLACIER"}),
])
def test_another_providers_option_is_an_invalid_option_everywhere(provider: str, extra: dict[str, str]) -> None:
    transport = MockTransport(lambda request: reply(request, 500))
    driver = {
        "s3": lambda: get_driver("s3")("AKIDEXAMPLE", "secret", region="us-east-1", transport=transport),
        "azure_blobs": lambda: get_driver("azure_blobs")("acct", AZURE_KEY, transport=transport),
        "google_storage": lambda: get_driver("google_storage")(credentials="anonymous", endpoint_url="http://gcs.test",
                                                                project="p", transport=transport),
        "swift": lambda: get_driver("openstack_swift")(storage_url="https://swift.test/v1/AUTH_a", auth_token="t",
                                                      transport=transport),
    }[provider]()
    with pytest.raises(InvalidOptionError, match="|".join(extra)):
        driver.upload_object_via_stream([b"x"], driver._as_container("bucket"), "k", extra=extra)
    assert transport.requests == []  # refused before sending
