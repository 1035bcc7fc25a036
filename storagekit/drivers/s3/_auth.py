"""SigV4 for S3, by hand: the ``Authorization`` header signer and query-string presigning.

Written from the Amazon S3 API reference ("Authenticating Requests (AWS Signature Version
4)"). What S3 does differently from the generic SigV4 rules, and what is done here:

* the canonical URI is the path exactly as sent (S3 neither normalises ``a//b`` or
  ``a/./b`` nor encodes twice): the driver already encodes keys the way SigV4 wants;
* the canonical query decodes each name and value and encodes it again, so that what is
  signed does not depend on how the caller chose to escape it;
* the payload hash is a header (``x-amz-content-sha256``): a caller that sets it
  (``UNSIGNED-PAYLOAD``, a digest computed while reading a file) spares the hashing,
  otherwise the (bytes) body is hashed here.

:func:`authorization` is the pure calculation, tested against AWS's published examples;
:class:`SigV4Auth` applies it to a request. The signing key is derived once per day and
region (:func:`_signing_key`).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
from collections.abc import Mapping, MutableMapping
from functools import lru_cache
from typing import Any, Protocol, TypeVar
from urllib.parse import quote, unquote_to_bytes

from ...types import InvalidOptionError
from ._credentials import Credentials

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_PRESIGN_SECONDS = 7 * 24 * 3600
"""SigV4 presigned URLs live at most seven days."""

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
SIGNED_HEADERS = frozenset({"content-md5", "content-type", "range", "if-match", "if-none-match"})
"""Headers signed when present, besides ``host`` and every ``x-amz-*`` header."""

_URL = re.compile(r"[^:/?#]+://([^/?#]*)([^?#]*)(?:\?([^#]*))?")
"""scheme://netloc path ?query (#fragment): netloc, path and query, none of them decoded."""
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch
"""Text that SigV4's URI encoding leaves as it is."""
_SHA256 = hashlib.sha256


