"""One small HTTP call to a credential endpoint (instance metadata, container, SSO portal).

These endpoints answer JSON and are not storage services, so they get a connection of their
own: short timeouts, few attempts, and errors that say which endpoint failed (by its role, not
its URL, which may hold nothing secret but is not needed either).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ...http import Connection, RequestContext, RetryPolicy
from ...transport import Response
from ...types import InvalidCredsError, MalformedResponseError, StorageKitError


def call(
    method: str, url: str, what: str, *, headers: Mapping[str, str] | None = None,
    timeout: float = 5.0, attempts: int = 3,
) -> Response:
    """Send one request to a credential endpoint and return its (2xx) response.

    Args:
        method: the HTTP method.
        url: the endpoint URL.
        what: the endpoint's role in messages ("the instance metadata service").
        headers: request headers (tokens go here; they are never logged).
        timeout: connect and read timeout, seconds.
        attempts: tries on connection errors and 5xx answers.

    Raises:
        InvalidCredsError: the endpoint refused (4xx); ``http_status`` says how.
        ConnectionBrokenError: it could not be reached.
    """

    def error(response: Response, context: RequestContext) -> StorageKitError:
        status = response.status_code
        return InvalidCredsError(f"{what} answered HTTP {status} to {method}", http_status=status,
                                 retryable=status >= 500)

    connection = Connection(error_parser=error, timeout=(timeout, timeout), retry=RetryPolicy(max_attempts=attempts))
    try:
        response = connection.request(method, url, headers=headers, idempotent=True)
        response.content  # noqa: B018 - read the body before the pool closes
        return response
    finally:
        connection.close()


def json_body(response: Response, what: str) -> dict[str, Any]:
    """The response's JSON object.

    Raises:
        MalformedResponseError: the body is not a JSON object (its text is not shown).
    """
    try:
        document = json.loads(response.content)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise MalformedResponseError(f"{what} did not answer a JSON object")
    return document


__all__ = ["call", "json_body"]
