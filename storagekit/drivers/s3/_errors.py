"""The S3 error parser: status + S3 error code -> the typed storagekit exception.

Codes are those of the S3 API reference ("Error responses"); a status without a known code
(a HEAD answer has no body) is left to :func:`storagekit.http.error_for_status`, which every
driver shares.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from ...http import RequestContext, error_for_status, parse_retry_after
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
    message = fields.get("Message") or ""
    if code in _REGION_CODES or status in (301, 307) or (status == 400 and region and not code):
        where = f"{context.container_name or ''}/{context.object_name or ''}".rstrip("/") or "/"
        return WrongRegionError(
            f"{context.method} {where}: {message or code or f'HTTP {status}'} (the bucket is in region {region})",
            context.driver, region=region, http_status=status, code=code, request_id=request_id,
            container_name=context.container_name, object_name=context.object_name,
        )
    return error_for_status(
        status, context, code=code, message=message, request_id=request_id,
        retry_after=parse_retry_after(headers.get("Retry-After")), cls=_BY_CODE.get(code or ""),
        retryable=code in _RETRYABLE_CODES,
    )
