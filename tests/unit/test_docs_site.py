"""The documentation site builds without a warning, its pages link to what exists, and every public
name the docstring rule covers is in its API reference.

The build is the command README.md documents, into a temporary directory:
``python -m sphinx -W --keep-going -b html docs OUT`` (``-E``: from scratch). Sphinx reports a
broken cross-reference, a page missing from every toctree or a bad directive as a warning, which
``-W`` makes an error. Relative Markdown links are checked here too, since Sphinx does not
follow a link to a file outside the site (README.md, benchmarks/): each must name an existing
file, and an anchor one of the target page's headings (GitHub's slugs, which the site uses too).
"""

from __future__ import annotations

import html
import inspect
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from tests.unit.test_docs import DOCUMENTS, REPOSITORY, blocks
from tests.unit.test_docstrings import MODULES, public_names

_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$", re.M)
_FENCED = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once for the module the way README.md says."""
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-E", "-q", "-b", "html",
                             "docs", str(out)], cwd=REPOSITORY, capture_output=True, text=True, check=False,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-5000:]
    assert "WARNING" not in result.stderr and "ERROR" not in result.stderr, result.stderr[-5000:]
    return out


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces made hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", lambda m: m.group(1) or "", heading).strip().lower()
    text = "".join(c for c in text if c in "- " or unicodedata.category(c)[0] in "LNM" or c == "_")
    return text.replace(" ", "-")


def anchors(document: Path) -> set[str]:
    """The heading anchors of a Markdown page (code blocks left out: a ``#`` there is no heading)."""
    text = _FENCED.sub("", document.read_text(encoding="utf-8"))
    return {slug(match.group(2)) for match in _HEADING.finditer(text)}


def relative_links(document: Path) -> list[str]:
    """The link targets of a Markdown page that are neither URLs nor in code."""
    text = _FENCED.sub("", document.read_text(encoding="utf-8"))
    text = re.sub(r"`[^`\n]*`", "", text)
    return [target for target in _LINK.findall(text) if not re.match(r"[a-z][a-z0-9+.-]*:", target)]


def broken_links(document: Path) -> list[str]:
    """Every relative link of a page whose file, or whose anchor in that file, does not exist."""
    broken = []
    for target in relative_links(document):
        path, _, anchor = target.partition("#")
        resolved = (document.parent / path).resolve() if path else document
        if not resolved.exists():
            broken.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target}: no heading with that anchor")
    return broken


def test_the_site_builds_without_a_warning(site: Path) -> None:
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    assert "python -m sphinx -W --keep-going -b html docs docs/_build/html" in readme  # the command built here
    pages = {path.relative_to(site).as_posix() for path in site.rglob("*.html")}
    for page in ("index.html", "getting-started.html", "cli-reference.html", "errors.html", "transfers.html",
                 "writing-a-driver.html", "benchmarks.html", "api/base.html", "api/types.html"):
        assert page in pages
    for document in DOCUMENTS[1:]:
        assert f"{document.stem}.html" in pages, f"{document.name} is not in the site"


def test_the_generated_references_are_filled_from_the_code(site: Path) -> None:
    from storagekit.cli import build_parser
    from storagekit.drivers.s3 import PRESETS

    cli = (site / "cli-reference.html").read_text(encoding="utf-8")
    subcommands = [name for action in build_parser()._actions if hasattr(action, "choices") and action.choices
                   for name in action.choices if isinstance(action.choices, dict)]
    assert len(subcommands) >= 15
    for name in subcommands:
        assert f"storagekit {name}" in html.unescape(cli), name
    assert "--max-delete" in html.unescape(cli) and "--allow-empty-source" in html.unescape(cli)
    s3 = (site / "providers-s3.html").read_text(encoding="utf-8")
    assert all(preset.title in html.unescape(s3) for preset in PRESETS.values())
    assert "AWS_WEB_IDENTITY_TOKEN_FILE" in s3 and "role_arn" in s3  # credentials.md's section, the constructor
    assert "Content-MD5" in (site / "transfers.html").read_text(encoding="utf-8")  # architecture.md's table


def test_every_public_name_is_in_the_api_reference(site: Path) -> None:
    """Each public name of the docstring rule's modules is a documented object of the site
    (under the module that defines it, or the one that re-exports it)."""
    ids = set()
    for page in site.rglob("*.html"):
        ids.update(re.findall(r'<dt class="sig sig-object py" id="([^"]+)"', page.read_text(encoding="utf-8")))
    missing = []
    for module_name in MODULES[1:]:  # storagekit itself re-exports the others' names
        module = __import__(module_name, fromlist=["_"])
        for name in public_names(module):
            value = getattr(module, name)
            where = {f"{module_name}.{name}"}
            if inspect.isclass(value) or inspect.isfunction(value):
                where.add(f"{value.__module__}.{value.__qualname__}")
            if not where & ids:
                missing.append(f"{module_name}.{name}")
    assert missing == []


@pytest.mark.parametrize("document", DOCUMENTS, ids=[str(d.relative_to(REPOSITORY)) for d in DOCUMENTS])
def test_relative_links_resolve(document: Path) -> None:
    assert broken_links(document) == []


def test_the_link_check_finds_a_broken_link(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# Title\n\n## A `code` heading, with: punctuation\n\n"
                                   "[ok](b.md#second-part) [self](#a-code-heading-with-punctuation) "
                                   "[gone](c.md) [bad anchor](b.md#nope) `[in code](x.md)`\n\n"
                                   "```sh\n# not a heading\n[nor](a link.md)\n```\n")
    (tmp_path / "b.md").write_text("# B\n\n## Second part\n")
    assert broken_links(tmp_path / "a.md") == ["c.md: no such file", "b.md#nope: no heading with that anchor"]


def test_new_pages_are_run_and_type_checked() -> None:
    """The site's pages are docs/*.md, which tests/unit/test_docs.py runs and test_typing.py checks:
    none lives in a subdirectory those tests would not see, and the API pages hold no code blocks."""
    site_pages = {path for path in (REPOSITORY / "docs").rglob("*.md") if "_build" not in path.parts}
    assert site_pages == set(DOCUMENTS[1:])
    assert all(not blocks(page) for page in (REPOSITORY / "docs" / "api").glob("*.md"))
