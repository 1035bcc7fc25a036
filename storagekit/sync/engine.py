"""The sync engine: check both ends, plan, copy in parallel, and only then delete.

Order of a run, each step able to stop it before anything changes:

1. the source must exist (a directory, a container, objects under a prefix) and the
   destination container too unless ``create``;
2. both ends are scanned; every name left out is recorded with the reason;
3. the plan: what to copy (quick check: size + mtime by default), what ``delete`` would
   remove; a plan that would empty the destination from an empty source, or delete more
   than ``max_delete``, is refused;
4. copies run in parallel; Ctrl-C lets the ones under way finish;
5. deletions happen last, and only when every copy succeeded and every source file could
   be read (rclone's ``--delete-after``).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from typing import Any

from ..file_metadata import NS, metadata_for, restore
from ..filters import FilterRules
from ..paths import local_path
from ..streams import iter_chunks
from ..transfer import write_file_atomically
from ..types import InvalidOptionError, NotSupportedError, StorageKitError, SyncRefusedError
from ..urls import Location
from .ends import MD5_META, Directory, End, Entry, Scan, Store, open_end
from .report import SyncInterrupted, SyncProgress, SyncReport

COMPARE_MODES = ("modtime", "checksum", "size")
_READ_SIZE = 1024 * 1024
_MD5_HEX_LEN = 32


def sync(
    source: str | Location,
    destination: str | Location,
    *,
    delete: bool = False,
    dry_run: bool = False,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    rules: FilterRules | None = None,
    compare: str = "modtime",
    allow_empty_source: bool = False,
    max_delete: int | None = None,
    create: bool = False,
    follow_symlinks: bool = False,
    extra: Mapping[str, Any] | None = None,
    metadata: Mapping[str, str] | None = None,
    jobs: int = 4,
    progress: Callable[[SyncProgress], None] | None = None,
    **url_options: Any,
) -> SyncReport:
    """Make ``destination`` hold what ``source`` holds (files or objects), copying only changes.

    Usage::

        report = sync("./photos", "s3://backups/photos", delete=True)
        print(len(report.copied), report.unchanged, report.skipped)

    Args:
        source: a local directory, a storage URL (``s3://b/photos`` is the directory
            ``photos/``) or a :class:`~storagekit.urls.Location`.
        destination: the same kinds.
        delete: also remove from the destination what the source does not have (after
            every copy succeeded; names left out of the source are never removed).
        dry_run: change nothing; the report says what would be copied and deleted.
        include / exclude: glob patterns (see :mod:`storagekit.filters`), ignored when
            ``rules`` is given.
        rules: filter rules; excluded names are neither copied nor deleted.
        compare: ``"modtime"`` (size and mtime, the default), ``"checksum"`` (size and MD5:
            reads every file of the same size), or ``"size"``.
        allow_empty_source: with ``delete``, allow a source with nothing to sync to empty
            the destination.
        max_delete: refuse (deleting nothing) when more than this many would be deleted.
        create: create the destination container when it does not exist.
        follow_symlinks: follow symlinks in a source directory (loops are refused);
            otherwise they are skipped and reported.
        extra: upload options for every object written (``content_type``,
            ``storage_class``, ``acl``, ``server_side_encryption``, ...).
        metadata: user metadata added to every object written.
        jobs: files transferred in parallel.
        progress: called with a :class:`SyncProgress` as bytes move (from worker threads).
        url_options: passed to :func:`~storagekit.urls.open_url` for URL ends.

    Returns:
        A :class:`SyncReport`.

    Raises:
        SourceNotFoundError: the source does not exist (nothing was changed).
        ContainerDoesNotExistError: the destination container does not exist and not ``create``.
        SyncRefusedError: the deletions the plan holds were refused (nothing was changed).
        InvalidOptionError: a bad option, or a URL with an unknown scheme.
        NotSupportedError: the destination cannot honour an ``extra`` option.
        SyncInterrupted: Ctrl-C; its ``report`` says what was done (nothing was deleted).
    """
    if compare not in COMPARE_MODES:
        raise InvalidOptionError(f"compare must be one of {', '.join(COMPARE_MODES)}, not {compare!r}")
    if max_delete is not None and max_delete < 0:
        raise InvalidOptionError(f"max_delete must be 0 or more, not {max_delete}")
    src, dst = open_end(source, **url_options), open_end(destination, **url_options)
    src.check_source()
    dst.check_destination(create)
    rules = rules if rules is not None else FilterRules.from_options(include, exclude)
    found, present = src.scan(rules, follow_symlinks), dst.scan(rules)
    report = SyncReport(skipped=dict(found.skipped), errors=dict(found.errors), dry_run=dry_run)
    wanted, todo = plan_copies(src, found, dst, present, report, compare, jobs)
    doomed = _plan_deletes(delete, wanted, present.entries, report, allow_empty_source, max_delete)
    if dry_run:
        report.copied = [entry.name for entry in todo]
        report.deleted = [entry.name for entry in doomed]
        report.bytes_copied = sum(entry.size for entry in todo)
        return report
    if todo and isinstance(dst, Store):
        dst.create_container()
    copy_all(src, dst, todo, report, jobs, progress, dict(extra or {}), dict(metadata or {}))
    if doomed and not report.ok:
        report.deletes_withheld = "nothing deleted: the run had failures" if report.errors else \
            "nothing deleted: interrupted"
    elif doomed:
        delete_all(dst, doomed, report)
    if report.interrupted:
        raise SyncInterrupted(report)
    return report


def _plan_deletes(delete: bool, wanted: dict[str, Entry], present: dict[str, Entry], report: SyncReport,
                  allow_empty_source: bool, max_delete: int | None) -> list[Entry]:
    """What ``delete`` would remove; raises SyncRefusedError for a plan that must not run."""
    if not delete:
        return []
    doomed = doomed_entries(wanted, present, report)
    refuse_deletes(len(doomed), bool(wanted), allow_empty_source, max_delete)
    if doomed and report.errors:
        report.deletes_withheld = f"nothing deleted: {len(report.errors)} source files could not be read"
        return []
    return doomed


def doomed_entries(wanted: Mapping[str, Entry], present: Mapping[str, Entry], report: SyncReport,
                   protected: Iterable[str] = ()) -> list[Entry]:
    """The destination's entries the source lacks, in name order; names the source left out
    (``report.skipped``), could not read (``report.errors``) or ``protected`` are never among them."""
    protected = set(wanted) | set(report.skipped) | set(report.errors) | set(protected)
    return [entry for name, entry in sorted(present.items()) if name not in protected]


def refuse_deletes(doomed: int, wanting: bool, allow_empty_source: bool, max_delete: int | None) -> None:
    """Raise SyncRefusedError when ``doomed`` deletions must not run.

    Args:
        doomed: how many names the plan would delete.
        wanting: whether the source has anything to sync.
        allow_empty_source: let a source with nothing to sync empty the destination.
        max_delete: the most deletions allowed, or None.

    Raises:
        SyncRefusedError: the source has nothing to sync (and not ``allow_empty_source``), or
            more than ``max_delete`` would be deleted.
    """
    if doomed and not wanting and not allow_empty_source:
        raise SyncRefusedError(
            f"refusing to delete {doomed} files at the destination: the source has nothing to sync "
            "(a mistyped path, prefix or filter?); pass --allow-empty-source if that is what you want")
    if max_delete is not None and doomed > max_delete:
        raise SyncRefusedError(f"refusing to delete {doomed} files (more than --max-delete {max_delete}); "
                               "nothing was copied or deleted")


# ---------------------------------------------------------------------------- comparing


def plan_copies(src: End, found: Scan, dst: End, present: Scan, report: SyncReport, compare: str,
                jobs: int) -> tuple[dict[str, Entry], list[Entry]]:
    """What the source wants at the destination, and which of it to copy (in name order).

    Names the destination cannot hold go to ``report.skipped``; names already in place (by the
    ``compare`` quick check) to ``report.in_sync``.

    Returns:
        The wanted entries by name, and the entries to copy.
    """
    wanted: dict[str, Entry] = {}
    for name, entry in found.entries.items():
        reason = dst.cannot_hold(name)
        if reason:
            report.skipped[name] = reason
        else:
            wanted[name] = entry
    todo = _changed(src, wanted, dst, present.entries, compare, jobs)
    copying = {entry.name for entry in todo}
    report.in_sync.extend(name for name in sorted(wanted) if name not in copying)
    return wanted, todo


def _changed(src: End, wanted: dict[str, Entry], dst: End, present: dict[str, Entry], compare: str,
             jobs: int) -> list[Entry]:
    """The entries to copy, in name order; comparisons needing a request run ``jobs`` at once."""
    pairs = [(entry, present.get(name)) for name, entry in sorted(wanted.items())]
    same_size = [(entry, there) for entry, there in pairs if there is not None and there.size == entry.size]
    unchanged: set[str] = set()
    if compare == "size":
        unchanged = {entry.name for entry, _ in same_size}
    else:
        asking = []
        for entry, there in same_size:
            verdict = _listed_mtime_verdict(src, entry, dst, there) if compare == "modtime" else None
            if verdict is None:
                asking.append((entry, there))
            elif verdict:
                unchanged.add(entry.name)
        test = _same_md5 if compare == "checksum" else _same_mtime
        pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="storagekit-compare")
        try:
            verdicts = pool.map(lambda pair: test(src, pair[0], dst, pair[1]), asking)
            unchanged |= {entry.name for (entry, _), same in zip(asking, verdicts, strict=True) if same}
        finally:  # on Ctrl-C, ask nothing more
            pool.shutdown(wait=True, cancel_futures=True)
    return [entry for entry, _ in pairs if entry.name not in unchanged]


def _listed_mtime_verdict(src: End, entry: Entry, dst: End, there: Entry) -> bool | None:
    """The quick check from what the scans hold, or None when a HEAD request must tell.

    When the destination's listing carries no metadata (S3), an object the store wrote at or
    after the file's last change (its ``last_modified`` >= the file's mtime) counts as up to
    date without a request, as ``aws s3 sync`` decides; otherwise the recorded mtime is read.
    """
    if not entry.resolved or (not there.resolved and not isinstance(src, Directory)):
        return None
    if not there.resolved:
        if there.mtime_ns is not None and entry.mtime_ns is not None and there.mtime_ns >= entry.mtime_ns:
            return True
        return None
    return _same_mtime(src, entry, dst, there)


def _resolved(end: End, entry: Entry) -> Entry:
    return end.resolve(entry) if isinstance(end, Store) else entry


def _same_mtime(src: End, entry: Entry, dst: End, there: Entry) -> bool:
    """Same modification time: exactly when both are recorded, within a second when one is a
    store's ``last_modified`` (whole seconds)."""
    mine, theirs = _resolved(src, entry), _resolved(dst, there)
    if mine.mtime_ns is None or theirs.mtime_ns is None:
        return False
    window = NS if (mine.coarse or theirs.coarse) else 0
    return abs(mine.mtime_ns - theirs.mtime_ns) <= window


