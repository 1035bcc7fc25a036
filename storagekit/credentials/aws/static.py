"""Keys handed over whole: constructor arguments / a ``creds`` dict, and the environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass

from ...secret import Secret
from .base import AwsCredentials, parse_time


@dataclass(frozen=True)
class StaticProvider:
    """Fixed keys (arguments, a ``creds`` dict, a profile's keys); ``source`` says which."""

    access_key: str
    secret_key: Secret[str] | None
    token: Secret[str] | None = None
    source: str = "static keys from the arguments"

    @property
    def name(self) -> str:
        return self.source

    def load(self) -> AwsCredentials:
        """The keys (InvalidCredsError if the secret is missing)."""
        return AwsCredentials.of(self.access_key, self.secret_key, self.token, None, self.source)


@dataclass(frozen=True)
class EnvironmentProvider:
    """``AWS_ACCESS_KEY_ID`` + ``AWS_SECRET_ACCESS_KEY`` [+ ``AWS_SESSION_TOKEN``,
    ``AWS_CREDENTIAL_EXPIRATION``], read when loaded (so a refresh sees a rotated value)."""

    name: str = "environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)"

    def load(self) -> AwsCredentials | None:
        """The keys, or None when ``AWS_ACCESS_KEY_ID`` is not set.

        Raises:
            InvalidCredsError: the key is set without its secret.
        """
        environ = os.environ
        key = environ.get("AWS_ACCESS_KEY_ID")
        if not key:
            return None
        token = environ.get("AWS_SESSION_TOKEN") or environ.get("AWS_SECURITY_TOKEN")
        expiration = environ.get("AWS_CREDENTIAL_EXPIRATION")
        return AwsCredentials.of(key, environ.get("AWS_SECRET_ACCESS_KEY"), token,
                                 parse_time(expiration) if expiration else None, "environment variables")


__all__ = ["EnvironmentProvider", "StaticProvider"]
