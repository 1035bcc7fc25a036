"""PageTokens: every token once; a repeat is a MalformedResponseError naming the listing. iter_pages:
the next page asked for while one ahead is read, a wrong guess dropped, nothing left open."""

from __future__ import annotations

import threading
import time

import pytest

from storagekit.pagination import PageTokens, iter_pages
from storagekit.types import MalformedResponseError


def test_new_tokens_are_followed_and_an_empty_one_ends_the_listing() -> None:
    tokens = PageTokens("the objects of box")
    assert [tokens.follow(t) for t in ("a", "b", None, "")] == ["a", "b", None, None]


def test_a_repeated_token_stops_the_listing_with_its_name_and_the_page_count() -> None:
    tokens = PageTokens("the objects of box", container_name="box")
    tokens.follow("a")
    tokens.follow("b")
    with pytest.raises(MalformedResponseError, match=r"objects of box sent the page token 'a' a second time "
                                                     r"after 2 page\(s\)") as info:
        tokens.follow("a")
    assert info.value.container_name == "box"


def test_a_long_token_is_shortened_in_the_message() -> None:
    tokens = PageTokens("the buckets")
    tokens.follow("t" * 500)
    with pytest.raises(MalformedResponseError) as info:
        tokens.follow("t" * 500)
    assert len(str(info.value)) < 250


class Page:
    """A page as iter_pages sees one: its token is ``guess`` until read, ``token`` after."""

    def __init__(self, name: str, token: str | None, guess: str | None = None, ahead: bool = True) -> None:
        self.name, self._token, self.ahead = name, token, ahead
        self.next_token = guess if ahead else None
        self.closed = False

    def read(self) -> None:
        self.next_token = self._token

    def close(self) -> None:
        self.closed = True


class Service:
    """Pages by the token that asks for them, and the tokens asked for, in order."""

    def __init__(self, pages: dict[str | None, Page]) -> None:
        self.pages = pages
        self.asked: list[str | None] = []
        self.lock = threading.Lock()

    def fetch(self, token: str | None) -> Page:
        with self.lock:
            self.asked.append(token)
        return self.pages[token]


def asked_ahead(service: Service, page: Page) -> bool:
    """Wait (30 s at most) until the service was asked for the page after ``page``."""
    deadline = time.monotonic() + 30
    while page.next_token not in service.asked and time.monotonic() < deadline:
        time.sleep(0.001)
    return page.next_token in service.asked


def test_the_page_after_one_ahead_is_asked_for_before_it_is_read() -> None:
    service = Service({None: Page("1", "b", "b"), "b": Page("2", "c", "c"), "c": Page("3", None)})
    read = []
    for page in iter_pages(service.fetch, PageTokens("the objects of box")):
        assert page.next_token is None or asked_ahead(service, page), "the next page is on its way"
        page.read()
        read.append(page.name)
    assert read == ["1", "2", "3"] and service.asked == [None, "b", "c"]


def test_a_wrong_guess_is_dropped_and_the_parsed_token_followed() -> None:
    wrong = Page("wrong", None)
    service = Service({None: Page("1", "b", "x"), "x": wrong, "b": Page("2", None)})
    read = []
    for page in iter_pages(service.fetch, PageTokens("the objects of box")):
        assert page.next_token is None or asked_ahead(service, page)
        page.read()
        read.append(page.name)
    assert read == ["1", "2"] and set(service.asked) == {None, "x", "b"} and wrong.closed


def test_pages_not_ahead_are_asked_for_once_read() -> None:
    service = Service({None: Page("1", "b", ahead=False), "b": Page("2", None, ahead=False)})
    for page in iter_pages(service.fetch, PageTokens("the objects of box")):
        assert service.asked[-1] == (None if page.name == "1" else "b")
        page.read()
    assert service.asked == [None, "b"]


def test_an_abandoned_listing_closes_the_page_fetched_ahead() -> None:
    second = Page("2", None)
    service = Service({None: Page("1", "b", "b"), "b": second})
    pages = iter_pages(service.fetch, PageTokens("the objects of box"))
    first = next(pages)
    assert asked_ahead(service, first)
    pages.close()
    assert second.closed


def test_a_repeated_token_is_neither_fetched_ahead_nor_followed() -> None:
    service = Service({None: Page("1", "a", "a"), "a": Page("2", "a", "a")})
    with pytest.raises(MalformedResponseError, match="'a' a second time"):
        for page in iter_pages(service.fetch, PageTokens("the objects of box")):
            page.read()
    assert service.asked == [None, "a"]
