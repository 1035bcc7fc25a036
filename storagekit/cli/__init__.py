"""The ``storagekit`` command: ls, cp, rm, sync, mb, rb, stat, cat over every provider's URLs.

Locations are storage URLs (see :mod:`storagekit.urls`) or plain local paths. This is the only
module that prints. Exit status: 0 success, 1 other error, 2 usage, 3 not found, 4 bad
credentials, 5 permission denied, 6 integrity failure, 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
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
from . import objects, profiles, transfers, whoami
from ._common import Command, UsageError

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


_SECRET_IN_ARGV = re.compile(r"(?i)(accountkey=|sharedaccesssignature=|[?&]sig=|x-amz-signature=|"
                             r"x-goog-signature=|://[^/@\s]+:[^/@\s]+@)")
"""Arguments that carry a credential: connection strings, SAS tokens, signatures, user:pass@ URLs."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="storagekit",
        description="Copy, sync and list objects in S3, Azure, GCS, local and memory stores by URL.",
        epilog="Locations: s3://bucket/key, gs://bucket/key, az://container/blob, local://container/key "
               "(root from --local-root or $STORAGEKIT_LOCAL_ROOT), memory://container/key, or a local path.",
    )
    parser.add_argument("--version", action="version", version=f"storagekit {__version__}")
    parser.add_argument("--local-root", default=None, help="root directory of local:// URLs")
    parser.add_argument("--provider", default=None, help="S3-compatible preset for s3:// URLs (e.g. minio)")
    parser.add_argument("--endpoint-url", default=None, help="service endpoint (S3-compatible servers, emulators)")
    parser.add_argument("-p", "--profile", default=None, help="named profile from `storagekit config` "
                        "(default: $STORAGEKIT_PROFILE)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    parser.add_argument("--debug", action="store_true", help="log requests and show tracebacks")
    parser.add_argument("--anonymous", "--no-sign-request", action="store_true", help="unsigned requests to s3:// URLs")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (objects, transfers, profiles, whoami):
        module.add_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    leaked = [arg for arg in argv if _SECRET_IN_ARGV.search(arg)]
    if leaked:
        print("storagekit: refusing a secret on the command line (every user of this machine can read it): "
              "use a profile (`storagekit config set`) or the provider's environment variables", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    if args.debug:
        logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")
    try:
        return int(args.run(Command(args)))
    except KeyboardInterrupt:
        print("\nstoragekit: interrupted", file=sys.stderr)
        return 130
    except UsageError as error:
        print(f"storagekit: {error}", file=sys.stderr)
        return 2
    except (StorageKitError, OSError) as error:
        if args.debug:
            raise
        print(f"storagekit: {error}", file=sys.stderr)
        return next(code for kind, code in EXIT_CODES if isinstance(error, kind))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
