"""Re-expanding a polynomial written in powers of (x − x0) in powers of x.

Σ_e c_e (x − x0)^e = Σ_f b_f x^f with b_f = Σ_{e ≥ f} c_e Π_i C(e_i, f_i) (−x0_i)^{e_i − f_i}.
The map factors over variables: shifting one variable at a time is a triangular map on the
coefficients (each term feeds the terms with that variable's exponent lowered). Terms are the
kernel's sparse index rows, and are found by hash (Σ exponent × weight mod 2⁶⁴, the kernel's): lowering x_v by s subtracts s weights, so
a lookup is one subtraction and one binary search, with no row built or compared. Every term a shift produces divides a listed
term, so a term set closed under division (all monomials up to Q, those with at most K
variables, pure powers) maps onto itself.
"""

from __future__ import annotations

import math

import numpy as np

from polyx.expansion.kernel.space import hash_weights

__all__ = ["centered_to_powers"]


def centered_to_powers(monomials: np.ndarray, coefficients: np.ndarray, center: np.ndarray) -> np.ndarray:
    """Coefficients in powers of x of Σ_t coefficients[:, t] (x − center)^monomial_t, on the same rows.

    ``monomials`` is the sparse index table (``polyx.expansion.kernel.monomials``; its variables
    are the ``center``'s), ``coefficients`` is (outputs, terms); the rows must be distinct and
    closed under division (see the module): a repeated or missing row is a programming error and
    raises ValueError. Work grows with terms × degree, not with the number of variables.
    """
    center = np.asarray(center, dtype=np.float64)
    out = np.array(coefficients, dtype=np.float64, copy=True)
    term, variable_of, power_of = _powers(monomials)
    hashes, weights = _row_hashes(center.size, out.shape[-1], term, variable_of, power_of)
    order = np.argsort(hashes, kind="stable")
    sorted_hashes = hashes[order]
    if np.any(sorted_hashes[1:] == sorted_hashes[:-1]):
        raise ValueError("the exponent rows repeat (or their hashes collide); cannot re-expand")
    top = int(power_of.max(initial=0))
    binomials = np.array([[math.comb(n, k) for k in range(top + 1)] for n in range(top + 1)], dtype=np.float64)
    by_variable = np.argsort(variable_of, kind="stable")
    bounds = np.searchsorted(variable_of[by_variable], np.arange(center.size + 1))
    for variable in np.flatnonzero(center):
        pairs = by_variable[bounds[variable] : bounds[variable + 1]]
        if pairs.size:
            _shift_variable(out, term[pairs], power_of[pairs], hashes, order, sorted_hashes,
                            weights[variable], center[variable], binomials)
    return out


def _shift_variable(out: np.ndarray, rows: np.ndarray, powers: np.ndarray, hashes: np.ndarray, order: np.ndarray,
                    sorted_hashes: np.ndarray, weight: np.uint64, center: np.float64, binomials: np.ndarray) -> None:
    """Shift one variable in place: every listed row (x_v − c)^p feeds the rows with x_v^(p−s),
    C(p, s)(−c)^s times its coefficient as it was before this variable (s = 1 … p).

    All (row, s) pairs are listed shift by shift and their targets found in one binary search;
    the additions are then made shift by shift (each shift's targets are distinct), so every
    coefficient receives its terms in the same order, and is rounded the same, as one shift at a
    time would give.
    """
    by_power = np.argsort(-powers, kind="stable")
    rows, powers = rows[by_power], powers[by_power]
    counts = np.bincount(powers, minlength=int(powers[0]) + 1)[::-1].cumsum()[::-1][1:]  # rows with power ≥ s
    local = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    shift = np.repeat(np.arange(1, counts.size + 1), counts)
    with np.errstate(over="ignore"):
        wanted = hashes[rows][local] - shift.astype(np.uint64) * weight
    position = np.minimum(np.searchsorted(sorted_hashes, wanted), sorted_hashes.size - 1)
    if np.any(sorted_hashes[position] != wanted):
        raise ValueError("the exponent rows are not closed under division; cannot re-expand")
    scale = np.array([(-center) ** s for s in range(counts.size + 1)])
    values = out[:, rows][:, local] * (binomials[powers[local], shift] * scale[shift])
    targets = order[position]
    stops = np.cumsum(counts)
    for start, stop in zip((stops - counts).tolist(), stops.tolist()):
        out[:, targets[start:stop]] += values[:, start:stop]


def _powers(monomials: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(term, variable, power) of every variable a row uses, row by row and by ascending variable
    (the order of np.nonzero on the dense exponent table): runs of equal indices in the rows."""
    table = np.asarray(monomials, dtype=np.int64)
    table = table.reshape(table.shape[0], -1)
    starts = table >= 0
    starts[:, 1:] &= table[:, 1:] != table[:, :-1]
    term, position = np.nonzero(starts)
    degree = (table >= 0).sum(axis=1)
    following = np.empty_like(position)
    if term.size:
        following[:-1] = np.where(term[1:] == term[:-1], position[1:], degree[term[:-1]])
        following[-1] = degree[term[-1]]
    return term, table[term, position], following - position


def _row_hashes(n_vars: int, terms: int, term: np.ndarray, variable_of: np.ndarray, power_of: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Each row's hash Σ power × weight over its variables (``_powers``' triples), and the weights."""
    weights = hash_weights(n_vars)
    hashes = np.zeros(terms, dtype=np.uint64)
    if term.size:
        with np.errstate(over="ignore"):
            products = power_of.astype(np.uint64) * weights[variable_of]
        starts = np.flatnonzero(np.diff(term, prepend=-1))
        hashes[term[starts]] = np.add.reduceat(products, starts)
    return hashes, weights
