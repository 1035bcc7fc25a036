"""Subcommands on containers and single objects: ls, stat, cat, mb, rb, rm, url, check."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any

from ..models import Object, Prefix
from ._common import Command, UsageError, human_size


def ls(cmd: Command) -> int:
    location = cmd.open(cmd.args.location)
    entries: Iterator[Object | Prefix]
    if cmd.args.recursive:
        entries = iter(location.driver.iterate_container_objects(location.container, prefix=location.key or None))
    else:
        entries = location.driver.iterate_container_entries(location.container, location.key or None, "/")
    rows = [_row(entry) for entry in entries]
    if cmd.args.json:
        cmd.say(json.dumps(rows, indent=2))
    else:
        for row in rows:
            cmd.say(_format(cmd, row))
    return 0


def _row(entry: Object | Prefix) -> dict[str, Any]:
    if isinstance(entry, Prefix):
        return {"name": entry.name, "type": "prefix"}
    return {"name": entry.name, "type": "object", "size": entry.size,
            "last_modified": entry.extra.get("last_modified"), "hash": entry.hash}


def _format(cmd: Command, row: dict[str, Any]) -> str:
    if not cmd.args.long:
        return row["name"]
    if row["type"] == "prefix":
        return f"{'PRE':>10}  {'':20}  {row['name']}"
    size = human_size(row["size"]) if cmd.args.human else str(row["size"])
    return f"{size:>10}  {row['last_modified'] or '':20}  {row['name']}"


def stat(cmd: Command) -> int:
    location = cmd.open(cmd.args.location)
    obj = location.driver.get_object(location.container_name, location.key)
    info = {"name": obj.name, "container": obj.container.name, "size": obj.size, "hash": obj.hash,
            "checksums": obj.checksums, "extra": obj.extra, "meta_data": obj.meta_data}
    cmd.say(json.dumps(info, indent=2, default=str))
    return 0


def cat(cmd: Command) -> int:
    location = cmd.open(cmd.args.location)
    obj = location.driver.get_object(location.container_name, location.key)
    for chunk in obj.as_stream(chunk_size=1024 * 1024):
        sys.stdout.buffer.write(chunk)
    sys.stdout.buffer.flush()
    return 0


def mb(cmd: Command) -> int:
    location = cmd.open(cmd.args.location)
    location.driver.create_container(location.container_name)
    cmd.say(f"created {location.container_name}")
    return 0


def rb(cmd: Command) -> int:
    location = cmd.open(cmd.args.location)
    location.driver.delete_container(location.driver.get_container(location.container_name))
    cmd.say(f"removed {location.container_name}")
    return 0


def rm(cmd: Command) -> int:
    location = cmd.open(cmd.args.location)
    driver = location.driver
    if not cmd.args.recursive:
        driver.delete_object(driver.get_object(location.container_name, location.key))
        cmd.say(f"deleted {location.key}")
        return 0
    objects = list(driver.iterate_container_objects(location.container, prefix=location.key or None))
    if len(objects) > 1 and not cmd.args.yes:
        if not sys.stdin.isatty():
            raise UsageError(f"refusing to delete {len(objects)} objects without --yes")
        answer = input(f"delete {len(objects)} objects under {cmd.args.location}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            cmd.say("nothing deleted")
            return 1
    errors = driver.delete_objects(objects)
    for error in errors:
        print(f"storagekit: {error}", file=sys.stderr)
    cmd.say(f"deleted {len(objects) - len(errors)} objects")
    return 1 if errors else 0


def url(cmd: Command) -> int:
    location = cmd.open(cmd.args.location)
    cmd.say(location.driver.get_object_url(location.container, expires_in=cmd.args.expires,
                                            method=cmd.args.method, object_name=location.key))
    return 0


def check(cmd: Command) -> int:
    location = cmd.open(cmd.args.location)
    report = location.driver.check_permissions(location.container, prefix=location.key)
    for check in ("list", "read", "write", "overwrite", "delete"):
        allowed = getattr(report, f"can_{check}")
        reason = "" if allowed else report.errors.get(check, "")
        cmd.say(f"{check:<10} {'yes' if allowed else 'NO':<4} {reason}".rstrip())
    return 0 if report.ok else 5


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare this module's subcommands and their options."""
    ls_ = commands.add_parser("ls", help="list containers' objects")
    ls_.add_argument("location")
    ls_.add_argument("-l", "--long", action="store_true", help="sizes and dates")
    ls_.add_argument("-r", "--recursive", action="store_true", help="everything under the prefix")
    ls_.add_argument("-H", "--human", action="store_true", help="human-readable sizes")
    ls_.add_argument("--json", action="store_true", help="JSON output")
    ls_.set_defaults(run=ls)

    for run, text in ((stat, "show an object's properties"), (cat, "write an object to stdout"),
                      (mb, "make a container"), (rb, "remove an empty container")):
        simple = commands.add_parser(run.__name__, help=text)
        simple.add_argument("location")
        simple.set_defaults(run=run)

    url_ = commands.add_parser("url", help="print a presigned URL for an object")
    url_.add_argument("location")
    url_.add_argument("--expires", type=int, default=3600, help="seconds the URL stays valid")
    url_.add_argument("--method", choices=("GET", "PUT"), default="GET")
    url_.set_defaults(run=url)

    check_ = commands.add_parser("check", help="what the credentials may do at a location")
    check_.add_argument("location")
    check_.set_defaults(run=check)

    rm_ = commands.add_parser("rm", help="delete an object (a prefix with -r)")
    rm_.add_argument("location")
    rm_.add_argument("-r", "--recursive", action="store_true")
    rm_.add_argument("-y", "--yes", action="store_true", help="do not ask before deleting many objects")
    rm_.set_defaults(run=rm)
