"""The package is typed for real: mypy passes on it, and on the documentation's code as written.

mypy runs in a subprocess with the project's configuration (``setup.cfg``) and the checkout's
``.mypy_cache`` (ignored by git), so only the first run of a session checks from scratch. Every
``python`` block of README.md and docs/*.md is type-checked, ``not-run`` ones included (checking
runs nothing), and so is every inline call of a ``get_driver(...)`` class the prose shows, such as
README's ``get_driver(Provider.S3)("access key", "secret key", region="eu-west-1")``; an argument
the prose elides as ``...`` stands for a value of any type.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.unit.test_docs import DOCUMENTS, REPOSITORY, blocks

_INLINE_CALL = re.compile(r"`(get_driver\([^`]*?\)\([^`]*?\))`")
_ELIDED = re.compile(r"(?<=[(=,\s])\.\.\.(?=\s*[,)])")
_PRELUDE = """\
from typing import Any

from storagekit.providers import get_driver
from storagekit.types import Provider

_elided: Any = None

"""


def _mypy(*arguments: str) -> subprocess.CompletedProcess[str]:
    """``python -m mypy`` with the project's configuration, this checkout's package first on its path."""
    environment = {**os.environ, "MYPYPATH": str(REPOSITORY)}
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(REPOSITORY / "setup.cfg"), *arguments],
        cwd=REPOSITORY, env=environment, capture_output=True, text=True, check=False, timeout=600,
    )


def inline_calls(document: Path) -> list[str]:
    """The ``get_driver(...)(...)`` code spans of a document's prose, elided arguments made ``_elided``."""
    text = document.read_text(encoding="utf-8")
    return [_ELIDED.sub("_elided", call) for call in _INLINE_CALL.findall(text)]


def test_mypy_reports_nothing_on_the_package() -> None:
    result = _mypy("storagekit")
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert "Success: no issues found" in result.stdout


def test_the_documentation_type_checks(tmp_path: Path) -> None:
    files = []
    for document in DOCUMENTS:
        stem = document.stem.replace("-", "_")
        python = [block.code for block in blocks(document) if block.language == "python"]
        for number, code in enumerate(python):
            files.append(tmp_path / f"{stem}_block_{number}.py")
            files[-1].write_text(code, encoding="utf-8")
        calls = inline_calls(document)
        if calls:
            files.append(tmp_path / f"{stem}_inline_calls.py")
            files[-1].write_text(_PRELUDE + "\n".join(calls) + "\n", encoding="utf-8")
    readme_calls = inline_calls(REPOSITORY / "README.md")
    assert 'get_driver(Provider.S3)("access key", "secret key", region="eu-west-1")' in readme_calls
    assert tmp_path / "README_block_0.py" in files
    result = _mypy("--no-warn-unused-configs", *map(str, files))
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]


def test_a_driver_from_get_driver_is_typed_not_any(tmp_path: Path) -> None:
    """The check above would pass on anything if get_driver's classes built ``Any``: they do not."""
    wrong = tmp_path / "wrong.py"
    wrong.write_text(_PRELUDE + 'number: int = get_driver(Provider.MEMORY)()\n'
                     'get_driver("s3")("key", "secret", True, "host", 9000, "one too many")\n'
                     'get_driver(Provider.S3)("key", "secret").upload_object(42)\n', encoding="utf-8")
    result = _mypy("--no-warn-unused-configs", str(wrong))
    assert result.returncode == 1, result.stdout
    assert 'expression has type "MemoryStorageDriver", variable has type "int"' in result.stdout
    assert 'Too many arguments for "StorageDriver"' in result.stdout
    assert '"upload_object" of "StorageDriver"' in result.stdout
