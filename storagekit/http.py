"""The HTTP layer every cloud driver shares: a transport seam, timeouts, the retry policy, errors.

A driver hands :class:`Connection` an ``auth`` callable (it signs a
:class:`~storagekit.transport.Request` in place) and an ``error_parser`` that turns a failed
response into a typed exception: the parser looks up the provider's own error codes and
leaves everything else to :func:`error_for_status`, so the same status means the same
exception on every driver. Drivers only classify (``retryable``, ``retry_after``); the one
:class:`RetryPolicy` decides, for requests, resumed reads and resumable uploads alike. Each
request is logged at DEBUG and shown to the caller's hooks with its secrets redacted.

The transport is a seam (:class:`Transport`): anything with ``send`` and ``close``, such as
:class:`storagekit.mock.MockTransport`, can stand in for the pooled HTTP/1.1 client.
"""

from __future__ import annotations

import contextvars
import email.utils
import logging
import math
import random
import re
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

from ._version import __version__
from .headers import CaseInsensitiveDict
from .transport import DEFAULT_DEADLINE, Request, Response, TransportError, body_length, with_params
from .transport import Transport as PooledTransport
from .types import (
    ConnectionBrokenError,
    ContainerDoesNotExistError,
    InvalidCredsError,
    InvalidOptionError,
    InvalidRangeError,
    MalformedResponseError,
    NotSupportedError,
    ObjectDoesNotExistError,
    PermissionDeniedError,
    PreconditionFailedError,
    RateLimitReachedError,
    ServiceUnavailableError,
    StorageKitError,
)

log = logging.getLogger("storagekit.http")

USER_AGENT = f"storagekit/{__version__}"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})

# ---------------------------------------------------------------------- the transport seam


@runtime_checkable
class Transport(Protocol):
    """What :class:`Connection` sends requests through: the pooled HTTP/1.1 client
    (:class:`storagekit.transport.Transport`) by default, anything with these two methods
    otherwise (:class:`storagekit.mock.MockTransport` in tests, a recorder, a custom client).

    ``send`` gets the request as it goes on the wire (signed, ``Host`` and ``Content-Length``
    set) and returns its :class:`~storagekit.transport.Response`; with ``stream`` the body is
    left to read. A connection that fails raises an ``OSError`` or an
    ``http.client.HTTPException`` (the connection turns either into a retryable
    ConnectionBrokenError).
    """

    def send(self, request: Request, *, timeout: tuple[float, float], stream: bool = False) -> Response:
        """Send ``request`` and return the response (``timeout`` is (connect, read) seconds)."""
        ...  # pragma: no cover - a protocol

    def close(self) -> None:
        """Release whatever the transport holds (pooled connections)."""
        ...  # pragma: no cover - a protocol


# ---------------------------------------------------------------------- redaction

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
    "temp_url_sig",
)
_SECRET_RE = re.compile(r"(?i)\b(" + "|".join(re.escape(p) for p in _SECRET_PARAMS) + r")=([^&\s;'\"]+)")
_SECRET_HEADERS = frozenset({
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-amz-security-token",
    "x-amz-server-side-encryption-customer-key",
    "x-amz-copy-source-server-side-encryption-customer-key",
    "x-goog-encryption-key",
    "x-goog-copy-source-encryption-key",
    "x-ms-encryption-key",
    "x-ms-copy-source-authorization",
    "x-auth-token",
    "x-storage-token",
    "x-subject-token",
    "x-auth-key",
    "x-account-meta-temp-url-key",
    "x-account-meta-temp-url-key-2",
    "x-container-meta-temp-url-key",
    "x-container-meta-temp-url-key-2",
})
"""Headers whose whole value is a credential; other values have their secret parameters redacted."""
REDACTED = "REDACTED"


def redact(text: str) -> str:
    """``text`` with the values of signature, token and key parameters replaced by REDACTED."""
    return _SECRET_RE.sub(rf"\1={REDACTED}", text)


