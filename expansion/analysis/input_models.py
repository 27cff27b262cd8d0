"""Distributions of the inputs, reduced to what importance needs from them: moments E[Π x_j^{e_j}].

A polynomial's variance, Sobol indices and Shapley values are all linear combinations of such
moments, so an input model is just a way to compute them exactly. Every model holds a ``center``
(the inputs' means) and gives the moments of x − center: a polynomial moved to the means first
(an exact change of variables) has small central moments, where raw ones (x ~ 40 ± 5, cubed and
squared) would cancel catastrophically in Var = E[f²] − E[f]².

- ``EmpiricalInputs``: the rows of a data set, jointly (correlations kept): E is the row mean;
- ``IndependentInputs``: a product of one-dimensional marginals (each input's own data, or a
  Gaussian N(μ_j, σ_j²)), for which a moment factors into marginal moments M_j[k] = E[x_j^k].

Sobol indices are defined for independent inputs; the empirical model gives ``marginals()``,
the product of its columns' distributions, for them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from polyx.errors import DataError

__all__ = ["InputModel", "EmpiricalInputs", "IndependentInputs", "gaussian_marginals", "empirical_marginals"]


class InputModel:
    """What every input model offers: joint moments of exponent rows, and a description for reports."""

    description: str = ""
    independent: bool = False
    center: np.ndarray

    def moments(self, exponents: np.ndarray) -> np.ndarray:
        """E[Π_j (x_j − center_j)^{e_j}] for every row e of ``exponents`` (m, n): shape (m,)."""
        raise NotImplementedError

    def marginals(self, degree: int) -> "IndependentInputs":
        """The product of this model's one-dimensional marginals (itself when already independent)."""
        raise NotImplementedError


@dataclass(frozen=True)
class IndependentInputs(InputModel):
    """Independent inputs with central marginal moments ``table[j, k]`` = E[(x_j − center_j)^k], k = 0 … K."""

    table: np.ndarray
    center: np.ndarray
    description: str = "independent inputs"
    independent: bool = True

    def moments(self, exponents: np.ndarray) -> np.ndarray:
        exponents = np.asarray(exponents, dtype=np.int64)
        if exponents.size and exponents.max() >= self.table.shape[1]:
            raise ValueError(f"moments up to degree {exponents.max()} asked of a model holding {self.table.shape[1] - 1}")
        columns = np.arange(exponents.shape[1])
        return np.prod(self.table[columns[None, :], exponents], axis=1)

    def marginals(self, degree: int) -> "IndependentInputs":
        return self


def gaussian_marginals(mean: np.ndarray, std: np.ndarray, degree: int, description: str) -> IndependentInputs:
    """N(μ_j, σ_j²) per input, centred at μ: M_k = (k − 1) σ² M_{k−2} (the Gaussian's central moments)."""
    mean, std = np.asarray(mean, dtype=np.float64), np.asarray(std, dtype=np.float64)
    table = np.zeros((mean.size, degree + 1))
    table[:, 0] = 1.0
    for k in range(2, degree + 1):
        table[:, k] = (k - 1) * std**2 * table[:, k - 2]
    return IndependentInputs(table, mean, description)


def empirical_marginals(rows: np.ndarray, degree: int, description: str) -> IndependentInputs:
    """Each column's own empirical distribution, the columns taken as independent."""
    rows = np.asarray(rows, dtype=np.float64)
    center = rows.mean(axis=0)
    table = np.stack([np.mean((rows - center) ** k, axis=0) for k in range(degree + 1)], axis=1)
    return IndependentInputs(table, center, description)


@dataclass(frozen=True)
class EmpiricalInputs(InputModel):
    """The data's rows, with their correlations: moments are row means (an exact expectation under
    the empirical distribution, which is what "importance on my data" means)."""

    rows: np.ndarray
    description: str = "the data's empirical distribution"
    center: np.ndarray | None = None

    def __post_init__(self) -> None:
        rows = np.asarray(self.rows, dtype=np.float64)
        if rows.ndim != 2 or rows.shape[0] < 2:
            raise DataError("importance under the data needs at least 2 rows of inputs")
        object.__setattr__(self, "rows", rows)
        object.__setattr__(self, "center", rows.mean(axis=0))
        object.__setattr__(self, "_centred", rows - rows.mean(axis=0))

    def moments(self, exponents: np.ndarray) -> np.ndarray:
        exponents = np.asarray(exponents, dtype=np.int64)
        out = np.empty(exponents.shape[0])
        for index, row in enumerate(exponents):
            used = np.flatnonzero(row)
            out[index] = np.mean(np.prod(self._centred[:, used] ** row[used], axis=1)) if used.size else 1.0
        return out

    def marginals(self, degree: int) -> IndependentInputs:
        return empirical_marginals(self.rows, degree, "the product of the data's marginal distributions")
