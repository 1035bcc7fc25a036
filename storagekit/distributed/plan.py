"""A distributed transfer as plain data: where the two ends are, what to do, and the shards.

Nothing here holds a driver, a socket or a lock: a :class:`TransferPlan` names its ends by URL
and the options :func:`~storagekit.urls.open_url` takes (``endpoint_url``, ``profile``,
``provider``, ...), so each worker builds its own drivers and resolves its own credentials. Keys
given as options travel in the pickle to every worker; a ``profile`` name or an S3
``role_arn`` travels instead of keys when each worker has that profile.

The source is listed once, on the client, page by page; every ``shard_size`` names become one
:class:`Shard`: the source's entries of a key range ``(after, last]`` (names relative to the
synced root). A worker lists only that range of the destination, so the client never holds the
whole listing, and a shard run twice compares again and copies nothing the second time.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import Any

from ..filters import FilterRules
from ..models import Object
from ..sync import Directory, Entry, Store, open_end
from ..sync.ends import End
from ..types import InvalidOptionError
from ..urls import is_url, open_url

MODES = ("sync", "verify")
"""What a plan does: ``sync`` copies what differs (``copy`` is a sync without ``delete``),
``verify`` only compares and reports each difference as an error."""


@dataclass(frozen=True)
class EndSpec:
    """One end of a transfer: a storage URL (or a local directory path) and its ``open_url`` options."""

    target: str
    options: dict[str, Any] = field(default_factory=dict)

    def open(self) -> End:
        """The sync end, with a driver built in this process.

        Returns:
            A :class:`~storagekit.sync.Store` for a storage URL, a :class:`~storagekit.sync.Directory`
            for a local path.
        """
        return open_end(self.target, **self.options)

    def __repr__(self) -> str:  # the options may hold keys
        return f"EndSpec({self.target!r}, options={sorted(self.options)})"


@dataclass(frozen=True)
class TransferPlan:
    """Everything a worker needs to run a shard, and nothing it must not carry (no driver).

    Attributes:
        source: where the objects come from.
        destination: where they go (a store URL).
        mode: ``"sync"`` or ``"verify"`` (see :data:`MODES`).
        rules: filter rules; excluded names are neither copied nor deleted.
        compare: the quick check (``"modtime"``, ``"checksum"`` or ``"size"``), as the local sync.
        delete: names at the destination the source lacks are reported for deletion.
        dry_run: compare only; the shard reports what it would copy.
        destination_missing: the destination container does not exist yet (a dry run with ``create``).
        extra: upload options for every object written.
        metadata: user metadata for every object written.
        jobs: objects copied at once within one shard.
        shard_size: source names per shard.
    """

    source: EndSpec
    destination: EndSpec
    mode: str = "sync"
    rules: FilterRules = field(default_factory=FilterRules)
    compare: str = "modtime"
    delete: bool = False
    dry_run: bool = False
    destination_missing: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    jobs: int = 4
    shard_size: int = 1000

    def open_ends(self) -> tuple[End, End]:
        """Both ends, with drivers built in this process.

        One driver serves both when they name the same store (same scheme and options), so a copy
        within it is server-side, as the local sync does.

        Returns:
            The source and destination ends, in that order.
        """
        src = self.source.open()
        same = self.source.target.partition("://")[0].lower() == self.destination.target.partition("://")[0].lower()
        if isinstance(src, Store) and same and self.source.options == self.destination.options:
            there = open_url(self.destination.target, **self.destination.options)
            return src, Store(replace(there, driver=src.driver))
        return src, self.destination.open()

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise InvalidOptionError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if self.shard_size < 1 or self.jobs < 1:
            raise InvalidOptionError(f"shard_size and jobs must be 1 or more, not {self.shard_size} and {self.jobs}")
        if not is_url(self.destination.target):
            raise InvalidOptionError(f"a distributed transfer writes to a store URL, not {self.destination.target!r}")
        for end in (self.source, self.destination):
            if end.target.lower().startswith("memory://"):
                raise InvalidOptionError("memory:// stores live in one process: a cluster's workers cannot share one")


@dataclass(frozen=True)
class Listed:
    """An object of the source listing as plain data, rebuilt on a worker with its own driver."""

    name: str
    size: int
    hash: str | None
    extra: dict[str, Any]
    meta_data: dict[str, str]
    checksums: dict[str, str]

    @classmethod
    def of(cls, obj: Object) -> Listed:
        """The plain data of a listed object, to travel in a task's pickle.

        Args:
            obj: an object of the source listing.

        Returns:
            Its :class:`Listed`, without the driver.
        """
        return cls(obj.name, obj.size, obj.hash, dict(obj.extra), dict(obj.meta_data), dict(obj.checksums))

    def object(self, store: Store) -> Object:
        """The object again, bound to ``store``'s driver and container.

        Args:
            store: the end opened in this process whose driver and container the object gets.

        Returns:
            The :class:`~storagekit.models.Object`.
        """
        return Object(self.name, self.size, self.hash, dict(self.extra), dict(self.meta_data),
                      store.location.container, store.driver, dict(self.checksums))


@dataclass(frozen=True)
class Shard:
    """One task: the source names of the key range ``(after, last]`` (None: unbounded).

    Attributes:
        index: the shard's place in the plan (0, 1, ...).
        after: the range's lower bound, excluded (a name relative to the synced roots); None
            for the first shard.
        last: the range's upper bound, included; None for the last shard, so the shards cover
            every name once.
        listed: the source objects in the range (a store source).
        entries: the source files in the range (a directory source: its path must be the same on
            every worker, a shared file system).
        protected: names in the range the source left out or could not read: never deleted.
    """

    index: int
    after: str | None
    last: str | None
    listed: tuple[Listed, ...] = ()
    entries: tuple[Entry, ...] = ()
    protected: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        """How many source names the shard holds."""
        return len(self.listed) + len(self.entries)

    @property
    def size(self) -> int:
        """The bytes of the shard's source names."""
        return sum(item.size for item in self.listed) + sum(entry.size for entry in self.entries)

    def holds(self, name: str) -> bool:
        """Whether a name falls in the shard's range.

        Args:
            name: a name relative to the synced root.

        Returns:
            True when ``after < name <= last`` (a missing bound holds every name on its side).
        """
        return (self.after is None or name > self.after) and (self.last is None or name <= self.last)

    @property
    def prefix(self) -> str:
        """The longest prefix every name of the range shares, where a listing of the range starts."""
        if self.after is None or self.last is None:
            return ""
        return os.path.commonprefix([self.after, self.last])  # noqa: RUF071 - names, not paths: a string prefix

    def __str__(self) -> str:
        return f"shard {self.index} ({self.after or ''!r}, {self.last or ''!r}]"


