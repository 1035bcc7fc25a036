"""The incremental parser: the named elements come complete, in order, and are dropped once passed;
the hardening (no entities, no network, no DTD) holds as for the whole-document parser."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from storagekit.types import MalformedResponseError
from storagekit.xmlparser import ROOT_WITHIN, is_well_formed, iter_tagged, peek_text, xml_text

DOCUMENT = (b"<r><a>1</a><b><c>2</c><c>3</c></b><a>4</a></r>")


class Trickle(io.BytesIO):
    """A body read a few bytes at a time, as from a slow socket."""

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        return super().readinto(buffer[:3])


def test_named_children_of_the_root_come_whole_in_order() -> None:
    seen = [(e.tag, e.text, [c.text for c in e]) for e in iter_tagged(Trickle(DOCUMENT), "r", ["a", "b"])]
    assert seen == [("a", "1", []), ("b", None, ["2", "3"]), ("a", "4", [])]


def test_only_the_named_elements_come() -> None:
    assert [e.text for e in iter_tagged(io.BytesIO(DOCUMENT), "r", ["a"])] == ["1", "4"]


def test_depth_two_yields_grandchildren_before_their_parent() -> None:
    assert [e.tag for e in iter_tagged(io.BytesIO(DOCUMENT), "r", ["a", "b", "c"], depth=2)] == [
        "a", "c", "c", "b", "a"]


def test_deeper_elements_of_a_name_are_not_yielded() -> None:
    """A ``<Contents>`` nested in another is not an entry of the listing."""
    body = b"<r><a>1<a>nested</a></a><a>2</a></r>"
    assert [e.text for e in iter_tagged(io.BytesIO(body), "r", ["a"])] == ["1", "2"]


def test_any_namespace_matches_a_wildcard() -> None:
    body = b'<r xmlns="urn:x"><a>1</a><a xmlns="">2</a></r>'
    assert [e.text for e in iter_tagged(io.BytesIO(body), "{*}r", ["{*}a"])] == ["1", "2"]


def test_passed_elements_are_dropped_from_the_tree() -> None:
    """The tree holds what one read brought in (3 bytes here, 64 KiB from a socket), never the document,
    the elements that are not named included."""
    sizes = []
    body = b"<r>" + b"<junk>z</junk><x>y</x>" * 1000 + b"</r>"
    for element in iter_tagged(Trickle(body), "r", ["x"]):
        root = element.getparent()
        assert root is not None
        sizes.append(len(root))
    assert max(sizes) <= 3


def test_a_document_without_its_root_stops_early() -> None:
    """Junk that never opens the expected root is not parsed into a tree of any size."""
    body = b"<other>" + b"<junk>z</junk>" * (ROOT_WITHIN // 10) + b"</other>"
    with pytest.raises(MalformedResponseError, match="no <r>"):
        list(iter_tagged(io.BytesIO(body), "r", ["x"]))


@pytest.mark.parametrize("body", [b"", b"<r><a></r>", b"<r>", b"<html>", b"\xff\xfe"])
def test_malformed_or_unfinished_documents_are_malformed_responses(body: bytes) -> None:
    with pytest.raises(MalformedResponseError, match="malformed XML"):
        list(iter_tagged(io.BytesIO(body), "r", ["a"]))


def test_entities_are_not_resolved_and_nothing_is_fetched() -> None:
    body = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/hostname">'
            b'<!ENTITY n SYSTEM "http://127.0.0.1:9/x">]><r><a>&e;&n;</a></r>')
    (element,) = list(iter_tagged(io.BytesIO(body), "r", ["a", "x"]))
    assert element.text is None and all(isinstance(child, etree._Entity) for child in element)


def test_a_billion_laughs_is_not_expanded() -> None:
    body = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
            b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><r><x>&c;</x></r>')
    (element,) = list(iter_tagged(io.BytesIO(body), "r", ["a", "x"]))
    assert "aaaaaaaaaa" not in etree.tostring(element).decode()


@pytest.mark.parametrize("body", [
    b"<r><T>a&amp;b</T>" + b"<x>y</x>" * 2000 + b"</r>",  # first, as AWS sends its token
    b"<r>" + b"<x>y</x>" * 2000 + b"<T>a&amp;b</T></r>",  # last, as Azure and SeaweedFS do
])
def test_a_peek_finds_an_element_at_either_end_and_rewinds(body: bytes) -> None:
    source = io.BytesIO(body)
    assert peek_text(source, "T") == "a&b"
    assert source.tell() == 0


def test_a_peek_finds_nothing_in_the_middle_or_in_a_small_document_without_it() -> None:
    assert peek_text(io.BytesIO(b"<r>" + b"<x>y</x>" * 2000 + b"<T>t</T>" + b"<x>y</x>" * 2000 + b"</r>"), "T") is None
    assert peek_text(io.BytesIO(b"<r><x>y</x></r>"), "T") is None


# ------------------------------------------------------------------ the check and the text of a pattern reader


@pytest.mark.parametrize(("body", "good"), [
    (b"<r><a>x</a></r>", True),
    (b'<?xml version="1.0"?><r/><!-- after -->', True),
    (b"<r><a>&amp;&#x41;</a></r>", True),
    (b"<r><a>x</b></r>", False),
    (b"<r><a>x</a>", False),
    (b"<r>&x;</r>", False),
    (b"<r>\x01</r>", False),
    (b"<r>&#xD800;</r>", False),
    (b"<r>]]></r>", False),
    (b"<r>\xff</r>", False),
    (b"", False),
    (b"<r/><r/>", False),
    (b'<!DOCTYPE r SYSTEM "file:///etc/hostname"><r/>', False),
    (b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/hostname">]><r>&x;</r>', False),
])
def test_the_check_takes_well_formed_documents_without_a_doctype(body: bytes, good: bool) -> None:
    assert is_well_formed(body) is good
    assert is_well_formed(b"<r/>"), "a refusal leaves the thread's parser usable"


def test_the_check_refuses_a_billion_laughs_before_expanding_it() -> None:
    laughs = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
    body = f'<!DOCTYPE r [<!ENTITY l0 "ha">{laughs}]><r>&l9;</r>'.encode()
    assert not is_well_formed(body)


_CHARACTERS = st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\x00").filter(
    lambda c: c in "\t\n" or (c >= " " and c not in "\ufffe\uffff"))


@st.composite
def _written(draw: st.DrawFn) -> tuple[str, str]:
    """Text, and that text written in XML with each character as itself or as some reference."""
    text = draw(st.text(_CHARACTERS, max_size=12))
    named = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}
    written = []
    for char in text:
        forms = [f"&#{ord(char)};", f"&#x{ord(char):x};", f"&#x{ord(char):X};", f"&#000{ord(char)};"]
        if char in named:
            forms.append(named[char])
        if char not in "&<":
            forms.append(char)
        written.append(draw(st.sampled_from(forms)))
    return text, "".join(written)


@settings(max_examples=300, deadline=None)
@given(_written())
def test_text_is_decoded_as_libxml2_decodes_it(case: tuple[str, str]) -> None:
    text, written = case
    document = f"<a>{written}</a>".encode()
    assert is_well_formed(document)
    assert xml_text(written) == (etree.fromstring(document).text or "") == text
