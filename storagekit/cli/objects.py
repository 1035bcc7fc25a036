"""Subcommands on containers and objects in place: ls, du, stat, cat, mb, rb, rm, url, check.

A location with a key is a "directory" (``s3://b/photos`` lists, sizes and deletes what is
under ``photos/``, never ``photos-2023/``), or a single object of that name when there is no
such directory. A location under which nothing exists is "not found" (exit 3).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from typing import Any

from ..models import PERMISSION_PURPOSES, Object, Prefix
from ..types import ObjectDoesNotExistError
from ..urls import Location
from ._common import Command, OutputClosed, UsageError, human_size, printable

PROMPT_NAMES = 5
"""How many names the confirmation prompt of ``rm -r`` shows."""


def ls(cmd: Command) -> int:
    location = cmd.open(cmd.args.location, container_optional=True)
    if not location.container_name:
        rows = ({"name": container.name, "type": "container"} for container in location.driver.iterate_containers())
    else:
        rows = (_row(entry) for entry in _listing(location, recursive=cmd.args.recursive))
    if cmd.args.json:
        cmd.output_json(list(rows))
    else:
        for row in rows:  # printed as listed: `ls | head` stops the listing early
            cmd.output(_format(cmd, row))
    return 0


def _listing(location: Location, recursive: bool) -> Iterator[Object | Prefix]:
    """What is under the location's directory prefix, or else the one object it names.

    Raises:
        ObjectDoesNotExistError: a key under which nothing exists (a missing container raises
            ContainerDoesNotExistError from the driver).
    """
    prefix = location.directory_prefix or None
    entries: Iterator[Object | Prefix]
    if recursive:
        entries = iter(location.driver.iterate_container_objects(location.container, prefix=prefix))
    else:
        entries = location.driver.iterate_container_entries(location.container, prefix, "/")
    found = False
    for entry in entries:
        found = True
        yield entry
    if not found and location.key:
        yield _single_object(location)


def _single_object(location: Location) -> Object:
    """The object a location names itself, when nothing is under it as a directory."""
    if not location.is_prefix:
        try:
            return location.driver.get_object(location.container_name, location.key)
        except ObjectDoesNotExistError:
            pass
    raise ObjectDoesNotExistError(f"nothing at {location.url}: no object and no objects under "
                                  f"{location.directory_prefix!r}", location.driver,
                                  container_name=location.container_name, object_name=location.key)


def _row(entry: Object | Prefix) -> dict[str, Any]:
    if isinstance(entry, Prefix):
        return {"name": entry.name, "type": "prefix"}
    return {"name": entry.name, "type": "object", "size": entry.size,
            "last_modified": entry.extra.get("last_modified"), "hash": entry.hash}


def _format(cmd: Command, row: dict[str, Any]) -> str:
    name = printable(row["name"])
    if not cmd.args.long or row["type"] == "container":
        return name
    if row["type"] == "prefix":
        return f"{'PRE':>10}  {'':20}  {name}"
    size = human_size(row["size"]) if cmd.args.human else str(row["size"])
    return f"{size:>10}  {row['last_modified'] or '':20}  {name}"


def du(cmd: Command) -> int:
    location = cmd.open(cmd.args.location)
    count = size = 0
    for obj in _listing(location, recursive=True):
        if isinstance(obj, Object):
            count += 1
            size += obj.size
    if cmd.args.json:
        cmd.output_json({"location": location.url, "objects": count, "bytes": size})
    else:
        shown = human_size(size) if cmd.args.human else str(size)
        cmd.output(f"{shown}\t{count} object{'' if count == 1 else 's'}\t{printable(location.url)}")
    return 0


def stat(cmd: Command) -> int:
    location = cmd.open(cmd.args.location)
    obj = location.driver.get_object(location.container_name, location.key)
    info: dict[str, Any] = {"name": obj.name, "container": obj.container.name, "size": obj.size, "hash": obj.hash,
            "checksums": obj.checksums, "extra": obj.extra, "meta_data": obj.meta_data}
    if cmd.args.json:
        cmd.output_json(info)
        return 0
    cmd.output(f"name: {printable(obj.name)}")
    cmd.output(f"container: {printable(obj.container.name)}")
    cmd.output(f"size: {obj.size} ({human_size(obj.size)})")
    cmd.output(f"hash: {obj.hash}")
    for group in ("checksums", "extra", "meta_data"):
        for key, value in sorted(info[group].items()):
            cmd.output(f"{group}.{printable(str(key))}: {printable(str(value))}")
    return 0


def cat(cmd: Command) -> int:
    location = cmd.open(cmd.args.location)
    obj = location.driver.get_object(location.container_name, location.key)
    try:
        for chunk in obj.as_stream(chunk_size=1024 * 1024):
            sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
    except BrokenPipeError as error:
        raise OutputClosed() from error
    return 0


def mb(cmd: Command) -> int:
    location = cmd.open(cmd.args.location)
    location.driver.create_container(location.container_name)
    cmd.say(f"created {printable(location.container_name)}")
    return 0


def rb(cmd: Command) -> int:
    location = cmd.open(cmd.args.location)
    location.driver.delete_container(location.driver.get_container(location.container_name))
    cmd.say(f"removed {printable(location.container_name)}")
    return 0


def rm(cmd: Command) -> int:
    location = cmd.open(cmd.args.location)
    if not cmd.args.recursive:
        if location.is_prefix:
            raise UsageError(f"{location.url} is a container or a directory: use rm -r")
        objects = [location.driver.get_object(location.container_name, location.key)]
    else:
        objects = [entry for entry in _listing(location, recursive=True) if isinstance(entry, Object)]
        if not objects:
            raise ObjectDoesNotExistError(f"nothing to delete at {location.url}", location.driver,
                                          container_name=location.container_name)
    if len(objects) > 1 and not cmd.args.yes and not _confirmed(cmd, location, objects):
        cmd.say("nothing deleted")
        return 1
    errors = location.driver.delete_objects(objects)
    failed = {error.object_name or "": str(error) for error in errors}
    deleted = [obj.name for obj in objects if obj.name not in failed]
    for error in errors:
        cmd.warn(str(error))
    if cmd.args.json:
        cmd.output_json({"deleted": deleted, "failed": failed})
    elif len(objects) == 1 and not errors:
        cmd.say(f"deleted {printable(objects[0].name)}")
    else:
        cmd.say(f"deleted {len(deleted)} objects")
    return 1 if errors else 0


def _confirmed(cmd: Command, location: Location, objects: list[Object]) -> bool:
    """Ask on the terminal before deleting many objects; refuse (a usage error) without one."""
    names = ", ".join(printable(obj.name) for obj in objects[:PROMPT_NAMES])
    more = f" and {len(objects) - PROMPT_NAMES} more" if len(objects) > PROMPT_NAMES else ""
    what = f"{len(objects)} objects under {printable(location.url)} ({names}{more})"
    if not sys.stdin.isatty():
        raise UsageError(f"refusing to delete {what} without --yes")
    print(f"delete {what}? [y/N] ", end="", file=sys.stderr, flush=True)
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def url(cmd: Command) -> int:
    location = cmd.open(cmd.args.location)
    cmd.output(location.driver.get_object_url(location.container, expires_in=cmd.args.expires,
                                               method=cmd.args.method, object_name=location.key))
    return 0


def check(cmd: Command) -> int:
    location = cmd.open(cmd.args.location)
    report = location.driver.check_permissions(location.container, prefix=location.key, purpose=cmd.args.purpose)
    results: dict[str, dict[str, Any]] = {
        name: {"allowed": bool(getattr(report, f"can_{name}")), "reason": report.errors.get(name)}
        for name in report.checks}
    if cmd.args.json:
        cmd.output_json({"location": location.url, "purpose": report.purpose, "ok": report.ok, "checks": results})
    else:
        for name, result in results.items():
            reason = "" if result["allowed"] else printable(result["reason"] or "")
            cmd.output(f"{name:<10} {'yes' if result['allowed'] else 'NO':<4} {reason}".rstrip())
    return 0 if report.ok else 5


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare this module's subcommands and their options."""
    ls_ = commands.add_parser("ls", help="list containers (ls s3://), or the objects under a location")
    ls_.add_argument("location")
    ls_.add_argument("-l", "--long", action="store_true", help="sizes and dates")
    ls_.add_argument("-r", "--recursive", action="store_true", help="everything under the prefix")
    ls_.add_argument("-H", "--human", action="store_true", help="sizes in IEC units (KiB, MiB, ...)")
    ls_.add_argument("--json", action="store_true", help="a JSON array with the exact names")
    ls_.set_defaults(run=ls)

    du_ = commands.add_parser("du", help="count the objects and bytes under a location")
    du_.add_argument("location")
    du_.add_argument("-H", "--human", action="store_true", help="size in IEC units (KiB, MiB, ...)")
    du_.add_argument("--json", action="store_true", help="a JSON document")
    du_.set_defaults(run=du)

    stat_ = commands.add_parser("stat", help="show an object's properties")
    stat_.add_argument("location")
    stat_.add_argument("--json", action="store_true", help="a JSON document")
    stat_.set_defaults(run=stat)

    for run, text in ((cat, "write an object to stdout"), (mb, "make a container"),
                      (rb, "remove an empty container")):
        simple = commands.add_parser(run.__name__, help=text)
        simple.add_argument("location")
        simple.set_defaults(run=run)

    url_ = commands.add_parser("url", help="print a presigned URL for an object")
    url_.add_argument("location")
    url_.add_argument("--expires", type=int, default=3600,
                      help="seconds the URL stays valid (S3 and GCS: at most 604800, 7 days)")
    url_.add_argument("--method", choices=("GET", "PUT"), default="GET")
    url_.set_defaults(run=url)

    check_ = commands.add_parser("check", help="what the credentials may do at a location")
    check_.add_argument("location")
    check_.add_argument("--json", action="store_true", help="a JSON document")
    check_.add_argument("--purpose", choices=tuple(PERMISSION_PURPOSES), default="lightly",
                        help="input: list and read only, nothing written; lightly (default): list, read, "
                             "write, overwrite and delete a probe object")
    check_.set_defaults(run=check)

    rm_ = commands.add_parser("rm", help="delete an object (everything under a location with -r)")
    rm_.add_argument("location")
    rm_.add_argument("-r", "--recursive", action="store_true")
    rm_.add_argument("-y", "--yes", action="store_true", help="do not ask before deleting many objects")
    rm_.add_argument("--json", action="store_true", help="a JSON document of what was deleted")
    rm_.set_defaults(run=rm)
