"""The polynomial every method produces: named variables, named outputs, explicit terms.

Terms are exponent vectors in graded order (total degree, then descending lexicographic within
a degree: 1, x1, x2, x1², x1x2, x2², … as nn2poly lists them). Coefficients are float64, one row
per output. When ``center`` is set the polynomial is written in powers of (x − center).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Sequence

import numpy as np

from polyx.errors import DataError
from polyx.expansion.evaluation import MonomialPlan, plan_monomials
from polyx.expansion.exponents import (
    duplicate_exponent_rows,
    exponents_to_labels,
    exponents_to_names,
    graded_order,
    is_strictly_graded,
    labels_to_exponents,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Polynomial", "graded_order", "labels_to_exponents", "exponents_to_labels", "exponents_to_names"]


@dataclass(frozen=True, eq=False)
class Polynomial:
    """A multivariate polynomial with one coefficient row per output.

    Terms are put in graded order on construction (coefficients follow), so every polynomial,
    whatever built it, lists its terms the same way. ``method``, ``provenance`` and
    ``diagnostics`` are plain JSON-ready dicts carried into the artifact: what produced the
    polynomial, from which file, and how good it is.
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
        variables, outputs = _names(self.variables, "variable"), _names(self.outputs, "output")
        exponents = _owned(self.exponents, np.int64).reshape(-1, len(variables))
        coefficients = _owned(self.coefficients, np.float64).reshape(len(outputs), -1)
        if coefficients.shape[1] != exponents.shape[0]:
            raise DataError(
                f"polynomial has {exponents.shape[0]} terms but {coefficients.shape[1]} coefficients per output"
            )
        if (exponents < 0).any():
            raise DataError("polynomial exponents must be non-negative integers")
        if not is_strictly_graded(exponents):
            repeated = duplicate_exponent_rows(exponents)
            if repeated.size:
                name = exponents_to_names(exponents[repeated[:1]], variables)[0]
                raise DataError(f"polynomial lists the term {name} twice; merge its coefficients into one term")
            order = graded_order(exponents)
            exponents, coefficients = exponents[order], coefficients[:, order]
        exponents.setflags(write=False)
        coefficients.setflags(write=False)
        for name, value in (("variables", variables), ("outputs", outputs)):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "exponents", exponents)
        object.__setattr__(self, "coefficients", coefficients)
        if self.center is not None:
            center = np.array(self.center, dtype=np.float64).reshape(-1)
            if center.size != len(variables):
                raise DataError(f"polynomial center has {center.size} values for {len(variables)} variables")
            center.setflags(write=False)
            object.__setattr__(self, "center", center)

    @classmethod
    def from_nn2poly(
        cls,
        labels: Sequence[Sequence[int]],
        values: np.ndarray,
        variables: Sequence[str] | None = None,
        outputs: Sequence[str] | None = None,
        **metadata: object,
    ) -> "Polynomial":
        """Build from nn2poly's output: multiset ``labels`` and ``values[output][term]``.

        Lets R results be compared with (or loaded as) polyx polynomials term by term.
        """
        values = np.atleast_2d(np.asarray(values, dtype=np.float64))
        n_vars = len(variables) if variables is not None else max([max(label) for label in labels] + [0])
        variables = variables if variables is not None else [f"x{i + 1}" for i in range(n_vars)]
        outputs = outputs if outputs is not None else [f"y{k + 1}" for k in range(values.shape[0])]
        return cls(tuple(variables), tuple(outputs), labels_to_exponents(labels, len(variables)), values, **metadata)

    def relabelled(self, **fields: object) -> "Polynomial":
        """The same terms and coefficients with other names or metadata (variables, outputs, method,
        provenance, diagnostics); the arrays are shared, not re-checked or re-sorted, and so is the
        evaluation plan once built (it depends on the exponents only)."""
        terms = {"exponents", "coefficients", "center"} & set(fields)
        if terms:
            raise ValueError(f"relabelled() changes names and metadata only, not {sorted(terms)}")
        copy = object.__new__(Polynomial)
        copy.__dict__.update(self.__dict__)
        for name in ("variables", "outputs"):
            if name in fields:
                fields[name] = _names(fields[name], name[:-1])  # type: ignore[arg-type]
                if len(fields[name]) != len(getattr(self, name)):  # type: ignore[arg-type]
                    raise DataError(f"{len(fields[name])} {name} given for a polynomial with {len(getattr(self, name))}")  # type: ignore[arg-type]
        copy.__dict__.update(fields)
        return copy

    @property
    def n_terms(self) -> int:
        """Number of listed terms (zeros included)."""
        return int(self.exponents.shape[0])

    @property
    def degree(self) -> int:
        """Highest total degree among the listed terms."""
        return int(self.exponents.sum(axis=1).max()) if self.n_terms else 0

    @cached_property
    def _plan(self) -> MonomialPlan:
        return plan_monomials(self.exponents)

    def _points(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim == 1:
            x = x.reshape(1, -1)
        if x.ndim != 2 or x.shape[1] != len(self.variables):
            columns = x.shape[1] if x.ndim == 2 else "?"
            raise DataError(
                f"the polynomial has {len(self.variables)} variables ({', '.join(self.variables)}) "
                f"but the data has {columns} columns"
            )
        return x

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        """Values at each row of x, shape (rows, outputs).

        Works in cache-sized row chunks, so memory stays bounded (about a MB beyond the result)
        for any number of rows, and each term costs about one multiply-add per row
        (``polyx.expansion.evaluation``).
        """
        x = self._points(x)
        return np.ascontiguousarray(self._plan.evaluate(x, self.center, self.coefficients).T)

    def monomials(self, x: np.ndarray) -> np.ndarray:
        """Every listed term's monomial value at each row: shape (rows, terms); the basis of fits."""
        x = self._points(x)
        out = np.empty((x.shape[0], self.n_terms))
        for rows, values in self._plan.monomials(x, self.center):
            out[rows] = values[self._plan.listed].T
        return out

    def contributions(self, x: np.ndarray, output: int = 0) -> np.ndarray:
        """Each term's contribution coefficient × monomial at each row for one output: (rows, terms).

        Their row sums are the output's values: nn2poly's ``predict(monomials = TRUE)``.
        """
        return self.monomials(x) * self.coefficients[output]

    def with_terms(self, keep: np.ndarray) -> "Polynomial":
        """The same polynomial restricted to the terms selected by a boolean mask or index array."""
        keep = np.sort(np.arange(self.n_terms)[keep])
        return replace(self, exponents=self.exponents[keep], coefficients=self.coefficients[:, keep])

    def pruned(self, threshold: float = 0.0, *, top: int | None = None) -> "Polynomial":
        """Keep the terms that matter: |coefficient| ≥ ``threshold`` in some output, and, with
        ``top``, only those among each output's ``top`` largest (the union over outputs).

        A readable or deployable polynomial rarely needs the thousands of tiny terms an
        expansion lists; pruning keeps graded order and the metadata.
        """
        keep = np.abs(self.coefficients).max(axis=0, initial=0.0) >= threshold
        if top is not None:
            ranked = np.zeros(self.n_terms, dtype=bool)
            for output in range(len(self.outputs)):
                ranked[self.top_terms(top, output)] = True
            keep &= ranked
        return self.with_terms(keep)

    def top_terms(self, k: int, output: int = 0) -> np.ndarray:
        """Indices of the k largest terms of one output by |coefficient|, largest first (ties by term order)."""
        order = np.argsort(-np.abs(self.coefficients[output]), kind="stable")
        return order[: max(k, 0)]

    def labels(self) -> list[list[int]]:
        """The terms as nn2poly multiset labels."""
        return exponents_to_labels(self.exponents)

    def term_names(self, *, ascii: bool = False) -> list[str]:
        """Readable term names (``x1²·x3``; ``x1^2*x3`` with ``ascii``), aligned with the terms."""
        return exponents_to_names(self.exponents, self.variables, ascii=ascii)

    def to_frame(self) -> "pd.DataFrame":
        """The terms as a pandas table: term, degree, one coefficient column per output (needs pandas)."""
        from polyx.expansion.notebook import polynomial_frame

        return polynomial_frame(self)

    def predict(self, frame: "pd.DataFrame | np.ndarray") -> "pd.DataFrame | np.ndarray":
        """The outputs on a DataFrame's rows, columns matched to the variables by name (arrays: by position)."""
        from polyx.expansion.notebook import predict_frame

        return predict_frame(self, frame)

    def _repr_html_(self) -> str:
        """Jupyter's display: a summary and each output's largest terms."""
        from polyx.expansion.notebook import polynomial_html

        return polynomial_html(self)

    def _repr_latex_(self) -> str:
        """Jupyter's LaTeX display: each output's largest terms as an equation."""
        from polyx.expansion.notebook import polynomial_latex

        return polynomial_latex(self)


def _owned(values: object, dtype: type) -> np.ndarray:
    """A read-only array the caller cannot change under us: read-only input of the right dtype is
    taken as it is (the kernel hands over 100 MB exponent tables this way), anything else is copied."""
    if isinstance(values, np.ndarray) and values.dtype == dtype and not values.flags.writeable:
        return values
    return np.array(values, dtype=dtype)


def _names(names: Sequence[str], kind: str) -> tuple[str, ...]:
    """Names as a tuple of distinct non-empty strings; anything else makes terms ambiguous."""
    names = tuple(str(name) for name in names)
    if not names:
        raise DataError(f"polynomial has no {kind}s; give at least one {kind} name")
    if any(not name for name in names):
        raise DataError(f"polynomial has an empty {kind} name; name every {kind}")
    repeated = sorted(name for name, count in Counter(names).items() if count > 1)
    if repeated:
        raise DataError(f"polynomial has duplicate {kind} names {repeated}; rename them")
    return names
