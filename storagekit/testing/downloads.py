"""Downloads to files and streams, every range form, and the failure paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ..base import StorageDriver
from ..models import Container, Object
from ..types import DestinationExistsError, InvalidRangeError, ObjectDoesNotExistError
from .fixtures import DriverTests

DATA = bytes(range(256)) * 1000  # 256,000 bytes


class DownloadTests(DriverTests):
    """Downloads to files and streams, every range form, and the failure paths."""

    @pytest.fixture
    def obj(self, driver: StorageDriver, container: Container) -> Object:
        return driver.upload_object_via_stream([DATA], container, "dir/data.bin")

    def test_download_to_file(self, driver: StorageDriver, obj: Object, tmp_path: Path) -> None:
        target = tmp_path / "out.bin"
        assert driver.download_object(obj, str(target)) is True
        assert target.read_bytes() == DATA
        assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]  # no temp file left

    def test_download_into_a_directory_uses_the_base_name(self, driver: StorageDriver, obj: Object,
                                                          tmp_path: Path) -> None:
        obj.download(str(tmp_path))
        assert (tmp_path / "data.bin").read_bytes() == DATA

    def test_download_over_existing_file(self, driver: StorageDriver, obj: Object, tmp_path: Path) -> None:
        target = tmp_path / "out.bin"
        target.write_bytes(b"precious")
        with pytest.raises(DestinationExistsError):
            driver.download_object(obj, str(target))
        assert target.read_bytes() == b"precious"
        assert driver.download_object(obj, str(target), overwrite_existing=True)
        assert target.read_bytes() == DATA

    def test_download_missing_object_leaves_no_file(self, driver: StorageDriver, container: Container, obj: Object,
                                                    tmp_path: Path) -> None:
        driver.delete_object(obj)
        with pytest.raises(ObjectDoesNotExistError):
            driver.download_object(obj, str(tmp_path / "out.bin"))
        assert list(tmp_path.iterdir()) == []

    @pytest.mark.parametrize("chunk_size", [None, 1, 8096, 100_000, 10_000_000])
    def test_stream_honours_chunk_size(self, driver: StorageDriver, obj: Object, chunk_size: int | None) -> None:
        chunks = list(driver.download_object_as_stream(obj, chunk_size=chunk_size))
        assert b"".join(chunks) == DATA
        if chunk_size:
            assert all(len(c) == chunk_size for c in chunks[:-1])
            assert 0 < len(chunks[-1]) <= chunk_size

    def test_facade_stream_seed_style(self, driver: StorageDriver, obj: Object) -> None:
        assert b"".join(obj.as_stream(chunk_size=8192)) == DATA

    @pytest.mark.parametrize(
        ("start", "end"),
        [(0, None), (0, 1), (10, 20), (255_999, None), (100, 256_000), (256_000, None), (1000, 200_000)],
    )
    def test_ranges(self, driver: StorageDriver, obj: Object, tmp_path: Path, start: int, end: int | None) -> None:
        expected = DATA[start:end]
        assert b"".join(driver.download_object_range_as_stream(obj, start, end)) == expected
        assert b"".join(obj.range_as_stream(start, end, chunk_size=7)) == expected
        target = tmp_path / "range.bin"
        assert driver.download_object_range(obj, str(target), start, end) is True
        assert target.read_bytes() == expected
        assert obj.download_range(str(target), start, end, overwrite_existing=True)

    @pytest.mark.parametrize(("start", "end"), [(-1, None), (10, 5), (5, 5), (0, 256_001), (256_001, None)])
    def test_invalid_ranges(self, driver: StorageDriver, obj: Object, tmp_path: Path, start: int,
                            end: int | None) -> None:
        """Refused as libcloud refuses them (an explicit empty range too); a stream raises when read."""
        stream = driver.download_object_range_as_stream(obj, start, end)
        with pytest.raises(InvalidRangeError):
            b"".join(stream)
        with pytest.raises(InvalidRangeError):
            driver.download_object_range(obj, str(tmp_path / "r.bin"), start, end)
        assert list(tmp_path.iterdir()) == []

    def test_large_object_round_trip(self, driver: StorageDriver, container: Container, tmp_path: Path) -> None:
        source = tmp_path / "large.bin"
        source.write_bytes(os.urandom(20 * 1024 * 1024 + 123))
        obj = driver.upload_object(str(source), container, "large.bin", part_size=5 * 1024 * 1024,
                                   multipart_threshold=5 * 1024 * 1024)
        assert obj.size == source.stat().st_size
        target = tmp_path / "back.bin"
        driver.download_object(driver.get_object(container.name, "large.bin"), str(target))
        assert target.read_bytes() == source.read_bytes()
