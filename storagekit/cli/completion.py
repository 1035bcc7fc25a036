"""The ``completion`` subcommand: a shell completion script for bash, zsh or fish.

The script is generated from the parser itself, so every subcommand and option is completed
as it is declared (nothing to keep in step, no extra package). Install it with, for example::

    storagekit completion bash > ~/.local/share/bash-completion/completions/storagekit
    storagekit completion zsh > "${fpath[1]}/_storagekit"     # or: source <(storagekit completion zsh)
    storagekit completion fish > ~/.config/fish/completions/storagekit.fish

Positional arguments (locations) complete as file names.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from ._common import Command

SHELLS = ("bash", "zsh", "fish")


@dataclass(frozen=True)
class _Option:
    flags: tuple[str, ...]
    takes_value: bool
    help: str


@dataclass(frozen=True)
class _Subcommand:
    name: str
    help: str
    options: tuple[_Option, ...]
    words: tuple[str, ...]
    """Fixed values of its positionals (``config set|list|...``)."""


def _options(parser: argparse.ArgumentParser) -> tuple[_Option, ...]:
    return tuple(_Option(tuple(action.option_strings), action.nargs != 0, action.help or "")
                 for action in parser._actions if action.option_strings and action.help != argparse.SUPPRESS)


def _commands(parser: argparse.ArgumentParser) -> list[_Subcommand]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
    return [_Subcommand(name, helps.get(name, ""), _options(sub),
                        tuple(word for a in sub._actions if not a.option_strings and a.choices
                              for word in a.choices))
            for name, sub in action.choices.items()]


def _flags(options: tuple[_Option, ...], with_value: bool | None = None) -> list[str]:
    return [flag for option in options if with_value is None or option.takes_value == with_value
            for flag in option.flags]


def bash_script(parser: argparse.ArgumentParser) -> str:
    """A bash completion function for ``storagekit`` (also used by zsh through bashcompinit)."""
    top = _options(parser)
    commands = _commands(parser)
    valued = "|".join(_flags(top, with_value=True))
    cases = "\n".join(f'        {c.name}) words="{" ".join(c.words)}"; opts="{" ".join(_flags(c.options))}";;'
                      for c in commands)
    return f"""# storagekit completion for bash: source this file, or put it in bash-completion's directory
_storagekit() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" command="" words="" opts="" i
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${{COMP_WORDS[i]}}" in
            {valued}) ((i++));;
            -*) ;;
            *) command="${{COMP_WORDS[i]}}"; break;;
        esac
    done
    case "$command" in
        "") words="{" ".join(c.name for c in commands)}"; opts="{" ".join(_flags(top))}";;
{cases}
    esac
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    elif [[ -n "$words" ]]; then
        COMPREPLY=($(compgen -W "$words" -- "$cur"))
    fi
}}
complete -o default -o bashdefault -F _storagekit storagekit
"""


def zsh_script(parser: argparse.ArgumentParser) -> str:
    """zsh completion: the bash function through zsh's bashcompinit."""
    return ("#compdef storagekit\n# storagekit completion for zsh\n"
            "autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n"
            + bash_script(parser))


def fish_script(parser: argparse.ArgumentParser) -> str:
    """fish completion: one ``complete`` line per subcommand and per option."""
    lines = ["# storagekit completion for fish", "complete -c storagekit -f"]
    for command in _commands(parser):
        lines.append(f"complete -c storagekit -n __fish_use_subcommand -a {command.name} -d {_quoted(command.help)}")
        condition = f"'__fish_seen_subcommand_from {command.name}'"
        if command.words:
            lines.append(f"complete -c storagekit -n {condition} -a {_quoted(' '.join(command.words))}")
        for option in command.options:
            lines.append(f"complete -c storagekit -n {condition} {_fish_flags(option)}")
    lines.extend(f"complete -c storagekit -n __fish_use_subcommand {_fish_flags(o)}" for o in _options(parser))
    return "\n".join(lines) + "\n"


def _fish_flags(option: _Option) -> str:
    parts = [f"-l {flag[2:]}" if flag.startswith("--") else f"-s {flag[1:]}" for flag in option.flags]
    parts.append("-r -F" if option.takes_value else "")
    return " ".join(part for part in parts if part) + f" -d {_quoted(option.help)}"


def _quoted(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def completion(cmd: Command) -> int:
    from . import build_parser  # the whole parser, this subcommand included

    parser = build_parser()
    script = {"bash": bash_script, "zsh": zsh_script, "fish": fish_script}[cmd.args.shell](parser)
    cmd.output(script.rstrip("\n"))
    return 0


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare the ``completion`` subcommand."""
    completion_ = commands.add_parser("completion", help="print a shell completion script")
    completion_.add_argument("shell", choices=SHELLS)
    completion_.set_defaults(run=completion)
