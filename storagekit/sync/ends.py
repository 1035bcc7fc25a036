"""The two ends of a sync: a local directory tree or a container prefix, scanned into entries.

A scan yields every file or object by its name relative to the synced root, and says
about every one it leaves out why (``Scan.skipped``) or what failed (``Scan.errors``):
nothing is dropped silently.
"""

from __future__ import annotations

import os
import re
import stat as stat_module
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..file_metadata import last_modified_ns, recorded_mode, recorded_mtime_ns
from ..filters import FilterRules
from ..manifest import DATASET_FILE, MANIFEST_FILE
from ..models import Object
from ..paths import is_folder_marker, unsafe_reason
from ..types import ContainerDoesNotExistError, InvalidOptionError, SourceNotFoundError, StorageKitError
from ..urls import Location, check_location, is_url, open_url

MD5_META = "storagekit_md5"
"""Metadata name under which sync records an uploaded file's MD5 (a valid Azure identifier)."""
TEMP_NAME = re.compile(r"\..+\.[0-9a-f]{12}\.part")
"""storagekit's own temp files (``transfer.write_file_atomically``): ``.<name>.<12 hex>.part``."""
MANIFESTS = frozenset({DATASET_FILE, MANIFEST_FILE})
NS = 1_000_000_000
"""A scheme of two letters or more then ``:/``: a URL, perhaps mistyped (``C:/data`` is a path)."""


@dataclass
class Entry:
    """A file or object met by a scan, by its name relative to the synced root.

    ``mtime_ns`` is the file's modification time, or the one recorded in the object's
    metadata (None until known: an S3 listing carries no metadata); ``coarse`` marks a time
    taken from an object's ``last_modified`` (whole seconds).
    """

    name: str
    size: int
    mtime_ns: int | None = None
    mode: int | None = None
    md5: str | None = None
    path: str | None = None
    obj: Object | None = None
    coarse: bool = False
    resolved: bool = True


@dataclass
class Scan:
    """What a scan found: entries to sync, names left out (with why), names that failed."""

    entries: dict[str, Entry] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _own_file_reason(name: str, rules: FilterRules) -> str | None:
    """Why a name is left out whatever it holds: storagekit's temp files, manifests, filters."""
    base = name.rsplit("/", 1)[-1]
    if TEMP_NAME.fullmatch(base):
        return "storagekit temp file (an unfinished download)"
    if base in MANIFESTS:
        return "storagekit manifest (kept as it is; see `storagekit verify`)"
    rule = rules.rule_for(name)
    if rule is not None and not rule.include:
        return f"excluded by filter '{rule}'"
    return None


class Directory:
    """A local directory tree as a sync end."""

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)
        self.text = root

    def exists(self) -> bool:
        return os.path.isdir(self.root)

    def check_source(self) -> None:
        """Raise SourceNotFoundError unless the root is an existing directory."""
        if not os.path.exists(self.root):
            raise SourceNotFoundError(f"source directory {self.text!r} does not exist")
        if not os.path.isdir(self.root):
            raise SourceNotFoundError(f"source {self.text!r} is a file, not a directory: use cp to copy one file")

    def check_destination(self, create: bool) -> None:
        """Refuse a destination that is a file; a missing directory is made when the first file lands."""
        if os.path.exists(self.root) and not os.path.isdir(self.root):
            raise InvalidOptionError(f"destination {self.text!r} is a file, not a directory")

    def scan(self, rules: FilterRules, follow_symlinks: bool = False) -> Scan:
        """Every regular file under the root (symlinks followed only when asked, loops refused)."""
        scan = Scan()
        if self.exists():
            root_stat = os.stat(self.root)
            self._walk(self.root, "", {(root_stat.st_dev, root_stat.st_ino)}, rules, follow_symlinks, scan)
        return scan

    def _walk(self, directory: str, prefix: str, ancestors: set[tuple[int, int]], rules: FilterRules,
              follow: bool, scan: Scan) -> None:
        try:
            items = sorted(os.scandir(directory), key=lambda item: item.name)
        except OSError as error:
            scan.errors[prefix or "./"] = f"unreadable directory: {error.strerror or error}"
            return
        for item in items:
            name = prefix + item.name
            try:
                item.name.encode("utf-8")
            except UnicodeEncodeError:
                scan.skipped[name] = f"name is not valid UTF-8 ({os.fsencode(item.name)!r}); rename the file"
                continue
            try:
                if item.is_symlink():
                    if not follow:
                        scan.skipped[name] = "symlink, not followed (use --follow-symlinks / -L)"
                        continue
                    try:
                        info = os.stat(item.path)
                    except OSError:
                        scan.skipped[name] = "dangling symlink"
                        continue
                else:
                    info = item.stat(follow_symlinks=False)
            except OSError as error:
                scan.errors[name] = f"cannot stat: {error.strerror or error}"
                continue
            if stat_module.S_ISDIR(info.st_mode):
                key = (info.st_dev, info.st_ino)
                if key in ancestors:
                    scan.skipped[name + "/"] = "symlink loop (a directory containing itself)"
                else:
                    self._walk(item.path, name + "/", ancestors | {key}, rules, follow, scan)
            elif not stat_module.S_ISREG(info.st_mode):
                scan.skipped[name] = "special file (not a regular file: fifo, socket or device)"
            elif (reason := _own_file_reason(name, rules)) is not None:
                scan.skipped[name] = reason
            elif not os.access(item.path, os.R_OK):
                scan.errors[name] = "unreadable: permission denied"
            else:
                scan.entries[name] = Entry(name, info.st_size, info.st_mtime_ns, info.st_mode, path=item.path)

    def cannot_hold(self, name: str) -> str | None:
        """Why an object name cannot become a file below the root, or None."""
        reason = unsafe_reason(name)
        return f"cannot be a local path: {reason}" if reason else None

    def path_of(self, name: str) -> str:
        return os.path.join(self.root, *name.split("/"))

    def delete(self, name: str) -> None:
        os.unlink(self.path_of(name))


