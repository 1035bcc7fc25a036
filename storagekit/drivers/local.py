"""The local filesystem as a store: containers are directories, objects are plain files.

Layout under the root directory::

    <root>/<container>/<object name, "/" making subdirectories>
    <root>/.storagekit/meta/<container>/<object name>.json   content type, metadata, MD5
    <root>/.storagekit/tmp/                                  uploads in progress

Objects stay ordinary files, so a backup is readable without storagekit. Writes go to a
temp file on the same filesystem and are renamed into place, so a reader never sees half
an object. A sidecar records the inode, size and mtime of the file it describes: a file
changed behind storagekit's back is noticed, its MD5 computed afresh.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

from ..base import Capabilities, StorageDriver
from ..models import Container, Object, ObjectPage
from ..options import UploadOptions
from ..streams import FileRange
from ..transfer import guess_content_type
from ..types import (
    ContainerAlreadyExistsError,
    ContainerDoesNotExistError,
    ContainerIsNotEmptyError,
    InvalidContainerNameError,
    InvalidObjectNameError,
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
_READ_SIZE = 1024 * 1024
_PAGE_SIZE = 1000


class LocalStorageDriver(StorageDriver):
    """Store objects as files under a root directory.

    Usage::

        driver = get_driver(Provider.LOCAL)("/srv/backups")
        driver.create_container("photos")

    :param key: the root directory; it must exist.
    :param fsync: flush every object to disk before it becomes visible (default True).
    """

    name = "Local Storage"
    provider = Provider.LOCAL
    capabilities = Capabilities()

    def __init__(self, key: str | os.PathLike[str], secret: None = None, *, fsync: bool = True, **kwargs: Any) -> None:
        root = os.path.realpath(os.fspath(key))
        if not os.path.isdir(root):
            raise ContainerDoesNotExistError(f"the local storage root {root} is not a directory", self)
        self.root = root
        self.fsync = fsync
        self._thread_lock = threading.Lock()
        for sub in ("meta", "tmp"):
            os.makedirs(os.path.join(root, _STATE_DIR, sub), exist_ok=True)

    def __repr__(self) -> str:
        return f"<LocalStorageDriver root={self.root!r}>"

    # ------------------------------------------------------------ names and paths

    def _check_container_name(self, name: str) -> None:
        super()._check_container_name(name)
        if name.startswith(".") or "\\" in name or os.sep in name:
            raise InvalidContainerNameError(
                f"invalid container name {name!r}: it may not start with '.' or hold a path separator",
                self, container_name=name,
            )

    def _check_object_name(self, name: str) -> None:
        super()._check_object_name(name)
        parts = name.split("/")
        if name.startswith("/") or any(part in ("", ".", "..") for part in parts) or ("\\" in name and os.sep == "\\"):
            raise InvalidObjectNameError(
                f"invalid object name {name!r}: no absolute path, empty, '.' or '..' segment on the local driver",
                self, object_name=name,
            )

    def _container_path(self, name: str, must_exist: bool = True) -> str:
        path = os.path.join(self.root, name)
        if must_exist and not os.path.isdir(path):
            raise ContainerDoesNotExistError(f"container {name} does not exist", self, container_name=name)
        return path

    def _object_path(self, container: Container, name: str) -> str:
        """The file of an object, refusing any name (or symlink) that leads out of its container."""
        self._check_object_name(name)
        base = self._container_path(container.name)
        path = os.path.join(base, *name.split("/"))
        real = os.path.realpath(path)
        if os.path.commonpath([real, base]) != base:
            raise InvalidObjectNameError(
                f"object name {name!r} leads outside container {container.name}", self,
                container_name=container.name, object_name=name,
            )
        return path

    def _meta_path(self, container_name: str, name: str) -> str:
        return os.path.join(self.root, _STATE_DIR, "meta", container_name, *name.split("/")) + ".json"

    # ------------------------------------------------------------ containers

    def _iter_containers(self) -> Iterator[Container]:
        for entry in sorted(os.scandir(self.root), key=lambda e: e.name):
            if entry.is_dir() and not entry.name.startswith("."):
                yield Container(entry.name, {}, self)

    def _get_container(self, name: str) -> Container:
        self._container_path(name)
        return Container(name, {}, self)

    def _create_container(self, name: str) -> Container:
        try:
            os.mkdir(self._container_path(name, must_exist=False))
        except FileExistsError:
            raise ContainerAlreadyExistsError(f"container {name} already exists", self, container_name=name) from None
        return Container(name, {}, self)

    def _delete_container(self, container: Container) -> None:
        path = self._container_path(container.name)
        try:
            os.rmdir(path)
        except OSError:
            raise ContainerIsNotEmptyError(
                f"container {container.name} is not empty", self, container_name=container.name
            ) from None
        meta = os.path.join(self.root, _STATE_DIR, "meta", container.name)
        for directory, _, files in os.walk(meta, topdown=False):
            for file in files:
                os.unlink(os.path.join(directory, file))
            os.rmdir(directory)

    # ------------------------------------------------------------ objects

    def _list_page(self, container: Container, prefix: str, delimiter: str | None, token: str | None) -> ObjectPage:
        base = self._container_path(container.name)
        directory = prefix.rpartition("/")[0]
        start = os.path.join(base, *directory.split("/")) if directory else base
        page = ObjectPage()
        shallow = delimiter == "/"
        for count, name in enumerate(self._walk(start, directory + "/" if directory else "", prefix, token, shallow)):
            if count == _PAGE_SIZE:
                page.next_token = token
                break
            if name.endswith("/"):
                page.prefixes.append(name)
            else:
                with contextlib.suppress(ObjectDoesNotExistError):  # deleted while listing
                    page.objects.append(self._head_object(container, name))
            token = name
        if delimiter and not shallow:
            return page_of(page.objects, prefix, delimiter, page.next_token)
        return page

    def _walk(self, path: str, key: str, prefix: str, after: str | None, shallow: bool) -> Iterator[str]:
        """Names under ``path`` in S3 order (a directory sorts as its name plus '/'), after ``after``.

        With ``shallow``, a directory under the prefix is yielded as its name plus '/'
        instead of being entered.
        """
        try:
            entries = [(e.name + "/" if e.is_dir(follow_symlinks=False) else e.name, e) for e in os.scandir(path)]
        except (FileNotFoundError, NotADirectoryError):
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
                    yield name
            elif shallow and name.startswith(prefix):
                if after is None or name > after:
                    yield name
            else:
                yield from self._walk(entry.path, name, prefix, after, shallow)

    def _head_object(self, container: Container, name: str) -> Object:
        path = self._object_path(container, name)
        try:
            stat = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            stat = None
        if stat is None or not os.path.isfile(path):
            raise ObjectDoesNotExistError(
                f"{name} does not exist in {container.name}", self, container_name=container.name, object_name=name
            )
        sidecar = self._read_sidecar(container.name, name, stat)
        if sidecar is None:
            sidecar = {"md5": _md5_of(path), "properties": {}, "meta_data": {}}
        return self._object(container, name, stat, sidecar)

    def _object(self, container: Container, name: str, stat: os.stat_result, sidecar: dict[str, Any]) -> Object:
        properties = dict(sidecar["properties"])
        properties.setdefault("content_type", guess_content_type(name))
        extra = {
            **properties,
            "etag": sidecar["md5"],
            "last_modified": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stat.st_mtime)),
        }
        return Object(name, stat.st_size, sidecar["md5"], extra, dict(sidecar["meta_data"]), container, self,
                      {"md5": sidecar["md5"]})

    def _open_range(self, obj: Object, start: int, end: int) -> FileRange:
        path = self._object_path(obj.container, obj.name)
        try:
            file = open(path, "rb", buffering=0)  # noqa: SIM115 - FileRange closes it
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise ObjectDoesNotExistError(
                f"{obj.name} does not exist in {obj.container.name}", self,
                container_name=obj.container.name, object_name=obj.name,
            ) from None
        file.seek(start)
        return FileRange(file, end - start)

    def _delete_object(self, container: Container, name: str) -> None:
        path = self._object_path(container, name)
        with self._commit_lock():
            try:
                if not os.path.isfile(path):
                    raise FileNotFoundError(path)
                os.unlink(path)
            except (FileNotFoundError, NotADirectoryError):
                raise ObjectDoesNotExistError(
                    f"{name} does not exist in {container.name}", self, container_name=container.name, object_name=name
                ) from None
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._meta_path(container.name, name))
            self._prune(os.path.dirname(path), self._container_path(container.name))
            self._prune(os.path.dirname(self._meta_path(container.name, name)),
                        os.path.join(self.root, _STATE_DIR, "meta", container.name))

    def _write_object(self, container: Container, name: str, chunks: Iterator[bytes], options: UploadOptions) -> Object:
        path = self._object_path(container, name)
        temp = os.path.join(self.root, _STATE_DIR, "tmp", uuid.uuid4().hex)
        try:
            digest = hashlib.md5()
            with open(temp, "xb") as file:
                for chunk in chunks:
                    digest.update(chunk)
                    file.write(chunk)
                if self.fsync:
                    file.flush()
                    os.fsync(file.fileno())
            with self._commit_lock():
                self._check_preconditions(container, name, path, options)
                self._make_parents(container, name, path)
                stat = os.stat(temp)
                sidecar = self._write_sidecar(container.name, name, stat, digest.hexdigest(), options)
                try:
                    os.replace(temp, path)
                except IsADirectoryError:
                    raise InvalidObjectNameError(
                        f"{name} is a directory of other objects in {container.name}", self,
                        container_name=container.name, object_name=name,
                    ) from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
        return self._object(container, name, stat, sidecar)

    # ------------------------------------------------------------ helpers

    def _check_preconditions(self, container: Container, name: str, path: str, options: UploadOptions) -> None:
        if options.if_none_match is None and options.if_match is None:
            return
        exists = os.path.isfile(path)
        if options.if_none_match == "*" and exists:
            raise PreconditionFailedError(f"{name} already exists", self, container_name=container.name,
                                          object_name=name, http_status=412)
        if options.if_match is not None and (
            not exists or self._head_object(container, name).hash != options.if_match.strip('"')
        ):
            raise PreconditionFailedError(f"{name} no longer has etag {options.if_match}", self,
                                          container_name=container.name, object_name=name, http_status=412)

    def _make_parents(self, container: Container, name: str, path: str) -> None:
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise InvalidObjectNameError(
                f"{name} would put an object inside another object in {container.name}", self,
                container_name=container.name, object_name=name,
            ) from None

    def _read_sidecar(self, container_name: str, name: str, stat: os.stat_result) -> dict[str, Any] | None:
        try:
            with open(self._meta_path(container_name, name), encoding="utf-8") as file:
                sidecar = json.load(file)
        except (OSError, ValueError):
            return None
        if sidecar.get("file") != [stat.st_ino, stat.st_size, stat.st_mtime_ns]:
            return None  # the file was replaced or changed behind our back
        return sidecar

    def _write_sidecar(self, container_name: str, name: str, stat: os.stat_result, md5: str,
                       options: UploadOptions) -> dict[str, Any]:
        path = self._meta_path(container_name, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        sidecar = {
            "file": [stat.st_ino, stat.st_size, stat.st_mtime_ns],
            "md5": md5,
            "properties": options.stored_properties(),
            "meta_data": options.meta_data,
        }
        temp = path + f".{uuid.uuid4().hex[:8]}.tmp"
        with open(temp, "w", encoding="utf-8") as file:
            json.dump(sidecar, file)
        os.replace(temp, path)
        return sidecar

    @contextlib.contextmanager
    def _commit_lock(self) -> Iterator[None]:
        """Serialize the renames that publish an object, across threads and processes."""
        with self._thread_lock:
            if fcntl is None:  # pragma: no cover - Windows
                yield
                return
            with open(os.path.join(self.root, _STATE_DIR, "lock"), "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)

    @staticmethod
    def _prune(directory: str, stop: str) -> None:
        """Remove empty directories from ``directory`` up to (not including) ``stop``."""
        while directory != stop and directory.startswith(stop):
            try:
                os.rmdir(directory)
            except OSError:
                return
            directory = os.path.dirname(directory)


def _md5_of(path: str) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as file:
        while chunk := file.read(_READ_SIZE):
            digest.update(chunk)
    return digest.hexdigest()

