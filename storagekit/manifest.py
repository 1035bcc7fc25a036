"""Datasets and manifests: files with their checksums, labels and tags, stored anywhere.

A :class:`Dataset` is a set of files (local or in any store) described by a JSON manifest
kept beside them (``.storagekit-dataset.json``): every file's name, size, MD5, CRC32C,
content type and metadata, plus the dataset's id, name, labels and tags. A :class:`Manifest`
names several datasets, which may live in different providers; it is stored as
``.storagekit-manifest.json`` under a prefix, or as the ``.json`` file a URL names. Integrity
is checked against the manifest before upload and after download.
:mod:`storagekit.compat.octue` is Octue's door into the same code.

Usage::

    dataset = Dataset.from_directory("./survey-2024", labels={"raw"}, tags={"site": "north"})
    dataset.to_cloud("s3://research/survey-2024/")
    again = Dataset.from_cloud("s3://research/survey-2024/")
    again.download("./copy")                     # verified file by file
    Manifest({"survey": again}).to_cloud("gs://results/run-7/", store_datasets=False)
"""

from __future__ import annotations

import dataclasses
import json
import os
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from .paths import is_folder_marker, local_path, unsafe_reason
from .streams import FAST_CRC32C, Checksum
from .transfer import guess_content_type, write_file_atomically
from .types import InvalidObjectNameError, ObjectHashMismatchError
from .urls import Location, is_url, open_url

DATASET_FILE = ".storagekit-dataset.json"
MANIFEST_FILE = ".storagekit-manifest.json"
_READ_SIZE = 1024 * 1024
_ALGORITHMS = ("md5", "crc32c") if FAST_CRC32C else ("md5",)
"""CRC32C is recorded only where it is fast (google-crc32c installed); MD5 always."""


@dataclass
class Datafile:
    """One file of a dataset, as the manifest records it."""

    name: str
    size: int
    md5: str
    crc32c: str | None = None
    content_type: str = "application/octet-stream"
    meta_data: dict[str, str] = field(default_factory=dict)

    def problem_with(self, size: int, digests: Mapping[str, str]) -> str | None:
        """Why content of ``size`` bytes with ``digests`` is not this file, or None if it is."""
        if size != self.size:
            return f"{self.name}: {size} bytes, the manifest says {self.size}"
        for algorithm in ("md5", "crc32c"):
            expected = getattr(self, algorithm)
            if expected and digests.get(algorithm) not in (None, expected):  # "": not known
                return f"{self.name}: {algorithm} {digests[algorithm]}, the manifest says {expected}"
        return None


