"""The storagekit command on the local and memory drivers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import ok, run


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    source = tmp_path / "src"
    (source / "photos").mkdir(parents=True)
    (source / "photos" / "cat.jpg").write_bytes(b"\xff\xd8" + os.urandom(3000))
    (source / "photos" / "dog.png").write_bytes(os.urandom(5000))
    (source / "notes.txt").write_text("remember the milk\n")
    return source


@pytest.fixture
def root(tmp_path: Path) -> str:
    return str(tmp_path / "store")




def test_sync_up_list_and_back(tree: Path, root: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--local-root", root, "sync", "--create", str(tree), "local://backups/src")
    assert code == 0 and "3 copied" in out
    out = ok(capsys, "--local-root", root, "ls", "-r", "local://backups")
    assert out.split() == ["src/notes.txt", "src/photos/cat.jpg", "src/photos/dog.png"]
    out = ok(capsys, "--local-root", root, "ls", "local://backups/src/")
    assert out.split() == ["src/notes.txt", "src/photos/"]
    out = ok(capsys, "--local-root", root, "ls", "--json", "-r", "local://backups/src/photos/")
    assert [row["size"] for row in json.loads(out)] == [3002, 5000]
    # nothing changed: nothing sent
    out = ok(capsys, "--local-root", root, "sync", "--create", str(tree), "local://backups/src")
    assert "0 copied" in out and "3 unchanged" in out
    # one changed file (same size!) is the only one sent again
    data = bytearray((tree / "photos" / "dog.png").read_bytes())
    data[100] ^= 0xFF
    (tree / "photos" / "dog.png").write_bytes(bytes(data))
    out = ok(capsys, "--local-root", root, "sync", "--create", str(tree), "local://backups/src")
    assert "copied photos/dog.png" in out and "1 copied" in out
    restored = tmp_path / "restored"
    code, out, _ = run(capsys, "--local-root", root, "sync", "local://backups/src", str(restored))
    assert code == 0 and "3 copied" in out
    for path in tree.rglob("*"):
        if path.is_file():
            assert (restored / path.relative_to(tree)).read_bytes() == path.read_bytes()


def test_sync_dry_run_delete_and_filters(tree: Path, root: str, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "--local-root", root, "sync", "--create", "--include", "*.jpg", "--include", "*.png", str(tree),
        "memory://media")
    out = ok(capsys, "ls", "-r", "memory://media")
    assert out.split() == ["photos/cat.jpg", "photos/dog.png"]
    (tree / "photos" / "cat.jpg").unlink()
    out = ok(capsys, "sync", "--create", "--delete", "--dry-run", str(tree), "memory://media")
    assert "would delete photos/cat.jpg" in out and "would copy notes.txt" in out
    out = ok(capsys, "ls", "-r", "memory://media")
    assert "photos/cat.jpg" in out  # a dry run changes nothing
    out = ok(capsys, "sync", "--delete", "--exclude", "*.txt", str(tree), "memory://media")
    assert "deleted photos/cat.jpg" in out and "skipped notes.txt: excluded by filter" in out
    assert "copied notes.txt" not in out and "deleted notes.txt" not in out


def test_cp_rm_stat(tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "mb", "memory://cp-test")[0] == 0
    assert run(capsys, "cp", str(tree / "notes.txt"), "memory://cp-test/docs/")[0] == 0
    out = ok(capsys, "stat", "--json", "memory://cp-test/docs/notes.txt")
    assert json.loads(out)["size"] == 18 and json.loads(out)["extra"]["content_type"] == "text/plain"
    assert run(capsys, "cp", "memory://cp-test/docs/notes.txt", "memory://cp-test/copy.txt")[0] == 0
    assert run(capsys, "cp", "memory://cp-test/copy.txt", str(tmp_path / "back.txt"))[0] == 0
    assert (tmp_path / "back.txt").read_text() == "remember the milk\n"
    code, out, err = run(capsys, "rm", "-r", "memory://cp-test/")
    assert code == 2 and "--yes" in err  # stdin is not a terminal: refuse rather than ask
    assert run(capsys, "rm", "-r", "--yes", "memory://cp-test/")[1].strip() == "deleted 2 objects"
    assert run(capsys, "rb", "memory://cp-test")[0] == 0


def test_errors_have_one_line_and_distinct_exit_codes(root: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--local-root", root, "stat", "local://nope/x")
    assert code == 3 and err.count("\n") == 1 and "nope" in err
    code, _, err = run(capsys, "ls", "ftp://x")
    assert code == 2 and "not a storage URL" in err
    code, _, err = run(capsys, "cp", "a", "b")
    assert code == 2


def test_console_script_runs(tree: Path, root: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "storagekit.cli", "--local-root", root, "sync", "--create", str(tree), "local://b/x"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "3 copied" in result.stdout and result.stderr == ""


def test_cat_writes_the_bytes(tree: Path, root: str) -> None:
    subprocess.run([sys.executable, "-m", "storagekit.cli", "--local-root", root, "sync", "--create", str(tree), "local://b"],
                   check=True, capture_output=True)
    result = subprocess.run([sys.executable, "-m", "storagekit.cli", "--local-root", root, "cat",
                             "local://b/photos/dog.png"], capture_output=True, check=True)
    assert result.stdout == (tree / "photos" / "dog.png").read_bytes()


def test_sync_writes_a_manifest_and_verify_checks_it(tree: Path, root: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = ok(capsys, "--local-root", root, "sync", "--create", "--manifest", "--label", "photos", "--tag", "owner=ann",
             str(tree), "local://b/set")
    assert "wrote the manifest of 3 files" in out
    out = ok(capsys, "--local-root", root, "verify", "local://b/set")
    assert "3 of 3 files match" in out
    target = Path(root) / "b" / "set" / "notes.txt"
    stat = target.stat()
    target.write_text("remember the mild\n")
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    code, out, err = run(capsys, "--local-root", root, "verify", "local://b/set")
    assert code == 6 and "notes.txt" in err and "2 of 3 files match" in out


def test_check_reports_each_permission(root: str, capsys: pytest.CaptureFixture[str]) -> None:
    ok(capsys, "--local-root", root, "mb", "local://checked")
    out = ok(capsys, "--local-root", root, "check", "local://checked/probe/")
    assert [line.split()[:2] for line in out.splitlines()] == [
        ["list", "yes"], ["read", "yes"], ["write", "yes"], ["overwrite", "yes"], ["delete", "yes"]]
    # refusals (and their reasons) are tested with read-only credentials in tests/integration/test_permissions.py


def test_url_is_not_supported_on_local(root: str, capsys: pytest.CaptureFixture[str]) -> None:
    ok(capsys, "--local-root", root, "mb", "local://u")
    code, _, err = run(capsys, "--local-root", root, "url", "local://u/x")
    assert code == 1 and "presigned" in err


@pytest.mark.parametrize("argument", [
    "az://c/b?sv=2021&sig=abcdef", "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=c2VjcmV0",
    "s3://AKIA:wJalrXUtnFEMI@bucket/key",
])
def test_secrets_on_the_command_line_are_refused(argument: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "ls", argument)
    assert code == 2 and "refusing a secret" in err and argument not in err + out


def test_profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.ini"
    monkeypatch.setenv("STORAGEKIT_CONFIG", str(config))
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("s3cr3t-value\n"))
    ok(capsys, "config", "set", "lab", "--provider", "local", "--local-root", str(tmp_path / "lab-root"),
       "--secret-stdin")
    assert oct(config.stat().st_mode & 0o777) == "0o600"
    out = ok(capsys, "config", "list")
    assert "lab:" in out and "s3cr3t-value" not in out and "secret=***" in out
    code, _, err = run(capsys, "config", "set", "x", "-o", "secret=leak")
    assert code == 2 and "secret" in err
    ok(capsys, "--profile", "lab", "mb", "local://from-profile")
    assert (tmp_path / "lab-root" / "from-profile").is_dir()
    ok(capsys, "config", "remove", "lab")
    code, _, err = run(capsys, "--profile", "lab", "ls", "local://x")
    assert code == 2 and "no profile 'lab'" in err
