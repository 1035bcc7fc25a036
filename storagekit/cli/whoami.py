"""The ``whoami`` subcommand: which credentials a location's driver uses, never the secret itself."""

from __future__ import annotations

import argparse

from ._common import Command, printable


def whoami(cmd: Command) -> int:
    """Print where the location's credentials come from (loading them, so a failure shows here)."""
    location = cmd.open(cmd.args.location)
    cmd.output(f"{printable(location.url)}: {location.driver.credential_source}")
    return 0


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare ``whoami LOCATION``."""
    parser = commands.add_parser("whoami", help="show which credentials a location uses (never the secret)")
    parser.add_argument("location")
    parser.set_defaults(run=whoami)
