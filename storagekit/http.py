"""The HTTP layer every cloud driver shares: one pooled session, timeouts, retries, errors.

A driver hands :class:`Connection` an ``auth`` callable (requests' ``AuthBase``) and an
``error_parser`` that turns a failed response into a typed exception. The connection
retries what is safe to retry and logs each request at DEBUG with secrets redacted;
call sites never look at status codes.
"""

from __future__ import annotations

import email.utils
import logging
import os
import random
import re
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from .types import ConnectionBrokenError, InvalidOptionError, StorageKitError

log = logging.getLogger("storagekit.http")

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


ErrorParser = Callable[[requests.Response, "RequestContext"], StorageKitError]
"""Turns a response with status >= 300 into the typed exception it means."""


@dataclass(frozen=True)
class RequestContext:
    """What a request was about, so errors can name the container and object."""

    method: str
    url: str
    driver: Any = None
    container_name: str | None = None
    object_name: str | None = None


def _env_ca_bundle() -> str | bool:
    """The CA bundle requests would take from the environment, or True for its default."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True


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


class Connection:
    """One pooled ``requests.Session`` with timeouts, retries and typed errors.

    Usage::

        conn = Connection(error_parser=parse_s3_error, auth=AWS4Auth(...), driver=self)
        response = conn.request("GET", url, object_name="a.txt", stream=True)
    """

    def __init__(
        self,
        *,
        error_parser: ErrorParser,
        auth: Callable[[requests.PreparedRequest], requests.PreparedRequest] | None = None,
        driver: Any = None,
        timeout: tuple[float, float] = (10.0, 60.0),
        retry: RetryPolicy | None = None,
        verify: bool | str = True,
        pool_size: int = 16,
        headers: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.error_parser = error_parser
        self.driver = driver
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self.session = requests.Session()
        self.session.auth = auth  # type: ignore[assignment]
        # requests reads proxy settings from the environment on every request when trust_env is
        # on (a sixth of a small request's CPU); read them once per host instead, and the CA bundle once.
        self.session.trust_env = False
        self.session.verify = _env_ca_bundle() if verify is True else verify
        self._proxies: dict[tuple[str, str], dict[str, str]] = {}
        if headers:
            self.session.headers.update(headers)
        adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    @classmethod
    def from_options(
        cls, options: dict[str, Any], *, error_parser: ErrorParser, driver: Any, pool_size: int = 16,
        **fixed: Any,
    ) -> Connection:
        """A connection from a driver's keyword options: ``timeout`` (seconds, or (connect, read)),
        ``retry`` (a RetryPolicy), ``verify`` (TLS: bool or CA bundle path) and ``pool_size``.

        They are popped from ``options``; anything left over is an unknown option and raises
        InvalidOptionError naming it.
        """
        timeout = options.pop("timeout", (10.0, 60.0))
        if not isinstance(timeout, tuple):
            timeout = (float(timeout), float(timeout))
        connection = cls(
            error_parser=error_parser, driver=driver, timeout=timeout, retry=options.pop("retry", None),
            verify=options.pop("verify", True), pool_size=options.pop("pool_size", pool_size), **fixed,
        )
        if options:
            raise InvalidOptionError(f"unknown {type(driver).__name__} option(s): {', '.join(sorted(options))}",
                                     driver)
        return connection

    def __repr__(self) -> str:
        return f"<Connection driver={type(self.driver).__name__}>"

    def close(self) -> None:
        """Release the pooled connections."""
        self.session.close()

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
        auth: Any = None,
        accept: Collection[int] = (),
    ) -> requests.Response:
        """Send a request, retrying what is safe to retry; raise the typed error for a failure.

        ``data`` may be bytes, a seekable file, a callable returning a fresh body (all of
        which are replayed on retry) or any other iterable (sent once, never retried).
        ``accept`` lists statuses >= 300 that are answers, not errors (GCS resumable
        uploads answer 308, and 499 to a cancel).
        """
        context = RequestContext(method, url, self.driver, container_name, object_name)
        body = _Replayable(data)
        may_retry = (method in IDEMPOTENT_METHODS if idempotent is None else idempotent) and body.replayable
        attempts = self.retry.max_attempts if may_retry else 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            started = time.monotonic()
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    headers=headers,
                    data=body.body(),
                    stream=stream,
                    timeout=timeout or self.timeout,
                    allow_redirects=False,
                    auth=auth,
                    proxies=self._proxies_for(url),
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                self._log(context, f"{type(exc).__name__}", started, attempt)
                if last:
                    raise ConnectionBrokenError(
                        f"{method} {redact(url)} failed: {redact(str(exc))}",
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

    def _proxies_for(self, url: str) -> dict[str, str]:
        """The environment's proxies for a URL's scheme and host (``NO_PROXY`` honoured), cached."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        proxies = self._proxies.get(key)
        if proxies is None:
            proxies = self._proxies[key] = requests.utils.get_environ_proxies(url)
        return proxies

    @staticmethod
    def _log(context: RequestContext, outcome: str, started: float, attempt: int) -> None:
        if log.isEnabledFor(logging.DEBUG):
            elapsed = (time.monotonic() - started) * 1000
            retry = f" (attempt {attempt + 1})" if attempt else ""
            log.debug("%s %s -> %s in %.1f ms%s", context.method, redact(context.url), outcome, elapsed, retry)


def iter_body(
    response: requests.Response,
    chunk_size: int,
    *,
    driver: Any = None,
    container_name: str | None = None,
    object_name: str | None = None,
) -> Iterator[bytes]:
    """Yield a streamed response body; a connection that breaks midway raises a retryable error."""
    try:
        yield from response.iter_content(chunk_size)
    except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
        raise ConnectionBrokenError(
            f"the connection broke while reading {object_name or 'the response'}: {redact(str(exc))}",
            driver,
            container_name=container_name,
            object_name=object_name,
            retryable=True,
        ) from None
    finally:
        response.close()
