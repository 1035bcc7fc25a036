"""The Swift error parser: status (and what the request was) -> the typed storagekit exception.

Swift sends no error codes, only a status and a short text or HTML body, so the cases that
depend on context live here (a 404 to an object PUT means its container is missing; a 409 to
a container DELETE means it still holds objects; a 422 means the body did not match the
``ETag`` sent; 498 is the ratelimit middleware's "slow down") and everything else is left to
:func:`storagekit.http.error_for_status`.
"""

from __future__ import annotations

import re

from ...http import RequestContext, error_for_status, parse_retry_after
from ...transport import Response
from ...types import (
    ContainerDoesNotExistError,
    ContainerIsNotEmptyError,
    InvalidOptionError,
    ObjectHashMismatchError,
    RateLimitReachedError,
    StorageKitError,
)

_TAGS = re.compile(r"<[^>]*>")


def _message(response: Response) -> str:
    """The first line of the error body's text (Swift answers short HTML or plain text)."""
    if response.request is not None and response.request.method == "HEAD":
        return ""
    text = _TAGS.sub(" ", response.content[:2000].decode("utf-8", "replace"))
    return " ".join(text.split())[:300]


def parse_error(response: Response, context: RequestContext) -> StorageKitError:
    """The typed exception a Swift error response means, with status and transaction id."""
    status = response.status_code
    cls: type[StorageKitError] | None = None
    if status == 409 and context.method == "DELETE" and not context.object_name:
        cls = ContainerIsNotEmptyError
    elif status == 404 and context.method in ("PUT", "POST") and context.object_name:
        cls = ContainerDoesNotExistError  # an object is written, so what is missing is its container
    elif status == 422:
        cls = ObjectHashMismatchError  # the body's MD5 is not the ETag sent
    elif status == 413:
        cls = InvalidOptionError  # an object, segment or metadata over the cluster's limits
    elif status == 498:
        cls = RateLimitReachedError
    return error_for_status(
        status, context, message=_message(response),
        request_id=response.headers.get("X-Openstack-Request-Id") or response.headers.get("X-Trans-Id"),
        retry_after=parse_retry_after(response.headers.get("Retry-After")), cls=cls,
    )
