"""SIGINT and SIGTERM as one exception, and the short sections a signal must not cut in half.

A signal stops polyx by raising ``Interrupted`` in the main thread, so every ``finally`` and
``except BaseException`` on the way up removes its temporary files; the CLI then prints one line
and exits 128 + the signal number (130 for SIGINT, 143 for SIGTERM), as shells expect. While a
multi-file write renames its files into place (``deferred``), a signal waits until the renames
are done, so the user gets either all old files or all new ones, never a mix.
"""

from __future__ import annotations

import signal
from contextlib import contextmanager
from typing import Iterator

__all__ = ["Interrupted", "deferred", "install"]

_pending: int | None = None
_raised = False
_depth = 0


class Interrupted(KeyboardInterrupt):
    """The process got SIGINT or SIGTERM; ``exit_code`` is what a shell expects (128 + signal)."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.exit_code = 128 + signum
        self.name = signal.Signals(signum).name
        super().__init__(f"interrupted by {self.name}")


def _raise_once(signum: int) -> None:
    global _raised
    _raised = True
    raise Interrupted(signum)


def _handle(signum: int, frame: object) -> None:
    """Raise at once, or after the current deferred section; later signals only wait for the cleanup."""
    global _pending
    if _pending is not None:
        return
    _pending = signum
    if _depth == 0:
        _raise_once(signum)


def install() -> None:
    """Route SIGINT and SIGTERM to ``Interrupted`` (the CLI entry point calls this first)."""
    global _pending, _raised
    _pending, _raised = None, False
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _handle)


@contextmanager
def deferred() -> Iterator[None]:
    """Hold a signal that arrives inside the block until it ends (the block must be short)."""
    global _depth
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
    if _depth == 0 and _pending is not None and not _raised:
        _raise_once(_pending)
