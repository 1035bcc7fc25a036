"""The client's own CPU per request, with no server: ``python -m benchmarks.canned --before DIR``.

``percall`` measures requests against a live SeaweedFS, so its figures include the kernel's
loopback round trip and the server sharing the two cores. This measures only storagekit's
side: SeaweedFS's answers to a 4 KiB PUT, HEAD, GET and DELETE are recorded once (as its
bytes came off the socket), then each tree under test sends the same requests through a
``socketpair`` whose other end hands back the recorded answer as soon as a request is
written. Nothing waits, so what is counted is the Python path from the driver to the socket
and back, plus a few system calls. ``--callgrind`` counts instructions per call of each verb
(a run of ``--count``+1 calls minus a run of 1, under valgrind), which does not depend on the
machine's load at all; without it, CPU microseconds per call (getrusage), alternating the
trees round by round.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
VERBS = ("put", "head", "get", "delete")
BUCKET = "canned"
KEY = "k"


class _Recording(socket.socket):
    """A socket that keeps what it receives, one record per request written (``sendall``)."""

    answers: list[bytearray]

    def sendall(self, data: Any, *args: Any) -> None:
        self.answers.append(bytearray())
        super().sendall(data, *args)

    def recv_into(self, buffer: Any, *args: Any) -> int:
        count = super().recv_into(buffer, *args)
        self.answers[-1] += memoryview(buffer)[:count]
        return count


class _Canned(socket.socket):
    """A socket whose peer answers each request written with the next canned answer."""

    peer: socket.socket
    answer: bytes = b""

    def sendall(self, data: Any, *args: Any) -> None:
        super().sendall(data, *args)
        with contextlib.suppress(BlockingIOError):
            while self.peer.recv(1 << 20):  # the request: read and dropped
                pass
        self.peer.sendall(_Canned.answer)

    def setsockopt(self, *args: Any) -> None:  # TCP_NODELAY on a Unix socket: nothing to set
        with contextlib.suppress(OSError):
            super().setsockopt(*args)


def _record(endpoint: str, path: Path) -> None:
    """Send each verb twice through the current tree and keep SeaweedFS's second answers."""
    sys.path.insert(0, str(REPO))
    from storagekit.providers import get_driver
    from storagekit.types import Provider
    from tests.support.servers import SeaweedFS

    sockets: list[_Recording] = []
    create_connection = socket.create_connection

    def recording(*args: Any, **kwargs: Any) -> socket.socket:
        plain = create_connection(*args, **kwargs)
        timeout = plain.gettimeout()
        sock = _Recording(fileno=plain.detach())
        sock.settimeout(timeout)
        sock.answers = []
        sockets.append(sock)
        return sock

    socket.create_connection = recording  # type: ignore[assignment]
    config = SeaweedFS(endpoint)
    driver = get_driver(Provider.SEAWEEDFS)(key=config.access_key, secret=config.secret_key, region=config.region,
                                            endpoint_url=endpoint)
    container = driver.create_container(BUCKET)
    data = os.urandom(4096)
    answers = {}
    for verb in VERBS:
        for _ in range(2):
            if verb == "put":
                driver.upload_object_via_stream(iter((data,)), container, KEY)
            elif verb == "head":
                obj = driver.get_object(BUCKET, KEY)
            elif verb == "get":
                assert b"".join(driver.download_object_as_stream(obj)) == data
            else:
                driver.upload_object_via_stream(iter((data,)), container, KEY)
                driver.delete_object(driver.get_object(BUCKET, KEY))
        answers[verb] = bytes(sockets[-1].answers[-1]).hex()
    path.write_text(json.dumps({"data": data.hex(), "answers": answers}))


