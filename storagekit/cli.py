"""The ``storagekit`` command: ls, cp, rm, sync, mb, rb, stat, cat over every provider's URLs.

Locations are storage URLs (see :mod:`storagekit.urls`) or plain local paths. This is the only
module that prints. Exit status: 0 success, 1 other error, 2 usage, 3 not found, 4 bad
credentials, 5 permission denied, 6 integrity failure, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from . import __version__
from .models import Object, Prefix
from .sync import SyncProgress, sync
from .types import (
    ContainerDoesNotExistError,
    InvalidCredsError,
    InvalidOptionError,
    ObjectDoesNotExistError,
    ObjectHashMismatchError,
    PermissionDeniedError,
    StorageKitError,
)
from .urls import Location, is_url, open_url

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


class UsageError(Exception):
    """The command line asks for something that cannot be done as written."""


def human_size(size: int) -> str:
    """1536 -> '1.5 KiB'."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


class Command:
    """State shared by the subcommands: parsed arguments and how to open locations."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.out = sys.stdout
        self.quiet = args.quiet or not sys.stderr.isatty()

    def open(self, url: str) -> Location:
        return open_url(url, **self.url_options())

    def url_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"local_root": self.args.local_root, "provider": self.args.provider}
        if self.args.endpoint_url:
            options["endpoint_url"] = self.args.endpoint_url
        return options

    def say(self, text: str) -> None:
        print(text, file=self.out)

    def status(self, text: str) -> None:
        """A progress line on stderr, rewritten in place; silent unless stderr is a terminal."""
        if not self.quiet:
            print(f"\r\033[K{text}", end="", file=sys.stderr, flush=True)

    def status_done(self) -> None:
        if not self.quiet:
            print(file=sys.stderr)

    # ------------------------------------------------------------ listing

    def ls(self) -> int:
        location = self.open(self.args.location)
        entries: Iterator[Object | Prefix]
        if self.args.recursive:
            entries = iter(location.driver.iterate_container_objects(location.container, prefix=location.key or None))
        else:
            entries = location.driver.iterate_container_entries(location.container, location.key or None, "/")
        rows = [self._row(entry) for entry in entries]
        if self.args.json:
            self.say(json.dumps(rows, indent=2))
        else:
            for row in rows:
                self.say(self._format(row))
        return 0

    @staticmethod
    def _row(entry: Object | Prefix) -> dict[str, Any]:
        if isinstance(entry, Prefix):
            return {"name": entry.name, "type": "prefix"}
        return {"name": entry.name, "type": "object", "size": entry.size,
                "last_modified": entry.extra.get("last_modified"), "hash": entry.hash}

    def _format(self, row: dict[str, Any]) -> str:
        if not self.args.long:
            return row["name"]
        if row["type"] == "prefix":
            return f"{'PRE':>10}  {'':20}  {row['name']}"
        size = human_size(row["size"]) if self.args.human else str(row["size"])
        return f"{size:>10}  {row['last_modified'] or '':20}  {row['name']}"

    def stat(self) -> int:
        location = self.open(self.args.location)
        obj = location.driver.get_object(location.container_name, location.key)
        info = {"name": obj.name, "container": obj.container.name, "size": obj.size, "hash": obj.hash,
                "checksums": obj.checksums, "extra": obj.extra, "meta_data": obj.meta_data}
        self.say(json.dumps(info, indent=2, default=str))
        return 0

    def cat(self) -> int:
        location = self.open(self.args.location)
        obj = location.driver.get_object(location.container_name, location.key)
        for chunk in obj.as_stream(chunk_size=1024 * 1024):
            sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
        return 0

    # ------------------------------------------------------------ containers

    def mb(self) -> int:
        location = self.open(self.args.location)
        location.driver.create_container(location.container_name)
        self.say(f"created {location.container_name}")
        return 0

    def rb(self) -> int:
        location = self.open(self.args.location)
        location.driver.delete_container(location.driver.get_container(location.container_name))
        self.say(f"removed {location.container_name}")
        return 0

    # ------------------------------------------------------------ copies

    def cp(self) -> int:
        source, destination = self.args.source, self.args.destination
        if self.args.recursive:
            return self._report(sync(source, destination, jobs=self.args.jobs, progress=self._progress,
                                     **self.url_options()))
        if not is_url(source) and not is_url(destination):
            raise UsageError("cp needs a storage URL on at least one side (for two local paths use cp(1))")
        if is_url(source):
            src = self.open(source)
            obj = src.driver.get_object(src.container_name, src.key)
            if is_url(destination):
                dst = self.open(destination)
                key = dst.child(obj.name.rsplit("/", 1)[-1]).key if dst.is_prefix else dst.key
                src.driver.copy_object(obj, dst.container, key)
            else:
                obj.download(destination, overwrite_existing=True)
        else:
            if os.path.isdir(source):
                raise UsageError(f"{source} is a directory: use cp -r or sync")
            dst = self.open(destination)
            key = dst.child(os.path.basename(source)).key if dst.is_prefix else dst.key
            dst.driver.upload_object(source, dst.container, key)
        self.say(f"copied {source} -> {destination}")
        return 0

    def sync(self) -> int:
        report = sync(self.args.source, self.args.destination, delete=self.args.delete, dry_run=self.args.dry_run,
                      include=self.args.include, exclude=self.args.exclude, jobs=self.args.jobs,
                      progress=self._progress, **self.url_options())
        return self._report(report)

    def _progress(self, state: SyncProgress) -> None:
        self.status(f"{state.files_done}/{state.files_total} files, {human_size(state.bytes_done)}"
                    f"/{human_size(state.bytes_total)}  {state.current}")

    def _report(self, report: Any) -> int:
        self.status_done()
        verb = "would copy" if getattr(self.args, "dry_run", False) else "copied"
        for name in report.copied:
            self.say(f"{verb} {name}")
        for name in report.deleted:
            self.say(f"{'would delete' if verb != 'copied' else 'deleted'} {name}")
        for name, error in report.errors.items():
            print(f"storagekit: failed {name}: {error}", file=sys.stderr)
        self.say(f"{len(report.copied)} copied ({human_size(report.bytes_copied)}), {report.skipped} unchanged, "
                 f"{len(report.deleted)} deleted, {len(report.errors)} failed")
        return 1 if report.errors else 0

    # ------------------------------------------------------------ deletion

    def rm(self) -> int:
        location = self.open(self.args.location)
        driver = location.driver
        if not self.args.recursive:
            driver.delete_object(driver.get_object(location.container_name, location.key))
            self.say(f"deleted {location.key}")
            return 0
        objects = list(driver.iterate_container_objects(location.container, prefix=location.key or None))
        if len(objects) > 1 and not self.args.yes:
            if not sys.stdin.isatty():
                raise UsageError(f"refusing to delete {len(objects)} objects without --yes")
            answer = input(f"delete {len(objects)} objects under {self.args.location}? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                self.say("nothing deleted")
                return 1
        errors = driver.delete_objects(objects)
        for error in errors:
            print(f"storagekit: {error}", file=sys.stderr)
        self.say(f"deleted {len(objects) - len(errors)} objects")
        return 1 if errors else 0


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
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    parser.add_argument("--debug", action="store_true", help="log requests and show tracebacks")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ls = commands.add_parser("ls", help="list containers' objects")
    ls.add_argument("location")
    ls.add_argument("-l", "--long", action="store_true", help="sizes and dates")
    ls.add_argument("-r", "--recursive", action="store_true", help="everything under the prefix")
    ls.add_argument("-H", "--human", action="store_true", help="human-readable sizes")
    ls.add_argument("--json", action="store_true", help="JSON output")

    for name, text in (("stat", "show an object's properties"), ("cat", "write an object to stdout"),
                       ("mb", "make a container"), ("rb", "remove an empty container")):
        commands.add_parser(name, help=text).add_argument("location")

    cp = commands.add_parser("cp", help="copy a file or object (directories with -r)")
    cp.add_argument("source")
    cp.add_argument("destination")
    cp.add_argument("-r", "--recursive", action="store_true")
    cp.add_argument("-j", "--jobs", type=int, default=4)

    sy = commands.add_parser("sync", help="make the destination match the source (changed files only)")
    sy.add_argument("source")
    sy.add_argument("destination")
    sy.add_argument("--delete", action="store_true", help="delete what the source does not have")
    sy.add_argument("-n", "--dry-run", action="store_true", help="show what would change, change nothing")
    sy.add_argument("--include", action="append", default=[], metavar="GLOB", help="only names matching GLOB")
    sy.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="skip names matching GLOB")
    sy.add_argument("-j", "--jobs", type=int, default=4, help="files transferred in parallel")

    rm = commands.add_parser("rm", help="delete an object (a prefix with -r)")
    rm.add_argument("location")
    rm.add_argument("-r", "--recursive", action="store_true")
    rm.add_argument("-y", "--yes", action="store_true", help="do not ask before deleting many objects")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.debug:
        logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")
    try:
        return int(getattr(Command(args), args.command)())
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
