"""An in-memory driver for tests and examples: thread-safe, gone when the process ends."""

from __future__ import annotations

import bisect
import hashlib
import io
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..base import Capabilities, StorageDriver
from ..models import Container, Object, ObjectPage
from ..options import UploadOptions
from ..types import (
    ContainerAlreadyExistsError,
    ContainerDoesNotExistError,
    ContainerIsNotEmptyError,
    InvalidOptionError,
    ObjectDoesNotExistError,
    PreconditionFailedError,
    Provider,
)
from .listing import page_of

__all__ = ["MemoryStorageDriver"]


@dataclass
class _Blob:
    data: bytes
    options: UploadOptions
    modified: float = field(default_factory=time.time)
    md5: str = ""

    def __post_init__(self) -> None:
        self.md5 = hashlib.md5(self.data).hexdigest()


class MemoryStorageDriver(StorageDriver):
    """Containers and objects in a dict, guarded by one lock.

    Usage::

        driver = get_driver(Provider.MEMORY)()
        container = driver.create_container("scratch")

    It also answers libcloud's ``Provider.DUMMY``, whose ``DummyStorageDriver(api_key, api_secret)``
    takes two credentials it never uses: so are ``key`` and ``secret`` here.

    Args:
        key, secret: accepted and ignored, as libcloud's dummy driver does.
        options: transfer settings (``part_size``, ``max_concurrency``, ``progress``, ...).

    Raises:
        InvalidOptionError: an option the memory driver does not know.
    """

    name = "Memory"
    provider = Provider.MEMORY
    capabilities = Capabilities(server_side_copy=False)

    def __init__(self, key: str | None = None, secret: str | None = None, **options: Any) -> None:
        self._take_transfer_options(options)
        if options:
            raise InvalidOptionError(
                f"unknown option(s) for the memory driver: {', '.join(sorted(options))} (known: the transfer settings)"
            )
        self._lock = threading.Lock()
        self._containers: dict[str, dict[str, _Blob]] = {}
        self._names: dict[str, list[str]] = {}

    def __reduce__(self) -> tuple[object, ...]:
        """Refuse: the objects live in this process only, and a copy elsewhere would silently diverge.

        Raises:
            TypeError: always; share data between processes through the local driver instead.
        """
        raise TypeError(
            "a memory driver cannot be pickled: its objects live in this process only, and a copy in "
            "another process would silently diverge from it; use the local driver to share data between processes"
        )

    def _iter_containers(self) -> Iterator[Container]:
        with self._lock:
            names = sorted(self._containers)
        return iter([Container(name, {}, self) for name in names])

    def _get_container(self, name: str) -> Container:
        with self._lock:
            self._blobs(name)
        return Container(name, {}, self)

    def _create_container(self, name: str) -> Container:
        with self._lock:
            if name in self._containers:
                raise ContainerAlreadyExistsError(f"container {name} already exists", self, container_name=name)
            self._containers[name] = {}
            self._names[name] = []
        return Container(name, {}, self)

    def _delete_container(self, container: Container) -> None:
        with self._lock:
            if self._blobs(container.name):
                raise ContainerIsNotEmptyError(
                    f"container {container.name} is not empty", self, container_name=container.name
                )
            del self._containers[container.name]
            del self._names[container.name]

    def _list_page(self, container: Container, prefix: str, delimiter: str | None, token: str | None) -> ObjectPage:
        with self._lock:
            self._blobs(container.name)
            names = self._names[container.name]
            candidates = []
            for name in names[bisect.bisect_left(names, prefix):]:
                if not name.startswith(prefix):
                    break
                candidates.append(self._object(container, name))
        return page_of(candidates, prefix, delimiter)

    def _head_object(self, container: Container, name: str) -> Object:
        with self._lock:
            return self._object(container, name)

    def _open_range(self, obj: Object, start: int, end: int) -> io.BytesIO:
        with self._lock:
            blob = self._blob(obj.container, obj.name)
        return io.BytesIO(blob.data[start:end])

    def _delete_object(self, container: Container, name: str) -> None:
        with self._lock:
            self._blob(container, name)
            del self._containers[container.name][name]
            names = self._names[container.name]
            del names[bisect.bisect_left(names, name)]

    def _write_object(self, container: Container, name: str, chunks: Iterator[bytes], options: UploadOptions) -> Object:
        data = b"".join(chunks)
        with self._lock:
            blobs = self._blobs(container.name)
            current = blobs.get(name)
            if options.if_none_match == "*" and current is not None:
                raise PreconditionFailedError(f"{name} already exists", self, object_name=name, http_status=412)
            if options.if_match is not None and (current is None or current.md5 != options.if_match.strip('"')):
                raise PreconditionFailedError(f"{name} does not match {options.if_match}", self, object_name=name)
            if current is None:
                bisect.insort(self._names[container.name], name)
            blobs[name] = _Blob(data, options)
            return self._object(container, name)

    def _blobs(self, container_name: str) -> dict[str, _Blob]:
        try:
            return self._containers[container_name]
        except KeyError:
            raise ContainerDoesNotExistError(
                f"container {container_name} does not exist", self, container_name=container_name
            ) from None

    def _blob(self, container: Container, name: str) -> _Blob:
        try:
            return self._blobs(container.name)[name]
        except KeyError:
            raise ObjectDoesNotExistError(
                f"{name} does not exist in {container.name}", self, container_name=container.name, object_name=name
            ) from None

    def _object(self, container: Container, name: str) -> Object:
        blob = self._blob(container, name)
        md5 = blob.md5
        extra: dict[str, object] = dict(blob.options.stored_properties())
        extra.update(etag=md5, last_modified=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(blob.modified)))
        return Object(name, len(blob.data), md5, extra, dict(blob.options.meta_data), container, self, {"md5": md5})
