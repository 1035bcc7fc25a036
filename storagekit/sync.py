"""Directory <-> container backup and sync, compared by size and checksum, never by mtime.

A sync copies every source file or object whose size or MD5 differs from the destination's,
in parallel, and with ``delete=True`` removes what the source no longer has. Uploads record
the file's MD5 in the object's metadata (``storagekit_md5``) so objects whose provider hash is
not an MD5 (S3 multipart uploads) still compare cheaply next time. Downloads are atomic, so an
interrupted sync leaves finished files intact and no partial file; running it again finishes it.

Usage::

    report = sync("./photos", "s3://backups/photos/", delete=True)
    print(report.copied, report.skipped)
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

from .models import Object
from .streams import iter_chunks
from .transfer import write_file_atomically
from .types import ContainerDoesNotExistError, StorageKitError
from .urls import Location, is_url, open_url

_MD5_HEX = re.compile(r"[0-9a-f]{32}")
MD5_META = "storagekit_md5"
"""Metadata name under which sync records an uploaded file's MD5 (a valid Azure identifier)."""
_READ_SIZE = 1024 * 1024


@dataclass
class Entry:
    """A file or object met by a scan, by its name relative to the synced root."""

    name: str
    size: int
    md5: str | None = None
    path: str | None = None
    obj: Object | None = None


@dataclass
class SyncProgress:
    """Where a sync stands; handed to the progress callback after every file."""

    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    current: str


@dataclass
class SyncReport:
    """What a sync did (or, with ``dry_run``, would do)."""

    copied: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    skipped: int = 0
    bytes_copied: int = 0
    errors: dict[str, str] = field(default_factory=dict)


class _Directory:
    """A local directory tree as a sync end."""

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)

    def scan(self) -> dict[str, Entry]:
        entries = {}
        for directory, _, files in os.walk(self.root):
            for file in files:
                path = os.path.join(directory, file)
                if os.path.isfile(path) and not file.endswith(".part"):
                    name = os.path.relpath(path, self.root).replace(os.sep, "/")
                    entries[name] = Entry(name, os.path.getsize(path), path=path)
        return entries

    def md5(self, entry: Entry) -> str:
        if entry.md5 is None:
            digest = hashlib.md5()
            with open(entry.path, "rb") as file:  # type: ignore[arg-type]
                while chunk := file.read(_READ_SIZE):
                    digest.update(chunk)
            entry.md5 = digest.hexdigest()
        return entry.md5

    def md5_candidates(self, entry: Entry) -> Iterator[str]:
        yield self.md5(entry)

    def path_of(self, name: str) -> str:
        return os.path.join(self.root, *name.split("/"))

    def delete(self, name: str) -> None:
        os.unlink(self.path_of(name))


class _Store:
    """A container prefix as a sync end."""

    def __init__(self, location: Location) -> None:
        self.location = location
        self.driver = location.driver
        self.prefix = location.key if location.is_prefix else location.key + "/"

    def scan(self) -> dict[str, Entry]:
        try:
            objects = self.driver.iterate_container_objects(self.location.container, prefix=self.prefix or None)
            return {
                obj.name[len(self.prefix):]: Entry(
                    obj.name[len(self.prefix):], obj.size,
                    obj.checksums.get("md5") or obj.meta_data.get(MD5_META), obj=obj,
                )
                for obj in objects
            }
        except ContainerDoesNotExistError:
            return {}

    def md5_candidates(self, entry: Entry) -> Iterator[str]:
        """What the object's MD5 may be, cheapest first: a listed checksum or recorded MD5, an ETag that
        looks like one (a wrong guess only costs a copy), then what a HEAD request tells."""
        obj = entry.obj
        if entry.md5:
            yield entry.md5
        if obj is not None and _MD5_HEX.fullmatch(obj.hash or ""):
            yield obj.hash  # type: ignore[misc]
        if obj is not None:
            full = self.driver.get_object(obj.container.name, obj.name)
            for candidate in (full.checksums.get("md5"), full.meta_data.get(MD5_META)):
                if candidate:
                    yield candidate

    def key_of(self, name: str) -> str:
        return self.prefix + name

    def delete(self, name: str) -> None:
        self.driver._delete_object(self.location.container, self.key_of(name))


End = _Directory | _Store


