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
from functools import partial as partial_call
from typing import Callable, Iterator

import numpy as np

from polyx.expansion.kernel import monomials as sparse
from polyx.expansion.kernel.space import hash_weights, row_hashes

__all__ = ["MonomialPlan", "plan_from_indices", "BUFFER_BYTES"]

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

    ``closure`` is the closure under parents as sparse index rows (graded order, the constant
    first; ``polyx.expansion.kernel.monomials``); ``listed[t]`` is the row of the polynomial's term t in it. ``linear_block`` says rows 1..n are x1..xn, so
    degree 1 is one copy. ``built_rows`` bounds the rows ``evaluate`` writes.
    """

    n_vars: int
    closure: np.ndarray
    steps: tuple[BlockStep, ...]
    listed: np.ndarray
    linear_block: bool
    built_rows: int

    @property
    def n_monomials(self) -> int:
        """Monomials in the closure, hidden parents included."""
        return int(self.closure.shape[0])

    def evaluate(self, x: np.ndarray, center: np.ndarray | None, coefficients: np.ndarray) -> np.ndarray:
        """Σ_t coefficients[:, t] · monomial_t(x − center) for each row: (outputs, rows).

        Per chunk: build the non-leaf monomials V, then G[0] = W_0·V and, for each variable i,
        G[i] = W_i·V over the parents of its leaf blocks; the result is Σ_i [1, x]_i ⊙ G[i].
        The numpy calls of a chunk are bound once to the buffers and replayed for every chunk.
        """
        outputs = coefficients.shape[0]
        weights = np.zeros((outputs, self.n_monomials))
        weights[:, self.listed] = coefficients
        folded = [(step, weights[:, step.target].copy()) for step in self.steps if step.leaf]
        for step, _ in folded:
            weights[:, step.target] = 0.0
        base = np.ascontiguousarray(weights[:, : self.built_rows])
        out = np.empty((outputs, x.shape[0]))
        chunk = _chunk_rows(self.built_rows)
        buffer, points = self._buffers(self.built_rows, chunk)
        partial = np.zeros((self.n_vars + 1, outputs, chunk))
        extra = np.empty((outputs, chunk))

        def calls(size: int) -> list[Callable[[], object]]:
            values, xt, g = buffer[:, :size], points[:, :size], partial[:, :, :size]
            program = self._fill_calls(values, xt, skip_leaves=True) + _gemv_calls(base, values, g[0])
            written: set[int] = set()
            for step, block in folded:
                target = g[step.var + 1]
                if step.var in written:
                    program += _gemv_calls(block, _rows(values, step.parents), extra[:, :size])
                    program.append(partial_call(np.add, target, extra[:, :size], out=target))
                else:
                    program += _gemv_calls(block, _rows(values, step.parents), target)
                    written.add(step.var)
            return program

        full = calls(chunk)
        for rows in _row_chunks(x.shape[0], chunk):
            size = rows.stop - rows.start
            _transpose_into(points[1:, :size], x[rows], center)
            for call in full if size == chunk else calls(size):
                call()
            np.einsum("ior,ir->or", partial[:, :, :size], points[:, :size], out=out[:, rows])
        return out

    def monomials(self, x: np.ndarray, center: np.ndarray | None) -> Iterator[tuple[slice, np.ndarray]]:
        """Yield (rows, every closure monomial at those rows (n_monomials, rows)) chunk by chunk;
        the array is reused for the next chunk, so copy what you keep."""
        chunk = _chunk_rows(self.n_monomials)
        buffer, points = self._buffers(self.n_monomials, chunk)
        for rows in _row_chunks(x.shape[0], chunk):
            size = rows.stop - rows.start
            _transpose_into(points[1:, :size], x[rows], center)
            for call in self._fill_calls(buffer[:, :size], points[:, :size], skip_leaves=False):
                call()
            yield rows, buffer[:, :size]

    def _buffers(self, monomials: int, chunk: int) -> tuple[np.ndarray, np.ndarray]:
        """The monomial buffer and the points [1; x − center] (rows 0..n of the buffer when those
        are the constant and x1..xn, so the points are written in place)."""
        buffer = np.zeros((monomials, chunk))
        buffer[0] = 1.0
        if self.linear_block:
            return buffer, buffer[: self.n_vars + 1]
        points = np.empty((self.n_vars + 1, chunk))
        points[0] = 1.0
        return buffer, points

    def _fill_calls(self, values: np.ndarray, xt: np.ndarray, skip_leaves: bool) -> list[Callable[[], object]]:
        """The multiplies that build the monomials: rows target = rows parents × x_var."""
        return [
            partial_call(np.multiply, values[step.parents], xt[step.var + 1], out=values[step.target])
            if isinstance(step.parents, slice)
            else partial_call(_gathered_product, values, step.parents, xt[step.var + 1], values[step.target])
            for step in self.steps
            if not (skip_leaves and step.leaf)
        ]


def plan_from_indices(indices: np.ndarray, n_vars: int, graded: bool = False) -> MonomialPlan:
    """Plan the build of the monomials given as sparse index rows (any order, no duplicates):
    memory and time grow with terms × degree, not with the number of variables.

    ``graded`` promises the rows are in strict graded order (``Polynomial`` guarantees it). Then a
    table that is its own closure under parents, as every expansion's is, is planned from the
    kernel's additive row hashes, without listing and sorting all the rows' ancestors.
    """
    indices = np.asarray(indices, dtype=sparse.INDEX_DTYPE)
    closed = _parents_in_closed_table(indices, n_vars) if graded else None
    if closed is not None:
        closure, listed = indices, np.arange(indices.shape[0], dtype=np.int64)
    else:
        closure = _closure_under_parents(indices)
        index = sparse.RowIndex(closure)
        listed = index.find(indices)
    first = closure[:, 0].astype(np.int64) if closure.shape[1] else np.full(closure.shape[0], -1, dtype=np.int64)
    used = first >= 0
    parent_index = np.zeros(closure.shape[0], dtype=np.int64)
    parent_index[used] = closed if closed is not None else index.find(sparse.parents(closure[used]))
    is_parent = np.zeros(closure.shape[0], dtype=bool)
    is_parent[parent_index[used]] = True
    degree = sparse.degrees(closure)
    linear_block = bool(
        closure.shape[0] > n_vars
        and (degree[1 : n_vars + 1] == 1).all()
        and np.array_equal(first[1 : n_vars + 1], np.arange(n_vars))
    )
    steps = tuple(
        step for step in _block_steps(degree, first, parent_index, is_parent) if not (linear_block and degree[step.target.start] == 1)
    )
    built = [step.target.stop for step in steps if not step.leaf] + [n_vars + 1 if linear_block else 1]
    return MonomialPlan(n_vars, closure, steps, listed, linear_block, max(built))


def _gemv_calls(weights: np.ndarray, values: np.ndarray | Callable[[], np.ndarray], out: np.ndarray) -> list:
    """out = weights @ values as one BLAS matrix-vector product per output row.

    Measured faster than one matrix product or an einsum here, and ``values`` is at most
    BUFFER_BYTES, small enough that BLAS does not split it over threads. ``values`` may be a
    gather, made once per chunk.
    """
    if callable(values):
        return [partial_call(_gathered_gemv, weights, values, out)]
    return [partial_call(np.dot, weights[o], values, out=out[o]) for o in range(weights.shape[0])]


def _gathered_gemv(weights: np.ndarray, gather: Callable[[], np.ndarray], out: np.ndarray) -> None:
    rows = gather()
    for output in range(weights.shape[0]):
        np.dot(weights[output], rows, out=out[output])


def _rows(values: np.ndarray, parents: slice | np.ndarray) -> np.ndarray | Callable[[], np.ndarray]:
    """A view of the parent rows, or (for scattered parents) a call that gathers them."""
    return values[parents] if isinstance(parents, slice) else partial_call(np.take, values, parents, axis=0)


def _gathered_product(values: np.ndarray, parents: np.ndarray, x: np.ndarray, out: np.ndarray) -> None:
    np.multiply(np.take(values, parents, axis=0), x, out=out)


def _chunk_rows(monomials: int) -> int:
    return int(np.clip(BUFFER_BYTES // (8 * max(monomials, 1)), MIN_CHUNK_ROWS, MAX_CHUNK_ROWS))


def _row_chunks(rows: int, chunk: int) -> Iterator[slice]:
    for start in range(0, rows, chunk):
        yield slice(start, min(start + chunk, rows))


def _transpose_into(out: np.ndarray, x: np.ndarray, center: np.ndarray | None) -> None:
    """(x − center)ᵀ into ``out``: each variable's values contiguous."""
    if center is None:
        np.copyto(out, x.T)
    else:
        np.subtract(x.T, center[:, None], out=out)


