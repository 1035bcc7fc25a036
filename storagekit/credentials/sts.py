"""The AWS STS calls storagekit makes: AssumeRole, AssumeRoleWithWebIdentity, GetSessionToken.

Each is one form-encoded POST to the STS endpoint, signed with the S3 driver's own SigV4 signer
(service ``sts``; AssumeRoleWithWebIdentity is unsigned, the token is the proof), sent through
:class:`~storagekit.http.Connection` and parsed with the hardened XML parser. The endpoint is
``AWS_ENDPOINT_URL_STS``, else ``AWS_ENDPOINT_URL``, else the regional
``https://sts.<region>.amazonaws.com``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlencode

from lxml import etree

from ..drivers.s3._auth import SigV4Auth
from ..drivers.s3._credentials import Credentials
from ..http import Connection, RequestContext, RetryPolicy
from ..secret import Secret
from ..transport import Response
from ..types import InvalidCredsError, MalformedResponseError, StorageKitError
from ..xmlparser import parse_xml
from .aws.base import AwsCredentials, parse_time

API_VERSION = "2011-06-15"
DEFAULT_REGION = "us-east-1"
_REFUSED = frozenset({"AccessDenied", "InvalidClientTokenId", "ExpiredToken", "SignatureDoesNotMatch",
                      "InvalidIdentityToken", "ExpiredTokenException", "IDPRejectedClaim"})


def endpoint(region: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The STS endpoint URL for ``region`` (see the module for the order)."""
    env = os.environ if environ is None else environ
    return (env.get("AWS_ENDPOINT_URL_STS") or env.get("AWS_ENDPOINT_URL")
            or f"https://sts.{region or DEFAULT_REGION}.amazonaws.com")


def assume_role(
    credentials: AwsCredentials, role_arn: str, session_name: str, *, region: str | None,
    external_id: str | None = None, duration_seconds: int | None = None, via: str = "",
) -> AwsCredentials:
    """Assume ``role_arn`` with ``credentials``; the result says it is that role (``via`` what).

    Raises:
        InvalidCredsError: STS refused (bad credentials, wrong external id, not allowed).
    """
    params = {"RoleArn": role_arn, "RoleSessionName": session_name}
    if external_id:
        params["ExternalId"] = external_id
    if duration_seconds:
        params["DurationSeconds"] = str(int(duration_seconds))
    return _credentials_call("AssumeRole", params, region, credentials, f"assumed role {role_arn}{via}")


def assume_role_with_web_identity(
    token: str, role_arn: str, session_name: str, *, region: str | None, duration_seconds: int | None = None,
) -> AwsCredentials:
    """Exchange an OIDC token (EKS service account, GitHub Actions ...) for ``role_arn``'s credentials.

    Raises:
        InvalidCredsError: STS refused the token or the role.
    """
    params = {"RoleArn": role_arn, "RoleSessionName": session_name, "WebIdentityToken": token}
    if duration_seconds:
        params["DurationSeconds"] = str(int(duration_seconds))
    return _credentials_call("AssumeRoleWithWebIdentity", params, region, None,
                             f"assumed role {role_arn} via web identity")


def get_session_token(
    credentials: AwsCredentials, *, region: str | None, duration_seconds: int | None = None,
) -> AwsCredentials:
    """Temporary credentials for the same identity as ``credentials`` (GetSessionToken).

    Raises:
        InvalidCredsError: STS refused the credentials.
    """
    params = {"DurationSeconds": str(int(duration_seconds))} if duration_seconds else {}
    return _credentials_call("GetSessionToken", params, region, credentials,
                             f"session token of access key {credentials.access_key}")


def _credentials_call(
    action: str, params: dict[str, str], region: str | None, credentials: AwsCredentials | None, source: str,
) -> AwsCredentials:
    """Send ``action`` and read the ``Credentials`` element of its result."""
    root = _call(action, params, region, credentials)
    found = {etree.QName(element).localname: (element.text or "").strip() for element in _credentials_element(root)}
    try:
        expiration = parse_time(found["Expiration"])
        return AwsCredentials(found["AccessKeyId"], Secret(found["SecretAccessKey"]),
                              Secret(found["SessionToken"]), expiration, source)
    except (KeyError, MalformedResponseError):
        raise MalformedResponseError(f"STS {action} answered without complete credentials") from None


def _credentials_element(root: etree._Element) -> etree._Element:
    for element in root.iter():
        if isinstance(element.tag, str) and etree.QName(element).localname == "Credentials":
            return element
    raise MalformedResponseError("STS answered without a Credentials element")


def _call(
    action: str, params: dict[str, str], region: str | None, credentials: AwsCredentials | None,
) -> etree._Element:
    region = region or DEFAULT_REGION
    body = urlencode({"Action": action, "Version": API_VERSION, **params}).encode()
    auth = None
    if credentials is not None:
        auth = SigV4Auth(Credentials(credentials.access_key, credentials.secret_key, credentials.token), region, "sts")
    connection = Connection(error_parser=_parse_error, retry=RetryPolicy(max_attempts=3))
    try:
        response = connection.request(
            "POST", endpoint(region), data=body, auth=auth, idempotent=True,
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
        return parse_xml(response.content)
    finally:
        connection.close()


def _parse_error(response: Response, context: RequestContext) -> StorageKitError:
    """STS's ``<ErrorResponse><Error><Code>`` as a typed error: refusals are InvalidCredsError."""
    code, message = None, ""
    try:
        root = parse_xml(response.content)
        for element in root.iter():
            if isinstance(element.tag, str):
                name = etree.QName(element).localname
                if name == "Code":
                    code = (element.text or "").strip()
                elif name == "Message":
                    message = (element.text or "").strip()
    except MalformedResponseError:
        pass
    status = response.status_code
    text = f"STS refused the request: {message or response.reason or status}"
    if code in _REFUSED or status in (401, 403):
        return InvalidCredsError(text, http_status=status, code=code)
    return StorageKitError(text, http_status=status, code=code,
                           retryable=status >= 500 or code in ("Throttling", "IDPCommunicationError"))


__all__ = ["assume_role", "assume_role_with_web_identity", "endpoint", "get_session_token"]
