"""Octue's data containers, ``Datafile`` / ``Dataset`` / ``Manifest``, in Octue's argument names and layout.

A second door into :mod:`storagekit.manifest`: the same manifests, the same per-file upload and
download (checked against the recorded size and digests before upload and after download; the
driver checks each upload's checksum), in the names Octue's users already write::

    from storagekit.compat.octue import Datafile, Dataset, Manifest

    my_datafile.to_cloud(project_name="my-project", bucket_name="my-bucket", path_in_bucket="a/b.csv")
    >>> "gs://my-bucket/a/b.csv"
    downloaded_datafile = Datafile(path="gs://my-bucket/a/b.csv", project_name="my-project")

``project_name`` / ``bucket_name`` address Google Cloud Storage, as in Octue; ``cloud_path=``
(Octue's URL form) takes any storagekit URL (``s3://``, ``az://``, ``gs://``, ``local://``...),
and keyword arguments a method does not know are :func:`~storagekit.urls.open_url`'s options.

Layout: a dataset goes to ``<output_directory>/<dataset name>/`` with its manifest
(``.storagekit-dataset.json``) beside its files; a manifest goes to exactly the file it is given,
its datasets (with ``store_datasets=True``) to ``<manifest directory>/<dataset name>/``. Every
datafile's id, labels, tags, timestamp and hash travel as object metadata (``datafile_id``,
``datafile_labels``, ...) as well as in the dataset's manifest.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import tempfile
import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

from .. import manifest as core
from ..types import InvalidOptionError, ObjectHashMismatchError
from ..urls import Location, is_url, open_url

__all__ = ["Datafile", "Dataset", "Manifest"]

_META = {"id": "datafile_id", "labels": "datafile_labels", "tags": "datafile_tags",
         "timestamp": "datafile_timestamp", "hash_value": "datafile_hash"}
"""Object metadata names of a datafile's attributes (names every provider accepts)."""
_WRITING_MODES = frozenset("wax+")


def _cloud_url(project_name: str | None, bucket_name: str | None, path: str | None, cloud_path: str | None,
               what: str) -> str:
    """``cloud_path``, or the ``gs://`` URL of ``bucket_name`` and ``path`` (Octue's GCS form)."""
    if cloud_path is not None:
        if bucket_name is not None or path is not None:
            raise InvalidOptionError(f"give cloud_path or bucket_name and {what}, not both")
        return cloud_path
    if not bucket_name or not path:
        raise InvalidOptionError(f"the cloud location needs cloud_path=, or bucket_name= and {what}=")
    return f"gs://{bucket_name}/{path.lstrip('/')}"


def _options(url: str, project_name: str | None, url_options: Mapping[str, Any]) -> dict[str, Any]:
    """open_url's options for ``url``: Octue's ``project_name`` is the GCS driver's ``project``."""
    options = dict(url_options)
    if project_name and url.lower().startswith(("gs://", "gcs://")):
        options.setdefault("project", project_name)
    return options


def _timestamp(value: datetime.datetime | float | str | None) -> datetime.datetime | None:
    if value is None or isinstance(value, datetime.datetime):
        return value
    if isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
    return datetime.datetime.fromisoformat(value)


