"""What fake-gcs-server costs per listing request: ``python -m benchmarks.gcs_listing``.

The GCS listing target (at least obstore's objects/s) is measured on fake-gcs-server, and
the two clients do not ask it the same thing: storagekit lists through the JSON API in
pages of ``list_page_size`` (GCS itself answers 1,000 at most), obstore through the XML
API, which the emulator answers with the whole bucket in one response whatever
``max-keys`` says. This times each request shape with nothing but a plain ``urllib`` read
(no parsing, so no client CPU to speak of) against a bucket of ``--count`` objects, so the
table shows the server's own floor for each way of listing the bucket.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.support.servers import start_fake_gcs

BUCKET = "gcs-listing"


def shapes(base: str, count: int) -> Iterator[tuple[str, str, int]]:
    """(label, URL, objects answered) of each listing request timed."""
    json_api = f"{base}/storage/v1/b/{BUCKET}/o"
    yield f"JSON, maxResults={count} (the whole bucket)", f"{json_api}?maxResults={count}", count
    for size in (5000, 1000):
        yield f"JSON, maxResults={size} (a page)", f"{json_api}?maxResults={size}", min(size, count)
    yield "XML, max-keys=1000 (answered whole)", f"{base}/{BUCKET}?list-type=2&max-keys=1000", count


def timed(url: str) -> tuple[float, int]:
    """Seconds to read ``url``'s whole answer, and its bytes."""
    start = time.perf_counter()
    with urllib.request.urlopen(url) as response:
        size = len(response.read())
    return time.perf_counter() - start, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="objects in the bucket (default 10000)")
    parser.add_argument("--rounds", type=int, default=5, help="requests of each shape (default 5)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir, start_fake_gcs(Path(workdir)) as server:
        driver = server.driver()
        container = driver.create_container(BUCKET)
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda i: driver.upload_object_via_stream(iter([b"x"]), container, f"obj/{i:06d}"),
                          range(args.count)))
        base = server.endpoint.rstrip("/")
        print(f"fake-gcs-server, a bucket of {args.count:,} objects; median (min-max) of {args.rounds} requests\n")
        print("| request | ms | MB | objects/s at most, listing page by page this way |")
        print("|---|---|---|---|")
        for label, url, answered in shapes(base, args.count):
            runs = [timed(url) for _ in range(args.rounds)]
            seconds = sorted(s for s, _ in runs)
            median = statistics.median(seconds)
            print(f"| {label} | {median * 1e3:.0f} ({seconds[0] * 1e3:.0f}-{seconds[-1] * 1e3:.0f}) | "
                  f"{runs[0][1] / 1e6:.2f} | {answered / median:,.0f} |")


if __name__ == "__main__":
    main()
