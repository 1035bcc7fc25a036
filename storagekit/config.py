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
"""

from __future__ import annotations

import configparser
import os
import stat
from collections.abc import Mapping
from typing import Any

from .types import InvalidOptionError

SECRET_KEYS = frozenset({"secret", "token", "sas_token", "connection_string", "account_key"})


def config_path() -> str:
    """Where profiles are read from and written to."""
    explicit = os.environ.get("STORAGEKIT_CONFIG")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "storagekit", "config.ini")


def _load(path: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path, encoding="utf-8")
    return parser


def profiles(path: str | None = None) -> dict[str, dict[str, str]]:
    """Every profile's settings, secrets included (for the library, never for printing)."""
    parser = _load(path or config_path())
    return {section.removeprefix("profile ").strip(): dict(parser[section])
            for section in parser.sections() if section.startswith("profile ")}


def load_profile(name: str, path: str | None = None) -> dict[str, str]:
    """One profile's settings; InvalidOptionError naming the known profiles if there is none."""
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
    parser[section] = {key: str(value) for key, value in settings.items() if value not in (None, "")}
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


def redacted(settings: Mapping[str, str]) -> dict[str, str]:
    """Settings fit to show: secret values replaced by ``***``."""
    return {key: "***" if key in SECRET_KEYS else value for key, value in settings.items()}
