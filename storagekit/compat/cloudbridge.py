"""CloudBridge's object-storage API over any storagekit driver: the same code, another door.

Code written for CloudBridge runs with only its import lines changed::

    from storagekit.compat.cloudbridge import CloudProviderFactory, ProviderList

    provider = CloudProviderFactory().create_provider(
        ProviderList.AWS, {'aws_access_key': 'ACCESS_KEY', 'aws_secret_key': 'SECRET_KEY'})
    bucket = provider.storage.buckets.create('my-bucket')
    obj = bucket.objects.create('my-data.txt')
    obj.upload_from_file('/path/to/myfile.txt')

The configuration takes CloudBridge's key names (each also read from the environment in
upper case, as CloudBridge does; the dictionary wins), plus a few storagekit additions for
what CloudBridge's storage gets from elsewhere (an Azure account key, an emulator's endpoint):

==============  =====================================================================
AWS             ``aws_access_key``, ``aws_secret_key``, ``aws_session_token``,
                ``aws_region_name``, ``s3_endpoint_url``, ``s3_validate_certs``
Azure           ``azure_storage_account``; ``azure_client_id`` + ``azure_secret`` +
                ``azure_tenant`` (a service principal, needs azure-identity) or
                ``azure_access_token``; storagekit's ``azure_storage_key``,
                ``azure_sas_token``, ``azure_storage_endpoint``
GCP             ``gcp_service_creds_file``, ``gcp_service_creds_dict``,
                ``gcp_credentials_obj``; storagekit's ``gcp_project_name`` (the endpoint
                of an emulator comes from ``STORAGE_EMULATOR_HOST``)
OpenStack       ``os_storage_url`` + ``os_auth_token`` (a pre-authenticated Swift endpoint)
==============  =====================================================================

``create_provider`` also takes a storagekit driver, or a storagekit URL (``"local://"``,
``"memory://"``, ``"s3://"``...) with :func:`~storagekit.urls.open_url`'s options as the config.
Errors are CloudBridge's exception classes (all :class:`CloudBridgeBaseException`, itself a
:class:`~storagekit.types.StorageKitError`), the storagekit error they stand for as their
``__cause__``, except storagekit's NotSupportedError (CloudBridge has none: a store without
signed URLs, OpenStack before storagekit has a Swift driver); ``get`` answers None for what
does not exist, as CloudBridge does.
"""

from __future__ import annotations

import contextlib
import datetime
import fnmatch
import functools
import itertools
import os
from collections.abc import Callable, Iterator, Mapping
from enum import Enum
from typing import IO, Any, TypeVar

from ..base import StorageDriver
from ..file_metadata import last_modified_ns
from ..models import Container, Object
from ..providers import get_driver
from ..types import (
    ConnectionBrokenError,
    ContainerAlreadyExistsError,
    ContainerDoesNotExistError,
    DestinationExistsError,
    InvalidContainerNameError,
    InvalidCredsError,
    InvalidObjectNameError,
    InvalidOptionError,
    InvalidRangeError,
    NotSupportedError,
    ObjectDoesNotExistError,
    PermissionDeniedError,
    Provider,
    ServiceUnavailableError,
    StorageKitError,
)
from ..urls import open_url

__all__ = [
    "Bucket", "BucketObject", "CloudBridgeBaseException", "CloudProvider", "CloudProviderFactory",
    "DuplicateResourceException", "InvalidConfigurationException", "InvalidNameException",
    "InvalidParamException", "InvalidValueException", "ProviderConnectionException",
    "ProviderInternalException", "ProviderList",
]

T = TypeVar("T")
_NS = 1_000_000_000


class ProviderList(str, Enum):
    """CloudBridge's provider names (the storage part of each)."""

    AWS = "aws"
    AZURE = "azure"
    GCP = "gcp"
    OPENSTACK = "openstack"


# ---------------------------------------------------------------------- CloudBridge's exceptions


class CloudBridgeBaseException(StorageKitError):
    """Base of CloudBridge's exceptions; the storagekit error behind one is its ``__cause__``."""