class Datafile:
    """One file, local or in any store, with Octue's id, labels, tags and timestamp.

    Args:
        path: a local path, or the storagekit URL of an object (whose metadata is read now).
        project_name: the Google Cloud project, for ``gs://`` paths.
        id, name, labels, tags, timestamp: as in Octue; a cloud object's stored ones are
            used for those not given. ``name`` defaults to the file name.
        hash_value: the expected MD5 (hex); checked before upload and after download.
        url_options: :func:`~storagekit.urls.open_url`'s options for a cloud path.

    Raises:
        ObjectDoesNotExistError: a cloud path with no object.
    """

    def __init__(self, path: str, project_name: str | None = None, id: str | None = None, name: str | None = None,
                 labels: Iterable[str] | None = None, tags: Mapping[str, Any] | None = None,
                 timestamp: datetime.datetime | float | str | None = None, hash_value: str | None = None,
                 **url_options: Any) -> None:
        self.project_name = project_name
        self.url_options = url_options
        self.cloud_path: str | None = path if is_url(path) else None
        self.local_path: str | None = None if self.cloud_path else os.path.abspath(path)
        self._entry: core.Datafile | None = None
        stored: dict[str, str] = {}
        if self.cloud_path:
            location = self._location(self.cloud_path)
            obj = location.driver.get_object(location.container_name, location.key)
            stored = {key: value for key, value in obj.meta_data.items() if key in _META.values()}
            md5 = hash_value or stored.get(_META["hash_value"]) or obj.checksums.get("md5")
            self._entry = core.Datafile(location.key.rsplit("/", 1)[-1], obj.size, md5 or "", None,
                                        str(obj.extra.get("content_type") or "application/octet-stream"), stored)
        self.id = id or stored.get(_META["id"]) or str(uuid.uuid4())
        self.name = name or os.path.basename(path.rstrip("/"))
        self.labels = set(labels if labels is not None else json.loads(stored.get(_META["labels"], "[]")))
        self.tags = dict(tags if tags is not None else json.loads(stored.get(_META["tags"], "{}")))
        self.timestamp = _timestamp(timestamp if timestamp is not None else stored.get(_META["timestamp"]))
        self._hash_value = hash_value

    @classmethod
    def _from_entry(cls, path: str, entry: core.Datafile, project_name: str | None,
                    url_options: Mapping[str, Any]) -> Datafile:
        """The datafile a dataset's manifest entry describes at ``path`` (no request is made)."""
        meta = entry.meta_data
        datafile = cls.__new__(cls)
        datafile.project_name, datafile.url_options = project_name, dict(url_options)
        datafile.cloud_path = path if is_url(path) else None
        datafile.local_path = None if datafile.cloud_path else path
        datafile._entry = entry
        datafile.id = meta.get(_META["id"]) or str(uuid.uuid4())
        datafile.name = os.path.basename(entry.name)
        datafile.labels = set(json.loads(meta.get(_META["labels"], "[]")))
        datafile.tags = dict(json.loads(meta.get(_META["tags"], "{}")))
        datafile.timestamp = _timestamp(meta.get(_META["timestamp"]))
        datafile._hash_value = entry.md5
        return datafile

    def __repr__(self) -> str:
        return f"<Datafile({self.name!r}, id={self.id})>"

    @property
    def path(self) -> str:
        """The cloud URL of a cloud datafile, else its local path."""
        return self.cloud_path or self.local_path or ""

    @property
    def exists_in_cloud(self) -> bool:
        return self.cloud_path is not None

    @property
    def hash_value(self) -> str:
        """The content's MD5 (hex), hashing a local file the first time it is asked for."""
        return self._hash_value or self.entry(self.name).md5

    @property
    def size_bytes(self) -> int:
        return self.entry(self.name).size

    def metadata(self) -> dict[str, str]:
        """The object metadata this datafile is stored with (its id, labels, tags, timestamp, hash)."""
        meta = {_META["id"]: self.id, _META["labels"]: json.dumps(sorted(self.labels)),
                _META["tags"]: json.dumps(self.tags, sort_keys=True)}
        if self.timestamp is not None:
            meta[_META["timestamp"]] = self.timestamp.isoformat()
        return meta

    def entry(self, name: str) -> core.Datafile:
        """This file's manifest entry under ``name``, with its metadata (a local file is hashed once)."""
        if self._entry is None:
            if self.local_path is None:
                raise InvalidOptionError(f"{self.name}: neither a local file nor a cloud object")
            self._entry = core.describe_file(self.local_path, name)
            if self._hash_value and self._hash_value != self._entry.md5:
                raise ObjectHashMismatchError(
                    f"{self.name}: md5 {self._entry.md5}, the datafile's hash_value is {self._hash_value}",
                    object_name=self.name)
        meta = {**self._entry.meta_data, **self.metadata()}
        meta[_META["hash_value"]] = self._entry.md5
        return core.Datafile(name, self._entry.size, self._entry.md5, self._entry.crc32c,
                             self._entry.content_type, meta)

    def _location(self, url: str) -> Location:
        return open_url(url, **_options(url, self.project_name, self.url_options))

    def to_cloud(self, project_name: str | None = None, bucket_name: str | None = None,
                 path_in_bucket: str | None = None, cloud_path: str | None = None, **url_options: Any) -> str:
        """Upload the file with its metadata; a cloud datafile's own path when no location is given.

        Args:
            project_name, bucket_name, path_in_bucket: Octue's GCS form of the location.
            cloud_path: the location as any storagekit URL.
            url_options: :func:`~storagekit.urls.open_url`'s options.

        Returns:
            The URL uploaded to (``gs://<bucket-name>/<path/in/bucket>`` in the GCS form).

        Raises:
            ObjectHashMismatchError: the file changed since it was hashed (nothing is uploaded).
            InvalidOptionError: no location, or both forms of one.
        """
        if cloud_path is None and bucket_name is None and path_in_bucket is None and self.cloud_path:
            cloud_path = self.cloud_path
        url = _cloud_url(project_name, bucket_name, path_in_bucket, cloud_path, "path_in_bucket")
        with self._local_copy() as local:  # a cloud datafile is read with its own options
            if project_name:
                self.project_name = project_name
            self.url_options = dict(url_options) if url_options else self.url_options  # the new place's
            location = self._location(url)
            location.ensure_container()
            entry = self.entry(os.path.basename(location.key))
            core.upload_datafile(local, location, entry)
        self._entry, self.cloud_path = entry, url
        return url

    @contextlib.contextmanager
    def _local_copy(self) -> Iterator[str]:
        """A local path holding the content: the local file, or a verified download of the object."""
        if self.local_path is not None:
            yield self.local_path
            return
        with tempfile.TemporaryDirectory() as directory:
            yield self._download_to(os.path.join(directory, self.name))

    def _download_to(self, target: str) -> str:
        assert self.cloud_path is not None
        core.download_datafile(self._location(self.cloud_path), self.entry(self.name), target)
        return target

    def download(self, local_path: str | None = None) -> str:
        """Download a cloud datafile (verified) to ``local_path`` or a temporary file; its local path.

        Raises:
            ObjectHashMismatchError: the object does not match its recorded hash (nothing is kept).
        """
        if self.cloud_path is None:
            return self.path
        if local_path is None:
            local_path = os.path.join(tempfile.mkdtemp(prefix="storagekit-"), self.name)
        self.local_path = self._download_to(local_path)
        return self.local_path

    @contextlib.contextmanager
    def open(self, mode: str = "r", **kwargs: Any) -> Iterator[IO[Any]]:
        """Open the file as :func:`open` does; a cloud file is downloaded first and, opened for
        writing, uploaded back (verified) when the block ends without an error."""
        if self.cloud_path is None:
            with open(self.path, mode, **kwargs) as file:
                yield file
            return
        local = self.download() if self.local_path is None else self.local_path
        with open(local, mode, **kwargs) as file:
            yield file
        if _WRITING_MODES & set(mode):
            self._entry = core.describe_file(local, self.name)
            self._hash_value = None
            self.to_cloud(cloud_path=self.cloud_path)


