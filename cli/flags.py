"""Library messages name parameters (`order`); the CLI shows the flag a user typed (``--order``).

The library (``polyx.errors``) writes a parameter in backticks. Here each backticked name that is
an option or argument of the running command becomes what that command calls it: ``--order``
for an option, ``DATA`` for an argument. A name the running command does not have is looked up in
every command (a message about ``--max-memory`` raised below ``polyx trace``, say); a name no
command has (a Python-only parameter) keeps its backticks. A method parameter that ``convert``
gives under another name (``components`` ← ``--mixture``) is read from the method descriptions.
The map is read from the click commands themselves, so a renamed flag is renamed in every message.
"""

from __future__ import annotations

import re

import click

from polyx.errors import PARAMETER

__all__ = ["flag_names", "for_cli"]


def _flag(parameter: click.Parameter) -> str:
    """``--order`` for an option (its first long name: ``--output`` for ``-o/--output``), ``DATA`` for an argument."""
    if isinstance(parameter, click.Option):
        long = [name for name in parameter.opts if name.startswith("--")]
        return (long or list(parameter.opts))[0]
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


def _method_parameters() -> dict[str, str]:
    """A method parameter the CLI gives under another name, by that name: {"components": "mixture", "mean": "gaussian"}.

    Read from the method descriptions (``OptionSpec.set_by``, the ``convert`` options that give a
    parameter): a message from inside a method names its own parameter, the user typed the option.
    """
    from polyx.expansion.methods.catalog import METHOD_SPECS

    return {option.name: option.set_by[0] for spec in METHOD_SPECS.values() for option in spec.options
            if option.set_by and option.set_by[0] != option.name}


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

    aliases = _method_parameters()

    def flag(match: "re.Match[str]") -> str:
        name = match.group(1)
        for candidate in (name, aliases.get(name)):
            if candidate is not None and (candidate in own or candidate in every):
                return own.get(candidate) or every[candidate]
        return match.group(0)

    return PARAMETER.sub(flag, message)