def open_end(target: str | Location, **url_options: Any) -> End:
    """A sync end for a Location, a storage URL or a local directory path."""
    if isinstance(target, Location):
        return _Store(target)
    if is_url(target):
        return _Store(open_url(target, **url_options))
    return _Directory(target)


def _selected(name: str, include: Sequence[str], exclude: Sequence[str]) -> bool:
    base = name.rsplit("/", 1)[-1]
    matches = lambda patterns: any(fnmatch.fnmatch(name, p) or fnmatch.fnmatch(base, p) for p in patterns)  # noqa: E731
    return (not include or matches(include)) and not matches(exclude)


def sync(
    source: str | Location,
    destination: str | Location,
    *,
    delete: bool = False,
    dry_run: bool = False,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    jobs: int = 4,
    progress: Callable[[SyncProgress], None] | None = None,
    **url_options: Any,
) -> SyncReport:
    """Make ``destination`` hold what ``source`` holds (files or objects), copying only changes.

    :param delete: also remove from the destination what the source does not have.
    :param include: glob patterns (on the relative name or the base name); only matches are synced.
    :param exclude: glob patterns never synced (nor deleted).
    :param jobs: files transferred in parallel.
    """
    src, dst = open_end(source, **url_options), open_end(destination, **url_options)
    wanted = {n: e for n, e in src.scan().items() if _selected(n, include, exclude)}
    present = {n: e for n, e in dst.scan().items() if _selected(n, include, exclude)}
    report = SyncReport()
    todo = [entry for name, entry in sorted(wanted.items()) if _differs(src, entry, dst, present.get(name))]
    report.skipped = len(wanted) - len(todo)
    doomed = sorted(set(present) - set(wanted)) if delete else []
    if dry_run:
        report.copied = [e.name for e in todo]
        report.deleted = doomed
        return report
    if todo and isinstance(dst, _Store):
        dst.location.ensure_container()
    _copy_all(src, dst, todo, report, jobs, progress)
    for name in doomed:
        try:
            dst.delete(name)
            report.deleted.append(name)
        except (StorageKitError, OSError) as error:
            report.errors[name] = str(error)
    return report


def _differs(src: End, entry: Entry, dst: End, existing: Entry | None) -> bool:
    """True unless both ends hold the same size and an MD5 the two ends agree on."""
    if existing is None or existing.size != entry.size:
        return True
    theirs: list[str] = []
    remaining = dst.md5_candidates(existing)
    for mine in src.md5_candidates(entry):
        if mine in theirs:
            return False
        for candidate in remaining:
            theirs.append(candidate)
            if candidate == mine:
                return False
    return True


def _copy_all(src: End, dst: End, todo: Iterable[Entry], report: SyncReport, jobs: int,
              progress: Callable[[SyncProgress], None] | None) -> None:
    entries = list(todo)
    total = sum(e.size for e in entries)
    pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="storagekit-sync")
    try:
        futures = {pool.submit(_copy_one, src, entry, dst): entry for entry in entries}
        for done, future in enumerate(as_completed(futures), 1):
            entry = futures[future]
            try:
                future.result()
            except (StorageKitError, OSError) as error:
                report.errors[entry.name] = str(error)
            else:
                report.copied.append(entry.name)
                report.bytes_copied += entry.size
            if progress:
                progress(SyncProgress(done, len(entries), report.bytes_copied, total, entry.name))
    finally:  # on Ctrl-C: start nothing new, let the transfers under way finish (each is atomic)
        pool.shutdown(wait=True, cancel_futures=True)
    report.copied.sort()


def _copy_one(src: End, entry: Entry, dst: End) -> None:
    """Copy one file or object to the other end, atomically where the end is a directory."""
    if isinstance(dst, _Store):
        container, key = dst.location.container, dst.key_of(entry.name)
        if isinstance(src, _Directory):
            meta = {MD5_META: src.md5(entry)}
            dst.driver.upload_object(entry.path, container, key, ex_meta=meta)  # type: ignore[arg-type]
        else:
            src.driver.copy_object(entry.obj, container, key)  # type: ignore[arg-type]
        return
    path = dst.path_of(entry.name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if isinstance(src, _Store):
        src.driver.download_object(entry.obj, path, overwrite_existing=True)  # type: ignore[arg-type]
    else:
        with open(entry.path, "rb") as file:  # type: ignore[arg-type]
            write_file_atomically(iter_chunks(file, _READ_SIZE), path, overwrite=True)
