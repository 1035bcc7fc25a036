"""The GCS driver's one error parser: HTTP status + JSON error body -> typed exception.

GCS answers errors with ``{"error": {"code", "message", "errors": [{"reason", ...}]}}``
(https://cloud.google.com/storage/docs/json_api/v1/status-codes). The reason becomes
``code``, the message is quoted, and the request id is the ``X-GUploader-UploadID``
header Google support asks for (left out for resumable-session requests, where it is
the session's own id and so a capability). What the status, the reason and the request's
context do not settle is left to :func:`storagekit.http.error_for_status`, which every
driver shares.
"""

from __future__ import annotations

from ...http import RequestContext, error_for_status, parse_retry_after
from ...transport import Response
from ...types import (
    ContainerAlreadyExistsError,
    ContainerDoesNotExistError,
    ContainerIsNotEmptyError,
    InvalidContainerNameError,
    InvalidObjectNameError,
    ObjectDoesNotExistError,
    RateLimitReachedError,
    StorageKitError,
)

_BY_REASON: dict[str, type[StorageKitError]] = {
    "rateLimitExceeded": RateLimitReachedError,
    "userRateLimitExceeded": RateLimitReachedError,
    "quotaExceeded": RateLimitReachedError,
}
"""Reasons (``errors[0].reason``) whose meaning the status alone does not give."""


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
    cls = _BY_REASON.get(reason or "")
    lowered = message.lower()
    if status == 404:
        cls = ObjectDoesNotExistError if name and _names_object(message, context.url) else ContainerDoesNotExistError
    elif status in (409, 412) and bucket and not name and context.method == "DELETE":
        cls = ContainerIsNotEmptyError  # GCS says 409; fake-gcs-server 412 "bucket must be empty prior to deletion"
    elif status == 409 and bucket and not name and context.method == "POST":
        cls = ContainerAlreadyExistsError
    elif status == 400 and "bucket name" in lowered:
        cls = InvalidContainerNameError
    elif status == 400 and "object name" in lowered:
        cls = InvalidObjectNameError
    return error_for_status(
        status, context, code=reason, message=message,
        request_id=None if "upload_id=" in context.url else response.headers.get("X-GUploader-UploadID"),
        retry_after=parse_retry_after(response.headers.get("Retry-After")), cls=cls,
    )
