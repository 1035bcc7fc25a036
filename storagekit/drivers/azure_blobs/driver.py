"""The Azure Blob Storage driver: the storagekit primitives over the Blob service REST API.

Raw HTTP through :class:`storagekit.http.Connection`; authorization in ``_auth.py``,
account resolution in ``_config.py``, SAS in ``_sas.py``, errors in ``_errors.py``, XML
in ``_xml.py``. Every request carries ``x-ms-version`` :data:`X_MS_VERSION`.

Large uploads are Put Block + Put Block List. An aborted upload sends no request: its
uncommitted blocks are invisible (List Blobs, Get Blob and Get Blob Properties only see
committed blocks), an existing blob of that name is left untouched, and Azure discards
uncommitted blocks after a week. Block ids embed a random upload id, so concurrent
uploads of one name never commit each other's blocks.

Integrity: with awscrt installed every block and block list carries ``x-ms-content-crc64``
(CRC-64/NVME, :mod:`storagekit.crc64`), which the service checks; without it (or where the
service refuses the header: Azurite in strict mode) a block over plain HTTP carries ``Content-MD5``.
The whole blob's check is its MD5 (``x-ms-blob-content-md5``, one pass over the bytes, which every
Azure tool verifies), or, with ``checksum="crc64"``, its CRC64 combined from the blocks' and
stored in the metadata entry :data:`CRC64_METADATA` (no MD5 computed at all); storagekit
verifies either on every download.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from functools import reduce
from typing import Any, NamedTuple
from urllib.parse import quote

from ... import crc64, fields
from ...base import Capabilities, StorageDriver
from ...http import Body, Connection, range_header
from ...models import Container, MultipartUpload, Object, Part, StreamedPage
from ...options import UploadOptions
from ...pagination import PageTokens
from ...transfer import MiB, PartLimits
from ...types import (
    ContainerIsNotEmptyError,
    InvalidContainerNameError,
    InvalidOptionError,
    MalformedResponseError,
    NotSupportedError,
    ObjectError,
    PreconditionFailedError,
    Provider,
    ServiceUnavailableError,
)
from ...xmlparser import peek_text
from . import _config, _libcloud, _sas, _xml
from ._errors import parse_error

__all__ = ["CRC64_METADATA", "X_MS_VERSION", "AzureBlobsStorageDriver"]

log = logging.getLogger("storagekit.azure")

X_MS_VERSION = "2025-11-05"
"""The Blob service REST version every request asks for (Azurite 3.35 speaks it too)."""

CRC64_METADATA = "storagekit_crc64"
"""The metadata entry holding a blob's whole CRC-64/NVME (base64 of its 8 little-endian bytes,
as ``x-ms-content-crc64`` carries one), written with ``checksum="crc64"``; storagekit verifies
downloads against it and keeps it out of ``Object.meta_data``."""
_CRC64_HEADER = f"x-ms-meta-{CRC64_METADATA}"
_CHECKSUMS = ("md5", "crc64")

_CONTAINER_NAME = re.compile(r"[a-z0-9](?:-?[a-z0-9])*")
_SPECIAL_CONTAINERS = ("$root", "$logs", "$web")
_METADATA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
_CONTENT_HEADERS = {
    "content_type": "x-ms-blob-content-type",
    "content_encoding": "x-ms-blob-content-encoding",
    "content_language": "x-ms-blob-content-language",
    "content_disposition": "x-ms-blob-content-disposition",
    "cache_control": "x-ms-blob-cache-control",
}
# Where a blob's properties are found, as (key in Object.extra, List Blobs element lowercased).
_EXTRA_PROPERTIES = (
    ("content_type", "content-type"),
    ("content_encoding", "content-encoding"),
    ("content_language", "content-language"),
    ("content_disposition", "content-disposition"),
    ("cache_control", "cache-control"),
    ("last_modified", "last-modified"),
    ("storage_class", "accesstier"),
    ("blob_type", "blobtype"),
)
# Get Blob Properties sends these under other names than List Blobs does.
_HEADER_ALIASES = {"x-ms-access-tier": "accesstier", "x-ms-blob-type": "blobtype", "etag": "etag"}


def _md5_hex(value: str | None, driver: Any = None, name: str | None = None) -> str | None:
    """A base64 Content-MD5 as hex (None if absent).

    Raises:
        MalformedResponseError: it is not the base64 of an MD5.
    """
    if not value:
        return None
    return fields.base64_digest(value, "Content-MD5", driver, length=16, object_name=name).hex()


def _crc64_hex(value: str | None, driver: Any = None, name: str | None = None) -> str | None:
    """A base64 CRC64 (little-endian, as Azure writes it) as 16 hex digits (None if absent).

    Raises:
        MalformedResponseError: it is not the base64 of 8 bytes.
    """
    if not value:
        return None
    return crc64.to_hex(crc64.from_bytes(fields.base64_digest(value, CRC64_METADATA, driver, length=8,
                                                               object_name=name)))


class _Block(NamedTuple):
    """A block sent: its id, its CRC64 (None without awscrt) and its size."""

    id: str
    crc64: int | None
    size: int


def _quoted(etag: str) -> str:
    return etag if etag == "*" or etag.startswith('"') else f'"{etag}"'


class AzureBlobsStorageDriver(StorageDriver):
    """Azure Blob Storage (and Azurite) over raw HTTP.

    Usage::

        driver = get_driver(Provider.AZURE_BLOBS)("myaccount", "base64key==")
        driver = get_driver(Provider.AZURE_BLOBS)(connection_string="UseDevelopmentStorage=true")
        driver = get_driver(Provider.AZURE_BLOBS)("myaccount", credential=DefaultAzureCredential())
    """

    name = "Microsoft Azure (blobs)"
    provider = Provider.AZURE_BLOBS
    website = "https://azure.microsoft.com/services/storage/blobs/"
    capabilities = Capabilities(multipart=True, server_side_copy=True, signed_urls=True)
    part_limits = PartLimits(min_size=1, max_size=4000 * MiB, max_parts=50_000)
    metadata_limit = 8 * 1024
    """Azure's limit: a blob's metadata, names and values together, takes at most 8 KB."""

    list_page_size = 5000
    """``maxresults`` of List Blobs / List Containers (5000 is the service's maximum)."""
    copy_timeout = 3600.0
    """Seconds to wait for a pending server-side copy to finish."""

    def __init__(
        self,
        key: str | None = None,
        secret: str | None = None,
        secure: bool = True,
        host: str | None = None,
        port: int | None = None,
        *,
        sas_token: str | None = None,
        credential: Any = None,
        endpoint_url: str | None = None,
        connection_string: str | None = None,
        creds: Mapping[str, Any] | None = None,
        anonymous: bool = False,
        auth_type: str | None = None,
        tenant_id: str | None = None,
        identity: str | None = None,
        cloud_environment: str = "default",
        checksum: str = "md5",
        **options: Any,
    ) -> None:
        """Connect to an account (nothing is sent until the first call).

        The first five arguments are libcloud's, in libcloud's order.

        Args:
            key: the account name.
            secret: its key (Shared Key).
            secure, host, port: libcloud's way to name the endpoint (see :mod:`._libcloud`):
                ``("devstoreaccount1", key, host="127.0.0.1", port=10000, secure=False)`` is Azurite.
            auth_type, tenant_id, identity, cloud_environment: libcloud's Entra ID sign-in:
                ``auth_type="azureAd"`` makes ``identity`` (client id) and ``secret`` (client secret)
                a ``ClientSecretCredential`` in ``tenant_id`` (azure-identity needed).
            sas_token: a SAS token instead of a key.
            credential: an ``AzureNamedKeyCredential``, ``AzureSasCredential``, any
                azure-core ``TokenCredential`` (Entra ID), or a key / SAS string.
            endpoint_url: the blob endpoint (Azurite, sovereign clouds, private endpoints).
            connection_string: an Azure connection string, ``UseDevelopmentStorage=true`` included.
            creds: the same settings as a dict in the SDK's names (``account_name``, ``account_key``,
                ``sas_token``, ``connection_string``, ``credential``, ``endpoint_url``); arguments win.
            anonymous: send no credential (public containers). Without it, an account given no key,
                SAS or credential uses azure-identity's ``DefaultAzureCredential`` (the ``azure`` extra).
            checksum: the whole-blob check uploads store. ``"md5"`` (the default): the blob's MD5 as its
                Content-MD5, which every Azure tool verifies (one MD5 pass, ~1.7 CPU-s/GiB). ``"crc64"``:
                no MD5 at all; the blob's CRC-64/NVME, combined from its blocks' CRCs, goes to the
                metadata entry ``storagekit_crc64`` (:data:`CRC64_METADATA`), which storagekit verifies
                on download (other tools ignore it). Needs awscrt (the ``azure`` extra). Either way,
                with awscrt, each block carries ``x-ms-content-crc64`` for the service to check.
            options: connection settings (``timeout``, ``retry``, ``verify``, ``pool_size``,
                ``transport``, ``hooks``: see :meth:`storagekit.http.Connection.from_options`) and
                transfer settings (``part_size``, ``multipart_threshold``, ``max_concurrency``).

        Raises:
            InvalidCredsError: no account could be determined, or no credential and no azure-identity.
            InvalidOptionError: a malformed connection string, endpoint, credential or key (never shown),
                a ``checksum`` other than ``"md5"`` / ``"crc64"``, or ``"crc64"`` without awscrt.
        """
        if checksum not in _CHECKSUMS:
            raise InvalidOptionError(f"checksum must be one of {', '.join(_CHECKSUMS)}, not {checksum!r}", self)
        self._crc64 = checksum == "crc64"
        self._service_crc64 = True  # until the service refuses x-ms-content-crc64 (Azurite in strict mode)
        if self._crc64:
            crc64.require("checksum='crc64'")
            self.capabilities = replace(self.capabilities, multipart_checksums=())  # the blocks' CRCs make it
        if auth_type not in (None, "azureAd"):
            raise InvalidOptionError(f"auth_type must be None or 'azureAd' (libcloud's values), not {auth_type!r}",
                                     self)
        if auth_type == "azureAd":
            if credential is not None:
                raise InvalidOptionError("auth_type='azureAd' makes the credential: pass no credential=", self)
            credential, secret = _libcloud.entra_credential(tenant_id, identity, secret, cloud_environment), None
        elif tenant_id or identity:
            raise InvalidOptionError("tenant_id and identity go with auth_type='azureAd'", self)
        if (host or port or secure is not True) and not endpoint_url and key:
            endpoint_url = _libcloud.endpoint(key, secure, host, port)
        elif secure not in (True, False):
            raise InvalidOptionError(f"secure must be True or False, not a {type(secure).__name__}", self)
        self._config = _config.resolve(key, secret, sas_token, credential, endpoint_url, connection_string,
                                       creds=creds, anonymous=anonymous)
        self._endpoint = self._config.endpoint
        self._https = self._endpoint.startswith("https:")
        self._take_transfer_options(options)
        self.connection = Connection.from_options(
            options, error_parser=parse_error, auth=self._config.auth, driver=self,
            headers={"x-ms-version": X_MS_VERSION}, pool_size=max(16, 2 * self.transfer_config.max_concurrency),
        )
        self._delegation_lock = threading.Lock()
        self._delegation_key: tuple[datetime, _sas.UserDelegationKey] | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} account={self._config.account} endpoint={self._endpoint}>"

    @property
    def credential_source(self) -> str:
        """The account and how requests are authorized (Shared Key, SAS, a token credential), never a secret."""
        config = self._config
        if config.shared_key is not None:
            how = "Shared Key (the account key)"
        elif config.bearer is not None:
            how = f"Entra ID tokens from {type(config.bearer.credential).__name__}"
        elif config.sas_token is not None:
            how = "a SAS token"
        else:
            how = "no credential (anonymous=True: public containers only)"
        return f"account {config.account} via {how}"

    # ------------------------------------------------------------------ URLs and requests

    def _container_url(self, container: str) -> str:
        return f"{self._endpoint}/{container}"

    def _blob_url(self, container: str, name: str) -> str:
        return f"{self._endpoint}/{container}/{quote(name, safe='/')}"

    def _request(self, method: str, url: str, container: str | None = None, name: str | None = None,
                 **kwargs: Any) -> Any:
        return self.connection.request(method, url, container_name=container, object_name=name, **kwargs)

    def _check_container_name(self, name: str) -> None:
        super()._check_container_name(name)
        if not (3 <= len(name) <= 63 and _CONTAINER_NAME.fullmatch(name)) and name not in _SPECIAL_CONTAINERS:
            raise InvalidContainerNameError(
                f"invalid Azure container name {name!r}: 3-63 lowercase letters, digits and single hyphens, "
                "starting and ending with a letter or digit", self, container_name=name,
            )

    # ------------------------------------------------------------------ containers

    def _iter_containers(self) -> Iterator[Container]:
        tokens = PageTokens("the containers", self)
        marker: str | None = ""
        while True:
            url = f"{self._endpoint}/?comp=list&maxresults={self.list_page_size}"
            if marker:
                url += f"&marker={quote(marker, safe='')}"
            containers, marker = _xml.parse_container_list(self._request("GET", url).content, self)
            for name, properties in containers:
                yield Container(name, self._container_extra(properties), self)
            marker = tokens.follow(marker)
            if marker is None:
                return

    def _get_container(self, name: str) -> Container:
        response = self._request("HEAD", f"{self._container_url(name)}?restype=container", name)
        return Container(name, self._container_extra({k.lower(): v for k, v in response.headers.items()}), self)

    @staticmethod
    def _container_extra(properties: dict[str, str]) -> dict[str, Any]:
        return {"etag": properties.get("etag", "").strip('"'), "last_modified": properties.get("last-modified")}

    def _create_container(self, name: str) -> Container:
        response = self._request("PUT", f"{self._container_url(name)}?restype=container", name, idempotent=False)
        return Container(name, self._container_extra({k.lower(): v for k, v in response.headers.items()}), self)

    def _delete_container(self, container: Container) -> None:
        """Delete Container removes its blobs too, so refuse first if it holds any (as the contract says)."""
        url = f"{self._container_url(container.name)}?restype=container"
        response = self._request("GET", f"{url}&comp=list&maxresults=1", container.name, stream=True)
        with closing(response):
            first = next(_xml.iter_blob_list(Body(response, driver=self, container_name=container.name), self), None)
        if first is not None:
            raise ContainerIsNotEmptyError(
                f"container {container.name} is not empty", self, container_name=container.name
            )
        self._request("DELETE", url, container.name)

    # ------------------------------------------------------------------ listing and properties

    def _list_page(
        self, container: Container, prefix: str, delimiter: str | None, token: str | None
    ) -> StreamedPage[_xml.BlobEntry]:
        url = (f"{self._container_url(container.name)}?restype=container&comp=list&include=metadata"
               f"&maxresults={self.list_page_size}")
        for name, value in (("prefix", prefix), ("delimiter", delimiter), ("marker", token)):
            if value:
                url += f"&{name}={quote(value, safe='')}"
        response = self._request("GET", url, container.name, stream=True)

        def listed(blob: _xml.BlobEntry) -> Object:
            return self._object(container, blob.name, blob.properties, blob.metadata)

        with closing(response):
            body = fields.spool(Body(response, driver=self, container_name=container.name))
        return StreamedPage(_xml.iter_blob_list(body, self), listed, body.close,
                            next_token=peek_text(body, "NextMarker"), ahead=True)

    def _head_object(self, container: Container, name: str) -> Object:
        response = self._request("HEAD", self._blob_url(container.name, name), container.name, name)
        properties: dict[str, str] = {}
        metadata: dict[str, str] = {}
        for header, value in response.headers.items():
            lowered = header.lower()
            if lowered.startswith("x-ms-meta-"):
                metadata[header[10:]] = value
            else:
                properties[_HEADER_ALIASES.get(lowered, lowered)] = value
        return self._object(container, name, properties, metadata)

    def _object(self, container: Container, name: str, properties: dict[str, str], metadata: dict[str, str]) -> Object:
        """An Object from blob properties keyed as List Blobs names them (lowercased)."""
        etag = properties.get("etag", "").strip('"')
        md5 = _md5_hex(properties.get("content-md5"), self, name)
        extra: dict[str, Any] = {key: properties[source] for key, source in _EXTRA_PROPERTIES
                                 if properties.get(source)}
        extra["etag"] = etag
        checksums = {}
        if md5:
            extra["md5_hash"] = checksums["md5"] = md5
        crc = _crc64_hex(metadata.pop(CRC64_METADATA, None), self, name)
        if crc:
            checksums[crc64.NAME] = crc
        size = fields.size(properties.get("content-length", "0"), "Content-Length", self, object_name=name)
        return Object(name, size, md5 or etag, extra, metadata, container, self, checksums)

    # ------------------------------------------------------------------ reads and deletes

    def _open_range(self, obj: Object, start: int, end: int) -> Body:
        """A ranged Get Blob, pinned to the ETag the object had, so a resumed read never mixes versions.

        The blob's MD5 the answer carries (``x-ms-blob-content-md5`` on a ranged read; a
        ``Content-MD5`` only on a whole one, since a range's may be the range's) and its
        CRC64 (the :data:`CRC64_METADATA` entry) go to ``obj.checksums``."""
        headers = {"x-ms-range": range_header(start, end)}
        if obj.extra.get("etag"):
            headers["If-Match"] = _quoted(obj.extra["etag"])
        container, name = obj.container.name, obj.name
        try:
            response = self._request("GET", self._blob_url(container, name), container, name, headers=headers,
                                     stream=True)
        except PreconditionFailedError:
            self._head_object(obj.container, name)  # a deleted blob fails If-Match too: say it is gone
            raise
        md5 = _md5_hex(response.headers.get("x-ms-blob-content-md5")) or (
            _md5_hex(response.headers.get("Content-MD5")) if response.status_code == 200 else None)
        if md5:
            obj.checksums.setdefault("md5", md5)
        crc = _crc64_hex(response.headers.get(_CRC64_HEADER), self, name)
        if crc:
            obj.checksums.setdefault(crc64.NAME, crc)
        return Body(response, driver=self, container_name=container, object_name=name)

    def _delete_object(self, container: Container, name: str) -> None:
        self._request("DELETE", self._blob_url(container.name, name), container.name, name,
                      headers={"x-ms-delete-snapshots": "include"})

    # ------------------------------------------------------------------ writes

    def _write_headers(self, options: UploadOptions) -> dict[str, str]:
        """The headers that store ``options`` with a blob (Put Blob, Put Block List)."""
        if options.blob_type and options.blob_type.lower() != "blockblob":
            raise NotSupportedError(
                f"blob_type {options.blob_type!r} is not supported: storagekit writes BlockBlob only", self
            )
        if options.acl or options.kms_key_id or options.server_side_encryption not in (None, "AES256"):
            raise InvalidOptionError(
                "Azure blobs take no acl / kms_key_id / server_side_encryption (data is always encrypted; "
                "access is set per container)", self,
            )
        headers = dict(options.headers)
        for option, header in _CONTENT_HEADERS.items():
            value = getattr(options, option)
            if value is not None:
                headers[header] = value
        if options.storage_class:
            headers["x-ms-access-tier"] = options.storage_class
        for name, value in options.meta_data.items():
            if name.lower() == CRC64_METADATA:
                raise InvalidOptionError(f"the metadata name {name!r} is storagekit's (the blob's CRC64)", self)
            if not (_METADATA_NAME.fullmatch(name) and value.isascii()):
                raise InvalidOptionError(
                    f"invalid Azure metadata {name!r}: names must be C# identifiers (letters, digits and _, "
                    "not starting with a digit) and values ASCII", self,
                )
            headers[f"x-ms-meta-{name}"] = value
        if options.if_none_match:
            headers["If-None-Match"] = _quoted(options.if_none_match)
        if options.if_match:
            headers["If-Match"] = _quoted(options.if_match)
        return headers

    def _stored(self, container: Container, name: str, size: int, headers: Any, options: UploadOptions,
                checksums: dict[str, str]) -> Object:
        """The Object a write just stored, from its response headers and the options sent."""
        extra: dict[str, Any] = options.stored_properties()
        extra.update(etag=self._etag(headers, "Put Blob", container.name, name),
                     last_modified=headers.get("Last-Modified"))
        return Object(name, size, checksums.get("md5") or extra["etag"], extra, dict(options.meta_data),
                      container, self, checksums)

    def _put_object(self, container: Container, name: str, part: Part, options: UploadOptions) -> Object:
        """Put Blob with Content-MD5, or with ``checksum="crc64"`` its CRC64 (also kept as
        :data:`CRC64_METADATA`); the service checks it and returns the MD5 / CRC64 it computed."""
        headers = self._write_headers(options)
        headers["x-ms-blob-type"] = "BlockBlob"
        crc = None
        if self._crc64:
            crc = crc64.crc64(part.data)
            headers[_CRC64_HEADER] = crc64.to_base64(crc)
        response = self._checked_put(self._blob_url(container.name, name), container.name, name, part.data,
                                     headers, crc, lambda: part.md5_base64)
        checksums = {}
        md5 = _md5_hex(response.headers.get("Content-MD5"))
        if md5:
            checksums["md5"] = md5
        stored_crc = _crc64_hex(response.headers.get("x-ms-content-crc64") or headers.get(_CRC64_HEADER))
        if stored_crc:
            checksums[crc64.NAME] = stored_crc
        return self._stored(container, name, len(part.data), response.headers, options, checksums)

    def _multipart_start(self, container: Container, name: str, options: UploadOptions) -> MultipartUpload:
        """No request: Azure has no upload session; the commit headers are kept for Put Block List."""
        return MultipartUpload(container, name, uuid.uuid4().hex, {"headers": self._write_headers(options)})

    def _multipart_put(self, upload: MultipartUpload, part: Part) -> _Block:
        """Put Block; the block's id (base64, equal length for every block), CRC64 and size are returned.

        With awscrt the block carries ``x-ms-content-crc64`` (0.1 CPU-s/GiB), over HTTPS too: the
        service refuses a block damaged anywhere between this process and its disk (a TLS-inspecting
        proxy included), and the CRCs make the whole blob's for ``checksum="crc64"``. Without awscrt,
        over plain HTTP, it carries its Content-MD5 (1.7 CPU-s/GiB); over HTTPS nothing (TLS refuses
        damaged bytes). The blob's whole MD5 or CRC64 is still stored and checked on every download.
        """
        block_id = base64.b64encode(f"{upload.upload_id}-{part.number:06d}".encode()).decode()
        container, name = upload.container.name, upload.object_name
        url = f"{self._blob_url(container, name)}?comp=block&blockid={quote(block_id, safe='')}"
        crc = crc64.crc64(part.data) if crc64.FAST else None
        self._checked_put(url, container, name, part.data, {}, crc,
                          None if self._https else lambda: part.md5_base64)
        return _Block(block_id, crc, len(part.data))

    def _checked_put(self, url: str, container: str, name: str, data: bytes, headers: dict[str, str],
                     crc: int | None, md5: Callable[[], str] | None) -> Any:
        """PUT ``data`` with a check the service verifies: ``x-ms-content-crc64`` (``crc``) while the
        service takes it, else ``Content-MD5`` (``md5()``, if given).

        Azure checks ``x-ms-content-crc64``; Azurite in its default (strict) mode refuses it as
        FeatureNotSupported, so after the first refusal this driver sends ``Content-MD5`` instead.
        """
        if crc is not None and self._service_crc64:
            try:
                return self._request("PUT", url, container, name, data=data,
                                     headers={**headers, "x-ms-content-crc64": crc64.to_base64(crc)})
            except NotSupportedError as error:
                if error.code != "FeatureNotSupported" or "crc64" not in str(error):
                    raise
                self._service_crc64 = False
                log.info("%s refuses x-ms-content-crc64 (Azurite in strict mode): Content-MD5 from now on",
                         self._endpoint)
        if md5 is not None:
            headers = {**headers, "Content-MD5": md5()}
        return self._request("PUT", url, container, name, headers=headers, data=data)

    def _multipart_complete(self, upload: MultipartUpload, parts: list[Any], checksums: dict[str, str]) -> Object:
        """Put Block List with the whole content's MD5 as ``x-ms-blob-content-md5`` (or its CRC64, combined
        from the blocks', as :data:`CRC64_METADATA`), then read back what was stored."""
        container, name = upload.container.name, upload.object_name
        body = _xml.block_list([block.id for block in parts])
        headers = dict(upload.state["headers"])
        if self._crc64:
            whole = reduce(lambda crc, block: crc64.combine(crc, block.crc64, block.size), parts, 0)
            headers[_CRC64_HEADER] = crc64.to_base64(whole)
        elif "md5" in checksums:
            headers["x-ms-blob-content-md5"] = base64.b64encode(bytes.fromhex(checksums["md5"])).decode()
        response = self._checked_put(f"{self._blob_url(container, name)}?comp=blocklist", container, name, body,
                                     headers, crc64.crc64(body) if crc64.FAST else None,
                                     lambda: base64.b64encode(hashlib.md5(body).digest()).decode())
        self._etag(response.headers, "Put Block List", container, name)
        return self._head_object(upload.container, name)

    def _etag(self, headers: Any, what: str, container: str, name: str) -> str:
        """The ETag a write's answer must carry (unquoted); a success without one is no success."""
        etag = (headers.get("ETag") or "").strip().strip('"')
        if not etag:
            raise MalformedResponseError(
                f"{what} of {container}/{name} was answered without an ETag: the write cannot be trusted", self,
                container_name=container, object_name=name,
            )
        return etag

    def _multipart_abort(self, upload: MultipartUpload) -> None:
        """Nothing to send: uncommitted blocks stay invisible and expire (see the module docstring)."""

    # ------------------------------------------------------------------ copies

    def _copy_object(self, obj: Object, container: Container, name: str, options: UploadOptions) -> Object:
        """Copy Blob (waiting while it is pending); new content properties are then set on the copy."""
        source = self._blob_url(obj.container.name, obj.name)
        if self._config.sas_token:
            source += f"?{self._config.sas_token.reveal()}"
        headers = {key: value for key, value in self._write_headers(options).items()
                   if key.startswith(("x-ms-meta-", "x-ms-access-tier", "If-"))}
        if crc64.NAME in obj.checksums and any(key.startswith("x-ms-meta-") for key in headers):
            headers[_CRC64_HEADER] = crc64.to_base64(int(obj.checksums[crc64.NAME], 16))  # new metadata: keep it
        headers["x-ms-copy-source"] = source
        url = self._blob_url(container.name, name)
        response = self._request("PUT", url, container.name, name, headers=headers)
        self._await_copy(container.name, name, response.headers)
        wanted = {key: value for key, value in options.stored_properties().items() if key in _CONTENT_HEADERS}
        if any(obj.extra.get(key) != value for key, value in wanted.items()):
            self._set_properties(container.name, name, {**obj.extra, **wanted}, obj.checksums.get("md5"))
        return self._head_object(container, name)

    def _await_copy(self, container: str, name: str, headers: Any) -> None:
        status, delay = headers.get("x-ms-copy-status"), 0.05
        deadline = time.monotonic() + self.copy_timeout
        while status == "pending":
            if time.monotonic() > deadline:
                raise ServiceUnavailableError(
                    f"the copy to {container}/{name} is still pending after {self.copy_timeout:.0f} s", self,
                    container_name=container, object_name=name,
                )
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
            headers = self._request("HEAD", self._blob_url(container, name), container, name).headers
            status = headers.get("x-ms-copy-status")
        if status not in (None, "success"):
            raise ObjectError(
                f"the copy to {container}/{name} ended {status}: {headers.get('x-ms-copy-status-description')}",
                self, container_name=container, object_name=name,
            )

    def _set_properties(self, container: str, name: str, properties: dict[str, Any], md5: str | None) -> None:
        """Set Blob Properties; it clears what it is not given, so all content properties (and the MD5) go."""
        headers = {header: properties[key] for key, header in _CONTENT_HEADERS.items() if properties.get(key)}
        if md5:
            headers["x-ms-blob-content-md5"] = base64.b64encode(bytes.fromhex(md5)).decode()
        self._request("PUT", f"{self._blob_url(container, name)}?comp=properties", container, name, headers=headers)

    # ------------------------------------------------------------------ SAS URLs

    def _sign_url(self, container: Container, name: str, method: str, expires_in: int) -> str:
        """A blob SAS URL: service SAS with the account key, user-delegation SAS with a token credential."""
        expiry = datetime.now(timezone.utc) + timedelta(seconds=expires_in)
        common = dict(account=self._config.account, container=container.name, blob=name,
                      permissions=_sas.PERMISSIONS[method], expiry=expiry, protocol="https" if self._https else "")
        if self._config.shared_key is not None:
            query = _sas.blob_sas(key=self._config.shared_key.account_key()[1], **common)  # type: ignore[arg-type]
        elif self._config.bearer is not None:
            query = _sas.blob_sas(delegation_key=self._user_delegation_key(expiry), **common)  # type: ignore[arg-type]
        else:
            raise NotSupportedError(
                "signing a URL needs the account key or a token credential (a SAS token cannot sign another)", self
            )
        return f"{self._blob_url(container.name, name)}?{query}"

    def _user_delegation_key(self, until: datetime) -> _sas.UserDelegationKey:
        """A user delegation key valid until at least ``until`` (cached; keys last at most 7 days)."""
        now = datetime.now(timezone.utc)
        if until - now > timedelta(days=7):
            raise InvalidOptionError("a user-delegation SAS can last at most 7 days", self)
        with self._delegation_lock:
            if self._delegation_key is None or self._delegation_key[0] < until + timedelta(minutes=1):
                expiry = min(now + timedelta(days=7), max(until + timedelta(hours=1), now + timedelta(days=1)))
                body = _xml.key_info(_sas.iso(now - timedelta(minutes=5)), _sas.iso(expiry))
                response = self._request("POST", f"{self._endpoint}/?restype=service&comp=userdelegationkey",
                                         data=body, idempotent=True)
                key = _sas.UserDelegationKey.from_fields(_xml.parse_user_delegation_key(response.content, self))
                self._delegation_key = (expiry, key)
            return self._delegation_key[1]
