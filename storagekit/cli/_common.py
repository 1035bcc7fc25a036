"""What the subcommands share: parsed arguments, opening locations, printing, progress bars."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from ..urls import Location, open_url


class UsageError(Exception):
    """The command line asks for something that cannot be done as written."""


class OutputClosed(Exception):
    """Standard output was closed by its reader (``storagekit ls ... | head -1``)."""


_C_ESCAPES = {"\\": "\\\\", "\a": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\v": "\\v", "\f": "\\f",
              "\r": "\\r"}


def printable(name: str) -> str:
    """A name made safe to print on a terminal, escaped as ``ls -b`` does.

    Backslash and the C control characters become ``\\\\``, ``\\n``, ``\\t``...; every other
    character that is not printable (control characters such as ESC, which starts terminal
    escape sequences, C1 controls, bidirectional overrides, line separators) becomes ``\\ooo``
    (octal, for code points up to 255) or ``\\uXXXX``; a byte of a name that is not valid UTF-8
    (decoded by Python as a lone surrogate U+DC80..U+DCFF) becomes its octal ``\\ooo``. So one
    name is always one line, and two different names never print the same. ``--json`` output
    carries the exact name instead.

    Args:
        name: an object name, file name or any text that came from a store or a file system.

    Returns:
        The escaped text; a name with nothing to escape is returned unchanged.
    """
    if name.isprintable() and "\\" not in name:
        return name
    return "".join(_escape(char) for char in name)


def _escape(char: str) -> str:
    if char in _C_ESCAPES:
        return _C_ESCAPES[char]
    if char.isprintable():
        return char
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:
        code -= 0xDC00
    return f"\\{code:03o}" if code <= 0xFF else f"\\u{code:04x}"


class Progress:
    """A progress bar on stderr (bytes, rate and ETA) drawn by tqdm, or nothing when disabled.

    tqdm: small, pure Python, no dependencies of its own, long and actively maintained, and it
    already knows how to draw bytes, rates and ETAs on a terminal; it ships in the ``cli`` extra.
    Without it the command still works, silently. Sizes are IEC: tqdm scales by 1024 and
    appends the prefix to the unit, so ``iB`` reads KiB, MiB, GiB (and MiB/s).
    """

    def __init__(self, total: int | None, what: str, disabled: bool) -> None:
        self._bar: Any = None
        if not disabled:
            try:
                from tqdm import tqdm
            except ImportError:
                return
            self._bar = tqdm(total=total, desc=printable(what), unit="iB", unit_scale=True, unit_divisor=1024,
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
    """A size in IEC units, as every command prints them: 1536 -> '1.5 KiB', 1000 -> '1000 B'."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


class Command:
    """State shared by the subcommands: parsed arguments, how to open locations, where to print.

    Two kinds of output: :meth:`output` is what the command was asked for (a listing, a URL, a
    JSON document) and always goes to stdout; :meth:`say` is a report of what was done
    ("copied x", "created b") and is silent with ``-q``. Errors go to stderr, always.

    Names in what is printed go through :func:`printable`; errors are escaped as a whole by
    ``main`` and :meth:`warn`, so exception messages carry the exact names.
    """

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.out = sys.stdout
        self.quiet: bool = bool(args.quiet)
        self.show_progress: bool = self._wants_progress(args)

    @staticmethod
    def _wants_progress(args: argparse.Namespace) -> bool:
        """--progress forces the bar, --no-progress and -q hide it; by default only on a terminal."""
        if args.progress is not None:
            return bool(args.progress)
        return not args.quiet and sys.stderr.isatty()

    def open(self, url: str, container_optional: bool = False) -> Location:
        """The location a URL names, with the command line's driver options."""
        options = self.url_options()
        if getattr(self.args, "anonymous", False) and url.lower().startswith("s3://"):
            options["anonymous"] = True
        return open_url(url, container_optional=container_optional, **options)

    def url_options(self) -> dict[str, Any]:
        """Options for :func:`~storagekit.urls.open_url` from the global flags and the profile."""
        options: dict[str, Any] = {"local_root": self.args.local_root, "provider": self.args.provider,
                                   "profile": self.args.profile or os.environ.get("STORAGEKIT_PROFILE")}
        if self.args.endpoint_url:
            options["endpoint_url"] = self.args.endpoint_url
        return options

    def output(self, text: str) -> None:
        """Print a line of what the command was asked for on stdout (even with ``-q``)."""
        try:
            print(text, file=self.out)
        except BrokenPipeError as error:
            raise OutputClosed() from error

    def output_json(self, document: Any) -> None:
        """Print one JSON document on stdout; names in it are exact (not escaped for a terminal)."""
        self.output(json.dumps(document, indent=2, default=str))

    def say(self, text: str) -> None:
        """Print a line reporting what was done on stdout, unless ``-q`` asks for silence."""
        if not self.quiet:
            self.output(text)

    def warn(self, text: str) -> None:
        """Print a problem on stderr, even with ``-q``: one line, escaped (it may quote names)."""
        print(f"storagekit: {printable(text)}", file=sys.stderr)

    def progress_bar(self, total: int | None, what: str) -> Progress:
        """A byte progress bar on stderr (bytes, rate, ETA), when :attr:`show_progress`."""
        return Progress(total, what, disabled=not self.show_progress)
