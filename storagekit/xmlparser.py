"""The one hardened XML parser every driver uses: no entities, no network, no DTD."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any, Protocol, cast

from lxml import etree

from .types import MalformedResponseError

_local = threading.local()
_HARDENED: dict[str, Any] = {
    "resolve_entities": False, "no_network": True, "load_dtd": False, "dtd_validation": False, "huge_tree": False,
}
"""The settings of every parser here: no entity expansion, no network, no DTD, libxml2's size limits."""


def _parser() -> etree.XMLParser:
    """A parser per thread (lxml parsers must not be shared between threads)."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.XMLParser(**_HARDENED)
    return parser


def parse_xml(data: bytes, driver: Any = None) -> etree._Element:
    """Parse a response body; MalformedResponseError if it is not well-formed XML."""
    try:
        return etree.fromstring(data, _parser())
    except (etree.XMLSyntaxError, ValueError) as error:
        raise MalformedResponseError(f"the service sent malformed XML: {error}", driver) from None


class Readable(Protocol):
    """A body read in pieces (``storagekit.http.Body``, a file opened in binary mode)."""

    def readinto(self, buffer: memoryview) -> int: ...


READ_SIZE = 64 * 1024
"""Bytes fed to the pull parser at a time."""


def iter_elements(source: Readable, driver: Any = None, depth: int = 1) -> Iterator[etree._Element]:
    """Yield each element at ``depth`` or above (the root is depth 0, not yielded) once it is
    complete, parsing ``source`` as it arrives; each is discarded once the caller moves on.

    The document is never held whole, nor its tree: memory stays bounded whatever its size
    (the elements of one 64 KiB read at a time, and libxml2 caps a single text node at
    10 MB without ``huge_tree``). Same hardening as :func:`parse_xml`. The caller reads what it needs of
    an element before asking for the next one.

    Raises:
        MalformedResponseError: the body is not well-formed XML (or stops mid-document).
    """
    parser = etree.XMLPullParser(events=("start", "end"), **_HARDENED)
    buffer = memoryview(bytearray(READ_SIZE))
    level = -1
    try:
        while True:
            count = source.readinto(buffer)
            if count:
                parser.feed(bytes(buffer[:count]))
            else:
                parser.close()
            for event, found in parser.read_events():
                if event == "start":
                    level += 1
                    continue
                level -= 1
                if 0 <= level < depth:
                    element = cast(etree._Element, found)  # start and end events carry elements
                    yield element
                    _discard(element)
            if not count:
                return
    except (etree.XMLSyntaxError, ValueError) as error:
        raise MalformedResponseError(f"the service sent malformed XML: {error}", driver) from None


def _discard(element: etree._Element) -> None:
    """Free a finished element (and any finished siblings before it) of a tree still being built."""
    element.clear()  # its text, children, attributes and tail
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]
