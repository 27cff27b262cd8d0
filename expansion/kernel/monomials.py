"""Sparse monomials, polyx's one monomial structure: each term its sorted 0-based variable indices.

x1²·x3 in variables x1..xn is ``[0, 0, 2]``; the constant is ``[]``. A table of T terms of
degree ≤ D is one int32 array (T, D), each row padded on the right with -1, so its memory grows
with terms × degree and never with terms × variables (784 pixel inputs cost nothing extra).
The kernel's ``MonomialSpace`` (``polyx.expansion.kernel.space``) builds its degree blocks as
such rows, ``Polynomial`` stores them, the evaluation plan (``polyx.expansion.kernel.evaluation``)
and the ONNX export build monomials from them, artifact format /2 writes them. Dense exponent
rows exist only as conversions at the edges (``from_exponents``/``to_exponents`` here, nn2poly
labels in ``polyx.expansion.kernel.exponents``).

Graded order (total degree, then descending lexicographic exponents: 1, x1, x2, x1², x1x2, …)
is, in this code, degree first and then ascending index rows, which is what nn2poly lists. The
first index of a row is the monomial's first used variable, and dropping it gives its parent in
the evaluation plan: x1²x3 = x1 · (x1x3). This module holds the one graded order, duplicate
and unique rows, row lookup (``RowIndex``) and term names of polyx.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from polyx.errors import DataError

__all__ = [
    "PAD",
    "from_exponents",
    "to_exponents",
    "from_lists",
    "to_lists",
    "from_labels",
    "to_labels",
    "degrees",
    "graded_order",
    "is_strictly_graded",
    "duplicate_rows",
    "unique_rows",
    "row_keys",
    "RowIndex",
    "names",
    "factors",
    "parents",
    "quadratic_table",
]

PAD = -1
INDEX_DTYPE = np.int32


def _table(indices: np.ndarray) -> np.ndarray:
    indices = np.asarray(indices)
    if indices.ndim != 2:
        indices = indices.reshape(indices.shape[0] if indices.ndim else 0, -1)
    return np.ascontiguousarray(indices, dtype=INDEX_DTYPE)


def degrees(indices: np.ndarray) -> np.ndarray:
    """Total degree of each row: the number of indices that are not padding."""
    return (np.asarray(indices) >= 0).sum(axis=1)


def from_exponents(exponents: np.ndarray) -> np.ndarray:
    """Dense exponent rows (terms, variables) to the padded index table (terms, max degree)."""
    exponents = np.asarray(exponents)
    if exponents.ndim != 2:
        raise ValueError("exponents must be a (terms, variables) table")
    rows, columns = np.nonzero(exponents)
    powers = exponents[rows, columns].astype(np.int64)
    degree = np.zeros(exponents.shape[0], dtype=np.int64)
    np.add.at(degree, rows, powers)
    width = int(degree.max(initial=0))
    out = np.full((exponents.shape[0], width), PAD, dtype=INDEX_DTYPE)
    if rows.size:
        term = np.repeat(rows, powers)
        start = np.cumsum(degree) - degree
        position = np.arange(term.size) - start[term]
        out[term, position] = np.repeat(columns, powers)
    return out


def to_exponents(indices: np.ndarray, n_vars: int, dtype: type = np.int64) -> np.ndarray:
    """The dense (terms, n_vars) exponent table: for small polynomials and older consumers only."""
    indices = _table(indices)
    out = np.zeros((indices.shape[0], n_vars), dtype=dtype)
    term, position = np.nonzero(indices >= 0)
    np.add.at(out, (term, indices[term, position]), 1)
    return out


def from_lists(terms: Sequence[Sequence[int]]) -> np.ndarray:
    """Lists of indices (any order within a term) to the padded, row-sorted table."""
    width = max((len(term) for term in terms), default=0)
    out = np.full((len(terms), width), PAD, dtype=np.int64)
    for row, term in enumerate(terms):
        out[row, : len(term)] = sorted(term)
    return _table(out)


def to_lists(indices: np.ndarray) -> list[list[int]]:
    """The table as lists of indices without padding (the /2 artifact's ``monomials``)."""
    indices = _table(indices)
    degree = degrees(indices)
    if indices.shape[1] == 0:
        return [[] for _ in range(indices.shape[0])]
    if (degree == indices.shape[1]).all():
        return indices.tolist()
    return [row[:d] for row, d in zip(indices.tolist(), degree.tolist())]


def from_labels(labels: Sequence[Sequence[int]], n_vars: int) -> np.ndarray:
    """nn2poly multiset labels (1-based variable indices, ``[0]`` for the intercept) to the table."""
    terms = []
    for row, label in enumerate(labels):
        indices = [int(index) for index in label]
        if indices == [0]:
            terms.append([])
            continue
        bad = [index for index in indices if not 1 <= index <= n_vars]
        if bad or not indices:
            raise DataError(
                f"label {list(label)} (term {row + 1}) is not an nn2poly label for {n_vars} variables: "
                "use [0] for the intercept and 1-based variable indices otherwise"
            )
        terms.append([index - 1 for index in indices])
    return from_lists(terms)


def to_labels(indices: np.ndarray) -> list[list[int]]:
    """The table as nn2poly multiset labels (1-based, ``[0]`` for the intercept)."""
    return [[index + 1 for index in term] or [0] for term in to_lists(indices)]


def row_keys(indices: np.ndarray) -> np.ndarray:
    """Each row as one opaque byte string, for sorting, uniqueness and lookups of whole rows."""
    indices = _table(indices)
    width = max(indices.shape[1], 1)
    if indices.shape[1] == 0:
        indices = np.full((indices.shape[0], 1), PAD, dtype=INDEX_DTYPE)
    return indices.view(np.dtype((np.void, 4 * width))).ravel()


def graded_order(indices: np.ndarray) -> np.ndarray:
    """Permutation putting rows in graded order (stable: sorted input gives the identity)."""
    indices = _table(indices)
    if indices.shape[0] == 0:
        return np.arange(0)
    keys = [indices[:, column] for column in range(indices.shape[1] - 1, -1, -1)]
    keys.append(degrees(indices))
    return np.lexsort(keys)


def _neighbour_comparison(indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per neighbouring pair (t, t+1): is row t+1 after row t in graded order, is it equal."""
    degree = degrees(indices)
    later = degree[1:] > degree[:-1]
    same_degree = degree[1:] == degree[:-1]
    undecided = np.ones(indices.shape[0] - 1, dtype=bool)
    after = np.zeros(indices.shape[0] - 1, dtype=bool)
    for column in range(indices.shape[1]):
        a, b = indices[:-1, column], indices[1:, column]
        after |= undecided & (b > a)
        undecided &= a == b
    return later | (same_degree & after), same_degree & undecided


def is_strictly_graded(indices: np.ndarray) -> bool:
    """True when the rows are in strict graded order: sorted and without repeats (one pass)."""
    indices = _table(indices)
    if indices.shape[0] < 2:
        return True
    after, _ = _neighbour_comparison(indices)
    return bool(after.all())


def duplicate_rows(indices: np.ndarray) -> np.ndarray:
    """Indices of rows that repeat an earlier row (empty when all rows are distinct)."""
    indices = _table(indices)
    if indices.shape[0] < 2:
        return np.zeros(0, dtype=np.int64)
    order = graded_order(indices)
    _, equal = _neighbour_comparison(indices[order])
    return np.sort(order[1:][equal])


def unique_rows(indices: np.ndarray) -> np.ndarray:
    """The distinct rows in graded order."""
    indices = _table(indices)
    if indices.shape[0] < 2:
        return indices.copy()
    ordered = indices[graded_order(indices)]
    _, equal = _neighbour_comparison(ordered)
    return ordered[np.concatenate(([True], ~equal))]


def parents(indices: np.ndarray) -> np.ndarray:
    """Each row without its first index (x1²x3 → x1x3); the constant's parent is itself."""
    indices = _table(indices)
    if indices.shape[1] == 0:
        return indices.copy()
    return np.concatenate([indices[:, 1:], np.full((indices.shape[0], 1), PAD, dtype=INDEX_DTYPE)], axis=1)


class RowIndex:
    """Where given rows sit in a table: the table's row keys sorted once, then binary search."""

    def __init__(self, table: np.ndarray) -> None:
        self._width = _table(table).shape[1]
        keys = row_keys(table)
        self._order = np.argsort(keys, kind="stable")
        self._sorted = keys[self._order]

    def find(self, rows: np.ndarray) -> np.ndarray:
        """Row of the table holding each given row, or -1 if absent (rows wider than the table's
        padding width are absent unless their extra columns are padding)."""
        rows = _table(rows)
        found = np.full(rows.shape[0], -1, dtype=np.int64)
        if rows.shape[1] > self._width:
            fits = (rows[:, self._width :] < 0).all(axis=1)
            rows = rows[:, : self._width]
        else:
            fits = np.ones(rows.shape[0], dtype=bool)
            if rows.shape[1] < self._width:
                pad = np.full((rows.shape[0], self._width - rows.shape[1]), PAD, dtype=INDEX_DTYPE)
                rows = np.concatenate([rows, pad], axis=1)
        if self._sorted.size == 0 or not fits.any():
            return found
        keys = row_keys(rows[fits])
        position = np.minimum(np.searchsorted(self._sorted, keys), self._sorted.size - 1)
        found[fits] = np.where(self._sorted[position] == keys, self._order[position], -1)
        return found


_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def factors(indices: np.ndarray) -> list[list[tuple[int, int]]]:
    """Each term as its (variable, power) pairs in ascending variable order (x1²x3 -> [(0, 2), (2, 1)]):
    what writers that spell a monomial factor by factor (names, LaTeX, SymPy) read."""
    out = []
    for term in to_lists(indices):
        pairs: list[tuple[int, int]] = []
        for variable in term:
            if pairs and pairs[-1][0] == variable:
                pairs[-1] = (variable, pairs[-1][1] + 1)
            else:
                pairs.append((variable, 1))
        out.append(pairs)
    return out


def names(indices: np.ndarray, variables: Sequence[str], *, ascii: bool = False) -> list[str]:
    """Readable term names (``x1²·x3``, ``x1^2*x3`` with ``ascii``, ``1`` for the constant).

    The unicode form is for tables people read; the ASCII form for CSV headers that other tools
    parse. Both list variables in their own order, so names are unique when terms are."""
    power = (lambda p: f"^{p}") if ascii else (lambda p: str(p).translate(_SUPERSCRIPTS))
    joiner = "*" if ascii else "·"
    return [
        joiner.join(variables[v] if p == 1 else f"{variables[v]}{power(p)}" for v, p in term) or "1"
        for term in factors(indices)
    ]


def quadratic_table(n_vars: int) -> np.ndarray:
    """Every monomial of degree ≤ 2 in graded order: [], [0]..[n-1], then [i, j] for i ≤ j; the same
    table as ``MonomialSpace(n_vars, 2).monomials()``, made without the space's hash tables for the
    matrix path of quadratics (``polyx.expansion.polynomials.quadratic``)."""
    upper_i, upper_j = np.triu_indices(n_vars)
    table = np.full((1 + n_vars + upper_i.size, 2), PAD, dtype=INDEX_DTYPE)
    table[1 : n_vars + 1, 0] = np.arange(n_vars)
    table[n_vars + 1 :, 0] = upper_i
    table[n_vars + 1 :, 1] = upper_j
    return table


class MonomialTable(np.ndarray):
    """A padded index table marked as sparse monomials, so code that hands ``Polynomial`` its terms
    positionally (as ``exponents``) can pass either form and the constructor tells them apart."""


def marked(indices: np.ndarray) -> MonomialTable:
    """The table as a MonomialTable view (no copy)."""
    return _table(indices).view(MonomialTable)
