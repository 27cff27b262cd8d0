"""Options shared by several commands: which CSV columns are the inputs, and choices the library defines."""

from __future__ import annotations

from typing import Callable, Sequence, TypeVar

import click

__all__ = ["column_options", "comma_list", "engine_options", "LibraryChoice"]

F = TypeVar("F", bound=Callable[..., object])


def comma_list(values: tuple[str, ...] | str | None) -> list[str]:
    """'a,b' or ('a,b', 'c') → ['a', 'b', 'c']: a name list given once or repeated."""
    items = [values] if isinstance(values, str) else list(values or ())
    return [name.strip() for item in items for name in item.split(",") if name.strip()]


def column_options(function: F) -> F:
    """``--columns a,b,c`` (the inputs, in model order) and ``--exclude`` (columns that are not inputs)."""
    function = click.option(
        "--exclude", multiple=True, help="Columns that are not inputs (comma-separated or repeated)."
    )(function)
    return click.option("--columns", help="Input columns in the model's input order, comma-separated.")(function)


def engine_options(function: F) -> F:
    """``--engine local|dask`` and ``--scheduler ADDRESS``: where the rows of a Parquet dataset are evaluated."""
    function = click.option(
        "--scheduler", metavar="ADDRESS",
        help="With --engine dask: the scheduler to use, e.g. tcp://10.0.0.5:8786 [default: a local cluster for this run].",
    )(function)
    return click.option(
        "--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
        help="dask: evaluate each Parquet partition on a Dask cluster (pip install 'polyx[dask]').",
    )(function)


class LibraryChoice(click.Choice):
    """A click.Choice whose values the library defines, read only when the option is parsed or shown.

    The list then lives in one place (``polyx.expansion.expand.METHODS``, say), and the heavy module
    that holds it is not imported by ``polyx --help`` or by the other commands.
    """

    def __init__(self, load: Callable[[], Sequence[str]]) -> None:
        self._load = load
        self.case_sensitive = True

    @property
    def choices(self) -> tuple[str, ...]:  # type: ignore[override]
        """The library's values, in its order."""
        return tuple(self._load())
