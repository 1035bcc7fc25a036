"""File objects (``driver.open``) on every driver: seeks against a reference, footer reads that
fetch little, text round trips, and writers that commit on close or leave nothing at all."""

from __future__ import annotations

import contextlib
import gc
import io
import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from ..base import StorageDriver
from ..models import Container, MultipartUpload
from ..types import ContainerDoesNotExistError, ObjectDoesNotExistError
from .fixtures import DriverTests

MiB = 1024 * 1024
DATA = os.urandom(3 * MiB + 12_345)






# (whence, offset, size) applied in order; the reader must agree with slicing DATA at every step.
MOVES = [
    (io.SEEK_SET, 0, 10), (io.SEEK_CUR, 100_000, 70_000), (io.SEEK_END, -8, 8), (io.SEEK_END, -20_000, 100),
    (io.SEEK_SET, MiB - 5, 10), (io.SEEK_CUR, -3, 2 * MiB), (io.SEEK_END, 10, 5), (io.SEEK_SET, 5, -1),
]












def _leftovers(driver: StorageDriver, container: Container) -> list[str]:
    """Objects, and multipart uploads or Swift segments, left in or for the container."""
    names = [obj.name for obj in driver.list_container_objects(container)]
    iterate_uploads = getattr(driver, "ex_iterate_multipart_uploads", None)
    if iterate_uploads:
        names += [f"upload:{upload.object_name}" for upload in iterate_uploads(container)]
    segments = getattr(driver, "segment_container_for", None)
    if segments:
        with contextlib.suppress(ContainerDoesNotExistError):
            names += [f"segment:{obj.name}" for obj in driver.list_container_objects(
                driver._as_container(segments(container)))]
    return names




def _write_past_the_threshold(driver: StorageDriver, file: Any, started: threading.Event) -> None:
    """Write three parts and, on a multipart store, wait until the engine has begun the upload."""
    part = max(driver.part_limits.min_size, MiB)
    file.write(os.urandom(3 * part))
    if driver.capabilities.multipart:
        assert started.wait(60)


