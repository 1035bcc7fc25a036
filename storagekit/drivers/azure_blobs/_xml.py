"""The XML Blob Storage speaks: listings in, block lists and key requests out."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from urllib.parse import unquote
from xml.sax.saxutils import escape

from lxml import etree

from ...types import MalformedResponseError
from ...xmlparser import Readable, iter_tagged, parse_xml


@dataclass
class BlobEntry:
    """One ``<Blob>`` of a List Blobs answer: its name, properties (by header name, lowercased) and metadata."""

    name: str
    properties: dict[str, str]
    metadata: dict[str, str] = field(default_factory=dict)


def iter_blob_list(source: Readable, driver: object = None) -> Generator[BlobEntry | str, None, str | None]:
    """A List Blobs page parsed as it arrives: yield each ``<Blob>`` (a :class:`BlobEntry`) and
    ``<BlobPrefix>`` name (a ``str``) in document order; return the ``NextMarker``.

    Raises:
        MalformedResponseError: the XML is malformed.
    """
    marker = None
    for element in iter_tagged(source, "EnumerationResults", _LISTING_TAGS, driver, depth=2):
        parent = element.getparent()
        if parent is None or parent.tag != "Blobs":
            if element.tag == "NextMarker" and parent is not None and parent.getparent() is None:  # the root's
                marker = element.text
        elif element.tag == "Blob":
            parts = {child.tag: child for child in reversed(element)}  # reversed: the first of a name wins
            properties, metadata = parts.get("Properties"), parts.get("Metadata")
            yield BlobEntry(
                _decoded_name(parts.get("Name"), driver),
                {tag.lower(): child.text or "" for child in (properties if properties is not None else ())
                 if isinstance(tag := child.tag, str)},  # each .tag is a new string: read once
                {tag: child.text or "" for child in (metadata if metadata is not None else ())
                 if isinstance(tag := child.tag, str)},
            )
        elif element.tag == "BlobPrefix":
            yield _name(element, driver)
    return marker or None


_LISTING_TAGS = ("Blob", "BlobPrefix", "NextMarker")
"""The elements of ``<EnumerationResults>`` a listing reads: under ``<Blobs>``, and the root's ``<NextMarker>``."""


def _name(element: etree._Element, driver: object) -> str:
    """A ``<Blob>``'s or ``<BlobPrefix>``'s name, percent-decoded when marked ``Encoded="true"`` (Azure
    encodes names holding characters XML cannot carry)."""
    return _decoded_name(element.find("Name"), driver)


def _decoded_name(name: etree._Element | None, driver: object) -> str:
    """The text of a ``<Name>``, percent-decoded when marked ``Encoded="true"``."""
    if name is None:
        return ""
    text = name.text or ""
    if name.get("Encoded") != "true":
        return text
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise MalformedResponseError(
            f"the service sent the encoded blob name {text[:80]!r}, which is not percent-encoded UTF-8", driver
        ) from None


def parse_container_list(body: bytes, driver: object = None) -> tuple[list[tuple[str, dict[str, str]]], str | None]:
    """A List Containers page: (name, properties) pairs and the ``NextMarker``."""
    root = parse_xml(body, driver)
    containers = []
    for element in root.iterfind("Containers/Container"):
        properties = element.find("Properties")
        containers.append((
            element.findtext("Name") or "",
            {child.tag.lower(): child.text or "" for child in (properties if properties is not None else ())},
        ))
    return containers, root.findtext("NextMarker") or None


def block_list(block_ids: list[str]) -> bytes:
    """The Put Block List body committing ``block_ids`` in order."""
    items = "".join(f"<Latest>{block_id}</Latest>" for block_id in block_ids)
    return f'<?xml version="1.0" encoding="utf-8"?><BlockList>{items}</BlockList>'.encode()


def key_info(start: str, expiry: str) -> bytes:
    """The Get User Delegation Key request body."""
    return (f'<?xml version="1.0" encoding="utf-8"?><KeyInfo><Start>{escape(start)}</Start>'
            f"<Expiry>{escape(expiry)}</Expiry></KeyInfo>").encode()


def parse_user_delegation_key(body: bytes, driver: object = None) -> dict[str, str]:
    """The fields of a ``<UserDelegationKey>`` (SignedOid, SignedTid, ..., Value)."""
    root = parse_xml(body, driver)
    return {child.tag: child.text or "" for child in root}
