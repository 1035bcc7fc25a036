"""GCS V4 signed URLs (GOOG4-RSA-SHA256), signed with the credentials' ``sign_bytes``.

The algorithm is Google's "V4 signing process with your own program": a canonical
request over the method, the path, the sorted ``X-Goog-*`` query and the ``host``
header; a string to sign over its SHA-256; an RSA-SHA256 signature in hex.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import google.auth.credentials

from ...types import InvalidCredsError, InvalidOptionError, NotSupportedError

ALGORITHM = "GOOG4-RSA-SHA256"
MAX_EXPIRES = 7 * 24 * 3600
"""V4 signed URLs live at most seven days."""


@dataclass(frozen=True)
class SignedURL:
    """A signed URL and the two strings it was derived from (kept for tests and debugging)."""

    url: str
    canonical_request: str
    string_to_sign: str


def _encode(value: str, safe: str = "") -> str:
    return quote(value, safe="-_.~" + safe)


def presign(
    credentials: google.auth.credentials.Credentials | None,
    endpoint: str,
    bucket: str,
    name: str,
    method: str,
    expires_in: int,
    now: datetime.datetime | None = None,
) -> SignedURL:
    """A V4 signed URL for ``method`` on ``bucket/name`` at ``endpoint``, valid ``expires_in`` s.

    Raises NotSupportedError for credentials that cannot sign (anonymous, user or
    metadata-server tokens) and InvalidOptionError for an expiry beyond seven days.
    """
    if not isinstance(credentials, google.auth.credentials.Signing):
        kind = type(credentials).__name__ if credentials is not None else "anonymous access"
        raise NotSupportedError(
            f"{kind} cannot sign URLs: use a service-account key (or impersonated credentials)"
        )
    if expires_in > MAX_EXPIRES:
        raise InvalidOptionError(f"GCS signed URLs expire within {MAX_EXPIRES} seconds, not {expires_in}")
    when = (now or datetime.datetime.now(datetime.timezone.utc)).astimezone(datetime.timezone.utc)
    timestamp, day = when.strftime("%Y%m%dT%H%M%SZ"), when.strftime("%Y%m%d")
    scope = f"{day}/auto/storage/goog4_request"
    parts = urlsplit(endpoint)
    path = "/" + _encode(bucket) + "/" + _encode(name, safe="/")
    query = "&".join(
        f"{_encode(key)}={_encode(value)}"
        for key, value in sorted(
            {
                "X-Goog-Algorithm": ALGORITHM,
                "X-Goog-Credential": f"{credentials.signer_email}/{scope}",
                "X-Goog-Date": timestamp,
                "X-Goog-Expires": str(expires_in),
                "X-Goog-SignedHeaders": "host",
            }.items()
        )
    )
    canonical = f"{method}\n{path}\n{query}\nhost:{parts.netloc}\n\nhost\nUNSIGNED-PAYLOAD"
    to_sign = f"{ALGORITHM}\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    try:
        signature = credentials.sign_bytes(to_sign.encode()).hex()
    except Exception as error:  # noqa: BLE001 - a signer may fail in any way (IAM API, HSM); say which
        raise InvalidCredsError(f"could not sign the URL with {type(credentials).__name__}: "
                                f"{type(error).__name__}") from None
    url = f"{parts.scheme}://{parts.netloc}{path}?{query}&X-Goog-Signature={signature}"
    return SignedURL(url, canonical, to_sign)
