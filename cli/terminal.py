"""All terminal output goes through here: results on stdout, warnings and errors on stderr.

Keeping stdout for results only is what lets a pipeline read ``--json`` output while a person
still sees warnings; styles live in one place.
"""

from __future__ import annotations

import json
import os
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

__all__ = ["Terminal"]


PIPE_WIDTH = 160


def _console(stderr: bool) -> Console:
    """A terminal is used at its own width; a pipe or a CI log gets a wide one (rich would assume 80
    columns and squeeze tables into unreadable cells), unless COLUMNS says otherwise."""
    console = Console(stderr=stderr, highlight=False, soft_wrap=True)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(stderr=stderr, highlight=False, soft_wrap=True, width=PIPE_WIDTH)
    return console


class Terminal:
    """Semantic output methods; commands never build a Console themselves."""

    def __init__(self, stdout: Console | None = None, stderr: Console | None = None) -> None:
        self.out = stdout or _console(stderr=False)
        self.err = stderr or _console(stderr=True)

    def info(self, message: str) -> None:
        """A plain result line on stdout."""
        self.out.print(message)

    def success(self, message: str) -> None:
        """A result line that confirms something was done."""
        self.out.print(f"[green]{message}[/green]")

    def warning(self, message: str) -> None:
        """Something the user should know but that does not stop the command (stderr)."""
        self.err.print(f"[yellow]warning:[/yellow] {escape(message)}")

    def error(self, message: str) -> None:
        """The one-line failure message (stderr)."""
        self.err.print(f"[bold red]polyx: error:[/bold red] {escape(message)}", emoji=False)

    def table(self, table: Table) -> None:
        """Render a rich table on stdout."""
        self.out.print(table)

    def json(self, data: Any) -> None:
        """Machine-readable output on stdout: plain JSON, no markup."""
        self.out.file.write(json.dumps(data, indent=2, sort_keys=False, allow_nan=False) + "\n")
