"""The ``config`` subcommand: named profiles, whose secrets are prompted for, never taken from argv."""

from __future__ import annotations

import argparse
import getpass
import sys

from ..config import SECRET_KEYS, config_path, profiles, redacted, remove_profile, save_profile
from ._common import Command, UsageError


def config(cmd: Command) -> int:
    action = cmd.args.action
    if action == "path":
        cmd.say(config_path())
    elif action == "list":
        for name, settings in sorted(profiles().items()):
            cmd.say(f"{name}: " + ", ".join(f"{k}={v}" for k, v in sorted(redacted(settings).items())))
    elif action == "remove":
        if not remove_profile(_profile_name(cmd)):
            raise UsageError(f"no profile {cmd.args.name!r}")
        cmd.say(f"removed profile {cmd.args.name}")
    else:
        settings = dict(option.split("=", 1) for option in cmd.args.option)
        secret_options = sorted(set(settings) & SECRET_KEYS)
        if secret_options:
            raise UsageError(f"{', '.join(secret_options)} may not be given on the command line: "
                             "use --secret-stdin or answer the prompt")
        settings.update(provider=cmd.args.provider, endpoint_url=cmd.args.endpoint_url,
                        local_root=cmd.args.local_root)
        if cmd.args.secret_stdin:
            settings["secret"] = sys.stdin.readline().rstrip("\n")
        elif cmd.args.ask_secret:
            settings["secret"] = getpass.getpass(f"secret for profile {cmd.args.name}: ")
        cmd.say(f"saved profile {_profile_name(cmd)} to {save_profile(cmd.args.name, settings)}")
    return 0


def _profile_name(cmd: Command) -> str:
    if not cmd.args.name:
        raise UsageError(f"config {cmd.args.action} needs a profile name")
    return str(cmd.args.name)


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare the ``config`` subcommand and its options."""
    config_ = commands.add_parser("config", help="manage named profiles (secrets are prompted, never argv)")
    config_.add_argument("action", choices=("set", "list", "remove", "path"))
    config_.add_argument("name", nargs="?")
    for flag in ("--provider", "--endpoint-url", "--local-root"):
        config_.add_argument(flag, default=argparse.SUPPRESS, help="stored in the profile")
    config_.add_argument("-o", "--option", action="append", default=[], metavar="KEY=VALUE",
                         help="a driver setting (region, key, project, ...)")
    config_.add_argument("--ask-secret", action="store_true", help="prompt for the secret")
    config_.add_argument("--secret-stdin", action="store_true", help="read the secret from standard input")
    config_.set_defaults(run=config)
