"""ls, du, rm, stat, check and url through the real command, on the local and memory drivers."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.support.cli import ok, run

NAMES = ["photos/cat.jpg", "photos/2024/dog.jpg", "photos-2023/old.jpg", "photosynthesis.txt", "notes.txt"]


@pytest.fixture
def store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """A memory container holding NAMES (one byte per character of the name)."""
    container = f"objects-{uuid.uuid4().hex[:8]}"
    ok(capsys, "mb", f"memory://{container}")
    for name in NAMES:
        source = tmp_path / "source"
        source.write_text(name)
        ok(capsys, "cp", str(source), f"memory://{container}/{name}")
    return container


def test_a_key_is_a_directory_never_a_raw_prefix(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert ok(capsys, "ls", f"memory://{store}/photos").split() == ["photos/2024/", "photos/cat.jpg"]
    assert ok(capsys, "ls", "-r", f"memory://{store}/photos").split() == ["photos/2024/dog.jpg", "photos/cat.jpg"]
    assert ok(capsys, "ls", f"memory://{store}/notes.txt").split() == ["notes.txt"]  # one object names itself
    assert ok(capsys, "du", f"memory://{store}/photos").split("\t")[:2] == ["33", "2 objects"]
    code, out, _ = run(capsys, "rm", "-r", "--yes", f"memory://{store}/photos")
    assert code == 0 and out == "deleted 2 objects\n"
    remaining = ok(capsys, "ls", "-r", f"memory://{store}").split()
    assert remaining == ["notes.txt", "photos-2023/old.jpg", "photosynthesis.txt"]


def test_missing_locations_exit_3(store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["ls", f"memory://{store}/photoz"], ["ls", "-r", f"memory://{store}/photoz/"],
                 ["ls", "memory://no-such-container"], ["du", f"memory://{store}/photoz"],
                 ["rm", "-r", "--yes", f"memory://{store}/photoz"], ["rm", "-r", "--yes", f"memory://{store}/phot"],
                 ["ls", "--local-root", str(tmp_path), "local://no-such-container/x"]):
        code, out, err = run(capsys, *argv)
        assert (code, out) == (3, ""), argv
        assert err.count("\n") == 1
    assert len(ok(capsys, "ls", "-r", f"memory://{store}").split()) == len(NAMES)  # nothing was deleted


def test_an_empty_container_lists_nothing_and_succeeds(capsys: pytest.CaptureFixture[str]) -> None:
    ok(capsys, "mb", "memory://empty-one")
    assert ok(capsys, "ls", "memory://empty-one") == ""
    for url in ("memory://empty-one", "memory://empty-one/"):
        assert json.loads(ok(capsys, "du", "--json", url)) == {"location": url, "objects": 0, "bytes": 0}


def test_ls_of_a_store_lists_its_containers(store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert store in ok(capsys, "ls", "memory://").split()
    root = str(tmp_path / "store")
    for name in ("beta", "alpha"):
        ok(capsys, "--local-root", root, "mb", f"local://{name}")
    assert ok(capsys, "--local-root", root, "ls", "local://").split() == ["alpha", "beta"]
    rows = json.loads(ok(capsys, "--local-root", root, "ls", "--json", "local://"))
    assert rows == [{"name": "alpha", "type": "container"}, {"name": "beta", "type": "container"}]


def test_du_counts_and_sizes_in_iec(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "big").write_bytes(os.urandom(1536))
    ok(capsys, "mb", "memory://du-test")
    for name in ("a/1", "a/2", "b/3"):
        ok(capsys, "cp", str(tmp_path / "big"), f"memory://du-test/{name}")
    assert ok(capsys, "du", "-H", "memory://du-test/a") == "3.0 KiB\t2 objects\tmemory://du-test/a\n"
    assert json.loads(ok(capsys, "du", "--json", "memory://du-test")) == {
        "location": "memory://du-test", "objects": 3, "bytes": 4608}


def test_names_are_escaped_for_the_terminal_and_exact_in_json(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    hostile = "report.txt\nfake-line\x1b[31m"
    (tmp_path / "f").write_text("x")
    ok(capsys, "mb", "memory://names")
    ok(capsys, "cp", str(tmp_path / "f"), f"memory://names/{hostile}")
    out = ok(capsys, "ls", "-l", "memory://names")
    assert out.count("\n") == 1 and "\x1b" not in out and "report.txt\\nfake-line\\033[31m" in out
    assert [row["name"] for row in json.loads(ok(capsys, "ls", "--json", "memory://names"))] == [hostile]
    assert "\\n" in ok(capsys, "stat", f"memory://names/{hostile}").splitlines()[0]
    assert json.loads(ok(capsys, "stat", "--json", f"memory://names/{hostile}"))["name"] == hostile
    code, out, _ = run(capsys, "rm", "--json", f"memory://names/{hostile}")
    assert code == 0 and json.loads(out) == {"deleted": [hostile], "failed": {}}


def test_rm_needs_r_for_a_directory_and_refuses_many_without_a_terminal(
        store: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "rm", f"memory://{store}/photos/")
    assert code == 2 and "rm -r" in err
    code, _, err = run(capsys, "rm", "-r", f"memory://{store}/photos")
    assert code == 2 and "2 objects" in err and "photos/2024/dog.jpg, photos/cat.jpg" in err and "--yes" in err
    assert len(ok(capsys, "ls", "-r", f"memory://{store}").split()) == len(NAMES)


def test_rm_prompt_shows_the_count_and_first_names(tmp_path: Path) -> None:
    root = tmp_path / "store" / "c" / "dir"
    root.mkdir(parents=True)
    for index in range(7):
        (root / f"f{index}").write_text("x")
    (tmp_path / "store" / "c" / "dir-2023").write_text("sibling")

    def answer(reply: bytes) -> tuple[int, str]:
        main_fd, terminal = pty.openpty()
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[3])}
        process = subprocess.Popen([sys.executable, "-m", "storagekit.cli", "--local-root", str(tmp_path / "store"),
                                    "rm", "-r", "local://c/dir"], stdin=terminal, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env=env)
        os.close(terminal)
        os.write(main_fd, reply)
        out, err = process.communicate(timeout=60)
        os.close(main_fd)
        return process.returncode, (out + err).decode()

    code, text = answer(b"n\n")
    assert code == 1 and "delete 7 objects under local://c/dir (dir/f0, dir/f1, dir/f2, dir/f3, dir/f4 and 2 more)" \
        in text and "nothing deleted" in text
    assert len(list(root.iterdir())) == 7
    code, text = answer(b"y\n")
    assert code == 0 and "deleted 7 objects" in text
    assert not root.exists() or not list(root.iterdir())
    assert (tmp_path / "store" / "c" / "dir-2023").read_text() == "sibling"


def test_check_as_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = str(tmp_path / "store")
    ok(capsys, "--local-root", root, "mb", "local://checked")
    report = json.loads(ok(capsys, "--local-root", root, "check", "--json", "local://checked/probe/"))
    assert report["ok"] is True and list(report["checks"]) == ["list", "read", "write", "overwrite", "delete"]
    assert all(check == {"allowed": True, "reason": None} for check in report["checks"].values())


def test_url_expiry_beyond_the_maximum_is_an_error(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    code, out, err = run(capsys, "url", "--expires", "999999999", "s3://bucket/key")
    assert (code, out) == (2, "") and "604800" in err and "7 days" in err
    out = ok(capsys, "url", "--expires", "604800", "s3://bucket/key")
    assert "X-Amz-Expires=604800" in out


def test_check_purpose_input_lists_and_reads_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "store"
    ok(capsys, "--local-root", str(root), "mb", "local://checked")
    (root / "checked" / "input").mkdir()
    (root / "checked" / "input" / "cat.png").write_bytes(b"pixels")
    report = json.loads(ok(capsys, "--local-root", str(root), "check", "--json", "--purpose", "input",
                           "local://checked/input/"))
    assert report["purpose"] == "input" and report["ok"] is True and list(report["checks"]) == ["list", "read"]
    assert sorted(path.name for path in (root / "checked" / "input").iterdir()) == ["cat.png"]
