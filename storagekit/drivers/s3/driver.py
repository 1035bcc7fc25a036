"""The S3 driver: Amazon S3 and every S3-compatible service, over raw HTTP with SigV4.

Only protocol lives here: each primitive of :class:`~storagekit.base.StorageDriver`
is one S3 request (or a few). Uploads, downloads, retries and verification are the
base class's, the transfer engine's and the connection's.
"""

from __future__ import annotations

import base64
import datetime
import email.utils
import logging
import os
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import closing
from datetime import timedelta
from functools import partial
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

from ... import fields
from ...base import Capabilities, StorageDriver
from ...credentials.aws import RoleOptions, aws_credentials
from ...http import Body, Connection, RequestContext
from ...models import Container, MultipartUpload, Object, Part, StreamedPage
from ...options import UploadOptions
from ...pagination import PageTokens
from ...presets import PresetDriver
from ...streams import FAST_CRC32C, crc_combine
from ...transfer import MiB, PartLimits
from ...transport import Request, Response
from ...types import (
    InvalidContainerNameError,
    InvalidCredsError,
    InvalidOptionError,
    MalformedResponseError,
    ObjectDoesNotExistError,
    PermissionDeniedError,
    Provider,
    StorageKitError,
)
from ...xmlparser import peek_text
from . import _auth, _listing, _xml
from ._credentials import Credentials, resolve
from ._errors import WrongRegionError, error_fields, error_from_fields, parse_error
from .presets import PRESETS, S3Preset

log = logging.getLogger("storagekit.s3")

GiB = 1024 * MiB
_MD5_ETAG = re.compile(r"^[0-9a-f]{32}$")
_DNS_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_BUCKET = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]{1,253}[a-zA-Z0-9]$")
_KMS = frozenset({"aws:kms", "aws:kms:dsse"})
_REGION = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
"""What a region name a service hints at may be: it becomes part of a host name."""
_OPTION_HEADERS = (
    ("content_type", "Content-Type"),
    ("content_encoding", "Content-Encoding"),
    ("content_disposition", "Content-Disposition"),
    ("content_language", "Content-Language"),
    ("cache_control", "Cache-Control"),
    ("storage_class", "x-amz-storage-class"),
    ("acl", "x-amz-acl"),
    ("server_side_encryption", "x-amz-server-side-encryption"),
    ("kms_key_id", "x-amz-server-side-encryption-aws-kms-key-id"),
)
_HEAD_EXTRA = (
    ("content_type", "Content-Type"),
    ("content_encoding", "Content-Encoding"),
    ("content_disposition", "Content-Disposition"),
    ("content_language", "Content-Language"),
    ("cache_control", "Cache-Control"),
    ("server_side_encryption", "x-amz-server-side-encryption"),
    ("version_id", "x-amz-version-id"),
)
_HEAD_FIELDS = {header.lower(): field for field, header in _HEAD_EXTRA}
"""The Object.extra field each (lowercased) response header of a HEAD fills."""
_META = "x-amz-meta-"
_TOKEN = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
"""What an HTTP header name (so a metadata name) may contain."""
_DOT_SEGMENTS = {".": "%2E", "..": "%2E%2E"}
_URL_SAFE = re.compile(r"[A-Za-z0-9_.~/-]*").fullmatch
"""A key ``quote(key, safe="/~")`` leaves as it is (the common case, spared the call)."""
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_DELETE_BATCH = 1000
"""DeleteObjects takes at most 1,000 keys."""
_CRC_HEADERS = {"crc32c": "x-amz-checksum-crc32c", "crc32": "x-amz-checksum-crc32"}
_UNSIGNED = {"x-amz-content-sha256": "UNSIGNED-PAYLOAD"}
"""Bodies that carry a checksum the service verifies are not hashed again for the signature."""


def _quote_key(name: str) -> str:
    """The key as a URL path; ``.`` and ``..`` segments are escaped so no HTTP layer collapses them."""
    quoted = name if _URL_SAFE(name) else quote(name, safe="/~")
    if "/." in f"/{quoted}":
        quoted = "/".join(_DOT_SEGMENTS.get(segment, segment) for segment in quoted.split("/"))
    return quoted


def _query(params: Mapping[str, str]) -> str:
    """A query string encoded exactly as SigV4 canonicalises it (so it is signed as sent)."""
    return "&".join(f"{k}={quote(v, safe='-_.~')}" if v else k for k, v in sorted(params.items()))


