"""The whole public storage API, written once on top of a few driver primitives.

A driver implements the primitives below (``_iter_containers``, ``_get_container``,
``_create_container``, ``_delete_container``, ``_list_page``, ``_head_object``,
``_open_range``, ``_delete_object``, and either ``_write_object`` for a store that can
take a stream, or ``_put_object`` plus the four ``_multipart_*`` steps for one spoken to
in requests). Everything a user calls (uploads, downloads, streams, ranges, copies,
listings, permission checks) is written here, once, so it behaves the same everywhere.

Usage::

    from storagekit.providers import get_driver
    from storagekit.types import Provider

    driver = get_driver(Provider.LOCAL)("/srv/backups")
    container = driver.create_container("photos")
    obj = driver.upload_object("cat.jpg", container, "2024/cat.jpg", ex_meta={"album": "pets"})
    obj.download("/tmp/cat.jpg", overwrite_existing=True)
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar, overload

from . import connection_options, files, libcloud_options, permissions, transfer
from .models import Container, MultipartUpload, Object, ObjectPage, Part, PermissionReport, Prefix, StreamedPage
from .options import HTTP_PROPERTIES, UploadOptions, with_storage_class
from .pagination import PageTokens, iter_pages
from .pickling import ConstructorOptions, rebuild_driver
from .spans import FileSpan
from .streams import RangeReader, Source
from .types import (
    DestinationExistsError,
    InvalidContainerNameError,
    InvalidObjectNameError,
    InvalidOptionError,
    InvalidRangeError,
    NotSupportedError,
    ObjectDoesNotExistError,
    Provider,
    StorageKitError,
)

CHUNK_SIZE = 8096
"""libcloud's chunk size, kept for compatibility; storagekit's own defaults are larger."""
DEFAULT_CONTENT_TYPE = "application/octet-stream"
STREAM_CHUNK_SIZE = 256 * 1024
"""Chunk size of ``download_object_as_stream`` when the caller gives none."""
CDN_URL_EXPIRY_HOURS = 24.0
"""How long ``get_object_cdn_url`` URLs last when no ``ex_expiry`` is given (libcloud's default)."""

__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_CONTENT_TYPE",
    "Capabilities",
    "Container",
    "MultipartUpload",
    "Object",
    "ObjectPage",
    "Part",
    "PermissionReport",
    "Prefix",
    "StorageDriver",
    "UploadOptions",
]


_Driver = TypeVar("_Driver", bound="StorageDriver")


@dataclass(frozen=True)
class Capabilities:
    """What a driver can do beyond the required primitives; tests and the CLI read these."""

    multipart: bool = False
    multipart_checksums: tuple[str, ...] = ("md5",)
    """Whole-content digests worth computing for a multipart upload (the store keeps or checks them)."""
    server_side_copy: bool = False
    signed_urls: bool = False
    delete_reports_missing: bool = True
    """Deleting a missing object raises ObjectDoesNotExistError (S3 answers 204 instead)."""
    conditional_writes: bool = True


