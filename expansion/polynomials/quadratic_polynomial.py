"""Polynomials made from quadratic parts (``polyx.expansion.polynomials.quadratic``): the matrix
form α + βᵀz + zᵀGz written out as the kernel's sparse terms, every monomial of degree ≤ 2.

Kept apart from ``quadratic`` so that the matrix arithmetic, which ``Polynomial`` uses to evaluate
and describe itself, does not import ``Polynomial`` back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from polyx.expansion.kernel import monomials as sparse
from polyx.expansion.kernel.budget import DEFAULT_MAX_MEMORY
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.expansion.polynomials.quadratic import QuadraticParts, shifted, taylor_parts

if TYPE_CHECKING:
    from polyx.converters.ir.chain import Network

__all__ = ["polynomial_from_parts", "multiplied_out", "taylor_terms"]


def polynomial_from_parts(
    parts: QuadraticParts, variables: Sequence[str], outputs: Sequence[str], center: np.ndarray | None = None,
    method: dict | None = None, diagnostics: dict | None = None,
) -> Polynomial:
    """The Polynomial listing every monomial of degree ≤ 2 (zeros included, like the kernel's output).

    The degree-2 coefficients, c(x_i x_j) = 2 G_ij for i < j and G_ii on the diagonal, are copied
    row by row of G's upper triangle (contiguous slices, in the table's order), not gathered pair
    by pair."""
    n = parts.beta.shape[1]
    coefficients = np.empty((parts.alpha.size, 1 + n + n * (n + 1) // 2))
    coefficients[:, 0] = parts.alpha
    coefficients[:, 1 : n + 1] = parts.beta
    quadratic = coefficients[:, n + 1 :]
    stops = np.cumsum(np.arange(n, 0, -1))
    starts = stops - np.arange(n, 0, -1)
    for i, (start, stop) in enumerate(zip(starts.tolist(), stops.tolist())):
        np.multiply(parts.gram[:, i, i:], 2.0, out=quadratic[:, start:stop])
    diagonal = np.arange(n)
    quadratic[:, starts] = parts.gram[:, diagonal, diagonal]
    table = sparse.quadratic_table(n)
    table.setflags(write=False)
    coefficients.setflags(write=False)
    polynomial = Polynomial(variables, outputs, None, coefficients, center, method, None, diagnostics, monomials=table)
    polynomial.__dict__["quadratic"] = parts
    return polynomial


def multiplied_out(polynomial: Polynomial) -> Polynomial:
    """A centred quadratic polynomial rewritten in powers of x (center None), by the matrix identity of
    ``quadratic.shifted`` instead of the binomial expansion of every term."""
    if polynomial.center is None or not np.any(polynomial.center):
        same = Polynomial(polynomial.variables, polynomial.outputs, None, polynomial.coefficients, None, polynomial.method,
                          None, polynomial.diagnostics, monomials=polynomial.indices)
        same.__dict__["quadratic"] = polynomial.quadratic
        return same
    parts = shifted(polynomial.quadratic, polynomial.center)
    return polynomial_from_parts(parts, polynomial.variables, polynomial.outputs, None, polynomial.method,
                                 polynomial.diagnostics)


def taylor_terms(network: "Network", point: np.ndarray, centered: bool, max_memory: int = DEFAULT_MAX_MEMORY
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, QuadraticParts]:
    """(sparse term table marked for ``Polynomial``, coefficients, f(x0), the parts themselves) of the
    degree-2 Taylor polynomial, in powers of (x − x0) when ``centered`` and of x otherwise:
    ``local_taylor``'s form. The parts let the Polynomial skip rebuilding its matrices."""
    parts = taylor_parts(network, point, max_memory)
    value = parts.alpha.copy()
    if not centered:
        parts = shifted(parts, point)
    polynomial = polynomial_from_parts(parts, network.variable_names, network.output_names)
    return sparse.marked(polynomial.indices), np.array(polynomial.coefficients), value, parts
