"""Peak memory of iterating a 200 MiB S3 listing page, in a subprocess.

A hostile local server sends one ListObjectsV2 page of 200 MiB (about 200,000 entries, far past
the 1,000 asked for). The page is parsed as it arrives, one ``<Contents>`` at a time, so the
client's memory must not grow with it: parsed whole it took 4.5 GiB. The bound is what the
parser and its 64 KiB reads need plus the allocator's slack, far below the page's own size.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator

from tests.support.hostile_clouds import RawServer, chunked
from tests.support.peak_rss import HIGH_WATER_MARK

MiB = 1024 * 1024
PAGE = 200 * MiB
BOUND = 48 * MiB
S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"

SCRIPT = HIGH_WATER_MARK + textwrap.dedent("""
    import json, sys
    from storagekit.drivers.s3 import S3StorageDriver
    from storagekit.http import RetryPolicy
    from storagekit.models import Container

    driver = S3StorageDriver("AKIDEXAMPLE", "secret", region="us-east-1", endpoint_url=sys.argv[1],
                             retry=RetryPolicy(max_attempts=1), timeout=(10.0, 120.0))
    baseline = high_water_mark()
    count = total = 0
    for obj in driver.iterate_container_objects(Container("box", {}, driver)):
        count += 1
        total += obj.size
    peak = high_water_mark()
    print(json.dumps({"baseline": baseline, "peak": peak, "count": count, "total": total}))
""")


def entry(number: int) -> bytes:
    key = f"{number:09d}/{'k' * 900}"
    return (f"<Contents><Key>{key}</Key><LastModified>2026-11-21T12:00:00.000Z</LastModified>"
            f"<ETag>&quot;0123456789abcdef0123456789abcdef&quot;</ETag><Size>{number}</Size>"
            "<StorageClass>STANDARD</StorageClass></Contents>").encode()


ENTRY_SIZE = len(entry(0))
ENTRIES = PAGE // ENTRY_SIZE


def page() -> Iterator[bytes]:
    """The page, 1 MiB-ish at a time: never held whole by the server either."""
    yield (f'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="{S3_NS}"><Name>box</Name>'
           "<EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>").encode()
    batch = MiB // ENTRY_SIZE
    for start in range(0, ENTRIES, batch):
        yield b"".join(entry(number) for number in range(start, min(start + batch, ENTRIES)))
    yield b"</ListBucketResult>"


def test_a_200_mib_listing_page_is_iterated_in_bounded_memory() -> None:
    with RawServer(chunked(200, {"Content-Type": "application/xml"}, page)) as server:
        result = subprocess.run([sys.executable, "-c", SCRIPT, server.url], capture_output=True, text=True,
                                check=False, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(result.stdout)
    assert figures["count"] == ENTRIES and figures["total"] == ENTRIES * (ENTRIES - 1) // 2
    growth = figures["peak"] - figures["baseline"]
    assert growth < BOUND, (
        f"peak RSS grew {growth / MiB:.0f} MiB above the {figures['baseline'] / MiB:.0f} MiB baseline "
        f"while iterating a {PAGE / MiB:.0f} MiB page; the bound is {BOUND / MiB:.0f} MiB"
    )
