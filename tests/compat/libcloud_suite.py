"""Run apache-libcloud's own storage tests against storagekit, changing only their import lines.

The test files are read from the installed apache-libcloud wheel (the ``test`` extra; never
copied here, never imported by the library). Each ``import`` / ``from ... import`` naming
libcloud is rewritten, in the syntax tree, into an assignment of the storagekit object of the
same name (:data:`MODULES`), or, for libcloud's own test tooling, of a standard-library
equivalent (:data:`TOOLING`). Names storagekit does not have are libcloud internals; they become
:func:`internal` stand-ins that fail if used, and every test that uses one is listed in
:data:`EXCLUDED` with the reason. Nothing else in the files is touched.
"""

from __future__ import annotations

import ast
import http.client
import importlib
import importlib.metadata
import io
import sys
import types
import unittest
from collections.abc import Iterable
from pathlib import Path
from typing import Any

LIBCLOUD_VERSION = "3.9.1"
FILES = ("test_local", "test_base")
"""libcloud/test/storage/<name>.py files the harness runs."""

MODULES = {
    "libcloud.common.exceptions": "storagekit.types",
    "libcloud.common.types": "storagekit.types",
    "libcloud.storage.base": "storagekit.base",
    "libcloud.storage.drivers.local": "storagekit.drivers.local",
    "libcloud.storage.providers": "storagekit.providers",
    "libcloud.storage.types": "storagekit.types",
}
"""libcloud's public storage modules and where storagekit keeps the same names."""


def _exhaust_iterator(iterator: Iterable[bytes]) -> bytes:
    """libcloud.utils.files.exhaust_iterator: all of an iterator's bytes."""
    return b"".join(iterator)


