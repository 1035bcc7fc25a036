"""storagekit.files on the memory and local drivers: the reader against io.BytesIO as a model,
integrity of whole reads, the writer's commit and abort, and the options' errors."""

from __future__ import annotations

import gc
import io
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storagekit.base import StorageDriver
from storagekit.files import ObjectReader, ObjectWriter
from storagekit.models import Container
from storagekit.providers import get_driver
from storagekit.types import (
    ContainerDoesNotExistError,
    InvalidObjectNameError,
    InvalidOptionError,
    ObjectDoesNotExistError,
    ObjectHashMismatchError,
)

KiB = 1024
REFERENCE = os.urandom(300 * KiB) + b"\n".join(b"line %d" % n for n in range(3000))
MEMORY = get_driver("memory")()
BUCKET = MEMORY.create_container("files")
MEMORY.upload_object_via_stream([REFERENCE], BUCKET, "reference.bin")

operation = st.one_of(
    st.tuples(st.just("seek"), st.integers(-len(REFERENCE) - 10, len(REFERENCE) + 10), st.sampled_from([0, 1, 2])),
    st.tuples(st.just("read"), st.integers(-1, 200 * KiB)),
    st.tuples(st.just("readinto"), st.integers(0, 100 * KiB)),
    st.tuples(st.just("readline"), st.integers(-1, 50)),
    st.tuples(st.just("peek"), st.just(1)),
)


@settings(max_examples=30, deadline=None)
@given(st.lists(operation, max_size=25), st.sampled_from([1, 4 * KiB, 64 * KiB]), st.integers(64 * KiB, 256 * KiB))
def test_the_reader_behaves_as_bytesio(operations: list[tuple], block_size: int, part_size: int) -> None:
    """Any sequence of seeks and reads gives what io.BytesIO gives over the same bytes."""
    model = io.BytesIO(REFERENCE)
    with MEMORY.open(BUCKET, "reference.bin", "rb", block_size=block_size, part_size=part_size,
                     cache_size=3 * part_size) as file:
        for name, *arguments in operations:
            if name == "seek":
                offset, whence = arguments
                if {0: offset, 1: model.tell() + offset, 2: len(REFERENCE) + offset}[whence] < 0:
                    with pytest.raises(ValueError, match="before the start"):
                        file.seek(offset, whence)
                    continue
                assert file.seek(offset, whence) == model.seek(offset, whence)
            elif name == "readinto":
                ours, theirs = bytearray(arguments[0]), bytearray(arguments[0])
                assert file.readinto(ours) == model.readinto(theirs)
                assert ours == theirs
            elif name == "peek":
                position = model.tell()
                assert REFERENCE[position:].startswith(file.peek(1))
                assert len(file.peek(1)) >= (1 if position < len(REFERENCE) else 0)
            else:
                assert getattr(file, name)(*arguments) == getattr(model, name)(*arguments)
            assert file.tell() == model.tell()


def test_iteration_gives_the_lines() -> None:
    with MEMORY.open(BUCKET, "reference.bin", "rb") as file:
        assert list(file) == io.BytesIO(REFERENCE).readlines()