def _parents_in_closed_table(indices: np.ndarray, n_vars: int) -> np.ndarray | None:
    """The row of each non-constant row's parent when the table holds every parent and starts with
    the constant, else None (then the closure must be built). Parents are found by the kernel's
    additive hash (``space.row_hashes``: the parent's hash is the row's minus its first
    variable's weight), and every match is then compared index by index, so a hash collision can
    only send the plan to the general path, never give a wrong parent."""
    if indices.shape[0] < 2 or indices.shape[1] == 0 or (indices[0] >= 0).any():
        return None
    weights = hash_weights(n_vars)
    hashes = row_hashes(indices, weights)
    order = np.argsort(hashes, kind="stable")
    ordered = hashes[order]
    if np.any(ordered[1:] == ordered[:-1]):
        return None
    rows = np.flatnonzero(indices[:, 0] >= 0)
    with np.errstate(over="ignore"):
        wanted = hashes[rows] - weights[indices[rows, 0]]
    position = np.minimum(np.searchsorted(ordered, wanted), ordered.size - 1)
    if np.any(ordered[position] != wanted):
        return None
    parent = order[position]
    if not np.array_equal(indices[parent], sparse.parents(indices[rows])):
        return None
    return parent


def _closure_under_parents(indices: np.ndarray) -> np.ndarray:
    """The monomials plus all their ancestors down to the constant, unique, in graded order: the
    ancestors of a sparse row are its suffixes (drop the first index, then the next, …)."""
    width = indices.shape[1]
    suffixes = [indices]
    current = indices
    for _ in range(width):
        current = sparse.parents(current)
        current = current[current[:, 0] >= 0] if current.shape[0] else current
        suffixes.append(current)
    suffixes.append(np.full((1, width), sparse.PAD, dtype=sparse.INDEX_DTYPE))
    return sparse.unique_rows(np.concatenate(suffixes))


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
        leaf = bool(degree[start] > 1 and not is_parent[start:stop].any())
        yield BlockStep(slice(start, stop), parents, int(first[start]), leaf)