def child(canned: Path, count: int, verbs: list[str]) -> dict[str, float]:
    """Time ``count`` calls of each verb in this process, every answer canned: CPU us per call."""
    recorded = json.loads(canned.read_text())
    answers = {verb: bytes.fromhex(answer) for verb, answer in recorded["answers"].items()}
    data = bytes.fromhex(recorded["data"])

    def canned_connection(address: Any, timeout: Any = None, *args: Any, **kwargs: Any) -> socket.socket:
        mine, peer = socket.socketpair()
        sock = _Canned(fileno=mine.detach())
        sock.settimeout(timeout)
        peer.setblocking(False)
        sock.peer = peer
        return sock

    socket.create_connection = canned_connection  # type: ignore[assignment]
    from storagekit.models import Container
    from storagekit.providers import get_driver
    from storagekit.types import Provider

    driver = get_driver(Provider.SEAWEEDFS)(key="storagekit-test-key", secret="storagekit-test-secret",
                                            region="us-east-1", endpoint_url="http://127.0.0.1:9")
    container = Container(BUCKET, {}, driver)
    _Canned.answer = answers["head"]
    obj = driver.get_object(BUCKET, KEY)
    steps = {
        "put": lambda: driver.upload_object_via_stream(iter((data,)), container, KEY),
        "head": lambda: driver.get_object(BUCKET, KEY),
        "get": lambda: b"".join(driver.download_object_as_stream(obj)),
        "delete": lambda: driver.delete_object(obj),
    }
    results = {}
    for verb in verbs:
        _Canned.answer = answers[verb]
        step = steps[verb]
        step()  # warm up
        before = resource.getrusage(resource.RUSAGE_SELF)
        for _ in range(count):
            step()
        after = resource.getrusage(resource.RUSAGE_SELF)
        results[verb] = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) / count * 1e6
    return results


def _run_child(tree: Path, canned: Path, count: int, verbs: list[str],
               wrap: list[str] | None = None) -> dict[str, float]:
    argv = [*(wrap or []), sys.executable, str(Path(__file__).resolve()), "--child", str(canned), "--count",
            str(count), "--verbs", ",".join(verbs)]
    # one hash seed: string hashing changes dict probing, which moves instruction counts by ~1%
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0"}
    done = subprocess.run(argv, env=env, cwd=tree, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _instructions(tree: Path, canned: Path, count: int, verb: str, workdir: Path) -> float:
    """Instructions per call of ``verb``: a run of ``count`` + 1 calls minus a run of 1, divided by ``count``."""
    totals = []
    for calls in (1, count + 1):
        out = workdir / f"callgrind.{tree.name}.{verb}.{calls}"
        _run_child(tree, canned, calls, [verb], ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"])
        totals.append(next(int(line.split()[1]) for line in out.read_text().splitlines()
                           if line.startswith(("summary:", "totals:"))))
    return (totals[1] - totals[0]) / count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="the other tree (e.g. a worktree of main)")
    parser.add_argument("--after", type=Path, default=REPO, help="this tree by default")
    parser.add_argument("--count", type=int, default=2000, help="calls of each verb per round (200 with --callgrind)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--verbs", default=",".join(VERBS))
    parser.add_argument("--callgrind", action="store_true", help="count instructions (valgrind) instead of CPU time")
    parser.add_argument("--child", metavar="CANNED", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    verbs = args.verbs.split(",")
    if args.child:
        print(json.dumps(child(args.child, args.count, verbs)))
        return
    sys.path.insert(0, str(REPO))
    from tests.support.servers import start_seaweedfs

    trees = {"before": args.before, "after": args.after} if args.before else {"after": args.after}
    with tempfile.TemporaryDirectory(prefix="canned-") as scratch:
        canned = Path(scratch) / "answers.json"
        with start_seaweedfs(Path(scratch) / "s3") as s3:
            _record(s3.endpoint_url, canned)
        if args.callgrind:
            count = min(args.count, 200)
            print(f"instructions per call, canned SeaweedFS answers ({count} calls against 1)")
            print("| verb | " + " | ".join(trees) + " |")
            print("|---|" + "---|" * len(trees))
            figures = {name: {verb: _instructions(tree, canned, count, verb, Path(scratch)) for verb in verbs}
                       for name, tree in trees.items()}
            for verb in [*verbs, "all"]:
                cells = [f"{sum(figures[name].values()) if verb == 'all' else figures[name][verb]:,.0f}"
                         for name in trees]
                print(f"| {verb} | " + " | ".join(cells) + " |")
            return
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
        for _ in range(args.rounds):
            for name, tree in trees.items():
                runs[name].append(_run_child(tree, canned, args.count, verbs))
    print(f"CPU us per call, canned answers, median (min-max) of {args.rounds} rounds of {args.count}; "
          f"load {os.getloadavg()[0]:.1f}")
    print("| verb | " + " | ".join(trees) + " |")
    print("|---|" + "---|" * len(trees))
    for verb in verbs:
        cells = []
        for name in trees:
            values = [run[verb] for run in runs[name]]
            cells.append(f"{statistics.median(values):.0f} ({min(values):.0f}-{max(values):.0f})")
        print(f"| {verb} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
