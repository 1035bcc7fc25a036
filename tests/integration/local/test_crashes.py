"""Processes killed at the worst moment and disks that fill up: the local driver and atomic downloads.

Each scenario runs in a subprocess (killed with SIGKILL, or under a file size limit) so that no
``finally`` block gets to tidy up what a real crash would leave behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from storagekit.drivers.local import LocalStorageDriver

TIMEOUT = 120

KILLED_BEFORE_RENAME = """
import os, signal, sys
from storagekit.drivers.local import LocalStorageDriver

class KilledBeforeRename(LocalStorageDriver):
    def _publish(self, tmp, temp, parent, leaf):
        if leaf == "f.txt":  # the new sidecar is written, the data not yet renamed into place
            os.kill(os.getpid(), signal.SIGKILL)
        super()._publish(tmp, temp, parent, leaf)

KilledBeforeRename(sys.argv[1]).upload_object_via_stream(
    [b"new content"], "c", "f.txt", extra={"content_type": "x/new"}, ex_meta={"v": "new"})
"""

SLOW_DOWNLOAD = """
import sys, time
from storagekit.drivers.local import LocalStorageDriver

driver = LocalStorageDriver(sys.argv[1])
obj = driver.get_object("c", "big")
driver.download_object(obj, sys.argv[2], progress=lambda done, total: time.sleep(0.2))
"""

FILE_SIZE_LIMIT = """
import json, resource, signal, sys
from storagekit.drivers.local import LocalStorageDriver

driver = LocalStorageDriver(sys.argv[1])
obj = driver.get_object("c", "big")
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
resource.setrlimit(resource.RLIMIT_FSIZE, (1024 * 1024, resource.RLIM_INFINITY))
outcomes = {}
for label, action in (
    ("upload", lambda: driver.upload_object_via_stream(iter([b"x" * 65536] * 32), "c", "too-big")),
    ("download", lambda: driver.download_object(obj, sys.argv[2])),
):
    try:
        action()
        outcomes[label] = "no error"
    except Exception as error:
        outcomes[label] = [[cls.__name__ for cls in type(error).__mro__], str(error)]
print(json.dumps(outcomes))
"""


def run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=TIMEOUT,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})


def make_root(tmp_path: Path) -> LocalStorageDriver:
    (tmp_path / "root").mkdir()
    return LocalStorageDriver(str(tmp_path / "root"))


def test_sigkill_between_sidecar_and_rename_keeps_the_survivors_metadata(tmp_path: Path) -> None:
    driver = make_root(tmp_path)
    driver.upload_object_via_stream([b"old content"], driver.create_container("c"), "f.txt",
                                    extra={"content_type": "x/old"}, ex_meta={"v": "old"})
    result = run(KILLED_BEFORE_RENAME, driver.root)
    assert result.returncode == -signal.SIGKILL, result.stderr

    obj = LocalStorageDriver(driver.root).get_object("c", "f.txt")
    assert b"".join(obj.as_stream()) == b"old content"
    assert (obj.extra["content_type"], obj.meta_data) == ("x/old", {"v": "old"})
    assert obj.hash == hashlib.md5(b"old content").hexdigest()

    tmp = Path(driver.root) / ".storagekit" / "tmp"
    assert len(list(tmp.iterdir())) == 1  # what the killed upload left

    class Impatient(LocalStorageDriver):
        stale_temp_age = 0.0

    Impatient(driver.root).upload_object_via_stream([b"next"], "c", "other")  # type: ignore[arg-type]
    assert list(tmp.iterdir()) == []
    assert LocalStorageDriver(driver.root).get_object("c", "f.txt").meta_data == {"v": "old"}


def test_a_download_killed_mid_way_leaves_no_file_and_the_next_one_succeeds(tmp_path: Path) -> None:
    driver = make_root(tmp_path)
    data = os.urandom(16 * 1024 * 1024)
    driver.upload_object_via_stream([data], driver.create_container("c"), "big")
    target_dir = tmp_path / "downloads"
    target_dir.mkdir()
    destination = target_dir / "big.bin"

    process = subprocess.Popen([sys.executable, "-c", SLOW_DOWNLOAD, driver.root, str(destination)],
                               env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        deadline = time.monotonic() + TIMEOUT
        while not any(p.stat().st_size > 0 for p in target_dir.glob(".big.bin.*.part")):
            assert process.poll() is None, "the download ended before it could be killed"
            assert time.monotonic() < deadline, "the download never started writing"
            time.sleep(0.02)
        process.kill()
    finally:
        process.wait(TIMEOUT)
    assert process.returncode == -signal.SIGKILL

    assert not destination.exists()
    assert [p.name.startswith(".big.bin.") for p in target_dir.iterdir()] == [True]  # only the hidden temp
    obj = driver.get_object("c", "big")
    assert driver.download_object(obj, str(destination))
    assert hashlib.md5(destination.read_bytes()).hexdigest() == hashlib.md5(data).hexdigest()


def test_a_file_size_limit_during_upload_and_download_is_a_typed_error_leaving_nothing(tmp_path: Path) -> None:
    driver = make_root(tmp_path)
    driver.upload_object_via_stream([b"y" * (2 * 1024 * 1024)], driver.create_container("c"), "big")
    target_dir = tmp_path / "downloads"
    target_dir.mkdir()

    result = run(FILE_SIZE_LIMIT, driver.root, str(target_dir / "big.bin"))
    assert result.returncode == 0, result.stderr
    outcomes = json.loads(result.stdout)
    for label in ("upload", "download"):
        classes, message = outcomes[label]
        assert {"InsufficientStorageError", "StorageKitError", "OSError"} <= set(classes), outcomes
        assert "File too large" in message
    assert list((Path(driver.root) / ".storagekit" / "tmp").iterdir()) == []
    assert [o.name for o in driver.list_container_objects(driver.get_container("c"))] == ["big"]
    assert list(target_dir.iterdir()) == []
