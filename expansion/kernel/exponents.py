"""Exponent vectors: the one monomial convention inside polyx, and its conversions at the edges.

A monomial is a row of non-negative integer exponents, one per variable. Lists of monomials are
kept in graded order (total degree, then descending lexicographic exponents within a degree:
1, x1, x2, x1², x1x2, x2², …), which is nn2poly's order, so its multiset labels line up term by
term. Readable names (``x1²·x3`` for people, ``x1^2*x3`` for CSV headers) are made here too.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from polyx.errors import DataError

__all__ = [
    "graded_order",
    "labels_to_exponents",
    "exponents_to_labels",
    "exponents_to_names",
    "duplicate_exponent_rows",
    "is_strictly_graded",
    "descending_keys",
    "unique_exponent_rows",
    "ExponentIndex",
]

_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def descending_keys(exponents: np.ndarray) -> np.ndarray | None:
    """Each row as one byte string of 255 − exponent: ascending string order is descending
    lexicographic exponent order, so a single sort key replaces one key per variable (784 for an
    image). None when an exponent exceeds 255."""
    if exponents.size and (exponents.max() > 255 or exponents.min() < 0):
        return None
    return (255 - exponents.astype(np.uint8)).view(f"S{exponents.shape[1]}").ravel()


def _int64_keys(rows: np.ndarray) -> np.ndarray:
    """Each row's int64 exponents as one opaque byte string: exact for any exponent."""
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    return rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()


class ExponentIndex:
    """Where given exponent rows sit in a table: the table's row keys sorted once, then a binary
    search per lookup (n bytes a row while every exponent fits a byte, else the int64 bytes).
    The one row lookup of polyx outside the kernel's own hash tables."""

    def __init__(self, table: np.ndarray) -> None:
        table = np.asarray(table, dtype=np.int64)
        self._narrow = bool(table.size == 0 or (table.min() >= 0 and table.max() <= 255))
        keys = self._keys(table)
        self._order = np.argsort(keys, kind="stable")
        self._sorted = keys[self._order]

    def _keys(self, rows: np.ndarray) -> np.ndarray:
        return descending_keys(rows) if self._narrow else _int64_keys(rows)

    def find(self, rows: np.ndarray) -> np.ndarray:
        """Index in the table of each row (the first, if the table repeats it), or -1 if absent."""
        rows = np.asarray(rows, dtype=np.int64)
        found = np.full(rows.shape[0], -1, dtype=np.int64)
        fits = ((rows >= 0) & (rows <= 255)).all(axis=1) if self._narrow else np.ones(rows.shape[0], dtype=bool)
        if self._sorted.size == 0 or not fits.any():
            return found
        keys = self._keys(rows[fits])
        position = np.minimum(np.searchsorted(self._sorted, keys), self._sorted.size - 1)
        found[fits] = np.where(self._sorted[position] == keys, self._order[position], -1)
        return found


def graded_order(exponents: np.ndarray) -> np.ndarray:
    """Permutation that sorts exponent rows by total degree, then descending lexicographically.

    A stable sort: rows already in graded order keep their positions, so the permutation of a
    sorted list is the identity.
    """
    exponents = np.asarray(exponents)
    if exponents.ndim != 2 or exponents.shape[0] == 0:
        return np.arange(exponents.shape[0] if exponents.ndim else 0)
    keys = descending_keys(exponents)
    if keys is not None and exponents.shape[1] > 0:
        return np.lexsort((keys, exponents.sum(axis=1)))
    columns = [-exponents[:, i] for i in range(exponents.shape[1] - 1, -1, -1)]
    columns.append(exponents.sum(axis=1))
    return np.lexsort(columns)


