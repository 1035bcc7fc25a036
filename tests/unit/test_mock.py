"""MockTransport drives each HTTP driver through the same small scenario, through ``transport=``.

The scenario: read an object's properties, download it while the service first answers
``503`` with ``Retry-After: 100000`` (the wait is capped at the policy's maximum backoff, not
a day), then ask for an object that does not exist. Hooks watch every attempt and see the
credentials redacted.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest

from storagekit.base import StorageDriver
from storagekit.http import REDACTED, RequestEvent, ResponseEvent, RetryPolicy
from storagekit.mock import MockTransport, reply
from storagekit.providers import get_driver
from storagekit.transport import Request, Response
from storagekit.types import InvalidOptionError, ObjectDoesNotExistError
from tests.support.replay import recorded

DATA = b"hello, mocked world\n" * 50
MD5 = hashlib.md5(DATA).digest()
ETAG = MD5.hex()
AZURE_KEY = base64.b64encode(b"a secret account key, 32 bytes!!").decode()
POLICY = RetryPolicy(max_attempts=3, backoff_base=0.001, backoff_max=2.0)


def _ranged(request: Request) -> Response:
    """The object's bytes, or the slice a ``Range`` / ``x-ms-range`` asks for."""
    wanted = request.headers.get("Range") or request.headers.get("x-ms-range")
    if not wanted:
        return reply(request, 200, {"Content-Type": "text/plain"}, DATA)
    first, _, last = wanted.removeprefix("bytes=").partition("-")
    end = int(last) + 1 if last else len(DATA)
    return reply(request, 206, {"Content-Range": f"bytes {first}-{end - 1}/{len(DATA)}"}, DATA[int(first):end])


def _s3(request: Request) -> Response:
    if "missing" in request.url:
        return reply(request, 404) if request.method == "HEAD" else reply(request, *recorded("s3", "no_such_key"))
    if "max-keys=0" in request.url:  # a bodyless 404 asks the bucket whether it exists
        return reply(request, *recorded("s3", "list_empty"))
    if request.method == "HEAD":
        return reply(request, 200, {"Content-Length": str(len(DATA)), "ETag": f'"{ETAG}"',
                                    "Last-Modified": "Thu, 16 May 2024 09:12:03 GMT"})
    return _ranged(request)


def _azure(request: Request) -> Response:
    if "missing" in request.url:
        return reply(request, *recorded("azure_blobs", "blob_not_found_head"))
    if request.method == "HEAD":
        return reply(request, 200, {"Content-Length": str(len(DATA)), "ETag": '"0x8DC1"', "x-ms-blob-type": "BlockBlob",
                                    "Content-MD5": base64.b64encode(MD5).decode(),
                                    "Last-Modified": "Thu, 16 May 2024 09:12:03 GMT"})
    return _ranged(request)


def _gcs(request: Request) -> Response:
    if "missing" in request.url:
        body = {"error": {"code": 404, "message": "No such object: bucket/missing", "errors": [{"reason": "notFound"}]}}
        return reply(request, 404, {"Content-Type": "application/json"}, json.dumps(body).encode())
    if "alt=media" in request.url:
        return _ranged(request)
    resource = {"name": "hello.txt", "bucket": "bucket", "size": str(len(DATA)), "generation": "7",
                "md5Hash": base64.b64encode(MD5).decode(), "contentType": "text/plain"}
    return reply(request, 200, {"Content-Type": "application/json"}, json.dumps(resource).encode())


def _drivers() -> dict[str, tuple[Callable[..., StorageDriver], Callable[[Request], Response]]]:
    return {
        "s3": (lambda **options: get_driver("s3")("AKIDEXAMPLE", "s3-secret", region="us-east-1", **options), _s3),
        "azure_blobs": (lambda **options: get_driver("azure_blobs")("acct", AZURE_KEY, **options), _azure),
        "google_storage": (lambda **options: get_driver("google_storage")(
            credentials="anonymous", endpoint_url="http://gcs.test", project="p", **options), _gcs),
    }


