"""The workloads, each timed on the wall clock and on the client process's CPU (all threads).

A workload returns measurements: ``{"name", "seconds", "cpu_s", "user_s", "sys_s", "bytes", "count"}``
(``cpu_s`` = ``user_s`` + ``sys_s``).
Only the measured calls are inside the timing; building the client is not.
"""

from __future__ import annotations

import contextlib
import os
import resource
import time
from collections.abc import Callable, Iterator
from typing import Any

from .peers import Client, UnknownLengthReader

Measurement = dict[str, Any]
SMALL_SIZE = 4096
VERBS = ("put", "head", "get", "delete")


@contextlib.contextmanager
def measured(results: list[Measurement], name: str, size: int = 0, count: int = 0) -> Iterator[None]:
    """Append the wall time and the user and system CPU time (every thread of this process) of the block."""
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    yield
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    results.append({"name": name, "seconds": seconds, "cpu_s": user + system, "user_s": user, "sys_s": system,
                    "bytes": size, "count": count})


def _expect(what: str, got: int, wanted: int) -> None:
    if got != wanted:
        raise RuntimeError(f"{what}: got {got}, expected {wanted}")


def put_file(client: Client, params: dict[str, Any]) -> list[Measurement]:
    results: list[Measurement] = []
    with measured(results, "put_file", size=params["size"]):
        client.put_file(params["data_path"], params["key"])
    return results


def get_file(client: Client, params: dict[str, Any]) -> list[Measurement]:
    results: list[Measurement] = []
    destination = params["download_path"]
    try:
        with measured(results, "get_file", size=params["size"]):
            client.get_file(params["source_key"], destination)
        _expect("downloaded file size", os.path.getsize(destination), params["size"])
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(destination)
    return results


def put_stream(client: Client, params: dict[str, Any]) -> list[Measurement]:
    results: list[Measurement] = []
    reader = UnknownLengthReader(params["data_path"])
    try:
        with measured(results, "put_stream", size=params["size"]):
            client.put_stream(reader, params["key"])
    finally:
        reader.close()
    _expect("bytes read from the stream", reader.tell(), params["size"])
    return results


def get_stream(client: Client, params: dict[str, Any]) -> list[Measurement]:
    results: list[Measurement] = []
    with measured(results, "get_stream", size=params["size"]):
        received = client.get_stream(params["source_key"])
    _expect("bytes streamed", received, params["size"])
    return results


def small(client: Client, params: dict[str, Any]) -> list[Measurement]:
    """``count`` sequential PUTs of 4 KiB objects, then HEADs, GETs and DELETEs of each."""
    results: list[Measurement] = []
    data = os.urandom(SMALL_SIZE)
    keys = [f"{params['key']}/{index:05d}" for index in range(params["count"])]
    steps: dict[str, Callable[[str], Any]] = {
        "put": lambda key: client.put(key, data), "head": client.head, "get": client.get, "delete": client.delete,
    }
    for verb in VERBS:
        step = steps[verb]
        with measured(results, f"{verb}_4k", count=len(keys)):
            answers = [step(key) for key in keys]
        if verb == "get":
            _expect("bytes of a small GET", min(len(answer) for answer in answers), SMALL_SIZE)
    return results


def listing(client: Client, params: dict[str, Any]) -> list[Measurement]:
    results: list[Measurement] = []
    with measured(results, "list", count=params["count"]):
        found = client.count(params["prefix"])
    _expect("objects listed", found, params["count"])
    return results


WORKLOADS: dict[str, Callable[[Client, dict[str, Any]], list[Measurement]]] = {
    "put_file": put_file, "get_file": get_file, "put_stream": put_stream, "get_stream": get_stream,
    "small": small, "list": listing,
}
"""In the order they run; ``put_*`` and ``small`` leave nothing behind that the next one needs."""
