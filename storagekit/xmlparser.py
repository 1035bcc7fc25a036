"""The one hardened XML parser every driver uses: no entities, no network, no DTD; and the check and
the text decoding that let a pattern read a document exactly as that parser would."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterator, Sequence
from html import unescape
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


class _Refused(Exception):
    """A document :func:`is_well_formed` will not read (it declares a document type)."""


class _Nothing:
    """A parser target that takes no event but the document type declaration, which it refuses:
    libxml2 then checks the document and builds nothing (no tree, no Python call per element)."""

    def doctype(self, name: str, public_id: str | None, system_id: str | None) -> None:
        raise _Refused(name)

    def close(self) -> None:
        return None


def _checker() -> etree.XMLParser:
    """A checking parser per thread (lxml parsers must not be shared between threads)."""
    checker = getattr(_local, "checker", None)
    if checker is None:
        # lxml-stubs want every event method of a target, which lxml documents as optional (and leaving
        # them out is the point: libxml2 then makes no call into Python)
        checker = _local.checker = etree.XMLParser(target=_Nothing(), **_HARDENED)  # type: ignore[arg-type]
    return checker


def is_well_formed(data: bytes) -> bool:
    """True if ``data`` is one well-formed XML document with no document type declaration, found
    without building anything from it: libxml2 reads it in C, with no Python object per element.

    What a pattern then reads from the document is what a parser would read, provided the
    pattern matches the document's whole text (see :mod:`storagekit.drivers.s3._listing`).
    A document with a DOCTYPE is refused because lxml expands entities for every parser target
    (within libxml2's amplification limits): it is for :func:`parse_xml` and
    :func:`iter_tagged`, which never expand them.

    Args:
        data: the whole document, as received.

    Returns:
        True if libxml2, hardened as everywhere here, reads it to its end without a fault.
    """
    try:
        etree.fromstring(data, _checker())
    except (etree.XMLSyntaxError, ValueError, _Refused):
        return False
    return True


_REFERENCE = re.compile(r"&(?:#x([0-9a-fA-F]+)|#([0-9]+)|(amp|lt|gt|quot|apos));")
_PREDEFINED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def _referenced(reference: re.Match[str]) -> str:
    hexadecimal, decimal, name = reference.groups()
    if name:
        return _PREDEFINED[name]
    return chr(int(hexadecimal, 16) if hexadecimal else int(decimal))


def xml_text(raw: str) -> str:
    """Character data as a parser reads it: the five predefined entities and character references
    decoded, nothing else.

    Args:
        raw: text between tags of a document :func:`is_well_formed` accepted (so it holds no other
            reference, none to a character XML forbids, and no markup), without a raw carriage
            return (which a parser would turn into a line feed).

    Returns:
        The text a parser would give (``raw`` itself when it holds no reference).
    """
    return _REFERENCE.sub(_referenced, raw) if "&" in raw else raw


class Readable(Protocol):
    """A body read in pieces (``storagekit.http.Body``, a file opened in binary mode)."""

    def readinto(self, buffer: memoryview) -> int: ...


READ_SIZE = 64 * 1024
"""Bytes fed to the pull parser at a time."""


PEEK_SIZE = 4096
"""Bytes at each end of a spooled document :func:`peek_text` looks through."""


def peek_text(body: io.BufferedIOBase, name: str) -> str | None:
    """A guess at the text of the element ``name`` (no namespace prefix) from the first and last
    :data:`PEEK_SIZE` bytes of a spooled document, without parsing it; the body is rewound.

    Listings send their next-page token first (AWS) or last (Azure, SeaweedFS): the guess
    lets the next page be fetched while this one is parsed. It is only a guess (a comment or
    CDATA can fool it), so whoever uses it checks it against the parsed document.
    """
    head = body.read(PEEK_SIZE)
    size = body.seek(0, io.SEEK_END)
    body.seek(max(size - PEEK_SIZE, len(head)))
    tail = body.read()
    body.seek(0)
    found = re.search(rb"<%s>([^<]*)</%s>" % (name.encode(), name.encode()), tail) or re.search(
        rb"<%s>([^<]*)</%s>" % (name.encode(), name.encode()), head)
    return unescape(found.group(1).decode("utf-8", "replace")) if found else None


ROOT_WITHIN = 1024 * 1024
"""Bytes a streamed document may run before its root element has shown itself."""


def iter_tagged(
    source: Readable, root: str, tags: Sequence[str], driver: Any = None, depth: int = 1,
) -> Iterator[etree._Element]:
    """Yield each complete element named in ``tags`` at ``depth`` or above in a document whose
    root is called ``root`` (names as lxml matches them: ``{*}Contents`` in any namespace),
    parsing ``source`` as it arrives; each is cleared once the caller moves on.

    Only the named elements reach Python (libxml2 skips the rest in C), which is what
    makes a thousand-entry listing page cheap. The document is never held whole, nor its
    tree: after each 64 KiB read everything but the open path from the root is dropped, so
    memory stays bounded whatever its size (libxml2 caps a single text node at 10 MB without
    ``huge_tree``). Same hardening as :func:`parse_xml`. The caller reads what it needs of
    an element before asking for the next one.

    Raises:
        MalformedResponseError: the body is not well-formed XML (or stops mid-document), or
            its first :data:`ROOT_WITHIN` bytes hold no ``root`` element.
    """
    parser = etree.XMLPullParser(events=("start", "end"), tag=[root, *tags], **_HARDENED)
    buffer = memoryview(bytearray(READ_SIZE))
    top: etree._Element | None = None
    fed = 0
    try:
        while True:
            count = source.readinto(buffer)
            if count:
                parser.feed(bytes(buffer[:count]))
                fed += count
            else:
                parser.close()
            for event, found in parser.read_events():
                element = cast(etree._Element, found)  # start and end events carry elements
                if event == "start":
                    if top is None:
                        top = _top(element)
                    continue
                if top is not None and (element.getparent() is top or (depth > 1 and _within(element, top, depth))):
                    yield element
                    element.clear()
            if top is None and fed > ROOT_WITHIN:
                raise MalformedResponseError(
                    f"the service sent an XML document with no <{root}> in its first {ROOT_WITHIN} bytes", driver
                )
            if top is not None:
                _prune(top, depth)
            if not count:
                return
    except (etree.XMLSyntaxError, ValueError) as error:
        raise MalformedResponseError(f"the service sent malformed XML: {error}", driver) from None


def _top(element: etree._Element) -> etree._Element:
    """The root of the tree ``element`` is in."""
    while (parent := element.getparent()) is not None:
        element = parent
    return element


def _within(element: etree._Element, top: etree._Element, depth: int) -> bool:
    """True if ``element`` lies ``depth`` levels or fewer under ``top`` (``top`` itself is not)."""
    for _ in range(depth):
        parent = element.getparent()
        if parent is None:
            return False
        if parent is top:
            return True
        element = parent
    return False


def _prune(top: etree._Element, depth: int) -> None:
    """Drop every finished element down to ``depth``: all but the last child at each level of the
    open path (a child before the last has ended; the last may still be being parsed)."""
    node = top
    for _ in range(depth):
        if len(node) > 1:
            del node[:-1]
        if not len(node):
            return
        node = node[-1]
