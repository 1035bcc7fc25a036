"""The local driver's sidecars: what a plain file cannot hold (content type, metadata, MD5), kept beside it.

One JSON file per object, at ``<root>/.storagekit/sidecars/<container>/<hh>/<sha256 of the name>.json``.
Naming it by a hash of the object name means no name can clash with another's sidecar (in the
first layout, ``.storagekit/meta/<container>/<name>.json``, the sidecar of ``x`` was the directory
the sidecar of ``x.json/y`` needed); the name itself is kept inside. That first layout is still
read, and a sidecar is moved to the new one whenever it is next written.

A sidecar holds up to two records, newest first, each stamped with the inode, size and mtime of
the file version it describes (a rename keeps all three): an upload writes the new version's
record while keeping the replaced version's, so whichever file survives a crash between the
sidecar write and the data rename still finds its own record. A file changed behind
storagekit's back matches no record: it is reported with no metadata and its MD5 recomputed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from .dirfd import NEW_FILE_FLAGS, DirectoryTree, load_json, remove_tree

Stamp = list[int]
"""What identifies one version of a file: ``[inode, size, mtime_ns]``."""
Record = dict[str, Any]
"""What a sidecar knows of one file version: ``file`` (its Stamp), ``md5``, ``properties``, ``meta_data``."""

SIDECARS = (".storagekit", "sidecars")
LEGACY = (".storagekit", "meta")


def stamp(stat_: os.stat_result) -> Stamp:
    """The Stamp of a file version."""
    return [stat_.st_ino, stat_.st_size, stat_.st_mtime_ns]


@dataclasses.dataclass
class Draft:
    """An object's next sidecar, written to a temp file and flushed, waiting to be renamed into place."""

    container: str
    name: str
    record: Record
    document: bytes
    """The sidecar as written to ``temp``."""
    temp: str
    """Its file name in the store's temp directory."""
    committed: bool = False


