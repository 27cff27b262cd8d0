"""What an expansion method is, as data: its name, its options (type, default, range) and its diagnostics.

``polyx.expand`` checks the parameters a caller passes against the method's ``MethodSpec`` (an
unknown or ill-typed one is a ``MethodError`` naming it and the method's options) and fills the
defaults from it; ``polyx convert`` (library and CLI) and ``polyx demo`` read which options belong to
which method from the same description (``polyx.expansion.methods.catalog``), so a method or an
option is added in one place. Nothing here imports an implementation: the CLI reads the specs to
build its help without loading numpy-heavy modules.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from polyx.errors import MethodError

__all__ = ["KINDS", "OptionSpec", "DiagnosticSpec", "MethodSpec"]

KINDS = {
    "int": "a whole number",
    "float": "a finite number",
    "bool": "True or False",
    "choice": "one of the listed words",
    "text": "a string",
    "names": "a sequence of strings",
    "orders": "a whole number or a sequence of them (one per layer)",
    "point": "a sequence of numbers (one per input)",
    "vector": "a sequence of numbers",
    "matrix": "a 2-D array of numbers",
    "rows": "a 2-D array of input rows",
    "mixture": "a GaussianMixture",
}
"""Every option kind, with how a message describes a value of it."""


def _is_whole(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_array_like(value: Any, dimensions: int | None) -> bool:
    """A numeric array or nested sequence (never a string or a mapping), with the given number of axes if not None."""
    if isinstance(value, (str, bytes, Mapping)):
        return False
    import numpy as np

    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return dimensions is None or array.ndim == dimensions


def _has_kind(kind: str, value: Any) -> bool:
    """Whether ``value`` is of the option kind (ranges and choices are checked apart)."""
    if kind == "int":
        return _is_whole(value)
    if kind == "float":
        return _is_real(value)
    if kind == "bool":
        return isinstance(value, bool) or type(value).__name__ == "bool_"
    if kind in ("choice", "text"):
        return isinstance(value, str)
    if kind == "names":
        return not isinstance(value, (str, bytes)) and isinstance(value, Sequence) and all(isinstance(v, str) for v in value)
    if kind == "orders":
        return _is_whole(value) or (not isinstance(value, (str, bytes)) and isinstance(value, Sequence)
                                    and len(value) > 0 and all(_is_whole(v) for v in value))
    if kind == "point":  # its length and values are the method's to check, with the network at hand
        return not isinstance(value, (str, bytes, Mapping))
    if kind in ("vector", "matrix", "rows"):  # numbers; their shapes are the method's to check against the network
        return _is_array_like(value, None)
    if kind == "mixture":
        return all(hasattr(value, part) for part in ("weights", "means", "covs"))
    raise ValueError(f"unknown option kind {kind!r}")


def _number(value: float) -> str:
    """A bound as a message shows it: 4294967295, not 4.29497e+09; 0.5 as 0.5."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


@dataclass(frozen=True)
class OptionSpec:
    """One parameter of a method: what it takes, its default and why it is there.

    ``set_by`` lists the fields of ``polyx.conversion.ConversionRequest`` (the ``polyx convert``
    options) that give this parameter; empty for a parameter only Python callers pass. ``source``
    names the text parameter that records where rows came from (``data`` → ``data_source``).
    """

    name: str
    kind: str
    default: Any = None
    help: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    set_by: tuple[str, ...] = ()
    source: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"option {self.name}: unknown kind {self.kind!r}")

    def describe(self) -> str:
        """What the option takes, for a message: 'a whole number ≥ 1', 'one of all, diagonal'."""
        if self.choices:
            return f"one of {', '.join(self.choices)}"
        low, high = self.minimum, self.maximum
        if low is not None and high is not None:
            return f"{KINDS[self.kind]} from {_number(low)} to {_number(high)}"
        if low is not None or high is not None:
            return f"{KINDS[self.kind]} {'≥' if low is not None else '≤'} {_number(low if low is not None else high)}"
        return KINDS[self.kind]

    def check(self, value: Any, method: str) -> Any:
        """The value if it fits the option (None where the default is None), else a MethodError naming it."""
        if value is None and self.default is None:
            return value
        if not _has_kind(self.kind, value) or (self.choices and value not in self.choices):
            shown = repr(value) if isinstance(value, (str, numbers.Number)) else type(value).__name__
            raise MethodError(f"`{self.name}` of the {method} method must be {self.describe()}, got {shown}",
                              option=self.name)
        bound = self._bound_broken(value)
        if bound:
            shown = value if _is_real(value) else [v for v in value]
            raise MethodError(f"`{self.name}` must be {bound}, got {shown}", option=self.name)
        return value

    def _bound_broken(self, value: Any) -> str | None:
        """The bound a number (or any of a list of them) breaks, as a message says it: '≥ 1'; None if none."""
        if self.kind not in ("int", "float", "orders"):
            return None
        values = [value] if _is_real(value) else list(value)
        if not all(math.isfinite(v) for v in values):
            return "finite"
        if self.minimum is not None and any(v < self.minimum for v in values):
            return f"≥ {_number(self.minimum)}"
        if self.maximum is not None and any(v > self.maximum for v in values):
            return f"≤ {_number(self.maximum)}"
        return None


@dataclass(frozen=True)
class DiagnosticSpec:
    """One entry a method may write to ``polynomial.diagnostics``: its key, JSON type and meaning."""

    name: str
    kind: type | tuple[type, ...]
    help: str = ""


@dataclass(frozen=True)
class MethodSpec:
    """An expansion method as the library, ``polyx convert`` and ``polyx demo`` know it."""

    name: str
    title: str
    """A few words for a list of methods: 'exact local Taylor at a point'."""
    summary: str
    """One line for a report: what the method computes, and whose method it is."""
    options: tuple[OptionSpec, ...]
    diagnostics: tuple[DiagnosticSpec, ...] = ()
    aliases: tuple[str, ...] = ()
    recorded: tuple[str, ...] = ("order",)
    """The parameters every polynomial of this method records in its ``method`` block."""
    _by_name: dict[str, OptionSpec] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {option.name: option for option in self.options})

    def option(self, name: str) -> OptionSpec:
        """The named option (KeyError if the method has none of that name)."""
        return self._by_name[name]

    @property
    def option_names(self) -> tuple[str, ...]:
        """The method's parameters, in the order its description lists them."""
        return tuple(self._by_name)

    def request_fields(self) -> set[str]:
        """The ``polyx convert`` options (ConversionRequest fields) that give this method a parameter."""
        return {name for option in self.options for name in option.set_by}

    def parameters(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Every parameter with its default filled in, after checking the given ones.

        An unknown name or a value of the wrong kind or outside the option's range is a
        ``MethodError`` that names the parameter and lists the method's options.
        """
        unknown = [name for name in given if name not in self._by_name]
        if unknown:
            known = ", ".join(f"`{name}`" for name in self.option_names)
            raise MethodError(f"the {self.name} method has no parameter '{unknown[0]}'; its parameters are `order`, {known}",
                              option=unknown[0])
        filled = {option.name: option.default for option in self.options}
        for name, value in given.items():
            filled[name] = self._by_name[name].check(value, self.name)
        return filled
