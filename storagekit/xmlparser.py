"""The one hardened XML parser every driver uses: no entities, no network, no DTD."""

from __future__ import annotations

import threading
from typing import Any

from lxml import etree

from .types import MalformedResponseError

_local = threading.local()


def _parser() -> etree.XMLParser:
    """A parser per thread (lxml parsers must not be shared between threads)."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False,
        )
    return parser


def parse_xml(data: bytes, driver: Any = None) -> etree._Element:
    """Parse a response body; MalformedResponseError if it is not well-formed XML."""
    try:
        return etree.fromstring(data, _parser())
    except (etree.XMLSyntaxError, ValueError) as error:
        raise MalformedResponseError(f"the service sent malformed XML: {error}", driver) from None