class ProviderConnectionException(CloudBridgeBaseException):
    """The provider could not be reached or refused the credentials."""


class InvalidConfigurationException(CloudBridgeBaseException):
    """The configuration is missing something or holds a bad value."""


class ProviderInternalException(CloudBridgeBaseException):
    """The provider failed the request (CloudBridge's catch-all)."""


class InvalidNameException(CloudBridgeBaseException, ValueError):
    """A bucket or object name the provider does not accept."""


class InvalidValueException(CloudBridgeBaseException, ValueError):
    """An argument's value is not acceptable."""


class InvalidParamException(CloudBridgeBaseException, ValueError):
    """An unknown or conflicting parameter (``find`` filters)."""


class DuplicateResourceException(CloudBridgeBaseException):
    """A bucket (or object) of that name exists already."""


_TRANSLATIONS: tuple[tuple[type[StorageKitError], type[CloudBridgeBaseException]], ...] = (
    (InvalidContainerNameError, InvalidNameException),
    (InvalidObjectNameError, InvalidNameException),
    (ContainerAlreadyExistsError, DuplicateResourceException),
    (DestinationExistsError, DuplicateResourceException),
    (InvalidCredsError, ProviderConnectionException),
    (PermissionDeniedError, ProviderConnectionException),
    (ConnectionBrokenError, ProviderConnectionException),
    (ServiceUnavailableError, ProviderConnectionException),
    (InvalidOptionError, InvalidConfigurationException),
    (InvalidRangeError, InvalidValueException),
)
"""storagekit's errors and the CloudBridge exception each becomes (the first match wins; the rest
become ProviderInternalException)."""


def _cloudbridge_error(error: StorageKitError) -> StorageKitError:
    """The CloudBridge exception standing for a storagekit error (same message and details)."""
    if isinstance(error, (CloudBridgeBaseException, NotSupportedError)):
        return error  # CloudBridge has no "not supported": storagekit's says what is missing
    kind = next((cb for sk, cb in _TRANSLATIONS if isinstance(error, sk)), ProviderInternalException)
    return kind(error.message, error.driver, http_status=error.http_status, code=error.code,
                request_id=error.request_id, container_name=error.container_name, object_name=error.object_name,
                retryable=error.retryable)


@contextlib.contextmanager
def _as_cloudbridge_errors() -> Iterator[None]:
    """Raise CloudBridge's exception for a storagekit error, the error as its cause."""
    try:
        yield
    except StorageKitError as error:
        translated = _cloudbridge_error(error)
        if translated is error:
            raise
        raise translated from error


def _translated(function: Callable[..., T]) -> Callable[..., T]:
    """``function`` raising CloudBridge's exceptions instead of storagekit's."""
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        with _as_cloudbridge_errors():
            return function(*args, **kwargs)
    return wrapper


# ---------------------------------------------------------------------- provider and configuration


class CloudProviderFactory:
    """Makes providers, as CloudBridge's factory does."""

    @_translated
    def create_provider(self, name: ProviderList | str | StorageDriver,
                        config: Mapping[str, Any] | None = None) -> CloudProvider:
        """A provider for CloudBridge's name and configuration, a storagekit driver, or a storagekit URL.

        Args:
            name: ``ProviderList.AWS`` / ``AZURE`` / ``GCP`` / ``OPENSTACK`` (or its value), a
                storagekit driver, or a storagekit URL (``"local://"``, ``"s3://"``...).
            config: CloudBridge's configuration keys (see the module docstring); for a URL,
                :func:`~storagekit.urls.open_url`'s options; for a driver, nothing.

        Returns:
            The provider; nothing is sent until it is used.

        Raises:
            InvalidConfigurationException: an unknown provider name, or a configuration it cannot use.
        """
        if isinstance(name, StorageDriver):
            return CloudProvider(name)
        settings = dict(config or {})
        if isinstance(name, str) and "://" in name:
            return CloudProvider(open_url(name, container_optional=True, **settings).driver)
        try:
            kind = ProviderList(name)
        except ValueError:
            raise InvalidConfigurationException(
                f"unknown provider {name!r}: use one of {', '.join(p.value for p in ProviderList)}, "
                "a storagekit driver or a storagekit URL") from None
        return CloudProvider(_DRIVER_BUILDERS[kind](_Settings(settings)))


