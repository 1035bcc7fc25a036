"""Subcommands that move data: cp (``-r`` for trees, ``-`` for stdin / stdout), sync, verify.

Exit status: 0 done; 1 a file failed or a sync refused to delete (nothing was changed then);
2 usage; 3 the source (directory, container, prefix, object) or the destination container
does not exist (nothing was changed); 6 verify found a mismatch; 130 interrupted (the
summary is printed first).

The sync engine, the manifest and the file-metadata helpers are imported by the commands that
use them, so that the CLI's start (``--help``, ``ls``, ``config``) does not pay for them.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import TYPE_CHECKING, Any

from ..filters import FilterRules
from ..types import ContainerDoesNotExistError, NotSupportedError, Provider
from ..urls import Location, is_url
from ._common import Command, UsageError, human_size, printable
from ._report import Meter, print_json, stats_interval

if TYPE_CHECKING:
    from ..models import Object
    from ..sync import SyncProgress, SyncReport

_NO_ACL_OR_SSE = (Provider.LOCAL.value, Provider.MEMORY.value)


def _flag(cmd: Command, name: str) -> bool:
    return bool(getattr(cmd.args, name, False))


def _upload_options(cmd: Command, location: Location) -> tuple[dict[str, Any], dict[str, str]]:
    """``extra`` and user metadata from --content-type, --storage-class, --acl, --sse, --metadata."""
    args = cmd.args
    extra = {key: value for key, value in (("content_type", args.content_type), ("storage_class", args.storage_class),
                                            ("acl", args.acl), ("server_side_encryption", args.sse)) if value}
    if (args.acl or args.sse) and str(location.driver.provider) in _NO_ACL_OR_SSE:
        raise NotSupportedError(f"{location.driver.provider} stores take no --acl / --sse", location.driver)
    meta = {}
    for item in args.metadata:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--metadata takes KEY=VALUE, not {item!r}")
        meta[key] = value
    return extra, meta


def _container(cmd: Command, location: Location) -> None:
    """Refuse a missing destination container unless --create (then make it)."""
    try:
        location.driver.get_container(location.container_name)
    except ContainerDoesNotExistError:
        if not _flag(cmd, "create"):
            raise ContainerDoesNotExistError(
                f"destination container {location.container_name!r} does not exist "
                "(create it with `storagekit mb`, or pass --create)", location.driver,
                container_name=location.container_name) from None
        location.driver.create_container(location.container_name)


def cp(cmd: Command) -> int:
    from ..file_metadata import metadata_for, recorded_mode, recorded_mtime_ns, restore

    source, destination = cmd.args.source, cmd.args.destination
    if cmd.args.recursive:
        return _sync_and_report(cmd, delete=False)
    if source == "-" or destination == "-":
        return _cp_stream(cmd, source, destination)
    if not is_url(source) and not is_url(destination):
        raise UsageError("cp needs a storage URL on at least one side (for two local paths use cp(1))")
    if is_url(source):
        src = cmd.open(source)
        obj = src.driver.get_object(src.container_name, src.key)
        if is_url(destination):
            dst = cmd.open(destination)
            extra, meta = _upload_options(cmd, dst)
            _container(cmd, dst)
            key = dst.child(obj.name.rsplit("/", 1)[-1]).key if dst.is_prefix else dst.key
            src.driver.copy_object(obj, dst.container, key, extra=extra or None,
                                   ex_meta={**obj.meta_data, **meta} if meta else None)
        else:
            target = _download_target(destination, obj)
            with _meter(cmd, "cp") as meter:
                src.driver.download_object(obj, target, overwrite_existing=True,
                                           progress=lambda done, total: meter.update(0, 1, done, obj.size))
            restore(target, recorded_mtime_ns(obj), recorded_mode(obj))
        size = obj.size
    else:
        if os.path.isdir(source):
            raise UsageError(f"{source} is a directory: use cp -r or sync")
        info = os.stat(source)
        dst = cmd.open(destination)
        extra, meta = _upload_options(cmd, dst)
        _container(cmd, dst)
        key = dst.child(os.path.basename(source)).key if dst.is_prefix else dst.key
        recorded = {**meta, **metadata_for(info.st_mtime_ns, info.st_mode, dst.driver.provider)}
        with _meter(cmd, "cp") as meter:
            dst.driver.upload_object(source, dst.container, key, extra=extra or None, ex_meta=recorded,
                                     progress=lambda done, total: meter.update(0, 1, done, info.st_size))
        size = info.st_size
    return _copied(cmd, source, destination, size)


def _download_target(destination: str, obj: Object) -> str:
    """Where a downloaded object goes: into an existing directory, else that path (whose
    directory must exist: a clear error, not one naming a temp file)."""
    if os.path.isdir(destination):
        return os.path.join(destination, os.path.basename(obj.name))
    parent = os.path.dirname(os.path.abspath(destination))
    if not os.path.isdir(parent):
        raise FileNotFoundError(f"directory {os.path.dirname(destination) or '.'!r} does not exist")
    return destination


def _cp_stream(cmd: Command, source: str, destination: str) -> int:
    """``cp - URL`` uploads standard input; ``cp URL -`` writes the object to standard output."""
    if source == "-" and destination == "-":
        raise UsageError("cp - - copies nothing: give a URL on one side")
    if destination == "-":
        src = cmd.open(source)
        obj = src.driver.get_object(src.container_name, src.key)
        for chunk in src.driver.download_object_as_stream(obj, chunk_size=1024 * 1024):
            sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
        return 0
    dst = cmd.open(destination)
    if dst.is_prefix:
        raise UsageError(f"cp - needs an object name, not the prefix {destination!r}")
    extra, meta = _upload_options(cmd, dst)
    _container(cmd, dst)
    obj = dst.driver.upload_object_via_stream(sys.stdin.buffer, dst.container, dst.key, extra=extra or None,
                                              ex_meta=meta or None)
    return _copied(cmd, "-", destination, obj.size)


def _copied(cmd: Command, source: str, destination: str, size: int) -> int:
    if _flag(cmd, "json"):
        print_json({"copied": [{"source": source, "destination": destination, "bytes": size}]})
    elif not _flag(cmd, "quiet"):
        cmd.say(f"copied {printable(source)} -> {printable(destination)} ({human_size(size)})")
    return 0


def _meter(cmd: Command, what: str, unit: str = "B") -> Meter:
    quiet = _flag(cmd, "quiet") or (_flag(cmd, "json") and not sys.stderr.isatty())
    return Meter(what, quiet=quiet, interval=stats_interval(cmd.args), unit=unit,
                 bar=getattr(cmd.args, "progress", None))


def sync(cmd: Command) -> int:
    return _sync_and_report(cmd, delete=cmd.args.delete)


def _compare(args: argparse.Namespace) -> str:
    if args.checksum and args.size_only:
        raise UsageError("--checksum and --size-only exclude each other")
    return "checksum" if args.checksum else "size" if args.size_only else "modtime"


def _sync_and_report(cmd: Command, delete: bool) -> int:
    from .. import sync as syncing

    args = cmd.args
    dry_run = _flag(cmd, "dry_run")
    destination = cmd.open(args.destination) if is_url(args.destination) else None
    extra, meta = _upload_options(cmd, destination) if destination else ({}, {})
    rules = FilterRules.from_options(args.include, args.exclude, args.filter, args.include_from,
                                     args.exclude_from, args.filter_from)
    with _meter(cmd, "sync") as meter:
        def progress(state: SyncProgress) -> None:
            note = f"hashed {human_size(state.hashed)}" if state.hashed else ""
            meter.update(state.files_done, state.files_total, state.bytes_done, state.bytes_total, note)

        options: dict[str, Any] = {
            "delete": delete, "dry_run": dry_run, "rules": rules, "compare": _compare(args),
            "allow_empty_source": args.allow_empty_source, "max_delete": args.max_delete, "create": args.create,
            "follow_symlinks": args.follow_symlinks, "extra": extra, "metadata": meta, "jobs": args.jobs,
            "progress": progress, **cmd.url_options()}
        try:
            if args.dask:
                report = _sync_on_dask(args.dask, args.source, args.destination, options)
            else:
                report = syncing.sync(args.source, destination or args.destination, **options)
        except syncing.SyncInterrupted as stopped:
            report = stopped.report
    if report.ok and not dry_run and destination is not None and not is_url(args.source):
        _keep_manifest(cmd, report, destination)
    return _report(cmd, report)


def _sync_on_dask(address: str, source: str, destination: str, options: dict[str, Any]) -> SyncReport:
    """The same sync as a Dask task plan: on the scheduler at ``address``, or ``local:N`` worker processes."""
    from .. import distributed

    if not is_url(destination):
        raise UsageError(f"--dask writes to a storage URL, not the local path {destination!r}")
    with distributed.cluster(address) as client:
        return distributed.sync(source, destination, client, **options)


def _keep_manifest(cmd: Command, report: SyncReport, destination: Location) -> None:
    """Write (--manifest) or refresh (a manifest already there) the destination's dataset manifest,
    hashing only the files this run copied."""
    from ..manifest import DATASET_FILE, Dataset

    args = cmd.args
    exists = destination.driver.object_exists(destination.container_name, _root(destination).child(DATASET_FILE).key)
    if not (args.manifest or exists):
        return
    if exists:
        dataset = Dataset.from_cloud(_root(destination).url, **cmd.url_options())
        dataset.labels |= set(args.label)
        dataset.tags.update(_pairs(args.tag, "--tag"))
    else:
        dataset = Dataset(os.path.abspath(args.source), name=os.path.basename(os.path.abspath(args.source)),
                          labels=set(args.label), tags=_pairs(args.tag, "--tag"))
    fresh = dataset.refreshed(args.source, report.in_sync, report.copied)
    fresh.write_manifest(_root(destination).url, **cmd.url_options())
    if not (_flag(cmd, "quiet") or _flag(cmd, "json")):
        cmd.say(f"{'updated' if exists else 'wrote'} the manifest of {len(fresh.files)} files")


def _root(location: Location) -> Location:
    """The synced directory itself: ``s3://b/photos`` is ``s3://b/photos/``."""
    if location.is_prefix:
        return location
    return Location(location.driver, location.container_name, location.key + "/", location.url + "/")