def _b(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def _assert_raises_regex(case: unittest.TestCase, *args: Any, **kwargs: Any) -> Any:
    return case.assertRaisesRegex(*args, **kwargs)


TOOLING: dict[str, dict[str, Any]] = {
    "libcloud.utils.files": {"exhaust_iterator": _exhaust_iterator},
    "libcloud.utils.py3": {"PY2": False, "StringIO": io.StringIO, "b": _b, "httplib": http.client,
                           "assertRaisesRegex": _assert_raises_regex},
    "libcloud.test": {"unittest": unittest},
}
"""libcloud's test helpers (Python 2/3 shims, iterator helpers): their standard-library equivalents."""

INTERNALS = {"LockLocalStorage", "MockHttp", "BodyStream", "BaseRangeDownloadMockHttp", "fasteners"}
"""Names the files import that are libcloud internals with no storagekit counterpart."""

_CONNECTION = ("libcloud's HTTP connection layer (connectionCls, MockHttp, connection.session), which storagekit "
               "replaces with its own transport; the behaviour is tested in tests/unit/test_http.py")
EXCLUDED: dict[str, str] = {
    "test_local.LocalTests.test_lock_local_storage":
        "LockLocalStorage is libcloud's fasteners-based lock class inside its local driver; storagekit's local "
        "driver commits with atomic renames (tests/unit/drivers/test_local.py)",
    **{f"test_base.BaseStorageTests.{name}": f"{reason}; setUp itself patches {_CONNECTION}" for name, reason in {
        "test__upload_object_iterator_must_have_next_method": "calls the private StorageDriver._upload_object",
        "test__upload_object_does_not_stream_response": "calls the private StorageDriver._upload_object",
        "test__get_hash_function": "calls the private StorageDriver._get_hash_function (storagekit's checksums "
                                   "are in storagekit/streams.py)",
        "test_upload_no_content_type_supplied_or_detected": "calls the private _upload_object on a mocked "
                                                            "connection",
        "test_upload_object_hash_calculation_is_efficient": "patches libcloud.utils.files and calls _upload_object",
        "test_upload_object_via_stream_illegal_seek_errors_are_ignored": "calls _upload_object on a mocked "
                                                                         "connection",
        "test_get_standard_range_str": "calls the private _get_standard_range_str (Range headers are built "
                                       "by storagekit.http.range_header)",
        "test_should_retry_rate_limited_errors": "mocks connection.connection.session.send",
        "test_should_retry_rate_limited_errors_until_success": "mocks connection.connection.session.send",
    }.items()},
    "test_base.BaseRangeDownloadMockHttpTestCase.test_get_start_and_end_bytes_from_range_str":
        "tests libcloud's own mock HTTP server (libcloud.test.storage.base), not the storage API",
}
"""Tests that exercise libcloud internals no user calls: ``file.Class.method`` -> why it cannot apply."""


def internal(name: str) -> type:
    """A stand-in for the libcloud internal ``name``: a class (libcloud's files subclass some) that
    fails, naming it, when anything makes an instance of it."""

    def refuse(self: Any, *args: Any, **kwargs: Any) -> None:
        raise TypeError(f"{name} is a libcloud internal that storagekit does not have")

    return type(name, (), {"__init__": refuse, "__doc__": f"Stand-in for libcloud's internal {name}."})


def resolve(module: str, name: str) -> Any:
    """What ``from <module> import <name>`` (a libcloud module) means under storagekit."""
    if module in MODULES:
        target = importlib.import_module(MODULES[module])
        if hasattr(target, name):
            return getattr(target, name)
    elif name in TOOLING.get(module, {}):
        return TOOLING[module][name]
    if name not in INTERNALS:
        raise ImportError(f"the harness has no storagekit counterpart for {module}.{name}")
    return internal(name)


def source_path(name: str) -> Path:
    """``libcloud/test/storage/<name>.py`` inside the installed apache-libcloud distribution."""
    distribution = importlib.metadata.distribution("apache-libcloud")
    if distribution.version != LIBCLOUD_VERSION:
        raise RuntimeError(f"the harness runs apache-libcloud {LIBCLOUD_VERSION}'s tests, not {distribution.version}")
    path = Path(str(distribution.locate_file(f"libcloud/test/storage/{name}.py")))
    if not path.is_file():
        raise FileNotFoundError(f"{path} is not in the installed apache-libcloud wheel")
    return path


class _RewriteImports(ast.NodeTransformer):
    """Turn each import of a libcloud module (or of fasteners) into assignments from :func:`resolve`."""

    def __init__(self) -> None:
        self.rewritten: list[int] = []

    def _assignments(self, node: ast.stmt, pairs: list[tuple[str, str, str]]) -> list[ast.stmt]:
        self.rewritten.append(node.lineno)
        statements = [
            ast.Assign(
                targets=[ast.Name(id=bound, ctx=ast.Store())],
                value=ast.Call(func=ast.Name(id="__resolve__", ctx=ast.Load()),
                               args=[ast.Constant(module), ast.Constant(name)], keywords=[]),
            )
            for module, name, bound in pairs
        ]
        return [ast.copy_location(statement, node) for statement in statements]

    def visit_ImportFrom(self, node: ast.ImportFrom) -> Any:
        if not (node.module or "").startswith("libcloud"):
            return node
        return self._assignments(node, [(node.module or "", a.name, a.asname or a.name) for a in node.names])

    def visit_Import(self, node: ast.Import) -> Any:
        ours = [a for a in node.names if a.name.split(".")[0] in ("libcloud", "fasteners")]
        if not ours:
            return node
        if len(ours) != len(node.names):
            raise SyntaxError(f"line {node.lineno} mixes libcloud and other imports")
        return self._assignments(node, [(a.name, a.name, a.asname or a.name) for a in ours])


def load(name: str) -> types.ModuleType:
    """libcloud's test file ``name``, its imports rewritten, executed as a module of storagekit's tests.

    Raises:
        AssertionError: a libcloud import survived the rewrite.
    """
    path = source_path(name)
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    rewriter = _RewriteImports()
    tree = ast.fix_missing_locations(rewriter.visit(tree))
    leftover = [node.lineno for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
                and "libcloud" in " ".join([getattr(node, "module", None) or "", *(a.name for a in node.names)])]
    assert not leftover and rewriter.rewritten, f"{name}: libcloud imports left at lines {leftover}"
    module = types.ModuleType(f"tests.compat.libcloud_{name}")
    module.__file__ = str(path)
    module.__dict__["__resolve__"] = resolve
    sys.modules[module.__name__] = module  # multiprocessing and pickle find the module's classes by name
    exec(compile(tree, str(path), "exec"), module.__dict__)
    return module


def test_cases(name: str) -> dict[str, type[unittest.TestCase]]:
    """The TestCase classes of libcloud's file ``name``, with the tests of :data:`EXCLUDED` skipped (and why)."""
    module = load(name)
    cases = {attribute: value for attribute, value in vars(module).items()
             if isinstance(value, type) and issubclass(value, unittest.TestCase)
             and value.__module__ == module.__name__}
    for key, reason in EXCLUDED.items():
        file, class_name, method = key.split(".")
        if file == name:
            case = cases[class_name]
            setattr(case, method, unittest.skip(f"libcloud internal: {reason}")(getattr(case, method)))
    return cases
