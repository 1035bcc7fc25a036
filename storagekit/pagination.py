"""Following a listing's pages: every continuation token must be new, or the listing would never end.

A service (or something pretending to be one) that answers a page token it already sent,
``NextContinuationToken``, ``NextMarker`` or ``nextPageToken`` alike, would have a client
follow it round forever. Every paged loop of storagekit asks a :class:`PageTokens` for the
next token, so such a listing stops with a MalformedResponseError instead.
"""

from __future__ import annotations

from typing import Any

from .types import MalformedResponseError


class PageTokens:
    """The continuation tokens one listing has followed so far.

    Usage::

        tokens = PageTokens("the objects of photos", driver, container_name="photos")
        token = None
        while True:
            page = fetch(token)
            ...
            token = tokens.follow(page.next_token)
            if token is None:
                break
    """

    def __init__(self, what: str, driver: Any = None, *, container_name: str | None = None) -> None:
        self._what = what
        self._driver = driver
        self._container_name = container_name
        self._seen: set[str] = set()

    def follow(self, token: str | None) -> str | None:
        """The token to ask for next, None at the end of the listing.

        Raises:
            MalformedResponseError: the service sent this token before.
        """
        if not token:
            return None
        if token in self._seen:
            shown = token if len(token) <= 80 else f"{token[:80]}..."
            raise MalformedResponseError(
                f"the listing of {self._what} sent the page token {shown!r} a second time "
                f"after {len(self._seen)} page(s): following it would never end",
                self._driver, container_name=self._container_name,
            )
        self._seen.add(token)
        return token
