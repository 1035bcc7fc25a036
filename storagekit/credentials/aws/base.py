"""What every AWS credential provider returns and the one method each has.

A provider is a small picklable object with a ``name`` (what an error lists as "tried") and a
``load()`` that returns :class:`AwsCredentials`, or None when its source is not configured
here. A source that is configured but broken (an unreadable token file, a refused role)
raises :class:`~storagekit.types.InvalidCredsError` instead: the chain does not fall through to
the next source behind the user's back.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Protocol

from ...secret import Secret, wrap
from ...types import InvalidCredsError, MalformedResponseError


@dataclass(frozen=True)
class AwsCredentials:
    """An access key id, its secret, an optional session token and when they expire.

    ``secret_key`` and ``token`` are :class:`~storagekit.secret.Secret`, so no repr shows them;
    ``source`` says where they came from, for ``storagekit whoami`` (never a value).
    """

    access_key: str
    secret_key: Secret[str]
    token: Secret[str] | None = None
    expiration: datetime.datetime | None = None
    source: str = ""

    @classmethod
    def of(
        cls, access_key: str | None, secret_key: str | Secret[str] | None, token: str | Secret[str] | None,
        expiration: datetime.datetime | None, source: str,
    ) -> AwsCredentials:
        """Credentials from loaded values, checking that the key and its secret both came.

        Raises:
            InvalidCredsError: the key or the secret is missing (``source`` names where from).
        """
        secret = wrap(secret_key)
        if not access_key or secret is None:
            missing = "secret access key" if access_key else "access key id"
            raise InvalidCredsError(f"AWS credentials from {source} lack the {missing}")
        return cls(access_key, secret, wrap(token), expiration, source)

    def describe(self) -> str:
        """Where the credentials came from and when they expire, without any secret."""
        if self.expiration is None:
            return f"{self.source} (access key {self.access_key})"
        when = self.expiration.astimezone(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"{self.source} (access key {self.access_key}), expires {when}"


def read_token_file(path: str, what: str) -> str:
    """The stripped text of a token file a source is configured with.

    Args:
        path: the file's path.
        what: how an error names the file (e.g. "the web identity token file").

    Raises:
        InvalidCredsError: the file cannot be read (the message names it, never its content).
    """
    try:
        with open(path, encoding="utf-8") as file:
            return file.read().strip()
    except OSError as error:
        raise InvalidCredsError(f"cannot read {what} {path}: {error.strerror or type(error).__name__}") from None


class CredentialProvider(Protocol):
    """One source of AWS credentials."""

    @property
    def name(self) -> str:
        """What this source is, as an error lists it ("environment variables AWS_ACCESS_KEY_ID ...")."""
        ...

    def load(self) -> AwsCredentials | None:
        """The credentials, or None when this source is not configured.

        Raises:
            InvalidCredsError: the source is configured but gives no usable credentials.
        """
        ...


def parse_time(text: str) -> datetime.datetime:
    """An AWS timestamp (``2026-11-30T12:40:00Z``, with or without fractions or an offset) in UTC.

    Raises:
        MalformedResponseError: not an ISO 8601 time.
    """
    try:
        when = datetime.datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        raise MalformedResponseError(f"an expiry time is not ISO 8601: {text!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return when.astimezone(datetime.timezone.utc)


__all__ = ["AwsCredentials", "CredentialProvider", "parse_time"]
