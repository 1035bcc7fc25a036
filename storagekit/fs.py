"""An fsspec filesystem over any storagekit store, so pandas, pyarrow, Dask and Ray read and write through it.

URLs name the store by its storagekit scheme after a protocol of our own::

    storagekit://s3/my-bucket/tables/2024.parquet
    storagekit://gs/my-bucket/key      storagekit://az/my-container/blob
    storagekit://local/photos/cat.jpg  storagekit://memory/scratch/key

One protocol reaches every store (s3, gs, gcs, az, azure, swift, obs, local, memory: see
:mod:`storagekit.urls`) without taking the names s3fs, gcsfs and adlfs own. Inside a filesystem
instance, paths are ``container/key`` (as in s3fs); the scheme is one of its options, so fsspec
keeps one instance per store. ``storage_options`` are storagekit's own: the location's
(``provider``, ``profile``, ``local_root``), the driver constructor's (``endpoint_url``,
``key``, ``secret``, ``region``, ``token``, ...), the transfer settings (``part_size``,
``multipart_threshold``, ``max_concurrency``) and ``batch_size`` (files handled at once by
``cat``, ``put``, ``get``, ``copy``, ``rm`` and ``pipe`` with many paths).

:func:`register` puts storagekit in place of s3fs, gcsfs and adlfs for ``s3://``, ``gs://``,
``az://``, ``abfs://``... on explicit request only.

Usage::

    import pandas
    frame = pandas.read_csv("storagekit://s3/my-bucket/rows.csv",
                            storage_options={"endpoint_url": "http://127.0.0.1:8333", "region": "us-east-1"})
"""

from __future__ import annotations

import contextlib
import datetime
import email.utils
import hashlib
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, ClassVar

from fsspec import AbstractFileSystem, register_implementation
from fsspec.caching import caches
from fsspec.callbacks import DEFAULT_CALLBACK, Callback

from . import transfer, urls
from .config import is_secret
from .files import ObjectReader, ObjectWriter
from .models import Object, Prefix
from .types import (
    ContainerAlreadyExistsError,
    ContainerDoesNotExistError,
    ContainerIsNotEmptyError,
    InvalidContainerNameError,
    InvalidObjectNameError,
    InvalidOptionError,
    NotSupportedError,
    ObjectDoesNotExistError,
    PreconditionFailedError,
    Provider,
    StorageKitError,
)

if TYPE_CHECKING:
    from .base import StorageDriver

__all__ = ["PROTOCOL", "REPLACED_PROTOCOLS", "StorageKitFileSystem", "register", "registered"]

PROTOCOL = "storagekit"
REPLACED_PROTOCOLS = {
    "s3": "s3", "s3a": "s3", "gs": "gs", "gcs": "gs", "az": "az", "abfs": "az", "abfss": "az",
}
"""The protocols :func:`register` takes over from s3fs, gcsfs and adlfs, and the storagekit scheme of each."""

_FSSPEC_OPTIONS = frozenset({"use_listings_cache", "listings_expiry_time", "max_paths"})
"""fsspec's own options (its listings cache); every other option is storagekit's."""
_LOCATION_OPTIONS = frozenset({"provider", "profile", "local_root"})
_TRANSFER_OPTIONS = frozenset({"part_size", "multipart_threshold", "max_concurrency"})
_PREFETCH_LISTING = 16
"""``cat`` of at least this many uncached files of one directory lists it once instead of one HEAD each."""

_classes: dict[str, type[StorageKitFileSystem]] = {}
_registered: dict[str, str] = {}


