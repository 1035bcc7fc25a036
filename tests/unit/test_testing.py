"""``storagekit.testing`` serves a plugin as it serves storagekit: the example plugin in
``examples/plugin`` (outside the package, with its own pytest root) runs the whole conformance
suite against its driver and passes; a gap it declares becomes a strict xfail; and the core
never imports pytest."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import storagekit.testing

REPOSITORY = Path(__file__).parents[2]
PLUGIN = REPOSITORY / "examples" / "plugin"


def _pytest(directory: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """pytest run in ``directory`` as the plugin's own project would, this checkout's storagekit importable."""
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPOSITORY),
                                                                             os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *arguments],
                          cwd=directory, env=environment, capture_output=True, text=True, check=False, timeout=600)


def _suite_size() -> int:
    """How many tests the suite has for one driver: each test method, times its parameter sets."""
    total = 0
    for name in dir(storagekit.testing.ConformanceTests):
        if name.startswith("test_"):
            marks = getattr(getattr(storagekit.testing.ConformanceTests, name), "pytestmark", [])
            sizes = [len(mark.args[1]) for mark in marks if mark.name == "parametrize"]
            total += sizes[0] if sizes else 1
    return total


def test_the_example_plugin_passes_the_whole_suite() -> None:
    result = _pytest(PLUGIN)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    passed = re.search(r"(\d+) passed", result.stdout)
    assert passed and int(passed.group(1)) == _suite_size() >= 70, result.stdout[-500:]
    assert "failed" not in result.stdout and "xfail" not in result.stdout


def test_a_declared_gap_is_a_strict_xfail(tmp_path: Path) -> None:
    """A gap for a test the store passes makes the run fail (XPASS strict): the list stays honest."""
    plugin = tmp_path / "plugin"
    shutil.copytree(PLUGIN, plugin)
    module = plugin / "test_conformance.py"
    module.write_text(module.read_text().replace("return {}", 'return {"test_missing_object": "Acme says 403"}'))
    result = _pytest(plugin, "-k", "test_missing_object or test_create_get_list_delete", "-rX")
    assert result.returncode == 1, result.stdout[-3000:]
    assert "1 failed, 1 passed" in result.stdout and "XPASS(strict)" in result.stdout
    assert "Acme says 403" in result.stdout


def test_the_core_never_imports_pytest() -> None:
    package = REPOSITORY / "storagekit"
    paths = [path.relative_to(package).with_suffix("") for path in package.rglob("*.py")]
    modules = sorted(".".join(("storagekit", *path.parts)).removesuffix(".__init__")
                     for path in paths if "testing" not in path.parts)
    code = ("import importlib, sys\n"
            "import storagekit.drivers.s3, storagekit.cli  # entry points first: the order users import in\n"
            f"for name in {[name for name in modules if not name.endswith('__main__')]!r}:\n"
            "    importlib.import_module(name)\n"
            "print(sorted(name for name in sys.modules if name.split('.')[0] in ('pytest', '_pytest')))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPOSITORY, capture_output=True, text=True,
                            check=False, timeout=120)
    assert result.returncode == 0 and len(modules) > 80, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"