def is_strictly_graded(exponents: np.ndarray) -> bool:
    """True when the rows are already in strict graded order: sorted and without repeats.

    One pass over neighbouring rows, so the expansions (which produce sorted terms) skip the sort
    and the duplicate check, which on 300k-term tables cost more than the expansion itself.
    """
    exponents = np.asarray(exponents, dtype=np.int64)
    if exponents.shape[0] < 2:
        return True
    keys = descending_keys(exponents)
    if keys is None:
        order = graded_order(exponents)
        return bool((order == np.arange(order.size)).all()) and duplicate_exponent_rows(exponents).size == 0
    degrees = exponents.sum(axis=1)
    rising = degrees[1:] > degrees[:-1]
    level = degrees[1:] == degrees[:-1]
    return bool((rising | (level & (keys[1:] > keys[:-1]))).all())


def duplicate_exponent_rows(exponents: np.ndarray) -> np.ndarray:
    """Indices of rows equal to an earlier row; two coefficients for one monomial are ambiguous."""
    exponents = np.asarray(exponents, dtype=np.int64)
    if exponents.shape[0] < 2:
        return np.zeros(0, dtype=np.int64)
    order = _lexicographic_order(exponents)
    repeated = np.zeros(exponents.shape[0], dtype=bool)
    repeated[order[1:]] = (exponents[order[1:]] == exponents[order[:-1]]).all(axis=1)
    return np.flatnonzero(repeated)


def unique_exponent_rows(exponents: np.ndarray) -> np.ndarray:
    """The distinct rows, in one lexicographic order (np.unique(axis=0), but sorting one byte-string
    key per row is far faster on wide integer tables)."""
    exponents = np.asarray(exponents, dtype=np.int64)
    if exponents.shape[0] < 2:
        return exponents.copy()
    ordered = exponents[_lexicographic_order(exponents)]
    keep = np.ones(ordered.shape[0], dtype=bool)
    keep[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    return ordered[keep]


def _lexicographic_order(exponents: np.ndarray) -> np.ndarray:
    keys = descending_keys(exponents)
    if keys is not None and exponents.shape[1] > 0:
        return np.argsort(keys, kind="stable")
    return np.lexsort(exponents.T[::-1])


def labels_to_exponents(labels: Sequence[Sequence[int]], n_vars: int) -> np.ndarray:
    """nn2poly multiset labels (``[0]`` intercept, ``[1, 1, 2]`` = x1²x2, 1-based) to exponent rows.

    nn2poly names a monomial by listing each variable once per power; polyx stores the powers.
    """
    exponents = np.zeros((len(labels), n_vars), dtype=np.int64)
    for row, label in enumerate(labels):
        indices = [int(index) for index in label]
        if indices == [0]:
            continue
        bad = [index for index in indices if not 1 <= index <= n_vars]
        if bad or not indices:
            raise DataError(
                f"label {list(label)} (term {row + 1}) is not an nn2poly label for {n_vars} variables: "
                "use [0] for the intercept and 1-based variable indices otherwise"
            )
        np.add.at(exponents[row], np.asarray(indices) - 1, 1)
    return exponents


def exponents_to_labels(exponents: np.ndarray) -> list[list[int]]:
    """Exponent rows to nn2poly multiset labels (1-based variable indices, ``[0]`` for the intercept)."""
    exponents = np.asarray(exponents, dtype=np.int64)
    variables = np.arange(1, exponents.shape[1] + 1) if exponents.ndim == 2 else np.zeros(0, int)
    labels = []
    for row in exponents:
        label = np.repeat(variables, row).tolist()
        labels.append(label or [0])
    return labels


def exponents_to_names(exponents: np.ndarray, variables: Sequence[str], *, ascii: bool = False) -> list[str]:
    """Readable term names: ``x1²·x3`` (``x1^2*x3`` with ``ascii``) and ``1`` for the intercept.

    The unicode form is for tables people read; the ASCII form for CSV headers that other tools
    parse. Both list variables in their own order, so names are unique when exponents are.
    """
    power = (lambda p: f"^{p}") if ascii else (lambda p: str(p).translate(_SUPERSCRIPTS))
    joiner = "*" if ascii else "·"
    names = []
    for row in np.asarray(exponents, dtype=np.int64):
        factors = [
            variables[i] if p == 1 else f"{variables[i]}{power(p)}" for i, p in enumerate(row.tolist()) if p
        ]
        names.append(joiner.join(factors) or "1")
    return names
