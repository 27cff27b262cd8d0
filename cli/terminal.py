"""All terminal output goes through here: results on stdout, warnings and errors on stderr.

Keeping stdout for results only is what lets a pipeline read ``--json`` output while a person
still sees warnings; styles live in one place. Text is printed as it is: paths, column names
and values such as ``[nan, nan]`` are never read as rich markup, and a command that wants a
style says which part gets it (``styled``, ``verdict``). Control and invisible characters (ESC,
BEL, bidirectional overrides …) in any text shown here, a name from a file say, are printed as
visible escapes (``\x1b``) so that nothing read from a file can drive the terminal; errors and
warnings escape newlines too, to stay one line. A parameter a library message names in backticks
is shown as the running command's flag (``polyx.cli.flags``).
"""

from __future__ import annotations

import json
import os
from typing import IO, Any, Union

from rich.console import Console
from rich.table import Table
from rich.text import Text

from polyx.cli.flags import for_cli
from polyx.names import printable

__all__ = ["Terminal", "PlainTable", "Part", "verdict"]


PIPE_WIDTH = 160

Part = Union[str, tuple[str, str]]
"""A piece of a styled line: plain text, or (text, rich style)."""


def _console(stderr: bool) -> Console:
    """A terminal is used at its own width; a pipe or a CI log gets a wide one (rich would assume 80
    columns and squeeze tables into unreadable cells), unless COLUMNS says otherwise."""
    console = Console(stderr=stderr, highlight=False, soft_wrap=True)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(stderr=stderr, highlight=False, soft_wrap=True, width=PIPE_WIDTH)
    return console


LINE_BREAKS = "\n\t"
"""Kept as they are in results (a multi-line cell); escaped in error and warning lines."""


def _text(value: str | Text) -> Text:
    return value if isinstance(value, Text) else Text(printable(value, LINE_BREAKS))


def _part(part: Part, keep: str = LINE_BREAKS) -> Part:
    """A styled-line part with its text made printable, its style kept."""
    if isinstance(part, tuple):
        return (printable(part[0], keep), part[1])
    return printable(part, keep)


class PlainTable(Table):
    """A rich Table whose string title, headers and cells are shown as they are, never as markup."""

    def __init__(self, *headers: str, title: str | None = None, caption: str | None = None, **options: Any) -> None:
        super().__init__(**options)
        for header in headers:
            self.add_column(header)
        self.title = None if title is None else Text(printable(title, LINE_BREAKS), style="table.title")
        self.caption = None if caption is None else Text(printable(caption, LINE_BREAKS), style="table.caption")

    def add_column(self, header: str | Text = "", *args: Any, **options: Any) -> None:
        """As rich's, with a plain-text header."""
        super().add_column(_text(header), *args, **options)

    def add_row(self, *cells: Any, **options: Any) -> None:
        """As rich's, with each string cell shown as plain text."""
        super().add_row(*(_text(cell) if isinstance(cell, str) else cell for cell in cells), **options)


def verdict(passed: bool) -> Text:
    """The gate cell every command shows the same way: green 'passed' or bold red 'FAILED'."""
    return Text("passed", style="green") if passed else Text("FAILED", style="bold red")


class Terminal:
    """Semantic output methods; commands never build a Console themselves."""

    def __init__(self, stdout: Console | None = None, stderr: Console | None = None) -> None:
        self.out = stdout or _console(stderr=False)
        self.err = stderr or _console(stderr=True)

    def results_to_stderr(self) -> None:
        """Standard output carries a file (``-o -``): result lines go to stderr so they do not mix with it."""
        self.out = self.err

    def info(self, message: str) -> None:
        """A plain result line on stdout, printed as it is."""
        self.out.print(_text(message))

    def styled(self, *parts: Part) -> None:
        """A result line on stdout whose (text, style) parts are styled and plain strings are not."""
        self.out.print(Text.assemble(*(_part(part) for part in parts)))

    def success(self, message: str) -> None:
        """A result line that confirms something was done (green)."""
        self.styled((message, "green"))

    def warning(self, message: str) -> None:
        """Something the user should know but that does not stop the command (stderr)."""
        self.err.print(Text.assemble(("warning:", "yellow"), " ", printable(for_cli(message))))

    def error(self, message: str) -> None:
        """The one-line failure message (stderr)."""
        self.err.print(Text.assemble(("polyx: error:", "bold red"), " ", printable(for_cli(message))))

    def table(self, table: Table) -> None:
        """Render a rich table on stdout."""
        self.out.print(table)

    def write(self, text: str) -> None:
        """Text for programs (LaTeX, SymPy, CSV) on stdout exactly as given: no wrapping, no styles."""
        self.out.file.write(text)

    @property
    def stream(self) -> IO[str]:
        """The raw stdout stream, for writers that stream rows (``polyx predict`` without ``-o``)."""
        return self.out.file

    def json(self, data: Any) -> None:
        """Machine-readable output on stdout: plain JSON, no markup."""
        self.write(json.dumps(data, indent=2, sort_keys=False, allow_nan=False) + "\n")