def test_reads_larger_than_the_first_block_still_grow_the_read_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sequential 200 KiB reads (over three first blocks): the fetches grow to the part size
    after the first read, rather than one GET per read."""
    data = os.urandom(2048 * KiB)
    MEMORY.upload_object_via_stream([data], BUCKET, "two-mib.bin")
    ranges: list[tuple[int, int]] = []
    open_range = MEMORY._open_range

    def counted(obj: object, start: int, end: int) -> object:
        ranges.append((start, end))
        return open_range(obj, start, end)  # type: ignore[arg-type]

    monkeypatch.setattr(MEMORY, "_open_range", counted)
    with MEMORY.open(BUCKET, "two-mib.bin", "rb", part_size=512 * KiB) as file:
        assert b"".join(iter(lambda: file.read(200 * KiB), b"")) == data
    sizes = [end - start for start, end in ranges]
    assert sizes[:4] == [200 * KiB, 400 * KiB, 512 * KiB, 512 * KiB]
    assert len(ranges) == 5  # 200 + 400 + 512 + 512 + 424 (the rest) KiB


@pytest.fixture
def local(tmp_path: Path) -> StorageDriver:
    (tmp_path / "root").mkdir()
    return get_driver("local")(str(tmp_path / "root"))


def test_a_whole_sequential_read_of_corrupt_bytes_is_a_mismatch() -> None:
    """Bit rot behind the store's back (its recorded MD5 stays): a partial read cannot know, a
    whole in-order read raises."""
    driver = get_driver("memory")()
    container = driver.create_container("c")
    driver.upload_object_via_stream([REFERENCE], container, "x.bin")
    blob = driver._containers["c"]["x.bin"]  # type: ignore[attr-defined]
    blob.data = blob.data[:123_456] + bytes([blob.data[123_456] ^ 0xFF]) + blob.data[123_457:]
    with driver.open(container, "x.bin", "rb") as file:
        assert file.read(1000) == REFERENCE[:1000]
        with pytest.raises(ObjectHashMismatchError, match=r"x\.bin arrived corrupt: md5"):
            while file.read(64 * KiB):
                pass


def test_reads_in_any_order_on_the_local_driver(local: StorageDriver) -> None:
    container = local.create_container("c")
    local.upload_object_via_stream([REFERENCE], container, "x.bin")
    with local.open(container, "x.bin", "rb") as file:
        file.seek(1000)
        tail = file.read()
        file.seek(0)
        assert file.read(1000) + tail == REFERENCE


def test_a_local_round_trip_in_text_mode_keeps_newlines_as_asked(local: StorageDriver) -> None:
    container = local.create_container("c")
    with local.open(container, "t.txt", "w", encoding="utf-16-le", newline="\r\n") as text:
        text.write("one\ntwo\n")
    assert b"".join(local.download_object_as_stream(local.get_object("c", "t.txt"))) == \
        "one\r\ntwo\r\n".encode("utf-16-le")
    with local.open(container, "t.txt", "r", encoding="utf-16-le", newline="") as text:
        assert text.read() == "one\r\ntwo\r\n"


def test_a_writer_is_stored_only_on_close(local: StorageDriver) -> None:
    container = local.create_container("c")
    file = local.open(container, "w.bin", "wb", extra={"content_type": "image/png"})
    assert isinstance(file, ObjectWriter) and file.writable() and not file.readable()
    file.write(b"abc" * 1000)
    file.write(memoryview(b"def"))
    assert not local.object_exists(container, "w.bin")
    file.close()
    file.close()  # a second close does nothing
    obj = local.get_object("c", "w.bin")
    assert obj.size == 3003 and obj.extra["content_type"] == "image/png"
    with pytest.raises(ValueError, match="closed writer"):
        file.write(b"more")


def test_a_dropped_text_writer_stores_nothing() -> None:
    container = MEMORY.create_container("dropped-text")
    text = MEMORY.open(container, "t.txt", "w")
    text.write("never")
    del text
    gc.collect()
    assert MEMORY.list_container_objects(container) == []


def test_a_failed_upload_raises_from_close(local: StorageDriver) -> None:
    file = local.open(Container("missing", {}, local), "w.bin", "wb")
    file.write(b"data")
    with pytest.raises(ContainerDoesNotExistError):
        file.close()
    assert file.closed


@pytest.mark.parametrize(("mode", "options", "error", "match"), [
    ("a", {}, InvalidOptionError, "mode must be one of"),
    ("rb", {"encoding": "utf-8"}, InvalidOptionError, "only apply to text modes"),
    ("rb", {"block_size": 0}, InvalidOptionError, "block_size must be a positive integer"),
    ("rb", {"part_sise": 1}, InvalidOptionError, "unknown transfer option"),
    ("wb", {"part_size": -1}, InvalidOptionError, "part_size must be a positive integer"),
    ("r", {}, ObjectDoesNotExistError, "missing.bin"),
])
def test_bad_opens_are_typed_errors(mode: str, options: dict[str, object], error: type[Exception],
                                    match: str) -> None:
    with pytest.raises(error, match=match):
        MEMORY.open(BUCKET, "missing.bin" if mode == "r" else "reference.bin", mode, **options)


def test_a_bad_name_is_refused_before_anything_starts() -> None:
    with pytest.raises(InvalidObjectNameError):
        MEMORY.open(BUCKET, "", "wb")


def test_a_closed_reader_refuses_io() -> None:
    file = MEMORY.open(BUCKET, "reference.bin")
    assert isinstance(file, ObjectReader)
    file.close()
    for call in (file.read, file.tell, lambda: file.seek(0), lambda: file.peek()):
        with pytest.raises(ValueError, match="closed"):
            call()
    with pytest.raises(ValueError, match="whence"):
        MEMORY.open(BUCKET, "reference.bin").seek(0, 7)
