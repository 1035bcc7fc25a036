"""The transfer engine against a request-style store with injectable faults.

``PartsStore`` is a memory store that speaks in requests the way the cloud drivers do
(single PUT, multipart steps, ranged GETs), so the engine's part sizing, concurrency,
verification, resumption and abort paths run here without a network.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from storagekit.base import Capabilities
from storagekit.drivers.memory import MemoryStorageDriver
from storagekit.http import Connection, RequestContext, RetryPolicy
from storagekit.mock import MockTransport
from storagekit.models import Container, MultipartUpload, Object, Part
from storagekit.options import UploadOptions
from storagekit.transfer import PartLimits, TransferConfig
from storagekit.transport import Request, Response
from storagekit.types import ConnectionBrokenError, ObjectHashMismatchError, ServiceUnavailableError, StorageKitError

MiB = 1024 * 1024


def _no_errors(response: Response, context: RequestContext) -> StorageKitError:
    raise AssertionError("PartsStore sends no request")


def _no_requests(request: Request) -> Response:
    raise AssertionError("PartsStore sends no request")


class PartsStore(MemoryStorageDriver):
    capabilities = Capabilities(multipart=True)
    part_limits = PartLimits(min_size=1024, max_parts=50)

    def __init__(self) -> None:
        super().__init__()
        self.uploads: dict[str, dict[int, bytes]] = {}
        self.aborted: list[str] = []
        self.fail_part: int | None = None
        self.breaks_left = 0
        self.corrupt_reads = False
        self.in_flight = self.max_in_flight = 0
        self.counter = threading.Lock()
        self.transfer_config = TransferConfig(part_size=64 * 1024, multipart_threshold=64 * 1024)
        # the retry policy of resumed reads is the connection's (this store sends no request)
        self.connection = Connection(error_parser=_no_errors, retry=RetryPolicy(max_attempts=4, backoff_base=0.001),
                                     transport=MockTransport(_no_requests))

    def _put_object(self, container: Container, name: str, part: Part, options: UploadOptions) -> Object:
        return self._write_object(container, name, iter([part.data]), options)

    def _multipart_start(self, container: Container, name: str, options: UploadOptions) -> MultipartUpload:
        upload = MultipartUpload(container, name, f"u{len(self.uploads)}", {"options": options})
        self.uploads[upload.upload_id] = {}
        return upload

    def _multipart_put(self, upload: MultipartUpload, part: Part) -> Any:
        with self.counter:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            threading.Event().wait(0.002)
            if part.number == self.fail_part:
                raise ServiceUnavailableError("part refused", self, http_status=503)
            self.uploads[upload.upload_id][part.number] = part.data
            return part.number
        finally:
            with self.counter:
                self.in_flight -= 1

    def _multipart_complete(self, upload: MultipartUpload, parts: list[Any], checksums: dict[str, str]) -> Object:
        stored = self.uploads.pop(upload.upload_id)
        data = b"".join(stored[number] for number in parts)
        obj = self._write_object(upload.container, upload.object_name, iter([data]), upload.state["options"])
        obj.checksums = {}  # like an S3 multipart ETag: not an MD5
        return obj

    def _multipart_abort(self, upload: MultipartUpload) -> None:
        self.uploads.pop(upload.upload_id, None)
        self.aborted.append(upload.upload_id)

    def _open_range(self, obj: Object, start: int, end: int) -> BreakingReader:
        reader = super()._open_range(obj, start, end)
        data = reader.read()
        if self.corrupt_reads:
            data = bytes([data[0] ^ 1]) + data[1:]
        if self.breaks_left:
            self.breaks_left -= 1
            return BreakingReader(self, data[: len(data) // 2], broken=True)
        return BreakingReader(self, data, broken=False)


class BreakingReader(io.BytesIO):
    """A range whose connection, if ``broken``, fails once its bytes have been read."""

    def __init__(self, driver: PartsStore, data: bytes, broken: bool) -> None:
        super().__init__(data)
        self.driver, self.broken = driver, broken

    def readinto(self, buffer: Any) -> int:
        count = super().readinto(buffer)
        if not count and self.broken:
            raise ConnectionBrokenError("reset by peer", self.driver, retryable=True)
        return count


@pytest.fixture
def store() -> PartsStore:
    return PartsStore()


@pytest.fixture
def container(store: PartsStore) -> Container:
    return store.create_container("c")


def test_small_objects_go_up_in_one_request(store: PartsStore, container: Container) -> None:
    store.upload_object_via_stream([b"small"], container, "s")
    assert store.uploads == {} and store.aborted == []


def test_large_stream_goes_up_in_parallel_parts(store: PartsStore, container: Container) -> None:
    data = os.urandom(1 * MiB + 5)
    seen: list[tuple[int, int | None]] = []
    obj = store.upload_object_via_stream(iter([data[i:i + 10_000] for i in range(0, len(data), 10_000)]), container,
                                         "big", progress=lambda done, total: seen.append((done, total)))
    assert obj.size == len(data)
    assert b"".join(store.download_object_as_stream(obj)) == data
    assert 1 < store.max_in_flight <= 4
    assert seen[-1] == (len(data), None) and [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_part_size_grows_to_fit_max_parts(store: PartsStore, container: Container, tmp_path: Path) -> None:
    source = tmp_path / "f"
    source.write_bytes(os.urandom(5 * MiB))
    sizes: list[int] = []
    original = store._multipart_put
    store._multipart_put = lambda upload, part: (sizes.append(len(part.data)), original(upload, part))[1]  # type: ignore
    store.upload_object(str(source), container, "f")
    assert len(sizes) <= 50 and max(sizes) >= 5 * MiB // 50


def test_failed_part_aborts_the_upload(store: PartsStore, container: Container) -> None:
    store.fail_part = 3
    with pytest.raises(ServiceUnavailableError):
        store.upload_object_via_stream([os.urandom(MiB)], container, "doomed")
    assert store.aborted == ["u0"] and store.uploads == {}
    assert store.list_container_objects(container) == []


def test_interrupt_aborts_the_upload(store: PartsStore, container: Container) -> None:
    def interrupted() -> Iterator[bytes]:
        yield os.urandom(200_000)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        store.upload_object_via_stream(interrupted(), container, "ctrl-c")
    assert store.aborted == ["u0"] and store.list_container_objects(container) == []


def test_parallel_download_resumes_broken_ranges(store: PartsStore, container: Container, tmp_path: Path) -> None:
    data = os.urandom(MiB)
    obj = store.upload_object_via_stream([data], container, "r")
    obj = store.get_object("c", "r")
    store.breaks_left = 3
    store.download_object(obj, str(tmp_path / "out"))
    assert (tmp_path / "out").read_bytes() == data and store.breaks_left == 0


def test_persistent_breaks_fail_with_no_file(store: PartsStore, container: Container, tmp_path: Path) -> None:
    obj = store.upload_object_via_stream([os.urandom(MiB)], container, "r")
    store.breaks_left = 1000
    with pytest.raises(ConnectionBrokenError):
        store.download_object(store.get_object("c", "r"), str(tmp_path / "out"))
    assert list(tmp_path.iterdir()) == []
    assert obj.size == MiB


def test_flipped_byte_is_caught(store: PartsStore, container: Container, tmp_path: Path) -> None:
    store.upload_object_via_stream([os.urandom(300_000)], container, "r")
    obj = store.get_object("c", "r")
    store.corrupt_reads = True
    with pytest.raises(ObjectHashMismatchError):
        store.download_object(obj, str(tmp_path / "out"))
    with pytest.raises(ObjectHashMismatchError):
        b"".join(obj.as_stream())
    assert list(tmp_path.iterdir()) == []


def test_stream_stopped_early_releases_the_workers(store: PartsStore, container: Container) -> None:
    store.upload_object_via_stream([os.urandom(MiB)], container, "r")
    stream = store.get_object("c", "r").as_stream(chunk_size=1000)
    assert len(next(stream)) == 1000
    stream.close()
    threading.Event().wait(0.1)
    assert not [t for t in threading.enumerate() if t.name.startswith("storagekit-range") and t.is_alive()]
