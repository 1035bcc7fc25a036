"""Web identity: an OIDC token file (EKS service accounts, CI runners) exchanged at STS for a role."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from ...types import InvalidCredsError
from .. import sts
from .base import AwsCredentials, read_token_file


def default_session_name() -> str:
    """A role session name when none is configured (as botocore: a prefix and the time)."""
    return f"storagekit-session-{int(time.time())}"


@dataclass(frozen=True)
class WebIdentityProvider:
    """``token_file`` + ``role_arn`` -> STS AssumeRoleWithWebIdentity; the file is read at every
    load, since the platform rotates it. Without arguments it reads ``AWS_WEB_IDENTITY_TOKEN_FILE``,
    ``AWS_ROLE_ARN`` and ``AWS_ROLE_SESSION_NAME`` when loaded."""

    token_file: str | None = None
    role_arn: str | None = None
    session_name: str | None = None
    region: str | None = None
    duration_seconds: int | None = None

    @property
    def name(self) -> str:
        if self.token_file:
            return f"web identity token file of role {self.role_arn}"
        return "web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN)"

    def load(self) -> AwsCredentials | None:
        """The role's credentials, or None when no token file is configured.

        Raises:
            InvalidCredsError: the token file cannot be read, the role is missing, or STS refuses.
        """
        token_file = self.token_file or os.environ.get("AWS_WEB_IDENTITY_TOKEN_FILE")
        role_arn = self.role_arn or os.environ.get("AWS_ROLE_ARN")
        if not token_file:
            return None
        if not role_arn:
            raise InvalidCredsError("a web identity token file is configured without a role ARN (AWS_ROLE_ARN)")
        token = read_token_file(token_file, "the web identity token file")
        session = self.session_name or os.environ.get("AWS_ROLE_SESSION_NAME") or default_session_name()
        region = self.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        return sts.assume_role_with_web_identity(token, role_arn, session, region=region,
                                                 duration_seconds=self.duration_seconds)


__all__ = ["WebIdentityProvider", "default_session_name"]
