"""The monomials of a truncated polynomial space, and the index tables that multiply them.

This is polyx's one monomial structure. Monomials in n variables of total degree ≤ Q are kept in
homogeneous-degree blocks (the TaylorSeries.jl layout): block d is a (size_d, d) table of sparse
index rows (``polyx.expansion.kernel.monomials``: each monomial its ascending 0-based variable
indices, one per power, x1²x3 -> [0, 0, 2]), in ascending row order, so the concatenated blocks
give nn2poly's order (1, x1, x2, x1², x1x2, …) and memory grows with terms × degree, never with
terms × variables. ``monomials()`` is the padded table ``Polynomial`` stores, ``parents()`` the
lower monomial and variable that evaluation (``polyx.expansion.kernel.evaluation``) and the ONNX
export build each monomial from.

Multiplying a degree-a block by a degree-b block sends every coefficient pair (i, j) to one
slot of block a+b. That map is precomputed once per (a, b) as a dense slot table. Slots are
found with an additive hash: h(m) = Σ r_i over the row's indices (mod 2⁶⁴) with fixed random r,
so h(m·m') = h(m) + h(m') and a monomial's slot is a binary search in the sorted hashes of its
block.
"""

from __future__ import annotations

import functools
import math
from typing import Iterator

import numpy as np
from polyx.errors import OrderTooLargeError
from polyx.expansion.kernel.monomials import INDEX_DTYPE, PAD, to_exponents

__all__ = ["MonomialSpace", "count_terms", "hash_weights", "row_hashes"]

_HASH_SEED = 20240917


def count_terms(n_vars: int, order: int) -> int:
    """C(n + Q, Q): the number of monomials of total degree ≤ Q in n variables."""
    return math.comb(n_vars + order, order)


@functools.lru_cache(maxsize=64)
def hash_weights(n_vars: int) -> np.ndarray:
    """One odd random uint64 per variable: a monomial's hash is Σ exponent × weight (mod 2⁶⁴), so
    multiplying or dividing by x_v adds or subtracts one weight, and lookups need no row copies.
    Every table that relies on it checks its own hashes for collisions."""
    weights = np.random.default_rng(_HASH_SEED).integers(0, 2**63, size=n_vars, dtype=np.uint64) | np.uint64(1)
    weights.setflags(write=False)
    return weights


