"""The plain data the public API hands out and drivers build: containers, objects, listings."""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .streams import Checksum, crc32c

if TYPE_CHECKING:
    from .base import StorageDriver
    from .files import ObjectFile

E = TypeVar("E")
"""What a driver's listing parser yields for one object, before it is made an Object."""


class Container:
    """A bucket / container, a thin facade whose methods call its driver.

    Args:
        name: the container's name.
        extra: provider properties (creation date, region, ...), as the service describes them.
        driver: the driver the container belongs to.

    """

    def __init__(self, name: str, extra: dict[str, Any] | None, driver: StorageDriver) -> None:
        self.name = name
        self.extra = extra or {}
        self.driver = driver

    def __repr__(self) -> str:
        return f"<Container: name={self.name}, provider={self.driver.name}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Container) and (other.name, other.driver) == (self.name, self.driver)

    def __hash__(self) -> int:
        return hash((self.name, id(self.driver)))

    def iterate_objects(self, prefix: str | None = None, ex_prefix: str | None = None) -> Iterator[Object]:
        """Yield the container's objects in name order (``driver.iterate_container_objects(self, ...)``).

        Args:
            prefix: only names that start with it.
            ex_prefix: libcloud's older keyword for ``prefix``.

        Returns:
            An iterator of :class:`Object`.

        """
        return self.driver.iterate_container_objects(self, prefix=prefix, ex_prefix=ex_prefix)

    def list_objects(self, prefix: str | None = None, ex_prefix: str | None = None) -> list[Object]:
        """The container's objects, as a list (``driver.list_container_objects(self, ...)``).

        Args:
            prefix: only names that start with it.
            ex_prefix: libcloud's older keyword for ``prefix``.

        Returns:
            The objects, in name order.

        """
        return self.driver.list_container_objects(self, prefix=prefix, ex_prefix=ex_prefix)

    def get_object(self, object_name: str) -> Object:
        """The object of that name in this container (``driver.get_object(self.name, object_name)``).

        Args:
            object_name: the object's name.

        Returns:
            The :class:`Object`; ObjectDoesNotExistError is raised if there is none.

        """
        return self.driver.get_object(self.name, object_name)

    def upload_object(self, file_path: str, object_name: str, extra: dict[str, Any] | None = None,
                      verify_hash: bool = True, headers: dict[str, str] | None = None, **kwargs: Any) -> Object:
        """Upload a local file into this container (``driver.upload_object``).

        Args:
            file_path: the file to upload.
            object_name: the object's name.
            extra: object properties (``content_type``, ``meta_data``, ``if_none_match``, ...).
            verify_hash: check the stored object against the data sent.
            headers: extra HTTP headers.
            **kwargs: ``ex_meta``, ``ex_storage_class`` and transfer settings.

        Returns:
            The stored :class:`Object`.

        """
        return self.driver.upload_object(file_path, self, object_name, extra=extra, verify_hash=verify_hash,
                                         headers=headers, **kwargs)

    def upload_object_via_stream(self, iterator: Any, object_name: str, extra: dict[str, Any] | None = None,
                                 headers: dict[str, str] | None = None, **kwargs: Any) -> Object:
        """Upload from an iterator of bytes, a binary file object or bytes (``driver.upload_object_via_stream``).

        Args:
            iterator: the data.
            object_name: the object's name.
            extra: object properties.
            headers: extra HTTP headers.
            **kwargs: ``ex_meta``, ``ex_storage_class`` and transfer settings.

        Returns:
            The stored :class:`Object`.

        """
        return self.driver.upload_object_via_stream(iterator, self, object_name, extra=extra, headers=headers,
                                                    **kwargs)

    def download_object(self, obj: Object, destination_path: str, overwrite_existing: bool = False,
                        delete_on_failure: bool = True) -> bool:
        """Download an object to a file, verified and atomic (``driver.download_object``).

        Args:
            obj: the object.
            destination_path: the file, or a directory to put it in.
            overwrite_existing: replace an existing file.
            delete_on_failure: libcloud's flag; nothing partial is ever left.

        Returns:
            True (a failure raises).

        """
        return self.driver.download_object(obj, destination_path, overwrite_existing, delete_on_failure)

    def download_object_as_stream(self, obj: Object, chunk_size: int | None = None) -> Iterator[bytes]:
        """Yield an object's bytes in chunks (``driver.download_object_as_stream``).

        Args:
            obj: the object.
            chunk_size: bytes per chunk.

        Returns:
            An iterator of ``bytes``, verified as it ends.

        """
        return self.driver.download_object_as_stream(obj, chunk_size)

    def download_object_range(self, obj: Object, destination_path: str, start_bytes: int,
                              end_bytes: int | None = None, overwrite_existing: bool = False,
                              delete_on_failure: bool = True) -> bool:
        """Download a byte range of an object to a file (``driver.download_object_range``).

        Args:
            obj: the object.
            destination_path: the file, or a directory to put it in.
            start_bytes: the first byte.
            end_bytes: the byte after the last one; None for the end.
            overwrite_existing: replace an existing file.
            delete_on_failure: libcloud's flag; nothing partial is ever left.

        Returns:
            True (a failure raises).

        """
        return self.driver.download_object_range(obj, destination_path, start_bytes, end_bytes,
                                                 overwrite_existing, delete_on_failure)

    def download_object_range_as_stream(self, obj: Object, start_bytes: int, end_bytes: int | None = None,
                                        chunk_size: int | None = None) -> Iterator[bytes]:
        """Yield a byte range of an object in chunks (``driver.download_object_range_as_stream``).

        Args:
            obj: the object.
            start_bytes: the first byte.
            end_bytes: the byte after the last one; None for the end.
            chunk_size: bytes per chunk.

        Returns:
            An iterator of ``bytes``.

        """
        return self.driver.download_object_range_as_stream(obj, start_bytes, end_bytes, chunk_size)

    def delete_object(self, obj: Object) -> bool:
        """Delete an object (``driver.delete_object``).

        Args:
            obj: the object.

        Returns:
            True (a failure raises).

        """
        return self.driver.delete_object(obj)

    def open(self, object_name: str, mode: str = "rb", **options: Any) -> ObjectFile:
        """Open an object of this container as a file (:meth:`storagekit.base.StorageDriver.open`).

        Args:
            object_name: the object's name.
            mode: ``"rb"``, ``"wb"``, ``"r"`` or ``"w"``.
            **options: the options of :meth:`StorageDriver.open <storagekit.base.StorageDriver.open>`.

        Returns:
            A reader, a writer, or a text wrapper over one.

        """
        return self.driver.open(self, object_name, mode, **options)

    def delete(self) -> bool:
        """Delete this container, which must be empty (``driver.delete_container``).

        Returns:
            True (ContainerIsNotEmptyError if it still holds objects).

        """
        return self.driver.delete_container(self)

    def get_cdn_url(self) -> str:
        """libcloud's container CDN URL (``driver.get_container_cdn_url``): NotSupportedError everywhere.

        Returns:
            Never returns.

        """
        return self.driver.get_container_cdn_url(self)

    def enable_cdn(self, **kwargs: Any) -> bool:
        """libcloud's CDN switch (``driver.enable_container_cdn``): NotSupportedError everywhere.

        Args:
            **kwargs: libcloud's provider options, unused.

        Returns:
            Never returns.

        """
        return self.driver.enable_container_cdn(self, **kwargs)


