"""Google Cloud Storage over its JSON API, with ``requests`` and google-auth credentials.

Small objects go up in one multipart request (metadata and media together, MD5 and
CRC32C in the metadata so the server checks them). Larger objects use a resumable
upload, opened by ``_multipart_start``. A file goes up in one request read from the
file as it is sent, declaring its size and, in ``X-Goog-Hash``, its digest taken
beforehand (``_multipart_put_file``). A stream of unknown length is sent in chunks,
mapped onto the multipart primitives: each part is a chunk (a multiple of 256 KiB, in
order) and a short part is the last one and finalizes the upload. A request that breaks
is resumed from where the server says it stands. Reads are pinned to the
generation the caller looked up, so a resumed read never mixes two versions.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import uuid
from collections.abc import Callable, Generator, Iterator, Mapping
from contextlib import closing
from functools import partial
from typing import Any
from urllib.parse import quote

from ... import fields, streams
from ...base import Capabilities, StorageDriver
from ...http import Body, Connection, range_header
from ...models import Container, MultipartUpload, Object, Part, StreamedPage
from ...options import UploadOptions
from ...pagination import PageTokens
from ...spans import FileSpan
from ...transfer import MiB, PartLimits
from ...transport import Response
from ...types import (
    InvalidContainerNameError,
    InvalidObjectNameError,
    InvalidOptionError,
    MalformedResponseError,
    ObjectDoesNotExistError,
    PreconditionFailedError,
    Provider,
    StorageKitError,
)
from ._auth import BearerAuth, origin, resolve
from ._errors import parse_error
from ._signing import presign

__all__ = ["GoogleStorageDriver"]

log = logging.getLogger("storagekit.drivers.google_storage")

KiB = 1024
CHUNK_MULTIPLE = 256 * KiB
"""Every resumable-upload chunk but the last is a multiple of this."""
_CHECKSUM = "crc32c" if streams.FAST_CRC32C else "md5"
"""What uploads send for the server to check: CRC32C when it is cheap (google-crc32c installed,
0.07 CPU-s/GiB), else MD5 (1.7 CPU-s/GiB; the pure-Python CRC32C manages a few MB/s)."""

_OBJECT_FIELDS = (
    "name,size,generation,metageneration,etag,md5Hash,crc32c,componentCount,contentType,contentEncoding,"
    "contentDisposition,contentLanguage,cacheControl,storageClass,updated,timeCreated,metadata"
)
_LIST_FIELDS = f"nextPageToken,prefixes,items({_OBJECT_FIELDS})"
_BUCKET_FIELDS = "name,location,locationType,storageClass,timeCreated,versioning,etag"
_PROPERTIES = {  # UploadOptions field -> JSON API object field
    "content_type": "contentType",
    "content_encoding": "contentEncoding",
    "content_disposition": "contentDisposition",
    "content_language": "contentLanguage",
    "cache_control": "cacheControl",
    "storage_class": "storageClass",
}
_DIGESTS = (("md5", "md5Hash", 16), ("crc32c", "crc32c", 4))
"""(checksum name, JSON API object field, digest bytes) of the digests a resource carries, base64."""
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")
_MAX_REWRITE_CALLS = 10_000
_PAGE_SIZE = "1000"
"""GCS's own default and maximum, sent explicitly because emulators otherwise return everything at once."""
_PAGE_BYTES = 64 * MiB
"""Most bytes of one listing page read: 1,000 resources take a few MiB at most, and a JSON page is
parsed whole (the standard library has no incremental JSON parser), so a larger one is refused."""


def _goog_hashes(header: str) -> dict[str, str]:
    """The whole object's digests in an ``x-goog-hash`` value (``crc32c=<b64>,md5=<b64>``), hex.

    GCS sends them on every read, ranged or not; malformed entries are ignored."""
    digests = {}
    for entry in header.split(","):
        algorithm, _, value = entry.strip().partition("=")
        try:
            digest = base64.b64decode(value, validate=True)
        except ValueError:
            continue
        if (algorithm, len(digest)) in (("crc32c", 4), ("md5", 16)):
            digests[algorithm] = digest.hex()
    return digests


