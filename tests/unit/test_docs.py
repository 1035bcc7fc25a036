"""The documentation works as written: every code block of README.md and docs/*.md is run.

``python`` blocks run twice in a row, each in a fresh temporary directory (a local store's
root lives there). The ``sh`` blocks of one file run in order as one bash session, as a reader
would type them, with ``storagekit`` on the PATH, ``$STORAGEKIT_LOCAL_ROOT`` and ``$WORK`` in a
temporary directory holding a ``photos`` directory. A block that needs a cloud account or the
network is preceded by ``<!-- not-run: REASON -->`` and skipped; the reason is required.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).parents[2]
DOCUMENTS = [REPOSITORY / "README.md", *sorted((REPOSITORY / "docs").glob("*.md"))]
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
_NOT_RUN = re.compile(r"<!--\s*not-run:(.*?)-->")
_CLOUD_URL = re.compile(r"\b(s3|gs|gcs|az|azure)://")


@dataclass(frozen=True)
class Block:
    document: Path
    language: str
    code: str
    not_run: str | None
    """The reason given by a ``not-run`` marker just before the block, or None."""


def blocks(document: Path) -> list[Block]:
    text = document.read_text(encoding="utf-8")
    found = []
    for fence in _FENCE.finditer(text):
        before = text[:fence.start()].rstrip().rsplit("\n", 1)[-1]
        marker = _NOT_RUN.fullmatch(before.strip())
        found.append(Block(document, fence.group(1), fence.group(2), marker.group(1).strip() if marker else None))
    return found


def _ids(documents: list[Path]) -> list[str]:
    return [str(path.relative_to(REPOSITORY)) for path in documents]


def _environment(work: Path) -> dict[str, str]:
    """A shell with ``storagekit`` (this checkout's) first on the PATH and a sample ``photos`` tree."""
    bin_dir = work / "bin"
    bin_dir.mkdir()
    launcher = bin_dir / "storagekit"
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m storagekit.cli "$@"\n')
    launcher.chmod(0o755)
    photos = work / "photos" / "2024"
    photos.mkdir(parents=True)
    for index in range(30):
        (photos / f"img-{index:02d}.jpg").write_bytes(bytes([index]) * (1000 + index * 97))
    (work / "photos" / "index.txt").write_text("holiday\n")
    return {**os.environ, "WORK": str(work), "STORAGEKIT_LOCAL_ROOT": str(work / "default-store"),
            "STORAGEKIT_CONFIG": str(work / "config.ini"), "HOME": str(work),
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")]))}


def test_every_not_run_marker_gives_a_reason_and_precedes_a_block() -> None:
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        markers = [m for m in re.finditer(r"<!--\s*not-run\b(.*?)-->", text, re.S)]
        marked = [block for block in blocks(document) if block.not_run is not None]
        assert len(markers) == len(marked), f"{document.name}: a not-run marker is not just before a code block"
        for block in marked:
            assert len(block.not_run or "") >= 10, f"{document.name}: a not-run marker without a reason"


def test_runnable_blocks_use_only_the_local_and_memory_stores() -> None:
    for document in DOCUMENTS:
        for block in blocks(document):
            if block.language in ("sh", "python") and block.not_run is None:
                assert not _CLOUD_URL.search(block.code), f"{document.name}: mark a cloud block not-run:\n{block.code}"


@pytest.mark.parametrize("document", DOCUMENTS, ids=_ids(DOCUMENTS))
def test_python_blocks_run_twice_in_a_row(document: Path, tmp_path: Path) -> None:
    runnable = [block for block in blocks(document) if block.language == "python" and block.not_run is None]
    for number, block in enumerate(runnable):
        work = tmp_path / f"block-{number}"
        work.mkdir()
        env = _environment(work)
        for attempt in ("first", "second"):
            result = subprocess.run([sys.executable, "-c", block.code], cwd=work, env=env, capture_output=True,
                                    text=True, check=False, timeout=300)
            assert result.returncode == 0, f"{document.name}, {attempt} run:\n{block.code}\n{result.stderr[-3000:]}"


@pytest.mark.parametrize("document", DOCUMENTS, ids=_ids(DOCUMENTS))
def test_shell_blocks_run_as_one_session(document: Path, tmp_path: Path) -> None:
    runnable = [block.code for block in blocks(document) if block.language == "sh" and block.not_run is None]
    if not runnable:
        assert not [b for b in blocks(document) if b.language == "sh" and b.not_run is None]
        return
    script = "set -euo pipefail\n" + "\n".join(runnable)
    result = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=_environment(tmp_path), capture_output=True,
                            text=True, check=False, timeout=600)
    assert result.returncode == 0, f"{document.name}:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"


def test_the_documents_have_what_a_new_user_needs() -> None:
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    assert "pip install -e '.[cli]'" in readme and "google-crc32c" in readme
    assert [b for b in blocks(REPOSITORY / "README.md") if b.language == "python" and b.not_run is None]
    license_text = (REPOSITORY / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in license_text and "Version 2.0, January 2004" in license_text
    assert "END OF TERMS AND CONDITIONS" in license_text
    for page in ("cli.md", "credentials.md", "metadata.md", "backup-guide.md"):
        assert (REPOSITORY / "docs" / page).is_file()


def test_credentials_page_names_every_environment_variable_the_code_reads() -> None:
    read = set()
    pattern = re.compile(r"""(?:environ(?:\.get)?\s*[\(\[]|getenv\()\s*["']([A-Z][A-Z0-9_]+)["']""")
    for path in (REPOSITORY / "storagekit").rglob("*.py"):
        read.update(pattern.findall(path.read_text(encoding="utf-8")))
    read.add("STORAGEKIT_LOCAL_ROOT")  # through storagekit.urls.LOCAL_ROOT_ENV
    assert len(read) >= 20
    page = (REPOSITORY / "docs" / "credentials.md").read_text(encoding="utf-8")
    assert sorted(name for name in read if f"`{name}`" not in page) == []
