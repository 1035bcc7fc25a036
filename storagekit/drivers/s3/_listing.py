"""ListObjectsV2 pages: read by pattern when they have the plain shape S3 services send, by the
element parser otherwise; both give the same entries, the same token and the same errors.

A page held in memory (:data:`PATTERN_LIMIT` bytes or fewer) whose whole text, first byte to
last, is an XML declaration (version 1.0, UTF-8), the ``<ListBucketResult>`` root with at most
a default namespace, and root children of three shapes separated by whitespace:

- ``<Contents>`` holding text-only children, each of ``Key``, ``ETag``, ``Size``,
  ``LastModified`` and ``StorageClass`` at most once, in any order (another child, such as
  ``Owner``, may hold text-only children of its own, and is skipped);
- ``<CommonPrefixes><Prefix>text</Prefix></CommonPrefixes>``;
- text-only elements ``<Name>text</Name>`` or ``<Name/>`` (``EncodingType``, ``IsTruncated`` and
  ``NextContinuationToken`` at most once each),

is checked to be well-formed by libxml2 without a Python object per element
(:func:`~storagekit.xmlparser.is_well_formed`), then read with compiled regular expressions.
The patterns cover the whole document, and the shape leaves no room for a comment, CDATA
section, processing instruction, DOCTYPE, attribute, namespace prefix or carriage return, so
the text can only mean what a parser would make of it; its references are decoded as XML does
(:func:`~storagekit.xmlparser.xml_text`). Any other page (larger, another encoding, any oddity)
goes to :func:`~storagekit.xmlparser.iter_tagged`, which reads every well-formed page and holds
none whole.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Generator
from typing import Any
from urllib.parse import unquote_plus

from ... import fields
from ...types import MalformedResponseError
from ...xmlparser import is_well_formed, iter_tagged, xml_text

Entry = tuple[str, int, str, str, str]
"""One ``<Contents>`` of a listing: key, size, ETag (without its quotes), LastModified and
StorageClass (a plain tuple: a page makes a thousand of them)."""


PATTERN_LIMIT = fields.SPOOL_IN_MEMORY
"""Bytes of the largest page read by pattern (a page spooled in memory): it is read whole."""

_SPACE = r"[ \t\r\n]*"
_TEXT = r"[^<\r]*"
_NAME = r"[A-Za-z][A-Za-z0-9]*"
_FIELDS = ("Key", "ETag", "Size", "LastModified", "StorageClass")

_OPENING = re.compile(
    rb"""(?:<\?xml version=(["'])1\.0\1(?: encoding=(["'])[Uu][Tt][Ff]-8\2)?(?: standalone=(["'])(?:yes|no)\3)?\?>)?"""
    rb"""[ \t\r\n]*<ListBucketResult(?: xmlns=(["'])[^\x00-\x1f\x7f-\xff"'<&]*\4)?>"""
)
"""Everything before the root's first child: in ASCII, so its length in bytes is its length in text."""

_CLOSING = "</ListBucketResult>"


def _contents(plain: bool) -> re.Pattern[str]:
    """The pattern of one entry: groups 1-5 are the text of Key, ETag, Size, LastModified and
    StorageClass (None if absent), each at most once (a second makes the conditional ``(?(n)(?!))``
    fail, and the page goes to the parser).

    A ``plain`` entry's fields hold no reference, its Size is a byte count as
    :func:`storagekit.fields.size` reads one (up to 20 ASCII digits), and its ETag is read
    without the quotes at its ends (AWS writes ``&quot;``, SeaweedFS ``&#34;``). Another
    entry's fields are to be decoded with :func:`xml_text`.
    """
    text = r"[^<&\r]*" if plain else _TEXT
    known = [f"<{name}>(?({number})(?!))({text})</{name}>" for number, name in enumerate(_FIELDS, 1)]
    if plain:
        quote = '(?:&quot;|&#34;|")?'
        known[1] = f'<ETag>(?(2)(?!)){quote}([^<&\r"]*){quote}</ETag>'
        known[2] = "<Size>(?(3)(?!))([0-9]{0,20})</Size>"
    other = f"<(?!(?:{'|'.join(_FIELDS)})>)({_NAME})>(?:{_TEXT}|(?:{_SPACE}<({_NAME})>{_TEXT}</\\7>)*{_SPACE})</\\6>"
    return re.compile(f"<Contents>(?:{_SPACE}(?:{'|'.join(known)}|{other}))*{_SPACE}</Contents>")


_PLAIN_CONTENTS = _contents(plain=True)
_CONTENTS = _contents(plain=False)
_OTHER = re.compile(
    f"{_SPACE}(?:<CommonPrefixes>{_SPACE}<Prefix>({_TEXT})</Prefix>{_SPACE}</CommonPrefixes>"
    f"|<(?!(?:Contents|CommonPrefixes)[/>])({_NAME})(?:>({_TEXT})</\\2>|/>))?"
)
"""Whitespace and one root child that is not an entry: a common prefix (group 1) or an element
named in group 2 with its text in group 3."""

_SAID = ("EncodingType", "IsTruncated", "NextContinuationToken")
"""The text-only root children a listing reads."""

_URL_ENCODED = "<EncodingType>url</EncodingType>"
"""What a page says when its keys are url-encoded (looked for first, then checked)."""


def iter_listing(
    source: io.BufferedIOBase, driver: Any = None, *, sort: bool = False
) -> Generator[Entry | str, None, str | None]:
    """A ListObjectsV2 page: yield each ``<Contents>`` (an :data:`Entry`) and common prefix (a
    ``str``) in document order, or in name order if ``sort``; return the next continuation token.

    Keys are URL-decoded when the answer says ``<EncodingType>url``. An entry's fields are read
    in the element's own namespace (S3 uses one, some compatible servers none), the first of a
    name winning as with ``findtext``.

    Args:
        source: the page, spooled (read from its start; rewound if it goes to the parser).
        sort: put the page into name order (a stable sort by key or prefix), for a service that
            does not list in order. The page's entries are then held, as tuples: sorted here, they
            become Objects only as the caller reads them, so none outlives its turn.

    Raises:
        MalformedResponseError: the XML is malformed or an entry's ``<Size>`` is not a byte count.
    """
    page = source.read(PATTERN_LIMIT + 1)
    read = _read_plain(page, driver) if len(page) <= PATTERN_LIMIT else None
    if read is None:
        source.seek(0)
        if not sort:
            return (yield from _parse(source, driver))
        read = _held(_parse(source, driver))
    entries, token = read
    if sort:
        entries.sort(key=_name)
    yield from entries
    return token


def _held(entries: Generator[Entry | str, None, str | None]) -> tuple[list[Entry | str], str | None]:
    """Every entry of a page, and its token."""
    held: list[Entry | str] = []
    while True:
        try:
            held.append(next(entries))
        except StopIteration as end:
            return held, end.value


def _name(entry: Entry | str) -> str:
    return entry if isinstance(entry, str) else entry[0]


def _read_plain(page: bytes, driver: Any) -> tuple[list[Entry | str], str | None] | None:
    """The entries and next token of a well-formed page of the plain shape; None for any other page,
    and for one with a size that is not a byte count (the parser hands out what comes before it,
    then says what is wrong, as it always has)."""
    opening = _OPENING.match(page)
    # a DOCTYPE, for one, never reaches libxml2's check; a malformed page is left to the parser too
    if opening is None or not is_well_formed(page):
        return None
    try:
        text = page.decode()
    except UnicodeDecodeError:
        return None
    end = text.rfind(_CLOSING)
    if end < 0 or text[end + len(_CLOSING):].strip(" \t\r\n"):
        return None
    url = _URL_ENCODED in text  # SeaweedFS says it last: keys are decoded as they are read, and this is checked below
    entries: list[Entry | str] = []
    said: dict[str, str] = {}
    at = opening.end()
    first = _PLAIN_CONTENTS.search(text, at, end)
    pattern, groups = _PLAIN_CONTENTS, _GROUPS
    if first is not None and first.end() - first.start() <= _LIKE_LIMIT:
        pattern, groups = _like(first)
    try:
        for contents in pattern.finditer(text, at, end):
            if contents.start() != at and not _read_others(text, at, contents.start(), entries, said, url, driver):
                return None
            key, etag, size, modified, storage = contents.group(*groups)
            key = key or ""
            if url and ("%" in key or "+" in key):
                key = unquote_plus(key)
            entries.append((key, int(size) if size else 0, etag or "", modified or "", storage or "STANDARD"))
            at = contents.end()
        if not _read_others(text, at, end, entries, said, url, driver):
            return None
    except MalformedResponseError:
        return None
    if (said.get("EncodingType") == "url") != url:
        return None
    token = said.get("NextContinuationToken")
    return entries, (token or None) if said.get("IsTruncated") == "true" else None


_GROUPS: tuple[int, ...] = (1, 2, 3, 4, 5)
"""The groups of Key, ETag, Size, LastModified and StorageClass in :data:`_PLAIN_CONTENTS`."""


def _like(first: re.Match[str]) -> tuple[re.Pattern[str], tuple[int, ...]]:
    """A pattern for plain entries written as ``first`` is, and the numbers of its groups of Key, ETag,
    Size, LastModified and StorageClass (a page writes every entry alike: this reads them at a
    third of :data:`_PLAIN_CONTENTS`'s cost, with neither repeat nor alternation).

    It is ``first``'s text with each field's text made a group of the same characters as in
    :data:`_PLAIN_CONTENTS`: whatever it matches, that pattern matches too, with the same groups.
    An entry written otherwise is left between two matches, where :func:`_read_others` reads it.
    """
    text, pattern, at = first.string, [], first.start()
    present = sorted((first.start(number), first.end(number), number) for number in _GROUPS if first.start(number) >= 0)
    groups: dict[int, int] = {}
    for start, end, number in present:
        pattern += [re.escape(text[at:start]), _LIKE[number]]
        groups[number], at = len(groups) + 1, end
    pattern.append(re.escape(text[at:first.end()]))
    for number in _GROUPS:  # a field this entry has not: a group that never takes part, so None
        if number not in groups:
            pattern.append("(?:()(?!))?")
            groups[number] = len(groups) + 1
    return re.compile("".join(pattern)), tuple(groups[number] for number in _GROUPS)


_LIKE_LIMIT = 4096
"""Characters of the longest entry :func:`_like` makes a pattern of (compiled once a page, or
taken from ``re``'s cache when the pages are alike)."""

_LIKE = {1: r"([^<&\r]*)", 2: r'([^<&\r"]*)', 3: r"([0-9]{0,20})", 4: r"([^<&\r]*)", 5: r"([^<&\r]*)"}
"""The groups of :data:`_PLAIN_CONTENTS`, by number."""


def _read_others(
    text: str, at: int, end: int, entries: list[Entry | str], said: dict[str, str], url: bool, driver: Any
) -> bool:
    """Read the root children from ``at`` to ``end`` that :data:`_PLAIN_CONTENTS` left: other entries
    and common prefixes go to ``entries`` (url-decoded if ``url``), the elements a listing reads to
    ``said``. False if that stretch is not of the plain shape.

    Raises:
        MalformedResponseError: an entry's ``<Size>`` is not a byte count.
    """
    decode = _unquote if url else str
    while at < end:
        other = _OTHER.match(text, at, end)
        if other is None or other.end() == at:
            contents = _CONTENTS.match(text, at, end)
            if contents is None:
                return False
            key, etag, size, modified, storage = (xml_text(t) if t else t for t in contents.group(1, 2, 3, 4, 5))
            key = key or ""
            size_read = fields.size(size or "0", "<Size>", driver, object_name=key)
            entries.append((decode(key), size_read, (etag or "").strip('"'), modified or "", storage or "STANDARD"))
            at = contents.end()
            continue
        prefix, name, value = other.group(1, 2, 3)
        if prefix is not None:
            entries.append(decode(xml_text(prefix)))
        elif name in _SAID:
            if name in said:  # the parser would act on each: left to it
                return False
            said[name] = xml_text(value or "")
        at = other.end()
    return True


_LISTING_TAGS = ("{*}Contents", "{*}CommonPrefixes", "{*}EncodingType", "{*}IsTruncated", "{*}NextContinuationToken")
"""The children of ``<ListBucketResult>`` a listing reads (in any namespace or none)."""


def _parse(source: io.BufferedIOBase, driver: Any) -> Generator[Entry | str, None, str | None]:
    """:func:`iter_listing` for a page of any shape, parsed as it is read.

    Entries that come before ``<EncodingType>`` (or before the end, if the service never sends
    it) are held until it is known: AWS sends it first, so AWS pages are read in bounded memory.
    """
    decode: Callable[[str], str] | None = None
    held: list[Entry | str] = []
    truncated, token = False, None
    names = _Names("")
    for element in iter_tagged(source, "{*}ListBucketResult", _LISTING_TAGS, driver):
        tag = element.tag
        if tag == names.contents:  # most of a page: its namespace is known already
            name = "Contents"
        else:
            ns, name = (tag[: tag.index("}") + 1], tag[tag.index("}") + 1:]) if tag[0] == "{" else ("", tag)
            if names.ns != ns:
                names = _Names(ns)
        entry: Entry | str
        if name == "Contents":
            texts = {child.tag: child.text for child in reversed(element)}  # reversed: the first one wins
            key = texts.get(names.key) or ""
            entry = (
                key,
                fields.size(texts.get(names.size) or "0", "<Size>", driver, object_name=key),
                (texts.get(names.etag) or "").strip('"'),
                texts.get(names.last_modified) or "",
                texts.get(names.storage_class) or "STANDARD",
            )
        elif name == "CommonPrefixes":
            entry = element.findtext(names.prefix) or ""
        else:
            if name == "EncodingType":
                decode = _unquote if element.text == "url" else str
                yield from (_decoded(item, decode) for item in held)
                held.clear()
            elif name == "IsTruncated":
                truncated = element.text == "true"
            elif name == "NextContinuationToken":
                token = element.text
            continue
        if decode is None:
            held.append(entry)
        else:
            yield _decoded(entry, decode)
    yield from (_decoded(item, decode or str) for item in held)
    return (token or None) if truncated else None


class _Names:
    """The tags of a ``<Contents>``'s fields in one namespace (``{uri}`` or empty), built once a page."""

    def __init__(self, ns: str) -> None:
        self.ns, self.contents = ns, f"{ns}Contents"
        self.key, self.size, self.etag = f"{ns}Key", f"{ns}Size", f"{ns}ETag"
        self.last_modified, self.storage_class, self.prefix = f"{ns}LastModified", f"{ns}StorageClass", f"{ns}Prefix"


def _decoded(entry: Entry | str, decode: Callable[[str], str]) -> Entry | str:
    if isinstance(entry, str):
        return decode(entry)
    key = decode(entry[0])
    return entry if key == entry[0] else (key, *entry[1:])


def _unquote(text: str) -> str:
    """A key of a url-encoded listing, decoded (most keys have nothing to decode)."""
    return unquote_plus(text) if "%" in text or "+" in text else text
