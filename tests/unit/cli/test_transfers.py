"""cp, sync and verify through the real command (``python -m storagekit.cli``) on the local driver:
every bad input leaves the destination exactly as it was, with the documented exit status."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest


def run_on_a_terminal(argv: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess[bytes], str]:
    """Run a command with a pseudo-terminal as its stderr; its result and what it drew there."""
    primary, replica = pty.openpty()
    fcntl.ioctl(replica, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # rows, columns
    drawn = bytearray()

    def drain() -> None:
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # EIO once the other end is closed
                return
            if not chunk:
                return
            drawn.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        result = subprocess.run(argv, stderr=replica, stdout=subprocess.PIPE, check=False, timeout=300,
                                env={**os.environ, **env})
    finally:
        os.close(replica)
        reader.join(10)
        os.close(primary)
    return result, drawn.decode(errors="replace")


def cli(*argv: str, root: Path, stdin: bytes | None = None, cwd: Path | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "storagekit.cli", "--local-root", str(root), *argv],
                          input=stdin, capture_output=True, cwd=cwd, timeout=300, check=False,
                          env={**os.environ, **(env or {})})


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under a directory with its content and mtime: what "unchanged" means."""
    return {str(path.relative_to(directory)): (path.read_bytes(), path.stat().st_mtime_ns)
            for path in sorted(directory.rglob("*")) if path.is_file()}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    source = tmp_path / "photos"
    (source / "2024").mkdir(parents=True)
    (source / "2024" / "cat.jpg").write_bytes(b"cat" * 1000)
    (source / "dog.jpg").write_bytes(b"dog" * 1000)
    (source / "notes.txt").write_text("milk\n")
    return source


@pytest.fixture
def backed_up(tree: Path, tmp_path: Path) -> Path:
    """The store root, holding local://backups/photos/ synced from the tree."""
    root = tmp_path / "store"
    done = cli("sync", "--create", str(tree), "local://backups/photos", root=root)
    assert done.returncode == 0, done.stderr
    return root


@pytest.mark.parametrize(("source", "status", "message"), [
    ("photoz", 3, b"does not exist"),                 # a mistyped directory
    ("photos/notes.txt", 3, b"is a file, not a directory"),
    ("local://backups/photoz", 3, b"no objects under"),  # a prefix with no objects
    ("local://backupz/photos", 3, b"does not exist"),   # a missing container
    ("s4://backups/photos", 2, b"known schemes"),       # a mistyped scheme
])
def test_a_missing_source_deletes_nothing(backed_up: Path, tmp_path: Path, source: str, status: int,
                                          message: bytes) -> None:
    before = snapshot(backed_up)
    path = source if "://" in source else str(tmp_path / source)
    for argv in (["sync", "--delete"], ["sync", "--delete", "--dry-run"], ["cp", "-r"]):
        done = cli(*argv, path, "local://backups/photos", root=backed_up)
        assert done.returncode == status and message in done.stderr, (argv, done.stderr)
        assert snapshot(backed_up) == before


def test_a_missing_restore_source_leaves_the_directory_alone(backed_up: Path, tree: Path) -> None:
    before = snapshot(tree)
    for source in ("local://backups/photoz", "local://backupz/photos"):
        done = cli("sync", "--delete", source, str(tree), root=backed_up)
        assert done.returncode == 3 and snapshot(tree) == before


def test_a_mistyped_destination_scheme_creates_nothing(tree: Path, tmp_path: Path) -> None:
    done = cli("sync", str(tree), "s4://bucket/x", root=tmp_path / "store", cwd=tmp_path)
    assert done.returncode == 2 and b"known schemes" in done.stderr
    assert not (tmp_path / "s4:").exists()


