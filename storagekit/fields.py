"""Numbers and digests read out of service answers, each checked, so that a malformed answer is a
MalformedResponseError naming what was wrong, never a bare ``ValueError`` or ``binascii.Error``.

Sizes are what ``Content-Length``, ``<Size>``, ``<Content-Length>`` and a JSON ``size`` say;
digests are the base64 checksum headers and fields (``Content-MD5``, ``x-amz-checksum-crc32c``,
``md5Hash``, ...).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from .types import MalformedResponseError

_DECIMAL = re.compile(r"[0-9]{1,20}")
"""A byte count: ASCII digits only (no sign, no spaces, no '²'), at most 20 of them."""


def size(value: Any, what: str, driver: Any = None, *, object_name: str | None = None) -> int:
    """A non-negative byte count from a header, an XML element's text or a JSON field.

    Args:
        value: the text as received (an int too, as JSON may give one).
        what: where it came from, for the message (``"Content-Length"``, ``"<Size>"``).

    Raises:
        MalformedResponseError: ``value`` is not a plain non-negative decimal integer.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        return int(value)
    raise MalformedResponseError(
        f"the service sent {what} {_shown(value)}, which is not a byte count", driver, object_name=object_name
    )


def base64_digest(
    value: str, what: str, driver: Any = None, *, length: int, object_name: str | None = None
) -> bytes:
    """The ``length`` bytes of a base64-encoded digest.

    Raises:
        MalformedResponseError: ``value`` is not base64, or not of a digest of that length.
    """
    try:
        digest = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)  # padding optional
    except (binascii.Error, TypeError, ValueError):
        digest = b""
    if len(digest) != length:
        raise MalformedResponseError(
            f"the service sent {what} {_shown(value)}, which is not the base64 of a {length}-byte digest",
            driver, object_name=object_name,
        )
    return digest


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:60]}..."