class Dataset:
    """Datafiles with a name, id, labels and tags, local (one directory) or in any store.

    Args:
        files: Datafiles or local paths.
        name: defaults to the directory's name.
        id, labels, tags: as in Octue.
        path: a local directory (every file under it is a datafile), or a dataset's cloud
            directory (read as :meth:`from_cloud` reads it).
        url_options: :func:`~storagekit.urls.open_url`'s options for cloud locations.
    """

    def __init__(self, files: Iterable[Datafile | str] = (), name: str | None = None, id: str | None = None,
                 labels: Iterable[str] | None = None, tags: Mapping[str, Any] | None = None,
                 path: str | None = None, project_name: str | None = None, **url_options: Any) -> None:
        self.project_name = project_name
        self.url_options = url_options
        if path is not None and is_url(path):
            self._adopt(core.Dataset.from_cloud(_directory(path), **_options(path, project_name, url_options)))
        else:
            chosen = [file if isinstance(file, Datafile) else Datafile(file) for file in files]
            if path is not None:
                described = core.Dataset.from_directory(path)
                chosen += [Datafile(os.path.join(described.location, entry.name)) for entry in described.files]
            self.files = chosen
            self.path = os.path.abspath(path) if path else _common_directory(chosen)
            self.name = os.path.basename(self.path.rstrip("/"))
            self.id = str(uuid.uuid4())
            self.labels: set[str] = set()
            self.tags: dict[str, Any] = {}
        self.name = name or self.name
        self.id = id or self.id
        self.labels = set(labels) if labels is not None else self.labels
        self.tags = dict(tags) if tags is not None else self.tags

    @classmethod
    def _from_core(cls, dataset: core.Dataset, project_name: str | None, url_options: Mapping[str, Any]) -> Dataset:
        """The dataset storagekit's manifest describes (no request is made)."""
        octue = cls.__new__(cls)
        octue.project_name, octue.url_options = project_name, dict(url_options)
        octue._adopt(dataset)
        return octue

    def _adopt(self, dataset: core.Dataset) -> None:
        """Take the name, id, labels, tags and files of a stored dataset."""
        self.path = dataset.location.rstrip("/") if is_url(dataset.location) else dataset.location
        self.name, self.id, self.labels, self.tags = dataset.name, dataset.id, set(dataset.labels), dict(dataset.tags)
        self.files = [Datafile._from_entry(_child(dataset.location, entry.name), entry, self.project_name,
                                           self.url_options) for entry in dataset.files]

    def __repr__(self) -> str:
        return f"<Dataset({self.name!r}, {len(self.files)} files, id={self.id})>"

    @property
    def exists_in_cloud(self) -> bool:
        return is_url(self.path)

    def _core(self) -> core.Dataset:
        """The dataset as storagekit's manifest describes it (names relative to its directory)."""
        location = _directory(self.path) if is_url(self.path) else self.path
        entries = []
        for datafile in self.files:
            own = datafile.path
            base = location if is_url(location) else self.path + os.sep
            name = own[len(base):].replace(os.sep, "/") if own.startswith(base) else datafile.name
            entries.append(datafile.entry(name))
        dataset = core.Dataset(location, entries, self.name, set(self.labels), dict(self.tags))
        dataset.id = self.id
        return dataset

    def to_cloud(self, project_name: str | None = None, bucket_name: str | None = None,
                 output_directory: str | None = None, cloud_path: str | None = None, **url_options: Any) -> str:
        """Upload the datafiles (each checked first) and the dataset's manifest.

        Args:
            project_name, bucket_name, output_directory: Octue's GCS form: the dataset goes to
                ``gs://<bucket_name>/<output_directory>/<dataset name>``.
            cloud_path: the dataset's own directory as any storagekit URL.
            url_options: :func:`~storagekit.urls.open_url`'s options.

        Returns:
            The dataset's cloud directory (no trailing slash).

        Raises:
            ObjectHashMismatchError: a file changed since it was hashed.
            InvalidOptionError: no location, or both forms of one.
        """
        if cloud_path is None:
            directory = _cloud_url(project_name, bucket_name, output_directory, None, "output_directory")
            cloud_path = f"{directory.rstrip('/')}/{self.name}"
        source = self._core()
        source_options = _options(self.path, self.project_name, self.url_options)
        self.project_name = project_name or self.project_name
        self.url_options = dict(url_options) if url_options else self.url_options  # the new place's
        options = _options(cloud_path, self.project_name, self.url_options)
        with tempfile.TemporaryDirectory() as scratch:
            if is_url(source.location):  # cloud to cloud: through a verified local copy
                source = source.download(scratch, **source_options)
            self._adopt(source.to_cloud(_directory(cloud_path), **options))
        return self.path

    @classmethod
    def from_cloud(cls, project_name: str | None = None, bucket_name: str | None = None,
                   path_to_dataset_directory: str | None = None, cloud_path: str | None = None,
                   **url_options: Any) -> Dataset:
        """The dataset stored in a cloud directory (Octue's GCS form, or ``cloud_path=`` any URL)."""
        url = _cloud_url(project_name, bucket_name, path_to_dataset_directory, cloud_path, "path_to_dataset_directory")
        return cls(path=url, project_name=project_name, **url_options)

    def download(self, local_directory: str | None = None) -> str:
        """Download every datafile (each verified) to ``local_directory`` or a temporary one; its path."""
        target = local_directory or tempfile.mkdtemp(prefix="storagekit-")
        source = self._core()
        local = source.download(target, **_options(self.path, self.project_name, self.url_options))
        for datafile, entry in zip(self.files, source.files, strict=True):
            if entry.name not in local.skipped:
                datafile.local_path = _child(local.location, entry.name)
        return local.location


