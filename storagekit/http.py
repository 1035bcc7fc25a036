"""The HTTP layer every cloud driver shares: one pooled transport, timeouts, retries, errors.

A driver hands :class:`Connection` an ``auth`` callable (it signs a
:class:`~storagekit.transport.Request` in place) and an ``error_parser`` that turns a failed
response into a typed exception. The connection retries what is safe to retry and logs
each request at DEBUG with secrets redacted; call sites never look at status codes.
"""

from __future__ import annotations

import email.utils
import logging
import random
import re
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from . import __version__
from .transport import DEFAULT_DEADLINE, Request, Response, Transport, TransportError, body_length, with_params
from .types import ConnectionBrokenError, InvalidOptionError, StorageKitError

log = logging.getLogger("storagekit.http")

USER_AGENT = f"storagekit/{__version__}"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})

_SECRET_PARAMS = (
    "sig",
    "signature",
    "access_token",
    "token",
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
    "x-goog-signature",
    "x-goog-credential",
    "awsaccesskeyid",
    "upload_id",
    "accountkey",
    "sharedaccesssignature",
)
_SECRET_RE = re.compile(r"(?i)\b(" + "|".join(re.escape(p) for p in _SECRET_PARAMS) + r")=([^&\s;'\"]+)")


def redact(text: str) -> str:
    """``text`` with the values of signature, token and key parameters replaced by REDACTED."""
    return _SECRET_RE.sub(r"\1=REDACTED", text)


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before trying a request again (exponential backoff, full jitter)."""

    max_attempts: int = 5
    backoff_base: float = 0.2
    backoff_max: float = 20.0
    retry_after_max: float = 120.0
    retry_statuses: frozenset[int] = field(default_factory=lambda: frozenset({429, 500, 502, 503, 504}))

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to sleep before attempt ``attempt + 1``; at least the server's ``Retry-After``."""
        backoff = random.uniform(0, min(self.backoff_max, self.backoff_base * 2**attempt))
        if retry_after is not None:
            return max(backoff, min(retry_after, self.retry_after_max))
        return backoff


ErrorParser = Callable[[Response, "RequestContext"], StorageKitError]
"""Turns a response with status >= 300 into the typed exception it means."""


@dataclass(frozen=True)
class RequestContext:
    """What a request was about, so errors can name the container and object."""

    method: str
    url: str
    driver: Any = None
    container_name: str | None = None
    object_name: str | None = None


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())


def range_header(start: int, end: int | None) -> str:
    """An HTTP ``Range`` value for bytes ``start`` up to ``end`` (exclusive; None = to the end)."""
    return f"bytes={start}-" if end is None else f"bytes={start}-{end - 1}"


class _Replayable:
    """A request body with a way back to its start, or None when it cannot be re-sent."""

    def __init__(self, data: Any) -> None:
        self.data = data
        self.position: int | None = None
        if data is None or isinstance(data, (bytes, bytearray, memoryview, str)):
            self.replayable = True
        elif hasattr(data, "seek") and hasattr(data, "tell"):
            self.position = data.tell()
            self.replayable = True
        else:
            self.replayable = callable(data)

    def body(self) -> Any:
        if callable(self.data):
            return self.data()
        if self.position is not None:
            self.data.seek(self.position)
        return self.data


Auth = Callable[[Request], Request]
"""Signs a request in place (headers, or the URL's query) and returns it."""