def redact_headers(headers: Mapping[str, str]) -> CaseInsensitiveDict[str]:
    """A copy of ``headers`` fit to log: credentials replaced, URLs in values (a SAS copy
    source, a resumable session ``Location``) with their secret parameters redacted."""
    return CaseInsensitiveDict(
        (name, REDACTED if name.lower() in _SECRET_HEADERS else redact(str(value))) for name, value in headers.items()
    )


# ---------------------------------------------------------------------- hooks


@dataclass(frozen=True)
class RequestEvent:
    """One attempt of a request, as a ``"request"`` hook sees it (secrets already redacted)."""

    method: str
    url: str
    headers: Mapping[str, str]
    attempt: int
    """1 for the first attempt, 2 for the first retry, ..."""


@dataclass(frozen=True)
class ResponseEvent:
    """How one attempt ended, as a ``"response"`` hook sees it (secrets already redacted).

    ``status_code`` is None and ``error`` names the failure when no response came back.
    """

    request: RequestEvent
    status_code: int | None
    headers: Mapping[str, str]
    elapsed: float
    """Seconds from sending the request to its response's headers (or to the failure)."""
    error: str | None = None


Hook = Callable[[Any], None]
HOOK_EVENTS = ("request", "response")


def _checked_hooks(hooks: Any) -> dict[str, tuple[Hook, ...]]:
    """``hooks`` as {"request": (...), "response": (...)}; InvalidOptionError for any other shape."""
    if hooks is None:
        return {event: () for event in HOOK_EVENTS}
    if not isinstance(hooks, Mapping) or set(hooks) - set(HOOK_EVENTS):
        raise InvalidOptionError(
            f"hooks must be a dict with the keys {' and '.join(HOOK_EVENTS)} (lists of callables), not {hooks!r}"
        )
    checked = {}
    for event in HOOK_EVENTS:
        functions = hooks.get(event, ())
        functions = (functions,) if callable(functions) else tuple(functions)
        if not all(callable(function) for function in functions):
            raise InvalidOptionError(f"hooks[{event!r}] must be callables, not {functions!r}")
        checked[event] = functions
    return checked


# ---------------------------------------------------------------------- retrying


@dataclass(frozen=True)
class RetryPolicy:
    """The one policy for trying again: requests, resumed reads and resumable uploads alike.

    Failures are counted per stall: consecutive failures of one operation with no progress
    in between (a request's attempts; the breaks of a download that receive no new byte; the
    chunks of a resumable upload the server did not take). A stall ends the operation when
    it reaches ``max_attempts`` failures, or when the next wait would take it past
    ``deadline`` seconds from its first failure. The wait is exponential backoff with full
    jitter, at least the server's ``Retry-After`` and never more than ``backoff_max`` (a
    ``Retry-After`` of a day is not honoured as such). Only errors the driver marked
    ``retryable`` are tried again.

    Usage::

        get_driver(Provider.S3)(key, secret, retry=RetryPolicy(max_attempts=8, deadline=600))
    """

    max_attempts: int = 5
    backoff_base: float = 0.2
    backoff_max: float = 20.0
    deadline: float | None = 300.0

    def __post_init__(self) -> None:
        if isinstance(self.max_attempts, bool) or not isinstance(self.max_attempts, int) or self.max_attempts < 1:
            raise InvalidOptionError(f"RetryPolicy.max_attempts must be an int >= 1, not {self.max_attempts!r}")
        for name in ("backoff_base", "backoff_max", "deadline"):
            value = getattr(self, name)
            if value is None and name == "deadline":
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
                raise InvalidOptionError(f"RetryPolicy.{name} must be a finite number >= 0, not {value!r}")

    def delay(self, failures: int, retry_after: float | None = None) -> float:
        """Seconds to wait after the ``failures``-th failure in a row.

        Args:
            failures: failures so far in this stall (1 for the first).
            retry_after: the server's advice in seconds, if it gave one: the wait is at least that.

        Returns:
            A random wait up to the exponential backoff, at least ``retry_after``, at most ``backoff_max``.

        """
        backoff = random.uniform(0, min(self.backoff_max, self.backoff_base * 2 ** max(failures - 1, 0)))
        if retry_after is not None:
            backoff = max(backoff, retry_after)
        return min(backoff, self.backoff_max)

    def allows(self, error: StorageKitError, failures: int, stalled_for: float) -> bool:
        """Whether to try again after ``error``.

        Args:
            error: the failure, whose ``retryable`` the driver set.
            failures: failures in a row in this stall, this one included.
            stalled_for: seconds the stall will have lasted by the next attempt.

        Returns:
            True if the error is retryable, attempts remain and the deadline is not passed.

        """
        return (
            error.retryable
            and failures < self.max_attempts
            and (self.deadline is None or stalled_for <= self.deadline)
        )


