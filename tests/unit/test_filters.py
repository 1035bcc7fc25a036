"""Filter rules: the documented examples, bad rules, and the same selections rclone itself makes."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from storagekit.filters import FilterRules, Rule, glob_to_regex
from storagekit.types import InvalidOptionError

NAMES = ["a.jpg", "b.txt", "notes.md", "photos/cat.jpg", "photos/dog.png", "photos/raw/cat.cr2", "photos/raw/r.jpg",
         "sub/x.jpg", "deep/sub/y.txt", "cache/tmp.bin", "top/cache/keep.jpg", "weird[1].jpg", "c*.txt"]

# The examples of docs/filters.md: (options, names selected out of NAMES).
EXAMPLES: list[tuple[dict[str, list[str]], list[str]]] = [
    ({"exclude": ["*.txt"]}, [n for n in NAMES if not n.endswith(".txt")]),
    ({"include": ["*.jpg"]},
     ["a.jpg", "photos/cat.jpg", "photos/raw/r.jpg", "sub/x.jpg", "top/cache/keep.jpg", "weird[1].jpg"]),
    ({"include": ["/*.jpg"]}, ["a.jpg", "weird[1].jpg"]),
    ({"exclude": ["*"], "include": ["*.jpg"]},  # includes come first, as in rclone
     ["a.jpg", "photos/cat.jpg", "photos/raw/r.jpg", "sub/x.jpg", "top/cache/keep.jpg", "weird[1].jpg"]),
    ({"filters": ["- *"], "include": ["*.jpg"]},  # --filter comes after --include
     ["a.jpg", "photos/cat.jpg", "photos/raw/r.jpg", "sub/x.jpg", "top/cache/keep.jpg", "weird[1].jpg"]),
    ({"filters": ["- *", "+ *.jpg"]}, []),  # first match wins: '- *' takes everything
    ({"filters": ["+ *.jpg", "- *"]}, ["a.jpg", "photos/cat.jpg", "photos/raw/r.jpg", "sub/x.jpg", "top/cache/keep.jpg",
                                      "weird[1].jpg"]),
    ({"exclude": ["sub/"]}, [n for n in NAMES if not n.startswith(("sub/", "deep/sub/"))]),
    ({"exclude": ["/cache/**"]}, [n for n in NAMES if n != "cache/tmp.bin"]),
    ({"include": ["photos/**"]}, ["photos/cat.jpg", "photos/dog.png", "photos/raw/cat.cr2", "photos/raw/r.jpg"]),
    ({"include": ["*.{jpg,png}"], "exclude": ["photos/raw/**"]},  # the include is tested first
     ["a.jpg", "photos/cat.jpg", "photos/dog.png", "photos/raw/r.jpg", "sub/x.jpg", "top/cache/keep.jpg",
      "weird[1].jpg"]),
    ({"filters": ["- photos/raw/**", "+ *.{jpg,png}", "- *"]},
     ["a.jpg", "photos/cat.jpg", "photos/dog.png", "sub/x.jpg", "top/cache/keep.jpg", "weird[1].jpg"]),
    ({"include": ["?.jpg"]}, ["a.jpg", "photos/raw/r.jpg", "sub/x.jpg"]),
    ({"exclude": ["[ab].*"]}, [n for n in NAMES if n not in ("a.jpg", "b.txt")]),
    ({"include": ["weird\\[1\\].jpg", "c\\*.txt"]}, ["weird[1].jpg", "c*.txt"]),
]


def selected(rules: FilterRules) -> list[str]:
    return [name for name in NAMES if rules.included(name)]


@pytest.mark.parametrize(("options", "expected"), EXAMPLES, ids=[str(o) for o, _ in EXAMPLES])
def test_documented_examples(options: dict[str, list[str]], expected: list[str]) -> None:
    assert selected(FilterRules.from_options(**options)) == expected


def test_rules_files_keep_order_and_ignore_comments(tmp_path: Path) -> None:
    rules_file = tmp_path / "rules"
    rules_file.write_text("# photos only\n\n; another comment\n+ photos/*.jpg\n- photos/**\n")
    patterns = tmp_path / "patterns"
    patterns.write_text("*.txt\n*.md\n")
    rules = FilterRules.from_options(filter_from=[str(rules_file)], exclude_from=[str(patterns)])
    assert [str(rule) for rule in rules.rules] == ["- *.txt", "- *.md", "+ photos/*.jpg", "- photos/**"]
    assert selected(rules) == ["a.jpg", "photos/cat.jpg", "sub/x.jpg", "cache/tmp.bin", "top/cache/keep.jpg",
                               "weird[1].jpg"]
    rules = FilterRules.from_options(include_from=[str(patterns)])
    assert selected(rules) == ["b.txt", "notes.md", "deep/sub/y.txt", "c*.txt"]


@pytest.mark.parametrize("text", ["*.jpg", "+*.jpg", "x *.jpg", "+ ", "+ [abc", "- {a,b", "- {a,{b}}"])
def test_bad_rules_are_named(text: str) -> None:
    with pytest.raises(InvalidOptionError, match="filter"):
        Rule.parse(text)


def test_regex_dialect_is_rclones() -> None:
    assert glob_to_regex("*.jpg") == r"(^|/)[^/]*\.jpg$"
    assert glob_to_regex("/sub/**") == r"^sub/.*$"
    assert glob_to_regex("sub/") == r"(^|/)sub/.*$"


def _rclone_selection(tree: Path, argv: list[str]) -> list[str]:
    env = {**os.environ, "RCLONE_CONFIG": "/dev/null"}
    done = subprocess.run(["rclone", "lsf", "-R", "--files-only", *argv, str(tree)], capture_output=True,
                          text=True, env=env, check=True, timeout=60)
    return sorted(done.stdout.split("\n")[:-1])


@pytest.mark.parametrize("argv", [
    ["--exclude", "*", "--include", "*.jpg"],
    ["--exclude", "sub/"],
    ["--filter", "- *.txt", "--exclude", "photos/raw/**", "--include", "*.{jpg,png}", "--filter", "+ b.txt"],
    ["--include", "/*.jpg", "--include", "photos/**"],
    ["--filter", "+ *.jpg", "--filter", "- cache/", "--filter", "- *"],
])
def test_same_selection_as_rclone(tmp_path: Path, argv: list[str]) -> None:
    """rclone (Debian's package, installed by the test setup) selects the same files."""
    assert shutil.which("rclone"), "rclone is part of the test setup: apt-get install -y rclone"
    for name in NAMES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    options: dict[str, list[str]] = {"include": [], "exclude": [], "filters": []}
    for flag, value in zip(argv[::2], argv[1::2], strict=True):
        options[{"--include": "include", "--exclude": "exclude", "--filter": "filters"}[flag]].append(value)
    ours = sorted(selected(FilterRules.from_options(**options)))
    assert ours == _rclone_selection(tmp_path, argv)
