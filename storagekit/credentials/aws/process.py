"""``credential_process``: a program of the user's choosing prints the credentials as JSON.

The program's output is ``{"Version": 1, "AccessKeyId": ..., "SecretAccessKey": ...,
"SessionToken": ..., "Expiration": ...}``. It runs without a shell (the command line is split
as a POSIX shell would split it); its output and error text are never shown, since they may
hold the secret.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from dataclasses import dataclass

from ...types import InvalidCredsError
from .base import AwsCredentials, parse_time

TIMEOUT_SECONDS = 120.0


@dataclass(frozen=True)
class ProcessProvider:
    """Runs ``command`` at every load."""

    command: str
    profile: str

    @property
    def name(self) -> str:
        return f"credential_process of profile {self.profile!r}"

    def load(self) -> AwsCredentials:
        """The credentials the program prints.

        Raises:
            InvalidCredsError: it cannot run, fails, times out or prints no version-1 document.
        """
        try:
            done = subprocess.run(shlex.split(self.command), capture_output=True, timeout=TIMEOUT_SECONDS,
                                  check=False, stdin=subprocess.DEVNULL)
        except (OSError, ValueError, subprocess.TimeoutExpired) as error:
            raise InvalidCredsError(f"{self.name} could not run: {type(error).__name__}") from None
        if done.returncode != 0:
            raise InvalidCredsError(f"{self.name} exited with status {done.returncode}")
        try:
            document = json.loads(done.stdout)
        except ValueError:
            document = None
        if not isinstance(document, dict) or document.get("Version") != 1:
            raise InvalidCredsError(f"{self.name} did not print a JSON document with \"Version\": 1")
        expiration = document.get("Expiration")
        return AwsCredentials.of(document.get("AccessKeyId"), document.get("SecretAccessKey"),
                                 document.get("SessionToken"), parse_time(expiration) if expiration else None,
                                 self.name)


__all__ = ["ProcessProvider"]