def test_an_empty_source_does_not_empty_the_backup(backed_up: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    before = snapshot(backed_up)
    done = cli("sync", "--delete", str(empty), "local://backups/photos", root=backed_up)
    assert done.returncode == 1 and b"--allow-empty-source" in done.stderr and snapshot(backed_up) == before
    done = cli("sync", "--delete", "--allow-empty-source", str(empty), "local://backups/photos", root=backed_up)
    assert done.returncode == 0 and b"3 deleted" in done.stdout


def test_max_delete_refuses_and_changes_nothing(backed_up: Path, tree: Path) -> None:
    (tree / "dog.jpg").unlink()
    (tree / "notes.txt").unlink()
    (tree / "new.txt").write_text("new")
    before = snapshot(backed_up)
    done = cli("sync", "--delete", "--max-delete", "1", str(tree), "local://backups/photos", root=backed_up)
    assert done.returncode == 1 and b"max-delete 1" in done.stderr and snapshot(backed_up) == before


def test_dry_run_lists_exactly_what_would_go(backed_up: Path, tree: Path) -> None:
    (tree / "notes.txt").unlink()
    (tree / "new.txt").write_text("new")
    before = snapshot(backed_up)
    done = cli("sync", "--delete", "-n", str(tree), "local://backups/photos", root=backed_up)
    lines = done.stdout.decode().splitlines()
    assert done.returncode == 0 and snapshot(backed_up) == before
    assert lines == ["would copy new.txt", "would delete notes.txt",
                     "would copy 1 (3 B), 2 unchanged, 0 skipped, would delete 1, 0 failed (dry run: nothing changed)"]


@pytest.mark.parametrize("argv", [["sync"], ["cp", "-r"]])
def test_a_missing_destination_container_is_an_error_without_create(tree: Path, tmp_path: Path,
                                                                    argv: list[str]) -> None:
    root = tmp_path / "store"
    done = cli(*argv, str(tree), "local://backupz/photos", root=root)
    assert done.returncode == 3 and b"--create" in done.stderr and not (root / "backupz").exists()
    done = cli("cp", str(tree / "notes.txt"), "local://backupz/notes.txt", root=root)
    assert done.returncode == 3 and not (root / "backupz").exists()
    assert cli(*argv, "--create", str(tree), "local://backupz/photos", root=root).returncode == 0
    assert cli("cp", str(tree / "notes.txt"), "local://backupz/notes.txt", root=root).returncode == 0


def test_json_quiet_and_the_skipped_list(backed_up: Path, tree: Path) -> None:
    (tree / "skip.tmp").write_text("x")
    (tree / "link").symlink_to(tree / "dog.jpg")
    (tree / "new\nline.txt").write_text("a name that could fake an output line")
    done = cli("sync", "--json", "--exclude", "*.tmp", str(tree), "local://backups/photos", root=backed_up)
    report = json.loads(done.stdout)
    assert done.returncode == 0 and report["copied"] == ["new\nline.txt"] and report["unchanged"] == 3
    assert set(report["skipped"]) == {"skip.tmp", "link"} and report["counts"]["skipped"] == 2
    (tree / "notes.txt").write_text("eggs and milk\n")
    done = cli("sync", "-q", "--exclude", "*.tmp", str(tree), "local://backups/photos", root=backed_up)
    assert done.returncode == 0 and done.stdout == b"" and done.stderr == b""
    (tree / "newer\x1b[2J.txt").write_text("escape sequence")
    done = cli("sync", "--exclude", "*.tmp", str(tree), "local://backups/photos", root=backed_up)
    assert b"copied newer\\033[2J.txt" in done.stdout and b"skipped link: symlink" in done.stdout
    assert b"new\\nline.txt" not in done.stdout  # unchanged: not listed


def test_a_non_utf8_name_is_reported_not_a_traceback(backed_up: Path, tree: Path) -> None:
    (tree / os.fsdecode(b"caf\xe9.txt")).write_text("latin-1")
    done = cli("sync", str(tree), "local://backups/photos", root=backed_up)
    assert done.returncode == 0 and b"Traceback" not in done.stderr
    assert b"skipped caf\\351.txt: name is not valid UTF-8" in done.stdout
    report = json.loads(cli("sync", "--json", str(tree), "local://backups/photos", root=backed_up).stdout)
    assert list(report["skipped"]) == ["caf\udce9.txt"]


def test_cp_keeps_mtime_mode_and_the_given_properties(tree: Path, tmp_path: Path) -> None:
    root = tmp_path / "store"
    os.chmod(tree / "notes.txt", 0o600)
    os.utime(tree / "notes.txt", ns=(1_500_000_000_5 * 10**8, 1_500_000_000_5 * 10**8))
    done = cli("cp", "--create", "--content-type", "text/x-notes", "--metadata", "owner=ann",
               str(tree / "notes.txt"), "local://b/n.txt", root=root)
    assert done.returncode == 0, done.stderr
    info = json.loads(cli("stat", "--json", "local://b/n.txt", root=root).stdout)
    assert info["extra"]["content_type"] == "text/x-notes"
    assert info["meta_data"] == {"owner": "ann", "mtime": "1500000000.500000000", "mode": "100600"}
    assert cli("cp", "local://b/n.txt", str(tmp_path / "back.txt"), root=root).returncode == 0
    back = os.stat(tmp_path / "back.txt")
    assert back.st_mtime_ns == 1_500_000_000_5 * 10**8 and back.st_mode & 0o777 == 0o600
    done = cli("cp", "local://b/n.txt", str(tmp_path / "missing" / "dir" / "x.txt"), root=root)
    assert done.returncode == 3 and b".part" not in done.stderr and b"does not exist" in done.stderr
    done = cli("cp", "--acl", "public-read", str(tree / "notes.txt"), "local://b/acl.txt", root=root)
    assert done.returncode == 1 and b"--acl / --sse" in done.stderr
    done = cli("cp", "--metadata", "novalue", str(tree / "notes.txt"), "local://b/m.txt", root=root)
    assert done.returncode == 2 and b"KEY=VALUE" in done.stderr


def test_cp_dash_is_stdin_and_stdout(tmp_path: Path) -> None:
    root = tmp_path / "store"
    data = os.urandom(300_000)
    done = cli("cp", "--create", "-", "local://b/from-stdin.bin", root=root, stdin=data)
    assert done.returncode == 0, done.stderr
    done = cli("cp", "local://b/from-stdin.bin", "-", root=root)
    assert done.returncode == 0 and done.stdout == data
    done = cli("cp", "-", "local://b/", root=root, stdin=b"x")
    assert done.returncode == 2 and b"needs an object name" in done.stderr


def test_cp_json(tree: Path, tmp_path: Path) -> None:
    done = cli("cp", "--json", "--create", str(tree / "notes.txt"), "local://b/notes.txt", root=tmp_path / "s")
    assert json.loads(done.stdout) == {"copied": [{"source": str(tree / "notes.txt"),
                                                   "destination": "local://b/notes.txt", "bytes": 5}]}


def test_a_manifest_stays_current_after_syncs_without_manifest(backed_up: Path, tree: Path) -> None:
    assert cli("sync", "--manifest", str(tree), "local://backups/photos", root=backed_up).returncode == 0
    (tree / "notes.txt").write_text("eggs, not milk\n")
    (tree / "dog.jpg").unlink()
    (tree / "new.jpg").write_bytes(b"new")
    done = cli("sync", "--delete", str(tree), "local://backups/photos", root=backed_up)
    assert done.returncode == 0 and b"updated the manifest of 3 files" in done.stdout
    done = cli("verify", "--json", "local://backups/photos", root=backed_up)
    assert done.returncode == 0 and json.loads(done.stdout)["matching"] == 3
    done = cli("sync", "--delete", str(tree), "local://backups/photos", root=backed_up)
    assert b"deleted .storagekit" not in done.stdout  # the manifest is never deleted
    restored = backed_up.parent / "restored"
    assert cli("sync", "local://backups/photos", str(restored), root=backed_up).returncode == 0
    assert not (restored / ".storagekit-dataset.json").exists()  # nor restored


def test_stats_lines_without_a_terminal(tmp_path: Path) -> None:
    source = tmp_path / "big"
    source.mkdir()
    for index in range(6):
        (source / f"part{index}.bin").write_bytes(os.urandom(16 * 1024 * 1024))
    done = cli("sync", "--create", "-j", "1", "--stats", "0.02", str(source), "local://b/big", root=tmp_path / "s")
    lines = [line for line in done.stderr.decode().splitlines() if line.startswith("storagekit: sync: ")]
    assert done.returncode == 0 and len(lines) >= 2, done.stderr
    assert all("files" in line and "/s, ETA" in line for line in lines)
    assert b"storagekit: sync:" not in cli("sync", "-q", "--stats", "0.02", str(source), "local://b/big",
                                           root=tmp_path / "s").stderr


def test_the_bar_moves_during_one_large_upload(tmp_path: Path) -> None:
    """A 64 MiB file (not 2 GiB: same code path, 8 parts of the local driver's 8 MiB) through a
    pseudo-terminal: the bar shows byte counts between 0 and the whole before the file is done."""
    source = tmp_path / "one"
    source.mkdir()
    (source / "large.bin").write_bytes(os.urandom(64 * 1024 * 1024))
    result, drawn = run_on_a_terminal(
        [sys.executable, "-m", "storagekit.cli", "--local-root", str(tmp_path / "s"), "sync", "--create",
         str(source), "local://b/one"], env={"TQDM_MININTERVAL": "0"})
    assert result.returncode == 0, drawn[-2000:]
    midway = {float(value) for value in re.findall(r"([0-9.]+)M/64\.0M", drawn)} - {0.0, 64.0}
    assert midway and "0/1 files" in drawn and "B/s" in drawn


def test_ctrl_c_prints_the_summary_and_exits_130(tmp_path: Path) -> None:
    source = tmp_path / "many"
    source.mkdir()
    for index in range(40):
        (source / f"f{index:02d}.bin").write_bytes(os.urandom(4 * 1024 * 1024))
    process = subprocess.Popen([sys.executable, "-m", "storagekit.cli", "--local-root", str(tmp_path / "s"),
                                "sync", "--create", "-j", "1", "--stats", "0.01", str(source), "local://b/m"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stderr is not None
    assert process.stderr.readline().startswith(b"storagekit: sync: ")  # it is under way
    time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err[-2000:]
    assert b"interrupted" in err and b"copied (" in out and b"0 deleted" in out
