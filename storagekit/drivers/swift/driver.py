"""The OpenStack Swift driver (and Rackspace Cloud Files, OVHcloud, KT ucloud): the primitives over raw HTTP.

Only protocol lives here: each primitive of :class:`~storagekit.base.StorageDriver` is one
Swift request (or a few). Logging in is ``_auth.py`` (which credentials: ``_config.py``),
errors ``_errors.py``, TempURLs ``_tempurl.py``, clouds ``presets.py``.

Large uploads are Static Large Objects: the parts go as segments (each PUT with its MD5 as
``ETag``, so the server checks it) to ``<container>_segments`` (or ``segment_container``)
under ``<object>/slo/<upload id>/``, then a manifest PUT lists every segment's path, ETag and
size, which the server checks again. An aborted upload deletes the segments it wrote; deleting
an object deletes an SLO's segments with it (``?multipart-manifest=delete``).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator, Mapping
from hashlib import md5
from typing import Any, ClassVar
from urllib.parse import quote, unquote

from ... import fields
from ...base import Capabilities, StorageDriver
from ...http import Body, Connection, RequestContext, error_for_status, range_header
from ...models import Container, MultipartUpload, Object, ObjectPage, Part
from ...options import UploadOptions
from ...pagination import PageTokens
from ...presets import PresetDriver
from ...secret import Secret
from ...transfer import MiB, PartLimits
from ...transport import Response
from ...types import (
    ContainerAlreadyExistsError,
    InvalidContainerNameError,
    InvalidCredsError,
    InvalidOptionError,
    MalformedResponseError,
    NotSupportedError,
    ObjectDoesNotExistError,
    PreconditionFailedError,
    Provider,
    StorageKitError,
)
from . import _config, _tempurl
from ._auth import TokenAuth, TokenManager
from ._errors import parse_error
from .presets import PRESETS, SwiftPreset

GiB = 1024 * MiB
_MD5 = re.compile(r"^[0-9a-f]{32}$")
_TOKEN = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
"""What a metadata name may hold: an HTTP header name."""
_ESCAPED = re.compile(r"%(25|5f)", re.IGNORECASE)
_META = "x-object-meta-"
CONTENT_MD5_META = "storagekit-md5"
"""The metadata name under which an SLO written by storagekit keeps its content's MD5 (hidden from
``meta_data``): computed from the bytes sent, and it holds as long as the manifest does, since the
server refuses to serve a segment whose ETag is not the one in the manifest."""
_DOT_SEGMENTS = {".": "%2E", "..": "%2E%2E"}
_OPTION_HEADERS = (
    ("content_type", "Content-Type"),
    ("content_encoding", "Content-Encoding"),
    ("content_disposition", "Content-Disposition"),
    ("content_language", "Content-Language"),
    ("cache_control", "Cache-Control"),
)
_BULK_DELETE = 1000
"""Names per bulk-delete request (Swift's default ``max_deletes_per_request`` is 10,000)."""
_MAX_READ = 64 * MiB
"""The largest JSON document (a listing page, a bulk-delete report) read whole."""


def _quote_name(name: str) -> str:
    """An object name as a URL path; ``.`` and ``..`` segments escaped so no HTTP layer collapses them."""
    quoted = quote(name, safe="/~")
    if "/." in f"/{quoted}":
        quoted = "/".join(_DOT_SEGMENTS.get(segment, segment) for segment in quoted.split("/"))
    return quoted


def _meta_header_name(name: str) -> str:
    """A metadata name as it goes in ``X-Object-Meta-<name>``: WSGI folds ``_`` into ``-``, so it
    travels as ``%5F`` (and ``%`` as ``%25``); :func:`_meta_name` reads it back."""
    return name.replace("%", "%25").replace("_", "%5F")


def _meta_name(header: str) -> str:
    """The metadata name a (lowercased) ``X-Object-Meta-`` header suffix stands for."""
    return _ESCAPED.sub(lambda match: "%" if match[1] == "25" else "_", header)


def _json(data: bytes, what: str, driver: Any) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        raise MalformedResponseError(f"the service sent {what} that is not JSON (it starts "
                                     f"{data[:60].decode('utf-8', 'replace')!r})", driver) from None


class SwiftStorageDriver(PresetDriver, StorageDriver):
    """OpenStack Swift, and Swift clouds through their presets (Rackspace Cloud Files, OVHcloud, KT ucloud).

    Usage::

        swift = get_driver(Provider.OPENSTACK_SWIFT)(
            "demo", "secret", auth_url="https://keystone.example.org:5000/v3", project="demo", region="RegionOne")
        tempauth = get_driver(Provider.OPENSTACK_SWIFT)("test:tester", "testing", auth_url="http://host:8080/auth/v1.0")
        rackspace = get_driver(Provider.CLOUDFILES)("username", "api-key", region="dfw")
        preauthorized = get_driver(Provider.OPENSTACK_SWIFT)(storage_url="https://host/v1/AUTH_x", auth_token="tk")

    ``key`` and ``secret`` are the user name and the password (v1: the key; Rackspace: the API
    key; ``3.x_appcred``: the application credential's id and secret). With no credentials given,
    ``ST_AUTH``/``ST_USER``/``ST_KEY``, ``OS_STORAGE_URL``/``OS_AUTH_TOKEN`` and the ``OS_*``
    variables of the OpenStack CLI are read. libcloud's keywords (``ex_force_auth_url``,
    ``ex_force_auth_version``, ``ex_tenant_name``, ``ex_domain_name``, ``ex_force_service_region``,
    ``ex_force_base_url``, ``ex_force_auth_token``) work too. A token that expires is renewed
    before it does, and once more when the service answers 401 (the request is then repeated).
    """

    name = "OpenStack Swift"
    website = "https://docs.openstack.org/swift/"
    provider: ClassVar[Provider | str] = Provider.OPENSTACK_SWIFT
    preset: ClassVar[SwiftPreset] = PRESETS[Provider.OPENSTACK_SWIFT]
    presets = PRESETS
    family = "a Swift"
    capabilities = Capabilities(multipart=True, multipart_checksums=("md5",), server_side_copy=True, signed_urls=True,
                                delete_reports_missing=True, conditional_writes=True)
    part_limits = PartLimits(min_size=1 * MiB, max_size=5 * GiB, max_parts=1000)
    """Swift's defaults: SLO segments of at least 1 MiB (but the last), objects of at most 5 GiB, 1,000
    segments a manifest."""
    metadata_limit = 4096
    """Swift's default ``max_meta_overall_size``: names and values together."""

    list_page_size = 10_000
    """``limit`` of a listing request (10,000 is Swift's default maximum)."""

    def __init__(
        self,
        key: str | None = None,
        secret: str | None = None,
        secure: bool = True,
        host: str | None = None,
        port: int | None = None,
        region: str | None = None,
        *,
        auth_url: str | None = None,
        auth_version: str | None = None,
        username: str | None = None,
        password: str | Secret[str] | None = None,
        api_key: str | Secret[str] | None = None,
        project: str | None = None,
        project_id: str | None = None,
        domain: str | None = None,
        user_domain: str | None = None,
        project_domain: str | None = None,
        application_credential_id: str | None = None,
        application_credential_secret: str | Secret[str] | None = None,
        interface: str | None = None,
        storage_url: str | None = None,
        auth_token: str | Secret[str] | None = None,
        temp_url_key: str | Secret[str] | None = None,
        segment_container: str | None = None,
        creds: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> None:
        """Say how to log in (nothing is sent until the first call).

        Args:
            key, secret: user name and password / key / API key (libcloud's order and meaning).
            secure, host, port: libcloud's form of the identity endpoint (``auth_url`` wins).
            region: the catalog region of the object store (Keystone, Rackspace).
            auth_url: the identity endpoint: ``.../auth/v1.0``, ``.../v2.0``, ``.../v3``.
            auth_version: ``1``, ``2.0_apikey``, ``2.0_password``, ``3.x_password``, ``3.x_appcred``
                (inferred from ``auth_url`` and the preset if not given).
            username, password, api_key: the same as ``key`` / ``secret``, by name.
            project, project_id, domain, user_domain, project_domain: Keystone v3 scoping (``domain``
                is both the user's and the project's unless those are given).
            application_credential_id, application_credential_secret: Keystone v3 application credential.
            interface: the catalog interface (``public``, ``internal``, ``admin``).
            storage_url, auth_token: a session obtained elsewhere (CloudBridge's ``os_storage_url`` and
                ``os_auth_token``); with credentials too, the token is renewed when it expires.
            temp_url_key: the account's TempURL key (else read from the account once, when first needed).
            segment_container: where SLO segments go (default ``<container>_segments``).
            creds: the same settings as a dict, in these or python-swiftclient's names; arguments win.
            options: connection and transfer settings (see :meth:`storagekit.http.Connection.from_options`)
                and libcloud's ``ex_*`` keywords.

        Raises:
            InvalidOptionError: no credentials, an incomplete set, or an unknown option (named).
        """
        if secure not in (True, False):
            raise InvalidOptionError(f"secure must be True or False, not a {type(secure).__name__}", self)
        given = _config.from_creds(creds)
        for keyword, setting in _config.LIBCLOUD_KEYWORDS.items():
            if options.get(keyword) is not None:
                given[setting] = options.pop(keyword)
            options.pop(keyword, None)
        if host and not auth_url and "auth_url" not in given:
            auth_url = f"{'https' if secure else 'http'}://{host}{f':{port}' if port else ''}"
        arguments = dict(
            auth_url=auth_url, auth_version=auth_version, username=username or key, password=password or secret,
            api_key=api_key, project=project, project_id=project_id, domain=domain, user_domain=user_domain,
            project_domain=project_domain, application_credential_id=application_credential_id,
            application_credential_secret=application_credential_secret, region=region, interface=interface,
            storage_url=storage_url, auth_token=auth_token,
        )
        given.update({name: value for name, value in arguments.items() if value is not None})
        self._take_transfer_options(options)
        self.connection = Connection.from_options(
            options, error_parser=parse_error, driver=self, pool_size=max(16, 2 * self.transfer_config.max_concurrency)
        )
        resolved = _config.resolve(given, self.preset)
        self._described = resolved.described
        self._tokens = TokenManager(resolved.authenticator, resolved.session, resolved.base_url,
                                    lambda: self.connection)
        self._temp_url_key = Secret(str(temp_url_key.reveal() if isinstance(temp_url_key, Secret)
                                        else temp_url_key)) if temp_url_key else None
        self.segment_container = segment_container

    def __repr__(self) -> str:
        return f"<{type(self).__name__} provider={self.provider}>"

    @property
    def credential_source(self) -> str:
        """How this driver logs in (v1, Keystone, Rackspace identity, a given token), never a secret."""
        return self._described

    # ------------------------------------------------------------------ requests

    @property
    def storage_url(self) -> str:
        """The account's URL (``https://host/v1/AUTH_project``); logs in if that has not happened yet."""
        return self._tokens.session().storage_url

    def _request(self, method: str, container: str | None = None, name: str | None = None, query: str = "",
                 **kwargs: Any) -> Response:
        """One request to the account, a container or an object, with the current token.

        A 401 to a token that can be renewed renews it once and repeats the request.
        """
        path = ""
        if container is not None:
            path = f"/{quote(container, safe='')}"
            if name is not None:
                path += f"/{_quote_name(name)}"
        for attempt in (1, 2):
            session = self._tokens.session()
            url = f"{session.storage_url}{path}{'?' + query if query else ''}"
            try:
                return self.connection.request(method, url, container_name=container, object_name=name,
                                               auth=TokenAuth(session.token), **kwargs)
            except InvalidCredsError:
                if attempt == 2 or not self._tokens.renew(session.token):
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _read_json(self, response: Response, what: str) -> Any:
        return _json(fields.read_capped(Body(response, driver=self), _MAX_READ, what, self), what, self)

    def _read_listing(self, response: Response, what: str) -> list[dict[str, Any]]:
        """A listing page: a JSON list of objects, each with a ``name`` (or, with a delimiter, ``subdir``).

        Raises:
            MalformedResponseError: anything else (an HTML page, a truncated answer, an entry without a name).
        """
        entries = self._read_json(response, what)
        if not isinstance(entries, list) or not all(
            isinstance(entry, dict) and isinstance(entry.get("name", entry.get("subdir")), str) for entry in entries
        ):
            raise MalformedResponseError(f"the service sent {what} that is not a list of named entries", self)
        return entries

    def _check_container_name(self, name: str) -> None:
        super()._check_container_name(name)
        if len(name.encode("utf-8", "surrogatepass")) > 256:
            raise InvalidContainerNameError(f"invalid Swift container name {name[:80]!r}: over 256 bytes", self,
                                            container_name=name)

    # ------------------------------------------------------------------ containers

    def _iter_containers(self) -> Iterator[Container]:
        tokens = PageTokens("the containers", self)
        marker: str | None = None
        while True:
            query = f"format=json&limit={self.list_page_size}"
            if marker:
                query += f"&marker={quote(marker, safe='')}"
            entries = self._read_listing(self._request("GET", query=query, stream=True), "a container listing")
            for entry in entries:
                yield Container(str(entry["name"]), {"count": entry.get("count"), "bytes": entry.get("bytes"),
                                                     "last_modified": entry.get("last_modified")}, self)
            marker = tokens.follow(str(entries[-1]["name"]) if len(entries) >= self.list_page_size else None)
            if marker is None:
                return

    def _get_container(self, name: str) -> Container:
        headers = self._request("HEAD", name).headers
        return Container(name, {"count": headers.get("X-Container-Object-Count"),
                                "bytes": headers.get("X-Container-Bytes-Used")}, self)

    def _create_container(self, name: str) -> Container:
        """PUT answers 201 for a new container and 202 for one that exists (not retried: a lost
        201 would come back as 202)."""
        response = self._request("PUT", name, idempotent=False)
        if response.status_code == 202:
            raise ContainerAlreadyExistsError(f"container {name} already exists", self, container_name=name)
        return Container(name, {"count": 0, "bytes": 0}, self)

    def _delete_container(self, container: Container) -> None:
        self._request("DELETE", container.name)

    # ------------------------------------------------------------------ listing and properties

    def _list_page(self, container: Container, prefix: str, delimiter: str | None, token: str | None) -> ObjectPage:
        query = f"format=json&limit={self.list_page_size}"
        for name, value in (("prefix", prefix), ("delimiter", delimiter), ("marker", token)):
            if value:
                query += f"&{name}={quote(value, safe='')}"
        entries = self._read_listing(self._request("GET", container.name, query=query, stream=True),
                                     f"the listing of {container.name}")
        page = ObjectPage(in_order=True)
        for entry in entries:
            if "subdir" in entry:
                page.prefixes.append(str(entry["subdir"]))
                continue
            name = str(entry["name"])
            headers = {"etag": entry.get("hash", ""), "content-type": entry.get("content_type"),
                       "last-modified": entry.get("last_modified")}
            if entry.get("slo_etag"):
                headers["x-static-large-object"] = "True"
            size = fields.size(entry.get("bytes"), "bytes", self, object_name=name)
            page.objects.append(self._object(container, name, size, headers))
        if len(entries) >= self.list_page_size:
            last = entries[-1]
            page.next_token = str(last.get("name") or last.get("subdir"))
        return page

    def _head_object(self, container: Container, name: str) -> Object:
        response = self._request("HEAD", container.name, name)
        headers = {key.lower(): value for key, value in response.headers.items()}
        size = fields.size(headers.get("content-length", "0"), "Content-Length", self, object_name=name)
        return self._object(container, name, size, headers)

    def _object(self, container: Container, name: str, size: int, headers: Mapping[str, Any]) -> Object:
        """An Object from an object's headers (lowercased) or a listing entry made to look like them.

        Its ETag is the content's MD5 unless it is a large object: an SLO's is the MD5 of its
        segments' ETags, a DLO's of whatever the segments are at the time of the request. An SLO
        storagekit wrote carries its content's MD5 in :data:`CONTENT_MD5_META`.
        """
        metadata = {_meta_name(key[len(_META):]): value for key, value in headers.items() if key.startswith(_META)}
        slo_md5 = metadata.pop(CONTENT_MD5_META, None) if "x-static-large-object" in headers else None
        etag = str(headers.get("etag") or "").strip('"')
        large = "x-static-large-object" in headers or "x-object-manifest" in headers
        extra: dict[str, Any] = {"etag": etag, "last_modified": headers.get("last-modified")}
        for option, header in _OPTION_HEADERS:
            if headers.get(header.lower()):
                extra[option] = headers[header.lower()]
        for header in ("x-delete-at", "x-object-manifest"):
            if headers.get(header):
                extra[header[2:].replace("-", "_")] = headers[header]
        if "x-static-large-object" in headers:
            extra["static_large_object"] = True
        md5_hex = etag if _MD5.match(etag) and not large else None
        if slo_md5 and _MD5.match(slo_md5):
            md5_hex = slo_md5
        if md5_hex:
            extra["md5_hash"] = md5_hex
        return Object(name, size, etag, extra, metadata, container, self, {"md5": md5_hex} if md5_hex else None)

    # ------------------------------------------------------------------ reads and deletes

    def _open_range(self, obj: Object, start: int, end: int) -> Body:
        """A ranged GET; a plain object's is pinned to its ETag, so a resumed read never mixes
        versions, and its ETag, the whole object's MD5, goes to ``obj.checksums``.

        The pin is the answer's ``ETag``, compared here, not an ``If-Match``: Swift checks
        ``If-Match`` against an SLO ETag kept in sysmeta when the object has one, and a server-side
        copy of an SLO (a plain object) inherits its source's, so the server would refuse the
        ETag it reports for the copy (HTTP 412). The answer's ``ETag`` is always the object's own.

        Raises:
            PreconditionFailedError: the object is no longer the one ``obj`` describes.
        """
        etag = obj.extra.get("etag") or ""
        large = obj.extra.get("static_large_object") or obj.extra.get("object_manifest")
        pinned = bool(_MD5.match(etag)) and not large
        container, name = obj.container.name, obj.name
        response = self._request("GET", container, name, headers={"Range": range_header(start, end)}, stream=True)
        answered = {key.lower(): value for key, value in response.headers.items()}
        served = self._object(obj.container, name, obj.size, answered)
        if pinned and served.hash != etag:
            response.close()
            raise PreconditionFailedError(
                f"GET {container}/{name}: the object changed (ETag {served.hash or 'none'}, not {etag})", self,
                container_name=container, object_name=name,
            )
        proved = served.checksums.get("md5")
        if proved:
            obj.checksums.setdefault("md5", proved)
        return Body(response, driver=self, container_name=container, object_name=name)

    def delete_object(self, obj: Object) -> bool:
        """Delete an object; an SLO with its segments.

        An object known to be plain (listed or read, with no SLO mark) takes one plain DELETE;
        any other goes through :meth:`_delete_object`'s two steps.

        Args:
            obj: the object.

        Returns:
            True (a missing object raises ObjectDoesNotExistError).

        """
        if obj.driver is self and obj.extra.get("etag") and not obj.extra.get("static_large_object"):
            self._request("DELETE", obj.container.name, obj.name)
            return True
        return super().delete_object(obj)

    def _delete_object(self, container: Container, name: str) -> None:
        """DELETE with ``multipart-manifest=delete``, so an SLO goes with its segments; the middleware
        refuses that for any other object ("Not an SLO manifest"), which is then deleted plainly."""
        response = self._request("DELETE", container.name, name, query="multipart-manifest=delete",
                                 headers={"Accept": "application/json"}, stream=True)
        report = self._read_json(response, "an SLO delete report")
        if isinstance(report, dict) and report.get("Number Not Found") and not report.get("Number Deleted"):
            raise ObjectDoesNotExistError(f"DELETE {container.name}/{name} failed: not found", self,
                                          container_name=container.name, object_name=name, http_status=404)
        if any("Not an SLO manifest" in str(reason) for _, reason in report.get("Errors") or []):
            self._request("DELETE", container.name, name)
            return
        errors = self._bulk_errors(report, container.name, name)
        if errors:
            raise errors[0]

    def _bulk_errors(self, report: Any, container: str, name: str | None = None) -> list[StorageKitError]:
        """The failures a bulk delete (or SLO delete) report lists, or its own status if that is one."""
        if not isinstance(report, dict):
            raise MalformedResponseError("the bulk delete report is not a JSON object", self)
        errors = [self._status_error(str(reason), container, unquote(str(path).split("/", 2)[-1]))
                  for path, reason in report.get("Errors") or []]
        status = str(report.get("Response Status", ""))
        if not errors and not status.startswith("2"):
            errors.append(self._status_error(status, container, name))
        return errors

    def _status_error(self, status: str, container: str, name: str | None) -> StorageKitError:
        """The typed error of a status line inside a report (``"404 Not Found"``)."""
        code = int(status[:3]) if status[:3].isdigit() else 500
        return error_for_status(code, RequestContext("DELETE", "", self, container, name), message=status)

    def _delete_batch(self, container: Container, names: list[str]) -> list[StorageKitError]:
        """The bulk middleware's ``?bulk-delete``: up to 1,000 names a request (missing ones are not errors)."""
        errors: list[StorageKitError] = []
        for first in range(0, len(names), _BULK_DELETE):
            batch = names[first:first + _BULK_DELETE]
            paths = "\n".join(quote(f"/{container.name}/{name}", safe="/") for name in batch)
            response = self._request("POST", query="bulk-delete", data=paths.encode(), idempotent=True, stream=True,
                                     headers={"Content-Type": "text/plain", "Accept": "application/json"})
            errors.extend(self._bulk_errors(self._read_json(response, "a bulk delete report"), container.name))
        return errors

    # ------------------------------------------------------------------ writes

    def _write_headers(self, options: UploadOptions) -> dict[str, str]:
        """The headers that store ``options`` with an object (PUT, manifest PUT, copy)."""
        if options.storage_class or options.acl or options.kms_key_id or options.server_side_encryption \
                or options.blob_type:
            raise InvalidOptionError(
                "Swift objects take no storage_class / acl / kms_key_id / server_side_encryption / blob_type "
                "(access and policies are set per container)", self,
            )
        headers = dict(options.headers)
        for option, header in _OPTION_HEADERS:
            value = getattr(options, option)
            if value is not None:
                headers[header] = value
        for name, value in options.meta_data.items():
            if not (_TOKEN.match(name) and value.isascii()):
                raise InvalidOptionError(
                    f"invalid Swift metadata {name!r}: names are letters, digits and _-.!#$%&'*+^`|~, "
                    "values ASCII", self,
                )
            headers[f"X-Object-Meta-{_meta_header_name(name)}"] = value
        if options.if_none_match:
            headers["If-None-Match"] = options.if_none_match
        if options.if_match:
            raise NotSupportedError("Swift has no conditional PUT on If-Match (only if_none_match='*')", self)
        if options.if_none_match not in (None, "*"):
            raise NotSupportedError("Swift's conditional PUT is If-None-Match: * only", self)
        return headers

    def _etag(self, response: Response, what: str, container: str, name: str) -> str:
        """The ETag a write's answer must carry (unquoted); a success without one is no success."""
        etag = (response.headers.get("ETag") or "").strip().strip('"')
        if not etag:
            raise MalformedResponseError(
                f"{what} of {container}/{name} was answered without an ETag: the write cannot be trusted", self,
                container_name=container, object_name=name,
            )
        return etag

    def _put_object(self, container: Container, name: str, part: Part, options: UploadOptions) -> Object:
        """PUT with the body's MD5 as ``ETag``: the server refuses (422) a body that does not match."""
        headers = self._write_headers(options)
        headers["ETag"] = part.hexdigest("md5")
        response = self._request("PUT", container.name, name, headers=headers, data=part.data)
        etag = self._etag(response, "PUT", container.name, name)
        extra: dict[str, Any] = {**options.stored_properties(), "etag": etag,
                                 "last_modified": response.headers.get("Last-Modified")}
        checksums = {"md5": etag} if _MD5.match(etag) else None
        return Object(name, len(part.data), etag, extra, dict(options.meta_data), container, self, checksums)

    def segment_container_for(self, container: Container | str) -> str:
        """The container the SLO segments of objects in ``container`` go to.

        Args:
            container: the container of the objects, or its name.

        Returns:
            ``segment_container`` if one was given, else ``<container>_segments``.

        """
        return self.segment_container or f"{self._as_container(container).name}_segments"

    def _multipart_start(self, container: Container, name: str, options: UploadOptions) -> MultipartUpload:
        """Make sure the segment container exists; the manifest's headers are kept for the end."""
        segments = self.segment_container_for(container)
        self._request("PUT", segments, idempotent=True)  # 201 new, 202 already there
        upload_id = uuid.uuid4().hex
        return MultipartUpload(container, name, upload_id, {
            "headers": self._write_headers(options), "segments": segments,
            "prefix": f"{name}/slo/{upload_id}/",
        })

    def _multipart_put(self, upload: MultipartUpload, part: Part) -> dict[str, Any]:
        """One segment, PUT with its MD5 as ETag; returns its manifest entry."""
        segments, segment = upload.state["segments"], f"{upload.state['prefix']}{part.number:08d}"
        md5_hex = part.hexdigest("md5")
        response = self._request("PUT", segments, segment, headers={"ETag": md5_hex}, data=part.data)
        etag = self._etag(response, "PUT segment", segments, segment)
        if etag != md5_hex:
            raise MalformedResponseError(f"segment {segments}/{segment} was stored with ETag {etag}, not its MD5",
                                         self, container_name=segments, object_name=segment)
        return {"path": f"/{segments}/{segment}", "etag": etag, "size_bytes": len(part.data)}

    def _multipart_complete(self, upload: MultipartUpload, parts: list[Any], checksums: dict[str, str]) -> Object:
        """The manifest PUT; the server checks each segment's ETag and size, and answers the SLO's ETag,
        the MD5 of the segments' ETags, which is checked here."""
        container, name = upload.container.name, upload.object_name
        headers = dict(upload.state["headers"])
        if "md5" in checksums:
            headers[f"X-Object-Meta-{CONTENT_MD5_META}"] = checksums["md5"]
        response = self._request("PUT", container, name, query="multipart-manifest=put", headers=headers,
                                 data=json.dumps(parts).encode())
        etag = self._etag(response, "the SLO manifest PUT", container, name)
        expected = md5("".join(part["etag"] for part in parts).encode()).hexdigest()
        if etag != expected:
            raise MalformedResponseError(f"the SLO {container}/{name} was stored with ETag {etag}, not {expected} "
                                         "(the MD5 of its segments' ETags)", self, container_name=container,
                                         object_name=name)
        return self._head_object(upload.container, name)

    def _multipart_abort(self, upload: MultipartUpload) -> None:
        """Delete the segments this upload wrote (listed by its prefix)."""
        segments = Container(upload.state["segments"], {}, self)
        names = [obj.name for obj in self.iterate_container_objects(segments, prefix=upload.state["prefix"])]
        errors = self._delete_batch(segments, names)
        if errors:
            raise errors[0]

    # ------------------------------------------------------------------ copies and URLs

    def _copy_object(self, obj: Object, container: Container, name: str, options: UploadOptions) -> Object:
        """A PUT with ``X-Copy-From``; ``X-Fresh-Metadata`` so the copy has exactly the options' metadata."""
        headers = self._write_headers(options)
        headers.update({"X-Copy-From": quote(f"/{obj.container.name}/{obj.name}", safe="/~"),
                        "X-Fresh-Metadata": "true"})
        self._request("PUT", container.name, name, headers=headers, data=b"")
        return self._head_object(container, name)

    def _sign_url(self, container: Container, name: str, method: str, expires_in: int) -> str:
        """A TempURL (HMAC-SHA256) with the account's key."""
        return _tempurl.temp_url(self.storage_url, container.name, name, method, int(time.time()) + expires_in,
                                 self._account_temp_url_key())

    def _account_temp_url_key(self) -> str:
        """The TempURL key given to the driver, else the account's (read once).

        Raises:
            NotSupportedError: the account has no TempURL key.
        """
        if self._temp_url_key is None:
            headers = self._request("HEAD").headers
            key = next((headers[header] for header in _tempurl.ACCOUNT_KEY_HEADERS if headers.get(header)), None)
            if not key:
                raise NotSupportedError(
                    "the account has no TempURL key: set one (POST the account with X-Account-Meta-Temp-URL-Key) "
                    "or pass temp_url_key=", self)
            self._temp_url_key = Secret(key)
        return self._temp_url_key.reveal()


__all__ = ["SwiftStorageDriver"]
