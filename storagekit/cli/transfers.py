"""Subcommands that move data: cp, sync (and cp -r), verify."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from .. import sync as syncing
from ..manifest import Dataset
from ..sync import SyncProgress, SyncReport
from ..urls import is_url
from ._common import Command, UsageError, human_size


def cp(cmd: Command) -> int:
    source, destination = cmd.args.source, cmd.args.destination
    if cmd.args.recursive:
        return _report(cmd, _sync(cmd, source, destination))
    if not is_url(source) and not is_url(destination):
        raise UsageError("cp needs a storage URL on at least one side (for two local paths use cp(1))")
    if is_url(source):
        src = cmd.open(source)
        obj = src.driver.get_object(src.container_name, src.key)
        if is_url(destination):
            dst = cmd.open(destination)
            key = dst.child(obj.name.rsplit("/", 1)[-1]).key if dst.is_prefix else dst.key
            src.driver.copy_object(obj, dst.container, key)
        else:
            with cmd.progress_bar(obj.size, obj.name) as bar:
                src.driver.download_object(obj, destination, overwrite_existing=True,
                                           progress=lambda done, total: bar.update_to(done, total))
    else:
        if os.path.isdir(source):
            raise UsageError(f"{source} is a directory: use cp -r or sync")
        dst = cmd.open(destination)
        key = dst.child(os.path.basename(source)).key if dst.is_prefix else dst.key
        with cmd.progress_bar(os.path.getsize(source), os.path.basename(source)) as bar:
            dst.driver.upload_object(source, dst.container, key,
                                     progress=lambda done, total: bar.update_to(done, total))
    cmd.say(f"copied {source} -> {destination}")
    return 0


def sync(cmd: Command) -> int:
    report = _sync(cmd, cmd.args.source, cmd.args.destination, delete=cmd.args.delete,
                        dry_run=cmd.args.dry_run, include=cmd.args.include, exclude=cmd.args.exclude)
    if cmd.args.manifest and not cmd.args.dry_run and not report.errors:
        if is_url(cmd.args.source) or not is_url(cmd.args.destination):
            raise UsageError("--manifest describes a local directory synced to a store")
        dataset = Dataset.from_directory(cmd.args.source, labels=cmd.args.label,
                                         tags=dict(tag.split("=", 1) for tag in cmd.args.tag))
        dataset.write_manifest(cmd.args.destination, **cmd.url_options())
        cmd.say(f"wrote the manifest of {len(dataset.files)} files")
    return _report(cmd, report)


def verify(cmd: Command) -> int:
    dataset = Dataset.from_cloud(cmd.args.location, **cmd.url_options())
    with cmd.progress_bar(len(dataset.files), "verify") as bar:
        problems = dataset.verify(progress=lambda done: bar.update_to(done), **cmd.url_options())
    for problem in problems:
        print(f"storagekit: mismatch: {problem}", file=sys.stderr)
    cmd.say(f"{len(dataset.files) - len(problems)} of {len(dataset.files)} files match the manifest")
    return 6 if problems else 0


def _sync(cmd: Command, source: str, destination: str, **options: Any) -> SyncReport:
    with cmd.progress_bar(None, "sync") as bar:
        def progress(state: SyncProgress) -> None:
            bar.update_to(state.bytes_done, state.bytes_total, f"{state.files_done}/{state.files_total} files")

        return syncing.sync(source, destination, jobs=cmd.args.jobs, progress=progress, **options,
                     **cmd.url_options())


def _report(cmd: Command, report: SyncReport) -> int:
    verb = "would copy" if getattr(cmd.args, "dry_run", False) else "copied"
    for name in report.copied:
        cmd.say(f"{verb} {name}")
    for name in report.deleted:
        cmd.say(f"{'would delete' if verb != 'copied' else 'deleted'} {name}")
    for name, error in report.errors.items():
        print(f"storagekit: failed {name}: {error}", file=sys.stderr)
    cmd.say(f"{len(report.copied)} copied ({human_size(report.bytes_copied)}), {report.skipped} unchanged, "
             f"{len(report.deleted)} deleted, {len(report.errors)} failed")
    return 1 if report.errors else 0


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare this module's subcommands and their options."""
    cp_ = commands.add_parser("cp", help="copy a file or object (directories with -r)")
    cp_.add_argument("source")
    cp_.add_argument("destination")
    cp_.add_argument("-r", "--recursive", action="store_true")
    cp_.add_argument("-j", "--jobs", type=int, default=4)
    cp_.set_defaults(run=cp)

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
    sy.set_defaults(run=sync)

    verify_ = commands.add_parser("verify", help="re-check a backup against its manifest")
    verify_.add_argument("location")
    verify_.set_defaults(run=verify)
