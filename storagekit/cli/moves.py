"""The ``mv`` subcommand: copy, verify the copy, and only then delete the source.

One object or one file moves at a time: file -> object, object -> file, object -> object.
The source is deleted only once the copy is known to hold the same bytes: the transfer itself
verified them (uploads and downloads are checked against their digests), the copy's size is
the source's, and a checksum both ends know agrees; with no such checksum the copy is read back
and hashed against the source. Any doubt leaves the source in place (exit 6).
"""

from __future__ import annotations

import argparse
import hashlib
import os

from ..models import Object
from ..types import ObjectHashMismatchError
from ..urls import Location, is_url
from ._common import Command, UsageError, printable


def mv(cmd: Command) -> int:
    source, destination = cmd.args.source, cmd.args.destination
    if not is_url(source) and not is_url(destination):
        raise UsageError("mv needs a storage URL on at least one side (for two local paths use mv(1))")
    if os.path.isdir(source) or (is_url(source) and cmd.open(source).is_prefix):
        raise UsageError(f"{source} is a directory: mv moves one file or object")
    if is_url(source):
        src = cmd.open(source)
        obj = src.driver.get_object(src.container_name, src.key)
        if is_url(destination):
            _object_to_object(obj, cmd.open(destination))
        else:
            _object_to_file(cmd, obj, destination)
        src.driver.delete_object(obj)
    else:
        _file_to_object(cmd, source, cmd.open(destination))
        os.remove(source)
    cmd.say(f"moved {printable(source)} -> {printable(destination)}")
    return 0


def _target_key(destination: Location, name: str) -> str:
    """The object name at the destination: ``name``'s last component below a prefix."""
    return destination.child(name.rsplit("/", 1)[-1]).key if destination.is_prefix else destination.key


def _object_to_object(obj: Object, destination: Location) -> None:
    key = _target_key(destination, obj.name)
    if destination.driver is obj.driver and destination.container_name == obj.container.name and key == obj.name:
        raise UsageError(f"{obj.name} cannot be moved onto itself")
    copy = obj.driver.copy_object(obj, destination.container, key)
    stored = destination.driver.get_object(destination.container_name, copy.name)
    _check_same(obj, stored)


def _object_to_file(cmd: Command, obj: Object, destination: str) -> None:
    path = os.path.join(destination, os.path.basename(obj.name)) if os.path.isdir(destination) else destination
    with cmd.progress_bar(obj.size, obj.name) as bar:
        obj.driver.download_object(obj, path, overwrite_existing=True,
                                   progress=lambda done, total: bar.update_to(done, total))
    if os.path.getsize(path) != obj.size:
        raise ObjectHashMismatchError(f"{path} has {os.path.getsize(path)} bytes, the object {obj.size}: "
                                      "source kept", obj.driver, object_name=obj.name)


def _file_to_object(cmd: Command, path: str, destination: Location) -> None:
    key = _target_key(destination, os.path.basename(path))
    size = os.path.getsize(path)
    with cmd.progress_bar(size, os.path.basename(path)) as bar:
        stored = destination.driver.upload_object(path, destination.container, key,
                                                  progress=lambda done, total: bar.update_to(done, total))
    if stored.size != size:
        raise ObjectHashMismatchError(f"{key} holds {stored.size} bytes, {path} {size}: source kept",
                                      destination.driver, object_name=key)


def _check_same(source: Object, copy: Object) -> None:
    """Raise unless the copy provably holds the source's bytes (reading both back if need be).

    Raises:
        ObjectHashMismatchError: the sizes or a checksum differ.
    """
    problem = f"the copy {copy.name!r} differs from {source.name!r}: source kept"
    if copy.size != source.size:
        raise ObjectHashMismatchError(f"{problem} ({copy.size} bytes, not {source.size})", copy.driver)
    shared = sorted(set(source.checksums) & set(copy.checksums))
    if shared:
        if any(source.checksums[name] != copy.checksums[name] for name in shared):
            raise ObjectHashMismatchError(f"{problem} ({', '.join(shared)})", copy.driver)
        return
    if _md5_of(source) != _md5_of(copy):
        raise ObjectHashMismatchError(f"{problem} (MD5 read back)", copy.driver)


def _md5_of(obj: Object) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    for chunk in obj.as_stream(chunk_size=1024 * 1024):
        digest.update(chunk)
    return digest.hexdigest()


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare the ``mv`` subcommand."""
    mv_ = commands.add_parser("mv", help="move a file or object: copy, verify, then delete the source")
    mv_.add_argument("source")
    mv_.add_argument("destination")
    mv_.set_defaults(run=mv)
