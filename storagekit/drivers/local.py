"""The local filesystem as a store: containers are directories, objects are plain files.

Layout under the root directory::

    <root>/<container>/<object name, "/" making subdirectories>
    <root>/.storagekit/sidecars/<container>/...   content type, metadata, MD5 (see sidecars.py)
    <root>/.storagekit/tmp/                       uploads and sidecars being written
    <root>/.storagekit/lock                       serializes publishing across processes

Objects stay ordinary files, so a backup is readable without storagekit. Every path is opened
one segment at a time relative to a directory descriptor, never through a symlink
(:mod:`.dirfd`), so a directory swapped for a symlink cannot redirect a read, a write or a
delete out of the root; listings skip symlinks. An upload is hashed once as it is written to
a temp file, fsynced, recorded in its sidecar (which keeps the replaced version's record too)
and renamed into place under a lock, its directory fsynced after. What a killed upload leaves
in ``tmp/`` is removed by a later write once older than ``stale_temp_age``. A listing never
hashes: a file without a known MD5 (placed by hand, or changed behind storagekit's back) gets
it computed when someone asks for it (``get_object``, ``hash``, ``checksums``, a verified
download), and saved to its sidecar.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import os
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
from .dirfd import NEW_FILE_FLAGS, READ_FLAGS, DirectoryTree, SymlinkError, file_stat
from .listing import page_of
from .sidecars import SIDECARS, Draft, Record, Sidecars, stamp

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["LocalStorageDriver"]

_STATE_DIR = ".storagekit"
_TMP = (_STATE_DIR, "tmp")
_READ_SIZE = 1024 * 1024
_PAGE_SIZE = 1000


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
        self._tree = DirectoryTree(root, fsync)
        self._sidecars = Sidecars(self._tree, _TMP, fsync)
        self.use_locking = ex_use_locking
        self._thread_lock = threading.Lock()
        for parts in (_TMP, SIDECARS):
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
            found = sorted((e.name, e.stat(follow_symlinks=False)) for e in entries
                           if e.is_dir(follow_symlinks=False) and not e.name.startswith("."))
        return iter([Container(name, file_times(stat_), self) for name, stat_ in found])

    def _get_container(self, name: str) -> Container:
        container = Container(name, {}, self)
        with self._container_dir(container) as fd:
            container.extra.update(file_times(os.fstat(fd)))
            return container

    def _create_container(self, name: str) -> Container:
        with self._tree.open(()) as root:
            try:
                os.mkdir(name, dir_fd=root)
            except FileExistsError:
                raise ContainerAlreadyExistsError(
                    f"container {name} already exists", self, container_name=name
                ) from None
            if self.fsync:
                os.fsync(root)
            return Container(name, file_times(os.stat(name, dir_fd=root, follow_symlinks=False)), self)

    def _delete_container(self, container: Container) -> None:
        with self._tree.open(()) as root:
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
        self._sidecars.remove_container(container.name)

    # ------------------------------------------------------------ objects

    def _list_page(self, container: Container, prefix: str, delimiter: str | None, token: str | None) -> ObjectPage:
        directory = prefix.rpartition("/")[0]
        page = ObjectPage()
        shallow = delimiter == "/"
        with self._container_dir(container) as base, contextlib.ExitStack() as stack:
            try:
                start = stack.enter_context(self._tree.open_in(base, directory.split("/") if directory else ()))
            except (FileNotFoundError, NotADirectoryError):  # no such directory, or a symlink: nothing listed
                return page
            names = stack.enter_context(contextlib.closing(
                self._walk(start, directory + "/" if directory else "", prefix, token, shallow)
            ))
            files: list[tuple[str, os.stat_result]] = []
            for count, (name, stat_) in enumerate(names):
                if count == _PAGE_SIZE:
                    page.next_token = token
                    break
                if stat_ is None:
                    page.prefixes.append(name)
                else:
                    files.append((name, stat_))
                token = name
        records = self._sidecars.matching(container.name, files)  # the whole page's sidecars at once
        page.objects = [self._object(container, name, stat_, records.get(name)) for name, stat_ in files]
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
                    child = self._tree.open_child(fd, entry.name)
                except (FileNotFoundError, NotADirectoryError):  # removed, or swapped for a symlink
                    continue
                try:
                    yield from self._walk(child, name, prefix, after, shallow)
                finally:
                    os.close(child)

    def _head_object(self, container: Container, name: str) -> Object:
        parts = name.split("/")
        with self._object_errors(container, name), self._container_dir(container) as base, \
                self._tree.open_in(base, parts[:-1]) as parent:
            stat_ = file_stat(parent, parts[-1])
            record = self._sidecars.record(container.name, name, stat_)
            if record is None or not record.get("md5"):
                record = self._hash_and_save(container.name, name, parent, parts[-1], stat_, record) or record
        return self._object(container, name, stat_, record)

    def _object(self, container: Container, name: str, stat_: os.stat_result, record: Record | None) -> Object:
        """The object a file and its sidecar record describe; its MD5 is computed later if not known."""
        properties = dict(record["properties"]) if record else {}
        if "content_type" not in properties:
            properties["content_type"] = guess_content_type(name)
        extra = {**properties, "last_modified": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stat_.st_mtime)),
                 **file_times(stat_)}
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
            with self._container_dir(container) as base, self._tree.open_in(base, parts[:-1]) as parent:
                return self._hash_and_save(container.name, name, parent, parts[-1], stat_, record)
        except (OSError, ContainerDoesNotExistError):
            return None

    def _open_range(self, obj: Object, start: int, end: int) -> FileRange:
        parts = obj.name.split("/")
        with self._object_errors(obj.container, obj.name), self._container_dir(obj.container) as base, \
                self._tree.open_in(base, parts[:-1]) as parent:
            fd = os.open(parts[-1], READ_FLAGS, dir_fd=parent)
            file = os.fdopen(fd, "rb", buffering=0)
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                file.close()
                raise FileNotFoundError(obj.name)
        file.seek(start)
        return FileRange(file, end - start)

    def _delete_object(self, container: Container, name: str) -> None:
        parts = name.split("/")
        with self._commit_lock(), self._object_errors(container, name), self._container_dir(container) as base:
            with self._tree.open_in(base, parts[:-1]) as parent:
                file_stat(parent, parts[-1])
                os.unlink(parts[-1], dir_fd=parent)
                if self.fsync:
                    os.fsync(parent)
            self._sidecars.remove(container.name, name)
            for depth in range(len(parts) - 1, 0, -1):  # prune the directories left empty
                with self._tree.open_in(base, parts[: depth - 1]) as directory:
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
            draft: Draft | None = None
            try:
                with disk_full_is_typed(f"uploading {name} to {container.name}", self,
                                        container_name=container.name, object_name=name):
                    stat_, md5 = self._write_temp(tmp, temp, chunks)
                    record = {"file": stamp(stat_), "md5": md5, "properties": options.stored_properties(),
                              "meta_data": options.meta_data}
                    draft = self._sidecars.draft(container.name, name, record)  # flushed before the lock
                    with self._object_errors(container, name, writing=True), \
                            self._container_dir(container) as base, contextlib.ExitStack() as held:
                        with self._commit_lock():
                            parent = held.enter_context(self._tree.open_in(base, parts[:-1], create=True))
                            current = self._current(container, name, parent, parts[-1])
                            self._check_preconditions(container, name, parent, current, options)
                            # The replaced version's record stays until the next write: should the process
                            # die before the rename below, the surviving file keeps its metadata.
                            survivor = stamp(current) if current else None
                            self._sidecars.commit(draft, lambda old: old.get("file") == survivor)
                            self._publish(tmp, temp, parent, parts[-1])
                        if self.fsync:  # after the lock (other uploads publish meanwhile), before returning
                            os.fsync(parent)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temp, dir_fd=tmp)
                if draft is not None:
                    self._sidecars.discard(draft)
        return self._object(container, name, stat_, record)

    # ------------------------------------------------------------ writing steps

    def _write_temp(self, tmp: int, temp: str, chunks: Iterator[bytes]) -> tuple[os.stat_result, str]:
        """Write ``chunks`` to ``temp`` in directory ``tmp``, hashing them as they pass; its stat and MD5."""
        digest = hashlib.md5()
        with os.fdopen(os.open(temp, NEW_FILE_FLAGS, 0o666, dir_fd=tmp), "wb") as file:
            for chunk in chunks:
                digest.update(chunk)
                file.write(chunk)
            file.flush()
            if self.fsync:
                os.fsync(file.fileno())
            return os.fstat(file.fileno()), digest.hexdigest()

    def _publish(self, tmp: int, temp: str, parent: int, leaf: str) -> None:
        """Rename the finished temp file into its directory (held open, so no symlink can redirect it);
        the caller flushes the directory once the commit lock is released."""
        os.replace(temp, leaf, src_dir_fd=tmp, dst_dir_fd=parent)

    def _current(self, container: Container, name: str, parent: int, leaf: str) -> os.stat_result | None:
        """The stat of the file an upload will replace, None if there is none."""
        try:
            current = os.stat(leaf, dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            return None
        if stat.S_ISLNK(current.st_mode):
            raise SymlinkError(errno.ELOOP, "a symlink (never followed)", leaf)
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
            record = self._sidecars.record(container.name, name, current)
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

    # ------------------------------------------------------------ digests

    def _hash_and_save(self, container_name: str, name: str, parent: int, leaf: str, stat_: os.stat_result,
                       record: Record | None) -> Record | None:
        """Hash the file version ``stat_`` describes and save the MD5 to its sidecar record.

        Returns:
            The record with its MD5, or None if the file changed while it was hashed.
        """
        md5 = _md5_at(parent, leaf, stat_)
        if md5 is None:
            return None
        hashed = {"properties": {}, "meta_data": {}, **(record or {}), "file": stamp(stat_), "md5": md5}
        with self._commit_lock():
            self._sidecars.save(container_name, name, hashed, lambda old: True)
        return hashed

    # ------------------------------------------------------------ descriptors and locks

    @contextlib.contextmanager
    def _state_dir(self, parts: Sequence[str], create: bool = True) -> Iterator[int]:
        """A descriptor of ``<root>/<parts>`` (storagekit's own directories)."""
        with self._tree.open(parts, create) as fd:
            yield fd

    @contextlib.contextmanager
    def _container_dir(self, container: Container) -> Iterator[int]:
        with self._tree.open(()) as root:
            try:
                fd = self._tree.open_child(root, container.name)
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
        except SymlinkError:
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


def file_times(stat_: os.stat_result) -> dict[str, float]:
    """libcloud's local ``extra`` keys: ``creation_time`` (``st_ctime``: on POSIX the inode's last
    change), ``modify_time`` and ``access_time``, in seconds since the epoch."""
    return {"creation_time": stat_.st_ctime, "modify_time": stat_.st_mtime, "access_time": stat_.st_atime}


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

    @property
    def hash(self) -> str | None:
        return self._digest()

    @hash.setter
    def hash(self, value: str | None) -> None:
        if value is not None:
            self._md5, self._pending = value, None

    @property
    def checksums(self) -> dict[str, str]:
        md5 = self._digest()
        return {"md5": md5} if md5 else {}

    @checksums.setter
    def checksums(self, value: dict[str, str]) -> None:
        self.hash = value.get("md5")


def _md5_at(parent: int, leaf: str, stat_: os.stat_result) -> str | None:
    """The MD5 of file ``leaf`` if it is still the version ``stat_`` describes from start to end, else None."""
    with open(os.open(leaf, READ_FLAGS, dir_fd=parent), "rb") as file:
        if stamp(os.fstat(file.fileno())) != stamp(stat_):
            return None
        md5 = _md5_of(file)
        return md5 if stamp(os.fstat(file.fileno())) == stamp(stat_) else None


def _md5_of(file: BinaryIO) -> str:
    digest = hashlib.md5()
    while chunk := file.read(_READ_SIZE):
        digest.update(chunk)
    return digest.hexdigest()

