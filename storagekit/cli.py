"""The ``storagekit`` command: ls, cp, rm, sync, mb, rb, stat, cat over every provider's URLs.

Locations are storage URLs (see :mod:`storagekit.urls`) or plain local paths. This is the only
module that prints. Exit status: 0 success, 1 other error, 2 usage, 3 not found, 4 bad
credentials, 5 permission denied, 6 integrity failure, 130 interrupted.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import re
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from . import __version__
from .config import SECRET_KEYS, config_path, profiles, redacted, remove_profile, save_profile
from .manifest import Dataset
from .models import Object, Prefix
from .sync import SyncProgress, SyncReport, sync
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


_SECRET_IN_ARGV = re.compile(r"(?i)(accountkey=|sharedaccesssignature=|[?&]sig=|x-amz-signature=|"
                             r"x-goog-signature=|://[^/@\s]+:[^/@\s]+@)")
"""Arguments that carry a credential: connection strings, SAS tokens, signatures, user:pass@ URLs."""


class UsageError(Exception):
    """The command line asks for something that cannot be done as written."""


class Progress:
    """A progress bar on stderr (bytes, rate and ETA) drawn by tqdm, or nothing when disabled.

    tqdm: small, pure Python, no dependencies of its own, long and actively maintained, and it
    already knows how to draw bytes, rates and ETAs on a terminal; it ships in the ``cli`` extra.
    Without it the command still works, silently.
    """

    def __init__(self, total: int | None, what: str, disabled: bool) -> None:
        self._bar: Any = None
        if not disabled:
            try:
                from tqdm import tqdm
            except ImportError:
                return
            self._bar = tqdm(total=total, desc=what, unit="B", unit_scale=True, unit_divisor=1024,
                             file=sys.stderr, leave=False, dynamic_ncols=True)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._bar is not None:
            self._bar.close()

    def update_to(self, done: int, total: int | None = None, note: str = "") -> None:
        """Move the bar to ``done`` (of ``total`` when it becomes known)."""
        if self._bar is None:
            return
        if total is not None:
            self._bar.total = total
        if note:
            self._bar.set_postfix_str(note, refresh=False)
        self._bar.update(done - self._bar.n)


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
        options: dict[str, Any] = {"local_root": self.args.local_root, "provider": self.args.provider,
                                   "profile": self.args.profile or os.environ.get("STORAGEKIT_PROFILE")}
        if self.args.endpoint_url:
            options["endpoint_url"] = self.args.endpoint_url
        return options

    def say(self, text: str) -> None:
        print(text, file=self.out)

    def progress_bar(self, total: int | None, what: str) -> Progress:
        """A byte progress bar on stderr (bytes, rate, ETA); silent when quiet or not a terminal."""
        return Progress(total, what, disabled=self.quiet)

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
            return self._report(self._sync(source, destination))
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
                with self.progress_bar(obj.size, obj.name) as bar:
                    src.driver.download_object(obj, destination, overwrite_existing=True,
                                               progress=lambda done, total: bar.update_to(done, total))
        else:
            if os.path.isdir(source):
                raise UsageError(f"{source} is a directory: use cp -r or sync")
            dst = self.open(destination)
            key = dst.child(os.path.basename(source)).key if dst.is_prefix else dst.key
            with self.progress_bar(os.path.getsize(source), os.path.basename(source)) as bar:
                dst.driver.upload_object(source, dst.container, key,
                                         progress=lambda done, total: bar.update_to(done, total))
        self.say(f"copied {source} -> {destination}")
        return 0

    def sync(self) -> int:
        report = self._sync(self.args.source, self.args.destination, delete=self.args.delete,
                            dry_run=self.args.dry_run, include=self.args.include, exclude=self.args.exclude)
        if self.args.manifest and not self.args.dry_run and not report.errors:
            if is_url(self.args.source) or not is_url(self.args.destination):
                raise UsageError("--manifest describes a local directory synced to a store")
            dataset = Dataset.from_directory(self.args.source, labels=self.args.label,
                                             tags=dict(tag.split("=", 1) for tag in self.args.tag))
            dataset.write_manifest(self.args.destination, **self.url_options())
            self.say(f"wrote the manifest of {len(dataset.files)} files")
        return self._report(report)

    def verify(self) -> int:
        dataset = Dataset.from_cloud(self.args.location, **self.url_options())
        with self.progress_bar(len(dataset.files), "verify") as bar:
            problems = dataset.verify(progress=lambda done: bar.update_to(done), **self.url_options())
        for problem in problems:
            print(f"storagekit: mismatch: {problem}", file=sys.stderr)
        self.say(f"{len(dataset.files) - len(problems)} of {len(dataset.files)} files match the manifest")
        return 6 if problems else 0

    def url(self) -> int:
        location = self.open(self.args.location)
        self.say(location.driver.get_object_url(location.container, expires_in=self.args.expires,
                                                method=self.args.method, object_name=location.key))
        return 0

    def check(self) -> int:
        location = self.open(self.args.location)
        report = location.driver.check_permissions(location.container, prefix=location.key)
        for check in ("list", "read", "write", "overwrite", "delete"):
            allowed = getattr(report, f"can_{check}")
            reason = "" if allowed else report.errors.get(check, "")
            self.say(f"{check:<10} {'yes' if allowed else 'NO':<4} {reason}".rstrip())
        return 0 if report.ok else 5

    def config(self) -> int:
        action = self.args.action
        if action == "path":
            self.say(config_path())
        elif action == "list":
            for name, settings in sorted(profiles().items()):
                self.say(f"{name}: " + ", ".join(f"{k}={v}" for k, v in sorted(redacted(settings).items())))
        elif action == "remove":
            if not remove_profile(self._profile_name()):
                raise UsageError(f"no profile {self.args.name!r}")
            self.say(f"removed profile {self.args.name}")
        else:
            settings = dict(option.split("=", 1) for option in self.args.option)
            secret_options = sorted(set(settings) & SECRET_KEYS)
            if secret_options:
                raise UsageError(f"{', '.join(secret_options)} may not be given on the command line: "
                                 "use --secret-stdin or answer the prompt")
            settings.update(provider=self.args.provider, endpoint_url=self.args.endpoint_url,
                            local_root=self.args.local_root)
            if self.args.secret_stdin:
                settings["secret"] = sys.stdin.readline().rstrip("\n")
            elif self.args.ask_secret:
                settings["secret"] = getpass.getpass(f"secret for profile {self.args.name}: ")
            self.say(f"saved profile {self._profile_name()} to {save_profile(self.args.name, settings)}")
        return 0

    def _profile_name(self) -> str:
        if not self.args.name:
            raise UsageError(f"config {self.args.action} needs a profile name")
        return str(self.args.name)

    def _sync(self, source: str, destination: str, **options: Any) -> SyncReport:
        with self.progress_bar(None, "sync") as bar:
            def progress(state: SyncProgress) -> None:
                bar.update_to(state.bytes_done, state.bytes_total, f"{state.files_done}/{state.files_total} files")

            return sync(source, destination, jobs=self.args.jobs, progress=progress, **options,
                         **self.url_options())

    def _report(self, report: SyncReport) -> int:
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
    parser.add_argument("-p", "--profile", default=None, help="named profile from `storagekit config` "
                        "(default: $STORAGEKIT_PROFILE)")
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
    sy.add_argument("--manifest", action="store_true", help="write a dataset manifest beside the data")
    sy.add_argument("--label", action="append", default=[], help="a label for the manifest's dataset")
    sy.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE", help="a tag for the manifest")

    verify = commands.add_parser("verify", help="re-check a backup against its manifest")
    verify.add_argument("location")

    url = commands.add_parser("url", help="print a presigned URL for an object")
    url.add_argument("location")
    url.add_argument("--expires", type=int, default=3600, help="seconds the URL stays valid")
    url.add_argument("--method", choices=("GET", "PUT"), default="GET")

    check = commands.add_parser("check", help="what the credentials may do at a location")
    check.add_argument("location")

    config = commands.add_parser("config", help="manage named profiles (secrets are prompted, never argv)")
    config.add_argument("action", choices=("set", "list", "remove", "path"))
    config.add_argument("name", nargs="?")
    for flag in ("--provider", "--endpoint-url", "--local-root"):
        config.add_argument(flag, default=argparse.SUPPRESS, help="stored in the profile")
    config.add_argument("-o", "--option", action="append", default=[], metavar="KEY=VALUE",
                        help="a driver setting (region, key, project, ...)")
    config.add_argument("--ask-secret", action="store_true", help="prompt for the secret")
    config.add_argument("--secret-stdin", action="store_true", help="read the secret from standard input")

    rm = commands.add_parser("rm", help="delete an object (a prefix with -r)")
    rm.add_argument("location")
    rm.add_argument("-r", "--recursive", action="store_true")
    rm.add_argument("-y", "--yes", action="store_true", help="do not ask before deleting many objects")
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
