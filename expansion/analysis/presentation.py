"""What ``polyx show`` presents: the terms that matter, how the mass spreads over degrees, and the
other renderings (LaTeX, SymPy, JSON) of one polynomial.

Plain data and text only; the CLI turns the summary into tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from polyx.errors import DataError
from polyx.expansion.writers.artifact import polynomial_to_json
from polyx.expansion.kernel.monomials import names as monomial_names
from polyx.expansion.polynomials.latex import render_latex
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.expansion.writers.sympy_io import render_sympy_module

__all__ = ["TermRow", "OutputSummary", "DegreeRow", "PolynomialSummary", "summarize_polynomial", "render_polynomial", "FORMATS"]

FORMATS = ("table", "latex", "sympy", "json")


@dataclass(frozen=True)
class TermRow:
    """One ranked term: its readable name, coefficient, and share of the output's |coefficient| mass."""

    rank: int
    name: str
    coefficient: float
    share: float


@dataclass(frozen=True)
class OutputSummary:
    """The largest terms of one output (after the threshold) out of ``shown_from`` candidates."""

    name: str
    top: list[TermRow]
    shown_from: int


@dataclass(frozen=True)
class DegreeRow:
    """Terms of one total degree: how many are listed, how many are non-zero, and each output's share."""

    degree: int
    terms: int
    nonzero: int
    shares: list[float]


@dataclass(frozen=True)
class PolynomialSummary:
    """Everything ``polyx show`` prints about a polynomial, in the order it is printed."""

    variables: list[str]
    outputs: list[OutputSummary]
    n_terms: int
    degree: int
    center: list[float] | None
    method: dict
    provenance: dict
    diagnostics: dict
    degrees: list[DegreeRow]


def summarize_polynomial(poly: Polynomial, top: int = 10, threshold: float = 0.0) -> PolynomialSummary:
    """Rank each output's terms by |coefficient| and spread the mass over degrees.

    Shares are of the whole output's |coefficient| sum, before the threshold, so a pruned view
    still says how much of the polynomial it shows.
    """
    if top < 1:
        raise DataError(f"`top` must be at least 1, got {top}")
    magnitude = np.abs(poly.coefficients)
    mass = magnitude.sum(axis=1)
    share = np.divide(magnitude, mass[:, None], out=np.zeros_like(magnitude), where=mass[:, None] > 0)
    outputs = []
    for k, output in enumerate(poly.outputs):
        ranked = poly.top_terms(poly.n_terms, k)
        candidates = ranked[(magnitude[k, ranked] >= threshold) & (magnitude[k, ranked] > 0)]
        shown = candidates[:top]
        names = monomial_names(poly.indices[shown], poly.variables)
        rows = [TermRow(i + 1, names[i], float(poly.coefficients[k, t]), float(share[k, t])) for i, t in enumerate(shown)]
        outputs.append(OutputSummary(output, rows, int(candidates.size)))
    degree_of = poly.term_degrees()
    degrees = [
        DegreeRow(
            d,
            int((degree_of == d).sum()),
            int((magnitude[:, degree_of == d].max(axis=0, initial=0.0) > 0).sum()),
            share[:, degree_of == d].sum(axis=1).tolist(),
        )
        for d in range(poly.degree + 1)
    ]
    center = None if poly.center is None else poly.center.tolist()
    return PolynomialSummary(
        list(poly.variables), outputs, poly.n_terms, poly.degree, center,
        dict(poly.method), dict(poly.provenance), dict(poly.diagnostics), degrees,
    )


def render_polynomial(poly: Polynomial, fmt: str, *, digits: int = 6, threshold: float = 0.0, top: int | None = None) -> str:
    """The polynomial as LaTeX, a SymPy module or artifact JSON, pruned by ``threshold``/``top``.

    JSON and SymPy keep every digit (they are for machines); ``digits`` rounds the LaTeX only.
    """
    if fmt not in FORMATS[1:]:
        raise DataError(f"unknown format '{fmt}'; choose one of {', '.join(FORMATS)}")
    if top is not None and top < 1:
        raise DataError(f"`top` must be at least 1, got {top}")
    shown = poly.pruned(threshold, top=top)
    if fmt == "latex":
        return render_latex(shown, digits=digits, threshold=threshold)
    if fmt == "sympy":
        return render_sympy_module(shown)
    return polynomial_to_json(shown)