_current_stall: contextvars.ContextVar[Stall | None] = contextvars.ContextVar("storagekit_stall", default=None)


class Stall:
    """The failures of one operation since it last made progress, judged by a RetryPolicy.

    An operation that spans several requests (a resumed read, a resumable upload) makes
    its stall :meth:`active` around them, so a request's own retries count in the same stall
    and nothing is retried twice over.

    Usage::

        stall = Stall(policy)
        while True:
            try:
                ...  # one attempt; call stall.progressed() whenever bytes got through
                break
            except StorageKitError as error:
                if not stall.again(error):
                    raise
    """

    def __init__(
        self, policy: RetryPolicy, sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy
        self.failures = 0
        self._sleep = sleep
        self._clock = clock
        self._since: float | None = None
        self._refused: BaseException | None = None

    @staticmethod
    def current() -> Stall | None:
        """The stall of the operation this thread is in the middle of, if any."""
        return _current_stall.get()

    @contextmanager
    def active(self) -> Iterator[Stall]:
        """Make this the current stall (requests sent meanwhile count their failures in it)."""
        token = _current_stall.set(self)
        try:
            yield self
        finally:
            _current_stall.reset(token)

    def progressed(self) -> None:
        """The operation moved forward: its next failure starts a new stall."""
        self.failures = 0
        self._since = None

    def again(self, error: StorageKitError, retry_after: float | None = None) -> bool:
        """Count ``error``; wait and return True if the policy allows another attempt, else False.

        ``retry_after`` is the server's advice in seconds (the error's own ``retry_after`` if
        not given). An error this stall already refused is refused again, not counted twice.
        """
        if error is self._refused:
            return False
        self.failures += 1
        now = self._clock()
        if self._since is None:
            self._since = now
        if retry_after is None:
            retry_after = getattr(error, "retry_after", None)
        wait = self.policy.delay(self.failures, retry_after)
        if not self.policy.allows(error, self.failures, now + wait - self._since):
            self._refused = error
            return False
        log.debug("retrying in %.2f s (failure %d of at most %d in a row): %s", wait, self.failures,
                 self.policy.max_attempts, error)
        self._sleep(wait)
        return True


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())
    return max(0.0, seconds) if math.isfinite(seconds) else None


# ---------------------------------------------------------------------- errors


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


_BY_STATUS: dict[int, type[StorageKitError]] = {
    400: InvalidOptionError,
    401: InvalidCredsError,
    403: PermissionDeniedError,
    405: NotSupportedError,
    412: PreconditionFailedError,
    416: InvalidRangeError,
    429: RateLimitReachedError,
    501: NotSupportedError,
}


RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
"""Statuses that say "try again later", whatever the provider's code."""