def _pairs(items: list[str], option: str) -> dict[str, str]:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"{option} takes KEY=VALUE, not {item!r}")
        pairs[key] = value
    return pairs


def _report(cmd: Command, report: SyncReport) -> int:
    status = 130 if report.interrupted else 1 if report.errors else 0
    if _flag(cmd, "json"):
        print_json({"source": cmd.args.source, "destination": cmd.args.destination, **report.to_dict()})
        return status
    for name, error in sorted(report.errors.items()):
        print(f"storagekit: failed {printable(name)}: {error}", file=sys.stderr)
    if report.interrupted:
        print("storagekit: interrupted: the transfers under way finished, nothing was deleted", file=sys.stderr)
    if report.deletes_withheld:
        print(f"storagekit: {report.deletes_withheld}", file=sys.stderr)
    if _flag(cmd, "quiet"):
        return status
    would = "would " if report.dry_run else ""
    for name in report.copied:
        cmd.say(f"{would}copy {printable(name)}" if would else f"copied {printable(name)}")
    for name in report.deleted:
        cmd.say(f"{would}delete {printable(name)}" if would else f"deleted {printable(name)}")
    for name, reason in sorted(report.skipped.items()):
        cmd.say(f"skipped {printable(name)}: {reason}")
    cmd.say(_summary(report))
    return status