class Request(Protocol):
    """What the signer needs of a request (``storagekit.transport.Request`` has it).

    ``method`` in upper case; ``url`` as ``scheme://host[:port]/path?query``, path and query
    encoded exactly as sent; ``headers`` a case-insensitive mapping; ``body`` bytes-like or
    None, unless ``x-amz-content-sha256`` is already set.
    """

    @property
    def method(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def headers(self) -> MutableMapping[str, str]: ...
    @property
    def body(self) -> Any: ...


_R = TypeVar("_R", bound=Request)


def _uri_encode(text: str) -> str:
    """A query name or value as SigV4 signs it: decoded, then encoded with only ``-_.~`` kept."""
    return text if _UNRESERVED(text) else _reencode(text)


@lru_cache(maxsize=1024)
def _reencode(text: str) -> str:
    """The slow path of :func:`_uri_encode`, cached: the same prefixes and upload ids recur."""
    return quote(unquote_to_bytes(text), safe="-_.~")


def canonical_query(query: str) -> str:
    """The canonical query string: ``name=value`` pairs URI-encoded, sorted by name then value.

    ``query`` is the raw query as sent; a parameter without ``=`` has an empty value.
    """
    if not query:
        return ""
    pairs = []
    for item in query.split("&"):
        if item:
            name, _, value = item.partition("=")
            pairs.append((_uri_encode(name), _uri_encode(value)))
    pairs.sort()
    return "&".join([f"{name}={value}" for name, value in pairs])


def canonical_request(
    method: str, path: str, query: str, headers: Mapping[str, str], payload_hash: str
) -> tuple[str, str]:
    """(the canonical request, its ``SignedHeaders`` list) for exactly these ``headers``.

    Header names are lowercased; values are trimmed and inner runs of whitespace collapsed
    to one space. ``path`` is used as given (``/`` if empty), ``query`` is canonicalised.
    """
    values: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        text = _trimmed(value)
        values[key] = f"{values[key]},{text}" if key in values else text
    return _canonical(method, path, query, values, payload_hash)


def _trimmed(value: Any) -> str:
    """A header value as SigV4 signs it: trimmed, inner runs of whitespace collapsed to one space."""
    return " ".join((value if isinstance(value, str) else str(value)).split())


def _canonical(method: str, path: str, query: str, values: Mapping[str, str], payload_hash: str) -> tuple[str, str]:
    """:func:`canonical_request` for ``values`` already keyed by lowercased name, each trimmed and
    each name once (what the signer builds in one pass over a request's headers)."""
    names = sorted(values)
    signed = ";".join(names)
    canonical_headers = "".join([f"{name}:{values[name]}\n" for name in names])
    text = f"{method}\n{path or '/'}\n{canonical_query(query)}\n{canonical_headers}\n{signed}\n{payload_hash}"
    return text, signed


def authorization(
    method: str, path: str, query: str, headers: Mapping[str, str], payload_hash: str, amz_date: str,
    credentials: Credentials, region: str, service: str = "s3",
) -> str:
    """The ``Authorization`` header value that signs exactly ``headers`` (names in any case).

    ``amz_date`` is the request time as ``YYYYMMDDTHHMMSSZ`` (the ``x-amz-date`` value,
    which ``headers`` should include); ``payload_hash`` is the ``x-amz-content-sha256`` value;
    ``service`` is the signing name (``s3``, or ``sts`` for the credential calls).
    """
    canonical, signed = canonical_request(method, path, query, headers, payload_hash)
    key = _keyed(_signing_key(credentials.secret_key.reveal(), amz_date[:8], region, service))
    return _signed(canonical, signed, amz_date, f"{credentials.access_key}/", f"/{region}/{service}/aws4_request", key)


def _keyed(key: bytes) -> hmac.HMAC:
    """An HMAC-SHA256 keyed with a day's signing key, copied for each signature (a copy costs
    less than keying a new one: no digest to look up, no key to hash in)."""
    return hmac.new(key, digestmod=hashlib.sha256)


def _signed(canonical: str, signed: str, amz_date: str, credential: str, scope_tail: str, key: hmac.HMAC) -> str:
    """The ``Authorization`` value for a canonical request: ``credential`` is the access key id and
    a slash, ``scope_tail`` the scope after its date, ``key`` that day's signing key (:func:`_keyed`)."""
    scope = f"{amz_date[:8]}{scope_tail}"
    to_sign = f"{ALGORITHM}\n{amz_date}\n{scope}\n{_SHA256(canonical.encode()).hexdigest()}"
    mac = key.copy()
    mac.update(to_sign.encode())
    signature = mac.hexdigest()
    # ", " between the parts, as AWS's SDKs send it (the published examples show "," alone: both are accepted)
    return f"{ALGORITHM} Credential={credential}{scope}, SignedHeaders={signed}, Signature={signature}"


def _hash_body(body: Any) -> str:
    """The hex SHA-256 of a body held in memory (None is empty)."""
    if body is None or (isinstance(body, (bytes, bytearray)) and not body):
        return EMPTY_SHA256
    if isinstance(body, (bytes, bytearray, memoryview)):
        return _SHA256(body).hexdigest()
    if isinstance(body, str):
        return _SHA256(body.encode()).hexdigest()
    raise TypeError(
        f"cannot hash a {type(body).__name__} body to sign it: set x-amz-content-sha256 "
        f"(its digest, or {UNSIGNED_PAYLOAD}) before signing"
    )


def _amz_date(when: datetime.datetime) -> str:
    """``when`` as SigV4 writes it, ``YYYYMMDDTHHMMSSZ`` in UTC (a naive time is taken as UTC)."""
    global _last_stamp
    second = when.timestamp() // 1 if when.tzinfo else None
    last = _last_stamp
    if second is not None and second == last[0]:
        return last[1]  # the same second as the last request's: formatting costs more than this
    if when.utcoffset():
        when = when.astimezone(datetime.timezone.utc)
    iso = when.isoformat()  # YYYY-MM-DDTHH:MM:SS..., twice as fast as strftime
    stamp = f"{iso[:4]}{iso[5:7]}{iso[8:13]}{iso[14:16]}{iso[17:19]}Z"
    if second is not None:
        _last_stamp = (second, stamp)
    return stamp


_last_stamp: tuple[float | None, str] = (None, "")
"""(the POSIX second, its ``x-amz-date``) of the last aware time formatted."""


class SigV4Auth:
    """Signs S3 requests in place with the ``Authorization`` header, for one region (and
    service: ``sts`` signs the credential calls of :mod:`storagekit.credentials.sts`).

    Sets ``x-amz-date``, ``x-amz-security-token`` (temporary credentials),
    ``x-amz-content-sha256`` (kept if the caller set it) and ``Authorization``; signs
    ``host``, the headers in :data:`SIGNED_HEADERS` that are present and every ``x-amz-*``.
    The day's signing key is kept with the signer (one derivation a day, not one a request).
    """

    __slots__ = ("_credential", "_day_key", "_scope_tail", "credentials", "region", "service")

    def __init__(self, credentials: Credentials, region: str, service: str = "s3") -> None:
        self.credentials = credentials
        self.region = region
        self.service = service
        self._credential = f"{credentials.access_key}/"
        self._scope_tail = f"/{region}/{service}/aws4_request"
        self._day_key: tuple[str, hmac.HMAC | None] = ("", None)
        """(YYYYMMDD, that day's signing key): one tuple, so threads never see a day with another's key."""

    def __repr__(self) -> str:
        return f"<SigV4Auth access_key={self.credentials.access_key!r} region={self.region!r}>"

    def __call__(self, request: _R) -> _R:
        """Sign ``request`` (its URL already encoded exactly as it will be sent) and return it."""
        match = _URL.match(request.url)
        if match is None:
            raise ValueError("cannot sign a request whose URL has no scheme://host")
        netloc, path, query = match.groups()
        headers = request.headers
        stamp = _amz_date(utcnow())
        headers["x-amz-date"] = stamp
        if self.credentials.token:
            headers["x-amz-security-token"] = self.credentials.token.reveal()
        content_hash = headers.get("x-amz-content-sha256")
        if content_hash is None:
            content_hash = headers["x-amz-content-sha256"] = _hash_body(request.body)
        lower_items = getattr(headers, "lower_items", None)
        if lower_items is None:  # not storagekit's CaseInsensitiveDict: the general calculation
            signed = {"host": netloc}
            for name, value in headers.items():
                lower = name.lower()
                if lower.startswith("x-amz-") or lower in SIGNED_HEADERS:
                    signed[lower] = value
            canonical, names = canonical_request(request.method, path, query or "", signed, content_hash)
        else:  # lowercased names, each once: trimmed and canonicalised in one pass
            values = {"host": _trimmed(netloc)}
            for lower, value in lower_items():
                if lower.startswith("x-amz-") or lower in SIGNED_HEADERS:
                    values[lower] = _trimmed(value)
            canonical, names = _canonical(request.method, path, query or "", values, content_hash)
        day, key = self._day_key
        if day != stamp[:8] or key is None:
            day = stamp[:8]
            key = _keyed(_signing_key(self.credentials.secret_key.reveal(), day, self.region, self.service))
            self._day_key = (day, key)
        headers["Authorization"] = _signed(canonical, names, stamp, self._credential, self._scope_tail, key)
        return request


def header_auth(credentials: Credentials, region: str) -> SigV4Auth:
    """The request signer for one region."""
    return SigV4Auth(credentials, region)


@lru_cache(maxsize=32)
def _signing_key(secret: str, date: str, region: str, service: str = "s3") -> bytes:
    key = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for step in (region, service, "aws4_request"):
        key = hmac.new(key, step.encode(), hashlib.sha256).digest()
    return key


def utcnow() -> datetime.datetime:
    """The signing clock (a function so tests can fix it)."""
    return datetime.datetime.now(datetime.timezone.utc)


def presign(
    credentials: Credentials, region: str, method: str, host: str, path: str, expires_in: int,
    now: datetime.datetime | None = None,
) -> str:
    """The SigV4 query string (``X-Amz-*`` parameters) that lets anyone send this one request.

    ``path`` is the already URI-encoded path; only the ``host`` header is signed and
    the payload is ``UNSIGNED-PAYLOAD``, as AWS's own presigners do.

    Raises:
        InvalidOptionError: ``expires_in`` is longer than SigV4 allows (7 days).
    """
    if expires_in > MAX_PRESIGN_SECONDS:
        raise InvalidOptionError(f"S3 presigned URLs expire within {MAX_PRESIGN_SECONDS} seconds (7 days), "
                                 f"not {expires_in}")
    when = now or utcnow()
    stamp, date = when.strftime("%Y%m%dT%H%M%SZ"), when.strftime("%Y%m%d")
    scope = f"{date}/{region}/s3/aws4_request"
    params = {
        "X-Amz-Algorithm": ALGORITHM,
        "X-Amz-Credential": f"{credentials.access_key}/{scope}",
        "X-Amz-Date": stamp,
        "X-Amz-Expires": str(expires_in),
        "X-Amz-SignedHeaders": "host",
    }
    if credentials.token:
        params["X-Amz-Security-Token"] = credentials.token.reveal()
    query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(params.items()))
    canonical = f"{method}\n{path}\n{query}\nhost:{host}\n\nhost\n{UNSIGNED_PAYLOAD}"
    to_sign = f"{ALGORITHM}\n{stamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    signature = hmac.new(_signing_key(credentials.secret_key.reveal(), date, region), to_sign.encode(), hashlib.sha256)
    return f"{query}&X-Amz-Signature={signature.hexdigest()}"
