"""Include / exclude rules for sync and ``cp -r``, with rclone's syntax and rclone's order.

A rule is ``+ PATTERN`` (include) or ``- PATTERN`` (exclude). A name is tested against the
rules in order and the **first rule that matches decides**; a name no rule matches is
included. Patterns are matched against the name relative to the synced root, with ``/``
between directories:

==============  =====================================================================
``*.jpg``       ``*`` is any run of characters except ``/``: ``a.jpg``, ``dir/a.jpg``
                (a pattern without a leading ``/`` matches at any depth, on whole segments)
``/*.jpg``      a leading ``/`` anchors at the root: ``a.jpg`` but not ``dir/a.jpg``
``dir/**``      ``**`` is any run of characters including ``/``: everything under ``dir``
``sub/``        a trailing ``/`` names a directory: everything under any ``sub``
``?``           one character except ``/``
``[a-c]``       one character of a class (``[!a-c]`` or ``[^a-c]``: any other)
``{jpg,png}``   one of the alternatives
``\\*``         a literal ``*`` (any character after ``\\``)
==============  =====================================================================

How the command line's options become one list (as rclone 1.60 does it, checked against it
with ``rclone --dump filters``): first every ``--include``, then every ``--include-from``
file's lines, then every ``--exclude``, every ``--exclude-from`` line, then every
``--filter`` and ``--filter-from`` line in the order given; when any ``--include`` or
``--include-from`` was given, a final ``- **`` excludes everything else. So
``--exclude '*' --include '*.jpg'`` selects the JPEG files (the include comes first), and
where order matters, ``--filter`` says it exactly: ``--filter '+ *.jpg' --filter '- *'``.
Lines of a rules file that are empty or start with ``#`` or ``;`` are ignored.

Usage::

    rules = FilterRules.from_options(exclude=["*.tmp", "cache/"], include=[])
    rules.included("photos/cat.jpg")     # True
    rules.included("cache/x.bin")        # False
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .types import InvalidOptionError


def glob_to_regex(pattern: str) -> str:
    """The regular expression (rclone's dialect) a glob pattern stands for.

    Args:
        pattern: a glob such as ``*.jpg``, ``/top/**`` or ``sub/``.

    Returns:
        A regular expression for :func:`re.fullmatch`-free use with :func:`re.search`.

    Raises:
        InvalidOptionError: an unclosed ``[`` or ``{``, or nested ``{``.
    """
    anchored = pattern.startswith("/")
    text = pattern[1:] if anchored else pattern
    out = ["^" if anchored else "(^|/)"]
    i, braces = 0, 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            out.append(re.escape(text[i + 1]))
            i += 2
            continue
        if char == "*":
            if text.startswith("**", i):
                out.append(".*")
                i += 2
                continue
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = text.find("]", i + 2 if text[i + 1:i + 2] in ("!", "^", "]") else i + 1)
            if end < 0:
                raise InvalidOptionError(f"filter pattern {pattern!r}: '[' without ']'")
            body = text[i + 1:end]
            if body[:1] in ("!", "^"):
                body = "^" + body[1:]
            out.append(f"[{body.replace(chr(92), chr(92) * 2)}]")
            i = end
        elif char == "{":
            if braces:
                raise InvalidOptionError(f"filter pattern {pattern!r}: nested '{{'")
            braces += 1
            out.append("(")
        elif char == "}" and braces:
            braces -= 1
            out.append(")")
        elif char == "," and braces:
            out.append("|")
        else:
            out.append(re.escape(char))
        i += 1
    if braces:
        raise InvalidOptionError(f"filter pattern {pattern!r}: '{{' without '}}'")
    out.append(".*$" if text.endswith("/") else "$")
    return "".join(out)


@dataclass(frozen=True)
class Rule:
    """One ``+``/``-`` rule: its pattern as written and as a compiled expression."""

    include: bool
    pattern: str
    regex: re.Pattern[str] = field(compare=False, repr=False)

    @classmethod
    def parse(cls, text: str) -> Rule:
        """A rule from rclone's ``--filter`` syntax: ``"+ *.jpg"`` or ``"- cache/"``.

        Raises:
            InvalidOptionError: the text does not start with ``+ `` or ``- ``, or its pattern is bad.
        """
        sign, space, pattern = text.partition(" ")
        if sign not in ("+", "-") or not space or not pattern:
            raise InvalidOptionError(f"filter rule {text!r} must be '+ PATTERN' or '- PATTERN'")
        return cls.of(sign == "+", pattern)

    @classmethod
    def of(cls, include: bool, pattern: str) -> Rule:
        """An include (``True``) or exclude rule for a glob pattern."""
        return cls(include, pattern, re.compile(glob_to_regex(pattern)))

    def __str__(self) -> str:
        return f"{'+' if self.include else '-'} {self.pattern}"


@dataclass(frozen=True)
class FilterRules:
    """An ordered list of rules; the first that matches a name decides, no match includes."""

    rules: tuple[Rule, ...] = ()

    @classmethod
    def from_options(
        cls,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        filters: Sequence[str] = (),
        include_from: Sequence[str] = (),
        exclude_from: Sequence[str] = (),
        filter_from: Sequence[str] = (),
    ) -> FilterRules:
        """The rules the command line's options make, in rclone's order (see the module docs).

        Args:
            include: ``--include`` patterns. exclude: ``--exclude`` patterns.
            filters: ``--filter`` rules (``"+ PATTERN"`` / ``"- PATTERN"``).
            include_from / exclude_from / filter_from: paths of files of patterns (or rules).

        Returns:
            The combined rules.

        Raises:
            InvalidOptionError: a malformed rule or pattern.
            OSError: a rules file cannot be read.
        """
        rules = [Rule.of(True, p) for p in include]
        rules += [Rule.of(True, p) for path in include_from for p in _lines(path)]
        rules += [Rule.of(False, p) for p in exclude]
        rules += [Rule.of(False, p) for path in exclude_from for p in _lines(path)]
        rules += [Rule.parse(r) for r in filters]
        rules += [Rule.parse(r) for path in filter_from for r in _lines(path)]
        if include or include_from:
            rules.append(Rule.of(False, "**"))
        return cls(tuple(rules))

    def included(self, name: str) -> bool:
        """True when ``name`` (relative, ``/``-separated) is to be synced."""
        rule = self.rule_for(name)
        return rule is None or rule.include

    def rule_for(self, name: str) -> Rule | None:
        """The first rule matching ``name``, or None."""
        return next((rule for rule in self.rules if rule.regex.search(name)), None)

    def __bool__(self) -> bool:
        return bool(self.rules)


def _lines(path: str) -> list[str]:
    with open(path, encoding="utf-8") as file:
        return [line.rstrip("\r\n") for line in file if line.strip() and not line.lstrip().startswith(("#", ";"))]
