"""The quadratic part of a polynomial as a symmetric matrix, and its eigendecomposition.

Belrose & Rigg read a network through the degree-2 term of its least-squares quadratic: per
output, xᵀGx with G symmetric (G_ii = c(x_i²), G_ij = c(x_i x_j)/2). Its eigenvectors are the
input directions the network treats most non-linearly, its eigenvalues how strongly (the sign
says curving up or down). Any polynomial artifact of degree ≥ 2 has such a G.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from polyx.errors import DataError
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.expansion.polynomials.quadratic import gram_matrices

__all__ = ["QuadraticForm", "quadratic_matrices", "quadratic_forms", "quadratic_form", "direction_text", "quadratic_forms_to_json"]


@dataclass(frozen=True)
class QuadraticForm:
    """One output's G and its eigenpairs, largest |eigenvalue| first (eigenvectors as columns)."""

    output: str
    matrix: np.ndarray
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray

    @property
    def shares(self) -> np.ndarray:
        """|λ_i| / Σ|λ|: how much of the form's curvature each direction carries (0 for a zero G)."""
        total = float(np.abs(self.eigenvalues).sum())
        return np.abs(self.eigenvalues) / total if total > 0 else np.zeros_like(self.eigenvalues)


def quadratic_matrices(polynomial: Polynomial) -> np.ndarray:
    """G per output, shape (outputs, n, n): the degree-2 part of the polynomial equals xᵀGx
    (in powers of x − center when the polynomial has a center). Read from the sparse terms in one
    scatter, so a 784-input quadratic takes a fraction of a second."""
    if not (polynomial.term_degrees() == 2).any():
        raise DataError(
            f"the polynomial has no degree-2 terms (degree {polynomial.degree}); `eig` needs a polynomial of order ≥ 2"
        )
    if polynomial.degree <= 2:
        return polynomial.quadratic.gram
    return gram_matrices(polynomial)


def quadratic_forms(polynomial: Polynomial) -> list[QuadraticForm]:
    """Every output's quadratic form with its eigendecomposition, sorted by |eigenvalue|.

    Each eigenvector's sign is fixed so its largest-magnitude loading is positive, so the same
    polynomial always prints the same vectors.
    """
    return [quadratic_form(name, matrix) for name, matrix in zip(polynomial.outputs, quadratic_matrices(polynomial))]


def quadratic_form(name: str, matrix: np.ndarray) -> QuadraticForm:
    """One output's form: eigenpairs by |eigenvalue|, each eigenvector's largest loading positive."""
    values, vectors = np.linalg.eigh(matrix)
    order = np.argsort(-np.abs(values), kind="stable")
    values, vectors = values[order], vectors[:, order]
    signs = np.sign(vectors[np.argmax(np.abs(vectors), axis=0), np.arange(vectors.shape[1])])
    return QuadraticForm(name, matrix, values, vectors * np.where(signs == 0, 1.0, signs))


def direction_text(vector: np.ndarray, variables: list[str] | tuple[str, ...], loadings: int = 4, digits: int = 3) -> str:
    """'0.707·x1 − 0.707·x3 + …': the largest loadings of a unit eigenvector, by |loading|."""
    order = np.argsort(-np.abs(vector), kind="stable")[:loadings]
    parts = []
    for rank, index in enumerate(order):
        value = float(vector[index])
        sign = ("−" if value < 0 else "") if rank == 0 else (" − " if value < 0 else " + ")
        parts.append(f"{sign}{abs(value):.{digits}g}·{variables[index]}")
    return "".join(parts) + (" + …" if vector.size > loadings else "")


def quadratic_forms_to_json(polynomial: Polynomial, top: int | None = None) -> dict:
    """The eigendecompositions as plain JSON: per output G, then the eigenpairs (at most ``top``)."""
    forms = quadratic_forms(polynomial)
    return {
        "variables": list(polynomial.variables),
        "outputs": [
            {
                "output": form.output,
                "matrix": form.matrix.tolist(),
                "eigenvalues": form.eigenvalues[:top].tolist(),
                "eigenvectors": form.eigenvectors[:, :top].T.tolist(),
            }
            for form in forms
        ],
    }
