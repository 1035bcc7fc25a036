"""Peak memory of a 1 GiB sequential read through ``driver.open()``, in a subprocess.

The bound is the transfer engine's (see ``test_memory_bound.py``): (2C + 3) x P + 16 MiB above
the baseline, with the default part size P and concurrency C. The reader keeps at most
``cache_size`` (2 P) of blocks plus the one it is filling, and a read larger than its
read-ahead goes through the engine's C + 1 range buffers into the caller's buffer, so it must
fit the same bound (with the caller's last chunk and the one being read, 2 x 16 MiB here).

The local driver holds the object: the reader's code path (ranged reads through the engine,
read-ahead, cache, the MD5 check of a whole in-order read) is the same on every driver, and
a local 1 GiB object costs seconds of CI where a server would cost a minute.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator

from storagekit.drivers.local import LocalStorageDriver
from storagekit.transfer import TransferConfig
from tests.support.peak_rss import HIGH_WATER_MARK

MiB = 1024 * 1024
SIZE = 1024 * MiB

SCRIPT = HIGH_WATER_MARK + textwrap.dedent("""
    import json, sys
    from storagekit.providers import get_driver

    args = json.loads(sys.argv[1])
    driver = get_driver("local")(args["root"])
    baseline = high_water_mark()
    received = 0
    with driver.open(args["container"], args["name"], "rb") as file:
        for size in args["reads"]:
            while chunk := file.read(size):
                received += len(chunk)
                if received % (256 * 1024 * 1024) < size:  # a quarter done: on to the next read size
                    break
    print(json.dumps({"baseline": baseline, "peak": high_water_mark(), "received": received}))
""")


def _blocks() -> Iterator[bytes]:
    """1 GiB, streamed: 1 MiB blocks that each start with their index (a block served twice shows)."""
    pattern = bytes(range(256)) * 4096
    for index in range(SIZE // MiB):
        yield index.to_bytes(8, "big") + pattern[8:]


def test_a_1_gib_sequential_read_through_open_stays_within_the_engines_bound(local_driver: LocalStorageDriver
                                                                              ) -> None:
    container = local_driver.create_container("files-memory-bound")
    obj = local_driver.upload_object_via_stream(_blocks(), container, "one-gib.bin")
    config = TransferConfig()
    bound_above_baseline = (2 * config.max_concurrency + 3) * config.part_size + 16 * MiB
    # 64 KiB and 1 MiB reads ride the read-ahead; 16 MiB reads (two parts) go through the engine's parallel ranges.
    args = {"root": local_driver.root, "container": container.name, "name": obj.name,
            "reads": [64 * 1024, MiB, 2 * config.part_size, MiB]}
    try:
        result = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(args)], capture_output=True, text=True,
                                check=False, timeout=600)
        assert result.returncode == 0, result.stderr[-3000:]  # a mismatch of the whole read would raise here
        figures = json.loads(result.stdout)
        assert figures["received"] == SIZE
        growth = figures["peak"] - figures["baseline"]
        assert growth < bound_above_baseline, (
            f"peak RSS grew {growth / MiB:.0f} MiB above the {figures['baseline'] / MiB:.0f} MiB baseline; "
            f"the bound is {bound_above_baseline / MiB:.0f} MiB"
        )
    finally:
        local_driver.delete_object(obj)
        local_driver.delete_container(container)
