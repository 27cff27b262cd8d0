"""The polynomial every method produces: named variables, named outputs, explicit terms.

Terms are sparse monomials (``polyx.expansion.kernel.monomials``: each term its sorted 0-based variable
indices, one per power; the same rows the kernel's ``MonomialSpace`` builds and the evaluation
plan and the ONNX export read) in graded order (total degree, then descending lexicographic exponents
within a degree: 1, x1, x2, x1², x1x2, x2², … as nn2poly lists them), so memory grows with
terms × degree and never with terms × variables. Coefficients are float64, one row per output.
When ``center`` is set the polynomial is written in powers of (x − center).
"""

from __future__ import annotations

from collections import Counter
from functools import cached_property
from typing import TYPE_CHECKING, Sequence

import numpy as np

from polyx.errors import DataError
from polyx.expansion.kernel import monomials as sparse
from polyx.expansion.kernel.evaluation import MonomialPlan, plan_from_indices
from polyx.expansion.polynomials.notebook import polynomial_frame, polynomial_html, polynomial_latex, predict_frame
from polyx.expansion.polynomials.quadratic import QuadraticParts, evaluate_quadratic, quadratic_parts, uses_quadratic_path

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Polynomial", "DENSE_EXPONENT_LIMIT"]

DENSE_EXPONENT_LIMIT = 64 * 2**20
"""Entries (terms × variables) up to which ``Polynomial.exponents`` builds the dense table; larger
polynomials (a quadratic in 784 pixels has 308k terms × 784) are read through ``indices``."""