_MONTHS = {name: f"{number:02d}" for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
_IMF_FIXDATE = re.compile(r"^[A-Z][a-z]{2}, (\d\d) ([A-Z][a-z]{2}) (\d{4}) (\d\d:\d\d:\d\d) GMT$")
"""The HTTP date every S3 service sends (``Sat, 21 Nov 2026 12:00:00 GMT``), read without a parser."""


def _iso(http_date: str | None) -> str:
    """An HTTP date (``Last-Modified``) as ISO 8601 UTC, the form listings use."""
    if not http_date:
        return ""
    match = _IMF_FIXDATE.match(http_date)
    if match and match[2] in _MONTHS:
        return f"{match[3]}-{_MONTHS[match[2]]}-{match[1]}T{match[4]}.000Z"
    try:
        when = email.utils.parsedate_to_datetime(http_date)
    except (TypeError, ValueError):
        return http_date
    return when.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _checksums(etag: str, headers: Mapping[str, str], driver: Any = None, *, crcs: bool = True) -> dict[str, str]:
    """The content's true digests: the ETag when it is an MD5 (not multipart, not SSE-KMS, not
    SSE-C) and, with ``crcs``, a whole-object ``x-amz-checksum-crc32c`` / ``-crc32`` (not a
    composite ``...-N``; a ranged GET's answer may describe its range, so it is not asked).

    Raises:
        MalformedResponseError: a checksum header is not the base64 of a CRC.
    """
    checksums = {}
    if (
        _MD5_ETAG.match(etag)
        and headers.get("x-amz-server-side-encryption") not in _KMS
        and not headers.get("x-amz-server-side-encryption-customer-algorithm")
    ):
        checksums["md5"] = etag
    composite = headers.get("x-amz-checksum-type", "").upper() == "COMPOSITE"  # a checksum of part checksums
    for algorithm, header in _CRC_HEADERS.items():
        value = headers.get(header) if crcs and not composite else None
        if value and "-" not in value:
            checksums[algorithm] = fields.base64_digest(value, header, driver, length=4).hex()
    return checksums


class _Attempts:
    """Signs like ``sign`` (if any) and counts how often: the connection signs every attempt
    afresh, so this is how many times a request was sent."""

    def __init__(self) -> None:
        self.sign: _auth.SigV4Auth | None = None
        self.count = 0

    def __call__(self, request: Request) -> Request:
        self.count += 1
        return self.sign(request) if self.sign is not None else request


_ORPHAN_SLACK = 2.0
"""Seconds around a retried CreateMultipartUpload in which an upload of the same key is its orphan
(S3's ``Initiated`` has whole seconds)."""


def _crc_base64(value: int) -> str:
    return base64.b64encode(value.to_bytes(4, "big")).decode()


class S3StorageDriver(PresetDriver, StorageDriver):
    """Amazon S3 and S3-compatible services (the preset picks which; regions are arguments).

    Usage::

        from storagekit.providers import get_driver
        from storagekit.types import Provider

        s3 = get_driver(Provider.S3)("AKIA...", "secret", region="eu-west-1")
        minio = get_driver(Provider.MINIO)("key", "secret", endpoint_url="http://127.0.0.1:9000")
        obj = s3.get_container("my-bucket").upload_object("report.pdf", "2024/report.pdf")
        url = s3.get_object_url(obj, expires_in=600)

    Credentials: explicit ``key`` + ``secret`` [+ ``token``] (or the same in ``creds``) are used
    alone; without them the AWS chain finds them (:mod:`storagekit.credentials.aws`: environment,
    web identity, ``profile``, container, instance metadata) and nothing found is an
    InvalidCredsError at the first request; ``anonymous=True`` sends unsigned requests;
    ``role_arn`` (+ ``external_id``, ``role_session_name``, ``duration_seconds``) assumes a role
    on top. Temporary credentials refresh themselves.

    The constructor's arguments and options are listed under ``__init__`` below.
    """

    list_page_size = 1000
    """``max-keys`` of ListObjectsV2 (1,000 is the service's maximum)."""

    name = "Amazon S3"
    website = "https://aws.amazon.com/s3/"
    provider: ClassVar[Provider | str] = Provider.S3
    preset: ClassVar[S3Preset] = PRESETS[Provider.S3]
    presets = PRESETS
    family = "an S3-compatible"
    capabilities = Capabilities(
        multipart=True, multipart_checksums=(), server_side_copy=True, signed_urls=True,
        delete_reports_missing=False, conditional_writes=True,
    )
    part_limits = PartLimits(min_size=5 * MiB, max_size=5 * GiB, max_parts=10_000)
    metadata_limit = 2 * 1024
    """User metadata, names and values in UTF-8, is at most 2 KB (AWS's limit, kept for every preset:
    beyond it the headers outgrow what HTTP clients read back, http.client's 64 KiB included)."""
    multipart_copy_threshold: int = 5 * GiB
    """Copies of larger objects go part by part (UploadPartCopy); CopyObject stops at 5 GiB."""
    copy_part_size: int = 1 * GiB

    def __init__(
        self,
        key: str | None = None,
        secret: str | None = None,
        secure: bool = True,
        host: str | None = None,
        port: int | None = None,
        region: str | None = None,
        token: str | None = None,
        *,
        endpoint_url: str | None = None,
        creds: Mapping[str, Any] | None = None,
        profile: str | None = None,
        anonymous: bool = False,
        role_arn: str | None = None,
        external_id: str | None = None,
        role_session_name: str | None = None,
        duration_seconds: int | None = None,
        **options: Any,
    ) -> None:
        """Say where the service is and how to sign (nothing is sent until the first call).

        The first five arguments are libcloud's, in libcloud's order.

        Args:
            key: the access key id.
            secret: the secret access key.
            secure: HTTPS (True) or HTTP, with ``host``.
            host: libcloud's way to name an endpoint (``endpoint_url`` is the URL form).
            port: the endpoint's port, with ``host``.
            region: the region to sign for and whose endpoint to use (default: the preset's, or
                ``AWS_REGION`` / ``AWS_DEFAULT_REGION`` / the profile's).
            token: a session token that goes with ``key`` and ``secret``.
            endpoint_url: the service's URL (MinIO, SeaweedFS, Ceph, a private endpoint); also
                ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL``.
            creds: the same settings as a dict in boto3's names (``aws_access_key_id``,
                ``aws_secret_access_key``, ``aws_session_token``, ``endpoint_url``, ``region``, the role keys).
            profile: an AWS profile of the shared files (``~/.aws/credentials``, ``~/.aws/config``).
            anonymous: send unsigned requests (public buckets); takes no keys and no role.
            role_arn: a role to assume (through STS) on top of the credentials found.
            external_id: the role's external id.
            role_session_name: the assumed role's session name.
            duration_seconds: how long the role's credentials last.
            **options: ``addressing_style`` (``auto``, ``virtual``, ``path``), ``timeout`` (seconds, or a
                (connect, read) pair), ``verify`` (TLS: bool or CA bundle path; by default
                ``AWS_CA_BUNDLE`` if set), ``pool_size``, ``retry`` (a :class:`~storagekit.http.RetryPolicy`),
                ``deadline`` (seconds a request may take in all), ``transport`` and ``hooks``, and the
                transfer settings ``part_size``, ``multipart_threshold``, ``max_concurrency``, ``progress``.

        Raises:
            InvalidOptionError: a bad option (named), a preset with no public endpoint and no
                ``endpoint_url``, no region where one is needed, or ``anonymous`` with keys.
            InvalidCredsError: a key without its secret.

        """
        if secure not in (True, False):  # a token passed where libcloud's positional order has `secure`
            raise InvalidOptionError(f"secure must be True or False, not a {type(secure).__name__} "
                                     "(the third positional argument is libcloud's secure: pass token= by name)", self)
        if host and not endpoint_url:  # libcloud's host/port/secure
            endpoint_url = f"{'https' if secure else 'http'}://{host}{f':{port}' if port else ''}"
        settings = resolve(key, secret, token, region, endpoint_url, creds, profile)
        addressing = options.pop("addressing_style", None) or settings.addressing_style or "auto"
        if addressing not in ("auto", "virtual", "path"):
            raise InvalidOptionError(f"addressing_style must be auto, virtual or path, not {addressing!r}", self)
        self._take_transfer_options(options)
        if "transport" not in options:
            options.setdefault("verify", os.environ.get("AWS_CA_BUNDLE") or True)
        self.connection = Connection.from_options(
            options, error_parser=parse_error, driver=self, pool_size=max(16, 2 * self.transfer_config.max_concurrency)
        )
        region = settings.region or self.preset.region
        if not region:
            raise InvalidOptionError(f"{self.preset.title} needs a region (region=...)", self)
        self.region: str = region
        creds = creds or {}
        role_arn = role_arn or creds.get("role_arn")
        role = RoleOptions(role_arn, external_id or creds.get("external_id"),
                           role_session_name or creds.get("role_session_name"),
                           duration_seconds or creds.get("duration_seconds")) if role_arn else None
        keys = settings.credentials
        if anonymous and (keys or role):
            raise InvalidOptionError("anonymous=True sends unsigned requests: it takes no keys and no role_arn", self)
        self._credentials = None if anonymous else aws_credentials(
            *((keys.access_key, keys.secret_key, keys.token) if keys else ()), profile=profile, region=self.region,
            role=role)
        self._custom_endpoint = settings.endpoint_url is not None
        self._scheme, self._host, self._path_prefix = self._endpoint(settings.endpoint_url, secure)
        self._addressing = addressing
        self._bucket_regions: dict[str, str] = {}
        self._bases: dict[tuple[str, str], tuple[str, str]] = {}
        self._signers: dict[str, tuple[Any, _auth.SigV4Auth]] = {}
        """Per region: the credentials last signed with, and their signer (which keeps the day's key)."""
        # the checksum uploads carry instead of Content-MD5, where the service checks one
        self._crc: str | None = ("crc32c" if FAST_CRC32C else "crc32") if self.preset.flexible_checksums else None

    def __repr__(self) -> str:
        region, host = getattr(self, "region", None), getattr(self, "_host", None)  # also mid-construction
        return f"<{type(self).__name__} provider={self.provider} region={region} endpoint={host}>"

    # ------------------------------------------------------------------ addressing

    def _endpoint(self, endpoint_url: str | None, secure: bool) -> tuple[str, str, str]:
        """(scheme, host[:port], path prefix) of the service."""
        if endpoint_url:
            if "://" not in endpoint_url:
                endpoint_url = f"{'https' if secure else 'http'}://{endpoint_url}"
            parts = urlsplit(endpoint_url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise InvalidOptionError(f"endpoint_url must be an http(s) URL, not {endpoint_url!r}", self)
            return parts.scheme, parts.netloc, parts.path.rstrip("/")
        host = self.preset.host_for(self.region)
        if host is None:
            raise InvalidOptionError(f"{self.preset.title} has no public endpoint: pass endpoint_url=...", self)
        return ("https" if secure else "http"), host, ""

    def _base(self, bucket: str, region: str) -> tuple[str, str]:
        """(URL up to the key, host) for a bucket as seen from ``region``; cached."""
        cached = self._bases.get((bucket, region))
        if cached is not None:
            return cached
        host = self._host
        if not self._custom_endpoint and region != self.region:
            host = self.preset.host_for(region) or host
        virtual = self._addressing == "virtual" or (
            self._addressing == "auto" and not self._custom_endpoint and self.preset.addressing == "virtual"
            and _DNS_BUCKET.match(bucket) is not None and ".." not in bucket
            and not ("." in bucket and self._scheme == "https")
        )
        if not bucket:
            base = (f"{self._scheme}://{host}{self._path_prefix}", host)
        elif virtual:
            host = f"{bucket}.{host}"
            base = (f"{self._scheme}://{host}{self._path_prefix}", host)
        else:
            base = (f"{self._scheme}://{host}{self._path_prefix}/{quote(bucket, safe='')}", host)
        self._bases[(bucket, region)] = base
        return base

    def _region_of(self, bucket: str) -> str:
        return self._bucket_regions.get(bucket, self.region) if bucket else self.region

    @property
    def credential_source(self) -> str:
        """Where this driver's credentials come from and when they expire, never a secret
        (``storagekit whoami``); loads them if that has not happened yet.

        Raises:
            InvalidCredsError: no credentials are found.
        """
        if self._credentials is None:
            return "anonymous (unsigned requests)"
        return str(self._credentials.get().describe())

    def _current_credentials(self) -> Credentials:
        """The credentials to sign with now (loaded, or refreshed, if need be)."""
        if self._credentials is None:
            raise InvalidCredsError("this driver is anonymous (anonymous=True): it has no credentials", self)
        found = self._credentials.get()
        return Credentials(found.access_key, found.secret_key, found.token)

    def _signer(self, region: str) -> partial[Request] | None:
        """The request signer for ``region``; it takes the current credentials at every attempt."""
        return None if self._credentials is None else partial(self._sign, region)

    def _sign(self, region: str, request: Request) -> Request:
        found = self._credentials.get() if self._credentials is not None else None
        cached = self._signers.get(region)
        if cached is None or cached[0] is not found:  # new credentials (refreshed): a new signer
            cached = self._signers[region] = (found, _auth.header_auth(self._current_credentials(), region))
        return cached[1](request)

    def _request(
        self, method: str, bucket: str, key: str = "", query: str = "", *, headers: Mapping[str, str] | None = None,
        data: Any = None, stream: bool = False, idempotent: bool | None = None, attempts: _Attempts | None = None,
    ) -> Response:
        """Send one S3 request, following a wrong-region answer once (and remembering the region).

        A region hint is followed only if it is a region name (``[a-z0-9-]``), so the next host is
        built from the preset's own template (``s3.<region>.amazonaws.com``) and signed requests
        never leave the provider's domain; a custom endpoint keeps its host and re-signs only.
        Any other hint is a MalformedResponseError (nothing is sent to it).
        """
        region = self._region_of(bucket)
        try:
            return self._send(method, bucket, key, query, region, headers, data, stream, idempotent, attempts)
        except WrongRegionError as error:
            if not bucket or not error.region or error.region == region:
                raise
            if not _REGION.match(error.region):
                raise MalformedResponseError(
                    f"{method} {bucket}: the service named {error.region[:80]!r} as the bucket's region, which is "
                    "no region name; not followed", self, http_status=error.http_status, code=error.code,
                    container_name=bucket, object_name=key or None,
                ) from None
            log.info("bucket %s is in region %s, not %s: following", bucket, error.region, region)
            self._bucket_regions[bucket] = error.region
            return self._send(method, bucket, key, query, error.region, headers, data, stream, idempotent, attempts)

    def _send(
        self, method: str, bucket: str, key: str, query: str, region: str, headers: Mapping[str, str] | None,
        data: Any, stream: bool, idempotent: bool | None, attempts: _Attempts | None = None,
    ) -> Response:
        base, _ = self._base(bucket, region)
        url = f"{base}/{_quote_key(key)}" if key else (base if bucket else f"{base}/")
        if query:
            url = f"{url}?{query}"
        auth: Any = self._signer(region)
        if attempts is not None:
            attempts.sign, auth = auth, attempts
        return self.connection.request(
            method, url, headers=headers, data=data, stream=stream, idempotent=idempotent,
            container_name=bucket or None, object_name=key or None, auth=auth,
        )

    @property
    def _checksum_mode(self) -> dict[str, str] | None:
        """HEAD asks for the stored CRC-32 where the preset keeps one."""
        return {"x-amz-checksum-mode": "ENABLED"} if self._crc else None

    def _check_body(self, response: Response, bucket: str, key: str | None = None) -> bytes:
        """The body of a 200 answer, raising the error S3 may put in one (Copy, CompleteMultipartUpload)."""
        body = response.content
        if b"<Error" in body:
            root, _ = _xml.parse(body, self)
            if _xml.is_error(root):
                context = RequestContext(response.request.method or "", response.url, self, bucket, key)
                raise error_from_fields(error_fields(root), response.status_code, response.headers, context)
        return body

    def _etag(self, etag: str | None, what: str, bucket: str, key: str) -> str:
        """The ETag an upload's answer must carry (unquoted); a success without one is no success."""
        etag = (etag or "").strip().strip('"')
        if not etag:
            raise MalformedResponseError(
                f"{what} of {bucket}/{key} was answered without an ETag: the upload cannot be trusted", self,
                container_name=bucket, object_name=key,
            )
        return etag

    # ------------------------------------------------------------------ containers

    def _check_container_name(self, name: str) -> None:
        super()._check_container_name(name)
        if not _BUCKET.match(name):
            raise InvalidContainerNameError(
                f"invalid bucket name {name!r}: 3-255 letters, digits, '.', '-', '_'", self, container_name=name
            )

    def _iter_containers(self) -> Iterator[Container]:
        tokens = PageTokens("the buckets", self)
        token: str | None = None
        while True:
            response = self._request("GET", "", query=_query({"continuation-token": token} if token else {}))
            buckets, token = _xml.parse_buckets(response.content, self)
            for name, created in buckets:
                yield Container(name, {"creation_date": created}, self)
            token = tokens.follow(token)
            if token is None:
                return

    def _get_container(self, name: str) -> Container:
        # An empty listing rather than HeadBucket (same permission): its errors have a body and a code.
        response = self._request("GET", name, query=_query({"list-type": "2", "max-keys": "0"}))
        region = response.headers.get("x-amz-bucket-region")
        if region:
            self._bucket_regions[name] = region
        return Container(name, {"region": region or self._region_of(name)}, self)

    def _create_container(self, name: str) -> Container:
        body = b""
        if self.preset.location_constraint and self.region != "us-east-1":
            body = _xml.location_body(self.region)
        self._request("PUT", name, data=body)
        return Container(name, {"region": self.region}, self)

    def _delete_container(self, container: Container) -> None:
        self._request("DELETE", container.name)

    # ------------------------------------------------------------------ listing and objects

    def _list_page(
        self, container: Container, prefix: str, delimiter: str | None, token: str | None
    ) -> StreamedPage[_listing.Entry]:
        params = {"list-type": "2", "encoding-type": "url", "max-keys": str(self.list_page_size)}
        if prefix:
            params["prefix"] = prefix
        if delimiter:
            params["delimiter"] = delimiter
        if token:
            params["continuation-token"] = token
        response = self._request("GET", container.name, query=_query(params), stream=True)

        def listed(entry: _listing.Entry) -> Object:
            key, size, etag, modified, storage = entry
            return Object(key, size, etag, {"etag": etag, "last_modified": modified, "storage_class": storage}, {},
                          container, self)

        with closing(response):
            body = fields.spool(Body(response, driver=self, container_name=container.name))
        return StreamedPage(_listing.iter_listing(body, self, sort=not self.preset.lists_in_order), listed, body.close,
                            next_token=peek_text(body, "NextContinuationToken"), ahead=True)

    def _head_object(self, container: Container, name: str) -> Object:
        try:
            response = self._request("HEAD", container.name, name, headers=self._checksum_mode)
        except (ObjectDoesNotExistError, PermissionDeniedError) as error:
            if error.code is None:  # HEAD errors have no body: ask the bucket what is wrong (bucket, creds)
                self._get_container(container.name)
            raise
        return self._object_from_headers(container, name, response.headers)

    def _object_from_headers(self, container: Container, name: str, headers: Mapping[str, str]) -> Object:
        etag = headers.get("ETag", "").strip('"')
        extra: dict[str, Any] = {"etag": etag, "last_modified": _iso(headers.get("Last-Modified")),
                                 "storage_class": headers.get("x-amz-storage-class", "STANDARD")}
        meta = {}
        for header, value in headers.items():  # one pass, not a lookup per property
            lower = header.lower()
            field = _HEAD_FIELDS.get(lower)
            if field is not None:
                extra[field] = value
            elif lower.startswith(_META):
                meta[header[len(_META):]] = value
        checksums = _checksums(etag, headers, self)
        size = fields.size(headers.get("Content-Length", "0"), "Content-Length", self, object_name=name)
        return Object(name, size, etag, extra, meta, container, self, checksums)

    def _open_range(self, obj: Object, start: int, end: int) -> Body:
        """A GET pinned to the object's ETag; the whole-object digests it proves go to ``obj.checksums``.

        The whole object is asked for without a Range and with checksum mode (S3 returns
        ``x-amz-checksum-*`` only then); the ETag proves an MD5 on any answer unless SSE-KMS,
        SSE-C or a multipart upload made it something else.
        """
        whole = start == 0 and end == obj.size
        headers = dict(self._checksum_mode or {}) if whole else {"Range": f"bytes={start}-{end - 1}"}
        etag = obj.extra.get("etag") or obj.hash
        if etag:
            headers["If-Match"] = f'"{etag}"'
        bucket = obj.container.name
        response = self._request("GET", bucket, obj.name, headers=headers, stream=True)
        served = response.headers.get("ETag", "").strip('"')
        for algorithm, digest in _checksums(served, response.headers, self, crcs=whole).items():
            obj.checksums.setdefault(algorithm, digest)
        return Body(response, driver=self, container_name=bucket, object_name=obj.name)

    def _delete_object(self, container: Container, name: str) -> None:
        self._request("DELETE", container.name, name)

    def _delete_batch(self, container: Container, names: list[str]) -> list[StorageKitError]:
        """DeleteObjects, 1,000 keys a request, quiet mode: only failures come back.

        Keys XML cannot carry (control characters) are deleted one request each.
        """
        unsafe = [name for name in names if _NOT_XML.search(name)]
        errors = super()._delete_batch(container, unsafe)
        names = [name for name in names if name not in unsafe] if unsafe else names
        for start in range(0, len(names), _DELETE_BATCH):
            body = _xml.delete_body(names[start : start + _DELETE_BATCH])
            headers = {"Content-MD5": Part(1, 0, body).md5_base64, "Content-Type": "application/xml"}
            response = self._request("POST", container.name, query="delete", headers=headers, data=body,
                                     idempotent=True)
            for failure in _xml.parse_delete_errors(self._check_body(response, container.name), self):
                context = RequestContext("DELETE", response.url, self, container.name, failure.get("Key"))
                errors.append(error_from_fields(failure, response.status_code, {}, context))
        return errors

    # ------------------------------------------------------------------ uploads

    def _upload_headers(self, options: UploadOptions) -> dict[str, str]:
        """Request headers for an object's properties, user metadata and raw extra headers."""
        if options.blob_type is not None:
            raise InvalidOptionError("blob_type is an Azure option; S3 has none", self)
        headers = {header: value for field, header in _OPTION_HEADERS if (value := getattr(options, field))}
        for name, value in options.meta_data.items():
            if not _TOKEN.match(name) or not value.isascii() or "\n" in value or "\r" in value:
                raise InvalidOptionError(
                    f"S3 metadata {name!r} must have a header-safe name and a one-line ASCII value", self
                )
            headers[_META + name] = value
        headers.update(options.headers)
        return headers

    @staticmethod
    def _conditions(options: UploadOptions) -> dict[str, str]:
        headers = {}
        if options.if_none_match:
            headers["If-None-Match"] = options.if_none_match
        if options.if_match:
            etag = options.if_match
            headers["If-Match"] = etag if etag == "*" or etag.startswith('"') else f'"{etag}"'
        return headers

    def _stored(self, container: Container, name: str, size: int, etag: str, headers: Mapping[str, str],
                options: UploadOptions, checksums: dict[str, str]) -> Object:
        """The Object an upload created, described from what was sent and what S3 answered."""
        extra: dict[str, Any] = dict(options.stored_properties())
        extra["etag"] = etag
        extra.setdefault("storage_class", "STANDARD")
        for field, header in (("server_side_encryption", "x-amz-server-side-encryption"),
                              ("version_id", "x-amz-version-id")):
            if header in headers:
                extra[field] = headers[header]
        return Object(name, size, etag, extra, dict(options.meta_data), container, self, checksums)

    def _put_object(self, container: Container, name: str, part: Part, options: UploadOptions) -> Object:
        headers = self._upload_headers(options)
        headers.update(self._conditions(options))
        headers.update(self._content_checksum(part))
        response = self._request("PUT", container.name, name, headers=headers, data=part.data)
        etag = self._etag(response.headers.get("ETag"), "PutObject", container.name, name)
        checksums = _checksums(etag, response.headers, self)
        return self._stored(container, name, len(part.data), etag, response.headers, options, checksums)

    def _content_checksum(self, part: Part) -> dict[str, str]:
        """The headers that let the service check a body: its CRC where the preset takes one, else its MD5."""
        if self._crc:
            return {_CRC_HEADERS[self._crc]: _crc_base64(getattr(part, self._crc)), **_UNSIGNED}
        return {"Content-MD5": part.md5_base64, **_UNSIGNED}

    def _multipart_start(self, container: Container, name: str, options: UploadOptions) -> MultipartUpload:
        return self._create_upload(container, name, options, self._crc)

    def _create_upload(
        self, container: Container, name: str, options: UploadOptions, crc: str | None
    ) -> MultipartUpload:
        """CreateMultipartUpload, declaring a FULL_OBJECT checksum if the parts will carry their ``crc``.

        It is retried like any idempotent request; an attempt whose answer was lost may still have
        started an upload, which is then aborted (see :meth:`_abort_orphans`)."""
        headers = self._upload_headers(options)
        if crc:
            headers.update({"x-amz-checksum-algorithm": crc.upper(), "x-amz-checksum-type": "FULL_OBJECT"})
        attempts, started = _Attempts(), time.monotonic()
        response = self._request("POST", container.name, name, query="uploads", headers=headers, idempotent=True,
                                 attempts=attempts)
        upload_id = _xml.find_text(self._check_body(response, container.name, name), "UploadId", self)
        if not upload_id:
            raise MalformedResponseError(f"CreateMultipartUpload for {name} returned no UploadId", self,
                                         container_name=container.name, object_name=name)
        if attempts.count > 1:
            self._abort_orphans(container, name, upload_id, response.headers.get("Date"),
                                time.monotonic() - started)
        return MultipartUpload(container, name, upload_id, {"options": options})

    def _abort_orphans(self, container: Container, name: str, upload_id: str, date: str | None,
                       elapsed: float) -> None:
        """Abort the uploads of ``name`` a retried CreateMultipartUpload started but never heard of.

        They are the key's uploads other than ``upload_id`` initiated while the retries ran (by the
        server's clock: its ``Date`` less the time the retries took, with a little slack). A
        failure here is logged: the upload itself goes on.
        """
        try:
            answered = email.utils.parsedate_to_datetime(date or "")
        except (TypeError, ValueError):
            log.warning("cannot tell which uploads a retried CreateMultipartUpload of %s left behind: no Date", name)
            return
        earliest = answered - timedelta(seconds=elapsed + _ORPHAN_SLACK)
        latest = answered + timedelta(seconds=_ORPHAN_SLACK)
        try:
            for upload in self.ex_iterate_multipart_uploads(container, prefix=name):
                if upload.object_name == name and upload.upload_id != upload_id and (
                    earliest <= _parse_time(upload.state["initiated"]) <= latest
                ):
                    log.info("aborting the upload of %s a retried CreateMultipartUpload left behind", name)
                    self._multipart_abort(upload)
        except StorageKitError as error:
            log.warning("could not abort the uploads a retried CreateMultipartUpload of %s left behind: %s",
                        name, error)

    def _multipart_put(self, upload: MultipartUpload, part: Part) -> tuple[int, str, int, int | None]:
        query = _query({"partNumber": str(part.number), "uploadId": upload.upload_id})
        response = self._request("PUT", upload.container.name, upload.object_name, query=query,
                                 headers=self._content_checksum(part), data=part.data)
        etag = self._etag(response.headers.get("ETag"), f"UploadPart {part.number}", upload.container.name,
                          upload.object_name)
        return part.number, f'"{etag}"', len(part.data), getattr(part, self._crc or "", None)

    def _multipart_complete(
        self, upload: MultipartUpload, parts: list[tuple[int, str, int, int | None]], checksums: dict[str, str]
    ) -> Object:
        """CompleteMultipartUpload; when the parts carried CRCs, the whole object's (combined from the
        parts' without reading a byte again) is sent for the service to check and keep."""
        options: UploadOptions = upload.state["options"]
        body = _xml.complete_body((number, etag) for number, etag, _, _ in parts)
        headers = {"Content-Type": "application/xml", **self._conditions(options)}
        whole: dict[str, str] = {}
        if self._crc and parts and all(crc is not None for *_, crc in parts):
            crc = 0
            for _, _, size, part_crc in parts:
                crc = crc_combine(self._crc, crc, part_crc, size)  # type: ignore[arg-type]
            headers.update({_CRC_HEADERS[self._crc]: _crc_base64(crc), "x-amz-checksum-type": "FULL_OBJECT"})
            whole[self._crc] = f"{crc:08x}"
        response = self._request("POST", upload.container.name, upload.object_name,
                                 query=_query({"uploadId": upload.upload_id}), headers=headers, data=body,
                                 idempotent=True)
        result = self._check_body(response, upload.container.name, upload.object_name)
        etag = self._etag(_xml.find_text(result, "ETag", self), "CompleteMultipartUpload", upload.container.name,
                          upload.object_name)
        size = sum(size for _, _, size, _ in parts)
        return self._stored(upload.container, upload.object_name, size, etag, response.headers, options, whole)

    def _multipart_abort(self, upload: MultipartUpload) -> None:
        self._request("DELETE", upload.container.name, upload.object_name,
                      query=_query({"uploadId": upload.upload_id}))

    def ex_iterate_multipart_uploads(
        self, container: Container, prefix: str | None = None
    ) -> Iterator[MultipartUpload]:
        """Yield the multipart uploads started and neither completed nor aborted (``state["initiated"]``).

        Args:
            container: the bucket.
            prefix: only uploads of keys that start with it.

        Returns:
            An iterator of :class:`~storagekit.models.MultipartUpload`.

        """
        container = self._as_container(container)
        tokens = PageTokens(f"the multipart uploads of {container.name}", self, container_name=container.name)
        key_marker = upload_marker = None
        while True:
            params = {"uploads": ""}
            if prefix:
                params["prefix"] = prefix
            if key_marker:
                params["key-marker"] = key_marker
            if upload_marker:
                params["upload-id-marker"] = upload_marker
            response = self._request("GET", container.name, query=_query(params))
            uploads, key_marker, upload_marker = _xml.parse_uploads(response.content, self)
            for upload in uploads:
                yield MultipartUpload(container, upload.key, upload.upload_id, {"initiated": upload.initiated})
            if not key_marker or tokens.follow(f"{key_marker}\n{upload_marker or ''}") is None:
                return

    def ex_cleanup_multipart_uploads(
        self, container: Container, older_than: timedelta = timedelta(days=1), prefix: str | None = None
    ) -> int:
        """Abort the unfinished multipart uploads started more than ``older_than`` ago.

        Args:
            container: the bucket.
            older_than: the age past which an unfinished upload is abandoned (default one day).
            prefix: only uploads of keys that start with it.

        Returns:
            How many uploads were aborted.

        """
        cutoff = datetime.datetime.now(datetime.timezone.utc) - older_than
        stale = [
            upload for upload in self.ex_iterate_multipart_uploads(container, prefix)
            if _parse_time(upload.state["initiated"]) <= cutoff
        ]
        for upload in stale:
            self._multipart_abort(upload)
        return len(stale)

    # ------------------------------------------------------------------ copies and URLs

    def _copy_object(self, obj: Object, container: Container, name: str, options: UploadOptions) -> Object:
        source = f"/{quote(obj.container.name, safe='')}/{_quote_key(obj.name)}"
        if obj.size > self.multipart_copy_threshold:
            return self._copy_in_parts(obj, source, container, name, options)
        headers = self._upload_headers(options)
        headers.update(self._conditions(options))
        headers["x-amz-copy-source"] = source
        headers["x-amz-metadata-directive"] = "REPLACE"
        response = self._request("PUT", container.name, name, headers=headers)
        etag = self._etag(_xml.find_text(self._check_body(response, container.name, name), "ETag", self),
                          "CopyObject", container.name, name)
        checksums = _checksums(etag, response.headers, self)
        return self._stored(container, name, obj.size, etag, response.headers, options, checksums)

    def _copy_in_parts(self, obj: Object, source: str, container: Container, name: str,
                       options: UploadOptions) -> Object:
        """UploadPartCopy: a multipart upload whose parts are ranges of the source, copied server-side."""
        upload = self._create_upload(container, name, options, crc=None)
        part_size = self.part_limits.part_size_for(obj.size, self.copy_part_size)
        parts: list[tuple[int, str, int, int | None]] = []
        try:
            for number, start in enumerate(range(0, obj.size, part_size), 1):
                end = min(start + part_size, obj.size)
                query = _query({"partNumber": str(number), "uploadId": upload.upload_id})
                headers = {"x-amz-copy-source": source, "x-amz-copy-source-range": f"bytes={start}-{end - 1}"}
                if obj.extra.get("etag"):
                    headers["x-amz-copy-source-if-match"] = f'"{obj.extra["etag"]}"'
                response = self._request("PUT", container.name, name, query=query, headers=headers)
                etag = self._etag(_xml.find_text(self._check_body(response, container.name, name), "ETag", self),
                                  f"UploadPartCopy {number}", container.name, name)
                parts.append((number, f'"{etag}"', end - start, None))
            return self._multipart_complete(upload, parts, {})
        except BaseException:
            self._multipart_abort(upload)
            raise

    def _sign_url(self, container: Container, name: str, method: str, expires_in: int) -> str:
        if self._credentials is None:
            raise InvalidCredsError("presigned URLs need credentials; this driver is anonymous", self)
        region = self._region_of(container.name)
        base, host = self._base(container.name, region)
        path = urlsplit(base).path + "/" + _quote_key(name)
        query = _auth.presign(self._current_credentials(), region, method, host, path, expires_in)
        return f"{base}/{_quote_key(name)}?{query}"


def _parse_time(value: str) -> datetime.datetime:
    """An S3 timestamp (``2024-05-01T12:00:00.000Z``) as an aware datetime."""
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))


__all__ = ["S3StorageDriver"]