class _Settings:
    """CloudBridge's configuration: a key from the dictionary, else the environment in upper case."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config

    def get(self, key: str) -> Any:
        value = self.config.get(key)
        return value if value is not None else os.environ.get(key.upper())


def _aws_driver(settings: _Settings) -> StorageDriver:
    options: dict[str, Any] = {
        "key": settings.get("aws_access_key"), "secret": settings.get("aws_secret_key"),
        "token": settings.get("aws_session_token"), "region": settings.get("aws_region_name"),
        "endpoint_url": settings.get("s3_endpoint_url"),
    }
    if settings.get("s3_validate_certs") is not None:
        options["verify"] = str(settings.get("s3_validate_certs")).lower() not in ("false", "0", "no")
    return get_driver(Provider.S3)(**{name: value for name, value in options.items() if value is not None})


def _azure_driver(settings: _Settings) -> StorageDriver:
    options: dict[str, Any] = {
        "key": settings.get("azure_storage_account"), "secret": settings.get("azure_storage_key"),
        "sas_token": settings.get("azure_sas_token"), "endpoint_url": settings.get("azure_storage_endpoint"),
        "credential": _azure_credential(settings),
    }
    return get_driver(Provider.AZURE_BLOBS)(**{name: value for name, value in options.items() if value is not None})


def _azure_credential(settings: _Settings) -> Any:
    """A service principal's or a bearer token's credential from CloudBridge's Azure keys, or None."""
    token = settings.get("azure_access_token")
    principal = [settings.get(key) for key in ("azure_tenant", "azure_client_id", "azure_secret")]
    if token is not None:
        return _StaticToken(str(token))
    if not any(principal):
        return None
    if not all(principal):
        raise InvalidConfigurationException("an Azure service principal needs azure_tenant, azure_client_id "
                                            "and azure_secret together")
    from azure.identity import ClientSecretCredential  # the azure extra, needed only here

    return ClientSecretCredential(*principal)


