"""The one error parser of the Azure driver: status + error code -> typed exception.

The code comes from ``x-ms-error-code`` (always sent, also on HEAD) or the XML body's
``<Code>``; the request id from ``x-ms-request-id``. Codes are those of Microsoft's
"Blob Storage error codes" and "Common REST API error codes" tables; a status without a
known code is left to :func:`storagekit.http.error_for_status`, which every driver shares.
"""

from __future__ import annotations

from ...http import RequestContext, error_for_status, parse_retry_after
from ...transport import Response
from ...types import (
    ContainerAlreadyExistsError,
    ContainerDoesNotExistError,
    InvalidContainerNameError,
    InvalidCredsError,
    InvalidObjectNameError,
    InvalidOptionError,
    InvalidRangeError,
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
    "FeatureNotSupported": NotSupportedError,  # Azurite (strict mode) refusing a header it lacks
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
    code, service_message = error_code(response)
    cls = _BY_CODE.get(code or "")
    if code == "AuthorizationFailure" and "failed to authenticate" in service_message:
        cls = InvalidCredsError  # Azurite's answer to a bad signature (Azure says AuthenticationFailed)
    elif code == "InvalidResourceName":
        cls = InvalidObjectNameError if context.object_name else InvalidContainerNameError
    elif code == "ContainerBeingDeleted":
        cls = ContainerAlreadyExistsError if context.method == "PUT" and not context.object_name \
            else ContainerDoesNotExistError
    error = error_for_status(
        response.status_code, context, code=code, message=service_message,
        request_id=response.headers.get("x-ms-request-id"),
        retry_after=parse_retry_after(response.headers.get("Retry-After")), cls=cls, retryable=code in _RETRYABLE,
    )
    if code == "FeatureNotSupported":
        error.retryable = False  # sent with status 500, but a missing feature does not come back on retry
    return error
