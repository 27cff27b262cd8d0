"""Library messages name parameters (`order`); the CLI shows the flag a user typed (``--order``).

The library (``polyx.errors``) writes a parameter in backticks. Here each backticked name that is
an option or argument of the running command becomes what that command calls it: ``--order``
for an option, ``DATA`` for an argument. A name the running command does not have is looked up in
every command (a message about ``--max-memory`` raised below ``polyx trace``, say); a name no
command has (a Python-only parameter) keeps its backticks. The one map is read from the click
commands themselves, so a renamed flag is renamed in every message.
"""

from __future__ import annotations

import re

import click

from polyx.errors import PARAMETER

__all__ = ["flag_names", "for_cli"]


def _flag(parameter: click.Parameter) -> str:
    """``--order`` for an option (its name as declared first: ``-o`` for ``-o/--output``), ``DATA`` for an argument."""
    if isinstance(parameter, click.Option):
        return parameter.opts[0]
    return (parameter.human_readable_name or str(parameter.name)).upper()


def flag_names(command: click.Command) -> dict[str, str]:
    """The command's parameters by their Python name: {"order": "--order", "data": "DATA", ...}."""
    return {str(parameter.name): _flag(parameter) for parameter in command.params if parameter.name}


def _every_flag(root: click.Command | None) -> dict[str, str]:
    """Every subcommand's options under ``root`` (the first command to name one wins; commands agree on shared names)."""
    names: dict[str, str] = {}
    for command in getattr(root, "commands", {}).values():
        for name, flag in flag_names(command).items():
            if flag.startswith("-"):
                names.setdefault(name, flag)
    return names


def for_cli(message: str, command: click.Command | None = None) -> str:
    """The message with each backticked parameter shown as ``command``'s flag (default: the running command's).

    Outside a click context (a library call) the message is returned as it is.
    """
    if "`" not in message:
        return message
    context = click.get_current_context(silent=True)
    root = context.find_root().command if context is not None else None
    running = command or (context.command if context is not None else None)
    own = flag_names(running) if running is not None else {}
    every = _every_flag(root)

    def flag(match: "re.Match[str]") -> str:
        name = match.group(1)
        return own.get(name) or every.get(name) or match.group(0)

    return PARAMETER.sub(flag, message)
