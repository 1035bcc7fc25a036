"""Following a listing's pages: every continuation token must be new, or the listing would never end.

A service (or something pretending to be one) that answers a page token it already sent,
``NextContinuationToken``, ``NextMarker`` or ``nextPageToken`` alike, would have a client
follow it round forever. Every paged loop of storagekit asks a :class:`PageTokens` for the
next token, so such a listing stops with a MalformedResponseError instead.

:func:`iter_pages` follows the pages of an object listing, fetching the next one in the
background while the caller reads the current one when the page allows it.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

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

    def seen(self, token: str) -> bool:
        """True if the listing has followed ``token`` already."""
        return token in self._seen


class Page(Protocol):
    """What :func:`iter_pages` needs of a page (an ObjectPage or a StreamedPage)."""

    next_token: str | None
    ahead: bool

    def close(self) -> None: ...


P = TypeVar("P", bound=Page)


def iter_pages(fetch: Callable[[str | None], P], tokens: PageTokens) -> Iterator[P]:
    """The pages of a listing, each fetched with the token the one before it sent.

    A page ``ahead`` tells its next token before it is read (found in the answer without
    parsing it; the entries are parsed and made Objects while the caller reads them): the
    next page is then fetched in the background meanwhile, so the service's time on one page
    overlaps the client's on the other. That token is a guess: the page is followed by the
    token its parse gives, and a page fetched with another is dropped. At most two pages are
    held: the one being read and the next one, spooled. The caller reads each page to its
    end before asking for the next; a listing abandoned midway waits for the page in flight
    and closes it.

    Raises:
        MalformedResponseError: the service repeated a page token (a listing that would never end).
    """
    page = fetch(None)
    pending: Future[P] | None = None
    pool: ThreadPoolExecutor | None = None
    try:
        while True:
            guess = page.next_token if page.ahead else None
            if guess and not tokens.seen(guess):
                pool = pool or ThreadPoolExecutor(1, thread_name_prefix="storagekit-listing")
                pending = pool.submit(contextvars.copy_context().run, fetch, guess)
            yield page
            token = tokens.follow(page.next_token)
            if token is None:
                return
            if pending is not None and token == guess:
                page, pending = pending.result(), None
            else:
                _drop(pending)
                pending = None
                page = fetch(token)
    finally:
        _drop(pending)
        if pool is not None:
            pool.shutdown(wait=False)


def _drop(pending: Future[Any] | None) -> None:
    """Give up a page fetched ahead: not sent yet, or closed once it has come."""
    if pending is not None and not pending.cancel():
        with contextlib.suppress(Exception):  # the page is not wanted: what it says is moot
            pending.result().close()