def _same_md5(src: End, entry: Entry, dst: End, there: Entry) -> bool:
    """Same MD5, trying the cheapest candidates first (a listed digest, an MD5-looking ETag, a HEAD)."""
    theirs: list[str] = []
    remaining = _md5_candidates(dst, there)
    for mine in _md5_candidates(src, entry):
        if mine in theirs:
            return True
        for candidate in remaining:
            theirs.append(candidate)
            if candidate == mine:
                return True
    return False


def _md5_candidates(end: End, entry: Entry) -> Iterator[str]:
    if isinstance(end, Directory):
        yield _file_md5(entry)
        return
    if entry.md5:
        yield entry.md5
    obj = entry.obj
    if obj is not None and len(obj.hash or "") == _MD5_HEX_LEN:
        yield obj.hash  # type: ignore[misc]
    full = end.resolve(Entry(entry.name, entry.size, obj=obj, resolved=False))
    if full.md5:
        yield full.md5


def _file_md5(entry: Entry, hashed: Callable[[int], None] | None = None) -> str:
    if entry.md5 is None:
        digest = hashlib.md5()
        with open(entry.path, "rb") as file:  # type: ignore[arg-type]
            while chunk := file.read(_READ_SIZE):
                digest.update(chunk)
                if hashed:
                    hashed(len(chunk))
        entry.md5 = digest.hexdigest()
    return entry.md5


