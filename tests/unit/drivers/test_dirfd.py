"""storagekit.drivers.dirfd: directories opened segment by segment, never through a symlink."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from storagekit.drivers.dirfd import DirectoryTree, SymlinkError, file_stat, remove_tree


@pytest.fixture
def tree(tmp_path: Path) -> DirectoryTree:
    (tmp_path / "root" / "a").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "precious").write_text("keep me")
    (tmp_path / "root" / "link").symlink_to(tmp_path / "outside", target_is_directory=True)
    (tmp_path / "root" / "file").write_text("x")
    return DirectoryTree(str(tmp_path / "root"), fsync=True)


def test_a_symlinked_segment_is_refused_even_when_creating(tree: DirectoryTree) -> None:
    for create in (False, True):
        with pytest.raises(SymlinkError), tree.open(["link", "sub"], create=create):
            pass
    assert not (Path(tree.root).parent / "outside" / "sub").exists()


def test_missing_directories_are_made_only_when_asked(tree: DirectoryTree) -> None:
    with pytest.raises(FileNotFoundError), tree.open(["a", "b", "c"]):
        pass
    with tree.open(["a", "b", "c"], create=True) as fd:
        os.mkdir("d", dir_fd=fd)
    assert (Path(tree.root) / "a" / "b" / "c" / "d").is_dir()


def test_a_file_in_the_way_is_not_a_directory(tree: DirectoryTree) -> None:
    with pytest.raises(NotADirectoryError) as caught, tree.open(["file", "x"], create=True):
        pass
    assert not isinstance(caught.value, SymlinkError)


def test_file_stat_refuses_symlinks_and_directories(tree: DirectoryTree) -> None:
    with tree.open(()) as root:
        assert file_stat(root, "file").st_size == 1
        with pytest.raises(SymlinkError):
            file_stat(root, "link")
        with pytest.raises(FileNotFoundError):
            file_stat(root, "a")


def test_remove_tree_unlinks_a_symlink_and_never_enters_it(tree: DirectoryTree) -> None:
    (Path(tree.root) / "a" / "inner-link").symlink_to(Path(tree.root).parent / "outside", target_is_directory=True)
    with tree.open(()) as root:
        remove_tree(root, "a")
        remove_tree(root, "link")
        remove_tree(root, "missing")
    assert sorted(os.listdir(tree.root)) == ["file"]
    assert (Path(tree.root).parent / "outside" / "precious").read_text() == "keep me"