def error_for_status(
    status: int,
    context: RequestContext,
    *,
    code: str | None = None,
    message: str = "",
    request_id: str | None = None,
    retry_after: float | None = None,
    cls: type[StorageKitError] | None = None,
    retryable: bool = False,
) -> StorageKitError:
    """The typed exception for a failed response: what every driver's parser ends in.

    Args:
        status: the HTTP status.
        context: the request (its method, and the container and object it was about).
        code: the provider's error code, if it sent one.
        message: the provider's message (redacted here before it is shown).
        request_id: the provider's request id, for support.
        retry_after: the server's ``Retry-After`` in seconds (kept on RateLimitReachedError).
        cls: the class the provider's code table chose; None leaves it to the status: 400 is
            InvalidOptionError, 401 InvalidCredsError, 403 PermissionDeniedError, 404 the
            object's or else the container's DoesNotExistError, 405 and 501 NotSupportedError,
            412 PreconditionFailedError, 416 InvalidRangeError, 429 RateLimitReachedError, any
            other 5xx ServiceUnavailableError, an unexpected 3xx MalformedResponseError.
        retryable: the provider's code says the failure is transient; RETRYABLE_STATUSES (408,
            429, 500, 502, 503, 504) are retryable whatever the code, and so is every
            RateLimitReachedError.

    Returns:
        The exception, carrying status, code, request id, container and object names.
    """
    if cls is None:
        cls = _BY_STATUS.get(status)
    if cls is None:
        if status == 404:
            cls = ObjectDoesNotExistError if context.object_name else ContainerDoesNotExistError
        elif status >= 500:
            cls = ServiceUnavailableError
        elif 300 <= status < 400:
            cls = MalformedResponseError
        else:
            cls = StorageKitError
    if context.object_name:
        subject = f"{context.container_name}/{context.object_name}"
    else:
        subject = f"container {context.container_name}" if context.container_name else "the account"
    reason = ": ".join(part for part in (code, redact(message.strip())) if part) or f"HTTP {status}"
    text = f"{context.method} {subject} failed: {reason}"
    retryable = retryable or status in RETRYABLE_STATUSES or issubclass(cls, RateLimitReachedError)
    fields: dict[str, Any] = {
        "http_status": status, "code": code, "request_id": request_id, "container_name": context.container_name,
        "object_name": context.object_name, "retryable": retryable,
    }
    if issubclass(cls, RateLimitReachedError):
        return cls(text, context.driver, retry_after=retry_after, **fields)
    return cls(text, context.driver, **fields)


def range_header(start: int, end: int | None) -> str:
    """An HTTP ``Range`` value for bytes ``start`` up to ``end`` (exclusive; None = to the end)."""
    return f"bytes={start}-" if end is None else f"bytes={start}-{end - 1}"


# ---------------------------------------------------------------------- the connection


_IN_MEMORY = (bytes, bytearray, memoryview, str)
"""Bodies held in memory: sent again as they are."""


class _Replayable:
    """A request body that is not in memory, with a way back to its start (if it has one)."""

    def __init__(self, data: Any) -> None:
        self.data = data
        self.position: int | None = None
        if hasattr(data, "seek") and hasattr(data, "tell"):
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

_DEFAULT_TIMEOUT = (10.0, 60.0)
_NETLOC_PATH = re.compile(r"https?://([^/?#]*)(/[^?#]*)?").match
"""The netloc and path of a plain http(s) URL, read without ``urlsplit`` (what most requests have)."""


def _timeout(value: Any) -> tuple[float, float]:
    """A (connect, read) timeout from seconds or a pair; InvalidOptionError otherwise."""
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2 or not all(
        isinstance(seconds, (int, float)) and not isinstance(seconds, bool) and 0 < seconds < math.inf
        for seconds in pair
    ):
        raise InvalidOptionError(f"timeout must be seconds > 0 or a (connect, read) pair of them, not {value!r}")
    return float(pair[0]), float(pair[1])


def _add_context(error: StorageKitError, driver: Any, container_name: str | None, object_name: str | None) -> None:
    """Name the driver, container and object on an error raised below the driver, where unset."""
    if error.driver is None:
        error.driver = driver
    if error.container_name is None:
        error.container_name = container_name
    if error.object_name is None:
        error.object_name = object_name