class Sidecars:
    """Read and write the sidecars of one local store.

    Args:
        tree: the store's root, opened without following symlinks.
        tmp: the directory (below the root) where a sidecar is written before it is renamed into place.
        fsync: flush each sidecar and its directory to disk.
    """

    def __init__(self, tree: DirectoryTree, tmp: Sequence[str], fsync: bool) -> None:
        self._tree = tree
        self._tmp = tmp
        self._fsync = fsync

    def record(self, container: str, name: str, stat_: os.stat_result) -> Record | None:
        """The record of the file version ``stat_`` describes, None if it has none."""
        return self.matching(container, [(name, stat_)]).get(name)

    def matching(self, container: str, files: Sequence[tuple[str, os.stat_result]]) -> dict[str, Record]:
        """The records of many file versions of one container (a listing page), by object name.

        The container's sidecar directory is opened once and each ``<hh>`` directory once for all
        the names it holds, so a page costs about one open per sidecar, not a walk from the root
        for each. A file without a record of its version is left out.
        """
        wanted = {name: stamp(stat_) for name, stat_ in files}
        found: dict[str, Record] = {}
        for name, records in self._records_of(container, list(wanted)).items():
            record = next((record for record in records if record.get("file") == wanted[name]), None)
            if record is not None:
                found[name] = record
        return found

    def records(self, container: str, name: str) -> list[Record]:
        """The records of an object's sidecar, newest first (the first layout's if there is no other)."""
        return self._records_of(container, [name]).get(name, [])

    def _records_of(self, container: str, names: Sequence[str]) -> dict[str, list[Record]]:
        """The records of each name's sidecar (names without one are left out), newest first."""
        by_bucket: dict[str, list[tuple[str, str]]] = {}
        for name in names:
            key = _key(name)
            by_bucket.setdefault(key[:2], []).append((name, key))
        found: dict[str, list[Record]] = {}
        with contextlib.suppress(OSError), self._tree.open((*SIDECARS, container)) as sidecars:
            for bucket, members in sorted(by_bucket.items()):
                try:
                    with self._tree.open_in(sidecars, (bucket,)) as directory:
                        for name, key in members:
                            records = _records_in(directory, key + ".json", name)
                            if records is not None:
                                found[name] = records
                except OSError:  # no sidecar in this bucket (or one that cannot be read)
                    continue
        missing = [name for name in names if name not in found]
        if missing:
            found.update(self._legacy_records(container, missing))
        return found

    def _legacy_records(self, container: str, names: Sequence[str]) -> dict[str, list[Record]]:
        """The first layout's sidecars of ``names``, for those that have one."""
        found: dict[str, list[Record]] = {}
        with contextlib.suppress(OSError), self._tree.open((*LEGACY, container)) as legacy:
            for name in names:
                parts = name.split("/")
                try:
                    with self._tree.open_in(legacy, parts[:-1]) as directory:
                        record = load_json(directory, parts[-1] + ".json")
                except (OSError, ValueError):
                    continue
                if isinstance(record, dict):
                    found[name] = [record]
        return found

    def save(self, container: str, name: str, record: Record, keep: Callable[[Record], bool]) -> None:
        """Make ``record`` the newest, keeping the most recent other record for which ``keep`` is true.

        The caller holds the store's commit lock. The sidecar is written to a temp file, fsynced and
        renamed into place, so a crash leaves the old sidecar or the new one, never half of one.
        """
        draft = self.draft(container, name, record)
        try:
            self.commit(draft, keep)
        finally:
            self.discard(draft)

    def draft(self, container: str, name: str, record: Record) -> Draft:
        """Write ``name``'s next sidecar to a temp file and flush it, before the commit lock is taken.

        The flush is the slow part of a sidecar write; done here, uploads of different objects
        flush in parallel instead of one after another under the lock. The draft keeps the newest
        other record, as it would if the file being replaced is that record's version (true
        unless the file changed behind storagekit's back or another writer got in first);
        :meth:`commit` checks that under the lock and writes the sidecar again if it is not so.
        Pass the draft to :meth:`discard` in a ``finally``.
        """
        document = self._document(container, name, record, lambda old: True)
        draft = Draft(container, name, record, document, f"sidecar-{uuid.uuid4().hex}")
        with self._tree.open(self._tmp, create=True) as tmp:
            self._write(tmp, draft)
        return draft

    def commit(self, draft: Draft, keep: Callable[[Record], bool]) -> None:
        """Rename a draft into place, keeping the most recent other record for which ``keep`` is true.

        The caller holds the store's commit lock. If the draft kept another record than ``keep``
        chooses now, the sidecar is written (and flushed) again first. The sidecar's directory is
        flushed before this returns, so the sidecar is on disk before the data rename that follows.
        """
        document = self._document(draft.container, draft.name, draft.record, keep)
        key = _key(draft.name)
        with self._tree.open(self._tmp, create=True) as tmp, \
                self._tree.open((*SIDECARS, draft.container, key[:2]), create=True) as directory:
            if document != draft.document:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(draft.temp, dir_fd=tmp)
                draft.document, draft.temp = document, f"sidecar-{uuid.uuid4().hex}"
                self._write(tmp, draft)
            os.replace(draft.temp, key + ".json", src_dir_fd=tmp, dst_dir_fd=directory)
            draft.committed = True
            if self._fsync:
                os.fsync(directory)
        self._remove_legacy(draft.container, draft.name)

    def discard(self, draft: Draft) -> None:
        """Remove the temp file of a draft that was not committed (a failed or refused upload)."""
        if draft.committed:
            return
        with self._tree.open(self._tmp, create=True) as tmp, contextlib.suppress(FileNotFoundError):
            os.unlink(draft.temp, dir_fd=tmp)

    def _document(self, container: str, name: str, record: Record, keep: Callable[[Record], bool]) -> bytes:
        """The sidecar of ``name`` with ``record`` newest and the most recent other one ``keep`` chooses."""
        others = [old for old in self.records(container, name) if old.get("file") != record["file"] and keep(old)]
        return json.dumps({"name": name, "records": [record, *others[:1]]}).encode()

    def _write(self, tmp: int, draft: Draft) -> None:
        """Write a draft's document to its temp file in directory ``tmp``, flushed if ``fsync``."""
        with os.fdopen(os.open(draft.temp, NEW_FILE_FLAGS, 0o666, dir_fd=tmp), "wb") as file:
            file.write(draft.document)
            file.flush()
            if self._fsync:
                os.fsync(file.fileno())

    def remove(self, container: str, name: str) -> None:
        """Remove an object's sidecar (both layouts); a missing one is fine."""
        key = _key(name)
        with contextlib.suppress(FileNotFoundError, NotADirectoryError), \
                self._tree.open((*SIDECARS, container)) as directory:
            with self._tree.open_in(directory, (key[:2],)) as bucket, contextlib.suppress(FileNotFoundError):
                os.unlink(key + ".json", dir_fd=bucket)
            with contextlib.suppress(OSError):  # other sidecars still share it
                os.rmdir(key[:2], dir_fd=directory)
        self._remove_legacy(container, name)

    def remove_container(self, container: str) -> None:
        """Remove every sidecar of a container (both layouts), never following a symlink out of the root."""
        for parts in (SIDECARS, LEGACY):
            with contextlib.suppress(FileNotFoundError, NotADirectoryError), self._tree.open(parts) as directory:
                remove_tree(directory, container)

    def _remove_legacy(self, container: str, name: str) -> None:
        """Drop a first-layout sidecar (``remove_container`` removes the directories it leaves empty)."""
        parts = name.split("/")
        with contextlib.suppress(FileNotFoundError, NotADirectoryError), \
                self._tree.open((*LEGACY, container, *parts[:-1])) as directory:
            os.unlink(parts[-1] + ".json", dir_fd=directory)


def _records_in(directory: int, leaf: str, name: str) -> list[Record] | None:
    """The records of sidecar ``leaf`` of ``directory`` if it is ``name``'s and readable, else None."""
    try:
        sidecar = load_json(directory, leaf)
        if sidecar.get("name") == name:
            return [record for record in sidecar["records"] if isinstance(record, dict)]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    return None


def _key(name: str) -> str:
    """A sidecar's file name stem: a hash, so no object name can clash with another's sidecar."""
    return hashlib.sha256(os.fsencode(name)).hexdigest()
