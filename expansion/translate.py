"""Re-expanding a polynomial written in powers of (x − x0) in powers of x.

Σ_e c_e (x − x0)^e = Σ_f b_f x^f with b_f = Σ_{e ≥ f} c_e Π_i C(e_i, f_i) (−x0_i)^{e_i − f_i}.
The map factors over variables: shifting one variable at a time is a triangular map on the
coefficients (each term feeds the terms with that variable's exponent lowered), so the whole
change costs variables × order gathers. Every term a shift produces divides a listed term, so a
term set closed under division (all monomials up to Q, those with at most K variables, pure
powers) maps onto itself.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["centered_to_powers"]

_HASH_SEED = 20240918


def _row_keys(exponents: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """An additive hash per row: key(e − j·u_i) = key(e) − j·w_i, so shifted rows are found by arithmetic."""
    with np.errstate(over="ignore"):
        return (exponents.astype(np.uint64) * weights).sum(axis=1, dtype=np.uint64)


def centered_to_powers(exponents: np.ndarray, coefficients: np.ndarray, center: np.ndarray) -> np.ndarray:
    """Coefficients in powers of x of Σ_t coefficients[:, t] (x − center)^exponents[t], on the same rows.

    ``coefficients`` is (outputs, terms). The rows must be closed under division (see the module);
    a missing row is a programming error and raises ValueError.
    """
    exponents = np.asarray(exponents, dtype=np.int64)
    center = np.asarray(center, dtype=np.float64)
    out = np.array(coefficients, dtype=np.float64, copy=True)
    weights = np.random.default_rng(_HASH_SEED).integers(0, 2**63, size=exponents.shape[1], dtype=np.uint64) | np.uint64(1)
    keys = _row_keys(exponents, weights)
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    if np.any(np.diff(sorted_keys) == 0):
        raise ValueError("duplicate exponent rows (or a hash collision) in centered_to_powers")
    top = int(exponents.max(initial=0))
    binomials = np.array([[math.comb(n, k) for k in range(top + 1)] for n in range(top + 1)], dtype=np.float64)
    for variable in np.flatnonzero(center):
        column = exponents[:, variable]
        rows = np.flatnonzero(column)
        if rows.size == 0:
            continue
        before = out.copy()
        for shift in range(1, int(column[rows].max()) + 1):
            rows = rows[column[rows] >= shift]
            with np.errstate(over="ignore"):
                wanted = keys[rows] - np.uint64(shift) * weights[variable]
            position = np.minimum(np.searchsorted(sorted_keys, wanted), sorted_keys.size - 1)
            if np.any(sorted_keys[position] != wanted):
                raise ValueError("the exponent rows are not closed under division; cannot re-expand")
            targets = order[position]
            factors = binomials[column[rows], shift] * (-center[variable]) ** shift
            out[:, targets] += before[:, rows] * factors
    return out