class FileTests(DriverTests):
    """File objects (``driver.open``): seeks, footer reads, text, writers that commit or leave nothing."""

    @pytest.fixture
    def stored(self, driver: StorageDriver, container: Container) -> str:
        driver.upload_object_via_stream([DATA], container, "data/table.parquet")
        return "data/table.parquet"

    @pytest.fixture
    def requested(self, driver: StorageDriver, monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
        """The (start, end) of every range the driver is asked to open during the test."""
        ranges: list[tuple[int, int]] = []
        open_range = driver._open_range

        def counted(obj: Any, start: int, end: int) -> Any:
            ranges.append((start, end))
            return open_range(obj, start, end)

        monkeypatch.setattr(driver, "_open_range", counted)
        return ranges

    def test_seek_and_read_agree_with_the_reference(self, driver: StorageDriver, container: Container,
                                                    stored: str) -> None:
        with driver.open(container, stored, "rb") as file:
            assert file.seekable() and file.readable() and not file.writable()
            for whence, offset, size in MOVES:
                position = file.seek(offset, whence)
                assert position == {io.SEEK_SET: 0, io.SEEK_CUR: position - offset, io.SEEK_END: len(DATA)}[whence] \
                    + offset
                expected = DATA[position:][: None if size < 0 else size]
                assert file.read(size) == expected
                assert file.tell() == position + len(expected)

    def test_a_footer_read_fetches_a_small_part(self,
        driver: StorageDriver, container: Container, stored: str, requested: list[tuple[int, int]]
    ) -> None:
        """Parquet's way in: the last 8 bytes (footer length and magic), then the footer before them."""
        with driver.open(container, stored, "rb") as file:
            file.seek(-8, io.SEEK_END)
            assert file.read(8) == DATA[-8:]
            file.seek(-8 - 30_000, io.SEEK_END)
            assert file.read(30_000) == DATA[-8 - 30_000 : -8]
        fetched = sum(end - start for start, end in requested)
        assert 0 < fetched < len(DATA) // 20

    def test_a_sequential_read_grows_its_read_ahead(self,
        driver: StorageDriver, container: Container, stored: str, requested: list[tuple[int, int]]
    ) -> None:
        with driver.open(container, stored, "rb", part_size=MiB) as file:
            chunks = iter(lambda: file.read(4096), b"")
            assert b"".join(chunks) == DATA
        sizes = [end - start for start, end in requested]
        assert sizes[0] < sizes[1] < sizes[2] and max(sizes) == MiB  # doubled, capped by the part size
        assert len(requested) < len(DATA) // MiB + 8  # not one request per read

    def test_text_round_trip(self, driver: StorageDriver, container: Container) -> None:
        lines = ["naïve café\n", "二行目\n", "last line without end"]
        with driver.open(container, "notes.txt", "w", encoding="utf-8") as file:
            file.writelines(lines)
        with container.open("notes.txt", "r", encoding="utf-8") as text:
            assert list(text) == lines
        obj = driver.get_object(container.name, "notes.txt")
        with obj.open("rb") as binary:
            assert binary.readline() == lines[0].encode()

    def test_a_written_object_is_stored_on_close_and_verified(self, driver: StorageDriver,
                                                              container: Container) -> None:
        part = max(driver.part_limits.min_size, MiB)
        data = os.urandom(2 * part + 777)
        with driver.open(container, "big.bin", "wb", part_size=part, multipart_threshold=part,
                         ex_meta={"origin": "writer"}) as file:
            for offset in range(0, len(data), 100_000):
                file.write(data[offset : offset + 100_000])
            with pytest.raises(ObjectDoesNotExistError):  # nothing is visible before close()
                driver.get_object(container.name, "big.bin")
        assert file.object is not None and file.object.size == len(data)
        assert b"".join(driver.download_object_as_stream(file.object)) == data
        assert driver.get_object(container.name, "big.bin").meta_data == {"origin": "writer"}

    @pytest.fixture
    def multipart_started(self, driver: StorageDriver, monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
        """Set once the engine starts a multipart upload; afterwards, asserts every one began was aborted."""
        started = threading.Event()
        begun: list[MultipartUpload] = []
        aborted: list[MultipartUpload] = []
        start, abort = driver._multipart_start, driver._multipart_abort

        def starting(*args: Any) -> MultipartUpload:
            upload = start(*args)
            begun.append(upload)
            started.set()
            return upload

        def aborting(upload: MultipartUpload) -> None:
            aborted.append(upload)
            abort(upload)

        monkeypatch.setattr(driver, "_multipart_start", starting)
        monkeypatch.setattr(driver, "_multipart_abort", aborting)
        yield started
        assert aborted == begun

    def test_a_writer_that_raises_inside_with_leaves_nothing(self,
        driver: StorageDriver, container: Container, multipart_started: threading.Event
    ) -> None:
        part = max(driver.part_limits.min_size, MiB)
        with pytest.raises(RuntimeError, match="halfway"), \
                driver.open(container, "aborted.bin", "wb", part_size=part, multipart_threshold=part) as file:
            _write_past_the_threshold(driver, file, multipart_started)
            raise RuntimeError("halfway")
        assert file.closed and file.object is None
        assert _leftovers(driver, container) == []

    def test_a_writer_dropped_without_close_leaves_nothing(self,
        driver: StorageDriver, container: Container, multipart_started: threading.Event
    ) -> None:
        part = max(driver.part_limits.min_size, MiB)
        file = driver.open(container, "dropped.bin", "wb", part_size=part, multipart_threshold=part)
        _write_past_the_threshold(driver, file, multipart_started)
        upload = file._upload
        del file
        gc.collect()
        assert upload.finished.wait(60)
        assert _leftovers(driver, container) == []

    def test_a_text_writer_that_raises_leaves_nothing(self, driver: StorageDriver, container: Container) -> None:
        with pytest.raises(ValueError, match="bad row"), driver.open(container, "rows.csv", "w") as text:
            text.write("a,b\n")
            raise ValueError("bad row")
        assert _leftovers(driver, container) == []
