"""``sync --dask`` / ``cp -r --dask``: bad uses are refused before any cluster starts (the runnable
example of docs/moving-a-bucket.md runs ``--dask local:2`` for real)."""

from __future__ import annotations

from pathlib import Path

import pytest

from storagekit.cli import main


@pytest.mark.parametrize(("command", "dask", "message"), [
    (["sync"], "local:2", "--dask writes to a storage URL"),
    (["cp", "-r"], "local:two", "--dask local:N needs a number of worker processes"),
    (["sync"], "local:0", "--dask local:N needs a number of worker processes"),
])
def test_bad_dask_uses_are_usage_errors(command: list[str], dask: str, message: str, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    destination = str(tmp_path / "out") if dask == "local:2" else "local://b/x"
    code = main([*command, "--dask", dask, str(tmp_path), destination, "--local-root", str(tmp_path / "root")])
    assert code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
