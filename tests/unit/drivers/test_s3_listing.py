"""ListObjectsV2 pages read by pattern and by the element parser give the same entries, the same
token and the same errors: every page here goes through both, and the odd ones must be left
to the parser by the pattern reader."""

from __future__ import annotations

import io
from collections.abc import Generator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storagekit.drivers.s3 import _listing
from storagekit.drivers.s3._listing import Entry
from storagekit.types import MalformedResponseError

S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def page(body: str, *, root: str = f'<ListBucketResult xmlns="{S3_NS}">', declaration: str = DECLARATION) -> bytes:
    return f"{declaration}{root}<Name>box</Name>{body}</ListBucketResult>".encode()


def seaweed(key: str, size: int = 1) -> str:
    """An entry as SeaweedFS writes it (its ETag's quotes as &#34;, StorageClass before LastModified)."""
    return (f"<Contents><Key>{key}</Key><ETag>&#34;9dd4e461268c8034f5c8564e155c67a6&#34;</ETag><Size>{size}</Size>"
            "<StorageClass>STANDARD</StorageClass><LastModified>2026-11-30T20:19:17Z</LastModified></Contents>")


def aws(key: str, size: int = 1) -> str:
    """An entry as AWS writes it, pretty-printed, with checksum fields and an owner."""
    return (f"\n  <Contents>\n    <Key>{key}</Key>\n    <LastModified>2026-11-30T20:19:17.000Z</LastModified>\n"
            '    <ETag>&quot;9dd4e461268c8034f5c8564e155c67a6&quot;</ETag>\n'
            "    <ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm>\n    <ChecksumType>FULL_OBJECT</ChecksumType>\n"
            f"    <Size>{size}</Size>\n    <Owner>\n      <ID>abc</ID>\n      <DisplayName>me</DisplayName>\n"
            "    </Owner>\n    <StorageClass>STANDARD</StorageClass>\n  </Contents>")


SEAWEED_PAGE = page("<Prefix>list/</Prefix><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>"
                    + "".join(seaweed(f"list/{n:06d}") for n in range(50))
                    + "<NextContinuationToken>list/000049</NextContinuationToken>"
                      "<EncodingType>url</EncodingType><KeyCount>50</KeyCount>")
AWS_PAGE = page("\n  <Prefix></Prefix>\n  <KeyCount>3</KeyCount>\n  <MaxKeys>3</MaxKeys>\n"
                "  <EncodingType>url</EncodingType>\n  <IsTruncated>true</IsTruncated>\n"
                "  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
                + aws("a%20b") + aws("caf%C3%A9+x", 7) + aws("d")
                + "\n  <CommonPrefixes>\n    <Prefix>dir%2F/</Prefix>\n  </CommonPrefixes>\n")


def outcome(entries: Generator[Entry | str, None, str | None]) -> tuple[Any, ...]:
    """What a caller sees: the items, then the token or the error."""
    items: list[Entry | str] = []
    try:
        while True:
            items.append(next(entries))
    except StopIteration as end:
        return ("read", items, end.value)
    except MalformedResponseError as error:
        return ("refused", items, str(error))


def both(body: bytes) -> tuple[Any, ...]:
    """The outcome of the listing (pattern first) and of the element parser alone, which must agree."""
    read = outcome(_listing.iter_listing(io.BytesIO(body)))
    parsed = outcome(_listing._parse(io.BytesIO(body), None))
    assert read == parsed
    return read


def by_pattern(body: bytes) -> bool:
    """True if the page is read by pattern, not left to the parser."""
    return _listing._read_plain(body, None) is not None


# ------------------------------------------------------------------ the shapes real services send


def test_a_seaweedfs_page_is_read_by_pattern_as_the_parser_reads_it() -> None:
    assert by_pattern(SEAWEED_PAGE)
    _, items, token = both(SEAWEED_PAGE)
    assert items[0] == ("list/000000", 1, "9dd4e461268c8034f5c8564e155c67a6", "2026-11-30T20:19:17Z", "STANDARD")
    assert len(items) == 50 and token == "list/000049"


def test_an_aws_page_is_read_by_pattern_as_the_parser_reads_it() -> None:
    """Pretty-printed, checksum fields, an Owner with children, a common prefix, url-encoded keys."""
    assert by_pattern(AWS_PAGE)
    _, items, token = both(AWS_PAGE)
    assert [item if isinstance(item, str) else item[:2] for item in items] == [
        ("a b", 1), ("café x", 7), ("d", 1), "dir//"]
    assert token == "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="


