"""SigV4 for S3: header signing through requests-aws4auth, query-string presigning by hand.

requests-aws4auth hashes the whole (bytes) body itself to fill ``x-amz-content-sha256``,
so nothing here hashes a body again. Two of its canonicalisation steps are wrong for S3
and are replaced: it normalises the path (``a//b``, ``a/./b`` would sign a different
key than the one sent) and splits header values with ``shlex`` (a metadata value with
one apostrophe would raise).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from functools import lru_cache
from urllib.parse import quote

from requests_aws4auth import AWS4Auth

from ._credentials import Credentials

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_PRESIGN_SECONDS = 7 * 24 * 3600
"""SigV4 presigned URLs live at most seven days."""


class SigV4Auth(AWS4Auth):
    """requests-aws4auth, with S3's canonical path and whitespace rules."""

    def amz_cano_path(self, path: str) -> str:
        """The path exactly as sent: the driver already encodes it the way SigV4 wants for S3."""
        return path

    @staticmethod
    def amz_norm_whitespace(text: str) -> str:
        return " ".join(text.split()) if " " in text or "\t" in text else text


def header_auth(credentials: Credentials, region: str) -> SigV4Auth:
    """The request signer for one region."""
    return SigV4Auth(credentials.access_key, credentials.secret_key, region, "s3",
                     session_token=credentials.token)


@lru_cache(maxsize=32)
def _signing_key(secret: str, date: str, region: str) -> bytes:
    key = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for step in (region, "s3", "aws4_request"):
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
    """
    when = now or utcnow()
    stamp, date = when.strftime("%Y%m%dT%H%M%SZ"), when.strftime("%Y%m%d")
    scope = f"{date}/{region}/s3/aws4_request"
    params = {
        "X-Amz-Algorithm": ALGORITHM,
        "X-Amz-Credential": f"{credentials.access_key}/{scope}",
        "X-Amz-Date": stamp,
        "X-Amz-Expires": str(min(expires_in, MAX_PRESIGN_SECONDS)),
        "X-Amz-SignedHeaders": "host",
    }
    if credentials.token:
        params["X-Amz-Security-Token"] = credentials.token
    query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(params.items()))
    canonical = f"{method}\n{path}\n{query}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD"
    to_sign = f"{ALGORITHM}\n{stamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    signature = hmac.new(_signing_key(credentials.secret_key, date, region), to_sign.encode(), hashlib.sha256)
    return f"{query}&X-Amz-Signature={signature.hexdigest()}"
