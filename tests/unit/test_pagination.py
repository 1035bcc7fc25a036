"""PageTokens: every token once; a repeat is a MalformedResponseError naming the listing."""

from __future__ import annotations

import pytest

from storagekit.pagination import PageTokens
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
