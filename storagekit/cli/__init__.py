"""The ``storagekit`` command: ls, du, cp, mv, rm, sync, mb, rb, stat, cat over every provider's URLs.

Locations are storage URLs (see :mod:`storagekit.urls`) or plain local paths; text that looks
like a URL but is not one (``s4://b``, ``gs:/b``) is refused, never taken for a path. This is
the only package that prints. Exit status (:data:`EXIT_CODES`, documented in docs/cli.md):
0 success, 1 other error, 2 usage, 3 not found, 4 bad credentials, 5 permission denied, 6
integrity failure, 130 interrupted, 141 standard output closed by its reader.
"""

from __future__ import annotations

import argparse
import configparser
import logging
import os
import re
import sys
from collections.abc import Sequence

from .. import __version__
from ..types import (
    ContainerDoesNotExistError,
    InvalidCredsError,
    InvalidOptionError,
    ObjectDoesNotExistError,
    ObjectHashMismatchError,
    PermissionDeniedError,
    StorageKitError,
)
from ..urls import check_location
from . import completion, moves, objects, profiles, transfers, whoami
from ._common import Command, OutputClosed, UsageError, printable
from .profiles import config_error_message

EXIT_CODES: list[tuple[type[BaseException], int]] = [
    (InvalidOptionError, 2),
    (ContainerDoesNotExistError, 3),
    (ObjectDoesNotExistError, 3),
    (InvalidCredsError, 4),
    (PermissionDeniedError, 5),
    (ObjectHashMismatchError, 6),
    (FileNotFoundError, 3),
    (StorageKitError, 1),
    (OSError, 1),
]
"""Exit status of each kind of error, first match wins."""

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_OUTPUT_CLOSED = 141
"""What a shell reports for a command killed by SIGPIPE (128 + 13), as coreutils' ``ls | head``."""

LOCATION_ARGUMENTS = ("location", "source", "destination")
"""The positional arguments, in any subcommand, that name a storage URL or a local path."""

_SECRET_IN_ARGV = re.compile(r"(?i)(accountkey=|sharedaccesssignature=|[?&]sig=|x-amz-signature=|"
                             r"x-goog-signature=|://[^/@\s]+:[^/@\s]+@)")
"""Arguments that carry a credential: connection strings, SAS tokens, signatures, user:pass@ URLs."""


def _add_global_options(parser: argparse.ArgumentParser, *, in_subcommand: bool) -> None:
    """The options every subcommand accepts, before or after its name.

    Inside a subcommand their default is ``SUPPRESS``, so an option given before the subcommand
    name is not overwritten by the subcommand's default. An option a subcommand already defines
    for itself is left to it.
    """
    def default(value: object) -> object:
        return argparse.SUPPRESS if in_subcommand else value

    options: list[tuple[tuple[str, ...], dict[str, object]]] = [
        (("--local-root",), {"default": default(None), "metavar": "DIR",
                             "help": "root directory of local:// URLs (default: $STORAGEKIT_LOCAL_ROOT)"}),
        (("--provider",), {"default": default(None), "help": "S3-compatible preset for s3:// URLs (e.g. minio)"}),
        (("--endpoint-url",), {"default": default(None), "metavar": "URL",
                               "help": "service endpoint (S3-compatible servers, emulators)"}),
        (("-p", "--profile"), {"default": default(None),
                               "help": "named profile from `storagekit config` (default: $STORAGEKIT_PROFILE)"}),
        (("-q", "--quiet"), {"action": "store_true", "default": default(False),
                             "help": "print only what was asked for (and errors): no reports, no progress"}),
        (("--progress",), {"dest": "progress", "action": "store_true", "default": default(None),
                           "help": "draw progress on stderr even when it is not a terminal"}),
        (("--no-progress",), {"dest": "progress", "action": "store_false", "default": default(None),
                              "help": "never draw progress"}),
        (("--debug",), {"action": "store_true", "default": default(False),
                        "help": "log requests (signatures redacted) and show tracebacks"}),
        (("--anonymous", "--no-sign-request"), {"action": "store_true", "default": default(False),
                                                "help": "unsigned requests to s3:// URLs (public buckets)"}),
    ]
    group = parser.add_argument_group("global options")
    for flags, settings in options:
        if any(flag in parser._option_string_actions for flag in flags):
            continue
        group.add_argument(*flags, **settings)  # type: ignore[arg-type]


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: global options, then one subparser per command."""
    parser = argparse.ArgumentParser(
        prog="storagekit",
        description="Copy, sync and list objects in S3, Azure, GCS, Swift, local and memory stores by URL.",
        epilog="Locations: s3://bucket/key, gs://bucket/key, az://container/blob, swift://container/object, "
               "local://container/key "
               "(root from --local-root or $STORAGEKIT_LOCAL_ROOT), memory://container/key, or a local path. "
               "Global options may also follow the command name.",
    )
    parser.add_argument("--version", action="version", version=f"storagekit {__version__}")
    _add_global_options(parser, in_subcommand=False)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (objects, moves, transfers, profiles, whoami, completion):
        module.add_parsers(commands)
    for subparser in {id(sub): sub for sub in commands.choices.values()}.values():
        _add_global_options(subparser, in_subcommand=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    leaked = [arg for arg in argv if _SECRET_IN_ARGV.search(arg)]
    if leaked:
        print("storagekit: refusing a secret on the command line (every user of this machine can read it): "
              "use a profile (`storagekit config set`) or the provider's environment variables", file=sys.stderr)
        return EXIT_USAGE
    args = parser.parse_args(argv)
    if args.debug:
        logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")
    try:
        for name in LOCATION_ARGUMENTS:
            value = getattr(args, name, None)
            if isinstance(value, str):
                check_location(value)
        code = int(args.run(Command(args)))
        _flush_stdout()
        return code
    except KeyboardInterrupt:
        print("\nstoragekit: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OutputClosed:
        _silence_stdout()
        return EXIT_OUTPUT_CLOSED
    except UsageError as error:
        print(f"storagekit: {printable(str(error))}", file=sys.stderr)
        return EXIT_USAGE
    except configparser.Error as error:
        print(f"storagekit: {config_error_message(error)}", file=sys.stderr)
        return EXIT_USAGE
    except (StorageKitError, OSError) as error:
        return _report(args, error)


def _report(args: argparse.Namespace, error: BaseException) -> int:
    """One line on stderr for an error (a traceback with --debug); its exit status.

    The message is escaped as names are (:func:`printable`): it may quote an object name.
    """
    if args.debug:
        raise error
    print(f"storagekit: {printable(str(error))}", file=sys.stderr)
    return next(code for kind, code in EXIT_CODES if isinstance(error, kind))


def _flush_stdout() -> None:
    """Flush what the command printed; OutputClosed if the reader has gone."""
    try:
        sys.stdout.flush()
    except BrokenPipeError as error:
        raise OutputClosed() from error


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's last flush at exit cannot fail again."""
    try:
        descriptor = os.open(os.devnull, os.O_WRONLY)
        os.dup2(descriptor, sys.stdout.fileno())
        os.close(descriptor)
    except (OSError, ValueError, AttributeError):  # pragma: no cover - stdout is not a real file
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
