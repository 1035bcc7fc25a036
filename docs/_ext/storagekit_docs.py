"""Sphinx directives that write reference tables from the code itself, so the pages cannot drift.

``storagekit-cli``
    every subcommand of ``storagekit.cli.build_parser()``: its usage, description and options.
``storagekit-exit-codes``
    ``storagekit.cli.EXIT_CODES`` and the fixed statuses beside it.
``storagekit-s3-presets`` / ``storagekit-swift-presets``
    the provider rows of ``storagekit.drivers.s3.PRESETS`` and ``storagekit.drivers.swift.PRESETS``.

``storagekit-section``
    one section of another Markdown page, by its heading, so a guide shows a page's section
    (a provider's credentials, the integrity table) without a second copy that could drift.

Each directive builds its text and parses it in place; nothing is written to the source tree.
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
    """Inline literal text (reST ``code``), empty when there is nothing."""
    return f"``{text}``" if text else ""


def _cell(text: str) -> str:
    """One line of a list-table cell: newlines folded, a leading ``-`` or ``*`` not read as a list."""
    text = " ".join(text.split())
    return f"\\{text}" if text[:1] in "-*+" else text


def list_table(header: list[str], rows: Iterable[list[str]], widths: str = "auto") -> list[str]:
    """A reST ``list-table`` of the given cells."""
    lines = [".. list-table::", "   :header-rows: 1", f"   :widths: {widths}", ""]
    for row in [header, *rows]:
        lines.append(f"   * - {_cell(row[0]) or ' '}")
        lines.extend(f"     - {_cell(cell) or ' '}" for cell in row[1:])
    return [*lines, ""]


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


def _option_rows(parser: argparse.ArgumentParser) -> list[list[str]]:
    """One row per argument: its spellings (with the value it takes), its default, its help."""
    rows = []
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)) or action.help == argparse.SUPPRESS:
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
    """The whole command line as reST: global options, then a section per subcommand."""
    lines = [parser.description or "", "", ".. code-block:: text", "",
             *("   " + line for line in parser.format_usage().strip().splitlines()), ""]
    lines += ["Global options", "--------------", "",
              "They go before or after the subcommand's name.", ""]
    lines += list_table(["option", "default", "meaning"], _option_rows(parser), "30 15 55")
    for name, sub, summary in _subcommands(parser):
        title = f"storagekit {name}"
        lines += [title, "-" * len(title), "", summary, ""]
        lines += [".. code-block:: text", "", *("   " + line for line in sub.format_usage().strip().splitlines()), ""]
        if sub.description:
            lines += [" ".join(sub.description.split()), ""]
        rows = _option_rows(sub)
        if rows:
            lines += list_table(["argument", "default", "meaning"], rows, "30 15 55")
        nested = _subcommands(sub)
        if nested:
            lines += list_table(["subcommand", "meaning"],
                                [[_literal(f"{name} {inner}"), text] for inner, _, text in nested])
        if sub.epilog:
            lines += [" ".join(sub.epilog.split()), ""]
    return lines


class _Generated(SphinxDirective):
    """A directive whose content is reST made by :meth:`lines`."""

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
        rows += [[str(code), f":class:`~{kind.__module__}.{kind.__qualname__}`" if kind.__module__.startswith(
            "storagekit") else _literal(kind.__name__)] for kind, code in cli.EXIT_CODES]
        rows += [[str(cli.EXIT_USAGE), "a usage error: a bad option, a mistyped URL scheme, a secret on the command line"],
                 [str(cli.EXIT_INTERRUPTED), "interrupted (Ctrl-C); the summary of what was done is printed"],
                 [str(cli.EXIT_OUTPUT_CLOSED), "standard output closed by its reader (``storagekit ls | head``)"]]
        return list_table(["exit status", "error (first match wins)"], rows, "20 80")


class S3PresetsDirective(_Generated):
    def lines(self) -> list[str]:
        from storagekit.drivers.s3 import PRESETS

        rows = [[_literal(str(provider)), preset.title, _literal(preset.endpoint) if preset.endpoint else "none: give ``endpoint_url``",
                 _literal(preset.region or ""), preset.addressing] for provider, preset in PRESETS.items()]
        return list_table(["provider", "service", "endpoint", "default region", "bucket in"], rows)


class SwiftPresetsDirective(_Generated):
    def lines(self) -> list[str]:
        from storagekit.drivers.swift import PRESETS

        rows = [[_literal(str(provider)), preset.title, _literal(preset.auth_url) if preset.auth_url else "the deployment's: give ``auth_url``",
                 _literal(str(preset.auth_version or "")), _literal(preset.region or "")]
                for provider, preset in PRESETS.items()]
        return list_table(["provider", "service", "identity endpoint", "auth version", "default region"], rows)


class SectionDirective(SphinxDirective):
    """``storagekit-section PAGE`` with ``:heading: TEXT`` (the heading's text without its ``#``,
    or its beginning) and optionally ``:until: TEXT`` (a line that starts with it ends the section
    early): the section's body, up to the next heading of the same or a higher level."""

    required_arguments = 1
    option_spec = {"heading": directives.unchanged_required, "until": directives.unchanged}  # noqa: RUF012

    def run(self) -> list[nodes.Node]:
        relative, path = self.env.relfn2path(self.arguments[0], self.env.docname)
        self.env.note_dependency(relative)
        with open(path, encoding="utf-8") as file:
            lines = file.read().splitlines()
        wanted, until = self.options["heading"], self.options.get("until")
        for start, line in enumerate(lines):
            level = len(line) - len(line.lstrip("#"))
            if 0 < level and line[level:].strip().startswith(wanted):
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
    return {"parallel_read_safe": True, "parallel_write_safe": True}