@pytest.mark.parametrize("body", [
    page(seaweed("a")),  # no declaration of the encoding, no IsTruncated
    page(seaweed("a"), declaration=""),
    page(seaweed("a"), root="<ListBucketResult>"),
    page(seaweed("a"), declaration="<?xml version='1.0' encoding='utf-8' standalone='yes'?>"),
    page("<Contents></Contents><Contents><Key>k</Key></Contents>"),
    page("<Prefix/><Delimiter>/</Delimiter><IsTruncated>false</IsTruncated>"
         "<NextContinuationToken>t</NextContinuationToken>"),
    page("<CommonPrefixes><Prefix></Prefix></CommonPrefixes>"
         "<CommonPrefixes> <Prefix>a&amp;b/</Prefix> </CommonPrefixes>"),
    page(seaweed("a") + "\r\n" + seaweed("b")),  # a carriage return between elements changes nothing
])
def test_plain_pages_are_read_by_pattern(body: bytes) -> None:
    assert by_pattern(body)
    assert both(body)[0] == "read"


# ------------------------------------------------------------------ text, decoded exactly as XML does


@pytest.mark.parametrize(("written", "read"), [
    ("a&amp;b", "a&b"),
    ("&lt;/Key&gt;x", "</Key>x"),  # a key that spells an end tag, escaped
    ("&#65;&#x42;&#x00e9;&#128512;", "ABé😀"),
    ("&apos;&quot;&#34;&#39;", "'\"\"'"),
    ("&amp;#34;&amp;quot;&amp;amp;", "&#34;&quot;&amp;"),  # an escaped reference stays a reference's text
    ("café 😀 \u2028", "café 😀 \u2028"),
    ("a>b]]c", "a>b]]c"),
])
def test_references_in_fields_are_decoded_as_xml_does(written: str, read: str) -> None:
    body = page(f"<Contents><Key>{written}</Key><ETag>&quot;{written}&quot;</ETag>"
                f"<StorageClass>{written}</StorageClass><LastModified>{written}</LastModified><Size>&#49;&#x32;</Size></Contents>"
                f"<CommonPrefixes><Prefix>{written}</Prefix></CommonPrefixes>")
    assert by_pattern(body)
    _, items, _ = both(body)
    assert items == [(read, 12, read.strip('"'), read, read), read]


@pytest.mark.parametrize("etag", ["&quot;&quot;e&quot;", '"e"', "&#34;e", "e&#34;&#34;", "&quot;", '""',
                                  "&#x22;e&#x22;"])
def test_an_etag_loses_every_quote_at_its_ends_as_before(etag: str) -> None:
    body = page(f"<Contents><Key>k</Key><ETag>{etag}</ETag></Contents>")
    _, items, _ = both(body)
    assert items[0][2] in ("e", "")


# ------------------------------------------------------------------ hostile pages: the parser decides


