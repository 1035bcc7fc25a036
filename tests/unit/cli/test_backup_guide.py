"""Run every shell block of docs/backup-guide.md, in order, as a new user would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

GUIDE = Path(__file__).parents[3] / "docs" / "backup-guide.md"


def test_the_backup_guide_works(tmp_path: Path) -> None:
    blocks = re.findall(r"```sh\n(.*?)```", GUIDE.read_text(), flags=re.S)
    assert len(blocks) >= 5
    photos = tmp_path / "photos" / "2024"
    photos.mkdir(parents=True)
    for index in range(30):
        (photos / f"img-{index:02d}.jpg").write_bytes(os.urandom(1000 + index * 97))
    (tmp_path / "photos" / "index.txt").write_text("holiday\n")
    script = "set -euo pipefail\n" + "\n".join(blocks)
    env = {**os.environ, "WORK": str(tmp_path), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    result = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "31 of 31 files match the manifest" in result.stdout
    assert (tmp_path / "restored" / "2024" / "img-29.jpg").read_bytes() == (photos / "img-29.jpg").read_bytes()
