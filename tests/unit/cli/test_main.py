"""What every subcommand shares: locations checked, global options anywhere, -q, progress, pipes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from storagekit.cli import build_parser
from tests.support.cli import ok, run, run_process

TYPOS = ["s4://bucket/x", "gs:/bucket", "s3:/b"]


def _commands_with(typo: str, real: str) -> list[list[str]]:
    """Every subcommand that takes a location, with the typo in each location position."""
    single = [["ls", typo], ["du", typo], ["stat", typo], ["cat", typo], ["mb", typo], ["rb", typo],
              ["rm", typo], ["rm", "-r", "--yes", typo], ["url", typo], ["check", typo], ["verify", typo],
              ["whoami", typo]]
    pairs = [[command, *sides] for command in ("cp", "mv", "sync") for sides in ((typo, real), (real, typo))]
    return single + pairs + [["cp", "-r", real, typo], ["sync", "--delete", real, typo]]


@pytest.mark.parametrize("typo", TYPOS)
def test_a_mistyped_scheme_is_an_error_in_every_command(typo: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    real = tmp_path / "real"
    real.mkdir()
    (real / "file.txt").write_text("keep me\n")
    commands = _commands_with(typo, str(real / "file.txt"))
    assert {argv[0] for argv in commands} >= {name for name in _location_commands()}
    for argv in commands:
        code, _, err = run(capsys, "--local-root", str(tmp_path / "store"), *argv)
        assert code == 2, (argv, err)
        assert "known schemes: s3://" in err and err.count("\n") == 1, argv
    assert sorted(p.name for p in tmp_path.iterdir()) == ["real"]  # no ./s4:/... and no store
    assert (real / "file.txt").read_text() == "keep me\n"


def _location_commands() -> set[str]:
    """The subcommands with a location, source or destination argument, read from the parser."""
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return {name for name, sub in action.choices.items()  # type: ignore[union-attr]
            if {a.dest for a in sub._actions} & {"location", "source", "destination"}}


def test_global_options_go_before_or_after_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = str(tmp_path / "store")
    ok(capsys, "mb", "--local-root", root, "local://b")
    assert ok(capsys, "--local-root", root, "ls", "local://").split() == ["b"]
    assert ok(capsys, "ls", "-q", "--local-root", root, "local://").split() == ["b"]
    # an option before the command is not undone by the subcommand's defaults
    assert ok(capsys, "--local-root", root, "-q", "ls", "--json", "local://").count('"b"') == 1
    assert run(capsys, "ls", "local://")[0] == 2  # and without it, no root: a usage error


def test_quiet_prints_only_what_was_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = str(tmp_path / "store")
    source = tmp_path / "a.txt"
    source.write_text("a\n")
    for argv in (["mb", "local://q"], ["cp", str(source), "local://q/a.txt"], ["mv", "local://q/a.txt", "local://q/b"],
                 ["rm", "local://q/b"]):
        code, out, err = run(capsys, "-q", "--local-root", root, *argv)
        assert (code, out, err) == (0, "", ""), argv
    code, out, err = run(capsys, "--local-root", root, "-q", "ls", "local://")
    assert (code, out, err) == (0, "q\n", "")
    code, out, err = run(capsys, "--local-root", root, "-q", "stat", "local://q/missing")
    assert code == 3 and out == "" and "missing" in err


def test_progress_flags(tmp_path: Path) -> None:
    root = str(tmp_path / "store")
    assert run_process("--local-root", root, "mb", "local://p").returncode == 0

    def move(*flags: str) -> subprocess.CompletedProcess[str]:
        big = tmp_path / "big.bin"
        big.write_bytes(os.urandom(3 * 1024 * 1024))
        return run_process("--local-root", root, "mv", *flags, str(big), "local://p/big.bin")

    shown = move("--progress")
    assert shown.returncode == 0 and "big.bin" in shown.stderr and "iB/s" in shown.stderr  # stderr is a pipe
    hidden = move("--no-progress")
    assert hidden.returncode == 0 and hidden.stderr == "" and "moved" in hidden.stdout
    quiet = move("-q")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    assert move("--progress", "-q").stderr != ""  # asked for explicitly, progress wins over -q


def test_a_closed_pipe_ends_quietly_with_sigpipe_status(tmp_path: Path) -> None:
    container = tmp_path / "store" / "many"
    container.mkdir(parents=True)
    for index in range(3000):
        (container / f"object-{index:05d}-with-a-long-enough-name").write_bytes(b"")
    script = (f"{sys.executable} -m storagekit.cli --local-root {tmp_path / 'store'} ls local://many | head -1; "
              "echo status=${PIPESTATUS[0]}")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[3])}
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, check=False)
    assert result.stdout == "object-00000-with-a-long-enough-name\nstatus=141\n"
    assert result.stderr == ""


def test_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = str(tmp_path / "store")
    assert run(capsys, "--local-root", root, "stat", "local://none/x")[0] == 3
    ok(capsys, "--local-root", root, "mb", "local://c")
    assert run(capsys, "--local-root", root, "stat", "local://c/x")[0] == 3
    assert run(capsys, "--local-root", root, "mb", "local://c")[0] == 1  # exists already
    assert run(capsys, "ls", "memory://x/?sig=abc")[0] == 2  # a secret on the command line
    with pytest.raises(SystemExit) as exited:
        run(capsys, "ls", "--no-such-option", "memory://x")
    assert exited.value.code == 2


def test_an_error_quoting_a_hostile_name_stays_one_escaped_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "mb", "memory://errors-escaped")[0] == 0
    code, out, err = run(capsys, "stat", "memory://errors-escaped/x\nstoragekit: all good\x1b[2K")
    assert code == 3 and out == ""
    assert err.count("\n") == 1 and "\x1b" not in err and "x\\nstoragekit: all good\\033[2K" in err
