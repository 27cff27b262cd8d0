"""Evaluating many monomials at many points fast: each monomial is a lower one times one variable.

Every monomial of degree d ≥ 1 has a parent of degree d − 1: the same exponents with the first
used variable lowered by one (x1²x3 = x1·(x1x3)). Building the monomials degree by degree from
their parents costs one multiply per term per row, where powering every variable separately
costs one per variable. When a pruned polynomial lacks a parent, the parent is added as a hidden
monomial with coefficient zero.

In graded order the monomials of one degree whose first used variable is the same form one
contiguous block, and in a full space their parents form a contiguous block of the degree below
(x_i times every monomial in x_i..x_n). So a whole block is one vectorised multiply of
contiguous rows, with the monomials stored as (terms, rows) in small row chunks that stay in the
CPU cache; a single matrix product with the coefficients finishes each chunk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from polyx.expansion.exponents import graded_order

__all__ = ["MonomialPlan", "plan_monomials", "BUFFER_BYTES"]

BUFFER_BYTES = 4 * 1024 * 1024
MIN_CHUNK_ROWS = 16
MAX_CHUNK_ROWS = 4096


@dataclass(frozen=True)
class BlockStep:
    """Rows ``target`` of the monomial buffer = rows ``parents`` (slice or gather) × variable ``var``."""

    target: slice
    parents: slice | np.ndarray
    var: int


@dataclass(frozen=True)
class MonomialPlan:
    """How to build the monomials a polynomial needs, and where its own terms sit among them.

    ``exponents`` is the closure under parents (graded order, the constant first); ``listed[t]``
    is the row of the polynomial's term t in it; ``chunk_rows`` keeps the buffer cache-sized.
    """

    n_vars: int
    exponents: np.ndarray
    steps: tuple[BlockStep, ...]
    listed: np.ndarray
    chunk_rows: int

    @property
    def n_monomials(self) -> int:
        """Monomials built per row, hidden parents included."""
        return int(self.exponents.shape[0])

    def row_chunks(self, rows: int) -> Iterator[slice]:
        """Row ranges of at most ``chunk_rows``, covering ``rows``."""
        for start in range(0, rows, self.chunk_rows):
            yield slice(start, min(start + self.chunk_rows, rows))

    def fill(self, x_transposed: np.ndarray, buffer: np.ndarray) -> np.ndarray:
        """Write every planned monomial of the points (columns of ``x_transposed``) into ``buffer``.

        ``buffer`` has shape (n_monomials, ≥ points); the filled (n_monomials, points) view is returned.
        """
        points = x_transposed.shape[1]
        values = buffer[:, :points]
        values[0] = 1.0
        for step in self.steps:
            parents = values[step.parents]
            np.multiply(parents, x_transposed[step.var], out=values[step.target])
        return values


def plan_monomials(exponents: np.ndarray) -> MonomialPlan:
    """Plan the degree-by-degree build of the monomials ``exponents`` (any order, no duplicates)."""
    exponents = np.asarray(exponents, dtype=np.int64)
    n_vars = exponents.shape[1]
    closure = _closure_under_parents(exponents)
    keys = _row_keys(closure)
    sorter = np.argsort(keys, kind="stable")
    first = _first_used_variable(closure)
    parent_rows = closure.copy()
    used = first >= 0
    parent_rows[np.flatnonzero(used), first[used]] -= 1
    parent_index = np.zeros(closure.shape[0], dtype=np.int64)
    parent_index[used] = sorter[np.searchsorted(keys[sorter], _row_keys(parent_rows[used]))]
    listed = sorter[np.searchsorted(keys[sorter], _row_keys(exponents))]
    degree = closure.sum(axis=1)
    steps = tuple(_block_steps(degree, first, parent_index))
    chunk_rows = int(np.clip(BUFFER_BYTES // (8 * closure.shape[0]), MIN_CHUNK_ROWS, MAX_CHUNK_ROWS))
    return MonomialPlan(n_vars, closure, steps, listed, chunk_rows)


def _closure_under_parents(exponents: np.ndarray) -> np.ndarray:
    """The monomials plus all their ancestors down to the constant, unique, in graded order."""
    n_vars = exponents.shape[1]
    levels = [exponents, np.zeros((1, n_vars), dtype=np.int64)]
    current = exponents
    while current.size and current.sum(axis=1).max() > 0:
        current = current[current.sum(axis=1) > 0]
        first = _first_used_variable(current)
        parents = current.copy()
        parents[np.arange(current.shape[0]), first] -= 1
        current = np.unique(parents, axis=0)
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


def _block_steps(degree: np.ndarray, first: np.ndarray, parent_index: np.ndarray) -> Iterator[BlockStep]:
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
        yield BlockStep(slice(start, stop), parents, int(first[start]))
