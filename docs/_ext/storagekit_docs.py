"""Sphinx directives that write reference tables from the code itself, so the pages cannot drift.

``storagekit-cli``
    every subcommand of ``storagekit.cli.build_parser()``: its usage, description and options.
``storagekit-exit-codes``
    ``storagekit.cli.EXIT_CODES`` and the fixed statuses beside it.
``storagekit-s3-presets`` / ``storagekit-swift-presets``
    the provider rows of ``storagekit.drivers.s3.PRESETS`` and ``storagekit.drivers.swift.PRESETS``.

``storagekit-errors``
    every exception of ``storagekit.types``, depth first from the root: the builtins it also is,
    and the first line of its docstring.
``storagekit-section``
    one section of another Markdown page, by its heading, so a guide shows a page's section
    (a provider's credentials, the integrity table) without a second copy that could drift.

Each directive builds Markdown and parses it in place (they are used from the MyST pages);
nothing is written to the source tree.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective


def _literal(text: str) -> str:
    """Inline code, empty when there is nothing."""
    return f"`{text}`" if text else ""


def _cell(text: str) -> str:
    """One table cell: newlines folded, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def table(header: list[str], rows: Iterable[list[str]]) -> list[str]:
    """A Markdown (GFM) table of the given cells."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows]
    return [*lines, ""]


def _code(text: str) -> list[str]:
    """A fenced block of plain text."""
    return ["```text", *text.strip().splitlines(), "```", ""]


def _subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.ArgumentParser, str]]:
    """(name, parser, one-line help) of each subcommand, in the order ``--help`` lists them."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            seen: set[int] = set()
            for name, sub in action.choices.items():
                if id(sub) not in seen:  # aliases share their parser
                    seen.add(id(sub))
                    found.append((name, sub, helps.get(name, "")))
    return found


def _option_rows(parser: argparse.ArgumentParser, skip: frozenset[str] = frozenset()) -> list[list[str]]:
    """One row per argument: its spellings (with the value it takes), its default, its help; options
    whose spellings are all in ``skip`` (the global ones, repeated in each subcommand) are left out."""
    rows = []
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)) or action.help == argparse.SUPPRESS:
            continue
        if action.option_strings and set(action.option_strings) <= skip:
            continue
        metavar = action.metavar or (action.dest.upper() if action.nargs != 0 else "")
        if isinstance(metavar, tuple):
            metavar = " ".join(metavar)
        if action.option_strings:
            spelling = ", ".join(f"{option} {metavar}".strip() for option in action.option_strings)
        else:
            spelling = str(metavar or action.dest)
        default = action.default
        shown = "" if default in (None, False, argparse.SUPPRESS) or action.nargs == 0 else repr(default)
        choices = f" (one of {', '.join(map(str, action.choices))})" if action.choices else ""
        rows.append([_literal(spelling), _literal(shown), (action.help or "").replace("%(default)s", str(default))
                     .replace("%%", "%") + choices])
    return rows


def cli_reference(parser: argparse.ArgumentParser) -> list[str]:
    """The whole command line as Markdown: global options, then a section per subcommand."""
    lines = [parser.description or "", "", *_code(parser.format_usage())]
    lines += ["## Global options", "", "They go before or after the subcommand's name; the tables below",
              "list each subcommand's own arguments.", ""]
    lines += table(["option", "default", "meaning"], _option_rows(parser))
    global_options = frozenset(option for action in parser._actions for option in action.option_strings
                               if not isinstance(action, argparse._HelpAction))
    for name, sub, summary in _subcommands(parser):
        lines += [f"## storagekit {name}", "", summary, "", *_code(sub.format_usage())]
        if sub.description:
            lines += [" ".join(sub.description.split()), ""]
        rows = _option_rows(sub, global_options)
        if rows:
            lines += table(["argument", "default", "meaning"], rows)
        nested = _subcommands(sub)
        if nested:
            lines += table(["subcommand", "meaning"],
                                [[_literal(f"{name} {inner}"), text] for inner, _, text in nested])
        if sub.epilog:
            lines += [" ".join(sub.epilog.split()), ""]
    return lines


class _Generated(SphinxDirective):
    """A directive whose content is Markdown made by :meth:`lines`, for the site's MyST pages."""

    def lines(self) -> list[str]:
        raise NotImplementedError

    def run(self) -> list[nodes.Node]:
        container = nodes.section() if self.name == "storagekit-cli" else nodes.container()
        container.document = self.state.document
        self.state.nested_parse(StringList(self.lines(), source=f"<{self.name}>"), self.content_offset, container,
                                match_titles=True)
        return list(container.children)


