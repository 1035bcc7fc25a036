"""Uploads from files and streams of every shape, metadata, content types, conditions."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..base import StorageDriver
from ..models import Container
from ..types import InvalidOptionError, PreconditionFailedError
from .fixtures import DriverTests, unique_name

PART = 8 * 1024 * 1024


def _read(driver: StorageDriver, container: Container, name: str) -> bytes:
    return b"".join(driver.get_object(container.name, name).as_stream())


class UploadTests(DriverTests):
    """Uploads from files and streams of every shape, metadata, content types, conditions."""

    def test_upload_file_with_extra_and_meta(self, driver: StorageDriver, container: Container, tmp_path: Path) -> None:
        source = tmp_path / "file.txt"
        source.write_bytes(b"hello storagekit\n")
        obj = driver.upload_object(
            file_path=str(source), container=container, object_name="docs/file.txt",
            extra={"ContentType": "text/plain"}, ex_meta={"author": "jane", "Project_Name": "Apollo"},
        )
        assert obj.name == "docs/file.txt" and obj.size == 17
        fetched = driver.get_object(container.name, "docs/file.txt")
        assert fetched.size == 17
        assert fetched.extra["content_type"].startswith("text/plain")
        assert {k.lower(): v for k, v in fetched.meta_data.items()} == {"author": "jane", "project_name": "Apollo"}
        assert _read(driver, container, "docs/file.txt") == b"hello storagekit\n"

    def test_content_type_is_guessed_and_snake_case_accepted(self, driver: StorageDriver, container: Container,
                                                              tmp_path: Path) -> None:
        source = tmp_path / "page.html"
        source.write_bytes(b"<p>hi</p>")
        driver.upload_object(str(source), container, "page.html")
        assert driver.get_object(container.name, "page.html").extra["content_type"].startswith("text/html")
        driver.upload_object_via_stream([b"{}"], container, "data.bin", extra={"content_type": "application/json"})
        assert driver.get_object(container.name, "data.bin").extra["content_type"] == "application/json"
        driver.upload_object_via_stream([b"?"], container, "unknown", extra={"meta_data": {"k": "v"}})
        fetched = driver.get_object(container.name, "unknown")
        assert fetched.extra["content_type"] == "application/octet-stream"
        assert {k.lower(): v for k, v in fetched.meta_data.items()} == {"k": "v"}

    @pytest.mark.parametrize(
        "chunks",
        [
            pytest.param([], id="zero-bytes"),
            pytest.param([b""], id="one-empty-chunk"),
            pytest.param([b"x" * 8096], id="exactly-one-chunk"),
            pytest.param([os.urandom(8096) for _ in range(40)], id="many-chunks"),
            pytest.param([os.urandom(n) for n in (1, 70_000, 3, 250_000, 0, 17)], id="ragged-chunks"),
        ],
    )
    def test_stream_uploads(self, driver: StorageDriver, container: Container, chunks: list[bytes]) -> None:
        expected = b"".join(chunks)
        obj = driver.upload_object_via_stream(iter(chunks), container, "stream.bin")
        assert obj.size == len(expected)
        assert _read(driver, container, "stream.bin") == expected

    def test_stream_of_unknown_length_spanning_parts(self, driver: StorageDriver, container: Container) -> None:
        """A generator (no length) larger than a part goes up intact, multipart where there is one."""
        blocks = [os.urandom(1024 * 1024) for _ in range(3)]

        def generate() -> Iterator[bytes]:
            for _ in range(6):
                yield from blocks

        obj = driver.upload_object_via_stream(generate(), container, "big.bin", part_size=5 * 1024 * 1024,
                                              multipart_threshold=5 * 1024 * 1024)
        assert obj.size == 18 * 1024 * 1024
        assert _read(driver, container, "big.bin") == b"".join(blocks) * 6

    def test_file_objects_and_bytes_are_sources(self, driver: StorageDriver, container: Container) -> None:
        driver.upload_object_via_stream(io.BytesIO(b"from a file object"), container, "f.txt")
        driver.upload_object_via_stream(b"from bytes", container, "b.txt")
        assert _read(driver, container, "f.txt") == b"from a file object"
        assert _read(driver, container, "b.txt") == b"from bytes"

    def test_overwrite_replaces_content_and_metadata(self, driver: StorageDriver, container: Container) -> None:
        driver.upload_object_via_stream([b"one"], container, "o.txt", ex_meta={"v": "1"})
        driver.upload_object_via_stream([b"two!"], container, "o.txt", ex_meta={"v": "2"})
        obj = driver.get_object(container.name, "o.txt")
        assert (obj.size, obj.meta_data.get("v")) == (4, "2")
        assert _read(driver, container, "o.txt") == b"two!"

    @pytest.mark.parametrize(
        "name",
        ["with space.txt", "ünïcödé/文件 名.txt", "deep/ly/nested/path/file", "plus+and&amp=.txt", "percent%20.txt"],
    )
    def test_unusual_names_round_trip(self, driver: StorageDriver, container: Container, name: str) -> None:
        driver.upload_object_via_stream([name.encode()], container, name)
        assert [o.name for o in driver.list_container_objects(container)] == [name]
        assert _read(driver, container, name) == name.encode()
        driver.delete_object(driver.get_object(container.name, name))
        assert driver.list_container_objects(container) == []

    def test_unknown_extra_key_is_refused(self, driver: StorageDriver, container: Container) -> None:
        with pytest.raises(InvalidOptionError, match="content_typo"):
            driver.upload_object_via_stream([b"x"], container, "x", extra={"content_typo": "text/plain"})
        assert driver.list_container_objects(container) == []

    def test_bad_source_type_leaves_nothing_behind(self, driver: StorageDriver, container: Container) -> None:
        with pytest.raises(TypeError, match="str"):
            driver.upload_object_via_stream(iter(["text, not bytes"]), container, "x")  # type: ignore[arg-type]
        assert driver.list_container_objects(container) == []

    def test_failing_source_leaves_no_object(self, driver: StorageDriver, container: Container) -> None:
        def broken() -> Iterator[bytes]:
            yield os.urandom(6 * 1024 * 1024)
            raise OSError("disk read failed")

        with pytest.raises(OSError, match="disk read failed"):
            driver.upload_object_via_stream(broken(), container, "half.bin", part_size=5 * 1024 * 1024,
                                            multipart_threshold=5 * 1024 * 1024)
        assert driver.list_container_objects(container) == []

    def test_create_only_write(self, driver: StorageDriver, container: Container) -> None:
        if not driver.capabilities.conditional_writes:
            pytest.fail(f"{driver.name} must support conditional writes")
        driver.upload_object_via_stream([b"first"], container, "once.txt", extra={"if_none_match": "*"})
        with pytest.raises(PreconditionFailedError):
            driver.upload_object_via_stream([b"second"], container, "once.txt", extra={"IfNoneMatch": "*"})
        assert _read(driver, container, "once.txt") == b"first"

    def test_if_match_write(self, driver: StorageDriver, container: Container) -> None:
        first = driver.upload_object_via_stream([b"v1"], container, "cas.txt")
        etag = driver.get_object(container.name, "cas.txt").extra["etag"]
        assert first.name == "cas.txt"
        driver.upload_object_via_stream([b"v2"], container, "cas.txt", extra={"if_match": etag})
        with pytest.raises(PreconditionFailedError):
            driver.upload_object_via_stream([b"v3"], container, "cas.txt", extra={"if_match": etag})
        assert _read(driver, container, "cas.txt") == b"v2"

    def test_unknown_transfer_option_is_refused(self, driver: StorageDriver, container: Container) -> None:
        with pytest.raises(InvalidOptionError, match="part_sise"):
            driver.upload_object_via_stream([b"x"], container, "x", part_sise=1)

    def test_facade_uploads(self, driver: StorageDriver, tmp_path: Path) -> None:
        container = driver.create_container(unique_name())
        try:
            source = tmp_path / "f.bin"
            source.write_bytes(b"facade")
            obj = container.upload_object(str(source), "f.bin")
            obj2 = container.upload_object_via_stream([b"stream"], "s.bin")
            assert container.get_object("f.bin").size == 6
            assert sorted(o.name for o in container.list_objects()) == ["f.bin", "s.bin"]
            assert [o.name for o in container.iterate_objects(prefix="s")] == ["s.bin"]
            assert b"".join(container.download_object_as_stream(obj2)) == b"stream"
            assert container.download_object(obj, str(tmp_path / "out.bin")) is True
            assert (tmp_path / "out.bin").read_bytes() == b"facade"
            assert container.delete_object(obj) is True
            assert obj2.delete() is True
        finally:
            container.delete()
