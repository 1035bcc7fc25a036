"""The GCS driver's one error parser: HTTP status + JSON error body -> typed exception.

GCS answers errors with ``{"error": {"code", "message", "errors": [{"reason", ...}]}}``
(https://cloud.google.com/storage/docs/json_api/v1/status-codes). The reason becomes
``code``, the message is quoted, and the request id is the ``X-GUploader-UploadID``
header Google support asks for (left out for resumable-session requests, where it is
the session's own id and so a capability).
"""

from __future__ import annotations

from ...http import RequestContext, parse_retry_after
from ...transport import Response
from ...types import (
    ContainerAlreadyExistsError,
    ContainerDoesNotExistError,
    ContainerIsNotEmptyError,
    InvalidContainerNameError,
    InvalidCredsError,
    InvalidObjectNameError,
    InvalidOptionError,
    InvalidRangeError,
    MalformedResponseError,
    ObjectDoesNotExistError,
    PermissionDeniedError,
    PreconditionFailedError,
    RateLimitReachedError,
    ServiceUnavailableError,
    StorageKitError,
)

_RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"})


def error_details(response: Response) -> tuple[str, str | None]:
    """The message and first reason of a GCS JSON error body (or the body's start if not JSON)."""
    try:
        error = response.json()["error"]
        reasons = error.get("errors") or [{}]
        return str(error.get("message") or response.reason), reasons[0].get("reason")
    except (ValueError, KeyError, TypeError, AttributeError, IndexError):
        text = response.text.strip()[:200] if response.content else ""
        return text or str(response.reason or "no error message"), None


def _names_object(message: str, url: str) -> bool:
    """Whether a 404 is about the object rather than its bucket.

    GCS says "No such object: b/o" or "The specified bucket does not exist."; an emulator
    may only say "Not Found", and then a 404 to an upload can only mean the bucket.
    """
    text = message.lower()
    if "bucket" in text or "object" in text:
        return "object" in text
    return "/upload/" not in url


def parse_error(response: Response, context: RequestContext) -> StorageKitError:
    """Map a failed GCS response to the storagekit exception it means."""
    status = response.status_code
    message, reason = error_details(response)
    bucket, name = context.container_name, context.object_name
    session = "upload_id=" in context.url
    kwargs = {
        "http_status": status,
        "code": reason,
        "request_id": None if session else response.headers.get("X-GUploader-UploadID"),
        "container_name": bucket,
        "object_name": name,
    }
    subject = f"object {name} in bucket {bucket}" if name else f"bucket {bucket}" if bucket else "request"
    text = f"{context.method} {subject} failed: {message}"
    if status == 404:
        if name and _names_object(message, context.url):
            return ObjectDoesNotExistError(f"{name} does not exist in bucket {bucket}", context.driver, **kwargs)
        return ContainerDoesNotExistError(f"bucket {bucket} does not exist", context.driver, **kwargs)
    if status in (409, 412) and bucket and not name and context.method == "DELETE":
        # GCS says 409; fake-gcs-server says 412 "bucket must be empty prior to deletion".
        return ContainerIsNotEmptyError(f"bucket {bucket} is not empty", context.driver, **kwargs)
    if status == 409 and bucket and not name and context.method == "POST":
        return ContainerAlreadyExistsError(f"bucket {bucket} already exists", context.driver, **kwargs)
    if status == 412:
        return PreconditionFailedError(text, context.driver, **kwargs)
    if status == 401:
        return InvalidCredsError(text, context.driver, **kwargs)
    if status == 429 or (status == 403 and reason in _RATE_LIMIT_REASONS):
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return RateLimitReachedError(text, context.driver, retry_after=retry_after, **kwargs)
    if status == 403:
        return PermissionDeniedError(text, context.driver, **kwargs)
    if status == 416:
        return InvalidRangeError(text, context.driver, **kwargs)
    if status == 400 and "bucket name" in message.lower():
        return InvalidContainerNameError(text, context.driver, **kwargs)
    if status == 400 and "object name" in message.lower():
        return InvalidObjectNameError(text, context.driver, **kwargs)
    if status == 400:
        return InvalidOptionError(text, context.driver, **kwargs)
    if status >= 500:
        return ServiceUnavailableError(text, context.driver, retryable=True, **kwargs)
    if 300 <= status < 400:
        return MalformedResponseError(f"unexpected {status} answer: {text}", context.driver, **kwargs)
    return StorageKitError(text, context.driver, **kwargs)
