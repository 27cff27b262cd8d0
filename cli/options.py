"""Options shared by several commands, and the parameter types every command's options are checked by.

Each option is checked here, when click parses it, so that no command ever sees a NaN threshold,
an infinite Taylor centre, a negative seed or a sample count no machine can hold: a bad value is
one ``polyx: error:`` line naming the option, exit code 2, before any file is read or written.
The limits and their reasons are in docs/options-and-errors.md; the numbers live below so that
the library and the documentation quote the same ones.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence, TypeVar

import click

from polyx.expansion.kernel.budget import MAX_ORDER

__all__ = [
    "column_options", "comma_list", "engine_options", "gate_bound", "LibraryChoice", "FiniteFloat", "FiniteFloatList",
    "TaylorOrders", "MemorySize", "ORDER", "SEED", "SAMPLES", "CHECK_SAMPLES", "DIGITS", "TOP", "ROWS", "INTERACTION",
    "COORDINATE", "COMPONENTS", "MAX_COMPONENTS", "MAX_ORDER", "MAX_SEED", "MAX_SAMPLES", "MAX_DIGITS", "MAX_TOP", "MAX_ROWS", "MAX_COORDINATE",
]

F = TypeVar("F", bound=Callable[..., object])


MAX_SEED = 2**32 - 1
"""Seeds are 0 … 2³²−1: numpy's classic seed range, and exact in every JSON reader (which keep
integers exact only up to 2⁵³) where the seed is recorded in the artifact."""

MAX_SAMPLES = 1_000_000
"""Monte-Carlo draws (``--samples``, ``--check-samples``, ``inspect --samples``): every draw runs the
network (a million took 44 s for the 6-8-8-1 sample network on a busy two-core machine), held-out and
check draws are held in memory at once, and the Monte-Carlo error (∝ 1/√N) is already about 10⁻³
of the spread at 10⁶ draws."""

MAX_COMPONENTS = 64
"""Gaussian mixture components (``--mixture``): each one costs a closed-form expansion and EM pass; a
data set that needs more than 64 Gaussians to describe it is better served by ``--data`` alone."""

MAX_DIGITS = 17
"""Significant digits printed: 17 are enough to round-trip any float64, more are noise."""

MAX_TOP = 1_000_000
"""Terms listed per output (``--top``): a million rows of a table or bars of a plot is already
more than anyone reads; a larger number only asks the renderer to allocate for it."""

MAX_ROWS = 10_000_000
"""Rows held in memory at once (``--max-rows``, ``--chunk-rows``): 10⁷ rows of 100 float64 columns
are 8 GB already; the data itself may be any length (it is streamed)."""

MAX_COORDINATE = 1e6
"""Largest |value| of a point or Taylor centre (``--at``, ``--taylor-center``): the expansion raises
it to powers up to the order (10⁶ to the 52nd overflows float64), and every activation polyx
supports is flat to the last digit long before 10⁶."""


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

    The list then lives in one place (``polyx.expansion.methods.expand.METHODS``, say), and the heavy module
    that holds it is not imported by ``polyx --help`` or by the other commands.
    """

    def __init__(self, load: Callable[[], Sequence[str]]) -> None:
        self._load = load
        self.case_sensitive = True

    @property
    def choices(self) -> tuple[str, ...]:  # type: ignore[override]
        """The library's values, in its order."""
        return tuple(self._load())


def _finite(text: Any, type_: click.ParamType, param: click.Parameter | None, ctx: click.Context | None) -> float:
    """``text`` as a finite float, or click's one-line failure (NaN and ±inf compare false to every
    bound, so a range check alone lets NaN through)."""
    try:
        number = float(text)
    except (TypeError, ValueError, OverflowError):
        type_.fail(f"{text!r} is not a number", param, ctx)
    if not math.isfinite(number):
        type_.fail(f"{text!r} is not a finite number", param, ctx)
    return number


class FiniteFloat(click.FloatRange):
    """A float option that must be finite (no NaN, no ±inf), and within [min, max] when given."""

    name = "number"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """Finite first, then click's range check (with its wording of the range)."""
        return super().convert(_finite(value, self, param, ctx), param, ctx)


class FiniteFloatList(click.ParamType):
    """A comma-separated list of finite numbers within ±``limit``, e.g. ``--at=0.5,-0.2``."""

    name = "numbers"

    def __init__(self, limit: float = MAX_COORDINATE) -> None:
        self.limit = limit

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """'0.5,-0.2' → (0.5, -0.2); an empty list, a non-number or a value out of range fails."""
        if isinstance(value, tuple):
            return value
        parts = [part.strip() for part in str(value).split(",")]
        try:
            numbers = tuple(float(part) for part in parts)
        except ValueError:
            self.fail(f"{value!r} is not a comma-separated list of numbers; write it like 0.5,-0.2", param, ctx)
        if not all(math.isfinite(number) for number in numbers):
            self.fail(f"{value!r} must list finite numbers (no nan or inf), e.g. 0.5,-0.2", param, ctx)
        outside = [number for number in numbers if abs(number) > self.limit]
        if outside:
            self.fail(f"{outside[0]:g} is outside ±{self.limit:g}, the largest coordinate polyx expands about", param, ctx)
        return numbers


class TaylorOrders(click.ParamType):
    """``--taylor-orders``: one whole order, or one per layer (``8,8,1``), each from 1 to the library's limit."""

    name = "orders"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """'8' → 8 and '8,8,1' → [8, 8, 1], as ``polyx.conversion.parse_taylor_orders`` reads them."""
        from polyx.conversion import parse_taylor_orders
        from polyx.errors import PolyxError

        if not isinstance(value, str):
            return value
        if not all(part.strip() for part in value.split(",")):
            self.fail(f"{value!r} has an empty entry; write one order (8) or one per layer (8,8,1)", param, ctx)
        try:
            return parse_taylor_orders(value)
        except PolyxError as error:
            self.fail(str(error), param, ctx)


class MemorySize(click.ParamType):
    """``--max-memory``: a size like 4GB, 512MiB or 2e9 bytes."""

    name = "size"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """The size in bytes, as ``polyx.expansion.kernel.budget.parse_memory`` reads it."""
        from polyx.errors import PolyxError
        from polyx.expansion.kernel.budget import parse_memory

        if isinstance(value, int):
            return value
        try:
            return parse_memory(value)
        except PolyxError as error:
            self.fail(str(error), param, ctx)


def gate_bound(operator: str, metric: str) -> FiniteFloat:
    """A ``verify`` gate's bound: finite and within the metric's range (errors ≥ 0, R² ≤ 1, a share of rows in [0, 1])."""
    if operator == "<=":
        return FiniteFloat(min=0)
    return FiniteFloat(0, 1) if metric == "argmax_agreement" else FiniteFloat(max=1)


ORDER = click.IntRange(0, MAX_ORDER)
SEED = click.IntRange(0, MAX_SEED)
SAMPLES = click.IntRange(1, MAX_SAMPLES)
CHECK_SAMPLES = click.IntRange(0, MAX_SAMPLES)
DIGITS = click.IntRange(1, MAX_DIGITS)
TOP = click.IntRange(1, MAX_TOP)
ROWS = click.IntRange(1, MAX_ROWS)
INTERACTION = click.IntRange(1, MAX_ORDER)
COMPONENTS = click.IntRange(1, MAX_COMPONENTS)
COORDINATE = FiniteFloat(-MAX_COORDINATE, MAX_COORDINATE)
