"""How long a first sync of many small files takes, and a second one with nothing changed.

The second sync's quick check (size + mtime) reads no file content: on the local driver it
compares what the listing already carries; on S3 it asks one HEAD per object (an S3 listing
carries no metadata), ``--jobs`` at a time.

Run::

    PYTHONPATH=. python -m benchmarks.sync_quick_check --files 5000 --jobs 8
    PYTHONPATH=. python -m benchmarks.sync_quick_check --only local   # the local driver alone

It prints one JSON line per target (local driver, SeaweedFS started here) with the seconds of
each run and their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import uuid
from pathlib import Path

from storagekit.sync import sync
from storagekit.urls import Location, open_url
from tests.support.servers import start_seaweedfs

TARGETS = ("local", "seaweedfs")


def make_tree(root: Path, files: int) -> None:
    for index in range(files):
        folder = root / f"d{index % 50:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{index:05d}.bin").write_bytes(os.urandom(index * 7 % 4096 + 1))


def measure(source: Path, target: Location, jobs: int) -> dict[str, float]:
    started = time.perf_counter()
    first = sync(str(source), target, jobs=jobs, create=True)
    middle = time.perf_counter()
    second = sync(str(source), target, jobs=jobs)
    ended = time.perf_counter()
    assert not first.errors and len(second.copied) == 0, (first.errors, second.copied[:5])
    return {"first_s": round(middle - started, 2), "second_s": round(ended - middle, 2),
            "ratio": round((ended - middle) / (middle - started), 3), "files": len(first.copied)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--only", choices=TARGETS, action="append",
                        help="measure this target only (repeatable; default: all of them)")
    args = parser.parse_args()
    targets = args.only or TARGETS
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "tree"
        make_tree(source, args.files)
        if "local" in targets:
            local = open_url("local://bench/tree", local_root=str(Path(scratch) / "store"))
            print(json.dumps({"target": "local", **measure(source, local, args.jobs)}), flush=True)
        if "seaweedfs" not in targets:
            return
        with start_seaweedfs(Path(scratch) / "seaweedfs") as server:
            bucket = f"bench-{uuid.uuid4().hex[:8]}"
            target = Location(server.driver(), bucket, "tree", f"s3://{bucket}/tree")
            print(json.dumps({"target": "seaweedfs", **measure(source, target, args.jobs)}))


if __name__ == "__main__":
    main()
