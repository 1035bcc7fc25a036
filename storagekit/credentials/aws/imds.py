"""EC2 instance metadata (IMDS): the instance role's credentials, IMDSv2 first.

IMDSv2: ``PUT /latest/api/token`` with ``x-aws-ec2-metadata-token-ttl-seconds``, then the
role name and its JSON document with ``x-aws-ec2-metadata-token``. A service that refuses the
token request (403/404/405: IMDSv1 only) is asked without one. Timeouts are short (1 s, one
attempt, as botocore; ``AWS_METADATA_SERVICE_TIMEOUT`` / ``..._NUM_ATTEMPTS`` change them), so a
machine that is not on EC2 is told quickly. ``AWS_EC2_METADATA_DISABLED=true`` turns it off,
``AWS_EC2_METADATA_SERVICE_ENDPOINT`` points it elsewhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ...types import ConnectionBrokenError, InvalidCredsError
from . import endpoint
from .base import AwsCredentials, parse_time

DEFAULT_ENDPOINT = "http://169.254.169.254"
TOKEN_TTL_SECONDS = 21600
_CREDENTIALS_PATH = "/latest/meta-data/iam/security-credentials/"
_WHAT = "the instance metadata service"


@dataclass(frozen=True)
class InstanceMetadataProvider:
    """Reads its settings from the environment when loaded."""

    @property
    def name(self) -> str:
        if _disabled():
            return "EC2 instance metadata (off: AWS_EC2_METADATA_DISABLED)"
        return "EC2 instance metadata (AWS_EC2_METADATA_SERVICE_ENDPOINT, else 169.254.169.254)"

    def load(self) -> AwsCredentials | None:
        """The instance role's credentials; None when disabled, unreachable, or no role is attached.

        Raises:
            InvalidCredsError: the service answers, but without usable credentials.
        """
        environ = os.environ
        if _disabled():
            return None
        base = (environ.get("AWS_EC2_METADATA_SERVICE_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
        timeout = float(environ.get("AWS_METADATA_SERVICE_TIMEOUT") or 1)
        attempts = int(environ.get("AWS_METADATA_SERVICE_NUM_ATTEMPTS") or 1)
        try:
            headers = self._token_header(base, timeout, attempts)
            names = endpoint.call("GET", base + _CREDENTIALS_PATH, _WHAT, headers=headers, timeout=timeout,
                                  attempts=attempts).text.split()
            if not names:
                return None
            document = endpoint.json_body(endpoint.call("GET", base + _CREDENTIALS_PATH + names[0], _WHAT,
                                                        headers=headers, timeout=timeout, attempts=attempts), _WHAT)
        except ConnectionBrokenError:
            return None  # not on EC2 (or the service is down): the chain says it was tried
        except InvalidCredsError as error:
            if error.http_status == 404:
                return None  # no role attached to this instance
            raise
        if document.get("Code", "Success") != "Success":
            raise InvalidCredsError(f"{_WHAT} has no credentials for role {names[0]} (Code {document.get('Code')})")
        expiration = document.get("Expiration")
        return AwsCredentials.of(document.get("AccessKeyId"), document.get("SecretAccessKey"), document.get("Token"),
                                 parse_time(expiration) if expiration else None,
                                 f"EC2 instance metadata role {names[0]}")

    @staticmethod
    def _token_header(base: str, timeout: float, attempts: int) -> dict[str, str]:
        """The IMDSv2 session token header, or none where the service only speaks IMDSv1."""
        try:
            response = endpoint.call("PUT", f"{base}/latest/api/token", _WHAT, timeout=timeout, attempts=attempts,
                                     headers={"x-aws-ec2-metadata-token-ttl-seconds": str(TOKEN_TTL_SECONDS)})
        except InvalidCredsError as error:
            if error.http_status in (403, 404, 405):
                return {}
            raise
        return {"x-aws-ec2-metadata-token": response.text.strip()}


def _disabled() -> bool:
    return os.environ.get("AWS_EC2_METADATA_DISABLED", "").strip().lower() == "true"


__all__ = ["InstanceMetadataProvider"]