def _busy_once(serve: Callable[[Request], Response]) -> Callable[[Request], Response]:
    """``serve``, except that the first download is answered 503 with a Retry-After of a day."""
    refused: list[Request] = []

    def handler(request: Request) -> Response:
        body_read = request.method == "GET" and "hello.txt" in request.url and (
            "alt=media" in request.url or "/storage/v1/" not in request.url)  # not GCS's metadata GET
        if body_read and not refused:
            refused.append(request)
            return reply(request, 503, {"Retry-After": "100000"}, b"busy")
        return serve(request)

    return handler


@pytest.mark.parametrize("provider", ["s3", "azure_blobs", "google_storage"])
def test_mock_transport_drives_the_driver(provider: str) -> None:
    make, serve = _drivers()[provider]
    transport = MockTransport(_busy_once(serve))
    seen: list[Any] = []
    driver = make(transport=transport, retry=POLICY, hooks={"request": [seen.append], "response": [seen.append]})
    assert driver.connection.transport is transport  # type: ignore[attr-defined]
    sleeps: list[float] = []
    driver.connection._sleep = sleeps.append  # type: ignore[attr-defined]

    obj = driver.get_object("bucket", "hello.txt")
    assert obj.size == len(DATA) and obj.checksums.get("md5") == ETAG
    assert b"".join(driver.download_object_as_stream(obj)) == DATA
    assert len(sleeps) == 1 and sleeps[0] <= POLICY.backoff_max  # Retry-After: 100000 is not a day
    with pytest.raises(ObjectDoesNotExistError):
        driver.get_object("bucket", "missing")

    requests = [event for event in seen if isinstance(event, RequestEvent)]
    responses = [event for event in seen if isinstance(event, ResponseEvent)]
    assert len(requests) == len(responses) == len(transport.requests)
    assert [event.status_code for event in responses][:3] == [200, 503, 206 if provider == "azure_blobs" else 200]
    assert responses[2].request.attempt == 2  # the retried download
    for event, sent in zip(requests, transport.requests, strict=True):
        assert event.method == sent.method
        if "Authorization" in sent.headers:
            assert event.headers["Authorization"] == REDACTED and sent.headers["Authorization"] != REDACTED


def test_hooks_see_signatures_and_tokens_redacted() -> None:
    def handler(request: Request) -> Response:
        return reply(request, 200, {"Location": "https://h/upload?upload_id=SESSION-SECRET",
                                    "Set-Cookie": "s=COOKIE-SECRET"}, b"<ListAllMyBucketsResult/>")

    events: list[Any] = []
    driver = get_driver("s3")("AKIDEXAMPLE", "s3-secret", region="us-east-1", token="SESSION-TOKEN-SECRET",
                              transport=MockTransport(handler), hooks={"request": events.append,
                                                                       "response": [events.append]})
    url = driver.get_object_url(driver._as_container("bucket"), object_name="k", expires_in=60)
    driver.connection.request("GET", url)  # type: ignore[attr-defined]
    request, response = events
    assert "X-Amz-Signature=REDACTED" in request.url and "X-Amz-Credential=REDACTED" in request.url
    assert response.headers["Location"] == "https://h/upload?upload_id=REDACTED"
    assert response.headers["Set-Cookie"] == REDACTED
    driver.list_containers()
    request = events[2]
    assert request.headers["Authorization"] == REDACTED and request.headers["x-amz-security-token"] == REDACTED
    shown = repr(events)
    for secret in ("s3-secret", "SESSION-TOKEN-SECRET", "SESSION-SECRET", "COOKIE-SECRET", "AKIDEXAMPLE/"):
        assert secret not in shown


@pytest.mark.parametrize("options", [
    {"transport": "not a transport"},
    {"transport": MockTransport(lambda request: reply(request)), "verify": False},
    {"hooks": {"sent": [print]}},
    {"hooks": {"request": ["not callable"]}},
    {"retry": "x"},
    {"timeout": "abc"},
])
def test_bad_seam_options_are_typed_errors(options: dict[str, Any]) -> None:
    for make, _ in _drivers().values():
        with pytest.raises(InvalidOptionError):
            make(**options)