@dataclass
class Dataset:
    """Files under one location (a directory or a storage URL prefix), with labels and tags."""

    location: str
    files: list[Datafile] = field(default_factory=list)
    name: str = ""
    labels: set[str] = field(default_factory=set)
    tags: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict, compare=False)
    """Files a download left out, each with the reason (not part of the manifest)."""
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    """The dataset's identity, kept wherever it is copied."""

    # ------------------------------------------------------------ building

    @classmethod
    def from_directory(cls, path: str, *, name: str | None = None, labels: Iterable[str] = (),
                       tags: Mapping[str, str] | None = None) -> Dataset:
        """Describe every file under ``path``, hashing each one."""
        root = os.path.abspath(path)
        files = []
        for directory, _, names in os.walk(root):
            for file_name in sorted(names):
                full = os.path.join(directory, file_name)
                relative = os.path.relpath(full, root).replace(os.sep, "/")
                if relative == DATASET_FILE:
                    continue
                files.append(describe_file(full, relative))
        files.sort(key=lambda datafile: datafile.name)
        return cls(root, files, name or os.path.basename(root), set(labels), dict(tags or {}))

    def refreshed(self, directory: str, unchanged: Iterable[str], changed: Iterable[str]) -> Dataset:
        """This dataset brought up to date after a sync of ``directory``: entries of ``unchanged``
        names are kept, ``changed`` files are hashed again, every other name is dropped.

        A sync calls this so that a manifest written once (``sync --manifest``) stays current
        when later runs are made without ``--manifest``, at the cost of reading only the files
        that were copied.

        Args:
            directory: the local directory the dataset's files were synced from.
            unchanged: names the sync found already in place.
            changed: names the sync copied.

        Returns:
            A new dataset (same location, name, labels and tags).
        """
        known = {datafile.name: datafile for datafile in self.files}
        files = [known[name] for name in unchanged if name in known]
        for name in [*changed, *(name for name in unchanged if name not in known)]:
            if os.path.basename(name) == DATASET_FILE:
                continue
            files.append(describe_file(local_path(directory, name), name))
        files.sort(key=lambda datafile: datafile.name)
        return dataclasses.replace(self, files=files, labels=set(self.labels), tags=dict(self.tags))

    # ------------------------------------------------------------ serialization

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "labels": sorted(self.labels), "tags": self.tags,
                "files": [asdict(datafile) for datafile in self.files]}

    @classmethod
    def from_dict(cls, location: str, data: Mapping[str, Any]) -> Dataset:
        files = [Datafile(**item) for item in data.get("files", [])]
        dataset = cls(location, files, data.get("name", ""), set(data.get("labels", [])), dict(data.get("tags", {})))
        if data.get("id"):
            dataset.id = str(data["id"])
        return dataset

    # ------------------------------------------------------------ moving

    def to_cloud(self, url: str, **url_options: Any) -> Dataset:
        """Upload the files (each checked against the manifest first) and the manifest to ``url``.

        Raises:
            ObjectHashMismatchError: a local file no longer matches the manifest; nothing
                of the dataset's manifest is written then.
        """
        base = open_url(url, **url_options)
        base.ensure_container()
        for datafile in self.files:
            upload_datafile(local_path(self.location, datafile.name), base.child(datafile.name), datafile)
        return self.write_manifest(url, **url_options)

    def write_manifest(self, url: str, **url_options: Any) -> Dataset:
        """Store this dataset's manifest at ``url`` (whose files are already there); the dataset there."""
        moved = dataclasses.replace(self, location=url, labels=set(self.labels), tags=dict(self.tags), skipped={})
        _write_json(open_url(url, **url_options).child(DATASET_FILE), moved.to_dict())
        return moved

    @classmethod
    def from_cloud(cls, url: str, **url_options: Any) -> Dataset:
        """The dataset whose manifest is stored at ``url`` (a storage URL or a local directory)."""
        if not is_url(url):
            with open(os.path.join(url, DATASET_FILE), encoding="utf-8") as file:
                return cls.from_dict(url, json.load(file))
        return cls.from_dict(url, _read_json(open_url(url, **url_options).child(DATASET_FILE)))

    def download(self, directory: str, **url_options: Any) -> Dataset:
        """Download every file to ``directory``, each verified against the manifest.

        Names that cannot be a path below ``directory`` (``..`` segments, absolute names, ...)
        and folder markers are not downloaded; the returned dataset's ``skipped`` says why.

        Raises:
            ObjectHashMismatchError: a file does not match the manifest (it is not left behind).
        """
        base = open_url(self.location, **url_options)
        skipped: dict[str, str] = {}
        for datafile in self.files:
            if is_folder_marker(datafile.name, datafile.size):
                skipped[datafile.name] = "folder marker"
                continue
            reason = unsafe_reason(datafile.name)
            if reason:
                skipped[datafile.name] = f"cannot be a local path: {reason}"
                continue
            download_datafile(base.child(datafile.name), datafile, local_path(directory, datafile.name))
        kept = [datafile for datafile in self.files if datafile.name not in skipped]
        local = dataclasses.replace(self, location=os.path.abspath(directory), files=kept, labels=set(self.labels),
                                    tags=dict(self.tags), skipped=skipped)
        with open(os.path.join(directory, DATASET_FILE), "w", encoding="utf-8") as file:
            json.dump(local.to_dict(), file, indent=2)
        return local

    def verify(self, progress: Callable[[int], None] | None = None, **url_options: Any) -> list[str]:
        """Re-read every file or object and return what does not match the manifest (empty if all do).

        Args:
            progress: called with the number of files checked so far.
        """
        problems = []
        base = open_url(self.location, **url_options) if is_url(self.location) else None
        for done, datafile in enumerate(self.files, 1):
            if progress:
                progress(done)
            try:
                if base is None:
                    size, digests = _hash_file(local_path(self.location, datafile.name))
                else:
                    obj = base.driver.get_object(base.container_name, base.child(datafile.name).key)
                    checksum = Checksum(_ALGORITHMS)
                    for chunk in obj.as_stream(chunk_size=_READ_SIZE):
                        checksum.update(chunk)
                    size, digests = checksum.size, checksum.hexdigests()
            except (OSError, ObjectHashMismatchError, InvalidObjectNameError) as error:
                problems.append(f"{datafile.name}: {error}")
                continue
            problem = datafile.problem_with(size, digests)
            if problem:
                problems.append(problem)
        return problems


