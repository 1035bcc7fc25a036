"""apache-libcloud 3.9.1's ``test_local.py`` and ``test_base.py``, run against storagekit.

pytest collects the TestCase classes below; they are libcloud's, with only their import lines
rewritten by :mod:`tests.compat.libcloud_suite`. The tests listed in ``EXCLUDED`` exercise
libcloud internals and are reported as skipped with the reason.
"""

from __future__ import annotations

import ast

from storagekit.drivers.local import LocalStorageDriver
from storagekit.types import LibcloudError
from tests.compat import libcloud_suite

_local = libcloud_suite.test_cases("test_local")
_base = libcloud_suite.test_cases("test_base")

LocalTests = _local["LocalTests"]
BaseStorageTests = _base["BaseStorageTests"]
BaseRangeDownloadMockHttpTestCase = _base["BaseRangeDownloadMockHttpTestCase"]


def test_the_suite_runs_on_storagekit() -> None:
    """The rewritten files hold storagekit's classes, not libcloud's (and not the empty fallback class)."""
    module = libcloud_suite.load("test_local")
    assert module.LocalStorageDriver is LocalStorageDriver and module.LibcloudError is LibcloudError
    assert len([name for name in dir(module.LocalTests) if name.startswith("test")]) > 20


def test_every_exclusion_names_a_test_of_libclouds_files() -> None:
    """The list cannot rot: each entry is a test method that exists in libcloud's file, and nothing else is skipped."""
    found = set()
    for name in libcloud_suite.FILES:
        tree = ast.parse(libcloud_suite.source_path(name).read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                found |= {f"{name}.{node.name}.{item.name}" for item in node.body
                          if isinstance(item, ast.FunctionDef) and item.name.startswith("test")}
    assert set(libcloud_suite.EXCLUDED) <= found
    assert len(libcloud_suite.EXCLUDED) == 11 and len(found) == 32


def test_only_import_lines_change() -> None:
    """Every rewritten statement is an import statement of libcloud's file, and the rest compiles unchanged."""
    for name in libcloud_suite.FILES:
        source = libcloud_suite.source_path(name).read_text(encoding="utf-8")
        tree = ast.parse(source)
        rewriter = libcloud_suite._RewriteImports()
        rewriter.visit(ast.parse(source))
        imports = {node.lineno for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))}
        assert set(rewriter.rewritten) <= imports

