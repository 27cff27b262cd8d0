"""Options shared by the commands that read a CSV: which columns are the inputs."""

from __future__ import annotations

from typing import Callable, TypeVar

import click

__all__ = ["column_options", "comma_list"]

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
