"""Function discovery (HOPE §5.5): expand at several points and ask which terms every expansion shares.

A network that has learned a polynomial p of degree ≤ q has the same Taylor polynomial of order q
at every point, namely p itself; a network that has not gives local polynomials (in powers of x)
that change from point to point. Expanding at a handful of reference points and comparing the
local polynomials term by term therefore reads off which part of the function is global.

For each output o and term t the points give coefficients c_p (in powers of x). The spread is
max_p c_p − min_p c_p and the scale max_p |c_p|, floored at ``SCALE_FLOOR`` times the output's
largest |coefficient| (so rounding noise on a term that is zero everywhere is not a disagreement).
A term agrees when spread ≤ tolerance · scale; a degree agrees when all its terms do.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from polyx.errors import DataError, MethodError
from polyx.expansion.methods.records import diagnostics_of
from polyx.expansion.polynomials.polynomial import Polynomial

__all__ = ["DEFAULT_AGREEMENT_TOLERANCE", "MAX_POINTS", "SCALE_FLOOR", "expand_at_points", "agreement", "combined"]

DEFAULT_AGREEMENT_TOLERANCE = 1e-2
"""A term is read as global when the points' coefficients agree to 1% of its size: a trained network
only approximates the function it learned, so exact agreement is the exception (a polynomial network)."""

MAX_POINTS = 1000
"""Each point is a full Taylor expansion; a thousand already shows any disagreement there is."""

SCALE_FLOOR = 1e-12


def expand_at_points(network: Any, points: np.ndarray, order: int, tolerance: float = DEFAULT_AGREEMENT_TOLERANCE,
                     source: str | None = None, variables: Sequence[str] | None = None, **options: Any) -> Polynomial:
    """The local Taylor polynomials (in powers of x) at every row of ``points``, combined.

    The returned polynomial is the mean of the local ones; its ``diagnostics["agreement"]`` says,
    term by term, how far they differ and which terms agree within ``tolerance`` (the global
    reading), and ``diagnostics["local"]`` keeps every local polynomial's coefficients.
    ``variables`` (a data file's column names) name the terms in the report.
    """
    from polyx.expansion.methods.expand import expand

    points = np.atleast_2d(np.asarray(points, dtype=np.float64))
    if points.shape[0] < 2:
        raise DataError(f"`at_points` needs at least 2 rows to compare expansions; {source or 'the file'} has {points.shape[0]}")
    if points.shape[0] > MAX_POINTS:
        raise DataError(f"`at_points` {source or ''}: {points.shape[0]} rows is more than {MAX_POINTS} expansions; "
                        "give a sample of the rows")
    if not np.all(np.isfinite(points)):
        raise DataError(f"`at_points` {source or ''}: the rows hold NaN or infinite values; give finite points")
    local = [expand(network, "taylor", order, at=point, centered=False, validity_samples=0, **options) for point in points]
    if variables is not None:
        local = [p.relabelled(variables=tuple(variables)) for p in local]
    return combined(local, tolerance, points, source)


def agreement(local: Sequence[Polynomial], tolerance: float) -> dict[str, Any]:
    """Term by term, per output: the points' mean, min and max coefficient, the relative spread and
    whether it is within ``tolerance``; and per degree whether every term agrees."""
    first = local[0]
    for other in local[1:]:
        if other.indices.shape != first.indices.shape or not np.array_equal(other.indices, first.indices):
            raise MethodError("the local expansions list different terms; use the same `order` and `terms` at every point")
    stack = np.stack([p.coefficients for p in local])  # (points, outputs, terms)
    low, high = stack.min(axis=0), stack.max(axis=0)
    spread = high - low
    size = np.abs(stack).max(axis=0)
    floor = SCALE_FLOOR * size.max(axis=1, keepdims=True, initial=0.0)
    scale = np.maximum(size, floor)
    relative = np.divide(spread, scale, out=np.zeros_like(spread), where=scale > 0)
    agrees = spread <= tolerance * scale
    degrees = first.term_degrees()
    names = first.term_names()
    outputs = {}
    for o, output in enumerate(first.outputs):
        terms = [{"term": names[t], "degree": int(degrees[t]), "mean": float(stack[:, o, t].mean()),
                  "min": float(low[o, t]), "max": float(high[o, t]), "relative_spread": float(relative[o, t]),
                  "agrees": bool(agrees[o, t])} for t in range(first.n_terms)]
        by_degree = [{"degree": int(d), "terms": int(np.sum(degrees == d)),
                      "agreeing": int(np.sum(agrees[o, degrees == d])),
                      "max_relative_spread": float(relative[o, degrees == d].max())} for d in np.unique(degrees)]
        outputs[output] = {"terms": terms, "degrees": by_degree,
                           "global": bool(agrees[o].all())}
    return {"points": len(local), "tolerance": tolerance, "scale_floor": SCALE_FLOOR, "outputs": outputs}


def combined(local: Sequence[Polynomial], tolerance: float, points: np.ndarray, source: str | None = None) -> Polynomial:
    """One polynomial for the artifact: the mean of the local ones, with the agreement report."""
    first = local[0]
    report = agreement(local, tolerance)
    method = {key: value for key, value in first.method.items() if key not in ("at", "at_source", "centered")}
    method.update({"centered": False, "at_points": points.tolist(), "combined": "mean of the local polynomials"})
    if source:
        method["at_points_source"] = source
    warnings = sorted({w for p in local for w in diagnostics_of(p).warnings})
    disagreeing = [name for name, out in report["outputs"].items() if not out["global"]]
    if disagreeing:
        warnings.append(f"the local polynomials at the {len(local)} points differ by more than {tolerance:g} of a term's "
                        f"size for output {', '.join(disagreeing)}: the written polynomial is their mean, which is no "
                        "Taylor polynomial; read the agreement table for the terms that are global")
    diagnostics: dict[str, Any] = {
        "agreement": report,
        "local": [{"at": point.tolist(), "coefficients": p.coefficients.tolist(),
                   "value_at_reference": diagnostics_of(p).value_at_reference} for point, p in zip(points, local)],
        "exact": diagnostics_of(first).exact,
    }
    if warnings:
        diagnostics["warnings"] = warnings
    mean = np.mean([p.coefficients for p in local], axis=0)
    return Polynomial(first.variables, first.outputs, None, mean, None, method, first.provenance, diagnostics,
                      monomials=first.indices)
