"""Re-expanding a polynomial written in powers of (x − x0) in powers of x.

Σ_e c_e (x − x0)^e = Σ_f b_f x^f with b_f = Σ_{e ≥ f} c_e Π_i C(e_i, f_i) (−x0_i)^{e_i − f_i}.
The map factors over variables: shifting one variable at a time is a triangular map on the
coefficients (each term feeds the terms with that variable's exponent lowered). Rows are found
by hash (Σ exponent × weight mod 2⁶⁴, the kernel's): lowering x_v by s subtracts s weights, so
a lookup is one subtraction and one binary search, with no row built or compared. Every term a shift produces divides a listed
term, so a term set closed under division (all monomials up to Q, those with at most K
variables, pure powers) maps onto itself.
"""

from __future__ import annotations

import math

import numpy as np

from polyx.expansion.kernel.space import hash_weights

__all__ = ["centered_to_powers"]


def centered_to_powers(exponents: np.ndarray, coefficients: np.ndarray, center: np.ndarray) -> np.ndarray:
    """Coefficients in powers of x of Σ_t coefficients[:, t] (x − center)^exponents[t], on the same rows.

    ``coefficients`` is (outputs, terms); the rows must be distinct and closed under division
    (see the module): a repeated or missing row is a programming error and raises ValueError.
    """
    exponents = np.asarray(exponents, dtype=np.int64)
    center = np.asarray(center, dtype=np.float64)
    out = np.array(coefficients, dtype=np.float64, copy=True)
    term, variable_of = np.nonzero(exponents)
    hashes, weights = _row_hashes(exponents, term, variable_of)
    order = np.argsort(hashes, kind="stable")
    sorted_hashes = hashes[order]
    if np.any(sorted_hashes[1:] == sorted_hashes[:-1]):
        raise ValueError("the exponent rows repeat (or their hashes collide); cannot re-expand")
    top = int(exponents.max(initial=0))
    binomials = np.array([[math.comb(n, k) for k in range(top + 1)] for n in range(top + 1)], dtype=np.float64)
    by_variable = np.argsort(variable_of, kind="stable")
    bounds = np.searchsorted(variable_of[by_variable], np.arange(exponents.shape[1] + 1))
    for variable in np.flatnonzero(center):
        rows = term[by_variable[bounds[variable] : bounds[variable + 1]]]
        powers, source, row_hashes = exponents[rows, variable], out[:, rows], hashes[rows]
        for shift in range(1, int(powers.max(initial=0)) + 1):
            keep = powers >= shift
            powers, source, row_hashes = powers[keep], source[:, keep], row_hashes[keep]
            with np.errstate(over="ignore"):
                wanted = row_hashes - np.uint64(shift) * weights[variable]
            position = np.minimum(np.searchsorted(sorted_hashes, wanted), sorted_hashes.size - 1)
            if np.any(sorted_hashes[position] != wanted):
                raise ValueError("the exponent rows are not closed under division; cannot re-expand")
            out[:, order[position]] += source * (binomials[powers, shift] * (-center[variable]) ** shift)
    return out


def _row_hashes(exponents: np.ndarray, term: np.ndarray, variable_of: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's hash from its non-zero entries (``term``, ``variable_of``: np.nonzero's, row-major), and the weights."""
    weights = hash_weights(exponents.shape[1])
    hashes = np.zeros(exponents.shape[0], dtype=np.uint64)
    if term.size:
        with np.errstate(over="ignore"):
            products = exponents[term, variable_of].astype(np.uint64) * weights[variable_of]
        starts = np.flatnonzero(np.diff(term, prepend=-1))
        hashes[term[starts]] = np.add.reduceat(products, starts)
    return hashes, weights
