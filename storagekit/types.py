"""Provider names and the exception hierarchy: the vocabulary every other module shares.

This module imports nothing else of storagekit. Exceptions also inherit the builtin a
caller would naturally catch (``FileNotFoundError`` for a missing object, ``ValueError``
for a bad name, ...)::

    StorageKitError                      also named LibcloudError
     +-- ProviderError                   the provider refused (libcloud's name)
     |    +-- InvalidCredsError          (PermissionError) also named InvalidCredsException
     |    +-- PermissionDeniedError      (PermissionError)
     |    +-- ServiceUnavailableError
     |         +-- ConnectionBrokenError (ConnectionError)
     +-- BaseHTTPError                   an HTTP answer libcloud reports by status (libcloud's name)
     |    +-- RateLimitReachedError      retry_after, headers
     +-- MalformedResponseError          body
     +-- TLSError                        never retried
     +-- NotSupportedError               (NotImplementedError)
     +-- InvalidOptionError              (ValueError)
     +-- InsufficientStorageError        (OSError)
     +-- ContainerError
     |    +-- ContainerDoesNotExistError (FileNotFoundError)
     |    +-- ContainerAlreadyExistsError (FileExistsError)
     |    +-- ContainerIsNotEmptyError
     |    +-- InvalidContainerNameError  (ValueError)
     +-- ObjectError
          +-- ObjectDoesNotExistError    (FileNotFoundError)
          +-- ObjectHashMismatchError
          +-- InvalidObjectNameError     (ValueError)
          +-- InvalidRangeError          (ValueError)
          +-- PreconditionFailedError
          +-- DestinationExistsError     (FileExistsError)
     +-- SyncRefusedError                a sync would do something drastic; nothing was changed
          +-- SourceNotFoundError        (FileNotFoundError) the source is missing or not a directory
     +-- TaskFailedError                 a task on a cluster worker failed (names the worker and the cause)

libcloud code keeps working: ``LibcloudError`` is the root itself, every exception takes
libcloud's positional form (``ObjectDoesNotExistError(value, driver, object_name)``,
``ContainerError(value, driver, container_name)``, ``ProviderError(value, http_code, driver)``,
``MalformedResponseError(value, body, driver)``, ``BaseHTTPError(code, message, headers)``) as
well as storagekit's keywords, and carries ``.value`` (the message) and ``.http_code`` (the
HTTP status, also ``.http_status``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any


class Provider(str, Enum):
    """Every storage service storagekit ships a driver for, and every libcloud storage provider name
    (values are libcloud's); ``NIMBUS`` and ``NINEFOLD`` name services that closed, and
    ``get_driver`` says so."""

    ALIYUN_OSS = "aliyun_oss"
    AURORAOBJECTS = "auroraobjects"
    AZURE_BLOBS = "azure_blobs"
    BACKBLAZE_B2 = "backblaze_b2"
    CEPH = "ceph"
    CLOUDFILES = "cloudfiles"
    CLOUDFILES_SWIFT = "cloudfiles_swift"
    CLOUDFILES_UK = "cloudfiles_uk"
    CLOUDFILES_US = "cloudfiles_us"
    CLOUDFLARE_R2 = "cloudflare_r2"
    DIGITALOCEAN_SPACES = "digitalocean_spaces"
    DUMMY = "dummy"
    GOOGLE_STORAGE = "google_storage"
    HUAWEI_OBS = "huawei_obs"
    KTUCLOUD = "ktucloud"
    LOCAL = "local"
    MEMORY = "memory"
    MINIO = "minio"
    NIMBUS = "nimbus"
    NINEFOLD = "ninefold"
    OPENSTACK_SWIFT = "openstack_swift"
    OVH = "ovh"
    OVH_SWIFT = "ovh_swift"
    S3 = "s3"
    S3_AP_NORTHEAST = "s3_ap_northeast"
    S3_AP_NORTHEAST1 = "s3_ap_northeast_1"
    S3_AP_NORTHEAST2 = "s3_ap_northeast_2"
    S3_AP_SOUTH = "s3_ap_south"
    S3_AP_SOUTHEAST = "s3_ap_southeast"
    S3_AP_SOUTHEAST2 = "s3_ap_southeast2"
    S3_CA_CENTRAL = "s3_ca_central"
    S3_CN_NORTH = "s3_cn_north"
    S3_CN_NORTHWEST = "s3_cn_northwest"
    S3_EU_CENTRAL = "s3_eu_central"
    S3_EU_NORTH1 = "s3_eu_north_1"
    S3_EU_WEST = "s3_eu_west"
    S3_EU_WEST2 = "s3_eu_west_2"
    S3_EU_WEST3 = "s3_eu_west_3"
    S3_RGW = "s3_rgw"
    S3_RGW_OUTSCALE = "s3_rgw_outscale"
    S3_SA_EAST = "s3_sa_east"
    S3_US_EAST2 = "s3_us_east_2"
    S3_US_GOV_WEST = "s3_us_gov_west"
    S3_US_WEST = "s3_us_west"
    S3_US_WEST_OREGON = "s3_us_west_oregon"
    SCALEWAY = "scaleway"
    SEAWEEDFS = "seaweedfs"
    WASABI = "wasabi"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class DriverRef:
    """What a pickled error keeps of its driver: the driver's name and provider, nothing that connects.

    Args:
        name: the driver's ``name`` (``"Amazon S3"``).
        provider: the driver's provider (``"s3"``).

    """

    name: str
    provider: str

    @classmethod
    def of(cls, driver: Any) -> DriverRef:
        """The reference to a driver (a DriverRef stays as it is).

        Args:
            driver: a driver, or a DriverRef.

        Returns:
            Its DriverRef.

        """
        if isinstance(driver, DriverRef):
            return driver
        return cls(str(getattr(driver, "name", type(driver).__name__)), str(getattr(driver, "provider", "")))


class StorageKitError(Exception):
    """Base of every storagekit error; carries where it happened, never a credential."""

    def __init__(
        self,
        message: str,
        driver: Any = None,
        *,
        http_status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        container_name: str | None = None,
        object_name: str | None = None,
        retryable: bool = False,
    ) -> None:
        """Make an error from a message and where it happened.

        Args:
            message: what went wrong, in words a user can act on (never a secret).
            driver: the driver that raised it (pickled as a :class:`DriverRef`).
            http_status: the HTTP status the service answered, if any (also ``.http_code``).
            code: the provider's error code (``NoSuchKey``, ``BlobNotFound``, ...).
            request_id: the provider's request id, for its support.
            container_name: the container concerned.
            object_name: the object concerned.
            retryable: trying again may succeed (a throttle, a 5xx, a broken connection); the retry
                policy reads it.

        """
        super().__init__(message)
        self.message = message
        self.driver = driver
        self.http_status = http_status
        self.code = code
        self.request_id = request_id
        self.container_name = container_name
        self.object_name = object_name
        self.retryable = retryable

    def __str__(self) -> str:
        details = [
            f"{label}={value}"
            for label, value in (
                ("status", self.http_status),
                ("code", self.code),
                ("request_id", self.request_id),
            )
            if value is not None
        ]
        return f"{self.message} ({', '.join(details)})" if details else self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle the error's fields; its driver travels as a :class:`DriverRef` (name and provider),
        so an error raised in a worker process reaches the parent whole, without the driver's
        connections or credentials."""
        state = dict(self.__dict__)
        if state.get("driver") is not None:
            state["driver"] = DriverRef.of(state["driver"])
        return _rebuild_error, (type(self), self.message, state)

    @property
    def value(self) -> str:
        """The message (libcloud's name for it)."""
        return self.message

    @value.setter
    def value(self, value: str) -> None:
        self.message = value

    @property
    def http_code(self) -> int | None:
        """The HTTP status the service answered, if any (libcloud's name for ``http_status``)."""
        return self.http_status

    @http_code.setter
    def http_code(self, value: int | None) -> None:
        self.http_status = value


LibcloudError = StorageKitError
"""libcloud's name for the root of the hierarchy: the same class, so ``except LibcloudError`` catches all."""


def _is_driver(value: Any) -> bool:
    """Whether a positional argument is storagekit's ``driver`` rather than libcloud's data in that place."""
    return value is not None and not isinstance(value, (str, bytes, bytearray, int, dict))


def _rebuild_error(cls: type[StorageKitError], message: str, state: dict[str, Any]) -> StorageKitError:
    """Unpickle an error without replaying its constructor's keyword arguments."""
    error = cls.__new__(cls, message)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class ProviderError(StorageKitError):
    """The provider refused or failed a request (libcloud's ``ProviderError(value, http_code, driver)``).

    Args:
        value: the message.
        http_code: the HTTP status (storagekit's ``(message, driver)`` order is accepted too).
        driver: the driver that made the request.
        kwargs: storagekit's keywords (``http_status``, ``code``, ``object_name``, ...).
    """

    def __init__(self, value: str, http_code: Any = None, driver: Any = None, **kwargs: Any) -> None:
        if _is_driver(http_code):
            driver, http_code = http_code, None
        if http_code is not None:
            kwargs.setdefault("http_status", http_code)
        super().__init__(value, driver, **kwargs)


class InvalidCredsError(ProviderError, PermissionError):
    """The service rejected the credentials (unknown key, bad signature, expired token)."""

    def __init__(self, value: str = "Invalid credentials with the provider", driver: Any = None, **kwargs: Any) -> None:
        """Made as libcloud makes it: ``(value, driver)``, storagekit's keywords after.

        Args:
            value: the message.
            driver: the driver that raised it (pickled as a :class:`DriverRef`).
            **kwargs: storagekit's keywords (``http_status``, ``code``, ``request_id``, ``retryable``, ...).

        """
        StorageKitError.__init__(self, value, driver, **kwargs)


InvalidCredsException = InvalidCredsError
"""libcloud's older name for :class:`InvalidCredsError`."""


class PermissionDeniedError(ProviderError, PermissionError):
    """The credentials are valid but not allowed to do this."""

    def __init__(self, value: str, driver: Any = None, **kwargs: Any) -> None:
        """Made as libcloud makes its errors: ``(value, driver)``, storagekit's keywords after.

        Args:
            value: the message.
            driver: the driver that raised it (pickled as a :class:`DriverRef`).
            **kwargs: storagekit's keywords (``http_status``, ``code``, ``request_id``, ``retryable``, ...).

        """
        StorageKitError.__init__(self, value, driver, **kwargs)


class BaseHTTPError(StorageKitError):
    """An HTTP answer reported by its status (libcloud's ``BaseHTTPError(code, message, headers)``).

    ``.code`` stays storagekit's provider error code (a string such as ``SlowDown``); the status
    is ``.http_code`` / ``.http_status``, and is given first, by position. A message given first
    means storagekit's ``(message, driver)`` order.

    Args:
        status: the HTTP status (libcloud's ``code``).
        message: what happened.
        headers: the response's headers, if known.
        kwargs: storagekit's keywords (``driver``, ``code``, ``retryable``, ...).
    """

    def __init__(self, status: int | str | None = None, /, message: Any = "",
                 headers: dict[str, str] | None = None, **kwargs: Any) -> None:
        driver = kwargs.pop("driver", None)
        if isinstance(status, str):  # storagekit's (message, driver) order
            status, message, driver = None, status, message if _is_driver(message) else driver
        kwargs.setdefault("http_status", status)
        super().__init__(message or f"HTTP {status}", driver, **kwargs)
        self.headers = headers


class RateLimitReachedError(BaseHTTPError):
    """The service is throttling requests; ``retry_after`` is its advice in seconds.

    Built as storagekit does (``(message, driver, retry_after=...)``) or as libcloud does
    (``RateLimitReachedError(headers=...)``, the advice then read from ``Retry-After``).
    """

    def __init__(self, message: str = "Rate limit exceeded", driver: Any = None, *,
                 retry_after: float | None = None, headers: dict[str, str] | None = None, **kwargs: Any) -> None:
        """Made as storagekit makes it, or as libcloud does (``RateLimitReachedError(headers=...)``).

        Args:
            message: the message.
            driver: the driver that raised it (pickled as a :class:`DriverRef`).
            retry_after: the service's advice, in seconds; else read from ``headers``' ``Retry-After``.
            headers: the response's headers.
            **kwargs: storagekit's keywords (``http_status``, ``code``, ``request_id``, ``retryable``, ...).

        """
        kwargs.setdefault("retryable", True)
        kwargs.setdefault("http_status", 429)
        super().__init__(kwargs.pop("http_status"), message, headers, driver=driver, **kwargs)
        if retry_after is None and headers:
            advice = {name.lower(): value for name, value in headers.items()}.get("retry-after")
            try:
                retry_after = float(advice) if advice is not None else None
            except ValueError:
                retry_after = None
        self.retry_after = retry_after


class ServiceUnavailableError(ProviderError):
    """The service failed or could not be reached."""

    def __init__(self, value: str = "Service unavailable at provider", driver: Any = None, **kwargs: Any) -> None:
        """Made as libcloud makes it: ``(value, driver)``, storagekit's keywords after.

        Args:
            value: the message.
            driver: the driver that raised it (pickled as a :class:`DriverRef`).
            **kwargs: storagekit's keywords (``http_status``, ``code``, ``request_id``, ``retryable``, ...).

        """
        StorageKitError.__init__(self, value, driver, **kwargs)


class ConnectionBrokenError(ServiceUnavailableError, ConnectionError):
    """The connection failed or broke in the middle of a transfer."""


class MalformedResponseError(StorageKitError):
    """The service answered something storagekit cannot make sense of; ``body`` is what it sent, if kept.

    Takes libcloud's ``(value, body, driver)`` and storagekit's ``(message, driver)`` alike.
    """

    def __init__(self, value: str, body: Any = None, driver: Any = None, **kwargs: Any) -> None:
        """Made from libcloud's ``(value, body, driver)`` or storagekit's ``(message, driver)``.

        Args:
            value: the message.
            body: what the service sent (kept as ``.body``), or the driver in storagekit's order.
            driver: the driver that raised it (pickled as a :class:`DriverRef`).
            **kwargs: storagekit's keywords (``http_status``, ``code``, ``request_id``, ``retryable``, ...).

        """
        if _is_driver(body):
            driver, body = body, None
        super().__init__(value, driver, **kwargs)
        self.body = body


class TLSError(StorageKitError):
    """A TLS handshake failed for good: the certificate did not verify, or no protocol was agreed.

    Never retried, and deliberately not an ``OSError`` (as ``ssl.SSLError`` is), so nothing
    that retries broken connections retries it; it may be an interception attempt.
    """


class NotSupportedError(StorageKitError, NotImplementedError):
    """The provider (or this driver) has no such feature."""


class InvalidOptionError(StorageKitError, ValueError):
    """An option (a key of ``extra``, a transfer setting) is unknown or has a bad value."""


class InsufficientStorageError(StorageKitError, OSError):
    """The disk filled up or a file size limit was hit (ENOSPC, EFBIG, EDQUOT); nothing partial is kept."""


class ContainerError(StorageKitError):
    """Something is wrong with a container; libcloud's ``(value, driver, container_name)`` works too."""

    def __init__(self, value: str, driver: Any = None, container_name: str | None = None, **kwargs: Any) -> None:
        """Made from libcloud's ``(value, driver, container_name)``.

        Args:
            value: the message.
            driver: the driver that raised it (pickled as a :class:`DriverRef`).
            container_name: the container concerned.
            **kwargs: storagekit's keywords (``http_status``, ``code``, ``request_id``, ``retryable``, ...).

        """
        super().__init__(value, driver, container_name=container_name, **kwargs)


class ContainerDoesNotExistError(ContainerError, FileNotFoundError):
    """The container does not exist."""


class ContainerAlreadyExistsError(ContainerError, FileExistsError):
    """A container of that name already exists."""


class ContainerIsNotEmptyError(ContainerError):
    """The container still holds objects, so it cannot be deleted."""


class InvalidContainerNameError(ContainerError, ValueError):
    """The container name is not allowed by the provider."""


class ObjectError(StorageKitError):
    """Something is wrong with an object; libcloud's ``(value, driver, object_name)`` works too."""

    def __init__(self, value: str, driver: Any = None, object_name: str | None = None, **kwargs: Any) -> None:
        """Made from libcloud's ``(value, driver, object_name)``.

        Args:
            value: the message.
            driver: the driver that raised it (pickled as a :class:`DriverRef`).
            object_name: the object concerned.
            **kwargs: storagekit's keywords (``http_status``, ``code``, ``request_id``, ``retryable``, ...).

        """
        super().__init__(value, driver, object_name=object_name, **kwargs)


class ObjectDoesNotExistError(ObjectError, FileNotFoundError):
    """The object does not exist in its container."""


class ObjectHashMismatchError(ObjectError):
    """The bytes received or stored do not match their checksum or size."""


class InvalidObjectNameError(ObjectError, ValueError):
    """The object name is not allowed (empty, escapes the root, NUL, too long, ...)."""


class InvalidRangeError(ObjectError, ValueError):
    """A byte range lies outside the object or ends before it starts."""


class PreconditionFailedError(ObjectError):
    """A conditional request's condition (create-only, if-match) did not hold."""


class DestinationExistsError(ObjectError, FileExistsError):
    """A download would replace an existing file and ``overwrite_existing`` is False."""


class SyncRefusedError(StorageKitError):
    """A sync refused to run (it would empty or gut the destination); nothing was changed."""


class SourceNotFoundError(SyncRefusedError, FileNotFoundError):
    """A sync's source does not exist: no directory, no container, no object under the prefix."""


class TaskFailedError(StorageKitError):
    """A task of a distributed transfer failed on a worker; the message names the worker and the cause."""


__all__ = [
    "BaseHTTPError",
    "ConnectionBrokenError",
    "ContainerAlreadyExistsError",
    "ContainerDoesNotExistError",
    "ContainerError",
    "ContainerIsNotEmptyError",
    "DestinationExistsError",
    "DriverRef",
    "InsufficientStorageError",
    "InvalidContainerNameError",
    "InvalidCredsError",
    "InvalidCredsException",
    "InvalidObjectNameError",
    "InvalidOptionError",
    "InvalidRangeError",
    "LibcloudError",
    "MalformedResponseError",
    "NotSupportedError",
    "ObjectDoesNotExistError",
    "ObjectError",
    "ObjectHashMismatchError",
    "PermissionDeniedError",
    "PreconditionFailedError",
    "Provider",
    "ProviderError",
    "RateLimitReachedError",
    "ServiceUnavailableError",
    "SourceNotFoundError",
    "StorageKitError",
    "SyncRefusedError",
    "TLSError",
    "TaskFailedError",
]
