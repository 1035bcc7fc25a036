"""Named profiles: how to reach a store (provider, endpoint, region, credentials), kept in a file.

The file is INI, at ``$STORAGEKIT_CONFIG`` or ``$XDG_CONFIG_HOME/storagekit/config.ini``
(``~/.config/storagekit/config.ini``), readable by its owner only, one section per profile::

    [profile minio-lab]
    provider = minio
    endpoint_url = http://10.0.0.5:9000
    key = lab-user
    secret = ...

Every key but ``provider`` and ``local_root`` is passed to the driver's constructor. Secrets go
in here (or in the providers' own environment variables and files), never on a command line.
The settings that carry one (:func:`is_secret`) are handed out as :class:`~storagekit.secret.Secret`,
which every driver accepts; a file that does not parse is an ``InvalidOptionError`` naming the
file and the line number, never the line's content.
"""

from __future__ import annotations

import configparser
import os
import stat
from collections.abc import Mapping
from typing import Any

from .secret import MASK, Secret, reveal
from .types import InvalidOptionError

SECRET_KEYS = frozenset({
    "access_token", "account_key", "auth_token", "aws_secret_access_key", "aws_session_token", "client_secret",
    "connection_string", "credential", "credentials", "password", "private_key", "sas_token", "secret",
    "secret_key", "session_token", "token",
})
"""Option names whose value is a credential. ``key`` is not among them: it is an access key id,
an account name, a service-account email or a root directory, never key material."""
_SECRET_MARKERS = ("secret", "password", "token", "credential", "private_key", "account_key", "connection_string")
"""Parts of a name that make any option a secret (``client_secret``, ``os_password``, ``refresh_token``)."""


def is_secret(name: str) -> bool:
    """Whether an option of that name carries a credential (so it is never shown nor taken from argv).

    Args:
        name: an option name, in any case, ``-`` or ``_`` separated.

    Returns:
        True for every name in :data:`SECRET_KEYS` and every name containing a secret-marking part.
    """
    normal = name.strip().lower().replace("-", "_")
    return normal in SECRET_KEYS or any(marker in normal for marker in _SECRET_MARKERS)


def describe_parse_error(error: configparser.Error | UnicodeDecodeError) -> str:
    """What is wrong with an INI file, with line numbers but never a line's content.

    configparser quotes the offending line (``MissingSectionHeaderError``, ``ParsingError``), and
    that line may be ``secret = ...``; this keeps only the kind of error and where it is.
    """
    if isinstance(error, UnicodeDecodeError):
        return f"not UTF-8 text (byte {error.start})"
    if isinstance(error, configparser.MissingSectionHeaderError):
        return f"line {error.lineno}: a setting before any [section] header"
    if isinstance(error, configparser.ParsingError):
        lines = ", ".join(str(number) for number, _ in error.errors)
        return f"line(s) {lines}: not a [section] header, a name = value setting or a comment"
    if isinstance(error, configparser.DuplicateOptionError):
        return f"line {error.lineno}: {error.option!r} is set twice in section [{error.section}]"
    if isinstance(error, configparser.DuplicateSectionError):
        return f"line {error.lineno}: section [{error.section}] appears twice"
    return type(error).__name__


def config_path() -> str:
    """Where profiles are read from and written to."""
    explicit = os.environ.get("STORAGEKIT_CONFIG")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "storagekit", "config.ini")


def _load(path: str) -> configparser.ConfigParser:
    """The parsed file (empty if there is none).

    Raises:
        InvalidOptionError: the file does not parse, or cannot be read; the message names the
            file and the line number only.
    """
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as error:
        raise InvalidOptionError(f"cannot parse the storagekit config file {path}: {describe_parse_error(error)}") \
            from None
    except OSError as error:
        raise InvalidOptionError(f"cannot read the storagekit config file {path}: {error.strerror}") from None
    return parser


ProfileSettings = dict[str, Any]
"""A profile's settings: ``str`` values, and :class:`~storagekit.secret.Secret` for the secret ones."""


def _settings(section: configparser.SectionProxy) -> ProfileSettings:
    return {key: Secret(value) if is_secret(key) and value else value for key, value in section.items()}


def profiles(path: str | None = None) -> dict[str, ProfileSettings]:
    """Every profile's settings; secret values come as :class:`~storagekit.secret.Secret`.

    Raises:
        InvalidOptionError: the file does not parse (the message never quotes it).
    """
    parser = _load(path or config_path())
    return {section.removeprefix("profile ").strip(): _settings(parser[section])
            for section in parser.sections() if section.startswith("profile ")}


def load_profile(name: str, path: str | None = None) -> ProfileSettings:
    """One profile's settings (secret values as Secret), ready to pass to a driver's constructor.

    Raises:
        InvalidOptionError: there is no such profile (the message lists the known ones), or the
            file does not parse.
    """
    known = profiles(path)
    if name not in known:
        listed = ", ".join(sorted(known)) or "none"
        raise InvalidOptionError(f"no profile {name!r} in {path or config_path()} (known: {listed})")
    return known[name]


def save_profile(name: str, settings: Mapping[str, Any], path: str | None = None) -> str:
    """Write (or replace) a profile; the file is created readable by its owner only."""
    path = path or config_path()
    parser = _load(path)
    section = f"profile {name}"
    parser[section] = {key: str(reveal(value)) for key, value in settings.items() if value not in (None, "")}
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR)
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        parser.write(file)
    return path


def remove_profile(name: str, path: str | None = None) -> bool:
    """Delete a profile; False if there was none."""
    path = path or config_path()
    parser = _load(path)
    if not parser.remove_section(f"profile {name}"):
        return False
    with open(path, "w", encoding="utf-8") as file:
        parser.write(file)
    return True


def redacted(settings: Mapping[str, Any]) -> dict[str, str]:
    """Settings fit to show: the value of every secret option (:func:`is_secret`) replaced by ``***``."""
    return {key: MASK if is_secret(key) or isinstance(value, Secret) else str(value) for key, value in settings.items()}
