"""Object names from a store turned into local paths: the one place that decides whether they may.

An object name is untrusted input: a blob called ``backup/../../.bashrc`` must never become a
file outside the directory a restore writes into. Every consumer that turns names into local
paths (sync, ``cp -r``, restores, ``Dataset.download``, manifests, the local driver) goes
through :func:`name_parts` or :func:`local_path`, so the rule is written once::

    local_path("/restore", "photos/cat.jpg")        # '/restore/photos/cat.jpg'
    local_path("/restore", "a/../../etc/passwd")    # InvalidObjectNameError: '..' segment
    is_folder_marker("photos/", 0)                  # True: skip it, it is not a file

Refused: an empty name or segment (``a//b``), ``.`` and ``..`` segments, absolute names, NUL,
segments longer than the 255 bytes common file systems allow, names the file system encoding
cannot represent, and, with Windows semantics (the default on Windows), backslashes, drive
letters and the device names Windows reserves. Newlines and other control characters are legal
in file names and are kept; whoever prints a name escapes it.
"""

from __future__ import annotations

import os
import re

from .types import InvalidObjectNameError

MAX_SEGMENT_BYTES = 255
"""The longest file name component (in the file system's encoding) common file systems accept."""

_DRIVE = re.compile(r"^[A-Za-z]:")
_WINDOWS_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"COM{i}" for i in range(1, 10)] + [f"LPT{i}" for i in range(1, 10)]
)


def unsafe_reason(name: str, *, windows: bool | None = None) -> str | None:
    """Why ``name`` may not become a path below a directory, or None when it may.

    Args:
        name: an object name relative to the directory (no leading ``/``).
        windows: apply Windows' rules too (backslash, drive letters, device names);
            default: only on Windows.

    Returns:
        A short reason ("'..' segment", "absolute name", ...), or None for a safe name.
    """
    if windows is None:
        windows = os.name == "nt"
    if not isinstance(name, str):
        return f"not a string ({type(name).__name__})"
    if not name:
        return "empty name"
    if "\x00" in name:
        return "NUL character"
    if name.startswith("/"):
        return "absolute name"
    if windows and ("\\" in name or _DRIVE.match(name)):
        return "backslash or drive letter (Windows path)"
    try:
        os.fsencode(name)
    except UnicodeError:
        return "not representable in the file system's encoding"
    for segment in name.split("/"):
        if segment in ("", ".", ".."):
            return f"{segment!r} segment" if segment else "empty segment ('//' or a trailing '/')"
        if len(os.fsencode(segment)) > MAX_SEGMENT_BYTES:
            return f"a segment longer than {MAX_SEGMENT_BYTES} bytes"
        if windows and (segment.split(".", 1)[0].upper() in _WINDOWS_DEVICES or segment.endswith((" ", "."))):
            return f"{segment!r} is reserved on Windows"
    return None


def name_parts(name: str, *, windows: bool | None = None) -> list[str]:
    """The path segments of a safe relative object name.

    Args:
        name: the object name, relative to the directory it will live under.
        windows: see :func:`unsafe_reason`.

    Returns:
        The segments, none of them empty, ``.`` or ``..``.

    Raises:
        InvalidObjectNameError: the name would escape the directory or cannot be a file name;
            the message says why.
    """
    reason = unsafe_reason(name, windows=windows)
    if reason is not None:
        raise InvalidObjectNameError(f"object name {name!r} cannot be a local path: {reason}", object_name=name)
    return name.split("/")


def local_path(root: str | os.PathLike[str], name: str, *, windows: bool | None = None) -> str:
    """The local path of object ``name`` below directory ``root``, refusing names that escape it.

    Args:
        root: the directory the name is relative to.
        name: the object name (relative: a prefix already taken off).
        windows: see :func:`unsafe_reason`.

    Returns:
        ``root`` joined with the name's segments.

    Raises:
        InvalidObjectNameError: see :func:`name_parts`.
    """
    return os.path.join(os.fspath(root), *name_parts(name, windows=windows))


def is_folder_marker(name: str, size: int) -> bool:
    """True for a zero-byte ``dir/`` object, as the AWS console and rclone create: not a file."""
    return size == 0 and name.endswith("/")
