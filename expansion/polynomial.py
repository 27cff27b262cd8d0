"""The polynomial every method produces: named variables, named outputs, explicit terms.

Terms are exponent vectors in graded order (total degree, then descending lexicographic within
a degree: 1, x1, x2, x1², x1x2, x2², … as nn2poly lists them). Coefficients are float64, one row
per output. When ``center`` is set the polynomial is written in powers of (x − center).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterator

import numpy as np

from polyx.errors import DataError

__all__ = ["Polynomial", "graded_order", "labels_to_exponents", "exponents_to_labels"]

EVALUATION_CHUNK_ELEMENTS = 4_000_000


def graded_order(exponents: np.ndarray) -> np.ndarray:
    """Permutation that sorts exponent rows by total degree, then descending lexicographically."""
    exponents = np.asarray(exponents)
    keys = [-exponents[:, i] for i in range(exponents.shape[1] - 1, -1, -1)]
    keys.append(exponents.sum(axis=1))
    return np.lexsort(keys)


def labels_to_exponents(labels: list[list[int]], n_vars: int) -> np.ndarray:
    """nn2poly multiset labels (``[0]`` intercept, ``[1, 1, 2]`` = x1²x2, 1-based) to exponent rows."""
    exponents = np.zeros((len(labels), n_vars), dtype=np.int64)
    for row, label in enumerate(labels):
        for index in label:
            if index != 0:
                exponents[row, index - 1] += 1
    return exponents


def exponents_to_labels(exponents: np.ndarray) -> list[list[int]]:
    """Exponent rows to nn2poly multiset labels (1-based variable indices, ``[0]`` for the intercept)."""
    labels = []
    for row in np.asarray(exponents):
        label = [i + 1 for i, power in enumerate(row) for _ in range(int(power))]
        labels.append(label or [0])
    return labels


@dataclass(frozen=True)
class Polynomial:
    """A multivariate polynomial with one coefficient row per output.

    ``method``, ``provenance`` and ``diagnostics`` are plain JSON-ready dicts carried into the
    artifact: what produced the polynomial, from which file, and how good it is.
    """

    variables: tuple[str, ...]
    outputs: tuple[str, ...]
    exponents: np.ndarray
    coefficients: np.ndarray
    center: np.ndarray | None = None
    method: dict = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)
    diagnostics: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        exponents = np.array(self.exponents, dtype=np.int64, copy=True).reshape(-1, len(self.variables))
        coefficients = np.array(self.coefficients, dtype=np.float64, copy=True).reshape(len(self.outputs), -1)
        if coefficients.shape[1] != exponents.shape[0]:
            raise DataError(
                f"polynomial has {exponents.shape[0]} terms but {coefficients.shape[1]} coefficients per output"
            )
        exponents.setflags(write=False)
        coefficients.setflags(write=False)
        object.__setattr__(self, "variables", tuple(self.variables))
        object.__setattr__(self, "outputs", tuple(self.outputs))
        object.__setattr__(self, "exponents", exponents)
        object.__setattr__(self, "coefficients", coefficients)
        if self.center is not None:
            center = np.array(self.center, dtype=np.float64).reshape(len(self.variables))
            center.setflags(write=False)
            object.__setattr__(self, "center", center)

    @property
    def n_terms(self) -> int:
        """Number of listed terms (zeros included)."""
        return int(self.exponents.shape[0])

    @property
    def degree(self) -> int:
        """Highest total degree among the listed terms."""
        return int(self.exponents.sum(axis=1).max()) if self.n_terms else 0

    def _chunks(self, x: np.ndarray) -> Iterator[slice]:
        step = max(1, EVALUATION_CHUNK_ELEMENTS // max(1, self.n_terms))
        for start in range(0, x.shape[0], step):
            yield slice(start, start + step)

    def monomials(self, x: np.ndarray) -> np.ndarray:
        """Every term's monomial value at each row: shape (rows, terms); the basis of predict and fits."""
        x = self._shifted(x)
        return _monomial_values(x, self.exponents)

    def _shifted(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim == 1:
            x = x.reshape(1, -1)
        if x.shape[1] != len(self.variables):
            raise DataError(
                f"the polynomial has {len(self.variables)} variables ({', '.join(self.variables)}) "
                f"but the data has {x.shape[1]} columns"
            )
        return x - self.center if self.center is not None else x

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        """Values at each row of x, shape (rows, outputs); chunked so memory stays bounded for any row count."""
        x = self._shifted(x)
        out = np.empty((x.shape[0], len(self.outputs)), dtype=np.float64)
        for rows in self._chunks(x):
            out[rows] = _monomial_values(x[rows], self.exponents) @ self.coefficients.T
        return out

    def contributions(self, x: np.ndarray, output: int = 0) -> np.ndarray:
        """Each term's contribution coefficient × monomial at each row for one output: (rows, terms)."""
        return self.monomials(x) * self.coefficients[output]

    def with_terms(self, keep: np.ndarray) -> "Polynomial":
        """The same polynomial restricted to the terms selected by a boolean mask or index array."""
        return replace(self, exponents=self.exponents[keep], coefficients=self.coefficients[:, keep])

    def pruned(self, threshold: float) -> "Polynomial":
        """Drop the terms whose |coefficient| is below ``threshold`` in every output."""
        return self.with_terms(np.abs(self.coefficients).max(axis=0) >= threshold)

    def top_terms(self, k: int, output: int = 0) -> np.ndarray:
        """Indices of the k largest terms of one output by |coefficient|, largest first (ties by term order)."""
        order = np.argsort(-np.abs(self.coefficients[output]), kind="stable")
        return order[:k]

    def labels(self) -> list[list[int]]:
        """The terms as nn2poly multiset labels."""
        return exponents_to_labels(self.exponents)


def _monomial_values(x: np.ndarray, exponents: np.ndarray) -> np.ndarray:
    """Products x^e for every row and exponent, built from per-variable power tables (no pow per term)."""
    rows, n_vars = x.shape
    top = int(exponents.max()) if exponents.size else 0
    powers = np.ones((top + 1, rows, n_vars))
    for k in range(1, top + 1):
        powers[k] = powers[k - 1] * x
    values = np.ones((rows, exponents.shape[0]))
    for var in range(n_vars):
        column = exponents[:, var]
        if column.any():
            values *= powers[column, :, var].T
    return values
