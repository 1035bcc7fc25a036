"""Paths below a directory, opened one segment at a time relative to a descriptor, never through a symlink.

A path string is checked and then used later; between the two, a directory can be swapped for
a symlink and the use lands elsewhere. Opening every segment with ``O_NOFOLLOW`` relative to the
descriptor of the one before (``openat``), and acting on the final directory's descriptor
(``renameat``, ``unlinkat``), leaves no such window: what was opened stays what is written::

    tree = DirectoryTree("/srv/backups", fsync=True)
    with tree.open(["photos", "2024"], create=True) as directory:
        os.replace(temp, "cat.jpg", src_dir_fd=tmp, dst_dir_fd=directory)

POSIX only (``O_NOFOLLOW``, ``dir_fd``), as the local driver is.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
from collections.abc import Iterator, Sequence
from typing import Any

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
"""Open an existing file for reading; a symlink fails with ELOOP."""
NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
"""Create a file that must not exist yet."""


class SymlinkError(NotADirectoryError):
    """A path segment is a symlink, and symlinks are never followed."""


class DirectoryTree:
    """The directories below ``root``, opened without following symlinks.

    Args:
        root: a directory path without symlinks in it (``os.path.realpath``); the one path trusted.
        fsync: flush a directory to disk after making a subdirectory in it.
    """

    def __init__(self, root: str, fsync: bool) -> None:
        self.root = root
        self.fsync = fsync

    @contextlib.contextmanager
    def open(self, parts: Sequence[str], create: bool = False) -> Iterator[int]:
        """A descriptor of directory ``<root>/<parts>``, closed on exit; see :meth:`open_in`."""
        root = os.open(self.root, DIR_FLAGS)
        try:
            with self.open_in(root, parts, create) as fd:
                yield fd
        finally:
            os.close(root)

    @contextlib.contextmanager
    def open_in(self, start: int, parts: Sequence[str], create: bool = False) -> Iterator[int]:
        """A descriptor of directory ``parts`` below directory ``start`` (which stays open), closed on exit.

        Args:
            start: a directory descriptor.
            parts: the path segments, each a plain name.
            create: make missing directories (their parents fsynced if ``fsync``).

        Raises:
            FileNotFoundError: a segment is missing and ``create`` is False.
            NotADirectoryError: a segment is a file; SymlinkError if it is a symlink.
        """
        current = os.dup(start)
        try:
            for part in parts:
                child = self.open_child(current, part, create)
                os.close(current)
                current = child
            yield current
        finally:
            os.close(current)

    def open_child(self, fd: int, part: str, create: bool = False) -> int:
        """Open directory ``part`` of directory ``fd`` without following a symlink, making it if asked.

        Raises:
            See :meth:`open_in`.
        """
        try:
            return os.open(part, DIR_FLAGS, dir_fd=fd)
        except FileNotFoundError:
            if not create:
                raise
        except OSError as error:
            if error.errno == errno.ELOOP or (error.errno == errno.ENOTDIR and _is_symlink(fd, part)):
                raise SymlinkError(errno.ENOTDIR, "a symlink (never followed)", part) from None
            raise
        with contextlib.suppress(FileExistsError):  # a racing writer made it first
            os.mkdir(part, dir_fd=fd)
            if self.fsync:
                os.fsync(fd)
        return self.open_child(fd, part)


def file_stat(parent: int, leaf: str) -> os.stat_result:
    """The stat of regular file ``leaf`` of directory ``parent``.

    Raises:
        SymlinkError: ``leaf`` is a symlink.
        FileNotFoundError: it is missing, or not a regular file (a directory is no object).
    """
    stat_ = os.stat(leaf, dir_fd=parent, follow_symlinks=False)
    if stat.S_ISLNK(stat_.st_mode):
        raise SymlinkError(errno.ELOOP, "a symlink (never followed)", leaf)
    if not stat.S_ISREG(stat_.st_mode):
        raise FileNotFoundError(errno.ENOENT, "not a file", leaf)
    return stat_


def load_json(directory: int, leaf: str) -> Any:
    """The JSON document in file ``leaf`` of ``directory`` (not through a symlink)."""
    with open(os.open(leaf, READ_FLAGS, dir_fd=directory), "rb") as file:
        return json.loads(file.read())  # bytes: json detects UTF-8 itself, no text layer needed


def remove_tree(parent: int, name: str) -> None:
    """Remove ``name`` of directory ``parent`` and all below it; a symlink is unlinked, never entered."""
    try:
        stat_ = os.stat(name, dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(stat_.st_mode):  # by descriptors, as shutil.rmtree(dir_fd=) does from 3.11 on only
        directory = os.open(name, DIR_FLAGS, dir_fd=parent)
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    remove_tree(directory, entry.name)
        finally:
            os.close(directory)
        os.rmdir(name, dir_fd=parent)
    else:
        os.unlink(name, dir_fd=parent)


def _is_symlink(fd: int, part: str) -> bool:
    try:
        return stat.S_ISLNK(os.stat(part, dir_fd=fd, follow_symlinks=False).st_mode)
    except OSError:
        return False
