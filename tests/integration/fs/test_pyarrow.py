"""pyarrow reads two of the 20 columns of a 200 MiB parquet file on SeaweedFS through the storagekit
filesystem, and fetches a small part of it: the bytes are counted on the wire, as the transport's
response hooks see every GET's body."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from storagekit.http import ResponseEvent
from tests.support.fs import filesystem_for
from tests.support.parquet import column_names, write_wide_parquet
from tests.support.servers import SeaweedFS

MiB = 1024 * 1024
SIZE = 200 * MiB
BUCKET = "wide-parquet"
WANTED = [column_names()[3], column_names()[17]]


@pytest.fixture(scope="module")
def wide_parquet(seaweedfs: SeaweedFS, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int,
                                                                                                   pa.Table]]:
    """(its path in the filesystem, its size, the two wanted columns read from the local file):
    random float64 columns (they do not compress), written a row group at a time and uploaded once."""
    path = Path(tmp_path_factory.mktemp("parquet")) / "wide.parquet"
    write_wide_parquet(path, SIZE)
    expected = pq.read_table(path, columns=WANTED)
    driver = seaweedfs.driver()
    container = driver.create_container(BUCKET)
    obj = driver.upload_object(str(path), container, "wide.parquet")
    path.unlink()
    yield f"{BUCKET}/wide.parquet", obj.size, expected
    driver.delete_object(obj)
    driver.delete_container(container)


def test_two_columns_of_twenty_fetch_a_small_part(seaweedfs: SeaweedFS,
                                                  wide_parquet: tuple[str, int, pa.Table]) -> None:
    received: list[int] = []

    def count(event: ResponseEvent) -> None:
        if event.request.method == "GET" and event.status_code in (200, 206):
            received.append(int(event.headers.get("Content-Length") or 0))

    fs = filesystem_for(seaweedfs.driver(), hooks={"response": [count]})
    path, size, expected = wide_parquet
    table = pq.read_table(path, columns=WANTED, filesystem=fs)
    assert table.equals(expected)
    # Two column chunks of 20 per row group (10% of the file) and the footer; the whole would be 200 MiB.
    assert len(received) >= 2
    assert sum(received) < size * 0.12, f"fetched {sum(received) / MiB:.1f} MiB of {size / MiB:.0f} MiB"
