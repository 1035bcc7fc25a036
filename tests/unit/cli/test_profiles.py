"""config: secrets never from argv and never printed, clear usage errors, malformed files in one line."""

from __future__ import annotations

import os
import pty
import sys
import time
from pathlib import Path

import pytest

from storagekit.cli.profiles import is_secret
from tests.support.cli import run_process

SECRET = "Zm9vYmFyYmF6cXV4LXRoaXMtaXMtc2VjcmV0"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"STORAGEKIT_CONFIG": str(tmp_path / "config.ini"), "STORAGEKIT_PROFILE": ""}


@pytest.mark.parametrize("name", ["secret", "credential", "sas_token", "account_key", "connection_string", "token",
                                  "password", "auth_token", "client_secret", "Secret"])
def test_secret_settings(name: str) -> None:
    assert is_secret(name)


@pytest.mark.parametrize("name", ["key", "region", "project", "endpoint_url", "account_name", "provider"])
def test_plain_settings(name: str) -> None:
    assert not is_secret(name)


@pytest.mark.parametrize("name", ["secret", "credential", "sas_token", "account_key", "connection_string",
                                  "password", "auth_token"])
def test_a_secret_is_refused_on_the_command_line(name: str, env: dict[str, str]) -> None:
    result = run_process("config", "set", "lab", "-o", f"{name}={SECRET}", env=env)
    assert result.returncode == 2 and SECRET not in result.stderr + result.stdout
    assert f"{name} is a secret" in result.stderr and "--secret-option" in result.stderr
    assert not Path(env["STORAGEKIT_CONFIG"]).exists()


def test_secrets_from_stdin_are_stored_and_hidden(env: dict[str, str]) -> None:
    saved = run_process("config", "set", "lab", "--provider", "minio", "-o", "key=lab-user", "--secret-stdin",
                        "--secret-option", "secret", "--secret-option", "credential", env=env,
                        input=f"{SECRET}\nsecond-{SECRET}\n")
    assert saved.returncode == 0, saved.stderr
    text = Path(env["STORAGEKIT_CONFIG"]).read_text()
    assert f"secret = {SECRET}" in text and f"credential = second-{SECRET}" in text
    listed = run_process("config", "list", env=env)
    assert listed.returncode == 0 and SECRET not in listed.stdout + listed.stderr
    assert listed.stdout == "lab: credential=***, key=lab-user, provider=minio, secret=***\n"


@pytest.mark.parametrize(("argv", "stdin", "message"), [
    (["--ask-secret"], "", "needs a terminal"),
    (["--secret-stdin"], "", "no secret on standard input"),
    (["-o", "novalue"], None, "-o expects KEY=VALUE, not 'novalue'"),
    (["-o", "=value"], None, "-o expects KEY=VALUE"),
    (["--secret-option", "password"], None, "needs --ask-secret or --secret-stdin"),
    (["--secret-stdin", "--secret-option", "region"], "eu\n", "region is not a secret"),
])
def test_usage_errors_not_tracebacks(argv: list[str], stdin: str | None, message: str, env: dict[str, str]) -> None:
    result = run_process("config", "set", "lab", *argv, env=env, input=stdin if stdin is not None else "")
    assert result.returncode == 2 and message in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


@pytest.mark.parametrize("content", [f"secret = {SECRET}\n[profile a]\n", f"[profile a]\nkey\n  = {SECRET}\n[[[\n",
                                     f"[profile a]\nsecret = {SECRET}\n[profile a]\nsecret = {SECRET}\n"])
def test_a_malformed_file_is_one_line_without_its_content(content: str, env: dict[str, str], tmp_path: Path) -> None:
    Path(env["STORAGEKIT_CONFIG"]).write_text(content)
    for argv in (["config", "list"], ["-p", "a", "ls", "memory://x"], ["ls", "-p", "a", "memory://x"]):
        result = run_process(*argv, env=env)
        assert result.returncode == 2, argv
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert SECRET not in result.stderr + result.stdout and "config.ini" in result.stderr


def _on_a_terminal(argv: list[str], env: dict[str, str], typed: bytes) -> tuple[int, str]:
    """Run the command with a pseudo-terminal as its controlling terminal; type ``typed`` at it."""
    root = str(Path(__file__).parents[3])
    pid, terminal = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.environ.update(env, PYTHONPATH=root)
        os.execv(sys.executable, [sys.executable, "-m", "storagekit.cli", *argv])
    seen = b""
    deadline = time.monotonic() + 60
    while b": " not in seen and time.monotonic() < deadline:  # wait for the prompt
        seen += os.read(terminal, 1024)
    os.write(terminal, typed)
    while True:
        try:
            chunk = os.read(terminal, 1024)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    _, status = os.waitpid(pid, 0)
    os.close(terminal)
    return os.waitstatus_to_exitcode(status), seen.decode(errors="replace")


def test_ask_secret_prompts_without_echo(env: dict[str, str]) -> None:
    code, screen = _on_a_terminal(["config", "set", "lab", "--ask-secret", "--secret-option", "account_key"], env,
                                  SECRET.encode() + b"\n")
    assert code == 0, screen
    assert "account_key for profile lab: " in screen and SECRET not in screen
    assert f"account_key = {SECRET}" in Path(env["STORAGEKIT_CONFIG"]).read_text()
    code, screen = _on_a_terminal(["config", "set", "other", "--ask-secret"], env, b"\n")
    assert code == 2 and "no secret given" in screen and "Traceback" not in screen
