"""Every public name of the documented modules has a docstring the API reference can show.

The rule, checked on the public names of :data:`MODULES` (a module's ``__all__``, or else its
names without a leading underscore that it defines itself):

* a class has its own docstring (not one inherited from a base class);
* a public callable (a function, or a method or property a public class defines, named without
  a leading underscore, or a class's ``__init__`` unless ``dataclass`` wrote it) has a docstring
  whose first line is a summary;
  an override without a docstring of its own is judged by the one it inherits, as the reference
  shows it (``inspect.getdoc``); the ``test_*`` methods of :mod:`storagekit.testing`'s classes
  are tests, not API, and are left out;
* and, for a function or method (not a property), in Google style (napoleon's sections):

  - every parameter but ``self``/``cls`` is named at the start of an entry of an ``Args:``
    section (``name:``, ``name (type):``, ``*args:``/``**options:``, or ``a, b:`` for two);
    for ``__init__``, the class docstring and ``__init__``'s together;
  - a return annotation other than ``None`` needs a ``Returns:`` (or ``Yields:``) section;
  - a ``raise`` statement in the callable's own body needs a ``Raises:`` section.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import textwrap
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest

MODULES = [
    "storagekit",
    "storagekit.types",
    "storagekit.providers",
    "storagekit.base",
    "storagekit.urls",
    "storagekit.drivers.local",
    "storagekit.drivers.memory",
    "storagekit.drivers.s3",
    "storagekit.drivers.azure_blobs",
    "storagekit.drivers.google_storage",
    "storagekit.drivers.swift",
    "storagekit.files",
    "storagekit.fs",
    "storagekit.distributed",
    "storagekit.testing",
]
"""The modules whose public names the API reference documents."""

_SECTION = re.compile(r"^(\w[\w ]*):\s*$")
_ARGS = ("Args", "Arguments", "Parameters", "Keyword Args", "Keyword Arguments", "Other Parameters")
_NO_RETURN = ("None", "NoReturn", "Never", inspect.Signature.empty)


def public_names(module: ModuleType) -> list[str]:
    """The module's ``__all__``, or the names it defines itself without a leading underscore."""
    names = getattr(module, "__all__", None)
    if names is not None:
        return list(names)
    return sorted(name for name, value in vars(module).items()
                  if not name.startswith("_") and getattr(value, "__module__", None) == module.__name__)


def sections(docstring: str) -> dict[str, list[str]]:
    """A Google-style docstring's sections: header (``Args``, ``Returns``, ...) to its indented lines."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in docstring.splitlines():
        header = _SECTION.match(line)
        if header and not line.startswith(" "):
            current = found.setdefault(header.group(1), [])
        elif current is not None and (line.startswith(" ") or not line.strip()):
            current.append(line)
        else:
            current = None
    return found


def documented_parameters(docstring: str) -> set[str]:
    """The names at the start of the entries of a docstring's argument sections."""
    names: set[str] = set()
    for header, lines in sections(docstring).items():
        if header not in _ARGS:
            continue
        indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
        for line in lines:
            if line.strip() and len(line) - len(line.lstrip()) == min(indents, default=0):
                entry = re.match(r"\s*([\w*, ]+?)\s*(\([^)]*\))?\s*:", line)
                if entry:
                    names.update(name.strip().lstrip("*") for name in entry.group(1).split(","))
    return names


def _raises(function: Callable[..., Any]) -> bool:
    """Whether the function's own source has a ``raise`` of an exception (a bare re-raise is not one)."""
    try:
        source = textwrap.dedent(inspect.getsource(inspect.unwrap(function)))
    except (OSError, TypeError):
        return False
    return any(isinstance(node, ast.Raise) and node.exc is not None for node in ast.walk(ast.parse(source)))


def problems(label: str, function: Callable[..., Any], docstring: str | None, *, init: bool = False) -> Iterator[str]:
    """What the rule finds wrong with one callable and the docstring the reference shows for it."""
    if not docstring or not docstring.strip():
        yield f"{label}: no docstring"
        return
    if not docstring.splitlines()[0].strip():
        yield f"{label}: no summary line"
    found = sections(docstring)
    signature = inspect.signature(function)
    parameters = [name for name in signature.parameters if name not in ("self", "cls")]
    missing = sorted(set(parameters) - documented_parameters(docstring))
    if missing:
        yield f"{label}: Args lacks {', '.join(missing)}"
    if not init and signature.return_annotation not in _NO_RETURN and not {"Returns", "Yields"} & set(found):
        yield f"{label}: no Returns section (returns {signature.return_annotation})"
    if _raises(function) and "Raises" not in found:
        yield f"{label}: raises, no Raises section"


def _class_problems(label: str, cls: type) -> Iterator[str]:
    if not (cls.__dict__.get("__doc__") or "").strip():
        yield f"{label}: class without a docstring of its own"
    for name, member in vars(cls).items():
        if name == "__init__" and inspect.isfunction(member) and _written(member):
            docstring = "\n".join(filter(None, [inspect.getdoc(cls), inspect.getdoc(member)]))
            yield from problems(f"{label}.__init__", member, docstring, init=True)
        elif name.startswith(("_", "test_")):
            continue
        elif isinstance(member, property):
            doc = _inherited_doc(cls, name)
            if not doc or not doc.splitlines()[0].strip():
                yield f"{label}.{name}: property without a summary line"
        elif isinstance(member, (staticmethod, classmethod)) or inspect.isfunction(member):
            function = member.__func__ if isinstance(member, (staticmethod, classmethod)) else member
            yield from problems(f"{label}.{name}", function, _inherited_doc(cls, name))


def _written(function: Callable[..., Any]) -> bool:
    """Whether a function has source code (``dataclass`` generates an ``__init__`` from the fields,
    which the reference documents as attributes)."""
    try:
        inspect.getsource(function)
    except (OSError, TypeError):
        return False
    return True


def _inherited_doc(cls: type, name: str) -> str | None:
    """A member's docstring, or the one of the nearest base class that documents it (as autodoc shows)."""
    for klass in cls.__mro__:
        member = klass.__dict__.get(name)
        if member is None:
            continue
        target = member.fget if isinstance(member, property) else getattr(member, "__func__", member)
        doc = inspect.getdoc(target) if target is not None else None
        if doc:
            return doc
    return None


def undocumented(module_name: str) -> list[str]:
    """Every breach of the rule among the public names of one module."""
    module = importlib.import_module(module_name)
    found: list[str] = []
    for name in public_names(module):
        value = getattr(module, name)
        label = f"{module_name}.{name}"
        if inspect.isclass(value):
            found.extend(_class_problems(label, value))
        elif inspect.isfunction(value):
            found.extend(problems(label, value, inspect.getdoc(value)))
    return found


@pytest.mark.parametrize("module_name", MODULES)
def test_every_public_name_is_documented(module_name: str) -> None:
    found = undocumented(module_name)
    assert found == [], f"{len(found)} public names break the docstring rule:\n" + "\n".join(found)


def test_the_rule_reads_google_style_sections() -> None:
    def example(path: str, *chunks: bytes, size: int = 0, **options: Any) -> int:
        """Write chunks.

        Args:
            path: where.
            *chunks: what, in order;
                continued here.
            size (int): how much.

        Returns:
            The size.
        """
        if size < 0:
            raise ValueError(size)
        return size

    assert documented_parameters(inspect.getdoc(example) or "") == {"path", "chunks", "size"}
    assert list(problems("example", example, inspect.getdoc(example))) == [
        "example: Args lacks options", "example: raises, no Raises section"]
    assert list(problems("bare", example, None)) == ["bare: no docstring"]
