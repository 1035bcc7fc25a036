"""The AWS credential chain in botocore's order, and the one call the S3 driver makes.

Order: environment variables; web identity (``AWS_WEB_IDENTITY_TOKEN_FILE``); the profile of
the shared files; container credentials; EC2 instance metadata. The first source that is
configured gives the credentials; a source that is configured but broken raises (the chain
does not quietly fall through); nothing configured is an :class:`InvalidCredsError` naming
every source tried. Explicit keys are used alone, and a role can be assumed on top of
whatever was found.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from ...secret import Secret, wrap
from ...types import InvalidCredsError
from ..refreshing import RefreshingCredentials
from .assume_role import AssumeRoleProvider
from .base import AwsCredentials, CredentialProvider
from .container import ContainerProvider
from .imds import InstanceMetadataProvider
from .profile import ProfileProvider
from .static import EnvironmentProvider, StaticProvider
from .web_identity import WebIdentityProvider


class ChainProvider:
    """Asks each provider in turn; remembers the one that answered, for the refreshes."""

    name = "the AWS credential chain"

    def __init__(self, providers: tuple[CredentialProvider, ...]) -> None:
        self.providers = providers
        self._found: CredentialProvider | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<ChainProvider of {len(self.providers)} sources>"

    def __reduce__(self) -> tuple[Any, ...]:
        return ChainProvider, (self.providers,)

    def load(self) -> AwsCredentials:
        """The first credentials found.

        Raises:
            InvalidCredsError: no source is configured (the message lists them all), or the
                first configured one fails.
        """
        found = self._found
        if found is not None:
            credentials = found.load()
            if credentials is not None:
                return credentials
        tried = []
        for provider in self.providers:
            credentials = provider.load()
            if credentials is not None:
                with self._lock:
                    self._found = provider
                return credentials
            tried.append(provider.name)
        raise InvalidCredsError(
            "no AWS credentials found; tried: " + "; ".join(tried)
            + ". Pass a key and secret, configure one of these sources, or pass anonymous=True "
              "(--anonymous / --no-sign-request on the command line) for unsigned requests"
        )


def default_chain(profile: str | None = None, region: str | None = None) -> ChainProvider:
    """The chain; a ``profile`` named by the caller skips the environment's keys (as botocore)."""
    providers: tuple[CredentialProvider, ...] = (WebIdentityProvider(region=region), ProfileProvider(profile, region),
                                  ContainerProvider(), InstanceMetadataProvider())
    return ChainProvider(providers if profile else (EnvironmentProvider(), *providers))


@dataclass(frozen=True)
class RoleOptions:
    """A role to assume on top of the credentials found (Lightly's "delegated access")."""

    role_arn: str
    external_id: str | None = None
    session_name: str | None = None
    duration_seconds: int | None = None


def aws_credentials(
    key: str | None = None, secret: str | Secret[str] | None = None, token: str | Secret[str] | None = None, *,
    profile: str | None = None, region: str | None = None, role: RoleOptions | None = None,
) -> RefreshingCredentials:
    """The credentials an S3 driver signs with: explicit keys alone, else the chain; a role on top.

    Nothing is loaded until the first ``get()``.

    Args:
        key: an explicit access key id (with ``secret``): used alone, nothing else is consulted.
        secret: its secret access key.
        token: its session token.
        profile: the AWS profile of the shared files (default: ``AWS_PROFILE``, else ``default``).
        region: the region for STS and the profile's default.
        role: a role to assume with whatever was found.

    Raises:
        InvalidCredsError: a key without its secret, or a secret without its key.
    """
    source: Any
    if key or secret:
        if not key or not secret:
            missing = "secret key" if key else "access key"
            raise InvalidCredsError(f"an S3 {'access' if key else 'secret'} key was given without its {missing}")
        source = StaticProvider(key, wrap(secret), wrap(token))
    else:
        source = default_chain(profile, region)
    if role is not None:
        source = AssumeRoleProvider(source, role.role_arn, role.external_id, role.session_name, role.duration_seconds,
                                    region)
    return RefreshingCredentials(source)


__all__ = ["ChainProvider", "RoleOptions", "aws_credentials", "default_chain"]
