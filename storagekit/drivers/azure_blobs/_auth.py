"""Request authorization for Azure Blob Storage: Shared Key, SAS tokens and bearer tokens.

Each is an auth callable applied to the request as sent (and again on each retry, so retries re-sign).
Shared Key follows Microsoft's "Authorize with Shared Key" rules (Blob service, version
2015-02-21 and later); see :func:`string_to_sign`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from collections.abc import Callable, Mapping
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from azure.core.exceptions import ClientAuthenticationError

from ...http import redact
from ...secret import Secret
from ...transport import Request
from ...types import InvalidCredsError, InvalidOptionError

STORAGE_SCOPE = "https://storage.azure.com/.default"
"""The OAuth scope of Azure Storage (data plane)."""

_SIGNED_HEADERS = (
    "content-encoding",
    "content-language",
    "content-length",
    "content-md5",
    "content-type",
    "date",
    "if-modified-since",
    "if-match",
    "if-none-match",
    "if-unmodified-since",
    "range",
)
# The service compares canonical header names as Windows "word sort" does: hyphens are
# ignored at first and punctuation such as "_" sorts before digits and letters.
_COLLATION = str.maketrans({"_": "!"})


def _header_order(name: str) -> tuple[str, str]:
    return name.replace("-", "").translate(_COLLATION), name


def string_to_sign(method: str, url: str, headers: Mapping[str, str], account: str) -> str:
    """The Shared Key string to sign for a request (Blob service, version 2015-02-21+).

    VERB, the eleven standard headers (Content-Length empty when 0), the ``x-ms-*``
    headers lowercased, sorted and trimmed (inner whitespace is kept: values are sent
    unfolded, and the service and Azurite keep it), then ``/account/path`` and each query
    parameter as ``\\nname:value`` (name lowercased, value decoded, names sorted,
    repeated values joined by commas).
    """
    lowered = {name.lower(): str(value).strip() for name, value in headers.items()}
    standard = [lowered.get(name, "") for name in _SIGNED_HEADERS]
    if standard[2] == "0":
        standard[2] = ""
    x_ms = sorted((name for name in lowered if name.startswith("x-ms-")), key=_header_order)
    canonical_headers = "".join(f"{name}:{lowered[name]}\n" for name in x_ms)
    parts = urlsplit(url)
    resource = f"/{account}{parts.path or '/'}"
    if parts.query:
        params: dict[str, list[str]] = {}
        for name, value in parse_qsl(parts.query, keep_blank_values=True):
            params.setdefault(name.lower(), []).append(value)
        resource += "".join(f"\n{name}:{','.join(sorted(params[name]))}" for name in sorted(params))
    return "\n".join([method.upper(), *standard]) + "\n" + canonical_headers + resource


def sign(key: bytes, text: str) -> str:
    """Base64 HMAC-SHA256 of ``text`` under a decoded account key."""
    return base64.b64encode(hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()).decode()


def decode_key(key: str) -> bytes:
    """An account key as bytes; InvalidOptionError (without the key in it) if it is not base64."""
    try:
        return base64.b64decode(key, validate=True)
    except (ValueError, TypeError):
        raise InvalidOptionError("the Azure account key is not valid base64") from None


_date_cache: tuple[int, str] = (0, "")


def http_date() -> str:
    """The current time as an RFC 1123 date, computed at most once a second."""
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, formatdate(now, usegmt=True))
    return _date_cache[1]


class SharedKeyAuth:
    """Signs each request with the account key (``Authorization: SharedKey account:signature``).

    ``keys`` returns the current (account name, base64 key): a fixed pair, or an
    ``AzureNamedKeyCredential`` read on every request so a rotated key is picked up. The key is
    kept in that callable's closure and, decoded, in a :class:`~storagekit.secret.Secret`.
    """

    def __init__(self, keys: Callable[[], tuple[str, str]]) -> None:
        self._keys = keys
        self._decoded: Secret[str] | None = None
        self._key: Secret[bytes] = Secret(b"")

    def __repr__(self) -> str:
        return "<SharedKeyAuth>"

    def account_key(self) -> tuple[str, bytes]:
        """The account name and its decoded key."""
        account, key = self._keys()
        if self._decoded is None or self._decoded.reveal() != key:
            self._decoded, self._key = Secret(key), Secret(decode_key(key))
        return account, self._key.reveal()

    def __call__(self, request: Request) -> Request:
        account, key = self.account_key()
        request.headers["x-ms-date"] = http_date()
        text = string_to_sign(request.method or "GET", request.url or "", request.headers, account)
        request.headers["Authorization"] = f"SharedKey {account}:{sign(key, text)}"
        return request


class SasAuth:
    """Appends a SAS token to each request's query string (read anew each time: it may rotate)."""

    def __init__(self, token: Callable[[], str]) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "<SasAuth>"

    def __call__(self, request: Request) -> Request:
        token = self._token().lstrip("?")
        url = request.url or ""
        request.url = f"{url}{'&' if '?' in url else '?'}{token}"
        return request


class BearerTokenAuth:
    """``Authorization: Bearer`` from an azure-core TokenCredential, refreshed before it expires.

    Any object with ``get_token(*scopes)`` or ``get_token_info(*scopes)`` works (azure-identity's
    credentials have both). A bearer token goes only over HTTPS: a request to a plain-http URL is
    refused before it is sent (and before a token is asked for), as the Azure SDK does.
    """

    refresh_margin = 300.0
    """Seconds before expiry at which a cached token is replaced."""

    def __init__(self, credential: Any, scope: str = STORAGE_SCOPE, clock: Callable[[], float] = time.time) -> None:
        self.credential = credential
        self._scope = scope
        self._clock = clock
        self._lock = threading.Lock()
        self._token: Secret[str] | None = None
        self._expires_on = 0.0
        self._refresh_on = float("inf")

    def __repr__(self) -> str:
        return f"<BearerTokenAuth credential={type(self.credential).__name__}>"

    def token(self) -> str:
        """A token valid for at least ``refresh_margin`` more seconds (fetched only when needed)."""
        with self._lock:
            now = self._clock()
            if self._token is None or now >= self._refresh_on or self._expires_on - now < self.refresh_margin:
                self._fetch()
            return self._token.reveal()  # type: ignore[union-attr]

    def _fetch(self) -> None:
        """Ask the credential: ``get_token_info`` (with its ``refresh_on`` hint) where it has one."""
        get_token_info = getattr(self.credential, "get_token_info", None)
        try:
            if callable(get_token_info):
                info = get_token_info(self._scope)
                refresh_on = getattr(info, "refresh_on", None)
            else:
                info, refresh_on = self.credential.get_token(self._scope), None
        except ClientAuthenticationError as error:  # azure-identity's CredentialUnavailableError included
            raise InvalidCredsError(
                f"{type(self.credential).__name__} gave no token for Azure Storage: {redact(error.message or '')}"
            ) from None
        self._token, self._expires_on = Secret(info.token), float(info.expires_on)
        self._refresh_on = float(refresh_on) if refresh_on else float("inf")

    def __call__(self, request: Request) -> Request:
        url = urlsplit(request.url or "")
        if url.scheme.lower() != "https":
            raise InvalidOptionError(
                f"a bearer token is sent only over HTTPS, and {url.scheme}://{url.netloc} is not: use an https "
                "endpoint (or, for an emulator over http, its account key or a SAS)"
            )
        request.headers["Authorization"] = f"Bearer {self.token()}"
        return request