# ---------------------------------------------------------------------------- copying


class _Tally:
    """Progress across parallel transfers: finished files plus the bytes of those under way."""

    def __init__(self, entries: list[Entry], callback: Callable[[SyncProgress], None] | None) -> None:
        self.lock = threading.Lock()
        self.callback = callback
        self.files_total = len(entries)
        self.bytes_total = sum(entry.size for entry in entries)
        self.files_done = self.bytes_done = self.hashed = 0
        self.moving: dict[str, int] = {}

    def moved(self, name: str) -> Callable[[int, int | None], None]:
        """A transfer progress callback for one file (``done`` counts from its start)."""
        def report(done: int, total: int | None = None) -> None:
            with self.lock:
                self.moving[name] = done
            self.emit(name)
        return report

    def hashing(self, name: str) -> Callable[[int], None]:
        def report(count: int) -> None:
            with self.lock:
                self.hashed += count
            self.emit(name)
        return report

    def finished(self, entry: Entry, copied: bool) -> None:
        with self.lock:
            self.moving.pop(entry.name, None)
            self.files_done += 1
            self.bytes_done += entry.size if copied else 0
        self.emit(entry.name)

    def emit(self, name: str) -> None:
        if self.callback is None:
            return
        with self.lock:
            state = SyncProgress(self.files_done, self.files_total, self.bytes_done + sum(self.moving.values()),
                                 self.bytes_total, name, self.hashed)
        self.callback(state)


