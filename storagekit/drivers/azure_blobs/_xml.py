"""The XML Blob Storage speaks: listings in, block lists and key requests out."""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from ...xmlparser import parse_xml


@dataclass
class BlobEntry:
    """One ``<Blob>`` of a List Blobs answer: its name, properties (by header name, lowercased) and metadata."""

    name: str
    properties: dict[str, str]
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass
class BlobListing:
    blobs: list[BlobEntry]
    prefixes: list[str]
    next_marker: str | None


def parse_blob_list(body: bytes, driver: object = None) -> BlobListing:
    """A List Blobs page: blobs, ``<BlobPrefix>`` names and the ``NextMarker``."""
    root = parse_xml(body, driver)
    blobs, prefixes = [], []
    container = root.find("Blobs")
    for element in container if container is not None else ():
        if element.tag == "Blob":
            properties = element.find("Properties")
            metadata = element.find("Metadata")
            blobs.append(BlobEntry(
                element.findtext("Name") or "",
                {child.tag.lower(): child.text or "" for child in (properties if properties is not None else ())},
                {child.tag: child.text or "" for child in (metadata if metadata is not None else ())},
            ))
        elif element.tag == "BlobPrefix":
            prefixes.append(element.findtext("Name") or "")
    return BlobListing(blobs, prefixes, root.findtext("NextMarker") or None)


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
