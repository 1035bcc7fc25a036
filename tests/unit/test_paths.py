"""storagekit.paths: object names become local paths only when they cannot escape."""

from __future__ import annotations

import os

import pytest

from storagekit.paths import is_folder_marker, local_path, name_parts, unsafe_reason
from storagekit.types import InvalidObjectNameError


@pytest.mark.parametrize("name", [
    "../x", "a/../../x", "a/..", "..", ".", "./a", "a/./b", "/etc/passwd", "a//b", "a/", "",
    "a\x00b", "x" * 256, "a/" + "é" * 128, "\ud800",
])
def test_names_that_escape_or_cannot_be_files_are_refused(name: str) -> None:
    with pytest.raises(InvalidObjectNameError) as caught:
        local_path("/restore", name, windows=False)
    assert caught.value.object_name == name
    assert unsafe_reason(name, windows=False) in str(caught.value)


@pytest.mark.parametrize("name", ["a\\..\\..\\x", "C:/x", "c:x", "CON", "dir/nul.txt", "trailing. ", "dot."])
def test_windows_semantics_refuse_backslashes_drives_and_devices(name: str) -> None:
    assert unsafe_reason(name, windows=False) is None
    with pytest.raises(InvalidObjectNameError):
        name_parts(name, windows=True)


@pytest.mark.parametrize("name", ["a", "photos/2024/cat.jpg", "..a/b..", "a b/c\nd", "x" * 255, "a\\b"])
def test_safe_names_stay_below_the_root(name: str) -> None:
    path = local_path("/restore", name, windows=False)
    assert path == os.path.join("/restore", *name.split("/"))
    assert os.path.commonpath(["/restore", os.path.normpath(path)]) == "/restore"


def test_folder_markers_are_empty_names_ending_in_a_slash() -> None:
    assert is_folder_marker("photos/", 0)
    assert not is_folder_marker("photos/", 3)
    assert not is_folder_marker("photos", 0)


def test_a_name_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(InvalidObjectNameError):
        name_parts(b"bytes", windows=False)  # type: ignore[arg-type]