class Store:
    """A container prefix as a sync end: ``s3://b/photos`` is the directory ``photos/``."""

    def __init__(self, location: Location) -> None:
        self.location = location
        self.driver = location.driver
        self.prefix = location.directory_prefix
        self.container_missing = False

    def exists(self) -> bool:
        return not self.container_missing

    def check_source(self) -> None:
        """Raise unless the container exists and, for a prefix, holds at least one object under it."""
        self.driver.get_container(self.location.container_name)
        if not self.prefix:
            return
        if next(iter(self.driver.iterate_container_objects(self.location.container, prefix=self.prefix)), None):
            return
        hint = ""
        if self.driver.object_exists(self.location.container_name, self.prefix[:-1]):
            hint = f": {self.prefix[:-1]!r} is an object, not a directory (use cp to copy one object)"
        raise SourceNotFoundError(f"no objects under {self.location.url.rstrip('/')}/{hint}",
                                  self.driver, container_name=self.location.container_name)

    def check_destination(self, create: bool) -> None:
        """Refuse a missing container unless ``create`` (it is then made before the first copy)."""
        try:
            self.driver.get_container(self.location.container_name)
        except ContainerDoesNotExistError:
            if not create:
                raise ContainerDoesNotExistError(
                    f"destination container {self.location.container_name!r} does not exist "
                    "(create it with `storagekit mb`, or pass --create)",
                    self.driver, container_name=self.location.container_name) from None
            self.container_missing = True

    def create_container(self) -> None:
        if self.container_missing:
            self.location.ensure_container()
            self.container_missing = False

    def scan(self, rules: FilterRules, follow_symlinks: bool = False) -> Scan:
        """Every object under the prefix; folder markers (``dir/``, zero bytes) are left out."""
        if self.container_missing:
            return Scan()
        return self.scan_objects(self.driver.iterate_container_objects(self.location.container,
                                                                       prefix=self.prefix or None), rules)

    def scan_objects(self, objects: Iterable[Object], rules: FilterRules) -> Scan:
        """The entries of these objects of the store (under the prefix), by :meth:`scan`'s rules.

        Args:
            objects: objects whose names start with the prefix, from a listing of any part of it.
            rules: filter rules; excluded names are reported in ``Scan.skipped``.

        Returns:
            The scan of those objects.
        """
        scan = Scan()
        for obj in objects:
            name = obj.name[len(self.prefix):]
            if not name:
                continue  # the marker of the synced directory itself
            if is_folder_marker(name, obj.size):
                scan.skipped[name] = "folder marker (a zero-byte 'dir/' object, not a file)"
            elif (reason := _own_file_reason(name, rules)) is not None:
                scan.skipped[name] = reason
            else:
                scan.entries[name] = self._entry(name, obj, resolved=bool(obj.meta_data))
        return scan

    @staticmethod
    def _entry(name: str, obj: Object, resolved: bool) -> Entry:
        mtime = recorded_mtime_ns(obj)
        coarse = mtime is None
        if mtime is None:
            mtime = last_modified_ns(obj)
        md5 = obj.checksums.get("md5") or obj.meta_data.get(MD5_META)
        return Entry(name, obj.size, mtime, recorded_mode(obj), md5, obj=obj, coarse=coarse, resolved=resolved)

    def resolve(self, entry: Entry) -> Entry:
        """The entry with what a HEAD request tells (metadata: recorded mtime, mode, MD5)."""
        if entry.resolved or entry.obj is None:
            return entry
        full = self.driver.get_object(self.location.container_name, entry.obj.name)
        return self._entry(entry.name, full, resolved=True)

    def cannot_hold(self, name: str) -> str | None:
        """Why the store cannot take an object of this name, or None."""
        try:
            self.driver._check_object_name(self.key_of(name))
        except StorageKitError as error:
            return f"the destination cannot store this name: {error}"
        return None

    def key_of(self, name: str) -> str:
        return self.prefix + name

    def delete_many(self, entries: list[Entry]) -> dict[str, str]:
        """Delete objects (batched where the provider can); the failures by name."""
        failures = self.driver.delete_objects([entry.obj for entry in entries if entry.obj is not None])
        return {(error.object_name or "?")[len(self.prefix):]: str(error) for error in failures}


End = Directory | Store


def open_end(target: str | Location, **url_options: object) -> End:
    """A sync end for a Location, a storage URL or a local directory path.

    Anything that starts like a URL (``s4://b``, ``gs:/b``) is one: an unknown or mistyped
    scheme is an InvalidOptionError naming the known ones, never a local directory ``s4:``.
    """
    if isinstance(target, Location):
        return Store(target)
    if is_url(check_location(target)):
        return Store(open_url(target, **url_options))  # type: ignore[arg-type]
    return Directory(target)