def shards(src: End, rules: FilterRules, shard_size: int, follow_symlinks: bool = False,
           ) -> Iterator[Shard | tuple[dict[str, str], dict[str, str]]]:
    """Cut the source into shards of ``shard_size`` names, streamed as the listing goes.

    A store is listed page by page and never held whole. A directory is walked first (its
    scan is what the local sync makes); the names it leaves out or cannot read are yielded
    once, before the shards, as ``(skipped, errors)``, and each shard protects those of its range.
    Ranges follow the largest name seen so far, so a service that lists a little out of order
    (SeaweedFS lists ``a/b`` before ``a-b``) still gets contiguous ranges: a worker lists the
    destination's range and filters by name, not by position.

    Args:
        src: the source end, opened on the client.
        rules: filter rules, applied here to a directory's walk (a store's names are filtered
            by the workers).
        shard_size: source names per shard.
        follow_symlinks: follow symlinks in a source directory, as :func:`storagekit.sync.sync`.

    Yields:
        ``(skipped, errors)`` first for a directory, then the shards in order; the last has no upper bound.
    """
    if isinstance(src, Directory):
        scan = src.scan(rules, follow_symlinks)
        yield scan.skipped, scan.errors
        left_out = sorted({*scan.skipped, *scan.errors})
        ordered = [scan.entries[name] for name in sorted(scan.entries)]
        chunks = (ordered[start:start + shard_size] for start in range(0, len(ordered), shard_size))
        names = _chunked_names(chunks, lambda entry: entry.name)
        after: str | None = None
        for index, (chunk, last, final) in enumerate(names):
            upper = None if final else last
            protected = tuple(name for name in left_out if (after is None or name > after)
                              and (upper is None or name <= upper))
            yield Shard(index, after, upper, entries=tuple(chunk), protected=protected)
            after = last
        return
    store = src
    listing = iter(store.driver.iterate_container_objects(store.location.container, prefix=store.prefix or None))
    pages = iter(lambda: list(islice(listing, shard_size)), [])
    after = None
    for index, (chunk, last, final) in enumerate(_chunked_names(pages, lambda obj: obj.name[len(store.prefix):])):
        yield Shard(index, after, None if final else last, listed=tuple(Listed.of(obj) for obj in chunk))
        after = last


def _chunked_names(chunks: Iterator[list[Any]], name_of: Any) -> Iterator[tuple[list[Any], str | None, bool]]:
    """Each chunk with the largest name seen so far and whether it is the last chunk; an empty
    source is one empty chunk (its shard covers the whole destination, for ``delete``)."""
    largest: str | None = None
    current = next(chunks, None)
    if current is None:
        yield [], None, True
        return
    while current is not None:
        for item in current:
            name = name_of(item)
            largest = name if largest is None or name > largest else largest
        following = next(chunks, None)
        yield current, largest, following is None
        current = following