class Object:
    """A stored object: name, size, provider hash, ``extra`` properties and user metadata.

    ``checksums`` holds only digests known to be true checksums of the content (hex, by
    algorithm: ``md5``, ``crc32``, ``crc32c``), unlike ``hash``, which is whatever the provider calls
    its hash (an S3 multipart ETag is not an MD5).

    Args:
        name: the object's name.
        size: its size in bytes (None in libcloud's hand-built ``Object``: looked up when read).
        hash: the provider's hash (ETag, ``md5Hash``), as the provider gives it.
        extra: provider properties: ``etag``, ``last_modified``, ``content_type``, ...
        meta_data: user metadata.
        container: its container.
        driver: the driver it belongs to.
        checksums: true digests of the content, hex by algorithm.

    """

    def __init__(
        self,
        name: str,
        size: int,
        hash: str | None,
        extra: dict[str, Any] | None,
        meta_data: dict[str, str] | None,
        container: Container,
        driver: StorageDriver,
        checksums: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.size = size
        self.hash = hash
        self.extra = extra or {}
        self.meta_data = meta_data or {}
        self.container = container
        self.driver = driver
        self.checksums = checksums or {}

    def __repr__(self) -> str:
        return (f"<Object: name={self.name}, size={self.size}, hash={self.hash}, "
                f"provider={self.driver.name}>")

    def get_cdn_url(self) -> str:
        """A presigned GET URL valid 24 hours (``driver.get_object_cdn_url``).

        Returns:
            The URL (NotSupportedError on drivers without signed URLs).

        """
        return self.driver.get_object_cdn_url(self)

    def enable_cdn(self, **kwargs: Any) -> bool:
        """libcloud's CDN switch (``driver.enable_object_cdn``): NotSupportedError everywhere.

        Args:
            **kwargs: libcloud's provider options, unused.

        Returns:
            Never returns.

        """
        return self.driver.enable_object_cdn(self, **kwargs)

    def download(self, destination_path: str, overwrite_existing: bool = False,
                 delete_on_failure: bool = True) -> bool:
        """Download this object to a file, verified and atomic (``driver.download_object``).

        Args:
            destination_path: the file, or a directory to put it in.
            overwrite_existing: replace an existing file.
            delete_on_failure: libcloud's flag; nothing partial is ever left.

        Returns:
            True (a failure raises).

        """
        return self.driver.download_object(self, destination_path, overwrite_existing, delete_on_failure)

    def as_stream(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """Yield this object's bytes in chunks (``driver.download_object_as_stream``).

        Args:
            chunk_size: bytes per chunk.

        Returns:
            An iterator of ``bytes``, verified as it ends.

        """
        return self.driver.download_object_as_stream(self, chunk_size)

    def download_range(self, destination_path: str, start_bytes: int, end_bytes: int | None = None,
                       overwrite_existing: bool = False, delete_on_failure: bool = True) -> bool:
        """Download a byte range of this object to a file (``driver.download_object_range``).

        Args:
            destination_path: the file, or a directory to put it in.
            start_bytes: the first byte.
            end_bytes: the byte after the last one; None for the end.
            overwrite_existing: replace an existing file.
            delete_on_failure: libcloud's flag; nothing partial is ever left.

        Returns:
            True (a failure raises).

        """
        return self.driver.download_object_range(self, destination_path, start_bytes, end_bytes,
                                                 overwrite_existing, delete_on_failure)

    def range_as_stream(self, start_bytes: int, end_bytes: int | None = None,
                        chunk_size: int | None = None) -> Iterator[bytes]:
        """Yield a byte range of this object in chunks (``driver.download_object_range_as_stream``).

        Args:
            start_bytes: the first byte.
            end_bytes: the byte after the last one; None for the end.
            chunk_size: bytes per chunk.

        Returns:
            An iterator of ``bytes``.

        """
        return self.driver.download_object_range_as_stream(self, start_bytes, end_bytes, chunk_size)

    def get_url(self, expires_in: int = 3600, method: str = "GET") -> str:
        """A presigned URL for this object (``driver.get_object_url``).

        Args:
            expires_in: seconds the URL stays valid.
            method: ``"GET"`` or ``"PUT"``.

        Returns:
            The URL (NotSupportedError on drivers without signed URLs).

        """
        return self.driver.get_object_url(self, expires_in=expires_in, method=method)

    def open(self, mode: str = "rb", **options: Any) -> ObjectFile:
        """Open this object as a file (see :meth:`StorageDriver.open <storagekit.base.StorageDriver.open>`).

        Args:
            mode: ``"rb"``, ``"wb"``, ``"r"`` or ``"w"``.
            **options: the options of :meth:`StorageDriver.open <storagekit.base.StorageDriver.open>`.

        Returns:
            A reader, a writer, or a text wrapper over one.

        """
        return self.driver.open(self.container, self.name, mode, **options)

    def delete(self) -> bool:
        """Delete this object (``driver.delete_object``).

        Returns:
            True (a failure raises).

        """
        return self.driver.delete_object(self)


@dataclass(frozen=True)
class Prefix:
    """A common prefix ("directory") met while listing with a delimiter."""

    name: str
    container: Container


@dataclass
class ObjectPage:
    """One page of a listing: objects, common prefixes, and the token of the next page."""

    objects: list[Object] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    next_token: str | None = None
    in_order: bool = False
    """The objects are known to be in name order (else the listing sorts them)."""
    ahead: bool = False
    """The next page may be fetched in the background with ``next_token`` while this one is
    read (:func:`storagekit.pagination.iter_pages`): a service's listing, not a local one that
    the caller may be changing as it reads."""

    def iter_objects(self) -> Iterator[Object]:
        """The page's objects; ``prefixes`` and ``next_token`` are already known.

        Returns:
            An iterator over ``objects``.

        """
        return iter(self.objects)

    def close(self) -> None:
        """Nothing to release: the page is held whole."""


class StreamedPage(Generic[E]):
    """One page of a listing read while it is parsed, so a page of any size takes little memory.

    ``entries`` yields the page's entries (each made into an Object by ``make``) and common
    prefixes (``str``) in the order the service sent them, and returns the next page's token;
    ``close`` releases the page's body once it ends or is abandoned. :meth:`iter_objects` is
    read once; ``prefixes`` and ``next_token`` are complete when it is exhausted. A page
    ``ahead`` carries a guess of ``next_token`` before it is read (found in the answer
    without parsing it), with which :func:`storagekit.pagination.iter_pages` fetches the
    next page while this one is read. Only a page ``in_order`` (the service lists in name
    order) is streamed to the caller as it is parsed; another is held and sorted.
    """

    def __init__(
        self, entries: Generator[E | str, None, str | None], make: Callable[[E], Object], close: Callable[[], None],
        *, in_order: bool = True, next_token: str | None = None, ahead: bool = False,
    ) -> None:
        self._entries = entries
        self._make = make
        self._close = close
        self.in_order = in_order
        self.ahead = ahead
        self.prefixes: list[str] = []
        self.next_token = next_token

    def iter_objects(self) -> Iterator[Object]:
        """Yield the objects as they are parsed, collecting prefixes and the next token on the way."""
        entries, make, prefixes = self._entries, self._make, self.prefixes  # bound once: a page is a thousand entries
        try:
            while True:
                try:
                    entry = next(entries)
                except StopIteration as end:
                    self.next_token = end.value or None
                    return
                if isinstance(entry, str):
                    prefixes.append(entry)
                else:
                    yield make(entry)
        finally:
            self.close()  # a listing abandoned midway gives its body up at once

    def close(self) -> None:
        """Release the page's body (read to its end or not)."""
        self._entries.close()
        self._close()


@dataclass(frozen=True)
class Part:
    """One part of a multipart upload: its number (from 1), offset and bytes."""

    number: int
    offset: int
    data: bytes

    @cached_property
    def md5(self) -> bytes:
        """The data's MD5 digest (16 bytes), computed once."""
        return hashlib.md5(self.data).digest()

    @property
    def md5_base64(self) -> str:
        """The data's MD5 in base64, as ``Content-MD5`` headers carry it."""
        return base64.b64encode(self.md5).decode()

    @cached_property
    def crc32(self) -> int:
        """zlib's CRC-32 of the data (four times cheaper than its MD5)."""
        return zlib.crc32(self.data)

    @cached_property
    def crc32c(self) -> int:
        """The data's CRC32C (in C with google-crc32c: twenty times cheaper than its MD5)."""
        return crc32c(self.data)

    def hexdigest(self, algorithm: str) -> str:
        """The data's digest as ``Object.checksums`` writes it (``md5``, ``crc32``, ``crc32c``).

        Args:
            algorithm: ``md5``, ``crc32``, ``crc32c`` or another name :class:`~storagekit.streams.Checksum` knows.

        Returns:
            The digest in lower-case hex (CRCs as 8 hex digits).

        """
        if algorithm == "md5":
            return self.md5.hex()
        if algorithm in ("crc32", "crc32c"):
            return f"{getattr(self, algorithm):08x}"
        checksum = Checksum([algorithm])
        checksum.update(self.data)
        return checksum.hexdigests()[algorithm]


@dataclass
class MultipartUpload:
    """A multipart upload in progress; ``upload_id`` and ``state`` belong to the driver."""

    container: Container
    object_name: str
    upload_id: str
    state: dict[str, Any] = field(default_factory=dict)


PERMISSION_PURPOSES: dict[str, tuple[str, ...]] = {
    "input": ("list", "read"),
    "lightly": ("list", "read", "write", "overwrite", "delete"),
}
"""The checks each purpose of a location needs (Lightly's datasources), in the order they are tried."""


@dataclass
class PermissionReport:
    """What the credentials may do at a location, and why each failed check failed."""

    can_list: bool = False
    can_read: bool = False
    can_write: bool = False
    can_overwrite: bool = False
    can_delete: bool = False
    errors: dict[str, str] = field(default_factory=dict)
    purpose: str = "lightly"
    """What the location is for: ``"input"`` needs list and read, ``"lightly"`` all five checks."""

    @property
    def checks(self) -> tuple[str, ...]:
        """The checks the purpose needs (``list``, ``read``, ...), in the order they are tried."""
        return PERMISSION_PURPOSES[self.purpose]

    @property
    def ok(self) -> bool:
        """True when every check the purpose needs passed."""
        return all(getattr(self, f"can_{check}") for check in self.checks)