class GoogleStorageDriver(StorageDriver):
    """Google Cloud Storage (JSON API), or an emulator such as fake-gcs-server.

    Usage::

        driver = get_driver(Provider.GOOGLE_STORAGE)("sa@proj.iam.gserviceaccount.com", "/keys/sa.json")
        driver = get_driver(Provider.GOOGLE_STORAGE)(credentials={...key file dict...})
        driver = get_driver(Provider.GOOGLE_STORAGE)()   # application default credentials

    Args:
        key: libcloud style, the service-account email (with ``secret``, its JSON key file).
        secret: the path of that account's JSON key file (or its PEM private key).
        project: the project buckets are listed and created in; else the key file's
            or ``GOOGLE_CLOUD_PROJECT``.
        credentials: a key-file path, its dict or JSON text, google-auth ``Credentials``,
            ``"anonymous"``, or ``"default"`` / ``"cache"`` for application default credentials.
        creds: a synonym of ``credentials`` (``open_url(url, creds=...)`` reads the same everywhere).
        endpoint_url: another endpoint (an emulator); ``STORAGE_EMULATOR_HOST`` also sets one.
        **options: connection settings (``timeout``, ``retry``, ``verify``, ``pool_size``,
            ``transport``, ``hooks``: see :meth:`storagekit.http.Connection.from_options`) and
            transfer settings (``part_size``, ``multipart_threshold``, ``max_concurrency``, ``progress``).
    """

    name = "Google Cloud Storage"
    provider = Provider.GOOGLE_STORAGE
    website = "https://cloud.google.com/storage"
    capabilities = Capabilities(
        multipart=True,
        # transfer.py hashes while it reads parts; the session's last request carries the digest
        # (X-Goog-Hash) for the server to check, and the finished object is checked against it.
        multipart_checksums=(_CHECKSUM,),
        server_side_copy=True,
        signed_urls=True,
        conditional_writes=True,
    )
    part_limits = PartLimits(
        min_size=CHUNK_MULTIPLE, max_size=5 * 1024 * 1024 * MiB, max_parts=100_000, multiple=CHUNK_MULTIPLE,
        ordered=True, from_file=True,
    )
    metadata_limit = 8 * KiB
    """Custom metadata, names and values together, is at most 8 KiB (the JSON API's
    ``MAX_CUSTOM_METADATA_TOTAL_SIZE_BYTES``)."""
    list_page_size = 5000
    """``maxResults`` of an object listing. GCS returns 1,000 at most whatever is asked;
    fake-gcs-server takes the number as given, and as it reads every object of the bucket for
    each page (0.6 s for 10,000 objects), five times fewer pages list several times faster
    there. Memory stays bounded by the page's byte limit (64 MiB)."""

    def __init__(
        self,
        key: str | None = None,
        secret: str | None = None,
        project: str | None = None,
        *,
        credentials: Any = None,
        creds: Any = None,
        endpoint_url: str | None = None,
        **options: Any,
    ) -> None:
        _check_auth_type(options.pop("auth_type", None), key, self)
        resolved = resolve(key, secret, project, credentials, endpoint_url, creds=creds)
        self.credentials = resolved.credentials
        self.project = resolved.project
        self.endpoint = resolved.endpoint
        self._buckets_url = f"{self.endpoint}/storage/v1/b"
        self._uploads_url = f"{self.endpoint}/upload/storage/v1/b"
        self._take_transfer_options(options)
        self.connection = Connection.from_options(
            options, error_parser=parse_error, driver=self, pool_size=max(16, 2 * self.transfer_config.max_concurrency),
            auth=BearerAuth(self.credentials, self.endpoint) if self.credentials is not None else None,
        )

    def __repr__(self) -> str:
        who = type(self.credentials).__name__ if self.credentials is not None else "anonymous"
        return f"<GoogleStorageDriver endpoint={self.endpoint} project={self.project} credentials={who}>"

    @property
    def credential_source(self) -> str:
        """The google-auth credentials in use (their kind and service account), never a secret."""
        if self.credentials is None:
            return f"anonymous (no credentials) at {self.endpoint}"
        account = getattr(self.credentials, "service_account_email", None)
        kind = type(self.credentials).__name__
        return f"{kind} for {account}" if isinstance(account, str) and "@" in account else kind

    # ------------------------------------------------------------------ names

    def _check_container_name(self, name: str) -> None:
        super()._check_container_name(name)
        if not _BUCKET_NAME.match(name) or ".." in name:
            raise InvalidContainerNameError(
                f"invalid bucket name {name!r}: 3-222 characters of a-z, 0-9, '-', '_', '.', "
                "starting and ending with a letter or digit", self, container_name=name,
            )

    def _check_object_name(self, name: str) -> None:
        super()._check_object_name(name)
        if name in (".", "..") or "\r" in name or "\n" in name:
            raise InvalidObjectNameError(
                f"invalid object name {name!r}: GCS refuses '.', '..' and carriage returns or line feeds",
                self, object_name=name,
            )

    def _object_url(self, bucket: str, name: str) -> str:
        return f"{self._buckets_url}/{quote(bucket, safe='')}/o/{quote(name, safe='')}"

    # ------------------------------------------------------------------ buckets

    def _iter_containers(self) -> Iterator[Container]:
        params = {
            "project": self._require_project("list buckets"),
            "fields": f"nextPageToken,items({_BUCKET_FIELDS})",
            "maxResults": _PAGE_SIZE,
        }
        tokens = PageTokens("the buckets", self)
        while True:
            response = self.connection.request("GET", self._buckets_url, params=params, stream=True)
            page = self._page(response, "a bucket listing")
            for resource in page.get("items", ()):
                yield self._container(resource)
            token = tokens.follow(page.get("nextPageToken"))
            if token is None:
                return
            params["pageToken"] = token

    def _get_container(self, name: str) -> Container:
        response = self.connection.request(
            "GET", f"{self._buckets_url}/{quote(name, safe='')}", container_name=name,
        )
        return self._container(fields.json_object(response.content, f"the resource of bucket {name}", self))

    def create_container(
        self, container_name: str, ex_location: str | None = None, ex_storage_class: str | None = None
    ) -> Container:
        """Create a bucket in the driver's project, optionally in a location and storage class.

        Example: ``driver.create_container("logs", ex_location="EU", ex_storage_class="NEARLINE")``

        Args:
            container_name: the bucket's name.
            ex_location: where the bucket lives (``EU``, ``us-east1``, ...; default the service's).
            ex_storage_class: the bucket's default storage class (``STANDARD``, ``NEARLINE``, ...).

        Returns:
            The new :class:`~storagekit.models.Container`.

        """
        self._check_container_name(container_name)
        return self._create_container(container_name, ex_location, ex_storage_class)

    def _create_container(self, name: str, location: str | None = None, storage_class: str | None = None) -> Container:
        body: dict[str, Any] = {"name": name}
        if location:
            body["location"] = location
        if storage_class:
            body["storageClass"] = storage_class
        response = self.connection.request(
            "POST", self._buckets_url, params={"project": self._require_project("create buckets")},
            data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, container_name=name,
        )
        return self._container(response.json())

    def _delete_container(self, container: Container) -> None:
        self.connection.request(
            "DELETE", f"{self._buckets_url}/{quote(container.name, safe='')}", container_name=container.name
        )

    def _require_project(self, what: str) -> str:
        if not self.project:
            raise InvalidOptionError(
                f"a project is needed to {what}: pass project=, use a key file that names one, "
                "or set GOOGLE_CLOUD_PROJECT", self,
            )
        return self.project

    def _container(self, resource: Mapping[str, Any]) -> Container:
        if not isinstance(resource, Mapping) or not isinstance(resource.get("name"), str):
            raise MalformedResponseError(f"the service sent a bucket resource without a name: {str(resource)[:80]}",
                                         self)
        extra = {
            "location": resource.get("location"),
            "location_type": resource.get("locationType"),
            "storage_class": resource.get("storageClass"),
            "creation_date": resource.get("timeCreated"),
            "versioning": bool((resource.get("versioning") or {}).get("enabled")),
            "etag": resource.get("etag"),
        }
        return Container(resource["name"], extra, self)

    # ------------------------------------------------------------------ objects

    def _list_page(
        self, container: Container, prefix: str, delimiter: str | None, token: str | None
    ) -> StreamedPage[dict[str, Any]]:
        """A page of the JSON API's object list: its JSON parsed now (so the next page can be asked for
        while this one is read), each resource made an Object as the caller reaches it."""
        params = {"fields": _LIST_FIELDS, "maxResults": str(self.list_page_size)}
        if prefix:
            params["prefix"] = prefix
        if delimiter:
            params["delimiter"] = delimiter
        if token:
            params["pageToken"] = token
        response = self.connection.request(
            "GET", f"{self._buckets_url}/{quote(container.name, safe='')}/o", params=params, stream=True,
            container_name=container.name,
        )
        page = self._page(response, f"an object listing of {container.name}")
        items, prefixes, token = page.get("items", []), page.get("prefixes", []), page.get("nextPageToken")
        if not (isinstance(items, list) and all(isinstance(item, dict) for item in items)
                and isinstance(prefixes, list) and all(isinstance(p, str) for p in prefixes)
                and isinstance(token, (str, type(None)))):
            raise MalformedResponseError(
                f"the object listing of {container.name} has items, prefixes or nextPageToken of the wrong type",
                self, container_name=container.name,
            )
        return StreamedPage(_listed(items, prefixes, token), partial(self._object, container), _nothing,
                            in_order=False, next_token=token, ahead=True)

    def _page(self, response: Response, what: str) -> dict[str, Any]:
        """A listing page's JSON, read up to :data:`_PAGE_BYTES`.

        Raises:
            MalformedResponseError: the page is larger than that, or not a JSON object.
        """
        with closing(response):
            length = response.headers.get("Content-Length")
            if length is not None and fields.size(length, "Content-Length", self) > _PAGE_BYTES:
                raise MalformedResponseError(
                    f"the service sent {what} of {length} bytes; storagekit reads at most {_PAGE_BYTES}", self
                )
            data = fields.read_capped(Body(response, driver=self), _PAGE_BYTES, what, self)
        return fields.json_object(data, what, self)

    def _head_object(self, container: Container, name: str) -> Object:
        # No ``fields`` here: one resource is small, and a long query costs more to encode than it saves.
        response = self.connection.request(
            "GET", self._object_url(container.name, name), container_name=container.name, object_name=name,
        )
        return self._object(container, fields.json_object(response.content, f"the resource of {name}", self))

    def _open_range(self, obj: Object, start: int, end: int) -> Body:
        params = {"alt": "media"}
        generation = obj.extra.get("generation")
        if generation:
            params["ifGenerationMatch"] = generation
        # gzip-encoded objects are served as stored, not decompressed, so sizes and hashes hold.
        headers = {"Accept-Encoding": "gzip"}
        if start or end < obj.size:
            headers["Range"] = range_header(start, end)
        response = self.connection.request(
            "GET", self._object_url(obj.container.name, obj.name), params=params, headers=headers, stream=True,
            container_name=obj.container.name, object_name=obj.name,
        )
        for algorithm, digest in _goog_hashes(response.headers.get("x-goog-hash", "")).items():
            obj.checksums.setdefault(algorithm, digest)
        return Body(response, driver=self, container_name=obj.container.name, object_name=obj.name)

    def _delete_object(self, container: Container, name: str) -> None:
        self.connection.request(
            "DELETE", self._object_url(container.name, name), container_name=container.name, object_name=name
        )

    def _object(self, container: Container, resource: Mapping[str, Any]) -> Object:
        """An Object from a JSON API object resource; digests arrive base64, are kept hex.

        Raises:
            MalformedResponseError: the resource has no name, or a size or digest that is not one.
        """
        name = resource.get("name") if isinstance(resource, Mapping) else None
        if not isinstance(name, str) or not name:
            raise MalformedResponseError(
                f"the service sent an object resource without a name: {str(resource)[:80]}", self,
                container_name=container.name,
            )
        get = resource.get  # a listing page makes a thousand of these: each lookup counts
        checksums = {}
        for algorithm, field, length in _DIGESTS:
            if digest := get(field):
                checksums[algorithm] = fields.base64_digest(str(digest), field, self, length=length,
                                                            object_name=name).hex()
        extra: dict[str, Any] = {
            option: value for option, field in _PROPERTIES.items() if (value := get(field)) is not None
        }
        extra.setdefault("content_type", "application/octet-stream")
        extra["etag"] = get("etag")
        extra["last_modified"] = get("updated")
        extra["creation_date"] = get("timeCreated")
        extra["generation"] = get("generation")
        extra["metageneration"] = get("metageneration")
        if get("componentCount"):
            extra["component_count"] = fields.size(resource["componentCount"], "componentCount", self,
                                                   object_name=name)
        metadata = resource.get("metadata") or {}
        if not isinstance(metadata, Mapping):
            raise MalformedResponseError(f"the resource of {name} has metadata that is not an object", self,
                                         object_name=name)
        size = fields.size(resource.get("size", "0"), "size", self, object_name=name)
        return Object(
            name, size, checksums.get("md5") or resource.get("etag"), extra, dict(metadata), container, self,
            checksums,
        )

    # ------------------------------------------------------------------ uploads

    def _put_object(self, container: Container, name: str, part: Part, options: UploadOptions) -> Object:
        """One multipart/related request: the metadata (with the CRC32C or MD5 the server checks) and the bytes."""
        metadata = self._metadata(name, options)
        if _CHECKSUM == "crc32c":
            metadata["crc32c"] = base64.b64encode(part.crc32c.to_bytes(4, "big")).decode()
        else:
            metadata["md5Hash"] = part.md5_base64
        boundary = uuid.uuid4().hex
        body = b"".join((
            f"--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n".encode(),
            json.dumps(metadata).encode(),
            f"\r\n--{boundary}\r\nContent-Type: {metadata['contentType']}\r\n\r\n".encode(),
            part.data,
            f"\r\n--{boundary}--\r\n".encode(),
        ))
        params = self._upload_params(container, name, options, "multipart")
        headers = {**options.headers, "Content-Type": f"multipart/related; boundary={boundary}"}
        response = self.connection.request(
            "POST", f"{self._uploads_url}/{quote(container.name, safe='')}/o", params=params, headers=headers,
            data=body, idempotent="ifGenerationMatch" in params, container_name=container.name, object_name=name,
        )
        return self._object(container, self._resource(response, container.name, name))

    def _multipart_start(self, container: Container, name: str, options: UploadOptions) -> MultipartUpload:
        """Open a resumable-upload session; its URI is the upload id (and a capability: never logged).

        A session on another origin than the endpoint (scheme, host, port) is refused: neither the
        object's bytes nor the OAuth token (which the auth would withhold anyway) go there."""
        metadata = self._metadata(name, options)
        params = self._upload_params(container, name, options, "resumable")
        headers = {
            **options.headers,
            "Content-Type": "application/json; charset=UTF-8",
            "X-Upload-Content-Type": metadata["contentType"],
        }
        response = self.connection.request(
            "POST", f"{self._uploads_url}/{quote(container.name, safe='')}/o", params=params, headers=headers,
            data=json.dumps(metadata).encode(), idempotent=False, container_name=container.name, object_name=name,
        )
        session = response.headers.get("Location")
        if not session:
            raise MalformedResponseError(f"GCS opened no resumable session for {name}", self,
                                         container_name=container.name, object_name=name)
        if origin(session) != origin(self.endpoint):
            scheme, host, port = origin(session)
            raise MalformedResponseError(
                f"GCS opened the resumable session for {name} at another origin ({scheme}://{host}:{port}, "
                f"not {self.endpoint}); refused: nothing is sent there", self,
                container_name=container.name, object_name=name,
            )
        return MultipartUpload(container, name, session, {"resource": None})

    def _multipart_put(self, upload: MultipartUpload, part: Part) -> int:
        """Send one chunk; a short one is the last and finalizes."""
        end = part.offset + len(part.data)
        total = str(end) if len(part.data) % CHUNK_MULTIPLE else "*"
        self._send_chunk(upload, part.offset, end, total, lambda start: part.data[start - part.offset:])
        return len(part.data)

    def _multipart_put_file(self, upload: MultipartUpload, span: FileSpan, checksums: dict[str, str]) -> Object:
        """Send the whole object in one request read from the file as it goes, declaring its size
        and its digests (``X-Goog-Hash``: GCS refuses to finish an upload that differs); this
        finishes the upload.

        One request is what GCS advises (a resumable upload resumes at any byte) and what costs
        fake-gcs-server least: it hashes all the session holds again at every chunk.
        """

        def body(start: int) -> FileSpan:
            span.seek(start)
            return span

        size = len(span)
        self._send_chunk(upload, 0, size, str(size), body, self._hash_headers(checksums))
        return self._object(upload.container, upload.state["resource"])

    def _send_chunk(
        self, upload: MultipartUpload, offset: int, end: int, total: str, body: Callable[[int], Any],
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Send bytes ``offset``..``end`` (``body(start)`` gives them from ``start`` on) declaring
        ``total`` (``*`` while unknown); a chunk that declares it finalizes, and the object
        resource is kept in ``upload.state``.

        A broken chunk resumes where the server says it stands, as the connection's retry policy
        allows (bytes the server took count as progress; the status queries' own retries count
        in the same stall).
        """
        start = offset
        stall = self.connection.stall()
        while True:
            try:
                response = self._session_request(upload, body(start), f"bytes {start}-{end - 1}/{total}", headers,
                                                 idempotent=False)
                break
            except StorageKitError as error:
                if not stall.again(error):
                    raise
                with stall.active():
                    response = self._session_request(upload, b"", f"bytes */{total}")
                if response.status_code != 308 and (total == "*" or 0 <= self._finished_size(response) < end):
                    self._discard_premature_object(upload, response)
                    raise
                persisted = self._persisted(response)
                if response.status_code != 308 or persisted >= end:
                    break
                if persisted < offset:
                    raise MalformedResponseError(
                        f"GCS lost bytes {persisted}-{offset - 1} of {upload.object_name} already sent", self,
                        container_name=upload.container.name, object_name=upload.object_name,
                    ) from None
                if persisted > start:
                    stall.progressed()
                start = persisted
        if response.status_code != 308:
            upload.state["resource"] = self._resource(response, upload.container.name, upload.object_name)
        elif total != "*" or self._persisted(response) < end:
            raise MalformedResponseError(
                f"GCS kept {self._persisted(response)} bytes of {upload.object_name}, not the {end} sent", self,
                container_name=upload.container.name, object_name=upload.object_name,
            )

    def _discard_premature_object(self, upload: MultipartUpload, response: Response) -> None:
        """Delete the object a server made when merely asked where an unfinished upload stands.

        GCS answers such a status query with 308 (or, once it holds every byte of a declared
        total, with the object); fake-gcs-server finalizes the upload instead, publishing a
        truncated object. That exact generation is deleted; the chunk's error stands.
        """
        resource = response.json()
        log.warning("the server finished the upload of %s at %s bytes when asked for its status; deleting that object",
                    upload.object_name, resource.get("size"))
        try:
            self.connection.request(
                "DELETE", self._object_url(upload.container.name, upload.object_name),
                params={"ifGenerationMatch": resource["generation"]}, container_name=upload.container.name,
                object_name=upload.object_name,
            )
        except (StorageKitError, KeyError) as error:
            log.warning("could not delete the truncated %s: %s", upload.object_name, error)

    def _multipart_complete(self, upload: MultipartUpload, parts: list[Any], checksums: dict[str, str]) -> Object:
        """Finalize the session with an empty PUT declaring the total (unless the last chunk did)."""
        resource = upload.state["resource"]
        if resource is None:
            response = self._session_request(upload, b"", f"bytes */{sum(parts)}", self._hash_headers(checksums))
            if response.status_code == 308:
                raise MalformedResponseError(
                    f"GCS did not finish the upload of {upload.object_name} (it holds {self._persisted(response)} "
                    f"of {sum(parts)} bytes)", self, container_name=upload.container.name,
                    object_name=upload.object_name,
                )
            resource = self._resource(response, upload.container.name, upload.object_name)
        return self._object(upload.container, resource)

    @staticmethod
    def _hash_headers(checksums: Mapping[str, str]) -> dict[str, str]:
        """``X-Goog-Hash`` for the request that finishes an upload: the server refuses the object if it differs."""
        return {"X-Goog-Hash": ",".join(
            f"{algorithm}={base64.b64encode(bytes.fromhex(digest)).decode()}" for algorithm, digest in checksums.items()
        )} if checksums else {}

    def _resource(self, response: Response, bucket: str, name: str) -> dict[str, Any]:
        """The object resource a finished upload answers with; anything else (no JSON, another
        object, no size or generation) is a MalformedResponseError, never an Object."""
        try:
            resource = response.json()
        except ValueError:
            resource = None
        if (
            not isinstance(resource, dict) or resource.get("name") != name
            or not str(resource.get("size", "")).isdigit() or not resource.get("generation")
        ):
            raise MalformedResponseError(
                f"the upload of {bucket}/{name} was answered {response.status_code} without its object resource: "
                "it cannot be trusted", self, container_name=bucket, object_name=name,
            )
        return resource

    def _multipart_abort(self, upload: MultipartUpload) -> None:
        """Cancel the session; GCS answers 499 when it did."""
        self.connection.request(
            "DELETE", upload.upload_id, accept=(499,), container_name=upload.container.name,
            object_name=upload.object_name,
        )

    def _session_request(
        self, upload: MultipartUpload, data: Any, content_range: str, headers: Mapping[str, str] | None = None,
        idempotent: bool = True,
    ) -> Response:
        return self.connection.request(
            "PUT", upload.upload_id, data=data, headers={**(headers or {}), "Content-Range": content_range},
            accept=(308,), idempotent=idempotent, container_name=upload.container.name,
            object_name=upload.object_name,
        )

    @staticmethod
    def _finished_size(response: Response) -> int:
        """The size of the object a status query was answered with (-1 if it names none)."""
        try:
            size = str(response.json().get("size", ""))
        except (ValueError, AttributeError):
            return -1
        return int(size) if size.isdigit() else -1

    @staticmethod
    def _persisted(response: Response) -> int:
        """How many bytes a 308 says the session holds (``Range: bytes=0-N``, none if absent)."""
        value = response.headers.get("Range", "")
        return int(value.rpartition("-")[2]) + 1 if value.startswith("bytes=0-") else 0

    def _metadata(self, name: str, options: UploadOptions) -> dict[str, Any]:
        """The object resource an upload or copy sets: properties and custom metadata."""
        metadata: dict[str, Any] = {"name": name}
        for option, field in _PROPERTIES.items():
            value = getattr(options, option)
            if value is not None:
                metadata[field] = value
        metadata.setdefault("contentType", "application/octet-stream")
        if options.meta_data:
            metadata["metadata"] = options.meta_data
        return metadata

    def _upload_params(
        self, container: Container, name: str, options: UploadOptions, upload_type: str | None
    ) -> dict[str, str]:
        """Query parameters for a write: conditions, predefined ACL, KMS key."""
        if options.blob_type:
            raise InvalidOptionError("blob_type is an Azure option; GCS has none", self, object_name=name)
        if options.server_side_encryption not in (None, "AES256", "aws:kms"):
            raise InvalidOptionError(
                f"server_side_encryption {options.server_side_encryption!r}: GCS always encrypts; "
                "give kms_key_id for a customer-managed key", self, object_name=name,
            )
        params = {"uploadType": upload_type} if upload_type else {}
        if options.if_none_match is not None:
            if options.if_none_match != "*":
                raise InvalidOptionError("if_none_match takes only '*' (create-only) on GCS", self, object_name=name)
            params["ifGenerationMatch"] = "0"
        if options.if_match is not None:
            params["ifGenerationMatch"] = self._generation_for(container, name, options.if_match)
        if options.acl:
            params["predefinedAcl"] = re.sub(r"-(\w)", lambda m: m.group(1).upper(), options.acl)
        if options.kms_key_id:
            params["kmsKeyName"] = options.kms_key_id
        return params

    def _generation_for(self, container: Container, name: str, if_match: str) -> str:
        """``if_match`` as a generation: a number is one; an etag is looked up, and the write then
        requires that generation, so a change after the lookup still fails the write."""
        value = if_match.strip('"')
        if value.isdigit():
            return value
        try:
            current = self._head_object(container, name)
        except ObjectDoesNotExistError:
            current = None
        if current is None or current.extra.get("etag") != value:
            raise PreconditionFailedError(
                f"{name} does not have etag {if_match}", self, http_status=412,
                container_name=container.name, object_name=name,
            )
        return str(current.extra["generation"])

    # ------------------------------------------------------------------ copies and URLs

    def _copy_object(self, obj: Object, container: Container, name: str, options: UploadOptions) -> Object:
        """Server-side rewrite, called again with its token until GCS says it is done."""
        for option in _PROPERTIES:
            if getattr(options, option) is None and option != "storage_class":
                setattr(options, option, obj.extra.get(option))
        metadata = self._metadata(name, options)
        del metadata["name"]
        params = self._upload_params(container, name, options, None)
        url = f"{self._object_url(obj.container.name, obj.name)}/rewriteTo/b/{quote(container.name, safe='')}" \
              f"/o/{quote(name, safe='')}"
        body = json.dumps(metadata).encode()
        for _ in range(_MAX_REWRITE_CALLS):
            answer = self.connection.request(
                "POST", url, params=params, data=body, headers={"Content-Type": "application/json"},
                idempotent=True, container_name=container.name, object_name=name,
            ).json()
            if answer.get("done"):
                return self._object(container, answer["resource"])
            params["rewriteToken"] = answer["rewriteToken"]
        raise MalformedResponseError(f"the rewrite of {obj.name} to {name} never finished", self,
                                     container_name=container.name, object_name=name)

    def _sign_url(self, container: Container, name: str, method: str, expires_in: int) -> str:
        return presign(self.credentials, self.endpoint, container.name, name, method, expires_in).url


def _listed(
    items: list[dict[str, Any]], prefixes: list[str], token: str | None,
) -> Generator[dict[str, Any] | str, None, str | None]:
    """A listing page's prefixes (``str``) and object resources, and its token."""
    yield from prefixes
    yield from items
    return token


def _nothing() -> None:
    """A parsed JSON page holds no connection or file to release."""


def _check_auth_type(auth_type: str | None, key: str | None, driver: StorageDriver) -> None:
    """libcloud's ``auth_type``: ``"SA"`` (a service account: ``key`` is its e-mail, ``secret`` its key
    file or PEM key) and ``"GCE"`` (the VM's metadata server, found by Application Default
    Credentials when no key is given) are what storagekit does anyway; the others are refused.

    Raises:
        InvalidOptionError: ``"IA"`` (an interactive browser login), ``"GCS_S3"`` (HMAC keys, an
            S3 dialect this JSON-API driver does not speak), ``"GCE"`` with a key, or an unknown value.
    """
    if auth_type in (None, "SA") or (auth_type == "GCE" and key is None):
        return
    reasons = {
        "IA": "an installed-application (browser) login is not supported: run `gcloud auth application-default "
              "login` once and pass no key",
        "GCS_S3": "HMAC keys are not supported by this driver: use a service account, or the S3 driver with "
                  "endpoint_url='https://storage.googleapis.com'",
        "GCE": "auth_type='GCE' uses the VM's own credentials: pass no key",
    }
    raise InvalidOptionError(
        f"auth_type={auth_type!r}: {reasons.get(str(auth_type), 'libcloud knows SA, IA, GCE and GCS_S3')}", driver
    )