class Connection:
    """A :class:`Transport` with auth, timeouts, the retry policy, hooks and typed errors.

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
        timeout: tuple[float, float] = _DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        verify: bool | str = True,
        pool_size: int = 16,
        headers: Mapping[str, str] | None = None,
        transport: Transport | None = None,
        hooks: Mapping[str, Sequence[Hook]] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        deadline: float = DEFAULT_DEADLINE,
    ) -> None:
        """Args:
            error_parser: the driver's parser of failed responses.
            auth: signs each request (each attempt is signed afresh).
            driver: named by the errors raised.
            timeout: (connect, read) seconds.
            retry: the retry policy (RetryPolicy() if None).
            verify: TLS verification of the default transport: True, False or a CA bundle path.
            pool_size: idle connections the default transport keeps per host.
            headers: sent with every request.
            transport: sends the requests; the pooled HTTP/1.1 client if None.
            hooks: ``{"request": [fn], "response": [fn]}``, called with a RequestEvent before
                each attempt and a ResponseEvent after it, secrets redacted (for metrics,
                tracing, logging); an exception a hook raises ends the request.
            sleep: how to wait between attempts (tests pass a recorder).
            deadline: seconds one request may take in all, body included (default transport).

        Raises:
            InvalidOptionError: a retry, transport or hooks value of the wrong kind.
        """
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise InvalidOptionError(f"retry must be a storagekit.http.RetryPolicy, not {retry!r}", driver)
        if transport is not None and not isinstance(transport, Transport):
            raise InvalidOptionError(f"transport must have send() and close() methods, not {transport!r}", driver)
        self.error_parser = error_parser
        self.auth = auth
        self.driver = driver
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.headers = {"User-Agent": USER_AGENT, **(headers or {})}
        self.hooks = _checked_hooks(hooks)
        self._sleep = sleep
        self.transport: Transport = transport if transport is not None else PooledTransport(
            verify=verify, pool_size=pool_size, deadline=deadline
        )

    @classmethod
    def from_options(
        cls, options: dict[str, Any], *, error_parser: ErrorParser, driver: Any, pool_size: int = 16,
        **fixed: Any,
    ) -> Connection:
        """A connection from a driver's keyword options, popped from ``options``.

        They are ``timeout`` (seconds, or (connect, read)), ``retry`` (a RetryPolicy),
        ``transport`` (a :class:`Transport`), ``hooks`` (see :class:`Connection`), and for the
        default transport ``verify`` (TLS: bool or CA bundle path), ``pool_size`` and ``deadline``
        (seconds one request may take in all, body included).

        Raises:
            InvalidOptionError: a bad value, ``verify`` or ``pool_size`` given with a
                ``transport`` (they configure the default one), or anything left over in
                ``options`` (an unknown option, named).
        """
        transport = options.pop("transport", None)
        if transport is not None and {"verify", "pool_size", "deadline"} & set(options):
            raise InvalidOptionError(
                "verify, pool_size and deadline configure the default transport; set them on the transport you pass",
                driver,
            )
        connection = cls(
            error_parser=error_parser, driver=driver, timeout=_timeout(options.pop("timeout", _DEFAULT_TIMEOUT)),
            retry=options.pop("retry", None), verify=options.pop("verify", True),
            pool_size=options.pop("pool_size", pool_size), transport=transport, hooks=options.pop("hooks", None),
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

    def stall(self) -> Stall:
        """A new stall judged by this connection's retry policy (see :class:`Stall`)."""
        return Stall(self.retry, self._sleep)

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
        """Send a request, retrying what the policy allows; raise the typed error for a failure.

        ``data`` may be bytes, a seekable file, a callable returning a fresh body (all of
        which are replayed on retry) or any other iterable (sent once, never retried).
        ``accept`` lists statuses >= 300 that are answers, not errors (GCS resumable
        uploads answer 308, and 499 to a cancel). Inside an operation's :meth:`Stall.active`
        the attempts count in that operation's stall.
        """
        url = with_params(url, params)
        # a body in memory is sent again as it is; anything else is wound back (or made afresh)
        body = None if data is None or isinstance(data, _IN_MEMORY) else _Replayable(data)
        may_retry = (method in IDEMPOTENT_METHODS if idempotent is None else idempotent) and (
            body is None or body.replayable)
        stall: Stall | None = None  # found at the first failure: most requests never need one
        sign = auth or self.auth
        attempt = 0
        while True:
            attempt += 1
            request = self._prepare(method, url, headers, data if body is None else body.body())
            if sign is not None:
                request = sign(request)
            event = self._before(request, attempt)
            started = time.monotonic()
            try:
                response = self.transport.send(request, timeout=timeout or self.timeout, stream=stream)
            except TransportError as exc:
                failure = redact(str(exc)) or type(exc).__name__
                self._after(event, started, None, None, type(exc).__name__)
                error: StorageKitError = ConnectionBrokenError(
                    f"{method} {redact(url)} failed: {failure}", self.driver, container_name=container_name,
                    object_name=object_name, retryable=True,
                )
                if may_retry and (stall := stall or self._stall()).again(error):
                    continue
                raise error from None
            except StorageKitError as exc:  # the transport's own typed errors (TLS, framing, limits)
                self._after(event, started, None, None, type(exc).__name__)
                _add_context(exc, self.driver, container_name, object_name)
                if may_retry and (stall := stall or self._stall()).again(exc):
                    continue
                raise
            status = response.status_code
            self._after(event, started, status, response.headers, None)
            if status < 300 or status in accept or (status == 304 and method in ("GET", "HEAD")):
                return response
            error = self.error_parser(response, RequestContext(method, url, self.driver, container_name, object_name))
            response.close()
            if may_retry and (stall := stall or self._stall()).again(
                    error, parse_retry_after(response.headers.get("Retry-After"))):
                continue
            raise error

    def _stall(self) -> Stall:
        """The stall a request's failures count in: the current operation's, else one of its own."""
        return Stall.current() or self.stall()

    def _prepare(self, method: str, url: str, headers: Mapping[str, str] | None, body: Any) -> Request:
        """The request as it goes on the wire: defaults, ``Host`` and ``Content-Length`` set, so
        an auth callable signs exactly what is sent."""
        match = _NETLOC_PATH(url)
        if match is not None and match[2]:
            netloc = match[1]
        else:  # no path, or not plainly scheme://netloc/path: urlsplit decides
            parts = urlsplit(url)
            if not parts.path:  # an empty path is "/" (RFC 9110): send and sign it so
                url = parts._replace(path="/").geturl()
            netloc = parts.netloc
        request = Request(method, url, self.headers, body)
        if headers:
            request.headers.update(headers)
        request.headers["Host"] = netloc
        length = body_length(body)
        if length is not None and (body is not None or method not in ("GET", "HEAD")):
            request.headers["Content-Length"] = str(length)
        return request

    def _before(self, request: Request, attempt: int) -> RequestEvent | None:
        """The redacted view of an attempt, shown to the request hooks (None if nobody looks)."""
        if not (self.hooks["request"] or self.hooks["response"] or log.isEnabledFor(logging.DEBUG)):
            return None
        event = RequestEvent(request.method, redact(request.url), redact_headers(request.headers), attempt)
        for hook in self.hooks["request"]:
            hook(event)
        return event

    def _after(
        self, event: RequestEvent | None, started: float, status: int | None, headers: Mapping[str, str] | None,
        error: str | None,
    ) -> None:
        """Log an attempt's outcome and show it to the response hooks."""
        if event is None:
            return
        elapsed = time.monotonic() - started
        outcome = ResponseEvent(event, status, redact_headers(headers or {}), elapsed, error)
        for hook in self.hooks["response"]:
            hook(outcome)
        retry = f" (attempt {event.attempt})" if event.attempt > 1 else ""
        log.debug("%s %s -> %s in %.1f ms%s", event.method, event.url, status or error, elapsed * 1000, retry)


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