def _summary(report: SyncReport) -> str:
    if report.dry_run:
        return (f"would copy {len(report.copied)} ({human_size(report.bytes_copied)}), {report.unchanged} unchanged, "
                f"{len(report.skipped)} skipped, would delete {len(report.deleted)}, {len(report.errors)} failed "
                "(dry run: nothing changed)")
    return (f"{len(report.copied)} copied ({human_size(report.bytes_copied)}), {report.unchanged} unchanged, "
            f"{len(report.skipped)} skipped, {len(report.deleted)} deleted, {len(report.errors)} failed")


def verify(cmd: Command) -> int:
    from ..manifest import Dataset

    dataset = Dataset.from_cloud(cmd.args.location, **cmd.url_options())
    with _meter(cmd, "verify", unit="file") as meter:
        total = len(dataset.files)
        problems = dataset.verify(progress=lambda done: meter.update(done, total, 0, 0), **cmd.url_options())
    if _flag(cmd, "json"):
        print_json({"location": cmd.args.location, "files": total, "matching": total - len(problems),
                    "problems": problems})
        return 6 if problems else 0
    for problem in problems:
        print(f"storagekit: mismatch: {printable(problem)}", file=sys.stderr)
    if not _flag(cmd, "quiet"):
        cmd.say(f"{total - len(problems)} of {total} files match the manifest")
    return 6 if problems else 0


# ---------------------------------------------------------------------------- options


