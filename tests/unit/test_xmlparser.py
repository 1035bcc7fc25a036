"""The incremental parser: elements come complete, in order, and are dropped once passed; the
hardening (no entities, no network, no DTD) holds as for the whole-document parser."""

from __future__ import annotations

import io

import pytest
from lxml import etree

from storagekit.types import MalformedResponseError
from storagekit.xmlparser import iter_elements

DOCUMENT = (b"<r><a>1</a><b><c>2</c><c>3</c></b><a>4</a></r>")


class Trickle(io.BytesIO):
    """A body read a few bytes at a time, as from a slow socket."""

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        return super().readinto(buffer[:3])


def test_children_of_the_root_come_whole_in_order() -> None:
    seen = [(e.tag, e.text, [c.text for c in e]) for e in iter_elements(Trickle(DOCUMENT))]
    assert seen == [("a", "1", []), ("b", None, ["2", "3"]), ("a", "4", [])]


def test_depth_two_yields_grandchildren_before_their_parent() -> None:
    assert [e.tag for e in iter_elements(io.BytesIO(DOCUMENT), depth=2)] == ["a", "c", "c", "b", "a"]


def test_passed_elements_are_dropped_from_the_tree() -> None:
    """The tree holds what one read brought in (3 bytes here, 64 KiB from a socket), never the document."""
    sizes = []
    for element in iter_elements(Trickle(b"<r>" + b"<x>y</x>" * 1000 + b"</r>")):
        root = element.getparent()
        assert root is not None
        sizes.append(len(root))
    assert max(sizes) <= 2


@pytest.mark.parametrize("body", [b"", b"<r><a></r>", b"<r>", b"<html>", b"\xff\xfe"])
def test_malformed_or_unfinished_documents_are_malformed_responses(body: bytes) -> None:
    with pytest.raises(MalformedResponseError, match="malformed XML"):
        list(iter_elements(io.BytesIO(body)))


def test_entities_are_not_resolved_and_nothing_is_fetched() -> None:
    body = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/hostname">'
            b'<!ENTITY n SYSTEM "http://127.0.0.1:9/x">]><r><a>&e;&n;</a></r>')
    (element,) = list(iter_elements(io.BytesIO(body)))
    assert element.text is None and all(isinstance(child, etree._Entity) for child in element)


def test_a_billion_laughs_is_not_expanded() -> None:
    body = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
            b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><r><x>&c;</x></r>')
    (element,) = list(iter_elements(io.BytesIO(body)))
    assert "aaaaaaaaaa" not in etree.tostring(element).decode()
