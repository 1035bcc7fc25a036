"""Refuse what would let a URL or a header value inject lines into a request.

``urlsplit`` silently drops CR, LF and tab from a URL, and ``http.client`` answers a bad
header with a bare ``ValueError``; both are checked here first so a caller gets an
:class:`~storagekit.types.InvalidOptionError` naming the part that was wrong (never its
value, which may be a secret).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..types import InvalidOptionError

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
"""What no header value may hold (a tab may: RFC 9110 field values allow it)."""
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]")
"""What no URL, host or method may hold."""
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def check_text(text: str, what: str, *, allow_space: bool = False) -> None:
    """Raise InvalidOptionError if ``text`` holds a control character (or a space or tab, unless allowed).

    Raises:
        InvalidOptionError: naming ``what``, never quoting ``text``.
    """
    if (_CONTROL if allow_space else _CONTROL_OR_SPACE).search(text):
        kind = "a control character (CR, LF, NUL, ...)" if _CONTROL.search(text) else "a space"
        raise InvalidOptionError(f"{what} contains {kind}; refused rather than sent")


def check_request(method: str, url: str, headers: Mapping[str, str]) -> None:
    """Refuse a request whose method, URL or headers could inject lines into what is sent.

    Raises:
        InvalidOptionError: naming the method, the URL's host or the header that was wrong.
    """
    if not _TOKEN.fullmatch(method):
        raise InvalidOptionError("the HTTP method is not a token (a control character or a space?)")
    if _CONTROL_OR_SPACE.search(url):
        check_text(url, f"the URL of this {method} request")
    values = "".join(map(str, headers.values()))
    # printable ASCII has no control character (nor a tab, which is allowed: the loop below judges it)
    if _TOKEN.fullmatch("".join(headers) or "-") and values.isascii() and values.isprintable():
        return  # the common case, checked at once; else find the header to name
    for name, value in headers.items():
        if not _TOKEN.fullmatch(name):
            raise InvalidOptionError("a header name is not a token (a control character, a colon or a space?)")
        value = str(value)
        check_text(value, f"the value of the {name} header", allow_space=True)
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            raise InvalidOptionError(f"the value of the {name} header is not Latin-1 text") from None
