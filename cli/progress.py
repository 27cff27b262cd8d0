"""The progress bar every long command shows on stderr: rows read by verify/predict, stages of a conversion.

Shown only when stderr is a terminal and the command's output is for a person (never with
``--json``), so CI logs, pipes and machine-read output stay clean. The library reports through
plain callbacks (``polyx.progress``); this module only draws them.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

from polyx.cli.terminal import Terminal

__all__ = ["progress_bar"]


@contextmanager
def progress_bar(terminal: Terminal, label: str, *, enabled: bool = True) -> Iterator[Callable[..., None]]:
    """A transient bar: yields ``update(done, total)`` or ``update(stage, done, total)``; a no-op when hidden.

    ``total`` None draws a pulsing bar (an Arrow stream does not say how many rows it holds).
    """
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    shown = enabled and terminal.err.is_terminal
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=terminal.err, transient=True, disable=not shown) as bar:
        task = bar.add_task(label, total=None)

        def update(*values: object) -> None:
            stage, (done, total) = (label, values) if len(values) == 2 else (f"{label}: {values[0]}", values[1:])
            bar.update(task, description=str(stage), completed=done, total=total)

        yield update
