"""Shell completion scripts generated from the parser, exercised in a real bash."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from storagekit.cli import build_parser
from storagekit.cli.completion import bash_script, fish_script, zsh_script
from tests.support.cli import run_process


def _complete(script: str, *words: str) -> list[str]:
    """COMPREPLY of bash for ``storagekit WORDS`` (the last word is being completed)."""
    line = " ".join(["storagekit", *words])
    program = (f"{script}\nCOMP_WORDS=(storagekit {' '.join(repr(w) for w in words)}); "
               f"COMP_CWORD={len(words)}; COMP_LINE={line!r}; _storagekit; printf '%s\\n' \"${{COMPREPLY[@]}}\"")
    result = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True)
    return [word for word in result.stdout.splitlines() if word]


def test_bash_completes_commands_options_and_choices() -> None:
    script = run_process("completion", "bash").stdout
    assert script == bash_script(build_parser())
    assert {"ls", "du", "mv", "rm", "sync", "completion", "config"} <= set(_complete(script, ""))
    assert _complete(script, "l") == ["ls"]
    assert _complete(script, "--local-root", "/tmp", "r") == ["rb", "rm"]  # an option's value is skipped
    assert set(_complete(script, "ls", "--")) >= {"--long", "--recursive", "--json", "--quiet", "--local-root"}
    assert _complete(script, "config", "l") == ["list"]
    assert _complete(script, "completion", "") == ["bash", "zsh", "fish"]
    assert _complete(script, "ls", "loc") == []  # locations fall back to file names


def test_zsh_uses_the_bash_function() -> None:
    parser = build_parser()
    script = zsh_script(parser)
    assert script.startswith("#compdef storagekit") and "bashcompinit" in script and bash_script(parser) in script
    if shutil.which("zsh"):
        subprocess.run(["zsh", "-n", "-c", script], check=True)


def test_fish_has_a_line_per_command_and_option(tmp_path: Path) -> None:
    script = fish_script(build_parser())
    assert "complete -c storagekit -n __fish_use_subcommand -a du -d 'count the objects and bytes under a location'" \
        in script
    assert "complete -c storagekit -n '__fish_seen_subcommand_from ls' -s l -l long -d 'sizes and dates'" in script
    assert "complete -c storagekit -n '__fish_seen_subcommand_from ls' -l local-root -r -F" in script
    if shutil.which("fish"):
        (tmp_path / "storagekit.fish").write_text(script)
        subprocess.run(["fish", "-n", str(tmp_path / "storagekit.fish")], check=True, env=dict(os.environ))


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_command(shell: str) -> None:
    result = run_process("completion", shell)
    assert result.returncode == 0 and result.stderr == "" and "storagekit" in result.stdout
