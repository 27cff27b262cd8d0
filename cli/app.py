"""The state every command receives: the terminal and whether --debug is on."""

from __future__ import annotations

from dataclasses import dataclass, field

from polyx.cli.terminal import Terminal

__all__ = ["App"]


@dataclass
class App:
    """Passed to commands with ``@click.pass_obj``."""

    debug: bool = False
    terminal: Terminal = field(default_factory=Terminal)