class StorageKitFileSystem(AbstractFileSystem):  # type: ignore[misc]  # fsspec ships no type information
    """An fsspec filesystem over one storagekit store: containers at the root, objects below.

    Args:
        scheme: the storagekit URL scheme of the store (``s3``, ``gs``, ``az``, ``swift``, ``obs``,
            ``local``, ``memory``...); taken from a ``storagekit://<scheme>/...`` URL by fsspec.
        batch_size: files handled at once by ``cat``, ``put``, ``get``, ``copy``, ``rm`` and
            ``pipe`` with many paths (default 16, the drivers' connection pool size).
        **storage_options: ``provider``, ``profile``, ``local_root`` (as for
            :func:`storagekit.urls.open_url`), the driver's constructor options (``endpoint_url``,
            ``key``, ``secret``, ``region``, ...), the transfer settings (``part_size``,
            ``multipart_threshold``, ``max_concurrency``), and fsspec's ``use_listings_cache``,
            ``listings_expiry_time`` and ``max_paths``.

    Raises:
        InvalidOptionError: no or an unknown scheme, a bad transfer setting, an option the local
            or memory store does not take; the driver's constructor names any other unknown option
            when the filesystem first talks to the store.

    Example::

        fs = StorageKitFileSystem(scheme="memory")
        fs.mkdir("scratch")
        fs.pipe_file("scratch/hello.txt", b"hello")
        assert fs.cat_file("scratch/hello.txt", start=1, end=3) == b"el"
    """

    protocol: ClassVar[str | tuple[str, ...]] = PROTOCOL
    root_marker = ""
    bound_scheme: ClassVar[str | None] = None
    """The scheme of a class :func:`register` made for one protocol (``s3://`` URLs carry none)."""

    def __init__(self, *args: Any, scheme: str | None = None, batch_size: int = 16, **storage_options: Any) -> None:
        super().__init__(*args, **storage_options)
        scheme = scheme or self.bound_scheme
        if not isinstance(scheme, str) or scheme.lower() not in urls.SCHEMES:
            raise InvalidOptionError(
                f"a storagekit filesystem needs the scheme of its store (scheme=, or a storagekit://<scheme>/ URL), "
                f"one of {', '.join(urls.SCHEMES)}; got {scheme!r}"
            )
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise InvalidOptionError(f"batch_size must be a positive integer, not {batch_size!r}")
        self.scheme = scheme.lower()
        self.batch_size = batch_size
        options = {name: value for name, value in storage_options.items() if name not in _FSSPEC_OPTIONS}
        self._transfer = {name: options.pop(name) for name in sorted(_TRANSFER_OPTIONS & set(options))}
        transfer.TransferConfig().merged(**self._transfer)  # a bad value fails here, named
        self._location = {name: options.pop(name) for name in sorted(_LOCATION_OPTIONS & set(options))}
        kind = urls.SCHEMES[self.scheme]
        allowed = {"local_root"} if kind is Provider.LOCAL else set() if kind is Provider.MEMORY else None
        if allowed is not None:
            unknown = sorted((set(options) | set(self._location)) - allowed)
            if unknown:
                raise InvalidOptionError(
                    f"unknown option(s) for {self.scheme}:// stores: {', '.join(unknown)} "
                    f"(known: {', '.join(sorted(allowed | _TRANSFER_OPTIONS | _FSSPEC_OPTIONS | {'batch_size'}))})"
                )
        self._driver_options = options
        self._driver: StorageDriver | None = None
        self._driver_lock = threading.Lock()
        self._large = threading.Semaphore(1)
        self._deferred = threading.local()

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={'***' if is_secret(name) else value!r}" for name, value in sorted(self.storage_options.items())
            if name != "scheme"
        )
        return f"<{type(self).__name__} {self.unstrip_protocol('')}{' ' + shown if shown else ''}>"

    __str__ = __repr__

    def to_dict(self, *, include_password: bool = True) -> dict[str, Any]:
        """fsspec's JSON-able description; without ``include_password``, every credential option is dropped.

        Args:
            include_password: keep the credentials (needed to rebuild the filesystem from the dict).

        Returns:
            the dict fsspec's ``from_dict`` reads.
        """
        description: dict[str, Any] = super().to_dict(include_password=include_password)
        if not include_password:
            for name in [name for name in description if is_secret(name)]:
                del description[name]
        return description

    # ------------------------------------------------------------------ the store

    @property
    def driver(self) -> StorageDriver:
        """The storagekit driver of this store, built on first use (building it may read credentials).

        Raises:
            InvalidOptionError: an option the driver's constructor does not take, named.
        """
        if self._driver is None:
            with self._driver_lock:
                if self._driver is None:
                    self._driver = urls.open_url(
                        f"{self.scheme}://", container_optional=True, **self._location, **self._driver_options
                    ).driver
        return self._driver

    # ------------------------------------------------------------------ paths

    @classmethod
    def _strip_protocol(cls, path: Any) -> Any:
        """``container/key`` from a URL (``storagekit://<scheme>/container/key`` or a replaced protocol's URL).

        An Azure ``abfs://container@account.dfs.core.windows.net/key`` URL keeps the container only.
        """
        if isinstance(path, list):
            return [cls._strip_protocol(item) for item in path]
        from fsspec.utils import stringify_path

        text: str = stringify_path(path)
        if text.startswith(f"{PROTOCOL}://"):
            text = text[len(PROTOCOL) + 3 :].partition("/")[2]
        else:
            protocols = (cls.protocol,) if isinstance(cls.protocol, str) else cls.protocol
            for protocol in protocols:
                if protocol != PROTOCOL and text.startswith(f"{protocol}://"):
                    text = text[len(protocol) + 3 :]
                    container, slash, key = text.partition("/")
                    text = container.partition("@")[0] + slash + key
                    break
        return text.strip("/")

    @staticmethod
    def _get_kwargs_from_urls(path: str) -> dict[str, Any]:
        """The scheme of a ``storagekit://<scheme>/...`` URL, so that each store gets its own instance."""
        if isinstance(path, str) and path.startswith(f"{PROTOCOL}://"):
            scheme = path[len(PROTOCOL) + 3 :].partition("/")[0]
            if scheme:
                return {"scheme": scheme}
        return {}

    def unstrip_protocol(self, name: str) -> str:
        """The full URL of a ``container/key`` path (``storagekit://s3/container/key``, or ``s3://...``
        for a registered protocol)."""
        if "://" in name:
            return name
        if self.bound_scheme is not None:
            protocols = (self.protocol,) if isinstance(self.protocol, str) else self.protocol
            return f"{protocols[0]}://{name}"
        return f"{PROTOCOL}://{self.scheme}/{name}"

    def _split(self, path: str) -> tuple[str, str]:
        container, _, key = self._strip_protocol(path).partition("/")
        return container, key

    # ------------------------------------------------------------------ listing

    def ls(self, path: str, detail: bool = True, refresh: bool = False, **kwargs: Any) -> list[Any]:
        """The entries directly under ``path`` (a delimiter listing; the containers at the root).

        A listing is cached until a write through this filesystem touches it (or ``refresh=True``).
        A file's path lists as that file alone.

        Raises:
            FileNotFoundError: nothing is at ``path``.
        """
        path = self._strip_protocol(path)
        entries = None if refresh else self._cached_listing(path)
        if entries is None:
            entries = self._list(path)
            self.dircache[path] = entries
        return [_public(entry) for entry in entries] if detail else [entry["name"] for entry in entries]

    def _cached_listing(self, path: str) -> list[dict[str, Any]] | None:
        try:
            cached: list[dict[str, Any]] = self.dircache[path]
        except KeyError:
            return None
        return cached

    def _list(self, path: str) -> list[dict[str, Any]]:
        container, key = self._split(path)
        if not container:
            return [_directory(item.name) for item in self.driver.iterate_containers()]
        prefix = f"{key}/" if key else ""
        with _not_found(path):
            entries = [
                _info(container, entry) for entry in self.driver.iterate_container_entries(
                    self.driver._as_container(container), prefix, "/")
                if entry.name != prefix
            ]
            if entries:
                return entries
            if not key:
                self.driver.get_container(container)
                return []
            return [self._head(container, key, path)]

    def info(self, path: str, refresh: bool = False, **kwargs: Any) -> dict[str, Any]:
        """What is at ``path``: a file (HEAD), a directory (a prefix with objects, or a container).

        Raises:
            FileNotFoundError: nothing is there.
        """
        path = self._strip_protocol(path)
        container, key = self._split(path)
        if not container:
            return _directory("")
        cached = None if refresh else self._from_cache(path)
        if cached is not None:
            return _public(cached)
        with _not_found(path):
            if not key:
                self.driver.get_container(container)
                return _directory(container)
            try:
                return _public(self._head(container, key, path))
            except FileNotFoundError:
                # a directory is a prefix with an object below it: asked of a flat listing, since some
                # servers (SeaweedFS) keep reporting the common prefix of objects deleted since
                below = self.driver.iterate_container_objects(self.driver._as_container(container), f"{key}/")
                if next(below, None) is None:
                    raise
                return _directory(path)

    def _head(self, container: str, key: str, path: str) -> dict[str, Any]:
        with _not_found(path):
            return _info(container, self.driver.get_object(container, key))

    def exists(self, path: str, **kwargs: Any) -> bool:
        """True if a file or directory is at ``path``; only a not-found answer means False
        (fsspec's default would also hide a permission or connection error)."""
        try:
            self.info(path, **kwargs)
        except (FileNotFoundError, InvalidContainerNameError, InvalidObjectNameError):
            return False  # a name the store refuses names nothing there
        return True

    def find(
        self, path: str, maxdepth: int | None = None, withdirs: bool = False, detail: bool = False, **kwargs: Any
    ) -> Any:
        """Every file below ``path``, from one flat listing of its prefix (no request per directory).

        With ``withdirs``, the directories the names imply are included; ``maxdepth`` walks level by
        level instead. The listing fills the listings cache, so ``info`` and ``cat`` of what was found
        need no request of their own.
        """
        path = self._strip_protocol(path)
        container, key = self._split(path)
        if maxdepth is not None or not container:
            return super().find(path, maxdepth=maxdepth, withdirs=withdirs, detail=detail, **kwargs)
        prefix = f"{key}/" if key else ""
        levels: dict[str, dict[str, dict[str, Any]]] = {path: {}}
        with _not_found(path):
            for obj in self.driver.iterate_container_objects(self.driver._as_container(container), prefix):
                self._place(levels, path, _info(container, obj))
            if not key and not levels[path]:
                self.driver.get_container(container)
        found: dict[str, dict[str, Any]] = {}
        for directory, entries in levels.items():
            if entries or not key:  # an empty listing of a prefix says nothing is there: not cached as a directory
                self.dircache[directory] = list(entries.values())
            found.update((name, entry) for name, entry in entries.items()
                         if withdirs or entry["type"] == "file")
        if found and withdirs:
            found[path] = _directory(path)
        if not found and key:
            with contextlib.suppress(FileNotFoundError):
                found[path] = self._head(container, key, path)
        names = sorted(found)
        return {name: _public(found[name]) for name in names} if detail else names

    @staticmethod
    def _place(levels: dict[str, dict[str, dict[str, Any]]], root: str, entry: dict[str, Any]) -> None:
        """File ``entry`` under its directory in ``levels``, and each directory between it and ``root``
        under its own parent (a name ending in ``/`` is a directory marker: a directory only)."""
        name = entry["name"]
        if name.endswith("/"):
            name = name.rstrip("/")
            entry = _directory(name)
        while name != root and "/" in name:
            parent = name.rsplit("/", 1)[0]
            known = parent in levels
            levels.setdefault(parent, {})[name] = entry if entry["name"] == name else _directory(name)
            if known:
                return
            name = parent

    def invalidate_cache(self, path: str | None = None) -> None:
        """Forget cached listings: all of them, or those of ``path`` and its parents."""
        if path is None:
            self.dircache.clear()
        else:
            path = self._strip_protocol(path)
            while path:
                self.dircache.pop(path, None)
                path = self._parent(path)
            self.dircache.pop("", None)
        super().invalidate_cache(path)

    # ------------------------------------------------------------------ reading

    def _object(self, path: str, refresh: bool = False) -> Object:
        """The object at ``path``: from the listings cache when it is there, else from a HEAD."""
        container, key = self._split(path)
        if not key:
            raise IsADirectoryError(f"{self.unstrip_protocol(path)} is a container, not a file")
        entry = None if refresh else self._cached_file(path)
        if entry is None:
            entry = self._head(container, key, path)
        if entry["type"] != "file":
            raise IsADirectoryError(f"{self.unstrip_protocol(path)} is a directory, not a file")
        return entry["object"]  # type: ignore[no-any-return]

    def _cached_file(self, path: str) -> dict[str, Any] | None:
        with contextlib.suppress(FileNotFoundError):
            cached = self._from_cache(self._strip_protocol(path))
            if cached is not None and "object" in cached:
                return cached
        return None

    def _from_cache(self, path: str) -> dict[str, Any] | None:
        """The entry of ``path`` the listings cache knows, or None if it knows nothing of it.

        Raises:
            FileNotFoundError: its directory's listing is cached and does not hold it.
        """
        listing = self._cached_listing(self._parent(path)) if path else None
        if listing is not None:
            for entry in listing:
                if entry["name"] == path:
                    return entry
            raise FileNotFoundError(2, "no such file or directory (as last listed)", path)
        own = self._cached_listing(path)
        if own is not None and len(own) == 1 and own[0]["name"] == path:  # a file's ls
            return own[0]
        return _directory(path) if own else None

    def cat_file(self, path: str, start: int | None = None, end: int | None = None, **kwargs: Any) -> bytes:
        """The bytes of a file, or of ``start``..``end`` (as a slice: negative counts from the end),
        in one verified ranged read (a whole file is checked against its digest).

        Raises:
            FileNotFoundError: no file at ``path``.
        """
        path = self._strip_protocol(path)
        obj = self._object(path)
        try:
            return self._read(obj, start, end, path)
        except StorageKitError:
            if self._cached_file(path) is None:
                raise
            # the listing it was known from may be stale: once more, as the store describes it now
            self.invalidate_cache(path)
            return self._read(self._object(path, refresh=True), start, end, path)

    def _read(self, obj: Object, start: int | None, end: int | None, path: str) -> bytes:
        first, last = _bounds(obj.size, start, end)
        buffer = bytearray(last - first)
        if not buffer:
            return b""
        config = self.driver.transfer_config.merged(**self._transfer)
        filled = 0
        with _not_found(path):
            for block in transfer.read_range(self.driver, obj, first, last, config):
                buffer[filled : filled + len(block)] = block
                filled += len(block)
        return bytes(buffer)

    def cat(self, path: Any, recursive: bool = False, on_error: str = "raise", batch_size: int | None = None,
            **kwargs: Any) -> Any:
        """The bytes of many files, fetched ``batch_size`` at a time.

        Files known from a listing need no HEAD; at least 16 uncached files of one directory list it
        once instead. ``on_error``: ``"raise"`` the first error, ``"omit"`` failed paths, or
        ``"return"`` the exception in place of the bytes.
        """
        paths = self.expand_path(path, recursive=recursive)
        if recursive:  # the expansion names the directories too: only files have bytes
            paths = [name for name in paths if self._type_of(name) == "file"]
        if not (len(paths) > 1 or isinstance(path, list) or paths[0] != self._strip_protocol(path)):
            return self.cat_file(paths[0], **kwargs)
        self._prefetch_listings(paths)
        results = self._map(lambda item: self.cat_file(item, **kwargs), paths, batch_size)
        out: dict[str, Any] = {}
        for name, result in zip(paths, results, strict=True):
            if isinstance(result, BaseException):
                if on_error == "raise":
                    raise result
                if on_error == "omit":
                    continue
            out[name] = result
        return out

    def _prefetch_listings(self, paths: Sequence[str]) -> None:
        """List once each directory holding many of ``paths`` that the cache does not know."""
        wanted: dict[str, int] = {}
        for name in paths:
            if self._cached_file(name) is None:
                parent = self._parent(name)
                wanted[parent] = wanted.get(parent, 0) + 1
        for parent, count in wanted.items():
            if count >= _PREFETCH_LISTING and parent:
                with contextlib.suppress(FileNotFoundError):
                    self.ls(parent, refresh=True)

    def cat_ranges(self, paths: list[str], starts: Any, ends: Any, max_gap: int | None = None,
                   on_error: str = "return", **kwargs: Any) -> list[Any]:
        """Byte ranges of files (one ranged read each, ``batch_size`` at a time)."""
        if max_gap is not None:
            raise NotImplementedError("max_gap: each range is read on its own")
        if not isinstance(paths, list):
            raise TypeError(f"paths must be a list, not {type(paths).__name__}")
        starts = starts if isinstance(starts, list) else [starts] * len(paths)
        ends = ends if isinstance(ends, list) else [ends] * len(paths)
        if len(starts) != len(paths) or len(ends) != len(paths):
            raise ValueError("paths, starts and ends must have the same length")
        ranges = list(zip(paths, starts, ends, strict=True))
        results = self._map(lambda item: self.cat_file(*item), ranges)
        for result in results:
            if isinstance(result, BaseException) and on_error != "return":
                raise result
        return results

    def _open(
        self, path: str, mode: str = "rb", block_size: int | None = None, autocommit: bool = True,
        cache_options: dict[str, Any] | None = None, **kwargs: Any,
    ) -> ObjectReader | ObjectWriter:
        """storagekit's file objects: a seekable reader (``rb``) or a writer that stores on close
        (``wb``; ``xb`` create-only; ``ab`` rewrites the object with the new bytes at its end).

        ``block_size`` is the reader's first read-ahead (it doubles while reads are sequential) and
        the writer's part size (grown to the store's minimum);
        ``cache_options={"cache_size": n}`` bounds its block cache; fsspec's ``cache_type`` is
        accepted for every type fsspec has (the reader's own cache serves them).
        """
        if not autocommit:
            raise NotImplementedError("storagekit files commit on close: fsspec transactions are not supported")
        path = self._strip_protocol(path)
        cache_type = kwargs.pop("cache_type", None)
        if cache_type is not None and cache_type not in caches:  # the reader's own cache serves them all
            known = ", ".join(sorted(name for name in caches if name))
            raise InvalidOptionError(f"unknown cache_type {cache_type!r} (known: {known})")
        if mode == "rb":
            reader_options = {"block_size": block_size} if block_size else {}
            cache_size = (cache_options or {}).get("cache_size")
            return ObjectReader(self.driver, self._object(path), cache_size=cache_size, **reader_options,
                                **self._transfer, **kwargs)
        if mode not in ("wb", "xb", "ab"):
            raise InvalidOptionError(f"mode must be rb, wb, xb or ab (or a text mode), not {mode!r}")
        container, key = self._split(path)
        if not key:
            raise IsADirectoryError(f"{self.unstrip_protocol(path)} is a container, not a file")
        extra = dict(kwargs.pop("extra", None) or {})
        previous: Object | None = None
        if mode == "xb":
            if self.exists(path):
                raise FileExistsError(f"{self.unstrip_protocol(path)} already exists")
            extra["if_none_match"] = "*"
        elif mode == "ab":
            with contextlib.suppress(FileNotFoundError):
                previous = self._object(path, refresh=True)
        settings = {**self._transfer, **({"part_size": block_size} if block_size else {}), **kwargs}
        with _not_found(path):
            writer = _Writer(self, path, self.driver, self.driver._as_container(container), key, extra=extra,
                             **settings)
        if previous is not None:
            try:
                for chunk in self.driver.download_object_as_stream(previous, **self._transfer):
                    writer.write(chunk)
            except BaseException:
                writer.abort()
                raise
        return writer

    def modified(self, path: str) -> datetime.datetime:
        """When the file was last written (timezone-aware UTC).

        Raises:
            FileNotFoundError: no file at ``path``.
            IsADirectoryError: ``path`` is a directory (directories have no time of their own).
        """
        info = self.info(path)
        if info["type"] != "file" or info.get("mtime") is None:
            raise IsADirectoryError(f"{self.unstrip_protocol(path)} is a directory: it has no modification time")
        return info["mtime"]  # type: ignore[no-any-return]

    def checksum(self, path: str) -> int:
        """An integer that changes when the file's content does (from its ETag or digest)."""
        return int(hashlib.sha256(self.ukey(path).encode()).hexdigest()[:32], 16)

    def ukey(self, path: str) -> str:
        """The file's ETag (or digest), which changes when its content does."""
        info = self.info(path)
        key = info.get("etag") or info.get("md5")
        return str(key) if key else hashlib.sha256(repr(sorted(info.items())).encode()).hexdigest()

    def sizes(self, paths: list[str]) -> list[int | None]:
        """The sizes of many files, looked up ``batch_size`` at a time."""
        results = self._map(self.size, list(paths))
        self._raise_first(results)
        return results

    def sign(self, path: str, expiration: int = 100, **kwargs: Any) -> str:
        """A presigned URL for the file: anyone holding it may GET (or, with ``method="PUT"``, write)
        it for ``expiration`` seconds.

        Raises:
            NotImplementedError: the store cannot sign URLs (local, memory).
        """
        container, key = self._split(path)
        try:
            url: str = self.driver.get_object_url(self.driver._as_container(container), expires_in=expiration,
                                                  object_name=key, method=kwargs.pop("method", "GET"))
        except NotSupportedError as error:
            raise NotImplementedError(f"{self.scheme}:// stores cannot make presigned URLs: {error}") from error
        return url

    # ------------------------------------------------------------------ writing

    def pipe_file(self, path: str, value: bytes, mode: str = "overwrite", **kwargs: Any) -> None:
        """Store ``value`` as the file (``mode="create"``: only if it does not exist yet, atomically
        where the store has conditional writes).

        Raises:
            FileExistsError: ``mode="create"`` and the file exists.
        """
        path = self._strip_protocol(path)
        container, key = self._split(path)
        extra = self._create_only(mode, kwargs)
        with _not_found(path), _exists(mode, self.unstrip_protocol(path)):
            self.driver.upload_object_via_stream(bytes(value), self.driver._as_container(container), key,
                                                 extra=extra, **self._transfer, **kwargs)
        self.invalidate_cache(path)

    def pipe(self, path: Any, value: bytes | None = None, batch_size: int | None = None, **kwargs: Any) -> None:
        """Store one value, or a ``{path: bytes}`` mapping ``batch_size`` files at a time."""
        if not isinstance(path, dict):
            super().pipe(path, value, **kwargs)
            return
        self._raise_first(self._map(lambda item: self.pipe_file(item[0], item[1], **kwargs), list(path.items()),
                                    batch_size))

    @staticmethod
    def _create_only(mode: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        extra = dict(kwargs.pop("extra", None) or {})
        if mode not in ("overwrite", "create"):
            raise InvalidOptionError(f"mode must be 'overwrite' or 'create', not {mode!r}")
        if mode == "create":
            extra["if_none_match"] = "*"
        return extra

    def put_file(self, lpath: str, rpath: str, callback: Callback = DEFAULT_CALLBACK, mode: str = "overwrite",
                 **kwargs: Any) -> None:
        """Upload a local file through the transfer engine (parallel parts past the threshold, verified).

        Raises:
            FileExistsError: ``mode="create"`` and the file exists.
        """
        if os.path.isdir(lpath):
            return  # directories are implied by the names below them
        self._defer(self._put_file, lpath, rpath, callback, mode, **kwargs)

    def _put_file(self, lpath: str, rpath: str, callback: Callback, mode: str, **kwargs: Any) -> None:
        path = self._strip_protocol(rpath)
        container, key = self._split(path)
        extra = self._create_only(mode, kwargs)
        size = os.path.getsize(lpath)
        callback.set_size(size)
        with self._one_large(size), _not_found(path), _exists(mode, self.unstrip_protocol(path)):
            self.driver.upload_object(lpath, self.driver._as_container(container), key, extra=extra,
                                      **self._transfer, progress=_progress(callback), **kwargs)
        self.invalidate_cache(path)

    def get_file(self, rpath: str, lpath: Any, callback: Callback = DEFAULT_CALLBACK, outfile: Any = None,
                 **kwargs: Any) -> None:
        """Download a file through the transfer engine: parallel ranges, verified, written to a temp
        file renamed into place (or streamed into ``outfile``); a directory becomes a local directory."""
        self._defer(self._get_file, rpath, lpath, callback, outfile, **kwargs)

    def _get_file(self, rpath: str, lpath: Any, callback: Callback, outfile: Any, **kwargs: Any) -> None:
        path = self._strip_protocol(rpath)
        if outfile is None and not isinstance(lpath, (str, os.PathLike)):
            outfile = lpath
        try:
            obj = self._object(path)
        except (FileNotFoundError, IsADirectoryError):
            if outfile is None and self.isdir(path):
                os.makedirs(lpath, exist_ok=True)
                return
            raise
        callback.set_size(obj.size)
        options = {**self._transfer, "progress": _progress(callback), **kwargs}
        with self._one_large(obj.size), _not_found(path):
            if outfile is not None:
                for chunk in self.driver.download_object_as_stream(obj, **options):
                    outfile.write(chunk)
                return
            os.makedirs(os.path.dirname(os.path.abspath(lpath)), exist_ok=True)
            self.driver.download_object(obj, lpath, overwrite_existing=True, **options)

    def cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        """Copy a file: server-side where the store can (S3, Azure, GCS, Swift), streamed otherwise.
        A directory is implied by its files, so copying one alone does nothing."""
        self._defer(self._cp_file, path1, path2, **kwargs)

    def _cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        source = self._strip_protocol(path1)
        try:
            obj = self._object(source)
        except (FileNotFoundError, IsADirectoryError):
            if self.isdir(source):
                return
            raise
        container, key = self._split(path2)
        with _not_found(source):
            self.driver.copy_object(obj, self.driver._as_container(container), key, **kwargs)
        self.invalidate_cache(path2)

    def put(self, lpath: Any, rpath: Any, recursive: bool = False, callback: Callback = DEFAULT_CALLBACK,
            maxdepth: int | None = None, batch_size: int | None = None, **kwargs: Any) -> None:
        """Upload files, ``batch_size`` at a time (see fsspec's ``put`` for how paths are matched)."""
        with self._batched(batch_size):
            super().put(lpath, rpath, recursive=recursive, callback=callback, maxdepth=maxdepth, **kwargs)

    def get(self, rpath: Any, lpath: Any, recursive: bool = False, callback: Callback = DEFAULT_CALLBACK,
            maxdepth: int | None = None, batch_size: int | None = None, **kwargs: Any) -> None:
        """Download files, ``batch_size`` at a time (see fsspec's ``get`` for how paths are matched)."""
        with self._batched(batch_size):
            super().get(rpath, lpath, recursive=recursive, callback=callback, maxdepth=maxdepth, **kwargs)

    def copy(self, path1: Any, path2: Any, recursive: bool = False, maxdepth: int | None = None,
             on_error: str | None = None, batch_size: int | None = None, **kwargs: Any) -> None:
        """Copy files, ``batch_size`` at a time (see fsspec's ``copy`` for how paths are matched)."""
        ignore_missing = (on_error or ("ignore" if recursive else "raise")) == "ignore"
        with self._batched(batch_size, ignore_missing=ignore_missing):
            super().copy(path1, path2, recursive=recursive, maxdepth=maxdepth, on_error=on_error, **kwargs)

    # ------------------------------------------------------------------ deleting

    def rm_file(self, path: str) -> None:
        """Delete one file.

        Raises:
            FileNotFoundError: no file at ``path`` (on stores that report it; S3 does not).
        """
        path = self._strip_protocol(path)
        container, key = self._split(path)
        with _not_found(path):
            self.driver.delete_object(_named(self.driver, container, key))
        self.invalidate_cache(path)

    def _rm(self, path: str) -> None:
        self.rm_file(path)

    def rm(self, path: Any, recursive: bool = False, maxdepth: int | None = None,
           batch_size: int | None = None) -> None:
        """Delete files, and with ``recursive`` everything below directories: batch deletes where the
        store has them (S3 DeleteObjects, Swift bulk delete), ``batch_size`` requests at a time
        otherwise. A container named whole with ``recursive`` is deleted too.

        Raises:
            FileNotFoundError: nothing matches ``path``.
        """
        paths = self.expand_path(path, recursive=recursive, maxdepth=maxdepth)
        containers = [name for name in paths if not self._split(name)[1]]
        inside = [name for name in paths if self._split(name)[1]]
        by_container: dict[str, list[str]] = {}
        for name, kind in zip(inside, self._map(self._type_of, inside, batch_size), strict=True):
            if isinstance(kind, BaseException):
                raise kind
            if kind == "file":
                container, key = self._split(name)
                by_container.setdefault(container, []).append(key)
        chunks = [(container, keys[index : index + 1000])
                  for container, keys in by_container.items() for index in range(0, len(keys), 1000)]
        self._raise_first(self._map(lambda chunk: self._delete_keys(*chunk), chunks, batch_size))
        for name in paths:
            self.invalidate_cache(name)
        if recursive:
            for container in containers:
                self.rmdir(container)

    def _type_of(self, path: str) -> str:
        """``file`` or ``directory``, from the cache the expansion filled (else from the store)."""
        try:
            return str(self.info(path)["type"])
        except FileNotFoundError:
            return "missing"

    def _delete_keys(self, container: str, keys: list[str]) -> None:
        objects = [_named(self.driver, container, key) for key in keys]
        for error in self.driver.delete_objects(objects):
            if not isinstance(error, ObjectDoesNotExistError):  # gone already: what rm wants
                raise error

    # ------------------------------------------------------------------ containers

    def mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        """Create a container; a directory inside one is implied by its files, so this does nothing for it.

        Raises:
            FileExistsError: the container exists.
            FileNotFoundError: a nested path in a missing container, without ``create_parents``.
        """
        path = self._strip_protocol(path)
        container, key = self._split(path)
        if key and self.exists(container):  # no create request, which needs a permission writers may lack
            return
        if key and not create_parents:
            raise FileNotFoundError(f"{self.unstrip_protocol(container)} does not exist")
        try:
            self.driver.create_container(container)
        except ContainerAlreadyExistsError as error:
            if not key:
                raise FileExistsError(f"{self.unstrip_protocol(container)} already exists") from error
        self.invalidate_cache(container)

    def makedirs(self, path: str, exist_ok: bool = False) -> None:
        """Create the container of ``path`` if it is missing (directories inside are implied)."""
        try:
            self.mkdir(path, create_parents=True)
        except FileExistsError:
            if not exist_ok:
                raise

    def rmdir(self, path: str) -> None:
        """Delete an empty container; a directory inside one is implied by its files, so this does nothing.

        Raises:
            FileNotFoundError: the container does not exist.
            OSError: the container is not empty.
        """
        path = self._strip_protocol(path)
        container, key = self._split(path)
        if key:
            return
        with _not_found(path):
            try:
                self.driver.delete_container(self.driver._as_container(container))
            except ContainerIsNotEmptyError as error:
                raise OSError(f"{self.unstrip_protocol(container)} is not empty") from error
        self.invalidate_cache(container)
        self.dircache.pop(container, None)

    # ------------------------------------------------------------------ batches

    def _map(self, function: Callable[[Any], Any], items: list[Any], batch_size: int | None = None) -> list[Any]:
        """``function`` of each item, ``batch_size`` at a time; a failure is returned in its place."""
        size = min(batch_size or self.batch_size, len(items))
        if size <= 1:
            return [_capture(function, item) for item in items]
        with ThreadPoolExecutor(max_workers=size, thread_name_prefix="storagekit-fs") as pool:
            return list(pool.map(lambda item: _capture(function, item), items))

    @staticmethod
    def _raise_first(results: Iterable[Any]) -> None:
        for result in results:
            if isinstance(result, BaseException):
                raise result

    @contextlib.contextmanager
    def _batched(self, batch_size: int | None, ignore_missing: bool = False) -> Iterator[None]:
        """Collect the file transfers fsspec's ``put``/``get``/``copy`` ask for, then run them at once."""
        if getattr(self._deferred, "jobs", None) is not None:  # already inside a batch
            yield
            return
        jobs: list[Callable[[], None]] = []
        self._deferred.jobs = jobs
        try:
            yield
        finally:
            self._deferred.jobs = None
        for result in self._map(lambda job: job(), jobs, batch_size):
            if isinstance(result, FileNotFoundError) and ignore_missing:
                continue
            if isinstance(result, BaseException):
                raise result

    def _defer(self, function: Callable[..., None], *args: Any, **kwargs: Any) -> None:
        jobs = getattr(self._deferred, "jobs", None)
        if jobs is None:
            function(*args, **kwargs)
        else:
            jobs.append(lambda: function(*args, **kwargs))

    @contextlib.contextmanager
    def _one_large(self, size: int) -> Iterator[None]:
        """One transfer past the multipart threshold at a time (it runs its own parts in parallel),
        so a batch's memory stays O(batch_size x threshold + part_size x max_concurrency)."""
        threshold = self.driver.transfer_config.merged(**self._transfer).multipart_threshold
        if size <= threshold:
            yield
            return
        with self._large:
            yield


class _Writer(ObjectWriter):
    """A writer that forgets the cached listings of its path once it has stored the object, and
    reports a create-only write that lost to another writer as FileExistsError (a missing container
    as FileNotFoundError)."""

    def __init__(self, fs: StorageKitFileSystem, path: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._fs = fs
        self._path = path

    def close(self) -> None:
        if self.closed:
            return
        try:
            with _not_found(self._path):
                super().close()
        except PreconditionFailedError as error:
            raise FileExistsError(f"{self._fs.unstrip_protocol(self._path)} already exists") from error
        finally:
            self._fs.invalidate_cache(self._path)


def _capture(function: Callable[[Any], Any], item: Any) -> Any:
    try:
        return function(item)
    except Exception as error:  # noqa: BLE001 - handed back to the caller, which raises or returns it
        return error


def _progress(callback: Callback) -> Callable[[int, int | None], None] | None:
    if callback is DEFAULT_CALLBACK:
        return None
    return lambda done, total: callback.absolute_update(done)


def _bounds(size: int, start: int | None, end: int | None) -> tuple[int, int]:
    """``start``..``end`` as a slice of ``size`` bytes (None for the ends, negative from the end)."""
    first = 0 if start is None else (max(0, size + start) if start < 0 else min(start, size))
    last = size if end is None else (max(0, size + end) if end < 0 else min(end, size))
    return first, max(first, last)


def _info(container: str, entry: Object | Prefix) -> dict[str, Any]:
    """fsspec's description of a listed object or common prefix."""
    if isinstance(entry, Prefix):
        return _directory(f"{container}/{entry.name.rstrip('/')}")
    extra = entry.extra
    return {
        "name": f"{container}/{entry.name}",
        "size": entry.size,
        "type": "file",
        "etag": extra.get("etag"),
        "mtime": _timestamp(extra.get("last_modified")),
        "content_type": extra.get("content_type"),
        **{name: digest for name, digest in entry.checksums.items()},
        "object": entry,
    }


def _public(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry as callers see it: plain values only (the cached entry also keeps its Object)."""
    return {name: value for name, value in entry.items() if name != "object"}


def _directory(name: str) -> dict[str, Any]:
    return {"name": name, "size": 0, "type": "directory"}


def _timestamp(value: Any) -> datetime.datetime | None:
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
    if not isinstance(value, str) or not value:
        return None
    try:  # ISO 8601 (S3, GCS, Swift listings, local, memory), else HTTP's date (Azure, Swift HEAD)
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)


def _named(driver: Any, container: str, key: str) -> Object:
    """An Object that names what to delete (no request: a delete needs only the names)."""
    return Object(key, 0, None, {}, {}, driver._as_container(container), driver)


@contextlib.contextmanager
def _not_found(path: str) -> Iterator[None]:
    """storagekit's not-found errors as the builtin FileNotFoundError fsspec and pandas expect,
    naming the path, with the storagekit error as its cause."""
    try:
        yield
    except (ObjectDoesNotExistError, ContainerDoesNotExistError) as error:
        what = "container" if isinstance(error, ContainerDoesNotExistError) else "file"
        raise FileNotFoundError(2, f"no such {what}: {error}", path) from error


@contextlib.contextmanager
def _exists(mode: str, url: str) -> Iterator[None]:
    try:
        yield
    except PreconditionFailedError as error:
        if mode != "create":
            raise
        raise FileExistsError(f"{url} already exists") from error


# ---------------------------------------------------------------------- registration


def _bound(protocol: str) -> type[StorageKitFileSystem]:
    """The filesystem class serving ``protocol://`` URLs (made once per protocol, found again by
    name when a filesystem of it is unpickled)."""
    cls = _classes.get(protocol)
    if cls is None:
        scheme = REPLACED_PROTOCOLS[protocol]
        cls = type(f"StorageKitFileSystem_{protocol}", (StorageKitFileSystem,), {
            "protocol": protocol, "bound_scheme": scheme, "__module__": __name__,
            "__reduce__": _reduce_bound,
        })
        _classes[protocol] = cls
    return cls


def _reduce_bound(self: StorageKitFileSystem) -> tuple[Any, ...]:
    protocol = self.protocol if isinstance(self.protocol, str) else self.protocol[0]
    return _rebuild_bound, (protocol, self.storage_args, self.storage_options)


def _rebuild_bound(protocol: str, args: tuple[Any, ...], options: dict[str, Any]) -> StorageKitFileSystem:
    return _bound(protocol)(*args, **options)


def _register_own_protocol() -> None:
    """Make ``storagekit://`` known to fsspec in this process (an installed storagekit also declares it
    through the ``fsspec.specs`` entry point), never replacing another class under that name."""
    import fsspec

    if PROTOCOL not in fsspec.registry:
        register_implementation(PROTOCOL, StorageKitFileSystem)


def register(protocols: str | Iterable[str] | None = None) -> list[str]:
    """Serve ``s3://``, ``gs://``, ``az://``... URLs with storagekit instead of s3fs, gcsfs or adlfs.

    Only on this explicit call: importing storagekit never takes those names. Each protocol gets a
    class bound to its storagekit scheme (``s3``/``s3a`` -> s3, ``gs``/``gcs`` -> gs,
    ``az``/``abfs``/``abfss`` -> az), registered with ``fsspec.register_implementation(...,
    clobber=True)``; its ``storage_options`` are storagekit's, as for ``storagekit://`` URLs.

    Args:
        protocols: one protocol or several (default: all of :data:`REPLACED_PROTOCOLS`).

    Returns:
        the protocols registered by this call, in order (also kept by :func:`registered`).

    Raises:
        InvalidOptionError: a protocol storagekit does not replace, named.

    Example::

        storagekit.fs.register(["s3"])
        frame = pandas.read_parquet("s3://bucket/table.parquet", storage_options={"region": "eu-west-1"})
    """
    names = list(REPLACED_PROTOCOLS) if protocols is None else [protocols] if isinstance(protocols, str) \
        else list(protocols)
    unknown = [name for name in names if name not in REPLACED_PROTOCOLS]
    if unknown:
        raise InvalidOptionError(
            f"storagekit cannot serve {', '.join(unknown)}:// (it replaces {', '.join(REPLACED_PROTOCOLS)})"
        )
    for name in names:
        register_implementation(name, _bound(name), clobber=True)
        _registered[name] = REPLACED_PROTOCOLS[name]
    return names


def registered() -> dict[str, str]:
    """The protocols :func:`register` has put storagekit in place for, each with its scheme."""
    return dict(_registered)


_register_own_protocol()
