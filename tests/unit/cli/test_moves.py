"""mv: copy, verify, and only then delete the source; files and objects, local and memory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.cli import ok, run


def test_move_a_file_up_across_and_back(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = str(tmp_path / "store")
    data = os.urandom(300_000)
    source = tmp_path / "photo.jpg"
    source.write_bytes(data)
    ok(capsys, "--local-root", root, "mb", "local://a")
    ok(capsys, "mb", "memory://mv-b")
    out = ok(capsys, "--local-root", root, "mv", str(source), "local://a/photos/")
    assert out == f"moved {source} -> local://a/photos/\n" and not source.exists()
    ok(capsys, "--local-root", root, "mv", "local://a/photos/photo.jpg", "memory://mv-b/moved.jpg")
    assert ok(capsys, "--local-root", root, "ls", "-r", "local://a") == ""
    ok(capsys, "mv", "memory://mv-b/moved.jpg", "memory://mv-b/renamed.jpg")
    assert ok(capsys, "ls", "memory://mv-b").split() == ["renamed.jpg"]
    back = tmp_path / "back"
    back.mkdir()
    ok(capsys, "mv", "memory://mv-b/renamed.jpg", str(back))
    assert (back / "renamed.jpg").read_bytes() == data
    assert ok(capsys, "ls", "memory://mv-b") == ""


def test_a_failed_copy_keeps_the_source(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "keep.txt"
    source.write_text("precious\n")
    code, _, err = run(capsys, "mv", str(source), "memory://no-such-container-mv/keep.txt")
    assert code == 3 and "no-such-container-mv" in err
    assert source.read_text() == "precious\n"
    ok(capsys, "mb", "memory://mv-c")
    ok(capsys, "cp", str(source), "memory://mv-c/keep.txt")
    code, _, _ = run(capsys, "mv", "memory://mv-c/keep.txt", str(tmp_path / "missing-dir" / "keep.txt"))
    assert code != 0 and ok(capsys, "ls", "memory://mv-c").split() == ["keep.txt"]
    code, _, err = run(capsys, "mv", "memory://mv-c/keep.txt", "memory://mv-c/keep.txt")
    assert code == 2 and "onto itself" in err


def test_mv_moves_one_thing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "mv", str(tmp_path), "memory://x/")
    assert code == 2 and "directory" in err
    code, _, err = run(capsys, "mv", "memory://x/dir/", str(tmp_path))
    assert code == 2 and "directory" in err
    code, _, err = run(capsys, "mv", str(tmp_path / "a"), str(tmp_path / "b"))
    assert code == 2 and "mv(1)" in err


def test_a_copy_that_differs_is_caught_before_the_source_goes() -> None:
    from storagekit.cli.moves import _check_same
    from storagekit.types import ObjectHashMismatchError
    from storagekit.urls import open_url

    driver = open_url("memory://x").driver
    container = driver.create_container("mv-verify")
    first = driver.upload_object_via_stream(iter([b"same size, one"]), container, "a")
    second = driver.upload_object_via_stream(iter([b"same size, two"]), container, "b")
    _check_same(first, driver.get_object("mv-verify", "a"))
    with pytest.raises(ObjectHashMismatchError, match="source kept"):
        _check_same(first, second)
    second.checksums.clear()  # no checksum in common: the bytes are read back and compared
    with pytest.raises(ObjectHashMismatchError, match="read back"):
        _check_same(first, second)
