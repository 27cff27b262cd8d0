"""How long work tells whoever is watching how far it got: one callback, a no-op unless someone listens.

Expansions report per layer and per degree (``report("layer", 2, 3)``) from deep inside the
engine, where threading a callback argument through every method would touch every signature;
the callback therefore lives in a context variable, set for a block of code with ``reporting``.
The library never draws anything: the CLI renders a rich bar, a notebook user may pass a
function that prints, and everyone else pays one function call per layer.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable, Iterator, Optional, Protocol

__all__ = ["ProgressCallback", "report", "reporting"]


class ProgressCallback(Protocol):
    """``callback(stage, done, total)``: ``stage`` names what is counted ("layer", "degree", "rows"),
    ``done`` of ``total`` units are finished (``total`` None when it is not known)."""

    def __call__(self, stage: str, done: int, total: Optional[int]) -> None: ...


def _ignore(stage: str, done: int, total: Optional[int]) -> None:
    """The default: nobody is watching."""


_CURRENT: ContextVar[Callable[[str, int, Optional[int]], None]] = ContextVar("polyx_progress", default=_ignore)


def report(stage: str, done: int, total: Optional[int]) -> None:
    """Tell the current listener (if any) that ``done`` of ``total`` units of ``stage`` are finished."""
    _CURRENT.get()(stage, done, total)


@contextmanager
def reporting(callback: ProgressCallback | None) -> Iterator[None]:
    """Send the ``report`` calls made inside the block to ``callback`` (None: keep them silent)."""
    token = _CURRENT.set(callback if callback is not None else _ignore)
    try:
        yield
    finally:
        _CURRENT.reset(token)
