"""Options shared by the commands that read a CSV: which columns are the inputs."""

from __future__ import annotations

from typing import Callable, TypeVar

import click

__all__ = ["column_options", "comma_list", "parse_taylor_orders"]

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


def parse_taylor_orders(text: str) -> int | list[int]:
    """'8' → 8 (nn2poly's scalar: every non-linear layer) and '8,8,1' → [8, 8, 1] (one per layer)."""
    from polyx.conversion import parse_numbers

    values = parse_numbers(text, "--taylor-orders")
    orders = [int(v) for v in values]
    if orders != values:
        raise click.BadParameter("Taylor orders are whole numbers, e.g. 8 or 8,8,1")
    return orders[0] if len(orders) == 1 and "," not in text else orders
