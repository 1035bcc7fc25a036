"""Names printed for a terminal: one line each, escaped as ``ls -b`` does."""

from __future__ import annotations

import os

import pytest

from storagekit.cli._common import human_size, printable


@pytest.mark.parametrize(("name", "shown"), [
    ("photos/cat.jpg", "photos/cat.jpg"),
    ("caf\u00e9 \u65e5\u672c.txt", "caf\u00e9 \u65e5\u672c.txt"),
    ("a\nb", "a\\nb"),
    ("tab\there\r", "tab\\there\\r"),
    ("back\\slash", "back\\\\slash"),
    ("\x1b[2J\x1b]0;owned\x07", "\\033[2J\\033]0;owned\\a"),
    ("\x9b31m", "\\233" + "31m"),
    ("evil\u202etxt.exe", "evil\\u202etxt.exe"),
    ("line\u2028sep", "line\\u2028sep"),
    (os.fsdecode(b"bad-\xff-utf8"), "bad-\\377-utf8"),
])
def test_printable_escapes_what_could_fake_or_hide_output(name: str, shown: str) -> None:
    assert printable(name) == shown
    assert printable(name).isprintable()


def test_different_names_never_print_the_same() -> None:
    names = ["a\nb", "a\\nb", "a\\\nb", os.fsdecode(b"\xff"), "\\377", "\xff"]
    assert len({printable(name) for name in names}) == len(names)


def test_sizes_are_iec() -> None:
    assert [human_size(n) for n in (0, 1023, 1024, 1536, 5 * 1024**3)] == ["0 B", "1023 B", "1.0 KiB", "1.5 KiB",
                                                                           "5.0 GiB"]
