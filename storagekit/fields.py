"""Values read out of service answers, each checked, so that a malformed answer is a
MalformedResponseError naming what was wrong, never a bare ``ValueError``, ``KeyError`` or
``binascii.Error``.

Sizes are what ``Content-Length``, ``<Size>``, ``<Content-Length>`` and a JSON ``size`` say;
digests are the base64 checksum headers and fields (``Content-MD5``, ``x-amz-checksum-crc32c``,
``md5Hash``, ...); JSON bodies must be objects, and those parsed whole may be capped in size.
"""

from __future__ import annotations

import binascii
import io
import json
import re
import tempfile
from typing import Any

from .types import MalformedResponseError
from .xmlparser import Readable

_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
"""Base64 with nothing outside its alphabet (``binascii`` alone would skip such characters)."""
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
    if type(value) is str and value.isascii() and value.isdigit() and len(value) <= 20:  # what _DECIMAL matches
        return int(value)
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
        padded = value + "=" * (-len(value) % 4)  # padding optional
        # what b64decode(validate=True) checks, without its wrappers (a listing checks thousands)
        digest = binascii.a2b_base64(padded) if _BASE64.fullmatch(padded) else b""
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


def read_capped(body: Readable, limit: int, what: str, driver: Any = None) -> bytes:
    """A whole response body, refused once it passes ``limit`` bytes (for bodies parsed whole).

    Raises:
        MalformedResponseError: the body is longer than ``limit``.
    """
    data = bytearray()
    buffer = memoryview(bytearray(min(limit + 1, 256 * 1024)))
    while count := body.readinto(buffer):
        data += buffer[:count]
        if len(data) > limit:
            raise MalformedResponseError(
                f"the service sent {what} of more than {limit} bytes; storagekit reads at most that much", driver
            )
    return bytes(data)


def json_object(data: bytes, what: str, driver: Any = None) -> dict[str, Any]:
    """A body that must be a JSON object (a resource, a listing page).

    Raises:
        MalformedResponseError: it is not JSON (an HTML page from a captive portal or a proxy,
            a truncated answer) or not an object.
    """
    try:
        value = json.loads(data)
    except ValueError:
        start = data[:60].decode("utf-8", "replace")
        raise MalformedResponseError(
            f"the service sent {what} that is not JSON (it starts {start!r}): a proxy or captive portal "
            "may have answered instead", driver,
        ) from None
    if not isinstance(value, dict):
        raise MalformedResponseError(f"the service sent {what} that is JSON but not an object", driver)
    return value


SPOOL_IN_MEMORY = 1024 * 1024
"""A spooled body up to this size stays in memory; a larger one goes to a temporary file."""


def spool(body: Readable) -> io.BufferedIOBase:
    """Read ``body`` to its end now, into memory or (past :data:`SPOOL_IN_MEMORY`) a temporary file,
    and return that copy to read from its start.

    A listing parsed straight off the socket would hold its connection for as long as the
    caller takes over each entry (a download per object, say), and the service may drop it;
    spooled, the connection is free at once and memory stays bounded whatever the body's size.
    """
    buffer = memoryview(bytearray(256 * 1024))
    held = bytearray()
    while count := body.readinto(buffer):
        held += buffer[:count]
        if len(held) > SPOOL_IN_MEMORY:
            break
    else:
        return io.BytesIO(bytes(held))
    spooled = tempfile.TemporaryFile()  # noqa: SIM115 - returned open; the caller closes it
    try:
        spooled.write(held)
        del held
        while count := body.readinto(buffer):
            spooled.write(buffer[:count])
        spooled.seek(0)
    except BaseException:
        spooled.close()
        raise
    return spooled
