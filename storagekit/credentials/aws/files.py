"""The shared AWS files: ``~/.aws/config`` (``[profile NAME]``, ``[sso-session NAME]``) and
``~/.aws/credentials`` (``[NAME]``), or ``AWS_CONFIG_FILE`` / ``AWS_SHARED_CREDENTIALS_FILE``."""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass

from ...types import InvalidOptionError


@dataclass(frozen=True)
class SharedFiles:
    """The parsed files, read once per load."""

    config_path: str
    credentials_path: str
    config: dict[str, dict[str, str]]
    credentials: dict[str, dict[str, str]]

    @classmethod
    def read(cls) -> SharedFiles:
        """Read both files from where the environment says (missing files are empty).

        Raises:
            InvalidOptionError: a file is not an INI file.
        """
        home = os.path.expanduser("~")
        config_path = os.environ.get("AWS_CONFIG_FILE") or os.path.join(home, ".aws", "config")
        credentials_path = os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or os.path.join(home, ".aws", "credentials")
        return cls(config_path, credentials_path, _sections(config_path), _sections(credentials_path))

    def profile(self, name: str) -> dict[str, str] | None:
        """The profile's settings (the credentials file's over the config file's); None if in neither."""
        section = self.config.get(name if name == "default" else f"profile {name}")
        if section is None and name == "default":
            section = self.config.get("profile default")
        keys = self.credentials.get(name)
        if section is None and keys is None:
            return None
        return {**(section or {}), **(keys or {})}

    def sso_session(self, name: str) -> dict[str, str] | None:
        """An ``[sso-session NAME]`` section of the config file."""
        return self.config.get(f"sso-session {name}")

    def where(self) -> str:
        """Both paths, for messages."""
        return f"{self.config_path} and {self.credentials_path}"


def _sections(path: str) -> dict[str, dict[str, str]]:
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as error:
        reason = error.message if isinstance(error, configparser.Error) else "not UTF-8 text"
        raise InvalidOptionError(f"cannot parse the AWS file {path}: {reason}") from None
    return {section: dict(parser.items(section)) for section in parser.sections()}


__all__ = ["SharedFiles"]
