"""Peak memory of a 512 MiB stream up and down through a cloud driver, in a subprocess.

The bound is derived from the transfer options, not measured and pasted: with the default
``part_size`` P and ``max_concurrency`` C, an upload holds at most the part being read, the
parts being sent (C) and the multipart threshold's look-ahead (P), and a download holds the
C ranges being fetched plus the one being consumed, so the transfer itself needs at most
(2C + 3) x P above the process's baseline (interpreter, imports, driver). 16 MiB covers the
allocator's slack and the HTTP buffers.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from storagekit.transfer import TransferConfig
from tests.support.peak_rss import HIGH_WATER_MARK
from tests.support.s3 import SeaweedFS

MiB = 1024 * 1024
SIZE = 512 * MiB

SCRIPT = HIGH_WATER_MARK + textwrap.dedent("""
    import json, sys
    from storagekit.providers import get_driver

    args = json.loads(sys.argv[1])
    driver = get_driver(args["provider"])(**args["options"])
    container = driver.get_container(args["container"])
    baseline = high_water_mark()
    block = bytes(range(256)) * 4096  # 1 MiB

    def stream():
        for _ in range(args["size"] // len(block)):
            yield block

    obj = driver.upload_object_via_stream(stream(), container, "memory-bound.bin")
    received = sum(len(chunk) for chunk in driver.download_object_as_stream(obj))
    peak = high_water_mark()
    print(json.dumps({"baseline": baseline, "peak": peak, "size": obj.size, "received": received}))
""")


def test_streaming_512_mib_stays_within_the_derived_bound(seaweedfs: SeaweedFS) -> None:
    driver = seaweedfs.driver()
    container = driver.create_container("memory-bound")
    config = TransferConfig()
    bound_above_baseline = (2 * config.max_concurrency + 3) * config.part_size + 16 * MiB
    args = {
        "provider": "seaweedfs", "container": container.name, "size": SIZE,
        "options": {"key": seaweedfs.access_key, "secret": seaweedfs.secret_key, "region": seaweedfs.region,
                    "endpoint_url": seaweedfs.endpoint_url},
    }
    try:
        result = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(args)], capture_output=True, text=True,
                                check=False, timeout=600)
        assert result.returncode == 0, result.stderr[-3000:]
        figures = json.loads(result.stdout)
        assert figures["size"] == figures["received"] == SIZE
        growth = figures["peak"] - figures["baseline"]
        assert growth < bound_above_baseline, (
            f"peak RSS grew {growth / MiB:.0f} MiB above the {figures['baseline'] / MiB:.0f} MiB baseline; "
            f"the bound is {bound_above_baseline / MiB:.0f} MiB"
        )
    finally:
        for obj in driver.list_container_objects(container):
            obj.delete()
        driver.delete_container(container)
