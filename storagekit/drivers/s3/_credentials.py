"""What an S3 driver is told: explicit keys (arguments or a creds dict, used alone), and the
region and endpoint from the arguments, the creds dict, the environment and the profile
(``AWS_PROFILE``, else ``default``) of the shared files (``AWS_SHARED_CREDENTIALS_FILE`` /
``AWS_CONFIG_FILE``, else ``~/.aws/``).

Without explicit keys the driver asks the AWS credential chain (:mod:`storagekit.credentials.aws`).
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ...config import describe_parse_error
from ...secret import Secret, wrap
from ...types import InvalidCredsError, InvalidOptionError

_CREDS_KEYS = frozenset({"aws_access_key_id", "aws_secret_access_key", "aws_session_token", "endpoint_url", "region",
                         "role_arn", "external_id", "role_session_name", "duration_seconds"})


@dataclass(frozen=True)
class Credentials:
    """An access key id, its secret and an optional session token.

    The secret and the token are held as :class:`~storagekit.secret.Secret` (plain strings given
    are wrapped), so neither the repr nor ``vars()`` shows them. The access key id is an
    identifier AWS itself shows in consoles and logs, kept readable to tell keys apart.
    """

    access_key: str
    secret_key: Secret[str]
    token: Secret[str] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "secret_key", Secret(self.secret_key) if isinstance(self.secret_key, str)
                           else self.secret_key)
        object.__setattr__(self, "token", wrap(self.token))


@dataclass(frozen=True)
class Settings:
    """What was resolved: explicit credentials (None: ask the chain), region, endpoint, addressing."""

    credentials: Credentials | None
    region: str | None
    endpoint_url: str | None
    addressing_style: str | None = None


def resolve(
    key: str | None,
    secret: str | Secret[str] | None,
    token: str | Secret[str] | None,
    region: str | None,
    endpoint_url: str | None,
    creds: Mapping[str, Any] | None = None,
    profile: str | None = None,
    environ: Mapping[str, str] = os.environ,
) -> Settings:
    """Resolve the settings; each value comes from the first place that has it.

    Order: arguments, ``creds`` (Deep Lake's lowercase dict), environment, profile files. The
    secret and token may be plain strings or :class:`~storagekit.secret.Secret` (from a profile).
    """
    creds = dict(creds or {})
    unknown = sorted(set(creds) - _CREDS_KEYS)
    if unknown:
        known = ", ".join(sorted(_CREDS_KEYS))
        raise InvalidOptionError(f"unknown key(s) {', '.join(unknown)} in creds (known: {known})")
    key = key or creds.get("aws_access_key_id")
    secret = secret or creds.get("aws_secret_access_key")
    token = token or creds.get("aws_session_token")
    region = region or creds.get("region") or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
    endpoint_url = (
        endpoint_url or creds.get("endpoint_url")
        or environ.get("AWS_ENDPOINT_URL_S3") or environ.get("AWS_ENDPOINT_URL")
    )
    name = profile or environ.get("AWS_PROFILE")
    section = _profile(name or "default", environ)
    if not key and name and not section:
        raise InvalidOptionError(f"AWS profile {name!r} is in neither the AWS config nor credentials file")
    if bool(key) != bool(secret):  # explicit keys are never completed from elsewhere
        raise InvalidCredsError(f"an S3 {'access' if key else 'secret'} key was given without its "
                                f"{'secret' if key else 'access'} key")
    secret_key = wrap(secret)
    credentials = Credentials(key, secret_key, wrap(token)) if key and secret_key else None
    return Settings(
        credentials,
        region or section.get("region"),
        endpoint_url or section.get("endpoint_url") or _nested(section.get("s3"), "endpoint_url"),
        _nested(section.get("s3"), "addressing_style"),
    )


def _profile(name: str, environ: Mapping[str, str]) -> dict[str, str]:
    """The profile's settings from the config file, overlaid with the credentials file's."""
    home = os.path.expanduser("~")
    config_path = environ.get("AWS_CONFIG_FILE") or os.path.join(home, ".aws", "config")
    credentials_path = environ.get("AWS_SHARED_CREDENTIALS_FILE") or os.path.join(home, ".aws", "credentials")
    config_section = name if name == "default" else f"profile {name}"
    settings = _read_section(config_path, config_section)
    settings.update(_read_section(credentials_path, name))
    return settings


def _read_section(path: str, section: str) -> dict[str, str]:
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as error:
        raise InvalidOptionError(f"cannot parse the AWS file {path}: {describe_parse_error(error)}") from None
    return dict(parser.items(section)) if parser.has_section(section) else {}


def _nested(block: str | None, name: str) -> str | None:
    """A setting of an indented sub-section (``s3 =`` followed by ``  addressing_style = path``)."""
    for line in (block or "").splitlines():
        key, _, value = line.partition("=")
        if key.strip() == name:
            return value.strip()
    return None