def _tolerant(parser: argparse.ArgumentParser, *flags: str, **options: Any) -> None:
    """Declare an option unless the command line already declares it for every subcommand
    (``--json``, ``-q``); SUPPRESS keeps a value given before the subcommand."""
    with contextlib.suppress(argparse.ArgumentError):
        parser.add_argument(*flags, default=argparse.SUPPRESS, **options)


def _output_options(parser: argparse.ArgumentParser) -> None:
    _tolerant(parser, "--json", action="store_true", help="print one JSON document (exact names)")
    _tolerant(parser, "-q", "--quiet", action="store_true", help="print nothing but errors")
    parser.add_argument("--stats", type=float, default=None, metavar="SECONDS",
                        help="without a terminal, a progress line every SECONDS (default 5, 0: none)")


def _write_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--create", action="store_true", help="create the destination container if missing")
    parser.add_argument("--content-type", default=None, help="content type of every object written")
    parser.add_argument("--metadata", action="append", default=[], metavar="KEY=VALUE",
                        help="user metadata for every object written (repeatable)")
    parser.add_argument("--storage-class", default=None, help="storage class / access tier (provider's names)")
    parser.add_argument("--acl", default=None, help="canned ACL (S3: private, public-read, ...; GCS predefined ACLs)")
    parser.add_argument("--sse", default=None, metavar="ALGORITHM",
                        help="server-side encryption (S3: AES256 or aws:kms)")


def _tree_options(parser: argparse.ArgumentParser) -> None:
    """Options of every tree copy (sync, cp -r): filters, comparison, symlinks, safety."""
    rules = parser.add_argument_group("filters (rclone's rules: first match wins; see docs/filters.md)")
    rules.add_argument("--include", action="append", default=[], metavar="GLOB", help="only names matching GLOB")
    rules.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="skip names matching GLOB")
    rules.add_argument("--filter", action="append", default=[], metavar="RULE", help="'+ GLOB' or '- GLOB', in order")
    rules.add_argument("--include-from", action="append", default=[], metavar="FILE", help="include patterns")
    rules.add_argument("--exclude-from", action="append", default=[], metavar="FILE", help="exclude patterns")
    rules.add_argument("--filter-from", action="append", default=[], metavar="FILE", help="filter rules")
    parser.add_argument("-c", "--checksum", action="store_true", help="compare size and MD5, not size and mtime")
    parser.add_argument("--size-only", action="store_true", help="compare sizes only")
    parser.add_argument("-L", "--follow-symlinks", action="store_true", help="follow symlinks (loops are refused)")
    parser.add_argument("-j", "--jobs", type=int, default=4,
                        help="files transferred in parallel (per task with --dask)")
    parser.add_argument("--dask", default=None, metavar="ADDRESS",
                        help="run on a Dask cluster: a scheduler (tcp://host:8786) or local:N worker processes "
                             "(the dask extra; see docs/moving-a-bucket.md)")
    parser.add_argument("-n", "--dry-run", action="store_true", help="show what would change, change nothing")
    parser.add_argument("--allow-empty-source", action="store_true",
                        help="let --delete empty the destination when the source has nothing to sync")
    parser.add_argument("--max-delete", type=int, default=None, metavar="N",
                        help="refuse (deleting nothing) when more than N would be deleted")
    parser.add_argument("--manifest", action="store_true", help="write a dataset manifest beside the data "
                        "(kept current by later syncs)")
    parser.add_argument("--label", action="append", default=[], help="a label for the manifest's dataset")
    parser.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE", help="a tag for the manifest")


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare this module's subcommands and their options."""
    cp_ = commands.add_parser("cp", help="copy a file or object (trees with -r; '-' is stdin / stdout)")
    cp_.add_argument("source")
    cp_.add_argument("destination")
    cp_.add_argument("-r", "--recursive", action="store_true", help="copy a tree (as sync without --delete)")
    _tree_options(cp_)
    _write_options(cp_)
    _output_options(cp_)
    cp_.set_defaults(run=cp, delete=False)

    sy = commands.add_parser("sync", help="make the destination match the source (changed files only)")
    sy.add_argument("source")
    sy.add_argument("destination")
    sy.add_argument("--delete", action="store_true",
                    help="delete what the source does not have (after every copy succeeded)")
    _tree_options(sy)
    _write_options(sy)
    _output_options(sy)
    sy.set_defaults(run=sync)

    verify_ = commands.add_parser("verify", help="re-check a backup against its manifest")
    verify_.add_argument("location")
    _output_options(verify_)
    verify_.set_defaults(run=verify)
