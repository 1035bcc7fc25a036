"""Hundreds of mixed transfers against SeaweedFS with about 30% of requests faulted.

Uploads (single PUT and multipart, from streams and files) and downloads (to files and as
streams, of objects found by a listing or by get_object, whole reads and reads split into
parallel ranges) go through the fault proxy, which resets connections mid-request and
mid-response, truncates bodies, answers 500 / 503 and flips one byte of GET bodies on a
seeded random ~30% of requests. The promise checked: no silent corruption (every transfer
either raises a typed storagekit error or moves exactly the bytes), no partial file at any
destination, no partial object and no multipart upload left dangling.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from storagekit.base import StorageDriver
from storagekit.http import RetryPolicy
from storagekit.models import Container, Object
from storagekit.types import StorageKitError
from tests.support.proxy import Fault, FaultProxy
from tests.support.servers import SeaweedFS

KiB, MiB = 1024, 1024 * 1024
PART = 5 * MiB  # S3's smallest part
FAULT_RATE = 0.3
KINDS = ("reset_request", "reset_response", "truncate", "status500", "status503", "flip")
RETRY = RetryPolicy(max_attempts=8, backoff_base=0.002, backoff_max=0.01)


class Chaos:
    """Decides once per request (seeded) whether and how the proxy faults it.

    The proxy asks each queued Fault's ``when`` in order under its lock; the first one asked
    draws the decision for the request, the others read it.
    """

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.decision: str | None = None
        self.requests = 0

    def faults(self) -> list[Fault]:
        def first(method: str, path: str, headers: dict[str, str]) -> bool:
            self.requests += 1
            # a GET has no request body to cut, and the only body a flip means something in
            kinds = ("reset_response", "truncate", "status500", "status503", "flip", "flip") if method == "GET" \
                else KINDS[:-1]
            kind = self.random.choice(kinds) if self.random.random() < FAULT_RATE else None
            if kind == "reset_request" and not int(headers.get("Content-Length") or 0):
                kind = "reset_response"
            self.decision = kind
            return kind == KINDS[0]

        def then(kind: str):  # type: ignore[no-untyped-def]
            return lambda method, path, headers: self.decision == kind

        spec = {"reset_request": {"after": 1000}, "reset_response": {"after": 3000}, "truncate": {"after": 2000},
                "status500": {"kind": "status", "status": 500}, "status503": {"kind": "status", "status": 503},
                "flip": {"after": 777}}
        faults = []
        for index, kind in enumerate(KINDS):
            options = dict(spec[kind])
            fault_kind = str(options.pop("kind", kind))
            faults.append(Fault(fault_kind, times=10**9, when=first if index == 0 else then(kind), **options))
        return faults


@dataclass
class Tally:
    """What happened, counted from the worker threads."""

    ok: Counter[str] = field(default_factory=Counter)
    typed: Counter[str] = field(default_factory=Counter)
    silent: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def outcome(self, what: str, ok: bool, silent: str | None = None) -> None:
        with self.lock:
            (self.ok if ok else self.typed)[what] += 1
            if silent:
                self.silent.append(silent)


@pytest.fixture
def chaos(seaweedfs: SeaweedFS) -> Iterator[tuple[FaultProxy, StorageDriver, StorageDriver, str, Chaos]]:
    """(proxy, driver through it, driver straight to SeaweedFS, a fresh bucket, its Chaos)."""
    direct = seaweedfs.driver()
    bucket = f"chaos-{uuid.uuid4().hex[:12]}"
    direct.create_container(bucket)
    with FaultProxy(seaweedfs.endpoint_url) as proxy:
        via = seaweedfs.driver(endpoint_url=proxy.url, timeout=(2.0, 2.0), retry=RETRY, part_size=PART,
                               multipart_threshold=MiB, max_concurrency=2)
        yield proxy, via, direct, bucket, Chaos(seed=12)
    container = direct._as_container(bucket)
    for upload in direct.ex_iterate_multipart_uploads(container):  # type: ignore[attr-defined]
        direct._multipart_abort(upload)
    for obj in direct.list_container_objects(container):
        direct.delete_object(obj)
    direct.delete_container(container)


def _contents(rng: random.Random) -> dict[str, bytes]:
    """200 small objects (single PUT), 8 of 1.5 MiB (a one-part multipart upload) and 8 of
    5 MiB + 64 KiB (two parts, read back as two parallel ranges)."""
    sizes = [rng.randint(0, 64 * KiB) for _ in range(200)] + [MiB + MiB // 2] * 8 + [PART + 64 * KiB] * 8
    return {f"obj-{index:03d}-{size}": rng.randbytes(size) for index, size in enumerate(sizes)}


def test_mixed_transfers_with_30_percent_faults_are_never_silently_wrong(chaos, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    proxy, via, direct, bucket, state = chaos
    rng = random.Random(7)
    contents = _contents(rng)
    sources = tmp_path / "sources"
    sources.mkdir()
    container = via._as_container(bucket)
    proxy.inject(*state.faults())
    tally = Tally()

    def upload(index_name: tuple[int, str]) -> None:
        index, name = index_name
        data = contents[name]
        try:
            if index % 2:
                path = sources / name
                path.write_bytes(data)
                via.upload_object(str(path), container, name)
            else:
                chunks = [data[i:i + 256 * KiB] for i in range(0, len(data), 256 * KiB)] or [b""]
                via.upload_object_via_stream(iter(chunks), container, name)
        except StorageKitError:
            tally.outcome("upload", False)
        else:
            tally.outcome("upload", True)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(upload, enumerate(contents)))

    # What was stored is exactly what was sent, uploads that failed included (absent, or whole).
    faults = Counter(kind for _, _, kind in proxy.log)
    proxy.clear()
    direct_container = direct._as_container(bucket)
    stored = {obj.name: obj for obj in direct.list_container_objects(direct_container)}
    for name, obj in stored.items():
        assert b"".join(direct.download_object_as_stream(obj)) == contents[name], f"stored corrupt: {name}"
    assert len(stored) >= len(contents) * 0.9, "most uploads succeed through retries"
    assert list(direct.ex_iterate_multipart_uploads(direct_container)) == []  # type: ignore[attr-defined]

    # Downloads: half of the objects as a listing gives them, half through get_object.
    proxy.inject(*state.faults())
    listed = _listing(via, container)
    destination = tmp_path / "restored"
    destination.mkdir()

    def download(index_name: tuple[int, str]) -> None:
        index, name = index_name
        try:
            obj: Object = listed[name] if index % 2 and name in listed else via.get_object(bucket, name)
            if index % 3:
                target = destination / name
                via.download_object(obj, str(target))
                got = target.read_bytes()
            else:
                got = b"".join(via.download_object_as_stream(obj))
        except StorageKitError:
            tally.outcome("download", False)
            return
        tally.outcome("download", True, silent=name if got != contents[name] else None)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(download, enumerate(stored)))
    faults.update(kind for _, _, kind in proxy.log)
    proxy.clear()

    transfers = sum(tally.ok.values()) + sum(tally.typed.values())
    print(f"\n{transfers} transfers over {state.requests} requests; faults {dict(faults)}; "
          f"ok {dict(tally.ok)}; typed errors {dict(tally.typed)}; silent corruptions {len(tally.silent)}")
    assert tally.silent == []
    assert transfers >= 400
    faulted = sum(count for kind, count in faults.items() if kind != "forwarded")
    assert 0.2 < faulted / state.requests < 0.4 and faults["flip"] >= 10  # the faults were really there
    for path in destination.iterdir():  # only complete, verified files; no temp files
        assert not path.name.startswith(".") and path.read_bytes() == contents[path.name], path.name
    assert list(direct.ex_iterate_multipart_uploads(direct_container)) == []  # type: ignore[attr-defined]


def _listing(driver: StorageDriver, container: Container) -> dict[str, Object]:
    """The container's objects as a listing through the proxy gives them (a faulted listing is
    asked again: each attempt must fail typed or succeed)."""
    for _ in range(20):
        try:
            return {obj.name: obj for obj in driver.list_container_objects(container)}
        except StorageKitError:
            continue
    raise AssertionError("no listing got through 20 attempts")