def row_hashes(monomials: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Each index row's hash: Σ weight over its indices (padding -1 adds nothing), mod 2⁶⁴."""
    monomials = np.asarray(monomials)
    with np.errstate(over="ignore"):
        terms = np.where(monomials >= 0, weights[np.maximum(monomials, 0)], np.uint64(0))
        return terms.sum(axis=1, dtype=np.uint64)


def _next_block(
    previous: np.ndarray, hashes: np.ndarray, weights: np.ndarray, max_interaction: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Degree d+1 from degree d, both as ascending index rows (nn2poly's multiset labels).

    The rows that start with variable i are i followed by the degree-d rows whose first index is
    ≥ i: a suffix of the previous block, since its first column is non-decreasing. So the block is
    n suffixes of the previous one, each with one index put in front, made by one gather (no loop
    over variables and no row wider than its degree). With ``max_interaction`` K, a suffix row is
    kept only if the new index leaves at most K distinct variables (one more unless it equals the
    row's first), so no discarded row is ever built. Returns the index rows, their additive
    hashes, and for each monomial its parent (the slot in block d of the row without its first
    index) and that first index.
    """
    n_vars, size, degree = weights.size, previous.shape[0], previous.shape[1]
    first = previous[:, 0] if degree else np.full(size, n_vars, dtype=previous.dtype)
    starts = np.searchsorted(first, np.arange(n_vars))
    counts = size - starts
    variable = np.repeat(np.arange(n_vars, dtype=previous.dtype), counts)
    parent = np.arange(variable.size) - np.repeat(np.cumsum(counts) - counts - starts, counts)
    if max_interaction is not None:
        distinct = 1 + (np.diff(previous, axis=1) != 0).sum(axis=1) if degree else np.zeros(size, dtype=np.int64)
        keep = distinct[parent] + (first[parent] != variable) <= max_interaction
        parent, variable = parent[keep], variable[keep]
    block = np.empty((parent.size, degree + 1), dtype=previous.dtype)
    block[:, 0] = variable
    block[:, 1:] = previous[parent]
    with np.errstate(over="ignore"):
        block_hashes = hashes[parent] + weights[variable]
    return block, block_hashes, parent, variable


class MonomialSpace:
    """Monomials in ``n_vars`` variables up to total degree ``order``, block by degree.

    ``max_interaction`` keeps only monomials with at most that many distinct variables; the kept
    set is closed under the truncated product (a product never has fewer distinct variables than
    its factors), so arithmetic in the smaller space is exact for the terms it keeps.
    """

    def __init__(self, n_vars: int, order: int, max_interaction: int | None = None) -> None:
        if n_vars < 1 or order < 0:
            raise OrderTooLargeError(f"a polynomial space needs ≥ 1 variable and order ≥ 0, got {n_vars}, {order}")
        self.n_vars = int(n_vars)
        self.order = int(order)
        self.max_interaction = max_interaction
        self._hash_weights = hash_weights(self.n_vars)
        self._blocks: list[np.ndarray] = []
        self._hashes: list[np.ndarray] = []
        self._sorted_hashes: list[np.ndarray] = []
        self._slot_of_sorted: list[np.ndarray] = []
        self._parents: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        rows = np.zeros((1, 0), dtype=INDEX_DTYPE)
        hashes = np.zeros(1, dtype=np.uint64)
        for degree in range(self.order + 1):
            if degree > 0:
                rows, hashes, parent, variable = _next_block(rows, hashes, self._hash_weights, max_interaction)
                self._parents[degree] = (parent, variable)
            rows.setflags(write=False)
            self._blocks.append(rows)
            self._hashes.append(hashes)
            order_ = np.argsort(hashes, kind="stable")
            if np.any(np.diff(hashes[order_]) == 0):
                raise RuntimeError("monomial hash collision; change _HASH_SEED")
            self._sorted_hashes.append(hashes[order_])
            self._slot_of_sorted.append(order_)
        self.sizes = np.array([block.shape[0] for block in self._blocks], dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)])
        self._products: dict[tuple[int, int], np.ndarray] = {}
        self._interior: dict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]] = {}
        self._raise_tables: dict[int, np.ndarray] = {}
        self._multinomials: dict[int, np.ndarray] = {}

    def __repr__(self) -> str:
        return f"MonomialSpace(n_vars={self.n_vars}, order={self.order}, terms={self.n_terms})"

    @property
    def n_terms(self) -> int:
        """Total number of monomials (all blocks)."""
        return int(self.offsets[-1])

    def labels(self, degree: int) -> np.ndarray:
        """Block ``degree`` as ascending 0-based variable indices (x1²x3 -> [0, 0, 2]), shape (size, degree):
        the space's own rows, read-only."""
        return self._blocks[degree]

    def monomials(self, max_degree: int | None = None) -> np.ndarray:
        """Every monomial up to ``max_degree`` (default: the order) in graded order as one index table
        (terms, max_degree), rows padded with -1 (``polyx.expansion.kernel.monomials``): what
        ``Polynomial`` stores."""
        top = self.order if max_degree is None else max_degree
        table = np.full((int(self.offsets[top + 1]), top), PAD, dtype=INDEX_DTYPE)
        for degree in range(1, top + 1):
            table[self.offsets[degree] : self.offsets[degree + 1], :degree] = self._blocks[degree]
        return table

    def exponents(self, degree: int) -> np.ndarray:
        """Block ``degree`` as dense exponent rows (size(degree), n_vars): a conversion for small spaces
        and tests, never used by the kernel itself."""
        return to_exponents(self._blocks[degree], self.n_vars)

    def all_exponents(self, max_degree: int | None = None) -> np.ndarray:
        """Every monomial up to ``max_degree`` as dense exponent rows (terms, n_vars): a conversion for
        small spaces and tests (``monomials`` is the space's own form)."""
        return to_exponents(self.monomials(max_degree), self.n_vars)

    def _slots(self, degree: int, hashes: np.ndarray) -> np.ndarray:
        """Slot of each hash within block ``degree``, or -1 for monomials the space does not keep."""
        table = self._sorted_hashes[degree]
        position = np.minimum(np.searchsorted(table, hashes), table.size - 1)
        found = table[position] == hashes
        return np.where(found, self._slot_of_sorted[degree][position], -1)

    def index(self, monomials: np.ndarray) -> np.ndarray:
        """Flat graded index of each monomial (index rows padded with -1, any order within a row),
        -1 where it lies outside the space."""
        monomials = np.asarray(monomials, dtype=np.int64)
        monomials = monomials.reshape(monomials.shape[0], -1)
        degrees = (monomials >= 0).sum(axis=1)
        result = np.full(monomials.shape[0], -1, dtype=np.int64)
        for degree in np.unique(degrees):
            if 0 <= degree <= self.order:
                rows = degrees == degree
                slots = self._slots(int(degree), row_hashes(monomials[rows], self._hash_weights))
                result[rows] = np.where(slots >= 0, slots + self.offsets[degree], -1)
        return result

    def raise_table(self, degree: int) -> np.ndarray:
        """Slot in block degree+1 of (monomial i of block ``degree``) × x_v, shape (size, n_vars); -1 if not kept."""
        if degree not in self._raise_tables:
            with np.errstate(over="ignore"):
                raised = self._hashes[degree][:, None] + self._hash_weights[None, :]
            self._raise_tables[degree] = self._slots(degree + 1, raised.ravel()).reshape(raised.shape)
        return self._raise_tables[degree]

    def parents(self, degree: int) -> tuple[np.ndarray, np.ndarray]:
        """For block ``degree`` ≥ 1: each monomial's slot in block degree−1 once its first (lowest-index)
        variable is removed, and that variable. Monomial values follow as value(parent) × x_var."""
        return self._parents[degree]

    def values(self, z: np.ndarray, max_degree: int | None = None) -> Iterator[np.ndarray]:
        """Every monomial's value at the points z (n_vars, ...), block by block up to ``max_degree``
        (default: the order): block d is (size(d), ...). Each value is its parent's times one
        variable, one multiply per monomial; yielding blocks lets a caller that scales them hold
        one block of values at a time."""
        top = self.order if max_degree is None else max_degree
        values = np.ones((1,) + z.shape[1:])
        yield values
        for degree in range(1, top + 1):
            parent, variable = self.parents(degree)
            values = values[parent] * z[variable]
            yield values

    def multinomials(self, degree: int) -> np.ndarray:
        """d! / Π e_i! for each monomial of block ``degree``: its coefficient in (x1 + … + xn)^d.

        From the parent's value by m(e) = m(e − u_v) · d / e_v, exact in float64 while m < 2⁵³.
        """
        if degree not in self._multinomials:
            if degree == 0:
                values = np.ones(1)
            else:
                parent, _ = self.parents(degree)
                block = self._blocks[degree]
                powers = (block == block[:, :1]).sum(axis=1)
                values = self.multinomials(degree - 1)[parent] * degree / powers
            self._multinomials[degree] = values
        return self._multinomials[degree]

    def product_slots(self, degree_a: int, degree_b: int) -> np.ndarray:
        """Slot in block a+b of the product of monomial i (block a) and monomial j (block b).

        Shape (size(a), size(b)), -1 where the product is not kept (``max_interaction``). Cached,
        since every layer reuses the same pairs. Each slot is found by raising monomial i by the
        variables of monomial j one at a time through the small per-degree ``raise_table``s:
        array gathers, no search over pairs. For a fixed i the row is increasing (adding a fixed
        exponent preserves the lexicographic order), so scatters along it are cache-friendly.
        """
        key = (degree_a, degree_b)
        if key not in self._products:
            if degree_a + degree_b > self.order:
                raise ValueError(f"block product {degree_a}+{degree_b} exceeds the order {self.order}")
            slots = np.broadcast_to(
                np.arange(self.sizes[degree_a])[:, None], (int(self.sizes[degree_a]), int(self.sizes[degree_b]))
            )
            labels = self.labels(degree_b)
            for step in range(degree_b):
                table = self.raise_table(degree_a + step)
                slots = np.where(slots >= 0, table[np.maximum(slots, 0), labels[None, :, step]], -1)
            self._products[key] = np.ascontiguousarray(slots, dtype=np.intp)
        return self._products[key]

    def interior_pairs(
        self, target: int, left_degrees: tuple[int, ...] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        """Every kept pair with degrees a, b ≥ 1 and a + b = target (a in ``left_degrees``, default
        all), sorted by the slot it lands in.

        Returns row indices into blocks 1 … target−1 stacked (for each factor), the start of each
        slot's run, ready for ``np.add.reduceat``, and the slot of each run: None when every slot of
        the block has one (all degree pairs of a space; then runs are the slots in order).
        """
        degrees = tuple(range(1, target)) if left_degrees is None else tuple(left_degrees)
        key = (target, degrees)
        if key not in self._interior:
            lefts, rights, slots = [], [], []
            for degree_a in degrees:
                table = self.product_slots(degree_a, target - degree_a)
                left, right = np.nonzero(table >= 0)
                lefts.append(left + self.offsets[degree_a] - 1)
                rights.append(right + self.offsets[target - degree_a] - 1)
                slots.append(table[left, right])
            slot = np.concatenate(slots)
            order = np.argsort(slot, kind="stable")
            starts = np.flatnonzero(np.diff(slot[order], prepend=-1))
            landed = slot[order][starts]
            every = landed.size == self.sizes[target]
            self._interior[key] = (np.concatenate(lefts)[order], np.concatenate(rights)[order], starts,
                                   None if every else landed)
        return self._interior[key]

    def is_complete(self) -> bool:
        """True when every monomial up to the order is kept (no ``max_interaction`` filter)."""
        return self.max_interaction is None or self.max_interaction >= min(self.n_vars, self.order)
