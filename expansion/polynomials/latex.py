"""The polynomial as LaTeX: one aligned equation per output, for papers and reports.

A pure renderer (text in, text out): the CLI prints it and never writes a half file. Terms keep
graded order, so low-degree effects come first; coefficients are rounded to ``digits``
significant digits and terms smaller than ``threshold`` are left out.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Sequence

import numpy as np

from polyx.errors import DataError
from polyx.expansion.kernel import monomials as sparse
from polyx.names import printable

if TYPE_CHECKING:
    from polyx.expansion.polynomials.polynomial import Polynomial

__all__ = ["render_latex", "latex_name", "latex_number"]

_INDEXED = re.compile(r"^([A-Za-z]+)_?\{?(\d+)\}?$")
_SPECIAL = {
    "\\": r"\backslash{}",
    "{": r"\{",
    "}": r"\}",
    "_": r"\_",
    "^": r"\^{}",
    "~": r"\~{}",
    "#": r"\#",
    "$": r"\$",
    "%": r"\%",
    "&": r"\&",
    " ": r"\ ",
}


def render_latex(
    poly: "Polynomial",
    digits: int = 6,
    threshold: float = 0.0,
    variable_names: Sequence[str] | None = None,
) -> str:
    """An ``aligned`` block with one equation per output, terms by degree.

    ``variable_names`` replaces the polynomial's names (e.g. data columns) in the rendering only.
    """
    if digits < 1:
        raise DataError(f"`digits` must be at least 1, got {digits}")
    names = list(variable_names) if variable_names is not None else list(poly.variables)
    if len(names) != len(poly.variables):
        raise DataError(f"{len(names)} variable names given for a polynomial in {len(poly.variables)} variables")
    bases = [_base(latex_name(name), None if poly.center is None else poly.center[i], digits) for i, name in enumerate(names)]
    monomials = [_monomial(term, bases) for term in sparse.factors(poly.indices)]
    lines = []
    for output, coefficients in zip(poly.outputs, poly.coefficients):
        keep = (np.abs(coefficients) >= threshold) & (coefficients != 0)
        terms = [_term(value, monomials[t], digits, first=not i) for i, (t, value) in enumerate(_kept(coefficients, keep))]
        lines.append(f"{latex_name(output)} &= {''.join(terms) or '0'}")
    return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}\n"


def latex_name(name: str) -> str:
    """A variable or output name in math mode: ``x1`` → ``x_{1}``, ``age`` → ``\\mathrm{age}``."""
    indexed = _INDEXED.match(name)
    if indexed:
        return f"{_letters(indexed.group(1))}_{{{indexed.group(2)}}}"
    return _letters(name)


def latex_number(value: float, digits: int) -> str:
    """``value`` to ``digits`` significant digits, scientific notation as ``1.5 \\times 10^{-7}``."""
    text = f"{value:.{digits}g}"
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    return f"{mantissa} \\times 10^{{{int(exponent)}}}"


def _letters(name: str) -> str:
    if re.fullmatch(r"[A-Za-z]", name):
        return name
    # Control and invisible characters become visible escapes (\x1b), then TeX's specials are escaped.
    return "\\mathrm{" + "".join(_SPECIAL.get(char, char) for char in printable(name)) + "}"


def _base(symbol: str, center: float | None, digits: int) -> str:
    """The variable as it appears in powers: itself, or a bracketed ``(x - c)`` when centred."""
    if center is None or center == 0:
        return symbol
    sign = "-" if center > 0 else "+"
    return f"\\left({symbol} {sign} {latex_number(abs(center), digits)}\\right)"


def _monomial(term: list[tuple[int, int]], bases: list[str]) -> str:
    """A term's (variable, power) pairs as LaTeX factors: ``x_{1}^{2} x_{3}``."""
    return " ".join(bases[v] if p == 1 else f"{bases[v]}^{{{p}}}" for v, p in term)


def _kept(coefficients: np.ndarray, keep: np.ndarray) -> list[tuple[int, float]]:
    return [(int(t), float(coefficients[t])) for t in np.flatnonzero(keep)]


def _term(value: float, monomial: str, digits: int, first: bool) -> str:
    magnitude = latex_number(abs(value), digits)
    body = monomial if monomial and magnitude == "1" else (f"{magnitude}\\,{monomial}" if monomial else magnitude)
    if first:
        return f"-{body}" if value < 0 else body
    return f" - {body}" if value < 0 else f" + {body}"
