"""The local filesystem as a store: containers are directories, objects are plain files.

Layout under the root directory::

    <root>/<container>/<object name, "/" making subdirectories>
    <root>/.storagekit/sidecars/<container>/<hh>/<sha256 of the name>.json   properties, metadata, MD5
    <root>/.storagekit/tmp/                  uploads and sidecars being written (stale ones are removed)
    <root>/.storagekit/lock                  serializes publishing across processes
    <root>/.storagekit/meta/<container>/<name>.json   sidecars of the first layout, still read

Objects stay ordinary files, so a backup is readable without storagekit. Every path is opened
one segment at a time relative to a directory descriptor, never through a symlink, so a
directory swapped for a symlink cannot redirect a read, a write or a delete out of the root.
Writes go to a temp file on the same filesystem, are fsynced, and are renamed into place, so
a reader never sees half an object. A sidecar is named by the hash of the object name (the
sidecar of ``x`` and the data of ``x.json/y`` cannot meet) and holds up to two records, each
stamped with the inode, size and mtime of the file it describes: the new version's and the
one it replaces, so a crash between the sidecar write and the data rename keeps the metadata
of whichever version survives, and a file changed behind storagekit's back is noticed.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import json
import os
import shutil
import stat
import threading
import time
import uuid
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import Any, BinaryIO, ClassVar

from ..base import Capabilities, StorageDriver
from ..models import Container, Object, ObjectPage
from ..options import UploadOptions
from ..paths import name_parts, unsafe_reason
from ..streams import FileRange, Source
from ..transfer import disk_full_is_typed, guess_content_type
from ..types import (
    ContainerAlreadyExistsError,
    ContainerDoesNotExistError,
    ContainerIsNotEmptyError,
    InvalidContainerNameError,
    InvalidObjectNameError,
    InvalidOptionError,
    ObjectDoesNotExistError,
    PreconditionFailedError,
    Provider,
)
from .listing import page_of

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["LocalStorageDriver"]

_STATE_DIR = ".storagekit"
_SIDECARS = (_STATE_DIR, "sidecars")
_LEGACY_META = (_STATE_DIR, "meta")
_TMP = (_STATE_DIR, "tmp")
_READ_SIZE = 1024 * 1024
_PAGE_SIZE = 1000
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
_NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC

Stamp = list[int]
"""What identifies one version of a file: ``[inode, size, mtime_ns]`` (a rename keeps all three)."""
Record = dict[str, Any]
"""What a sidecar knows of one version: ``file`` (its Stamp), ``md5``, ``properties``, ``meta_data``."""


class _SymlinkError(NotADirectoryError):
    """A path segment is a symlink: the local driver never follows one."""


class LocalStorageDriver(StorageDriver):
    """Store objects as files under a root directory.

    Usage::

        driver = get_driver(Provider.LOCAL)("/srv/backups")
        driver.create_container("photos")

    Args:
        key: the root directory; it must exist.
        secret, secure, host, port: libcloud's, accepted and ignored.
        ex_use_locking: lock the root (``flock``) while publishing, against other processes.
        fsync: flush every object, sidecar and directory to disk before it counts as written.
        options: transfer settings (``part_size``, ``max_concurrency``, ``progress``, ...).

    Raises:
        ContainerDoesNotExistError: the root is not a directory.
        InvalidOptionError: an unknown option, or ``fsync`` / ``ex_use_locking`` not a bool.
    """

    name = "Local Storage"
    provider = Provider.LOCAL
    capabilities = Capabilities()
    stale_temp_age: ClassVar[float] = 3600.0
    """Seconds after which a file in ``.storagekit/tmp/`` counts as left by a killed writer; the
    next write to the root removes it. A live upload touches its temp file with every write."""

    def __init__(
        self, key: str | os.PathLike[str], secret: str | None = None, secure: bool = True, host: str | None = None,
        port: int | None = None, ex_use_locking: bool = True, *, fsync: bool = True, **options: Any,
    ) -> None:
        self._take_transfer_options(options)
        if options:
            raise InvalidOptionError(
                f"unknown option(s) for the local driver: {', '.join(sorted(options))} "
                "(known: ex_use_locking, fsync and the transfer settings)"
            )
        for label, value in (("fsync", fsync), ("ex_use_locking", ex_use_locking)):
            if not isinstance(value, bool):
                raise InvalidOptionError(f"{label} must be True or False, not {value!r}")
        root = os.path.realpath(os.fspath(key))
        if not os.path.isdir(root):
            raise ContainerDoesNotExistError(f"the local storage root {root} is not a directory", self)
        self.root = root
        self.fsync = fsync
        self.use_locking = ex_use_locking
        self._thread_lock = threading.Lock()
        for parts in (_TMP, _SIDECARS):
            with self._state_dir(parts):
                pass

    def __repr__(self) -> str:
        return f"<LocalStorageDriver root={self.root!r}>"

    # ------------------------------------------------------------ names

    def _check_container_name(self, name: str) -> None:
        super()._check_container_name(name)
        reason = unsafe_reason(name) or ("it starts with '.'" if name.startswith(".") else None)
        if reason is None and "\\" in name:
            reason = "it holds a backslash"
        if reason:
            raise InvalidContainerNameError(f"invalid container name {name!r}: {reason}", self, container_name=name)

    def _check_object_name(self, name: str) -> None:
        super()._check_object_name(name)
        name_parts(name)

    # ------------------------------------------------------------ containers

    def _iter_containers(self) -> Iterator[Container]:
        with os.scandir(self.root) as entries:
            names = sorted(e.name for e in entries if e.is_dir(follow_symlinks=False) and not e.name.startswith("."))
        return iter([Container(name, {}, self) for name in names])

    def _get_container(self, name: str) -> Container:
        container = Container(name, {}, self)
        with self._container_dir(container):
            return container

    def _create_container(self, name: str) -> Container:
        with self._root() as root:
            try:
                os.mkdir(name, dir_fd=root)
            except FileExistsError:
                raise ContainerAlreadyExistsError(
                    f"container {name} already exists", self, container_name=name
                ) from None
            if self.fsync:
                os.fsync(root)
        return Container(name, {}, self)

    def _delete_container(self, container: Container) -> None:
        with self._root() as root:
            try:
                os.rmdir(container.name, dir_fd=root)
            except (FileNotFoundError, NotADirectoryError):  # a symlink is no container
                raise ContainerDoesNotExistError(
                    f"container {container.name} does not exist", self, container_name=container.name
                ) from None
            except OSError:
                raise ContainerIsNotEmptyError(
                    f"container {container.name} is not empty", self, container_name=container.name
                ) from None
            for parts in (_SIDECARS, _LEGACY_META):
                with contextlib.suppress(FileNotFoundError, NotADirectoryError), self._subdir(root, parts) as meta:
                    _remove_tree(meta, container.name)

    # ------------------------------------------------------------ objects

    def _list_page(self, container: Container, prefix: str, delimiter: str | None, token: str | None) -> ObjectPage:
        directory = prefix.rpartition("/")[0]
        page = ObjectPage()
        shallow = delimiter == "/"
        with self._container_dir(container) as base, contextlib.ExitStack() as stack:
            try:
                start = stack.enter_context(self._subdir(base, directory.split("/") if directory else ()))
            except (FileNotFoundError, NotADirectoryError):  # no such directory, or a symlink: nothing listed
                return page
            names = stack.enter_context(contextlib.closing(
                self._walk(start, directory + "/" if directory else "", prefix, token, shallow)
            ))
            for count, (name, stat_) in enumerate(names):
                if count == _PAGE_SIZE:
                    page.next_token = token
                    break
                if stat_ is None:
                    page.prefixes.append(name)
                else:
                    page.objects.append(self._object(container, name, stat_, self._record(container.name, name, stat_)))
                token = name
        if delimiter and not shallow:
            return page_of(page.objects, prefix, delimiter, page.next_token)
        return page

    def _walk(
        self, fd: int, key: str, prefix: str, after: str | None, shallow: bool
    ) -> Generator[tuple[str, os.stat_result | None], None, None]:
        """Files under directory ``fd`` in S3 order (a directory sorts as its name plus '/'), after ``after``,
        with their stat; symlinks are skipped (never followed, never fatal).

        With ``shallow``, a directory under the prefix is yielded as its name plus '/' (and None)
        instead of being entered.
        """
        try:
            with os.scandir(fd) as scan:
                entries = [(e.name + "/" if e.is_dir(follow_symlinks=False) else e.name, e)
                           for e in scan if not e.is_symlink()]
        except FileNotFoundError:
            return
        for sort_key, entry in sorted(entries, key=lambda item: item[0]):
            name = key + sort_key
            if not (name.startswith(prefix) or prefix.startswith(name)):
                continue
            is_dir = sort_key.endswith("/")
            if after is not None and name <= after and not (is_dir and after.startswith(name)):
                continue
            if not is_dir:
                if name.startswith(prefix):
                    with contextlib.suppress(FileNotFoundError):  # deleted while listing
                        stat_ = entry.stat(follow_symlinks=False)
                        if stat.S_ISREG(stat_.st_mode):
                            yield name, stat_
            elif shallow and name.startswith(prefix):
                if after is None or name > after:
                    yield name, None
            else:
                try:
                    child = self._open_child(fd, entry.name)
                except (FileNotFoundError, NotADirectoryError):  # removed, or swapped for a symlink
                    continue
                try:
                    yield from self._walk(child, name, prefix, after, shallow)
                finally:
                    os.close(child)

    def _head_object(self, container: Container, name: str) -> Object:
        parts = name.split("/")
        with self._object_errors(container, name), self._container_dir(container) as base, \
                self._subdir(base, parts[:-1]) as parent:
            stat_ = _file_stat(parent, parts[-1])
            record = self._record(container.name, name, stat_)
            if record is None or not record.get("md5"):
                record = self._hash_and_save(container.name, name, parent, parts[-1], stat_, record) or record
        return self._object(container, name, stat_, record)

    def _object(self, container: Container, name: str, stat_: os.stat_result, record: Record | None) -> Object:
        """The object a file and its sidecar record describe; its MD5 is computed later if not known."""
        properties = dict(record["properties"]) if record else {}
        properties.setdefault("content_type", guess_content_type(name))
        extra = {**properties, "last_modified": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stat_.st_mtime))}
        meta_data = dict(record["meta_data"]) if record else {}
        md5 = record.get("md5") if record else None
        if md5:
            return Object(name, stat_.st_size, md5, {**extra, "etag": md5}, meta_data, container, self, {"md5": md5})
        late = functools.partial(self._late_md5, container, name, stat_, record)
        return _UnhashedObject(name, stat_.st_size, extra, meta_data, container, self, late)

    def _late_md5(
        self, container: Container, name: str, stat_: os.stat_result, record: Record | None
    ) -> Record | None:
        """Hash a listed file and save its MD5 to the sidecar; None if the file changed or left since."""
        parts = name.split("/")
        try:
            with self._container_dir(container) as base, self._subdir(base, parts[:-1]) as parent:
                return self._hash_and_save(container.name, name, parent, parts[-1], stat_, record)
        except (OSError, ContainerDoesNotExistError):
            return None

    def _open_range(self, obj: Object, start: int, end: int) -> FileRange:
        parts = obj.name.split("/")
        with self._object_errors(obj.container, obj.name), self._container_dir(obj.container) as base, \
                self._subdir(base, parts[:-1]) as parent:
            fd = os.open(parts[-1], _READ_FLAGS, dir_fd=parent)
            file = os.fdopen(fd, "rb", buffering=0)
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                file.close()
                raise FileNotFoundError(obj.name)
        file.seek(start)
        return FileRange(file, end - start)

    def _delete_object(self, container: Container, name: str) -> None:
        parts = name.split("/")
        with self._commit_lock(), self._object_errors(container, name), self._container_dir(container) as base:
            with self._subdir(base, parts[:-1]) as parent:
                _file_stat(parent, parts[-1])
                os.unlink(parts[-1], dir_fd=parent)
                if self.fsync:
                    os.fsync(parent)
            self._remove_sidecar(container.name, name)
            for depth in range(len(parts) - 1, 0, -1):  # prune the directories left empty
                with self._subdir(base, parts[: depth - 1]) as directory:
                    try:
                        os.rmdir(parts[depth - 1], dir_fd=directory)
                    except OSError:
                        break

    def _upload(
        self, container: Container, object_name: str, source: Source, size: int | None,
        options: UploadOptions, verify_hash: bool, **kwargs: Any,
    ) -> Object:
        """Upload with one MD5 pass: :meth:`_write_object` hashes the bytes as it writes them (the MD5
        the sidecar keeps), so the engine's own MD5 of the same buffers would prove nothing more;
        the engine still checks the size."""
        return super()._upload(container, object_name, source, size, options, False, **kwargs)

    def _write_object(self, container: Container, name: str, chunks: Iterator[bytes], options: UploadOptions) -> Object:
        parts = name.split("/")
        with self._state_dir(_TMP) as tmp:
            self._remove_stale_temps(tmp)
            temp = uuid.uuid4().hex
            try:
                with disk_full_is_typed(f"uploading {name} to {container.name}", self,
                                        container_name=container.name, object_name=name):
                    stat_, md5 = self._write_temp(tmp, temp, chunks)
                    with self._commit_lock(), self._object_errors(container, name, writing=True), \
                            self._container_dir(container) as base, \
                            self._subdir(base, parts[:-1], create=True) as parent:
                        current = self._current(container, name, parent, parts[-1])
                        self._check_preconditions(container, name, parent, current, options)
                        record = {"file": _stamp(stat_), "md5": md5, "properties": options.stored_properties(),
                                  "meta_data": options.meta_data}
                        # The replaced version's record stays until the next write: should the process
                        # die before the rename below, the surviving file keeps its metadata.
                        survivor = _stamp(current) if current else None
                        self._save_sidecar(container.name, name, record, lambda old: old.get("file") == survivor)
                        self._publish(tmp, temp, parent, parts[-1])
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temp, dir_fd=tmp)
        return self._object(container, name, stat_, record)

    # ------------------------------------------------------------ writing steps

    def _write_temp(self, tmp: int, temp: str, chunks: Iterator[bytes]) -> tuple[os.stat_result, str]:
        """Write ``chunks`` to ``temp`` in directory ``tmp``, hashing them as they pass; its stat and MD5."""
        digest = hashlib.md5()
        with os.fdopen(os.open(temp, _NEW_FILE_FLAGS, 0o666, dir_fd=tmp), "wb") as file:
            for chunk in chunks:
                digest.update(chunk)
                file.write(chunk)
            file.flush()
            if self.fsync:
                os.fsync(file.fileno())
            return os.fstat(file.fileno()), digest.hexdigest()

    def _publish(self, tmp: int, temp: str, parent: int, leaf: str) -> None:
        """Rename the finished temp file into its directory (held open, so no symlink can redirect it)."""
        os.replace(temp, leaf, src_dir_fd=tmp, dst_dir_fd=parent)
        if self.fsync:
            os.fsync(parent)

    def _current(self, container: Container, name: str, parent: int, leaf: str) -> os.stat_result | None:
        """The stat of the file an upload will replace, None if there is none."""
        try:
            current = os.stat(leaf, dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            return None
        if stat.S_ISLNK(current.st_mode):
            raise _SymlinkError(errno.ELOOP, "a symlink (never followed)", leaf)
        if not stat.S_ISREG(current.st_mode):
            raise InvalidObjectNameError(
                f"{name} is a directory of other objects in {container.name}", self,
                container_name=container.name, object_name=name,
            )
        return current

    def _check_preconditions(self, container: Container, name: str, parent: int,
                             current: os.stat_result | None, options: UploadOptions) -> None:
        if options.if_none_match == "*" and current is not None:
            raise PreconditionFailedError(f"{name} already exists", self, container_name=container.name,
                                          object_name=name, http_status=412)
        if options.if_match is None:
            return
        md5 = None
        if current is not None:
            record = self._record(container.name, name, current)
            md5 = record.get("md5") if record else None
            md5 = md5 or _md5_at(parent, name.rpartition("/")[2], current)
        if md5 != options.if_match.strip('"'):
            raise PreconditionFailedError(f"{name} no longer has etag {options.if_match}", self,
                                          container_name=container.name, object_name=name, http_status=412)

    def _remove_stale_temps(self, tmp: int) -> None:
        """Remove what killed writers left in ``.storagekit/tmp/`` (older than ``stale_temp_age``)."""
        limit = time.time() - self.stale_temp_age
        with os.scandir(tmp) as entries:
            for entry in entries:
                with contextlib.suppress(FileNotFoundError):
                    if entry.stat(follow_symlinks=False).st_mtime < limit:
                        os.unlink(entry.name, dir_fd=tmp)

    # ------------------------------------------------------------ sidecars

    def _record(self, container_name: str, name: str, stat_: os.stat_result) -> Record | None:
        """The sidecar record of the file version ``stat_`` describes, None if it has none."""
        stamp = _stamp(stat_)
        return next((record for record in self._records(container_name, name) if record.get("file") == stamp), None)

    def _records(self, container_name: str, name: str) -> list[Record]:
        """The records of an object's sidecar (newest first); the first layout's sidecar if there is no other."""
        key = _sidecar_key(name)
        try:
            with self._state_dir((*_SIDECARS, container_name, key[:2]), create=False) as directory:
                sidecar = _load_json(directory, key + ".json")
            if sidecar.get("name") == name:
                return [r for r in sidecar["records"] if isinstance(r, dict)]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass
        parts = name.split("/")
        try:
            with self._state_dir((*_LEGACY_META, container_name, *parts[:-1]), create=False) as directory:
                return [_load_json(directory, parts[-1] + ".json")]
        except (OSError, ValueError):
            return []

    def _hash_and_save(self, container_name: str, name: str, parent: int, leaf: str, stat_: os.stat_result,
                       record: Record | None) -> Record | None:
        """Hash the file version ``stat_`` describes and save the MD5 to its sidecar record.

        Returns:
            The record with its MD5, or None if the file changed while it was hashed.
        """
        md5 = _md5_at(parent, leaf, stat_)
        if md5 is None:
            return None
        hashed = {"properties": {}, "meta_data": {}, **(record or {}), "file": _stamp(stat_), "md5": md5}
        with self._commit_lock():
            self._save_sidecar(container_name, name, hashed, lambda old: True)
        return hashed

    def _save_sidecar(self, container_name: str, name: str, record: Record, keep: Callable[[Record], bool]) -> None:
        """Make ``record`` the sidecar's newest, keeping the next record for which ``keep`` is true."""
        others = [old for old in self._records(container_name, name) if old.get("file") != record["file"] and keep(old)]
        sidecar = {"name": name, "records": [record, *others[:1]]}
        key = _sidecar_key(name)
        with self._state_dir(_TMP) as tmp, self._state_dir((*_SIDECARS, container_name, key[:2])) as directory:
            temp = f"sidecar-{uuid.uuid4().hex}"
            try:
                with os.fdopen(os.open(temp, _NEW_FILE_FLAGS, 0o666, dir_fd=tmp), "w", encoding="utf-8") as file:
                    json.dump(sidecar, file)
                    file.flush()
                    if self.fsync:
                        os.fsync(file.fileno())
                self._publish(tmp, temp, directory, key + ".json")
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temp, dir_fd=tmp)
        self._remove_legacy_sidecar(container_name, name)

    def _remove_sidecar(self, container_name: str, name: str) -> None:
        key = _sidecar_key(name)
        with contextlib.suppress(FileNotFoundError, NotADirectoryError), \
                self._state_dir((*_SIDECARS, container_name), create=False) as directory:
            with self._subdir(directory, (key[:2],)) as bucket, contextlib.suppress(FileNotFoundError):
                os.unlink(key + ".json", dir_fd=bucket)
            with contextlib.suppress(OSError):  # other sidecars share it
                os.rmdir(key[:2], dir_fd=directory)
        self._remove_legacy_sidecar(container_name, name)

    def _remove_legacy_sidecar(self, container_name: str, name: str) -> None:
        """Drop a first-layout sidecar once the current layout holds its object (``delete_container``
        removes the first layout's emptied directories)."""
        parts = name.split("/")
        with contextlib.suppress(FileNotFoundError, NotADirectoryError), \
                self._state_dir((*_LEGACY_META, container_name, *parts[:-1]), create=False) as directory:
            os.unlink(parts[-1] + ".json", dir_fd=directory)

    # ------------------------------------------------------------ descriptors and locks

    @contextlib.contextmanager
    def _root(self) -> Iterator[int]:
        fd = os.open(self.root, _DIR_FLAGS)
        try:
            yield fd
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def _subdir(self, fd: int, parts: Sequence[str], create: bool = False) -> Iterator[int]:
        """A descriptor of directory ``parts`` below ``fd``, opened a segment at a time, never through a symlink.

        Raises:
            FileNotFoundError: a segment is missing (and ``create`` is False).
            NotADirectoryError: a segment is a file; _SymlinkError (one of these) if it is a symlink.
        """
        current = os.dup(fd)
        try:
            for part in parts:
                child = self._open_child(current, part, create)
                os.close(current)
                current = child
            yield current
        finally:
            os.close(current)

    def _open_child(self, fd: int, part: str, create: bool = False) -> int:
        """Open directory ``part`` of ``fd`` without following a symlink, making it if asked."""
        try:
            return os.open(part, _DIR_FLAGS, dir_fd=fd)
        except FileNotFoundError:
            if not create:
                raise
        except OSError as error:
            if error.errno == errno.ELOOP or (
                error.errno == errno.ENOTDIR and stat.S_ISLNK(os.stat(part, dir_fd=fd, follow_symlinks=False).st_mode)
            ):
                raise _SymlinkError(errno.ENOTDIR, "a symlink (never followed)", part) from None
            raise
        with contextlib.suppress(FileExistsError):  # a racing writer made it first
            os.mkdir(part, dir_fd=fd)
            if self.fsync:
                os.fsync(fd)
        return self._open_child(fd, part)

    @contextlib.contextmanager
    def _state_dir(self, parts: Sequence[str], create: bool = True) -> Iterator[int]:
        """A descriptor of ``<root>/<parts>`` (storagekit's own directories)."""
        with self._root() as root, self._subdir(root, parts, create) as fd:
            yield fd

    @contextlib.contextmanager
    def _container_dir(self, container: Container) -> Iterator[int]:
        with self._root() as root:
            try:
                fd = self._open_child(root, container.name)
            except (FileNotFoundError, NotADirectoryError):
                raise ContainerDoesNotExistError(
                    f"container {container.name} does not exist", self, container_name=container.name
                ) from None
        try:
            yield fd
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def _object_errors(self, container: Container, name: str, writing: bool = False) -> Iterator[None]:
        """Turn the file system's answers about an object's path into storagekit errors."""
        try:
            yield
        except _SymlinkError:
            raise InvalidObjectNameError(
                f"{name} has a symlink in its path in {container.name}; the local driver never follows one",
                self, container_name=container.name, object_name=name,
            ) from None
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise InvalidObjectNameError(
                    f"{name} is a symlink in {container.name}; the local driver never follows one", self,
                    container_name=container.name, object_name=name,
                ) from None
            if writing and error.errno == errno.ENOTDIR:
                raise InvalidObjectNameError(
                    f"{name} would put an object inside another object in {container.name}", self,
                    container_name=container.name, object_name=name,
                ) from None
            if error.errno in (errno.ENOENT, errno.ENOTDIR) and not isinstance(error, ContainerDoesNotExistError):
                raise ObjectDoesNotExistError(f"{name} does not exist in {container.name}", self,
                    container_name=container.name, object_name=name) from None
            raise

    @contextlib.contextmanager
    def _commit_lock(self) -> Iterator[None]:
        """Serialize the renames that publish an object, across threads and (with locking) processes."""
        with self._thread_lock:
            if fcntl is None or not self.use_locking:  # pragma: no cover - Windows
                yield
                return
            with self._state_dir(()) as state:
                lock = os.open("lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666, dir_fd=state)
            try:
                fcntl.flock(lock, fcntl.LOCK_EX)
                yield
            finally:
                os.close(lock)  # releases the flock


class _UnhashedObject(Object):
    """A listed object whose MD5 nobody has asked for yet: ``hash`` / ``checksums`` compute it
    on first use (and the driver saves it to the sidecar); a listing never hashes."""

    def __init__(self, name: str, size: int, extra: dict[str, Any], meta_data: dict[str, str],
                 container: Container, driver: StorageDriver, md5: Callable[[], Record | None]) -> None:
        self._pending: Callable[[], Record | None] | None = md5
        self._md5: str | None = None
        super().__init__(name, size, None, extra, meta_data, container, driver)

    def _digest(self) -> str | None:
        if self._pending is not None:
            record, self._pending = self._pending(), None
            self._md5 = record["md5"] if record else None
        return self._md5

    @property  # type: ignore[override]
    def hash(self) -> str | None:
        return self._digest()

    @hash.setter
    def hash(self, value: str | None) -> None:
        if value is not None:
            self._md5, self._pending = value, None

    @property  # type: ignore[override]
    def checksums(self) -> dict[str, str]:
        md5 = self._digest()
        return {"md5": md5} if md5 else {}

    @checksums.setter
    def checksums(self, value: dict[str, str]) -> None:
        self.hash = value.get("md5")


def _stamp(stat_: os.stat_result) -> Stamp:
    return [stat_.st_ino, stat_.st_size, stat_.st_mtime_ns]


def _sidecar_key(name: str) -> str:
    """The sidecar's file name stem: a hash, so no object name can clash with another's sidecar."""
    return hashlib.sha256(os.fsencode(name)).hexdigest()


def _file_stat(parent: int, leaf: str) -> os.stat_result:
    """The stat of regular file ``leaf`` of directory ``parent``; a directory is no object, a symlink never one."""
    stat_ = os.stat(leaf, dir_fd=parent, follow_symlinks=False)
    if stat.S_ISLNK(stat_.st_mode):
        raise _SymlinkError(errno.ELOOP, "a symlink (never followed)", leaf)
    if not stat.S_ISREG(stat_.st_mode):
        raise FileNotFoundError(errno.ENOENT, "not a file", leaf)
    return stat_


def _md5_at(parent: int, leaf: str, stat_: os.stat_result) -> str | None:
    """The MD5 of file ``leaf`` if it is still the version ``stat_`` describes from start to end, else None."""
    with open(os.open(leaf, _READ_FLAGS, dir_fd=parent), "rb") as file:
        if _stamp(os.fstat(file.fileno())) != _stamp(stat_):
            return None
        md5 = _md5_of(file)
        return md5 if _stamp(os.fstat(file.fileno())) == _stamp(stat_) else None


def _md5_of(file: BinaryIO) -> str:
    digest = hashlib.md5()
    while chunk := file.read(_READ_SIZE):
        digest.update(chunk)
    return digest.hexdigest()


def _load_json(directory: int, leaf: str) -> Any:
    with open(os.open(leaf, _READ_FLAGS, dir_fd=directory), encoding="utf-8") as file:
        return json.load(file)


def _remove_tree(parent: int, name: str) -> None:
    """Remove ``name`` of directory ``parent`` and all below it; a symlink is unlinked, never entered."""
    try:
        stat_ = os.stat(name, dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(stat_.st_mode):
        shutil.rmtree(name, dir_fd=parent)  # descriptor-based: never follows a symlink (avoids_symlink_attacks)
    else:
        os.unlink(name, dir_fd=parent)
