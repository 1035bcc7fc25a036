"""A role assumed on top of other credentials (STS AssumeRole), with an external id if asked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...types import InvalidCredsError
from .. import sts
from .base import AwsCredentials
from .web_identity import default_session_name


@dataclass(frozen=True)
class AssumeRoleProvider:
    """``source``'s credentials -> STS AssumeRole(``role_arn``, ``external_id`` ...).

    The source is loaded again at every refresh, so a source that expires (instance metadata)
    stays fresh underneath the role.
    """

    source: Any
    role_arn: str
    external_id: str | None = None
    session_name: str | None = None
    duration_seconds: int | None = None
    region: str | None = None

    @property
    def name(self) -> str:
        return f"role {self.role_arn} assumed with {self.source.name}"

    def load(self) -> AwsCredentials:
        """The role's temporary credentials.

        Raises:
            InvalidCredsError: the source has no credentials, or STS refuses them or the external id.
        """
        base = self.source.load()
        if base is None:
            raise InvalidCredsError(f"cannot assume role {self.role_arn}: no credentials in {self.source.name}")
        return sts.assume_role(
            base, self.role_arn, self.session_name or default_session_name(), region=self.region,
            external_id=self.external_id, duration_seconds=self.duration_seconds, via=f" via {base.source}",
        )


__all__ = ["AssumeRoleProvider"]