class Polynomial:
    """A multivariate polynomial with one coefficient row per output.

    Built from sparse ``monomials`` (terms, degree: polyx's one monomial structure, see
    ``polyx.expansion.kernel.monomials``; every method hands over its kernel space's table), which
    it keeps as ``indices``, or from dense ``exponents`` (terms, variables), converted once on the
    way in (format /1 artifacts, user code). Terms are put in graded order
    on construction (coefficients follow), so every polynomial, whatever built it, lists its terms
    the same way. ``method``, ``provenance`` and ``diagnostics`` are plain JSON-ready dicts carried
    into the artifact: what produced the polynomial, from which file, and how good it is.
    """

    FIELDS = ("variables", "outputs", "indices", "coefficients", "center", "method", "provenance", "diagnostics")

    def __init__(
        self,
        variables: Sequence[str],
        outputs: Sequence[str],
        exponents: np.ndarray | None = None,
        coefficients: np.ndarray | None = None,
        center: np.ndarray | None = None,
        method: dict | None = None,
        provenance: dict | None = None,
        diagnostics: dict | None = None,
        *,
        monomials: np.ndarray | None = None,
    ) -> None:
        variables, outputs = _names(variables, "variable"), _names(outputs, "output")
        if isinstance(exponents, sparse.MonomialTable):
            exponents, monomials = None, np.asarray(exponents).view(np.ndarray)
        if (exponents is None) == (monomials is None):
            raise ValueError("give the terms either as dense exponents or as sparse monomials, not both")
        if coefficients is None:
            raise ValueError("a polynomial needs coefficients")
        if monomials is None:
            exponents = np.asarray(exponents)
            dense = exponents.reshape(-1, len(variables))
            if (dense < 0).any():
                raise DataError("polynomial exponents must be non-negative integers")
            indices = sparse.from_exponents(dense)
        else:
            indices = np.asarray(monomials)
            if indices.ndim != 2:
                raise DataError("polynomial monomials must be a (terms, degree) table of variable indices padded with -1")
            indices = _owned(indices, sparse.INDEX_DTYPE)
            if indices.size and (indices.max() >= len(variables) or (indices < sparse.PAD).any()):
                raise DataError(f"polynomial monomials must hold variable indices 0..{len(variables) - 1}")
            if indices.shape[1] > 1 and (np.diff(np.where(indices < 0, np.iinfo(np.int32).max, indices), axis=1) < 0).any():
                raise DataError("polynomial monomials must list each term's variable indices in ascending order, padding last")
        coefficients = _owned(coefficients, np.float64).reshape(len(outputs), -1)
        if coefficients.shape[1] != indices.shape[0]:
            raise DataError(
                f"polynomial has {indices.shape[0]} terms but {coefficients.shape[1]} coefficients per output"
            )
        if not sparse.is_strictly_graded(indices):
            repeated = sparse.duplicate_rows(indices)
            if repeated.size:
                name = sparse.names(indices[repeated[:1]], variables)[0]
                raise DataError(f"polynomial lists the term {name} twice; merge its coefficients into one term")
            order = sparse.graded_order(indices)
            indices, coefficients = indices[order], coefficients[:, order]
        width = int(sparse.degrees(indices).max(initial=0))
        indices = np.ascontiguousarray(indices[:, :width])
        indices.setflags(write=False)
        coefficients.setflags(write=False)
        self.variables, self.outputs = variables, outputs
        self.indices, self.coefficients = indices, coefficients
        if center is not None:
            center = np.array(center, dtype=np.float64).reshape(-1)
            if center.size != len(variables):
                raise DataError(f"polynomial center has {center.size} values for {len(variables)} variables")
            center.setflags(write=False)
        self.center = center
        self.method = {} if method is None else method
        self.provenance = {} if provenance is None else provenance
        self.diagnostics = {} if diagnostics is None else diagnostics

    def __setattr__(self, name: str, value: object) -> None:
        if name in Polynomial.FIELDS and name in self.__dict__:
            raise AttributeError(f"Polynomial is immutable; use relabelled() or with_terms() (tried to set {name})")
        object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        return (f"Polynomial(variables={len(self.variables)}, outputs={self.outputs}, terms={self.n_terms}, "
                f"degree={self.degree}, method={self.method.get('name')!r})")

    @property
    def exponents(self) -> np.ndarray:
        """The terms as a dense (terms, variables) exponent table: a compatibility view for small
        polynomials; past DENSE_EXPONENT_LIMIT entries it is refused (use ``indices``)."""
        size = self.n_terms * len(self.variables)
        if size > DENSE_EXPONENT_LIMIT:
            raise DataError(
                f"the polynomial has {self.n_terms:,} terms in {len(self.variables):,} variables: a dense exponent "
                f"table would hold {size:,} entries; this operation needs a smaller polynomial (prune it first)"
            )
        dense = self.__dict__.get("_dense")
        if dense is None:
            dense = sparse.to_exponents(self.indices, len(self.variables))
            dense.setflags(write=False)
            self.__dict__["_dense"] = dense
        return dense

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
        return cls(tuple(variables), tuple(outputs), None, values, monomials=sparse.from_labels(labels, len(variables)),
                   **metadata)

    def relabelled(self, **fields: object) -> "Polynomial":
        """The same terms and coefficients with other names or metadata (variables, outputs, method,
        provenance, diagnostics); the arrays are shared, not re-checked or re-sorted, and so is the
        evaluation plan once built (it depends on the exponents only)."""
        terms = {"exponents", "indices", "coefficients", "center"} & set(fields)
        if terms:
            raise ValueError(f"relabelled() changes names and metadata only, not {sorted(terms)}")
        copy = object.__new__(Polynomial)
        copy.__dict__.update(self.__dict__)
        for name in ("variables", "outputs"):
            if name in fields:
                fields[name] = _names(fields[name], name[:-1])  # type: ignore[arg-type]
                if len(fields[name]) != len(getattr(self, name)):  # type: ignore[arg-type]
                    raise DataError(f"{len(fields[name])} {name} given for a polynomial with {len(getattr(self, name))}")  # type: ignore[arg-type]
        for name, value in fields.items():
            if name not in Polynomial.FIELDS:
                raise ValueError(f"relabelled() got an unknown field {name!r}")
            copy.__dict__[name] = value
        return copy

    @property
    def n_terms(self) -> int:
        """Number of listed terms (zeros included)."""
        return int(self.indices.shape[0])

    @property
    def degree(self) -> int:
        """Highest total degree among the listed terms."""
        return int(self.indices.shape[1])

    def term_degrees(self) -> np.ndarray:
        """Total degree of each term."""
        return sparse.degrees(self.indices)

    @cached_property
    def _plan(self) -> MonomialPlan:
        return plan_from_indices(self.indices, len(self.variables), graded=True)

    @cached_property
    def quadratic(self) -> QuadraticParts | None:
        """(α, β, G) of a polynomial of degree ≤ 2 (``polyx.expansion.polynomials.quadratic``), else None."""
        return quadratic_parts(self) if self.degree <= 2 else None

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

        A polynomial of degree 2 in many variables is evaluated as batched α + βᵀz + zᵀGz
        (``polyx.expansion.polynomials.quadratic``); any other works in cache-sized row chunks, so memory stays bounded (about a MB beyond the result)
        for any number of rows, and each term costs about one multiply-add per row
        (``polyx.expansion.kernel.evaluation``).
        """
        x = self._points(x)
        if uses_quadratic_path(self.degree, len(self.variables)):
            return evaluate_quadratic(self.quadratic, x, self.center)
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
        return Polynomial(self.variables, self.outputs, None, self.coefficients[:, keep], self.center, self.method,
                          self.provenance, self.diagnostics, monomials=self.indices[keep])

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
        """The terms as nn2poly multiset labels (1-based, ``[0]`` for the intercept)."""
        return sparse.to_labels(self.indices)

    def first_nonfinite(self) -> tuple[int, int] | None:
        """(output, term) of the first NaN or infinite coefficient, or None: an expansion that overflowed
        float64 must be refused (by convert) and can never be written (JSON holds finite numbers only)."""
        bad = np.argwhere(~np.isfinite(self.coefficients))
        return (int(bad[0][0]), int(bad[0][1])) if bad.size else None

    def term_names(self, *, ascii: bool = False) -> list[str]:
        """Readable term names (``x1²·x3``; ``x1^2*x3`` with ``ascii``), aligned with the terms."""
        return sparse.names(self.indices, self.variables, ascii=ascii)

    def to_frame(self) -> "pd.DataFrame":
        """The terms as a pandas table: term, degree, one coefficient column per output (needs pandas)."""
        return polynomial_frame(self)

    def predict(self, frame: "pd.DataFrame | np.ndarray") -> "pd.DataFrame | np.ndarray":
        """The outputs on a DataFrame's rows, columns matched to the variables by name (arrays: by position)."""
        return predict_frame(self, frame)

    def _repr_html_(self) -> str:
        """Jupyter's display: a summary and each output's largest terms."""
        return polynomial_html(self)

    def _repr_latex_(self) -> str:
        """Jupyter's LaTeX display: each output's largest terms as an equation."""
        return polynomial_latex(self)


def _owned(values: object, dtype: type) -> np.ndarray:
    """A read-only array the caller cannot change under us: read-only input of the right dtype is
    taken as it is (the kernel hands over its coefficient and index tables this way), anything else is copied."""
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