class Manifest:
    """Named datasets, stored together or referenced wherever they live (any bucket or provider, or local).

    Args:
        datasets: dataset name (Octue's key) to :class:`Dataset`.
        id: as in Octue.
    """

    def __init__(self, datasets: Mapping[str, Dataset] | None = None, id: str | None = None) -> None:
        self.datasets = dict(datasets or {})
        self.id = id or str(uuid.uuid4())

    def __repr__(self) -> str:
        return f"<Manifest({', '.join(self.datasets)}, id={self.id})>"

    def to_cloud(self, project_name: str | None = None, bucket_name: str | None = None,
                 path_to_manifest_file: str | None = None, cloud_path: str | None = None,
                 store_datasets: bool = True, **url_options: Any) -> str:
        """Write the manifest to exactly the file named; with ``store_datasets`` upload local datasets
        into ``<the manifest's directory>/<dataset name>/`` first.

        With ``store_datasets=False`` the datasets stay where they are (any bucket or provider,
        or a local directory, which the manifest then describes so it reads back by its path).

        Returns:
            The manifest file's URL.
        """
        url = _cloud_url(project_name, bucket_name, path_to_manifest_file, cloud_path, "path_to_manifest_file")
        if not url.rsplit("/", 1)[-1].endswith(".json"):
            raise InvalidOptionError(f"{url!r}: the manifest file's name must end in .json")
        options = _options(url, project_name, url_options)
        if store_datasets:
            for dataset in self.datasets.values():
                if not dataset.exists_in_cloud:
                    dataset.to_cloud(cloud_path=f"{url.rpartition('/')[0]}/{dataset.name}", **options)
        core.Manifest({key: dataset._core() for key, dataset in self.datasets.items()}).to_cloud(
            url, store_datasets=False, **options)
        return url

    @classmethod
    def from_cloud(cls, project_name: str | None = None, bucket_name: str | None = None,
                   path_to_manifest_file: str | None = None, cloud_path: str | None = None,
                   **url_options: Any) -> Manifest:
        """The manifest in that file, its datasets read from wherever they live."""
        url = _cloud_url(project_name, bucket_name, path_to_manifest_file, cloud_path, "path_to_manifest_file")
        options = _options(url, project_name, url_options)
        stored = core.Manifest.from_cloud(url, **options)
        return cls({key: Dataset._from_core(dataset, project_name, url_options)
                    for key, dataset in stored.datasets.items() if isinstance(dataset, core.Dataset)})


def _directory(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _child(location: str, name: str) -> str:
    """The URL or local path of the file ``name`` of a dataset at ``location``."""
    if is_url(location):
        return _directory(location) + name
    return os.path.join(location, *name.split("/"))


def _common_directory(files: list[Datafile]) -> str:
    """The directory holding every local datafile (the current one for none)."""
    paths = [datafile.path for datafile in files if not datafile.exists_in_cloud]
    return os.path.commonpath([os.path.dirname(path) for path in paths]) if paths else os.getcwd()