class StorageDriver:
    """Base of every driver: the public API, written once on top of the driver primitives."""

    name: ClassVar[str] = "storage"
    provider: ClassVar[Provider | str]
    website: ClassVar[str] = ""
    capabilities: Capabilities = Capabilities()
    """Per class; an instance may narrow its own (Azure's ``checksum="crc64"`` computes no whole MD5)."""
    part_limits: ClassVar[transfer.PartLimits] = transfer.PartLimits()
    metadata_limit: ClassVar[int | None] = None
    """Most bytes of user metadata (names plus values, UTF-8) the provider stores; None for no limit."""

    transfer_config: transfer.TransferConfig = transfer.TransferConfig()
    _constructor_options: ConstructorOptions

    def __new__(cls: type[_Driver], *args: Any, **kwargs: Any) -> _Driver:
        """Record the constructor's arguments, so that the driver pickles to them (see :mod:`.pickling`)."""
        driver = super().__new__(cls)
        driver._constructor_options = ConstructorOptions(args, kwargs)
        return driver

    if TYPE_CHECKING:  # each driver's own constructor runs; this is the shape type checkers see
        def __init__(
            self, key: str | os.PathLike[str] | None = None, secret: str | None = None, secure: bool = True,
            host: str | None = None, port: int | None = None, **options: Any,
        ) -> None:
            """The constructor every driver has, in libcloud's shape: ``(key, secret, secure, host, port)``
            then the driver's own options by name. Declared for type checkers only, so that a class from
            ``get_driver(...)`` can be called as the README shows.

            Args:
                key: the account, access key or client id (the local driver's root directory).
                secret: the secret that goes with ``key``.
                secure: HTTPS (True) or HTTP, for drivers given a ``host``.
                host: the service's host, for drivers that take one (``endpoint_url`` is the URL form).
                port: the service's port, with ``host``.
                **options: the driver's own options (``region``, ``endpoint_url``, ``timeout``, ...).

            Raises:
                InvalidOptionError: an option the driver does not know, or of the wrong type.
            """

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle to the constructor's arguments; the copy opens its own connections on first use.

        Raises:
            TypeError: the driver was not made by calling its class.
        """
        options = self.__dict__.get("_constructor_options")
        if options is None:
            raise TypeError(f"{type(self).__name__} was not built by its constructor, so it cannot be pickled")
        return rebuild_driver, (self._pickle_factory(), options.args, options.kwargs)

    @classmethod
    def _pickle_factory(cls) -> Callable[..., StorageDriver]:
        """What unpickling calls with the constructor's arguments: the class itself, found by name."""
        return cls

    def __repr__(self) -> str:
        return f"<{type(self).__name__} provider={self.provider}>"

    def _take_transfer_options(self, options: dict[str, Any]) -> None:
        """Pop the transfer settings (``part_size``, ``multipart_threshold``, ``max_concurrency``,
        ``progress``) from a constructor's keyword options into this driver's transfer config,
        and check the types of the connection settings left for :class:`~storagekit.http.Connection`.

        libcloud's keywords that cannot apply here are dropped with a one-time warning
        (:mod:`.libcloud_options`).

        Raises:
            InvalidOptionError: a setting of the wrong type or out of range, named.
        """
        libcloud_options.drop_ignored(options)
        connection_options.check(options, self)
        names = set(transfer.TransferConfig.__dataclass_fields__)
        given = {name: options.pop(name) for name in sorted(names & set(options))}
        if given:
            self.transfer_config = self.transfer_config.merged(**given)

    # ------------------------------------------------------------------ containers

    def iterate_containers(self) -> Iterator[Container]:
        """Yield every container the credentials can see.

        Returns:
            An iterator of :class:`~storagekit.models.Container`, fetched page by page as it is consumed.

        """
        return self._iter_containers()

    def list_containers(self) -> list[Container]:
        """Every container the credentials can see, as a list (:meth:`iterate_containers` collected).

        Returns:
            The containers.

        """
        return list(self.iterate_containers())

    def get_container(self, container_name: str) -> Container:
        """The container of that name, as the service describes it.

        Args:
            container_name: the container's (bucket's) name.

        Returns:
            The :class:`~storagekit.models.Container`.

        Raises:
            ContainerDoesNotExistError: there is no container of that name.
            InvalidContainerNameError: the name is empty or has characters no store accepts.

        """
        self._check_container_name(container_name)
        return self._get_container(container_name)

    def create_container(self, container_name: str) -> Container:
        """Create a container.

        Args:
            container_name: the new container's name (the provider's naming rules apply).

        Returns:
            The new :class:`~storagekit.models.Container`.

        Raises:
            ContainerAlreadyExistsError: the name is taken (by you, or on S3 by anyone).
            InvalidContainerNameError: the provider refuses the name.

        """
        self._check_container_name(container_name)
        return self._create_container(container_name)

    def delete_container(self, container: Container) -> bool:
        """Delete an empty container.

        Args:
            container: the container (or its name).

        Returns:
            True (a failure raises).

        Raises:
            ContainerIsNotEmptyError: it still holds objects.
            ContainerDoesNotExistError: there is no such container.

        """
        self._delete_container(self._as_container(container))
        return True

    # ------------------------------------------------------------------ listing

    def iterate_container_objects(
        self,
        container: Container,
        prefix: str | None = None,
        ex_prefix: str | None = None,
        delimiter: str | None = None,
    ) -> Iterator[Object]:
        """Yield the objects of a container in name order, optionally under a prefix.

        With a ``delimiter``, only the objects directly under the prefix are yielded;
        :meth:`iterate_container_entries` also yields the common prefixes.

        Args:
            container: the container (or its name).
            prefix: only names that start with it.
            ex_prefix: libcloud's older keyword for ``prefix``.
            delimiter: stop names at this string after the prefix (``"/"``: one "directory" level).

        Returns:
            An iterator of :class:`~storagekit.models.Object`, pages fetched as it is consumed.

        Raises:
            ContainerDoesNotExistError: there is no such container (raised as the iteration starts).

        """
        for entry in self.iterate_container_entries(container, prefix or ex_prefix, delimiter):
            if isinstance(entry, Object):
                yield entry

    def iterate_container_entries(
        self, container: Container, prefix: str | None = None, delimiter: str | None = "/"
    ) -> Iterator[Object | Prefix]:
        """Yield objects and common prefixes (like a directory listing) in name order.

        Args:
            container: the container (or its name).
            prefix: only names that start with it (``"photos/"`` lists that "directory").
            delimiter: names are cut after it past the prefix, and each cut name is yielded once as a
                :class:`~storagekit.models.Prefix`; None lists every object under the prefix.

        Returns:
            An iterator of :class:`~storagekit.models.Object` and :class:`~storagekit.models.Prefix`.

        Raises:
            ContainerDoesNotExistError: there is no such container.
            MalformedResponseError: the service repeated a page token (a listing that would never end).

        """
        container = self._as_container(container)
        tokens = PageTokens(f"the objects of {container.name}", self, container_name=container.name)
        for page in iter_pages(lambda token: self._list_page(container, prefix or "", delimiter, token), tokens):
            if delimiter or not page.in_order:  # put into name order (with the prefixes): the page is held
                entries: list[Object | Prefix] = list(page.iter_objects())
                entries.extend(Prefix(name, container) for name in page.prefixes)
                entries.sort(key=lambda entry: entry.name)
                yield from entries
            else:  # streamed as parsed, whatever the page's size
                yield from page.iter_objects()

    def list_container_objects(
        self, container: Container, prefix: str | None = None, ex_prefix: str | None = None,
        delimiter: str | None = None,
    ) -> list[Object]:
        """The objects of a container, as a list (:meth:`iterate_container_objects` collected).

        Args:
            container: the container (or its name).
            prefix: only names that start with it.
            ex_prefix: libcloud's older keyword for ``prefix``.
            delimiter: only the objects directly under the prefix (see :meth:`iterate_container_objects`).

        Returns:
            The objects, in name order.

        """
        return list(self.iterate_container_objects(container, prefix, ex_prefix, delimiter))

    def ex_iterate_container_objects(self, container: Container, prefix: str | None = None) -> Iterator[Object]:
        """libcloud's older spelling of :meth:`iterate_container_objects` with a prefix.

        Args:
            container: the container (or its name).
            prefix: only names that start with it.

        Returns:
            An iterator of :class:`~storagekit.models.Object`.

        """
        return self.iterate_container_objects(container, prefix=prefix)

    # ------------------------------------------------------------------ objects

    def get_object(self, container_name: str, object_name: str) -> Object:
        """The object's properties (size, ETag, checksums, metadata), from one HEAD-like request.

        Args:
            container_name: the container's name.
            object_name: the object's name.

        Returns:
            The :class:`~storagekit.models.Object`.

        Raises:
            ObjectDoesNotExistError: there is no such object (also a FileNotFoundError).
            ContainerDoesNotExistError: there is no such container.
            InvalidObjectNameError: the name is empty, too long or has a NUL byte.

        """
        container = self._as_container(container_name)
        self._check_object_name(object_name)
        return self._head_object(container, object_name)

    def object_exists(self, container: Container | str, object_name: str) -> bool:
        """Whether the object exists; only a not-found answer means False (other errors raise).

        Args:
            container: the container, or its name.
            object_name: the object's name.

        Returns:
            True if it exists.

        """
        try:
            self.get_object(self._as_container(container).name, object_name)
        except ObjectDoesNotExistError:
            return False
        return True

    def delete_object(self, obj: Object) -> bool:
        """Delete an object.

        Args:
            obj: the object (from a listing, :meth:`get_object` or an upload).

        Returns:
            True. A missing object raises ObjectDoesNotExistError where the store says so
            (``capabilities.delete_reports_missing``; S3 answers success instead).

        """
        self._delete_object(obj.container, obj.name)
        return True

    def delete_objects(self, objects: Iterable[Object]) -> list[StorageKitError]:
        """Delete many objects, in batches where the store has a batch request (S3 DeleteObjects).

        Args:
            objects: the objects, of one container or several.

        Returns:
            The errors of those that could not be deleted (an empty list if all were).

        """
        by_container: dict[Container, list[str]] = {}
        for obj in objects:
            by_container.setdefault(obj.container, []).append(obj.name)
        errors: list[StorageKitError] = []
        for container, names in by_container.items():
            errors.extend(self._delete_batch(container, names))
        return errors

    def _delete_batch(self, container: Container, names: list[str]) -> list[StorageKitError]:
        """Delete several objects of one container; the errors of those that failed.

        One request per object here; drivers with a batch request (S3 DeleteObjects) override it.
        """
        errors = []
        for name in names:
            try:
                self._delete_object(container, name)
            except StorageKitError as error:
                errors.append(error)
        return errors

    # ------------------------------------------------------------------ uploads

    def upload_object(
        self,
        file_path: str | os.PathLike[str],
        container: Container,
        object_name: str,
        extra: Mapping[str, Any] | None = None,
        verify_hash: bool = True,
        headers: Mapping[str, str] | None = None,
        ex_meta: Mapping[str, Any] | None = None,
        ex_storage_class: str | None = None,
        **kwargs: Any,
    ) -> Object:
        """Upload a local file; the content type is guessed from the name unless given.

        The upload is verified (size, and the cheapest digest the store reports) and, past
        ``multipart_threshold``, multipart; a failure leaves no object and no multipart upload.

        Args:
            file_path: the file to upload.
            container: the destination container.
            object_name: the object's name.
            extra: object properties: ``content_type``, ``content_encoding``, ``content_disposition``,
                ``content_language``, ``cache_control``, ``meta_data``, ``storage_class``, ``acl``,
                ``if_none_match`` (``"*"``: only if absent), ``if_match`` (an ETag), ... (snake_case or
                libcloud's CamelCase keys); an unknown key is an InvalidOptionError.
            verify_hash: check the stored object's digest against the data sent (default True).
            headers: extra HTTP headers for the upload request.
            ex_meta: user metadata (merged with ``extra["meta_data"]``).
            ex_storage_class: libcloud's keyword for ``extra["storage_class"]``.
            **kwargs: transfer settings for this call (``part_size``, ``multipart_threshold``,
                ``max_concurrency``, ``progress``).

        Returns:
            The stored :class:`~storagekit.models.Object`.

        Raises:
            InvalidObjectNameError: the name is not acceptable.
            InvalidOptionError: an unknown ``extra`` key or transfer setting.
            PreconditionFailedError: an ``if_none_match`` / ``if_match`` condition failed.
            ObjectHashMismatchError: the store holds something else than was sent (the object is deleted).

        """
        self._check_object_name(object_name)
        options = UploadOptions.parse(with_storage_class(extra, ex_storage_class), ex_meta, headers)
        options.content_type = options.content_type or transfer.guess_content_type(object_name, file_path)
        with open(file_path, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            return self._upload(container, object_name, file, size, options, verify_hash, **kwargs)

    def upload_object_via_stream(
        self,
        iterator: Source,
        container: Container,
        object_name: str,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        ex_meta: Mapping[str, Any] | None = None,
        ex_storage_class: str | None = None,
        **kwargs: Any,
    ) -> Object:
        """Upload from an iterator of bytes, a binary file object or bytes, of any length.

        Args:
            iterator: the data: an iterable of ``bytes`` chunks, a binary file object, or ``bytes``.
            container: the destination container.
            object_name: the object's name.
            extra: object properties, as for :meth:`upload_object`.
            headers: extra HTTP headers for the upload request.
            ex_meta: user metadata.
            ex_storage_class: libcloud's keyword for ``extra["storage_class"]``.
            **kwargs: transfer settings for this call (``part_size``, ``multipart_threshold``, ...).

        Returns:
            The stored :class:`~storagekit.models.Object`.

        Raises:
            InvalidObjectNameError: the name is not acceptable.
            InvalidOptionError: an unknown ``extra`` key or transfer setting.
            TypeError: the iterator yields something other than bytes (nothing is stored).

        """
        self._check_object_name(object_name)
        options = UploadOptions.parse(with_storage_class(extra, ex_storage_class), ex_meta, headers)
        options.content_type = options.content_type or transfer.guess_content_type(object_name)
        return self._upload(container, object_name, iterator, None, options, True, **kwargs)

    def _upload(
        self, container: Container, object_name: str, source: Source, size: int | None,
        options: UploadOptions, verify_hash: bool, **kwargs: Any,
    ) -> Object:
        container = self._as_container(container)
        self._check_object_name(object_name)
        self._check_metadata_size(options)
        config = self.transfer_config.merged(**kwargs)
        return transfer.upload(self, container, object_name, source, size, options, config, verify_hash)

    # ------------------------------------------------------------------ downloads

    def download_object(
        self, obj: Object, destination_path: str | os.PathLike[str], overwrite_existing: bool = False,
        delete_on_failure: bool = True, **transfer_options: Any,
    ) -> bool:
        """Download to a file, verified, via a temp file renamed into place at the end.

        Args:
            obj: the object.
            destination_path: the file to write, or a directory (the object's base name is used).
            overwrite_existing: replace an existing file (otherwise DestinationExistsError).
            delete_on_failure: libcloud's flag; a failed download never leaves a partial file anyway.
            **transfer_options: override the driver's :class:`~storagekit.transfer.TransferConfig` for
                this call (``part_size``, ``max_concurrency``, ``progress``, ...).

        Returns:
            True (a failure raises).

        Raises:
            DestinationExistsError: the file exists and ``overwrite_existing`` is False.
            ObjectHashMismatchError: the bytes received do not match the object's digest (no file is left).

        """
        return self.download_object_range(obj, destination_path, 0, None, overwrite_existing, delete_on_failure,
                                          **transfer_options)

    def download_object_range(
        self, obj: Object, destination_path: str | os.PathLike[str], start_bytes: int,
        end_bytes: int | None = None, overwrite_existing: bool = False, delete_on_failure: bool = True,
        **transfer_options: Any,
    ) -> bool:
        """Download bytes ``start_bytes`` to ``end_bytes`` (exclusive) of an object to a file.

        An ``obj`` whose ``size`` is None (built by hand) is looked up first; the bytes received
        are then checked against the size the service announced.

        Args:
            obj: the object.
            destination_path: the file to write, or a directory (the object's base name is used).
            start_bytes: the first byte.
            end_bytes: the byte after the last one; None for the end of the object.
            overwrite_existing: replace an existing file.
            delete_on_failure: libcloud's flag; a failed download never leaves a partial file anyway.
            **transfer_options: transfer settings for this call.

        Returns:
            True (a failure raises).

        Raises:
            InvalidRangeError: (a ValueError) the range is not inside the object, or is empty.
            DestinationExistsError: the file exists and ``overwrite_existing`` is False.

        """
        _check_bounds(self, obj, start_bytes, end_bytes)
        obj = self._sized(obj)
        end = self._check_range(obj, start_bytes, end_bytes)
        destination = os.fspath(destination_path)
        if os.path.isdir(destination):
            destination = os.path.join(destination, os.path.basename(obj.name))
        if os.path.exists(destination) and not overwrite_existing:
            raise DestinationExistsError(
                f"{destination} already exists and overwrite_existing is False",
                self, container_name=obj.container.name, object_name=obj.name,
            )
        chunks = self._read(obj, start_bytes, end, **transfer_options)
        transfer.write_file_atomically(chunks, destination, overwrite_existing, delete_on_failure)
        return True

    def download_object_as_stream(
        self, obj: Object, chunk_size: int | None = None, **transfer_options: Any
    ) -> Iterator[bytes]:
        """Yield the object's bytes in chunks of ``chunk_size``; verified as the stream ends.

        Args:
            obj: the object.
            chunk_size: bytes per chunk (the last may be shorter); default 256 KiB.
            **transfer_options: transfer settings for this call.

        Returns:
            An iterator of ``bytes``; ObjectHashMismatchError is raised from it at the end if the
            content does not match the object's digest.

        """
        return self.download_object_range_as_stream(obj, 0, None, chunk_size, **transfer_options)

    def download_object_range_as_stream(
        self, obj: Object, start_bytes: int, end_bytes: int | None = None, chunk_size: int | None = None,
        **transfer_options: Any,
    ) -> Iterator[bytes]:
        """Yield bytes ``start_bytes`` to ``end_bytes`` (exclusive) in chunks of ``chunk_size``.

        As in libcloud, nothing is checked or sent until the first chunk is asked for: a bad
        range raises InvalidRangeError (a ValueError) from the iteration.

        Args:
            obj: the object.
            start_bytes: the first byte.
            end_bytes: the byte after the last one; None for the end of the object.
            chunk_size: bytes per chunk (the last may be shorter); default 256 KiB.
            **transfer_options: transfer settings for this call.

        Returns:
            An iterator of ``bytes``.

        Raises:
            InvalidRangeError: from the iteration, when the range is not inside the object.

        """
        def stream() -> Iterator[bytes]:
            _check_bounds(self, obj, start_bytes, end_bytes)
            sized = self._sized(obj)
            end = self._check_range(sized, start_bytes, end_bytes)
            config = self.transfer_config.merged(**transfer_options)
            yield from transfer.read_chunks(self, sized, start_bytes, end, config, chunk_size or STREAM_CHUNK_SIZE)

        return stream()

    def _read(self, obj: Object, start: int, end: int, **transfer_options: Any) -> Iterator[memoryview]:
        config = self.transfer_config.merged(**transfer_options)
        return transfer.read_range(self, obj, start, end, config)

    def _sized(self, obj: Object) -> Object:
        """``obj`` itself, or, when its size is unknown (libcloud's ``Object(..., size=None, ...)``
        idiom), the object as the service describes it now: size, ETag and digests, which the
        read is then pinned to and verified against."""
        if obj.size is not None:
            return obj
        return self._head_object(self._as_container(obj.container), obj.name)

    def _check_range(self, obj: Object, start: int, end: int | None) -> int:
        """The exclusive end of a valid range; InvalidRangeError names what is wrong."""
        end = obj.size if end is None else end
        if start < 0 or end > obj.size or end < start:
            raise InvalidRangeError(
                f"range {start}-{end} is outside the object's {obj.size} bytes "
                "(start >= 0, start <= end <= size, end exclusive)",
                self, container_name=obj.container.name, object_name=obj.name,
            )
        return end

    # ------------------------------------------------------------------ file objects

    @overload
    def open(
        self, container: Container | str, object_name: str, mode: Literal["rb"] = "rb", **options: Any
    ) -> files.ObjectReader: ...

    @overload
    def open(
        self, container: Container | str, object_name: str, mode: Literal["wb"], **options: Any
    ) -> files.ObjectWriter: ...

    @overload
    def open(
        self, container: Container | str, object_name: str, mode: Literal["r", "w"], **options: Any
    ) -> io.TextIOWrapper: ...

    @overload
    def open(self, container: Container | str, object_name: str, mode: str, **options: Any) -> files.ObjectFile: ...

    def open(
        self, container: Container | str, object_name: str, mode: str = "rb", **options: Any
    ) -> files.ObjectFile:
        """Open an object as a file: a seekable reader (``"rb"``, ``"r"``) or a writer (``"wb"``, ``"w"``).

        The reader fetches ranges as it is read, with a read-ahead that grows while reads are
        sequential, and verifies a whole in-order read like a download. The writer stores the
        object on ``close()`` through the upload engine (multipart past the threshold) and
        stores nothing if the ``with`` block raises or the file is dropped unclosed.

        Args:
            container: the container, or its name.
            object_name: the object's name.
            mode: ``"rb"`` / ``"wb"`` (binary) or ``"r"`` / ``"w"`` (text, UTF-8 unless ``encoding``).
            **options: ``encoding``, ``errors``, ``newline`` (text modes); ``block_size``,
                ``cache_size`` (reading); ``extra``, ``headers``, ``ex_meta`` (writing); and the
                transfer settings (``part_size``, ``multipart_threshold``, ``max_concurrency``).

        Returns:
            an :class:`~storagekit.files.ObjectReader`, an :class:`~storagekit.files.ObjectWriter`,
            or an :class:`io.TextIOWrapper` over one.

        Raises:
            InvalidOptionError: an unknown mode or option.
            ObjectDoesNotExistError: reading an object that does not exist.
        """
        return files.open_object(self, container, object_name, mode, **options)

    # ------------------------------------------------------------------ copies and URLs

    def copy_object(
        self, obj: Object, destination_container: Container, destination_object_name: str,
        extra: Mapping[str, Any] | None = None, ex_meta: Mapping[str, Any] | None = None,
    ) -> Object:
        """Copy an object, server-side when both ends are this driver and it can; else streamed.

        The copy keeps the source's metadata and HTTP properties (content type, encoding,
        disposition, language, cache control) unless ``extra`` / ``ex_meta`` give new ones;
        ``ex_meta={}`` clears the metadata.

        Args:
            obj: the source object.
            destination_container: the destination container, of this driver or any other.
            destination_object_name: the copy's name.
            extra: object properties for the copy, as for :meth:`upload_object`.
            ex_meta: the copy's user metadata (default: the source's).

        Returns:
            The copy's :class:`~storagekit.models.Object`.

        """
        destination = destination_container.driver._as_container(destination_container)
        self._check_object_name(destination_object_name)
        options = UploadOptions.parse(extra, ex_meta)
        if ex_meta is None and not options.meta_data:
            options.meta_data = dict(obj.meta_data)
        for name in HTTP_PROPERTIES:
            if getattr(options, name) is None and obj.extra.get(name) is not None:
                setattr(options, name, obj.extra[name])
        if destination.driver is self and self.capabilities.server_side_copy:
            self._check_metadata_size(options)
            return self._copy_object(obj, destination, destination_object_name, options)
        return destination.driver._upload(
            destination, destination_object_name, self.download_object_as_stream(obj), None, options, True
        )

    def get_object_url(
        self, obj: Object | Container, expires_in: int = 3600, method: str = "GET", object_name: str | None = None
    ) -> str:
        """A presigned URL that lets anyone holding it GET (or PUT) the object until it expires.

        Args:
            obj: the object; or a container, with ``object_name`` (to sign a PUT of a new object).
            expires_in: seconds the URL stays valid (each provider has a maximum).
            method: ``"GET"`` or ``"PUT"``.
            object_name: the object's name when ``obj`` is a container.

        Returns:
            The URL.

        Raises:
            NotSupportedError: the driver cannot sign URLs (local, memory), or the method is not GET/PUT.
            InvalidOptionError: ``expires_in`` is not a positive number, or past the provider's maximum.
            InvalidObjectNameError: a container was given without ``object_name``.

        """
        if isinstance(obj, Container):
            if not object_name:
                raise InvalidObjectNameError("object_name is required when a container is given", self)
            container, name = obj, object_name
        else:
            container, name = obj.container, obj.name
        method = method.upper()
        if method not in ("GET", "PUT"):
            raise NotSupportedError(f"presigned URLs are for GET or PUT, not {method}", self)
        if (
            not isinstance(expires_in, (int, float)) or isinstance(expires_in, bool)
            or not math.isfinite(expires_in) or expires_in <= 0
        ):
            raise InvalidOptionError(
                f"expires_in must be a positive, finite number of seconds, not {expires_in!r}", self
            )
        self._check_object_name(name)
        return self._sign_url(container, name, method, math.ceil(expires_in))

    def get_container_cdn_url(self, container: Container) -> str:
        """libcloud's container CDN URL: no driver has one.

        Args:
            container: the container.

        Returns:
            Never returns.

        Raises:
            NotSupportedError: always.

        """
        raise NotSupportedError(f"{self.name} has no CDN URLs for containers", self)

    def get_object_cdn_url(self, obj: Object, ex_expiry: float | None = None, ex_method: str = "GET") -> str:
        """libcloud's CDN URL: cloud drivers return a presigned URL, as libcloud does.

        Args:
            obj: the object.
            ex_expiry: hours the URL stays valid (libcloud's unit; default 24, as libcloud's).
            ex_method: ``"GET"`` or ``"PUT"`` (libcloud's S3 also signs ``DELETE``: NotSupportedError here).

        Returns:
            A presigned URL.

        Raises:
            NotSupportedError: the driver cannot sign URLs (local, memory), or ``ex_method`` is DELETE.
            InvalidOptionError: ``ex_expiry`` is not a positive number of hours.

        """
        if not self.capabilities.signed_urls:
            raise NotSupportedError(f"{self.name} has no CDN URLs", self)
        hours = CDN_URL_EXPIRY_HOURS if ex_expiry is None else ex_expiry
        if not isinstance(hours, (int, float)) or isinstance(hours, bool) or not hours > 0:
            raise InvalidOptionError(f"ex_expiry must be a positive number of hours, not {hours!r}", self)
        return self.get_object_url(obj, expires_in=math.ceil(hours * 3600), method=ex_method)

    def enable_container_cdn(self, container: Container, **kwargs: Any) -> bool:
        """libcloud's CDN switch: no driver has a CDN to enable.

        Args:
            container: the container.
            **kwargs: libcloud's provider options, unused.

        Returns:
            Never returns.

        Raises:
            NotSupportedError: always.

        """
        raise NotSupportedError(f"{self.name} has no CDN to enable", self)

    def enable_object_cdn(self, obj: Object, **kwargs: Any) -> bool:
        """libcloud's CDN switch: no driver has a CDN to enable.

        Args:
            obj: the object.
            **kwargs: libcloud's provider options, unused.

        Returns:
            Never returns.

        Raises:
            NotSupportedError: always.

        """
        raise NotSupportedError(f"{self.name} has no CDN to enable", self)

    # ------------------------------------------------------------------ checks

    @property
    def credential_source(self) -> str:
        """Where this driver's credentials come from, never a secret (``storagekit whoami``).

        Stores that need none (local, memory) say so; the HTTP drivers name their source.
        """
        return "no credentials (this store needs none)"

    def check_permissions(self, container: Container | str, prefix: str = "",
                          purpose: str = "lightly") -> PermissionReport:
        """Try what ``purpose`` needs under ``prefix``, and report what was refused.

        Args:
            container: the container, or its name.
            prefix: where to try (the probe object is written and deleted there).
            purpose: ``"input"`` lists and reads, never writes; ``"lightly"`` lists, writes, reads,
                overwrites and deletes a probe object.

        Returns:
            A :class:`~storagekit.models.PermissionReport`: ``ok``, each ability, and the error of each refusal.

        """
        return permissions.check_permissions(self, self._as_container(container), prefix, purpose)

    # ------------------------------------------------------------------ helpers

    def _as_container(self, container: Container | str) -> Container:
        """A Container for a name or a Container (no request is made)."""
        if isinstance(container, Container):
            return container
        self._check_container_name(container)
        return Container(container, {}, self)

    def _check_container_name(self, name: str) -> None:
        """Refuse names no provider accepts; drivers add their own rules."""
        if not isinstance(name, str) or not name or "/" in name or "\x00" in name:
            raise InvalidContainerNameError(f"invalid container name {name!r}", self, container_name=str(name))

    def _check_object_name(self, name: str) -> None:
        """Refuse names no provider accepts (not a string, empty, NUL, not UTF-8, over 1024 bytes);
        drivers add rules."""
        if not isinstance(name, str) or not name:
            raise InvalidObjectNameError(
                f"invalid object name {name!r}: must be a non-empty string, not {type(name).__name__}", self
            )
        try:
            encoded = name.encode("utf-8")
        except UnicodeEncodeError as error:
            raise InvalidObjectNameError(
                f"invalid object name {name[:80]!r}: {error.object[error.start:error.end]!r} at {error.start} "
                "is a lone surrogate, which no UTF-8 name can hold", self,
            ) from None
        if "\x00" in name or len(encoded) > 1024:
            raise InvalidObjectNameError(
                f"invalid object name {name[:80]!r}: contains NUL or is over 1024 bytes", self, object_name=name
            )

    def _check_metadata_size(self, options: UploadOptions) -> None:
        """Refuse user metadata over the provider's limit (:attr:`metadata_limit`) before sending it.

        Raises:
            InvalidOptionError: names and values together take more UTF-8 bytes than the limit.
        """
        limit = self.metadata_limit
        if limit is None:
            return
        size = sum(len(name.encode()) + len(value.encode()) for name, value in options.meta_data.items())
        if size > limit:
            raise InvalidOptionError(
                f"user metadata takes {size} bytes (names and values, UTF-8); {self.name} stores at most {limit}",
                self,
            )

    # ------------------------------------------------------------------ primitives

    def _iter_containers(self) -> Iterator[Container]:
        raise NotImplementedError

    def _get_container(self, name: str) -> Container:
        raise NotImplementedError

    def _create_container(self, name: str) -> Container:
        raise NotImplementedError

    def _delete_container(self, container: Container) -> None:
        raise NotImplementedError

    def _list_page(
        self, container: Container, prefix: str, delimiter: str | None, token: str | None
    ) -> ObjectPage | StreamedPage[Any]:
        """One page of objects (and common prefixes, with a delimiter) in name order: held whole
        (ObjectPage) or parsed as it is read (StreamedPage), so a page of any size takes little memory."""
        raise NotImplementedError

    def _head_object(self, container: Container, name: str) -> Object:
        raise NotImplementedError

    def _open_range(self, obj: Object, start: int, end: int) -> RangeReader:
        """The bytes ``start`` to ``end`` (exclusive), to read with ``readinto`` (a connection
        that breaks raises an error marked ``retryable``; the engine resumes it).

        A driver adds to ``obj.checksums`` (without replacing one already there) the digests of
        the whole object its response proves, so a read of an object known only from a listing
        is still verified; the engine hands it a private copy of the caller's object."""
        raise NotImplementedError

    def _delete_object(self, container: Container, name: str) -> None:
        raise NotImplementedError

    def _write_object(
        self, container: Container, name: str, chunks: Iterator[bytes], options: UploadOptions
    ) -> Object:
        """Store a stream as an object. Stores spoken to in requests keep the default, which
        drives ``_put_object`` and the ``_multipart_*`` steps through :mod:`storagekit.transfer`."""
        raise NotImplementedError

    def _put_object(self, container: Container, name: str, part: Part, options: UploadOptions) -> Object:
        """Store one bounded body in a single request, sending its MD5 where the protocol can."""
        raise NotImplementedError

    def _multipart_start(self, container: Container, name: str, options: UploadOptions) -> MultipartUpload:
        raise NotSupportedError(f"{self.name} has no multipart uploads", self)

    def _multipart_put(self, upload: MultipartUpload, part: Part) -> Any:
        """Upload one part; returns what ``_multipart_complete`` needs of it (an etag, a block id)."""
        raise NotSupportedError(f"{self.name} has no multipart uploads", self)

    def _multipart_put_file(self, upload: MultipartUpload, span: FileSpan, checksums: dict[str, str]) -> Object:
        """Send a whole object from a file span and finish the upload (drivers whose
        ``part_limits.from_file`` is set); ``checksums`` are its digests, for the store to check."""
        raise NotSupportedError(f"{self.name} has no uploads streamed from a file", self)

    def _multipart_complete(
        self, upload: MultipartUpload, parts: list[Any], checksums: dict[str, str]
    ) -> Object:
        """Assemble the parts; ``checksums`` are the whole content's digests, where computed."""
        raise NotSupportedError(f"{self.name} has no multipart uploads", self)

    def _multipart_abort(self, upload: MultipartUpload) -> None:
        raise NotSupportedError(f"{self.name} has no multipart uploads", self)

    def _copy_object(
        self, obj: Object, container: Container, name: str, options: UploadOptions
    ) -> Object:
        raise NotSupportedError(f"{self.name} has no server-side copy", self)

    def _sign_url(self, container: Container, name: str, method: str, expires_in: int) -> str:
        raise NotSupportedError(f"{self.name} cannot make presigned URLs", self)



def _check_bounds(driver: StorageDriver, obj: Object, start: int, end: int | None) -> None:
    """Refuse a range by libcloud's rules, with libcloud's words (its tests match them), before
    anything is asked of the service: non-negative integers, and an explicit end after the start.

    Raises:
        InvalidRangeError: (a ValueError) what is wrong with the bounds.
    """
    fields = {"object_name": obj.name, "container_name": getattr(obj.container, "name", None)}
    if not isinstance(start, int) or isinstance(start, bool) or not (
        end is None or (isinstance(end, int) and not isinstance(end, bool))
    ):
        raise InvalidRangeError(f"start_bytes and end_bytes must be integers, not {start!r} and {end!r}",
                                driver, **fields)
    if start < 0:
        raise InvalidRangeError(f"start_bytes must be greater than 0 or equal to it, not {start}", driver, **fields)
    if end is not None and start > end:
        raise InvalidRangeError(f"start_bytes must be smaller than end_bytes ({start} > {end})", driver, **fields)
    if end is not None and start == end:
        raise InvalidRangeError(
            f"start_bytes and end_bytes can't be the same ({start}): end_bytes is exclusive, so the range "
            "would be empty", driver, **fields,
        )
