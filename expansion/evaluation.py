"""Evaluating many monomials at many points fast: each monomial is a lower one times one variable.

Every monomial of degree d ≥ 1 has a parent of degree d − 1: the same exponents with the first
used variable lowered by one (x1²x3 = x1·(x1x3)). Building the monomials degree by degree from
their parents costs one multiply per term per row, where powering every variable separately
costs one per variable. When a pruned polynomial lacks a parent, the parent is added as a hidden
monomial with coefficient zero.

In graded order the monomials of one degree whose first used variable is the same form one
contiguous block, and in a full space their parents form a contiguous block of the degree below
(x_i times every monomial in x_i..x_n). So a whole block is one vectorised multiply of
contiguous rows, with the monomials stored as (terms, rows) in row chunks that stay in the CPU
cache.

Evaluating a polynomial does not even build the blocks nobody is a parent of (in a full space
the whole top degree, most of the terms): their share of the sum is x_i · (c_block · parents),
one product over rows that are already in cache. Only ``monomials`` builds every term.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from polyx.expansion.exponents import graded_order

__all__ = ["MonomialPlan", "plan_monomials", "BUFFER_BYTES"]

# The monomial buffer of one chunk (benchmarks/evaluate.py): it stays in L2 (1 MB per core here)
# and below the size where OpenBLAS splits a matrix-vector product over threads, which on a busy
# machine made one product 20x slower; smaller chunks pay numpy's per-call overhead more often.
BUFFER_BYTES = 1024 * 1024
MIN_CHUNK_ROWS = 16
MAX_CHUNK_ROWS = 8192


@dataclass(frozen=True)
class BlockStep:
    """Rows ``target`` = rows ``parents`` (slice, or gathered indices) × variable ``var``.

    ``leaf`` marks a block that no other monomial has as parent: ``evaluate`` folds it into the
    sum without building it.
    """

    target: slice
    parents: slice | np.ndarray
    var: int
    leaf: bool


@dataclass(frozen=True)
class MonomialPlan:
    """How to build the monomials a polynomial needs, and where its own terms sit among them.

    ``exponents`` is the closure under parents (graded order, the constant first); ``listed[t]``
    is the row of the polynomial's term t in it. ``linear_block`` says rows 1..n are x1..xn, so
    degree 1 is one copy. ``built_rows`` bounds the rows ``evaluate`` writes.
    """

    n_vars: int
    exponents: np.ndarray
    steps: tuple[BlockStep, ...]
    listed: np.ndarray
    linear_block: bool
    built_rows: int

    @property
    def n_monomials(self) -> int:
        """Monomials in the closure, hidden parents included."""
        return int(self.exponents.shape[0])

    def evaluate(self, x: np.ndarray, center: np.ndarray | None, coefficients: np.ndarray) -> np.ndarray:
        """Σ_t coefficients[:, t] · monomial_t(x − center) for each row: (outputs, rows).

        Per chunk: build the non-leaf monomials V, then G[0] = W_0·V and, for each variable i,
        G[i] = W_i·V over the parents of its leaf blocks; the result is Σ_i [1, x]_i ⊙ G[i].
        A few numpy calls per variable and degree per chunk, however many terms there are.
        """
        outputs = coefficients.shape[0]
        weights = np.zeros((outputs, self.n_monomials))
        weights[:, self.listed] = coefficients
        folded = [(step.var, step.parents, weights[:, step.target].copy()) for step in self.steps if step.leaf]
        for step in self.steps:
            if step.leaf:
                weights[:, step.target] = 0.0
        base = np.ascontiguousarray(weights[:, : self.built_rows])
        out = np.empty((outputs, x.shape[0]))
        chunk = _chunk_rows(self.built_rows)
        buffer, points = self._buffers(self.built_rows, chunk)
        partial = np.zeros((self.n_vars + 1, outputs, chunk))
        extra = np.empty((outputs, chunk))
        for rows in _row_chunks(x.shape[0], chunk):
            size = rows.stop - rows.start
            xt = _transposed(x[rows], center, points)
            values = self._fill(xt[1:], buffer, skip_leaves=True)
            g = partial[:, :, :size]
            _gemv(base, values, g[0])
            written: set[int] = set()
            for var, parents, block in folded:
                if var in written:
                    g[var + 1] += _gemv(block, values[parents], extra[:, :size])
                else:
                    _gemv(block, values[parents], g[var + 1])
                    written.add(var)
            np.einsum("ior,ir->or", g, xt, out=out[:, rows])
        return out

    def monomials(self, x: np.ndarray, center: np.ndarray | None) -> Iterator[tuple[slice, np.ndarray]]:
        """Yield (rows, every closure monomial at those rows (n_monomials, rows)) chunk by chunk."""
        chunk = _chunk_rows(self.n_monomials)
        buffer, points = self._buffers(self.n_monomials, chunk)
        for rows in _row_chunks(x.shape[0], chunk):
            yield rows, self._fill(_transposed(x[rows], center, points)[1:], buffer, skip_leaves=False)

    def _buffers(self, monomials: int, chunk: int) -> tuple[np.ndarray, np.ndarray]:
        """The monomial buffer (row 0 = the constant 1) and the points buffer (row 0 = 1, then x)."""
        buffer = np.zeros((monomials, chunk))
        buffer[0] = 1.0
        points = np.empty((self.n_vars + 1, chunk))
        points[0] = 1.0
        return buffer, points

    def _fill(self, xt: np.ndarray, buffer: np.ndarray, skip_leaves: bool) -> np.ndarray:
        values = buffer[:, : xt.shape[1]]
        if self.linear_block:
            values[1 : self.n_vars + 1] = xt
        for step in self.steps:
            if not (skip_leaves and step.leaf):
                np.multiply(values[step.parents], xt[step.var], out=values[step.target])
        return values


def plan_monomials(exponents: np.ndarray) -> MonomialPlan:
    """Plan the degree-by-degree build of the monomials ``exponents`` (any order, no duplicates)."""
    exponents = np.asarray(exponents, dtype=np.int64)
    n_vars = exponents.shape[1]
    closure = _closure_under_parents(exponents)
    keys = _row_keys(closure)
    sorter = np.argsort(keys, kind="stable")
    first = _first_used_variable(closure)
    used = first >= 0
    parent_rows = closure[used].copy()
    parent_rows[np.arange(parent_rows.shape[0]), first[used]] -= 1
    parent_index = np.zeros(closure.shape[0], dtype=np.int64)
    parent_index[used] = sorter[np.searchsorted(keys[sorter], _row_keys(parent_rows))]
    listed = sorter[np.searchsorted(keys[sorter], _row_keys(exponents))]
    is_parent = np.zeros(closure.shape[0], dtype=bool)
    is_parent[parent_index[used]] = True
    degree = closure.sum(axis=1)
    linear_block = closure.shape[0] > n_vars and np.array_equal(closure[1 : n_vars + 1], np.eye(n_vars, dtype=np.int64))
    steps = tuple(
        step for step in _block_steps(degree, first, parent_index, is_parent) if not (linear_block and degree[step.target.start] == 1)
    )
    built = [step.target.stop for step in steps if not step.leaf] + [n_vars + 1 if linear_block else 1]
    return MonomialPlan(n_vars, closure, steps, listed, linear_block, max(built))


def _gemv(weights: np.ndarray, values: np.ndarray, out: np.ndarray) -> np.ndarray:
    """weights @ values, one BLAS matrix-vector product per output row.

    Measured faster than one matrix product or an einsum here, and ``values`` is at most
    BUFFER_BYTES, small enough that BLAS does not split it over threads.
    """
    for output in range(weights.shape[0]):
        np.dot(weights[output], values, out=out[output])
    return out


def _chunk_rows(monomials: int) -> int:
    return int(np.clip(BUFFER_BYTES // (8 * max(monomials, 1)), MIN_CHUNK_ROWS, MAX_CHUNK_ROWS))


def _row_chunks(rows: int, chunk: int) -> Iterator[slice]:
    for start in range(0, rows, chunk):
        yield slice(start, min(start + chunk, rows))


def _transposed(x: np.ndarray, center: np.ndarray | None, buffer: np.ndarray) -> np.ndarray:
    """[1; (x − center)ᵀ] for the chunk: each variable's values contiguous, row 0 kept at 1."""
    xt = buffer[:, : x.shape[0]]
    np.subtract(x.T, center[:, None], out=xt[1:]) if center is not None else np.copyto(xt[1:], x.T)
    return xt


