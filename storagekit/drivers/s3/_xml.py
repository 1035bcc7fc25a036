"""S3's XML bodies: the few responses the driver reads and the few requests it writes.

Everything is parsed with the hardened parser; element names are matched in the
response's own namespace (S3 uses one, some compatible servers none).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lxml import etree

from ...xmlparser import parse_xml

S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"


def parse(data: bytes, driver: Any = None) -> tuple[etree._Element, str]:
    """The root element and its namespace prefix (``{ns}`` or empty)."""
    root = parse_xml(data, driver)
    tag = root.tag
    return root, tag[: tag.index("}") + 1] if tag.startswith("{") else ""


def is_error(root: etree._Element) -> bool:
    """True for an ``<Error>`` document (S3 can send one with a 200 status)."""
    return etree.QName(root).localname == "Error"


def parse_buckets(data: bytes, driver: Any = None) -> tuple[list[tuple[str, str]], str | None]:
    """(name, creation date) of each bucket, and the continuation token if there are more."""
    root, ns = parse(data, driver)
    buckets = [
        (b.findtext(f"{ns}Name") or "", b.findtext(f"{ns}CreationDate") or "")
        for b in root.iterfind(f"{ns}Buckets/{ns}Bucket")
    ]
    return buckets, root.findtext(f"{ns}ContinuationToken") or None


def find_text(data: bytes, name: str, driver: Any = None) -> str | None:
    """The text of the first element called ``name`` under the root (UploadId, ETag, ...)."""
    root, ns = parse(data, driver)
    return root.findtext(f"{ns}{name}")


@dataclass(frozen=True)
class Upload:
    """One in-progress multipart upload of ListMultipartUploads."""

    key: str
    upload_id: str
    initiated: str


def parse_uploads(data: bytes, driver: Any = None) -> tuple[list[Upload], str | None, str | None]:
    """The uploads of a page and the next (key marker, upload id marker), None when done."""
    root, ns = parse(data, driver)
    uploads = [
        Upload(u.findtext(f"{ns}Key") or "", u.findtext(f"{ns}UploadId") or "", u.findtext(f"{ns}Initiated") or "")
        for u in root.iterfind(f"{ns}Upload")
    ]
    if root.findtext(f"{ns}IsTruncated") != "true":
        return uploads, None, None
    return uploads, root.findtext(f"{ns}NextKeyMarker"), root.findtext(f"{ns}NextUploadIdMarker")


def parse_delete_errors(data: bytes, driver: Any = None) -> list[dict[str, str]]:
    """The ``<Error>`` entries of a DeleteObjects result, each as {Key, Code, Message}."""
    root, ns = parse(data, driver)
    return [
        {etree.QName(child).localname: child.text or "" for child in error if isinstance(child.tag, str)}
        for error in root.iterfind(f"{ns}Error")
    ]


def _document(root_tag: str, children: Iterable[etree._Element]) -> bytes:
    # lxml-stubs type nsmap without the None (default namespace) prefix that lxml documents and takes
    root = etree.Element(f"{{{S3_NS}}}{root_tag}", nsmap={None: S3_NS})  # type: ignore[dict-item]
    root.extend(children)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _element(tag: str, *children: etree._Element, text: str | None = None) -> etree._Element:
    # lxml-stubs type nsmap without the None (default namespace) prefix that lxml documents and takes
    element = etree.Element(f"{{{S3_NS}}}{tag}", nsmap={None: S3_NS})  # type: ignore[dict-item]
    element.text = text
    element.extend(children)
    return element


def complete_body(parts: Iterable[tuple[int, str]]) -> bytes:
    """CompleteMultipartUpload's body for (part number, etag) pairs."""
    return _document("CompleteMultipartUpload", (
        _element("Part", _element("PartNumber", text=str(number)), _element("ETag", text=etag))
        for number, etag in parts
    ))


def delete_body(keys: Iterable[str]) -> bytes:
    """DeleteObjects' body in quiet mode (only failures are reported)."""
    objects = [_element("Object", _element("Key", text=key)) for key in keys]
    return _document("Delete", [_element("Quiet", text="true"), *objects])


def location_body(region: str) -> bytes:
    """CreateBucket's body naming the region."""
    return _document("CreateBucketConfiguration", [_element("LocationConstraint", text=region)])
