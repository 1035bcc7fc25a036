"""The one error parser of the Azure driver: status + error code -> typed exception.

The code comes from ``x-ms-error-code`` (always sent, also on HEAD) or the XML body's
``<Code>``; the request id from ``x-ms-request-id``. Codes are those of Microsoft's
"Blob Storage error codes" and "Common REST API error codes" tables.
"""

from __future__ import annotations

from ...http import RequestContext, parse_retry_after, redact
from ...transport import Response
from ...types import (
    ContainerAlreadyExistsError,
    ContainerDoesNotExistError,
    ContainerError,
    InvalidContainerNameError,
    InvalidCredsError,
    InvalidObjectNameError,
    InvalidOptionError,
    InvalidRangeError,
    NotSupportedError,
    ObjectDoesNotExistError,
    ObjectError,
    ObjectHashMismatchError,
    PermissionDeniedError,
    PreconditionFailedError,
    RateLimitReachedError,
    ServiceUnavailableError,
    StorageKitError,
)
from ...xmlparser import parse_xml

_BY_CODE: dict[str, type[StorageKitError]] = {
    "ContainerNotFound": ContainerDoesNotExistError,
    "BlobNotFound": ObjectDoesNotExistError,
    "ContainerAlreadyExists": ContainerAlreadyExistsError,
    "AuthenticationFailed": InvalidCredsError,
    "InvalidAuthenticationInfo": InvalidCredsError,
    "NoAuthenticationInformation": InvalidCredsError,
    "AuthorizationFailure": PermissionDeniedError,
    "AuthorizationPermissionMismatch": PermissionDeniedError,
    "AuthorizationResourceTypeMismatch": PermissionDeniedError,
    "AuthorizationServiceMismatch": PermissionDeniedError,
    "AuthorizationProtocolMismatch": PermissionDeniedError,
    "AuthorizationSourceIPMismatch": PermissionDeniedError,
    "InsufficientAccountPermissions": PermissionDeniedError,
    "AccountIsDisabled": PermissionDeniedError,
    "ServerBusy": RateLimitReachedError,
    "OperationTimedOut": ServiceUnavailableError,
    "InternalError": ServiceUnavailableError,
    "ConditionNotMet": PreconditionFailedError,
    "TargetConditionNotMet": PreconditionFailedError,
    "SourceConditionNotMet": PreconditionFailedError,
    "BlobAlreadyExists": PreconditionFailedError,
    "LeaseIdMissing": PreconditionFailedError,
    "InvalidRange": InvalidRangeError,
    "Md5Mismatch": ObjectHashMismatchError,
    "InvalidMd5": ObjectHashMismatchError,
    "InvalidBlobType": NotSupportedError,
    "UnsupportedHeader": InvalidOptionError,
    "InvalidHeaderValue": InvalidOptionError,
    "InvalidQueryParameterValue": InvalidOptionError,
    "InvalidMetadata": InvalidOptionError,
    "MetadataTooLarge": InvalidOptionError,
    "OutOfRangeInput": InvalidOptionError,
}
_RETRYABLE = {"ServerBusy", "OperationTimedOut", "InternalError"}


def error_code(response: Response) -> tuple[str | None, str]:
    """The error code and the service's message (from the header, else the XML body)."""
    code = response.headers.get("x-ms-error-code")
    message = ""
    body = b"" if response.request is not None and response.request.method == "HEAD" else response.content
    if body.lstrip().startswith(b"<"):
        try:
            root = parse_xml(body)
        except StorageKitError:
            root = None
        if root is not None:
            code = code or root.findtext("Code")
            message = (root.findtext("Message") or "").strip().split("\n")[0]
    return code, message


def parse_error(response: Response, context: RequestContext) -> StorageKitError:
    """The typed exception an Azure error response means, with status, code and request id."""
    status = response.status_code
    code, service_message = error_code(response)
    cls = _BY_CODE.get(code or "") or _by_status(status, context)
    if code == "AuthorizationFailure" and "failed to authenticate" in service_message:
        cls = InvalidCredsError  # Azurite's answer to a bad signature (Azure says AuthenticationFailed)
    elif code == "InvalidResourceName":
        cls = InvalidObjectNameError if context.object_name else InvalidContainerNameError
    elif code == "ContainerBeingDeleted":
        cls = ContainerAlreadyExistsError if context.method == "PUT" and not context.object_name \
            else ContainerDoesNotExistError
    what = _what(context)
    message = f"{context.method} {what} failed: {code or response.reason or status}"
    if service_message:
        message += f" ({redact(service_message)})"
    kwargs = dict(
        http_status=status, code=code, request_id=response.headers.get("x-ms-request-id"),
        container_name=context.container_name, object_name=context.object_name,
        retryable=code in _RETRYABLE or status >= 500 or status == 429,
    )
    if cls is RateLimitReachedError:
        return RateLimitReachedError(
            message, context.driver, retry_after=parse_retry_after(response.headers.get("Retry-After")), **kwargs
        )
    return cls(message, context.driver, **kwargs)


def _by_status(status: int, context: RequestContext) -> type[StorageKitError]:
    if status == 401:
        return InvalidCredsError
    if status == 403:
        return PermissionDeniedError
    if status == 404:
        return ObjectDoesNotExistError if context.object_name else ContainerDoesNotExistError
    if status == 412:
        return PreconditionFailedError
    if status == 416:
        return InvalidRangeError
    if status in (429, 503):
        return RateLimitReachedError
    if status >= 500:
        return ServiceUnavailableError
    if context.object_name:
        return ObjectError
    return ContainerError if context.container_name else StorageKitError


def _what(context: RequestContext) -> str:
    if context.object_name:
        return f"{context.container_name}/{context.object_name}"
    if context.container_name:
        return f"container {context.container_name}"
    return "the account"
