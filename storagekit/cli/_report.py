"""What the transfer subcommands print: escaped names, JSON documents, progress bars, stats lines.

Names are printed escaped as ``ls -b`` does (a name holding a newline or a terminal escape
cannot fake an output line); ``--json`` carries the exact names. Without a terminal on
stderr, progress is a plain line every ``--stats`` seconds instead of a bar.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any, TextIO

from ._common import human_size


def print_json(document: Any, out: TextIO | None = None) -> None:
    """Print one JSON document (names exact; undecodable bytes as ``\\udcNN`` escapes)."""
    print(json.dumps(document, indent=2, sort_keys=True, default=str), file=out or sys.stdout)


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}h{seconds // 60 % 60:02d}m{seconds % 60:02d}s" if seconds >= 3600 else \
        f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class Meter:
    """Progress of a transfer as files and bytes: a tqdm bar on a terminal, else a stats line
    every ``interval`` seconds on stderr (``interval`` 0: none), nothing when quiet. ``bar``
    forces the bar on (``--progress``) or off (``--no-progress``); by default it follows the terminal.

    ``update`` may be called from worker threads.
    """

    def __init__(self, what: str, *, quiet: bool, interval: float, unit: str = "B",
                 stream: TextIO | None = None, bar: bool | None = None) -> None:
        self.what, self.unit = what, unit
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.files = (0, 0)
        self.bytes = (0, 0)
        self.note = ""
        self._bar: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if quiet:
            return
        if self.stream.isatty() if bar is None else bar:
            try:
                from tqdm import tqdm
            except ImportError:
                return
            self._bar = tqdm(total=None, desc=what, unit=unit, unit_scale=unit == "B", unit_divisor=1024,
                             file=self.stream, leave=False, dynamic_ncols=True)
        elif interval > 0 and not self.stream.isatty():
            self._thread = threading.Thread(target=self._log_every, args=(interval,), daemon=True,
                                            name="storagekit-stats")
            self._thread.start()

    def __enter__(self) -> Meter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._bar is not None:
            self._bar.close()

    def update(self, files_done: int, files_total: int, bytes_done: int, bytes_total: int, note: str = "") -> None:
        """Record where the transfer stands and move the bar."""
        self.files, self.bytes, self.note = (files_done, files_total), (bytes_done, bytes_total), note
        if self._bar is None:
            return
        done, total = (files_done, files_total) if self.unit != "B" else (bytes_done, bytes_total)
        self._bar.total = total
        postfix = f"{files_done}/{files_total} files" if self.unit == "B" else ""
        self._bar.set_postfix_str(", ".join(part for part in (postfix, note) if part), refresh=False)
        self._bar.update(done - self._bar.n)

    def line(self) -> str:
        """The plain stats line: files, bytes, rate, ETA."""
        elapsed = max(time.monotonic() - self.started, 1e-9)
        (files_done, files_total), (done, total) = self.files, self.bytes
        rate = done / elapsed
        eta = _duration((total - done) / rate) if rate > 0 and total >= done else "-"
        percent = f" ({100 * done // total}%)" if total else ""
        text = (f"storagekit: {self.what}: {files_done}/{files_total} files, {human_size(done)}/{human_size(total)}"
                f"{percent}, {human_size(int(rate))}/s, ETA {eta}, elapsed {_duration(elapsed)}")
        return f"{text}, {self.note}" if self.note else text

    def _log_every(self, interval: float) -> None:
        while not self._stop.wait(interval):
            print(self.line(), file=self.stream, flush=True)


DEFAULT_STATS_SECONDS = 5.0


def stats_interval(args: Any) -> float:
    """Seconds between stats lines without a terminal: ``--stats``, else 5 (0: none)."""
    given = getattr(args, "stats", None)
    return float(given) if given is not None else DEFAULT_STATS_SECONDS