class Connection:
    """One pooled :class:`~storagekit.transport.Transport` with timeouts, retries and typed errors.

    Usage::

        conn = Connection(error_parser=parse_s3_error, auth=SigV4Auth(...), driver=self)
        response = conn.request("GET", url, object_name="a.txt", stream=True)
    """

    def __init__(
        self,
        *,
        error_parser: ErrorParser,
        auth: Auth | None = None,
        driver: Any = None,
        timeout: tuple[float, float] = (10.0, 60.0),
        retry: RetryPolicy | None = None,
        verify: bool | str = True,
        pool_size: int = 16,
        headers: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        deadline: float = DEFAULT_DEADLINE,
    ) -> None:
        self.error_parser = error_parser
        self.auth = auth
        self.driver = driver
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.headers = {"User-Agent": USER_AGENT, **(headers or {})}
        self._sleep = sleep
        self.transport = Transport(verify=verify, pool_size=pool_size, deadline=deadline)

    @classmethod
    def from_options(
        cls, options: dict[str, Any], *, error_parser: ErrorParser, driver: Any, pool_size: int = 16,
        **fixed: Any,
    ) -> Connection:
        """A connection from a driver's keyword options: ``timeout`` (seconds, or (connect, read)),
        ``retry`` (a RetryPolicy), ``verify`` (TLS: bool or CA bundle path), ``pool_size`` and
        ``deadline`` (seconds one request may take in all, body included).

        They are popped from ``options``; anything left over is an unknown option and raises
        InvalidOptionError naming it.
        """
        timeout = options.pop("timeout", (10.0, 60.0))
        if not isinstance(timeout, tuple):
            timeout = (float(timeout), float(timeout))
        connection = cls(
            error_parser=error_parser, driver=driver, timeout=timeout, retry=options.pop("retry", None),
            verify=options.pop("verify", True), pool_size=options.pop("pool_size", pool_size),
            deadline=options.pop("deadline", DEFAULT_DEADLINE), **fixed,
        )
        if options:
            raise InvalidOptionError(f"unknown {type(driver).__name__} option(s): {', '.join(sorted(options))}",
                                     driver)
        return connection

    def __repr__(self) -> str:
        return f"<Connection driver={type(self.driver).__name__}>"

    def close(self) -> None:
        """Release the pooled connections."""
        self.transport.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        data: Any = None,
        stream: bool = False,
        idempotent: bool | None = None,
        container_name: str | None = None,
        object_name: str | None = None,
        timeout: tuple[float, float] | None = None,
        auth: Auth | None = None,
        accept: Collection[int] = (),
    ) -> Response:
        """Send a request, retrying what is safe to retry; raise the typed error for a failure.

        ``data`` may be bytes, a seekable file, a callable returning a fresh body (all of
        which are replayed on retry) or any other iterable (sent once, never retried).
        ``accept`` lists statuses >= 300 that are answers, not errors (GCS resumable
        uploads answer 308, and 499 to a cancel).
        """
        url = with_params(url, params)
        context = RequestContext(method, url, self.driver, container_name, object_name)
        body = _Replayable(data)
        may_retry = (method in IDEMPOTENT_METHODS if idempotent is None else idempotent) and body.replayable
        attempts = self.retry.max_attempts if may_retry else 1
        sign = auth or self.auth
        for attempt in range(attempts):
            last = attempt == attempts - 1
            started = time.monotonic()
            request = self._prepare(method, url, headers, body.body())
            if sign is not None:
                request = sign(request)
            try:
                response = self.transport.send(request, timeout=timeout or self.timeout, stream=stream)
            except TransportError as exc:
                self._log(context, f"{type(exc).__name__}", started, attempt)
                if last:
                    raise ConnectionBrokenError(
                        f"{method} {redact(url)} failed: {redact(str(exc)) or type(exc).__name__}",
                        self.driver,
                        container_name=container_name,
                        object_name=object_name,
                        retryable=True,
                    ) from None
                self._sleep(self.retry.delay(attempt))
                continue
            self._log(context, str(response.status_code), started, attempt)
            status = response.status_code
            if status < 300 or status in accept or (status == 304 and method in ("GET", "HEAD")):
                return response
            error = self.error_parser(response, context)
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            response.close()
            if last or not (error.retryable or response.status_code in self.retry.retry_statuses):
                raise error
            self._sleep(self.retry.delay(attempt, retry_after))
        raise AssertionError("unreachable")  # pragma: no cover

    def _prepare(self, method: str, url: str, headers: Mapping[str, str] | None, body: Any) -> Request:
        """The request as it goes on the wire: defaults, ``Host`` and ``Content-Length`` set, so
        an auth callable signs exactly what is sent."""
        parts = urlsplit(url)
        if not parts.path:  # an empty path is "/" (RFC 9110): send and sign it so
            url = parts._replace(path="/").geturl()
        request = Request(method, url, self.headers, body)
        if headers:
            request.headers.update(headers)
        request.headers["Host"] = parts.netloc
        length = body_length(body)
        if length is not None and (body is not None or method not in ("GET", "HEAD")):
            request.headers["Content-Length"] = str(length)
        return request

    @staticmethod
    def _log(context: RequestContext, outcome: str, started: float, attempt: int) -> None:
        if log.isEnabledFor(logging.DEBUG):
            elapsed = (time.monotonic() - started) * 1000
            retry = f" (attempt {attempt + 1})" if attempt else ""
            log.debug("%s %s -> %s in %.1f ms%s", context.method, redact(context.url), outcome, elapsed, retry)


class Body:
    """A streamed response body read with ``readinto`` (a :class:`~storagekit.streams.RangeReader`);
    a connection that breaks midway raises a retryable ConnectionBrokenError."""

    def __init__(
        self, response: Response, *, driver: Any = None, container_name: str | None = None,
        object_name: str | None = None,
    ) -> None:
        self._response = response
        self._driver = driver
        self._container_name = container_name
        self._object_name = object_name

    def readinto(self, buffer: bytearray | memoryview) -> int:
        try:
            return self._response.readinto(buffer)
        except TransportError as exc:
            raise ConnectionBrokenError(
                f"the connection broke while reading {self._object_name or 'the response'}: "
                f"{redact(str(exc)) or type(exc).__name__}",
                self._driver, container_name=self._container_name, object_name=self._object_name, retryable=True,
            ) from None

    def close(self) -> None:
        self._response.close()