class _StaticToken:
    """An azure-core TokenCredential for CloudBridge's ``azure_access_token`` (it is not refreshed)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "<_StaticToken>"

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken(self._token, int(datetime.datetime.now(datetime.timezone.utc).timestamp()) + 3600)


def _gcp_driver(settings: _Settings) -> StorageDriver:
    forms = [settings.get(key) for key in ("gcp_credentials_obj", "gcp_service_creds_dict", "gcp_service_creds_file")]
    credentials = next((form for form in forms if form is not None), None)
    options = {"credentials": credentials, "project": settings.get("gcp_project_name")}
    return get_driver(Provider.GOOGLE_STORAGE)(**{name: value for name, value in options.items() if value is not None})


def _openstack_driver(settings: _Settings) -> StorageDriver:
    """A Swift driver on a pre-authenticated endpoint (CloudBridge's ``os_storage_url`` + ``os_auth_token``)."""
    storage_url, auth_token = settings.get("os_storage_url"), settings.get("os_auth_token")
    if not (storage_url and auth_token):
        raise InvalidConfigurationException("OpenStack object storage takes os_storage_url and os_auth_token "
                                            "(a pre-authenticated Swift endpoint)")
    return get_driver(Provider.OPENSTACK_SWIFT)(storage_url=storage_url, auth_token=auth_token)


_DRIVER_BUILDERS: dict[ProviderList, Callable[[_Settings], StorageDriver]] = {
    ProviderList.AWS: _aws_driver,
    ProviderList.AZURE: _azure_driver,
    ProviderList.GCP: _gcp_driver,
    ProviderList.OPENSTACK: _openstack_driver,
}


class CloudProvider:
    """A provider: only its ``storage`` service (CloudBridge's compute and network are not here)."""

    def __init__(self, driver: StorageDriver) -> None:
        self.driver = driver
        self.storage = StorageService(driver)

    def __repr__(self) -> str:
        return f"<CloudProvider driver={self.driver!r}>"


class StorageService:
    """``provider.storage``: its ``buckets``."""

    def __init__(self, driver: StorageDriver) -> None:
        self.buckets = BucketService(driver)


def _matching(items: Iterator[T], name: str, key: Callable[[T], str]) -> list[T]:
    """Items whose name is ``name``, or matches it as a shell pattern (``*``, ``?``, ``[...]``)."""
    return [item for item in items if key(item) == name or fnmatch.fnmatchcase(key(item), name)]


def _page(items: Iterator[T], limit: int | None, marker: str | None, key: Callable[[T], str]) -> list[T]:
    """Up to ``limit`` items after the one named ``marker`` (CloudBridge's paging)."""
    if marker is not None:
        items = itertools.dropwhile(lambda item: key(item) <= marker, items)
    return list(itertools.islice(items, limit))


def _find_filters(filters: Mapping[str, Any]) -> str:
    """The ``name`` of ``find(name=...)``; any other filter is an InvalidParamException."""
    unknown = sorted(set(filters) - {"name"})
    if unknown or "name" not in filters:
        raise InvalidParamException(f"find() filters by name= only, not {', '.join(unknown) or 'nothing'}")
    return str(filters["name"])


class BucketService:
    """``provider.storage.buckets``: create, get, find, list."""

    def __init__(self, driver: StorageDriver) -> None:
        self.driver = driver

    @_translated
    def create(self, name: str) -> Bucket:
        """Create a bucket; DuplicateResourceException if it exists."""
        return Bucket(self.driver.create_container(name))

    @_translated
    def get(self, bucket_id: str) -> Bucket | None:
        """The bucket of that name, or None if there is none."""
        try:
            return Bucket(self.driver.get_container(bucket_id))
        except ContainerDoesNotExistError:
            return None

    @_translated
    def find(self, **filters: Any) -> list[Bucket]:
        """The buckets whose name is (or matches the pattern) ``name=``."""
        return _matching(self._all(), _find_filters(filters), key=lambda bucket: bucket.name)

    @_translated
    def list(self, limit: int | None = None, marker: str | None = None) -> list[Bucket]:
        """Up to ``limit`` buckets (all by default) after the one named ``marker``."""
        return _page(self._all(), limit, marker, key=lambda bucket: bucket.name)

    def _all(self) -> Iterator[Bucket]:
        return (Bucket(container) for container in self.driver.iterate_containers())


class Bucket:
    """A bucket (a container): ``name`` (= ``id``), its ``objects``, ``delete()``."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.objects = BucketObjectService(self)

    def __repr__(self) -> str:
        return f"<Bucket: {self.name}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Bucket) and other.container == self.container

    def __hash__(self) -> int:
        return hash(self.container)

    @property
    def id(self) -> str:
        return self.container.name

    @property
    def name(self) -> str:
        return self.container.name

    @_translated
    def delete(self, delete_contents: bool = False) -> None:
        """Delete the bucket, emptied first with ``delete_contents=True``."""
        driver = self.container.driver
        if delete_contents:
            errors = driver.delete_objects(list(driver.iterate_container_objects(self.container)))
            if errors:
                raise errors[0]
        driver.delete_container(self.container)


class BucketObjectService:
    """``bucket.objects``: create (a handle; stored on upload), get, find, list."""

    def __init__(self, bucket: Bucket) -> None:
        self.bucket = bucket

    @_translated
    def create(self, name: str) -> BucketObject:
        """A handle for a new object; nothing exists on the store until content is uploaded."""
        self.bucket.container.driver._check_object_name(name)
        return BucketObject(self.bucket, name)

    @_translated
    def get(self, name: str) -> BucketObject | None:
        """The object of that name, or None if there is none."""
        try:
            return BucketObject(self.bucket, name, self.bucket.container.get_object(name))
        except ObjectDoesNotExistError:
            return None

    @_translated
    def find(self, **filters: Any) -> list[BucketObject]:
        """The objects whose name is (or matches the pattern) ``name=``."""
        name = _find_filters(filters)
        return _matching(self._all(_literal_prefix(name) or None), name, key=lambda obj: obj.name)

    @_translated
    def list(self, limit: int | None = None, marker: str | None = None,
             prefix: str | None = None) -> list[BucketObject]:
        """Up to ``limit`` objects (all by default) whose names start with ``prefix``, after ``marker``."""
        return _page(self._all(prefix), limit, marker, key=lambda obj: obj.name)

    def _all(self, prefix: str | None) -> Iterator[BucketObject]:
        container = self.bucket.container
        return (BucketObject(self.bucket, obj.name, obj)
                for obj in container.driver.iterate_container_objects(container, prefix=prefix))


def _literal_prefix(pattern: str) -> str:
    """The part of a name pattern before its first wildcard (what a listing can narrow to)."""
    cut = min((index for index in (pattern.find(char) for char in "*?[") if index >= 0), default=len(pattern))
    return pattern[:cut]


class BucketObject:
    """An object: ``name``, ``size``, ``last_modified``, its content and a signed URL."""

    def __init__(self, bucket: Bucket, name: str, stored: Object | None = None) -> None:
        self.bucket = bucket
        self.name = name
        self._stored = stored

    def __repr__(self) -> str:
        return f"<BucketObject: {self.bucket.name}/{self.name}>"

    @property
    def id(self) -> str:
        return self.name

    @property
    def size(self) -> int:
        """Bytes stored (0 for a handle nothing was uploaded to yet)."""
        return self._stored.size if self._stored else 0

    @property
    def last_modified(self) -> str | None:
        """When the store last wrote the object, UTC, as CloudBridge gives it:
        ``2024-05-01T12:00:00.000000`` (the same for every provider); None before an upload."""
        when = last_modified_ns(self._stored) if self._stored else None
        if when is None:
            return None
        moment = datetime.datetime.fromtimestamp(when // _NS, datetime.timezone.utc)
        return moment.replace(microsecond=when % _NS // 1000).strftime("%Y-%m-%dT%H:%M:%S.%f")

    @property
    def _driver(self) -> StorageDriver:
        return self.bucket.container.driver

    @_translated
    def upload(self, data: bytes | str | IO[bytes]) -> None:
        """Store ``data`` (bytes, text as UTF-8, or a binary file object) as the object's content."""
        source = data.encode("utf-8") if isinstance(data, str) else data
        self._stored = self._driver.upload_object_via_stream(source, self.bucket.container, self.name)

    @_translated
    def upload_from_file(self, path: str) -> None:
        """Store the file at ``path`` as the object's content (multipart when large)."""
        self._stored = self._driver.upload_object(path, self.bucket.container, self.name)

    @_translated
    def save_content(self, target_stream: IO[bytes]) -> None:
        """Write the object's content, verified, into a binary file object."""
        for chunk in self._driver.download_object_as_stream(self._object()):
            target_stream.write(chunk)

    def iter_content(self) -> Iterator[bytes]:
        """The object's content as an iterator of byte chunks (verified as it ends)."""
        with _as_cloudbridge_errors():
            yield from self._driver.download_object_as_stream(self._object())

    @_translated
    def generate_url(self, expires_in: int, writable: bool = False) -> str:
        """A signed URL for anyone to GET the object (``writable=True``: to PUT it) for ``expires_in`` s."""
        return self._driver.get_object_url(self.bucket.container, expires_in=expires_in,
                                           method="PUT" if writable else "GET", object_name=self.name)

    @_translated
    def delete(self) -> None:
        """Delete the object."""
        self._driver.delete_object(self._object())
        self._stored = None

    @_translated
    def refresh(self) -> None:
        """Read the object's size and date from the store again."""
        self._stored = self.bucket.container.get_object(self.name)

    def _object(self) -> Object:
        return self._stored if self._stored is not None else self.bucket.container.get_object(self.name)