def _closure_under_parents(exponents: np.ndarray) -> np.ndarray:
    """The monomials plus all their ancestors down to the constant, unique, in graded order."""
    n_vars = exponents.shape[1]
    levels = [exponents, np.zeros((1, n_vars), dtype=np.int64)]
    current = exponents[exponents.sum(axis=1) > 0]
    while current.size:
        first = _first_used_variable(current)
        parents = current.copy()
        parents[np.arange(current.shape[0]), first] -= 1
        current = np.unique(parents[parents.sum(axis=1) > 0], axis=0)
        levels.append(current)
    closure = np.unique(np.concatenate(levels), axis=0)
    return closure[graded_order(closure)]


def _first_used_variable(exponents: np.ndarray) -> np.ndarray:
    """Index of the first variable with a positive exponent in each row; −1 for the constant."""
    used = exponents > 0
    first = np.argmax(used, axis=1)
    first[~used.any(axis=1)] = -1
    return first


def _row_keys(exponents: np.ndarray) -> np.ndarray:
    """One sortable scalar per exponent row (its bytes), for vectorised row lookups."""
    rows = np.ascontiguousarray(exponents, dtype=np.int64)
    return rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()


def _block_steps(
    degree: np.ndarray, first: np.ndarray, parent_index: np.ndarray, is_parent: np.ndarray
) -> Iterator[BlockStep]:
    """Group monomials by (degree, first used variable): contiguous targets, one multiply each."""
    boundaries = np.flatnonzero((np.diff(degree) != 0) | (np.diff(first) != 0)) + 1
    starts = np.concatenate(([0], boundaries))
    stops = np.concatenate((boundaries, [degree.size]))
    for start, stop in zip(starts.tolist(), stops.tolist()):
        if first[start] < 0:
            continue
        parents = parent_index[start:stop]
        if np.array_equal(parents, np.arange(parents[0], parents[0] + parents.size)):
            parents = slice(int(parents[0]), int(parents[0]) + parents.size)
        leaf = degree[start] > 1 and not is_parent[start:stop].any()
        yield BlockStep(slice(start, stop), parents, int(first[start]), leaf)
