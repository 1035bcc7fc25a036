"""CPU per call, two source trees side by side: ``python -m benchmarks.percall --before DIR``.

The machine this project is measured on is shared, so wall-clock rates swing; CPU time per
call (user + system, ``getrusage``) swings much less, and comparing two trees in the same
run, alternating them round by round (before, after, before, after, ...), cancels the
load that remains. Each round is a fresh process importing storagekit from one tree (its
``PYTHONPATH``) and timing ``--count`` calls of each verb on one SeaweedFS started here:
4 KiB PUT (``upload_object_via_stream``), HEAD (``get_object``), GET
(``download_object_as_stream``), DELETE, and a listing of ``--list-count`` objects. The
table gives the median (and min-max) microseconds of CPU per call of each tree.

``--callgrind`` runs each tree once more under ``valgrind --tool=callgrind`` (``--count``
calls of each verb, no listing) and reports the instructions per call, which do not depend
on the load at all; the per-verb figure is the difference between a run with the verbs
and one without, divided by the count.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
VERBS = ("put", "head", "get", "delete")
BUCKET = "percall"


def child(server: str, count: int, list_count: int, verbs: list[str]) -> dict[str, float]:
    """Time ``count`` calls of each verb (and one listing) in this process: CPU us per call."""
    from storagekit.providers import get_driver
    from storagekit.types import Provider
    from tests.support.servers import SeaweedFS

    config = SeaweedFS(server)
    driver = get_driver(Provider.SEAWEEDFS)(key=config.access_key, secret=config.secret_key,
                                            region=config.region, endpoint_url=server)
    container = driver.get_container(BUCKET)
    data = os.urandom(4096)
    keys = [f"small/{os.getpid()}/{index:05d}" for index in range(count)]
    objects: dict[str, Any] = {}
    steps = {
        "put": lambda key: objects.__setitem__(key, driver.upload_object_via_stream(iter((data,)), container, key)),
        "head": lambda key: driver.get_object(BUCKET, key),
        "get": lambda key: b"".join(driver.download_object_as_stream(objects[key])),
        "delete": lambda key: driver.delete_object(objects[key]),
    }
    for verb in VERBS:  # warm up: imports, the pooled connection, caches
        steps[verb](keys[0])
    results: dict[str, float] = {}
    for verb in VERBS:
        step = steps[verb]
        before = resource.getrusage(resource.RUSAGE_SELF)
        for key in keys:
            step(key)
        after = resource.getrusage(resource.RUSAGE_SELF)
        if verb in verbs:
            cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
            results[verb] = cpu / count * 1e6
    if list_count and "list" in verbs:
        before = resource.getrusage(resource.RUSAGE_SELF)
        found = sum(1 for _ in driver.iterate_container_objects(container, prefix="list/"))
        after = resource.getrusage(resource.RUSAGE_SELF)
        if found != list_count:
            raise RuntimeError(f"listed {found} objects, expected {list_count}")
        results["list"] = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) / found * 1e6
    return results


def _run_child(tree: Path, server: str, count: int, list_count: int, verbs: list[str],
               wrap: list[str] | None = None) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    argv = [*(wrap or []), sys.executable, str(Path(__file__).resolve()), "--child", server, "--count", str(count),
            "--list-count", str(list_count), "--verbs", ",".join(verbs)]
    done = subprocess.run(argv, env=env, cwd=tree, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _callgrind(tree: Path, server: str, count: int, workdir: Path) -> dict[str, float]:
    """Instructions per call of each verb: a run with ``count`` calls minus a run with 1."""
    totals = {}
    for calls in (1, count + 1):
        out = workdir / f"callgrind.{tree.name}.{calls}"
        wrap = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
        _run_child(tree, server, calls, 0, list(VERBS), wrap)
        totals[calls] = _instructions(out)
    return {"all verbs": (totals[count + 1] - totals[1]) / count}


def _instructions(path: Path) -> int:
    for line in path.read_text().splitlines():
        if line.startswith("summary:") or line.startswith("totals:"):
            return int(line.split()[1])
    raise RuntimeError(f"no instruction total in {path}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=False, help="the other tree (e.g. a worktree of main)")
    parser.add_argument("--after", type=Path, default=REPO, help="this tree by default")
    parser.add_argument("--count", type=int, default=500, help="calls of each verb per round")
    parser.add_argument("--list-count", type=int, default=5000, help="objects listed per round (0: none)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--verbs", default="put,head,get,delete,list")
    parser.add_argument("--callgrind", action="store_true", help="also count instructions (valgrind)")
    parser.add_argument("--child", metavar="SERVER", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    verbs = args.verbs.split(",")
    if args.child:
        print(json.dumps(child(args.child, args.count, args.list_count, verbs)))
        return
    sys.path.insert(0, str(REPO))
    from tests.support.servers import start_seaweedfs

    trees = {"before": args.before, "after": args.after} if args.before else {"after": args.after}
    with tempfile.TemporaryDirectory(prefix="percall-") as scratch, start_seaweedfs(Path(scratch) / "s3") as s3:
        driver = s3.driver()
        container = driver.create_container(BUCKET)
        for index in range(args.list_count if "list" in verbs else 0):
            container.upload_object_via_stream(iter((b"x",)), f"list/{index:06d}")
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
        for _ in range(args.rounds):
            for name, tree in trees.items():
                runs[name].append(_run_child(tree, s3.endpoint_url, args.count, args.list_count, verbs))
        load = os.getloadavg()[0]
        print(f"CPU us per call, median (min-max) of {args.rounds} rounds of {args.count}; load {load:.1f}")
        print("| verb | " + " | ".join(trees) + " |")
        print("|---|" + "---|" * len(trees))
        for verb in verbs:
            cells = []
            for name in trees:
                values = [run[verb] for run in runs[name] if verb in run]
                cells.append(f"{statistics.median(values):.0f} ({min(values):.0f}-{max(values):.0f})")
            print(f"| {verb} | " + " | ".join(cells) + " |")
        if args.callgrind:
            for name, tree in trees.items():
                per_call = _callgrind(tree, s3.endpoint_url, min(args.count, 100), Path(scratch))
                print(f"{name}: {per_call['all verbs']:,.0f} instructions per PUT+HEAD+GET+DELETE")


if __name__ == "__main__":
    main()
