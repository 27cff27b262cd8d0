"""Re-expanding a polynomial written in powers of (x − x0) in powers of x.

Σ_e c_e (x − x0)^e = Σ_f b_f x^f with b_f = Σ_{e ≥ f} c_e Π_i C(e_i, f_i) (−x0_i)^{e_i − f_i}.
The map factors over variables: shifting one variable at a time is a triangular map on the
coefficients (each term feeds the terms with that variable's exponent lowered), so the whole
change costs one row lookup per variable (each term's row with that exponent lowered by one)
and variables × order gathers along those links. Every term a shift produces divides a listed
term, so a term set closed under division (all monomials up to Q, those with at most K
variables, pure powers) maps onto itself.
"""

from __future__ import annotations

import math

import numpy as np

from polyx.expansion.exponents import ExponentIndex

__all__ = ["centered_to_powers"]


def centered_to_powers(exponents: np.ndarray, coefficients: np.ndarray, center: np.ndarray) -> np.ndarray:
    """Coefficients in powers of x of Σ_t coefficients[:, t] (x − center)^exponents[t], on the same rows.

    ``coefficients`` is (outputs, terms); the rows must be distinct and closed under division
    (see the module): a missing row is a programming error and raises ValueError.
    """
    exponents = np.asarray(exponents, dtype=np.int64)
    center = np.asarray(center, dtype=np.float64)
    out = np.array(coefficients, dtype=np.float64, copy=True)
    index = ExponentIndex(exponents)
    top = int(exponents.max(initial=0))
    binomials = np.array([[math.comb(n, k) for k in range(top + 1)] for n in range(top + 1)], dtype=np.float64)
    term, variable_of = np.nonzero(exponents)
    by_variable = np.argsort(variable_of, kind="stable")
    bounds = np.searchsorted(variable_of[by_variable], np.arange(exponents.shape[1] + 1))
    for variable in np.flatnonzero(center):
        rows = term[by_variable[bounds[variable] : bounds[variable + 1]]]
        if rows.size == 0:
            continue
        lowered = exponents[rows]
        lowered[:, variable] -= 1
        down = np.full(exponents.shape[0], -1, dtype=np.int64)
        down[rows] = index.find(lowered)
        if np.any(down[rows] < 0):
            raise ValueError("the exponent rows are not closed under division; cannot re-expand")
        powers, source, targets = exponents[rows, variable], out[:, rows], rows
        for shift in range(1, int(powers.max()) + 1):
            keep = powers >= shift
            powers, source, targets = powers[keep], source[:, keep], down[targets[keep]]
            out[:, targets] += source * (binomials[powers, shift] * (-center[variable]) ** shift)
    return out