HOSTILE = {
    "fake token in a comment after the root": page(seaweed("a")) + b"<!-- <NextContinuationToken>fake"
                                              b"</NextContinuationToken> -->",
    "fake token in a comment inside": page("<IsTruncated>true</IsTruncated>" + seaweed("a")
                                           + "<!-- <NextContinuationToken>fake</NextContinuationToken> -->"),
    "fake entry in a comment": page(seaweed("a") + "<!--" + seaweed("fake") + "-->" + seaweed("b")),
    "fake entry in CDATA": page(seaweed("a") + "<![CDATA[" + seaweed("fake") + "]]>"),
    "CDATA key": page("<Contents><Key><![CDATA[a</Key>b&amp;]]></Key><Size>1</Size></Contents>"),
    "CDATA beside text": page("<Contents><Key>a<![CDATA[<b>]]>c</Key></Contents>"),
    "comment in a key": page("<Contents><Key>a<!-- x -->b</Key></Contents>"),
    "processing instruction": page(seaweed("a") + "<?pi " + seaweed("fake") + "?>"),
    "doctype with an external entity": (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<ListBucketResult xmlns="' + S3_NS.encode() + b'"><IsTruncated>false</IsTruncated>'
        b"<Contents><Key>a&x;</Key><Size>1</Size></Contents></ListBucketResult>"),
    "doctype with an internal entity": (
        b'<!DOCTYPE ListBucketResult [<!ENTITY k "secret">]><ListBucketResult><Contents><Key>&k;</Key>'
        b"</Contents></ListBucketResult>"),
    "namespace prefixes": (
        f'<s3:ListBucketResult xmlns:s3="{S3_NS}"><s3:Contents><s3:Key>a</s3:Key><s3:Size>1</s3:Size></s3:Contents>'
        "<Contents><Key>b</Key></Contents></s3:ListBucketResult>").encode(),
    "an entry in another namespace": page('<Contents xmlns="urn:other"><Key>a</Key><Size>2</Size></Contents>'),
    "a field in another namespace": page('<Contents><Key xmlns="urn:other">a</Key><Size>2</Size></Contents>'),
    "an attribute": page('<Contents id="1"><Key>a</Key></Contents>'),
    "duplicate keys: the first wins": page("<Contents><Key>a</Key><Size>1</Size><Key>b</Key></Contents>"),
    "duplicate etags and sizes": page("<Contents><Key>a</Key><ETag>1</ETag><Size>1</Size><ETag>2</ETag>"
                                      "<Size>x</Size></Contents>"),
    "duplicate encoding types": page(seaweed("a%41") + "<EncodingType>url</EncodingType>" + seaweed("b%41")
                                     + "<EncodingType>none</EncodingType>" + seaweed("c%41")),
    "duplicate tokens": page("<IsTruncated>true</IsTruncated><NextContinuationToken>1</NextContinuationToken>"
                             "<NextContinuationToken>2</NextContinuationToken>"),
    "duplicate truncation flags": page("<IsTruncated>true</IsTruncated><NextContinuationToken>1</NextContinuationToken>"
                                       "<IsTruncated>false</IsTruncated>"),
    "empty-element key": page("<Contents><Key/><Size>1</Size></Contents>"),
    "empty-element entry": page("<Contents/>" + seaweed("a")),
    "empty-element common prefixes": page("<CommonPrefixes/>"),
    "text in an entry": page("<Contents>junk<Key>a</Key></Contents>"),
    "text in the root": page("junk" + seaweed("a")),
    "an entry in an entry": page("<Contents><Key>a</Key><Contents><Key>b</Key></Contents></Contents>"),
    "an entry in a child": page("<Contents><Key>a</Key><Owner><Contents><Key>b</Key></Contents></Owner></Contents>"),
    "an entry under another element": page("<Wrapper>" + seaweed("a") + "</Wrapper>" + seaweed("b")),
    "a key with children": page("<Contents><Key>a<b>c</b>d</Key></Contents>"),
    "a prefix with two values": page("<CommonPrefixes><Prefix>a</Prefix><Prefix>b</Prefix></CommonPrefixes>"),
    "carriage returns in a key": page("<Contents><Key>a\r\nb\rc</Key></Contents>"),
    "a carriage return by reference": page("<Contents><Key>a&#13;b&#xD;&#10;</Key></Contents>"),
    "latin-1": page("<Contents><Key>caf\xe9</Key></Contents>",
                    declaration='<?xml version="1.0" encoding="ISO-8859-1"?>').replace(b"\xc3\xa9", b"\xe9"),
    "UTF-16": page(seaweed("café"), declaration='<?xml version="1.0" encoding="UTF-16"?>').decode().encode("utf-16"),
    "a byte-order mark": b"\xef\xbb\xbf" + page(seaweed("a")),
    "XML 1.1": page(seaweed("a\u0085b"), declaration='<?xml version="1.1" encoding="UTF-8"?>'),
    "another root": b"<Error><Code>NoSuchBucket</Code><Contents><Key>a</Key></Contents></Error>",
    "a listing root under another root": b"<r><ListBucketResult>" + seaweed("a").encode() + b"</ListBucketResult></r>",
    "a whitespace-padded end": page(seaweed("a")) + b" \n\t ",
    "a nested listing root": page("<ListBucketResult>" + seaweed("a") + "</ListBucketResult>"),
    # malformed: both refuse
    "a bad size": page(seaweed("a") + seaweed("b", size=0).replace("<Size>0", "<Size>12abc")),
    "a negative size": page("<Contents><Key>a</Key><Size>-5</Size></Contents>"),
    "a size by reference": page("<Contents><Key>a</Key><Size>&#32;7</Size></Contents>"),
    "an undefined entity": page("<Contents><Key>a&x;</Key></Contents>"),
    "a reference to NUL": page("<Contents><Key>a&#0;</Key></Contents>"),
    "a surrogate by reference": page("<Contents><Key>a&#xD800;</Key></Contents>"),
    "a control character": page("<Contents><Key>a\x01</Key></Contents>"),
    "a CDATA end in text": page("<Contents><Key>a]]>b</Key></Contents>"),
    "a raw ampersand": page("<Contents><Key>a&b</Key></Contents>"),
    "mismatched tags": page("<Contents><Key>a</Size></Contents>"),
    "bad UTF-8": page(seaweed("a")).replace(b">a<", b">\xff\xfe<"),
    "two roots": page(seaweed("a")) + page(seaweed("b"), declaration=""),
    "an end tag after the end": page(seaweed("a")) + b"</ListBucketResult>",
    "empty": b"",
    "not XML": b"<html><body>portal",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_pages_give_the_parsers_answer(name: str) -> None:
    both(HOSTILE[name])


PLAIN_AFTER_ALL = {"a carriage return by reference", "a whitespace-padded end", "an entry in an entry"}
"""Hostile pages of the plain shape, read by pattern (an entry in an entry is a child it skips, as the parser does)."""


@pytest.mark.parametrize("name", sorted(PLAIN_AFTER_ALL))
def test_hostile_pages_of_the_plain_shape_are_read_by_pattern(name: str) -> None:
    assert by_pattern(HOSTILE[name])


@pytest.mark.parametrize("name", sorted(set(HOSTILE) - PLAIN_AFTER_ALL))
def test_odd_pages_are_left_to_the_parser(name: str) -> None:
    """Only a well-formed page of the plain shape is read by pattern (an odd one is not even
    checked: a DOCTYPE never reaches libxml2's entity expansion); a malformed one, or one with a
    size that is not a byte count, is left to the parser, which hands out what comes before the
    fault and then says what it is, as it always has."""
    assert not by_pattern(HOSTILE[name])


def test_entities_are_never_expanded_on_either_path() -> None:
    _, items, _ = both(HOSTILE["doctype with an external entity"])
    assert [item[0] for item in items if not isinstance(item, str)] == ["a"]


def test_a_page_cut_anywhere_is_refused_by_both() -> None:
    whole = page(seaweed("a&amp;b") + "<CommonPrefixes><Prefix>p/</Prefix></CommonPrefixes>" + seaweed("c"))
    for cut in range(len(whole) - len(" \n")):
        assert both(whole[:cut])[0] == "refused", whole[:cut]


def test_a_page_past_the_pattern_limit_is_streamed_by_the_parser() -> None:
    """A page larger than what is spooled in memory is parsed as it is read (the 200 MiB page of
    tests/integration/test_listing_memory_bound.py holds this in bounded memory)."""
    one = seaweed("k" * 900)
    body = page("<EncodingType>url</EncodingType>" + one * (_listing.PATTERN_LIMIT // len(one) + 1))
    source = io.BytesIO(body)
    entries = _listing.iter_listing(source)
    assert next(entries)[0] == "k" * 900
    assert source.tell() < len(body) // 2, "the page was read whole"
    assert sum(1 for _ in entries) == _listing.PATTERN_LIMIT // len(one)


# ------------------------------------------------------------------ generated pages


_PIECES = ["a", "é", "😀", " ", "%41", "+", "&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#34;", "&#x41;", "&#233;",
           '"', "'", ">", "\n", "\t", "]]", "12"]
_ODD_PIECES = ["\r", "<!--c-->", "<![CDATA[x]]>", "<?p?>", "<x/>", "<Key/>", "&#0;", "&x;"]


@st.composite
def _text(draw: st.DrawFn, odd: bool) -> str:
    return "".join(draw(st.lists(st.sampled_from(_PIECES + (_ODD_PIECES if odd else [])), max_size=5)))


@st.composite
def _children(draw: st.DrawFn, odd: bool) -> str:
    parts = []
    for name in draw(st.lists(st.sampled_from(["Key", "ETag", "Size", "LastModified", "StorageClass", "Owner",
                                               "ChecksumType"]), max_size=7)):
        size = name == "Size" and draw(st.booleans())
        text = draw(st.sampled_from(["0", "17", "x7"])) if size else draw(_text(odd))
        parts.append(f"{draw(st.sampled_from(['', ' ', chr(10)]))}<{name}>{text}</{name}>")
    return "".join(parts)


@st.composite
def _pages(draw: st.DrawFn) -> bytes:
    """Pages of the plain shape with any texts and children, and (half of them) with odd pieces."""
    odd = draw(st.booleans())
    body = []
    for kind in draw(st.lists(st.sampled_from(["entry", "entry", "entry", "prefix", "said", "odd"]), max_size=8)):
        if kind == "entry":
            body.append(f"<Contents>{draw(_children(odd))}</Contents>")
        elif kind == "prefix":
            body.append(f"<CommonPrefixes><Prefix>{draw(_text(odd))}</Prefix></CommonPrefixes>")
        elif kind == "said":
            name = draw(st.sampled_from(["EncodingType", "IsTruncated", "NextContinuationToken", "KeyCount"]))
            value = draw(st.sampled_from(["url", "true", "false", "t&amp;1", ""]))
            body.append(f"<{name}>{value}</{name}>")
        elif odd:
            body.append(draw(st.sampled_from(["<!-- <Contents><Key>z</Key></Contents> -->", " \r\n ", "junk",
                                              "<Contents><Key>z</Key></Contents", "<Contents/>"])))
    return page("".join(body))


@settings(max_examples=300, deadline=None)
@given(_pages())
def test_generated_pages_read_the_same_both_ways(body: bytes) -> None:
    both(body)


@pytest.mark.parametrize("odd", ["", "<!-- odd: left to the parser -->"])
def test_a_page_is_put_into_name_order_when_asked_on_either_path(odd: str) -> None:
    """A stable sort by name, entries and prefixes alike, as the listing of a service that does not
    list in order always had (SeaweedFS lists ``a/b`` before ``a-b``)."""
    body = page(seaweed("a/b") + seaweed("a-b", 1) + odd + "<CommonPrefixes><Prefix>a.</Prefix></CommonPrefixes>"
                + seaweed("a-b", 2) + seaweed("a"))
    assert by_pattern(body) == (not odd)
    items = list(_listing.iter_listing(io.BytesIO(body), sort=True))
    assert [item if isinstance(item, str) else item[:2] for item in items] == [
        ("a", 1), ("a-b", 1), ("a-b", 2), "a.", ("a/b", 1)]


def test_entries_written_unlike_the_first_are_read_too() -> None:
    """The first entry's layout makes the fast pattern; entries laid out otherwise (other order,
    fields missing or added, other quotes, whitespace) are read between its matches."""
    body = page(seaweed("a") + "<Contents><Key>b</Key></Contents>" + aws("c", 3) + seaweed("d", 4)
                + "<Contents><Size>5</Size><Key>e</Key><ETag>x</ETag></Contents>"
                + seaweed("f").replace("&#34;", "&quot;") + "<Contents><Key>g&amp;</Key></Contents>" + seaweed("h"))
    assert by_pattern(body)
    _, items, _ = both(body)
    assert [item[:3] for item in items if not isinstance(item, str)] == [
        ("a", 1, "9dd4e461268c8034f5c8564e155c67a6"), ("b", 0, ""), ("c", 3, "9dd4e461268c8034f5c8564e155c67a6"),
        ("d", 4, "9dd4e461268c8034f5c8564e155c67a6"), ("e", 5, "x"), ("f", 1, "9dd4e461268c8034f5c8564e155c67a6"),
        ("g&", 0, ""), ("h", 1, "9dd4e461268c8034f5c8564e155c67a6")]


def test_a_first_entry_too_long_to_copy_is_read_by_the_general_pattern() -> None:
    long = "<Contents><Key>a</Key>" + "<Owner><ID>x</ID></Owner>" * (_listing._LIKE_LIMIT // 20) + "</Contents>"
    body = page(long + seaweed("b"))
    assert by_pattern(body)
    assert [item[0] for item in both(body)[1]] == ["a", "b"]


@settings(max_examples=200, deadline=None)
@given(_children(odd=False), st.data())
def test_what_the_first_entrys_pattern_reads_the_general_one_reads_alike(children: str, data: st.DataObject) -> None:
    """Another entry laid out as the first, with other field texts, reads the same through the first's
    pattern as through the general one, whenever the first's pattern takes it."""
    first = f"<Contents>{children}</Contents>"
    found = _listing._PLAIN_CONTENTS.fullmatch(first)
    if found is None:  # the entry holds references or a repeated field: not a plain one
        return
    pattern, groups = _listing._like(found)
    spans = sorted((found.start(n), found.end(n)) for n in range(1, 6) if found.start(n) >= 0)
    other, at = "", 0
    for start, end in spans:
        text = data.draw(st.sampled_from(["", "7", "a b", "é😀", '"', "x&amp;", "123456789012345678901", "\r"]))
        other, at = other + first[at:start] + text, end
    other += first[at:]
    like = pattern.fullmatch(other)
    if like is not None:  # the first's pattern takes less than the general one (which reads the rest)
        plain = _listing._PLAIN_CONTENTS.fullmatch(other)
        assert plain is not None
        assert [g or "" for g in like.group(*groups)] == [g or "" for g in plain.group(1, 2, 3, 4, 5)]
