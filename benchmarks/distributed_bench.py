"""The 20,000-object copy on one process (today's sync) and on a Dask LocalCluster of 1, 2 and 4
workers, every request delayed 20 ms by the fault proxy (what a real cloud costs per request).

Run: ``python -m benchmarks.distributed_bench`` (``--help`` for the sizes). A local directory of
small files is copied to a fresh SeaweedFS bucket per configuration, through
``tests/support/proxy.py``'s FaultProxy running in a process of its own (so its threads do not
share the client's interpreter lock). Each run is timed from the first listing to the last
copy; starting the cluster is not timed. Results: a table on stdout and ``--output`` (JSON),
with the load average before and after each run (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from storagekit import distributed
from storagekit.sync import sync
from tests.support.proxy import Fault, FaultProxy
from tests.support.servers import start_seaweedfs


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.distributed_bench", description=__doc__)
    parser.add_argument("--objects", type=int, default=20_000, help="small objects to copy (default 20,000)")
    parser.add_argument("--size", type=int, default=1024, help="bytes per object (default 1024)")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="delay the proxy adds to each request")
    parser.add_argument("--workers", default="1,2,4", help="LocalCluster sizes, comma-separated")
    parser.add_argument("--jobs", type=int, default=8, help="copies at once per process / per task")
    parser.add_argument("--shard-size", type=int, default=500, help="names per task")
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "results" / "distributed.json")
    return parser.parse_args(argv)


def _serve_proxy(upstream: str, latency: float, ready: Any) -> None:
    """In a child process: the fault proxy stalling every request ``latency`` seconds."""
    with FaultProxy(upstream) as proxy:
        proxy.inject(Fault("stall", times=10**12, seconds=latency))
        ready.put(proxy.url)
        while True:
            time.sleep(3600)


def _tree(root: Path, count: int, size: int) -> Path:
    for index in range(count):
        path = root / f"{index // 1000:03d}" / f"{index:06d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(size))
    return root


def _timed(label: str, streams: int, run: Any) -> dict[str, Any]:
    before = os.getloadavg()[0]
    started = time.perf_counter()
    report = run()
    seconds = time.perf_counter() - started
    assert report.ok and not report.in_sync, report.errors
    return {"config": label, "streams": streams, "objects": len(report.copied), "seconds": round(seconds, 1),
            "objects_per_s": round(len(report.copied) / seconds, 1),
            "load_before": round(before, 2), "load_after": round(os.getloadavg()[0], 2)}


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    from distributed import Client, LocalCluster

    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="storagekit-dbench-") as work:
        source = str(_tree(Path(work) / "source", args.objects, args.size))
        with start_seaweedfs(Path(work) / "s3") as server:
            context = multiprocessing.get_context("spawn")
            ready = context.Queue()
            proxy = context.Process(target=_serve_proxy, args=(server.endpoint_url, args.latency_ms / 1000, ready),
                                    daemon=True)
            proxy.start()
            try:
                options = {"provider": "seaweedfs", "endpoint_url": ready.get(timeout=60), "key": server.access_key,
                           "secret": server.secret_key, "region": server.region}

                def bucket() -> str:
                    return f"s3://dbench-{uuid.uuid4().hex[:8]}"

                rows.append(_timed("1 process (storagekit.sync)", args.jobs, lambda: sync(
                    source, bucket(), create=True, jobs=args.jobs, **options)))
                print(rows[-1], flush=True)
                for workers in (int(count) for count in args.workers.split(",")):
                    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster, Client(cluster) as client:
                        rows.append(_timed(f"LocalCluster, {workers} worker(s)", workers * args.jobs,
                                           lambda: distributed.sync(source, bucket(), client, create=True,
                                                                    jobs=args.jobs, shard_size=args.shard_size,
                                                                    progress=False, **options)))
                    print(rows[-1], flush=True)
            finally:
                proxy.kill()
    base = rows[0]["objects_per_s"]
    print(f"\n{args.objects} objects of {args.size} B, {args.latency_ms:g} ms added per request, "
          f"{os.cpu_count()} cores\n")
    print("| configuration | copy streams | seconds | objects/s | vs 1 process | load avg before / after |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['config']} | {row['streams']} | {row['seconds']} | {row['objects_per_s']} | "
              f"{row['objects_per_s'] / base:.2f}x | {row['load_before']} / {row['load_after']} |")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"arguments": {k: str(v) for k, v in vars(args).items()}, "runs": rows},
                                      indent=2))


if __name__ == "__main__":
    main()
