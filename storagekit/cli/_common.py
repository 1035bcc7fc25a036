"""What the subcommands share: parsed arguments, opening locations, printing, progress bars."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from ..urls import Location, open_url


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
        """The location a URL names, with the command line's driver options."""
        options = self.url_options()
        if getattr(self.args, "anonymous", False) and url.lower().startswith("s3://"):
            options["anonymous"] = True
        return open_url(url, **options)

    def url_options(self) -> dict[str, Any]:
        """Options for :func:`~storagekit.urls.open_url` from the global flags and the profile."""
        options: dict[str, Any] = {"local_root": self.args.local_root, "provider": self.args.provider,
                                   "profile": self.args.profile or os.environ.get("STORAGEKIT_PROFILE")}
        if self.args.endpoint_url:
            options["endpoint_url"] = self.args.endpoint_url
        return options

    def say(self, text: str) -> None:
        """Print a line of the command's output on stdout."""
        print(text, file=self.out)

    def progress_bar(self, total: int | None, what: str) -> Progress:
        """A byte progress bar on stderr (bytes, rate, ETA); silent when quiet or not a terminal."""
        return Progress(total, what, disabled=self.quiet)