@dataclass
class Manifest:
    """Named datasets, each a :class:`Dataset` or the URL of one, in any provider."""

    datasets: dict[str, Dataset | str] = field(default_factory=dict)

    def to_cloud(self, url: str, *, store_datasets: bool = True, **url_options: Any) -> Manifest:
        """Write the manifest to ``url``; with ``store_datasets`` upload local datasets beside it too.

        ``url`` is a prefix (the manifest is ``.storagekit-manifest.json`` below it) or, when its
        last segment ends in ``.json``, the manifest file itself. Stored datasets go to
        ``datasets/<key>/`` beside the manifest. With ``store_datasets=False`` every dataset
        stays where it is and the manifest references its location; a local dataset's
        description is kept in the manifest, so it is read back from its local path.
        """
        manifest, directory = _manifest_locations(url, **url_options)
        entries: dict[str, Any] = {}
        stored: dict[str, Dataset | str] = {}
        for key, dataset in self.datasets.items():
            if isinstance(dataset, Dataset) and store_datasets and not is_url(dataset.location):
                dataset = dataset.to_cloud(directory.child(f"datasets/{key}/").url, **url_options)
            location = dataset.location if isinstance(dataset, Dataset) else dataset
            entries[key] = {"location": location}
            if isinstance(dataset, Dataset) and not is_url(dataset.location):
                entries[key]["dataset"] = dataset.to_dict()
            stored[key] = dataset
        _write_json(manifest, {"datasets": entries})
        return Manifest(stored)

    @classmethod
    def from_cloud(cls, url: str, **url_options: Any) -> Manifest:
        """The manifest stored at ``url`` (a prefix or a ``.json`` file, as :meth:`to_cloud` takes);
        its datasets are loaded from wherever they live."""
        data = _read_json(_manifest_locations(url, **url_options)[0])
        return cls({key: Dataset.from_dict(entry["location"], entry["dataset"]) if "dataset" in entry
                    else Dataset.from_cloud(entry["location"], **url_options)
                    for key, entry in data.get("datasets", {}).items()})


def _manifest_locations(url: str, **url_options: Any) -> tuple[Location, Location]:
    """The manifest file's location and its directory's, for a prefix or a ``.json`` file URL."""
    base = open_url(url, **url_options)
    if base.is_prefix or not base.key.rsplit("/", 1)[-1].endswith(".json"):
        return base.child(MANIFEST_FILE), base
    parent_key = base.key.rpartition("/")[0]
    directory = Location(base.driver, base.container_name, parent_key + "/" if parent_key else "",
                         url.rpartition("/")[0] + "/")
    return base, directory


def upload_datafile(path: str, location: Location, datafile: Datafile) -> None:
    """Upload the local file ``path`` to ``location`` with the datafile's content type and metadata,
    checked against the datafile's size and digests first.

    Raises:
        ObjectHashMismatchError: the file no longer matches; nothing is uploaded.
    """
    size, digests = _hash_file(path)
    problem = datafile.problem_with(size, digests)
    if problem:
        raise ObjectHashMismatchError(f"not uploaded: {problem}", location.driver, object_name=datafile.name)
    location.driver.upload_object(path, location.container, location.key,
                                  extra={"content_type": datafile.content_type}, ex_meta=datafile.meta_data)


def download_datafile(location: Location, datafile: Datafile, target: str) -> None:
    """Download the object at ``location`` to the local path ``target``, verified against the datafile.

    Raises:
        ObjectHashMismatchError: the object does not match (nothing is left at ``target``).
    """
    obj = location.driver.get_object(location.container_name, location.key)
    os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
    write_file_atomically(_checked(obj.as_stream(chunk_size=_READ_SIZE), Checksum(_ALGORITHMS), datafile),
                          target, overwrite=True)


def describe_file(path: str, name: str, meta_data: Mapping[str, str] | None = None) -> Datafile:
    """The manifest entry of the local file ``path`` under ``name`` (hashed now)."""
    size, digests = _hash_file(path)
    return Datafile(name, size, digests["md5"], digests.get("crc32c"), guess_content_type(name), dict(meta_data or {}))


def _hash_file(path: str) -> tuple[int, dict[str, str]]:
    checksum = Checksum(_ALGORITHMS)
    with open(path, "rb") as file:
        while chunk := file.read(_READ_SIZE):
            checksum.update(chunk)
    return checksum.size, checksum.hexdigests()


def _checked(chunks: Iterable[bytes], checksum: Checksum, datafile: Datafile) -> Iterable[bytes]:
    """Pass chunks through, then raise if they do not match the manifest's entry."""
    for chunk in chunks:
        checksum.update(chunk)
        yield chunk
    problem = datafile.problem_with(checksum.size, checksum.hexdigests())
    if problem:
        raise ObjectHashMismatchError(f"downloaded corrupt: {problem}", object_name=datafile.name)


def _write_json(location: Location, data: Mapping[str, Any]) -> None:
    body = json.dumps(data, indent=2, sort_keys=True).encode()
    location.driver.upload_object_via_stream([body], location.ensure_container(), location.key,
                                             extra={"content_type": "application/json"})


def _read_json(location: Location) -> Any:
    obj = location.driver.get_object(location.container_name, location.key)
    return json.loads(b"".join(obj.as_stream()))
