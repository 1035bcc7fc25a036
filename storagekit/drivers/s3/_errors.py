"""The S3 error parser: status + S3 error code -> the typed storagekit exception.

Codes are those of the S3 API reference ("Error responses"). A HEAD answer has no
body, so a bare 404 means the object when one was named, else the bucket.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from ...http import RequestContext, parse_retry_after
from ...transport import Response
from ...types import (
    ContainerAlreadyExistsError,
    ContainerDoesNotExistError,
    ContainerIsNotEmptyError,
    InvalidContainerNameError,
    InvalidCredsError,
    InvalidObjectNameError,
    InvalidOptionError,
    InvalidRangeError,
    MalformedResponseError,
    NotSupportedError,
    ObjectDoesNotExistError,
    ObjectHashMismatchError,
    PermissionDeniedError,
    PreconditionFailedError,
    RateLimitReachedError,
    ServiceUnavailableError,
    StorageKitError,
)
from ...xmlparser import parse_xml


class WrongRegionError(StorageKitError):
    """The bucket lives in another region (``region``); the driver follows this once."""

    def __init__(self, message: str, driver: Any = None, *, region: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, driver, **kwargs)
        self.region = region


_BY_CODE: dict[str, type[StorageKitError]] = {
    "AccessDenied": PermissionDeniedError,
    "AllAccessDisabled": PermissionDeniedError,
    "BadDigest": ObjectHashMismatchError,
    "BucketAlreadyExists": ContainerAlreadyExistsError,
    "BucketAlreadyOwnedByYou": ContainerAlreadyExistsError,
    "BucketNotEmpty": ContainerIsNotEmptyError,
    "ConditionalRequestConflict": PreconditionFailedError,
    "EntityTooLarge": InvalidOptionError,
    "EntityTooSmall": InvalidOptionError,
    "ExpiredToken": InvalidCredsError,
    "InternalError": ServiceUnavailableError,
    "InvalidAccessKeyId": InvalidCredsError,
    "InvalidBucketName": InvalidContainerNameError,
    "InvalidDigest": ObjectHashMismatchError,
    "InvalidRange": InvalidRangeError,
    "InvalidToken": InvalidCredsError,
    "KeyTooLongError": InvalidObjectNameError,
    "NoSuchBucket": ContainerDoesNotExistError,
    "NoSuchKey": ObjectDoesNotExistError,
    "NoSuchUpload": ObjectDoesNotExistError,
    "NotImplemented": NotSupportedError,
    "OperationAborted": ServiceUnavailableError,
    "PreconditionFailed": PreconditionFailedError,
    "RequestTimeTooSkewed": InvalidCredsError,
    "RequestTimeout": ServiceUnavailableError,
    "ServiceUnavailable": ServiceUnavailableError,
    "SignatureDoesNotMatch": InvalidCredsError,
    "SlowDown": RateLimitReachedError,
    "TokenRefreshRequired": InvalidCredsError,
}
_RETRYABLE_CODES = frozenset({"BadDigest", "InternalError", "OperationAborted", "RequestTimeout", "ServiceUnavailable",
                              "SlowDown"})
_REGION_CODES = frozenset({"AuthorizationHeaderMalformed", "IllegalLocationConstraintException", "PermanentRedirect",
                           "TemporaryRedirect"})
_BY_STATUS: dict[int, type[StorageKitError]] = {
    401: InvalidCredsError,
    403: PermissionDeniedError,
    405: NotSupportedError,
    412: PreconditionFailedError,
    416: InvalidRangeError,
    429: RateLimitReachedError,
    501: NotSupportedError,
}


def error_fields(root: etree._Element) -> dict[str, str]:
    """The children of an ``<Error>`` element by tag (Code, Message, RequestId, Region, ...)."""
    return {etree.QName(child).localname: child.text or "" for child in root if isinstance(child.tag, str)}


def parse_error(response: Response, context: RequestContext) -> StorageKitError:
    """The exception a failed S3 response means."""
    fields: dict[str, str] = {}
    if context.method != "HEAD" and response.content:
        try:
            fields = error_fields(parse_xml(response.content))
        except MalformedResponseError:
            fields = {}
    return error_from_fields(fields, response.status_code, response.headers, context)


def error_from_fields(
    fields: dict[str, str], status: int, headers: Any, context: RequestContext
) -> StorageKitError:
    """The exception for an S3 error (from a failed response, or a 200 whose body is an ``<Error>``)."""
    code = fields.get("Code") or None
    request_id = fields.get("RequestId") or headers.get("x-amz-request-id")
    region = fields.get("Region") or headers.get("x-amz-bucket-region")
    where = context.container_name or ""
    if context.object_name:
        where = f"{where}/{context.object_name}"
    message = f"{context.method} {where or '/'}: {fields.get('Message') or code or f'HTTP {status}'}"
    common: dict[str, Any] = {
        "http_status": status, "code": code, "request_id": request_id,
        "container_name": context.container_name, "object_name": context.object_name,
    }
    if code in _REGION_CODES or status in (301, 307) or (status == 400 and region and not code):
        message = f"{message} (the bucket is in region {region})"
        return WrongRegionError(message, context.driver, region=region, **common)
    cls = _BY_CODE.get(code or "") or _BY_STATUS.get(status)
    if cls is None and status == 404:
        cls = ObjectDoesNotExistError if context.object_name else ContainerDoesNotExistError
    if cls is None:
        cls = ServiceUnavailableError if status >= 500 else StorageKitError
    retryable = (status >= 500 and cls is not NotSupportedError) or status == 429 or code in _RETRYABLE_CODES
    if cls is RateLimitReachedError:
        return RateLimitReachedError(message, context.driver, retry_after=parse_retry_after(headers.get("Retry-After")),
                                     **common)
    return cls(message, context.driver, retryable=retryable, **common)