def copy_all(src: End, dst: End, todo: list[Entry], report: SyncReport, jobs: int,
             progress: Callable[[SyncProgress], None] | None, extra: dict[str, Any], meta: dict[str, str]) -> None:
    """Copy ``todo``, ``jobs`` at once, recording each name in ``report.copied`` or ``report.errors``.

    Ctrl-C starts nothing new, lets the transfers under way finish and sets ``report.interrupted``.

    Raises:
        NotSupportedError: the destination cannot honour an ``extra`` option (nothing more is started).
    """
    tally = _Tally(todo, progress)
    pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="storagekit-sync")
    futures: dict[Future[None], Entry] = {}
    recorded: set[Future[None]] = set()
    unsupported: NotSupportedError | None = None

    def record(future: Future[None]) -> None:
        nonlocal unsupported
        recorded.add(future)
        entry = futures[future]
        error = future.exception()
        if error is None:
            report.copied.append(entry.name)
            report.bytes_copied += entry.size
        elif isinstance(error, NotSupportedError):
            unsupported = unsupported or error
            report.errors[entry.name] = str(error)
        elif isinstance(error, (StorageKitError, OSError)):
            report.errors[entry.name] = str(error)
        else:
            raise error
        tally.finished(entry, error is None)

    try:
        futures = {pool.submit(_copy_one, src, entry, dst, tally, extra, meta): entry for entry in todo}
        for future in as_completed(futures):
            record(future)
            if unsupported is not None:
                break
    except KeyboardInterrupt:  # start nothing new, let the transfers under way finish (each is atomic)
        report.interrupted = True
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    for future in futures:
        if future not in recorded and future.done() and not future.cancelled():
            record(future)
    report.copied.sort()
    if unsupported is not None:
        raise unsupported


def _copy_one(src: End, entry: Entry, dst: End, tally: _Tally, extra: dict[str, Any], meta: dict[str, str]) -> None:
    """Copy one file or object to the other end (atomically where the end is a directory)."""
    moved = tally.moved(entry.name)
    if isinstance(dst, Store):
        container, key = dst.location.container, dst.key_of(entry.name)
        if isinstance(src, Directory):
            recorded = {**meta, **metadata_for(entry.mtime_ns or 0, entry.mode, dst.driver.provider),
                        MD5_META: _file_md5(entry, tally.hashing(entry.name))}
            dst.driver.upload_object(entry.path, container, key, extra=extra or None,  # type: ignore[arg-type]
                                     ex_meta=recorded, progress=moved)
            return
        full = src.resolve(entry)
        kept = {**full.obj.meta_data, **meta} if full.obj is not None else dict(meta)
        if src.driver is dst.driver and src.driver.capabilities.server_side_copy:
            src.driver.copy_object(full.obj, container, key, extra=extra or None, ex_meta=kept)  # type: ignore[arg-type]
        else:
            stream = src.driver.download_object_as_stream(full.obj, progress=moved)  # type: ignore[arg-type]
            dst.driver.upload_object_via_stream(stream, container, key, extra=extra or None, ex_meta=kept)
        return
    path = local_path(dst.root, entry.name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if isinstance(src, Store):
        full = src.resolve(entry)
        src.driver.download_object(full.obj, path, overwrite_existing=True, progress=moved)  # type: ignore[arg-type]
    else:
        with open(entry.path, "rb") as file:  # type: ignore[arg-type]
            write_file_atomically(_counted(iter_chunks(file, _READ_SIZE), moved), path, overwrite=True)
        full = entry
    restore(path, full.mtime_ns, full.mode)


def _counted(chunks: Iterator[bytes], moved: Callable[[int, int | None], None]) -> Iterator[bytes]:
    done = 0
    for chunk in chunks:
        yield chunk
        done += len(chunk)
        moved(done, None)


def delete_all(dst: End, doomed: list[Entry], report: SyncReport) -> None:
    """Delete ``doomed`` at the destination; the names deleted go to ``report.deleted``, failures to ``errors``."""
    if isinstance(dst, Store):
        failures = dst.delete_many(doomed)
    else:
        failures = {}
        for entry in doomed:
            try:
                dst.delete(entry.name)
            except OSError as error:
                failures[entry.name] = str(error)
    report.errors.update(failures)
    report.deleted = [entry.name for entry in doomed if entry.name not in failures]
