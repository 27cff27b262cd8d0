"""The progress bar every long command shows on stderr: rows read by verify/predict, layers and degrees
of a conversion.

Shown only when stderr is a terminal and the command's output is for a person (never with
``--json``), and only once the work has taken about a second, so quick commands, CI logs, pipes
and machine-read output stay clean. The library reports through plain callbacks
(``polyx.progress``); this module only draws them.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Callable, Iterator

from polyx.cli.terminal import Terminal

__all__ = ["progress_bar", "DELAY_SECONDS"]

DELAY_SECONDS = 1.0


@contextmanager
def progress_bar(terminal: Terminal, label: str, *, enabled: bool = True) -> Iterator[Callable[..., None]]:
    """A transient bar: yields ``update(done, total)`` for one count, or ``update(stage, done, total)``
    with one line per stage (layer, degree); a no-op when hidden.

    ``total`` None draws a pulsing bar (an Arrow stream does not say how many rows it holds).
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    shown = enabled and terminal.err.is_terminal
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    bar = Progress(*columns, console=terminal.err, transient=True, disable=not shown)
    tasks: dict[str, int] = {}
    started = time.monotonic()
    running = False

    def update(*values: object) -> None:
        nonlocal running
        if not shown:
            return
        stage, (done, total) = (label, values) if len(values) == 2 else (f"{label}: {values[0]}", values[1:])
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=None)
        bar.update(tasks[stage], completed=done, total=total)
        if not running and time.monotonic() - started >= DELAY_SECONDS:
            bar.start()
            running = True

    try:
        yield update
    finally:
        if running:
            bar.stop()
