"""The ``config`` subcommand: named profiles, whose secrets are prompted for, never taken from argv.

A setting is a secret when :func:`is_secret` says so (``secret``, ``credential``, ``sas_token``,
``account_key``, ``connection_string``, ``token``, ``password``, ``auth_token``, ...): it is
refused in ``-o KEY=VALUE``, read from the terminal (``--ask-secret``) or from standard input
(``--secret-stdin``) instead, and shown as ``***`` by ``config list``.
"""

from __future__ import annotations

import argparse
import configparser
import getpass
import sys
from collections.abc import Mapping

from .. import config as profiles_file
from ._common import Command, UsageError, printable

_SECRET_WORDS = ("secret", "credential", "token", "password", "passphrase", "account_key", "connection_string",
                 "private_key", "sas")
"""Fallback until :func:`storagekit.config.is_secret` exists: a setting whose name holds one of these."""


def is_secret(name: str) -> bool:
    """True if a profile setting of that name carries a secret.

    Uses ``storagekit.config.is_secret`` when the library provides it, so the CLI and the
    library agree; otherwise any name holding one of :data:`_SECRET_WORDS` is a secret.
    """
    check = getattr(profiles_file, "is_secret", None)
    if check is not None:
        return bool(check(name))
    lowered = name.lower()
    return lowered in profiles_file.SECRET_KEYS or any(word in lowered for word in _SECRET_WORDS)


def redacted(settings: Mapping[str, str]) -> dict[str, str]:
    """Settings fit to show: every secret value replaced by ``***``."""
    return {key: "***" if is_secret(key) else value for key, value in settings.items()}


def config_error_message(error: configparser.Error) -> str:
    """One line for a malformed profiles file: where and what kind of mistake, never its content."""
    line = getattr(error, "lineno", None)
    errors = getattr(error, "errors", None)
    if line is None and errors:
        line = errors[0][0]
    where = f" at line {line}" if line is not None else ""
    return (f"cannot read the profiles in {profiles_file.config_path()}: {type(error).__name__}{where} "
            "(fix or remove that file; `storagekit config path` shows where it is)")


def config(cmd: Command) -> int:
    action = cmd.args.action
    if action == "path":
        cmd.output(profiles_file.config_path())
    elif action == "list":
        for profile, stored in sorted(profiles_file.profiles().items()):
            cmd.output(printable(f"{profile}: " + ", ".join(f"{k}={v}" for k, v in sorted(redacted(stored).items()))))
    elif action == "remove":
        if not profiles_file.remove_profile(_profile_name(cmd)):
            raise UsageError(f"no profile {cmd.args.name!r}")
        cmd.say(f"removed profile {printable(cmd.args.name)}")
    else:
        name = _profile_name(cmd)
        settings: dict[str, str | None] = dict(_settings(cmd.args.option))
        settings.update(provider=cmd.args.provider, endpoint_url=cmd.args.endpoint_url,
                        local_root=cmd.args.local_root)
        settings.update(_secrets(cmd))
        cmd.say(f"saved profile {printable(name)} to {profiles_file.save_profile(name, settings)}")
    return 0


def _settings(options: list[str]) -> list[tuple[str, str]]:
    """``-o KEY=VALUE`` options as pairs; usage errors for a missing ``=`` or a secret."""
    pairs = []
    for option in options:
        key, equals, value = option.partition("=")
        if not equals or not key.strip():
            raise UsageError(f"-o expects KEY=VALUE, not {key.strip() or option!r}")
        if is_secret(key.strip()):
            raise UsageError(f"{key.strip()} is a secret and may not be given on the command line: "
                             f"use --secret-option {key.strip()} with --ask-secret or --secret-stdin")
        pairs.append((key.strip(), value))
    return pairs


def _secrets(cmd: Command) -> dict[str, str]:
    """The secrets named by --secret-option, read from the terminal or from stdin, one a line."""
    if not (cmd.args.ask_secret or cmd.args.secret_stdin):
        if cmd.args.secret_option:
            raise UsageError("--secret-option needs --ask-secret or --secret-stdin")
        return {}
    names = cmd.args.secret_option or ["secret"]
    secrets = {}
    for name in names:
        if not is_secret(name):
            raise UsageError(f"{name} is not a secret: give it with -o {name}=VALUE")
        secrets[name] = _read_secret(cmd, name)
    return secrets


def _read_secret(cmd: Command, name: str) -> str:
    if cmd.args.secret_stdin:
        line = sys.stdin.readline()
        if not line.strip():
            raise UsageError(f"--secret-stdin: no {name} on standard input (one secret a line)")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UsageError(f"--ask-secret needs a terminal to ask for {name}: use --secret-stdin to read it "
                         "from standard input")
    try:
        value = getpass.getpass(f"{name} for profile {cmd.args.name}: ")
    except EOFError as error:
        raise UsageError(f"no {name} given") from error
    if not value:
        raise UsageError(f"no {name} given")
    return value


def _profile_name(cmd: Command) -> str:
    if not cmd.args.name:
        raise UsageError(f"config {cmd.args.action} needs a profile name")
    return str(cmd.args.name)


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare the ``config`` subcommand and its options.

    ``--provider``, ``--endpoint-url`` and ``--local-root`` are the global options; with
    ``config set`` they are stored in the profile.
    """
    config_ = commands.add_parser("config", help="manage named profiles (secrets are prompted, never argv)")
    config_.add_argument("action", choices=("set", "list", "remove", "path"))
    config_.add_argument("name", nargs="?")
    config_.add_argument("-o", "--option", action="append", default=[], metavar="KEY=VALUE",
                         help="a driver setting (region, key, project, ...); secrets are refused here")
    config_.add_argument("--ask-secret", action="store_true", help="prompt for the secret(s) on the terminal")
    config_.add_argument("--secret-stdin", action="store_true",
                         help="read the secret(s) from standard input, one a line")
    config_.add_argument("--secret-option", action="append", default=[], metavar="KEY",
                         help="which secret setting to ask for or read (default: secret; repeatable)")
    config_.set_defaults(run=config)
