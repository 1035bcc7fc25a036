"""Swift TempURLs: a GET or PUT anyone may make until an expiry, signed with the account's key.

The signature is HMAC-SHA256 (hex) over ``METHOD\\nEXPIRES\\nPATH``, where PATH is the
object's path as the server decodes it (``/v1/AUTH_account/container/object``); the key is
the account's ``X-Account-Meta-Temp-URL-Key`` (or ``-Key-2``), which anyone who can read the
account's metadata may read, so a driver fetches it once when it is not given.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote, unquote, urlsplit

ACCOUNT_KEY_HEADERS = ("X-Account-Meta-Temp-Url-Key", "X-Account-Meta-Temp-Url-Key-2")
"""Where an account keeps its TempURL keys (either one signs)."""


def signature(key: str, method: str, expires: int, path: str) -> str:
    """The hex HMAC-SHA256 of a TempURL for ``path`` (decoded) under ``key``."""
    return hmac.new(key.encode(), f"{method}\n{expires}\n{path}".encode(), hashlib.sha256).hexdigest()


def temp_url(storage_url: str, container: str, name: str, method: str, expires: int, key: str) -> str:
    """The TempURL of ``container/name`` for ``method`` until ``expires`` (epoch seconds).

    Args:
        storage_url: the account's URL (``https://host/v1/AUTH_project``).
        key: the account's TempURL key.
    """
    path = f"{unquote(urlsplit(storage_url).path).rstrip('/')}/{container}/{name}"
    sig = signature(key, method, expires, path)
    query = f"temp_url_sig={sig}&temp_url_expires={expires}"
    return f"{storage_url}/{quote(container, safe='')}/{quote(name, safe='/')}?{query}"