class CliDirective(_Generated):
    def lines(self) -> list[str]:
        from storagekit.cli import build_parser

        return cli_reference(build_parser())


class ExitCodesDirective(_Generated):
    def lines(self) -> list[str]:
        from storagekit import cli

        rows = [["0", "success"]]
        rows += [[str(code), f"{{class}}`~{kind.__module__}.{kind.__qualname__}`" if kind.__module__.startswith(
            "storagekit") else _literal(kind.__name__)] for kind, code in cli.EXIT_CODES]
        rows += [[str(cli.EXIT_USAGE), "usage: a bad option, a mistyped URL scheme, a secret on the command line"],
                 [str(cli.EXIT_INTERRUPTED), "interrupted (Ctrl-C); the summary of what was done is printed"],
                 [str(cli.EXIT_OUTPUT_CLOSED), "standard output closed by its reader (`storagekit ls | head`)"]]
        return table(["exit status", "error (first match wins)"], rows)


class S3PresetsDirective(_Generated):
    def lines(self) -> list[str]:
        from storagekit.drivers.s3 import PRESETS

        rows = [[_literal(str(provider)), preset.title,
                 _literal(preset.endpoint) if preset.endpoint else "none: give `endpoint_url`",
                 _literal(preset.region or ""), preset.addressing] for provider, preset in PRESETS.items()]
        return table(["provider", "service", "endpoint", "default region", "bucket in"], rows)


class SwiftPresetsDirective(_Generated):
    def lines(self) -> list[str]:
        from storagekit.drivers.swift import PRESETS

        rows = [[_literal(str(provider)), preset.title,
                 _literal(preset.auth_url) if preset.auth_url else "the deployment's: give `auth_url`",
                 _literal(str(preset.auth_version or "")), _literal(preset.region or "")]
                for provider, preset in PRESETS.items()]
        return table(["provider", "service", "identity endpoint", "auth version", "default region"], rows)


class ErrorsDirective(_Generated):
    def lines(self) -> list[str]:
        import builtins

        from storagekit import types

        rows: list[list[str]] = []

        def visit(cls: type, depth: int) -> None:
            also = [base.__name__ for base in cls.__bases__ if getattr(builtins, base.__name__, None) is base
                    and base is not Exception]
            meaning = (cls.__doc__ or "").strip().splitlines()[0]
            rows.append(["\u00a0\u00a0" * depth + f"{{class}}`~storagekit.types.{cls.__name__}`",
                         ", ".join(_literal(name) for name in also), meaning])
            for sub in sorted(cls.__subclasses__(), key=lambda sub: sub.__name__):
                if sub.__module__ == types.__name__:
                    visit(sub, depth + 1)

        visit(types.StorageKitError, 0)
        return table(["exception", "also a", "meaning"], rows)


class SectionDirective(SphinxDirective):
    """``storagekit-section PAGE`` with ``:heading: TEXT`` (the heading's text without its ``#``,
    or its beginning) and optionally ``:until: TEXT`` (a line that starts with it ends the section
    early): the section's body, up to the next heading of the same or a higher level."""

    required_arguments = 1
    option_spec = {"heading": directives.unchanged_required, "until": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        relative, path = self.env.relfn2path(self.arguments[0], self.env.docname)
        self.env.note_dependency(relative)
        with open(path, encoding="utf-8") as file:
            lines = file.read().splitlines()
        wanted, until = self.options["heading"], self.options.get("until")
        start, level = 0, 0
        for start, line in enumerate(lines):  # noqa: B007  (the loop stops at the heading)
            level = len(line) - len(line.lstrip("#"))
            if level > 0 and line[level:].strip().startswith(wanted):
                break
        else:
            raise self.error(f"no heading starting with {wanted!r} in {self.arguments[0]}")
        body: list[str] = []
        for line in lines[start + 1:]:
            depth = len(line) - len(line.lstrip("#"))
            if (0 < depth <= level and line[depth:depth + 1] == " ") or (until and line.startswith(until)):
                break
            body.append(line)
        container = nodes.container()
        self.state.nested_parse(StringList(body, source=path), 0, container)
        return list(container.children)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directives."""
    app.add_directive("storagekit-cli", CliDirective)
    app.add_directive("storagekit-exit-codes", ExitCodesDirective)
    app.add_directive("storagekit-s3-presets", S3PresetsDirective)
    app.add_directive("storagekit-swift-presets", SwiftPresetsDirective)
    app.add_directive("storagekit-section", SectionDirective)
    app.add_directive("storagekit-errors", ErrorsDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
