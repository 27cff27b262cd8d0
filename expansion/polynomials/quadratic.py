"""Degree-2 polynomials as matrices: α + βᵀz + zᵀGz per output, built and evaluated with BLAS.

A quadratic in n inputs has 1 + n + n(n+1)/2 terms (308,505 for a 28×28 image); enumerating
pairs through the general monomial kernel costs minutes there, while the same numbers are a few
matrix products. This module holds those products:

- ``lsq_parts``: the closed-form least-squares quadratic of one hidden layer under N(μ, Σ)
  (Belrose & Rigg), the same closed form as ``least_squares``: neuron k contributes
  a_k0 + a_k1 (w_kᵀz) + a_k2 (w_kᵀz)² with z = x − μ, so G_o = Wᵀ diag(V_o ⊙ a_·2) W;
- ``taylor_parts``: the exact degree-2 Taylor polynomial of a dense chain at x0: value and
  Jacobian forward, then the Hessian as Σ_layers J_zᵀ diag(∂y_o/∂a ⊙ σ''(z)) J_z (affine maps add
  no curvature, so every second derivative comes from an activation);
- ``evaluate_quadratic``: rows through the block upper triangle of G (symmetry halves the
  products), a few matrix products per chunk.

The ``Polynomial`` made from such parts is built in ``quadratic_polynomial``; this module only
reads polynomials, so ``Polynomial`` can use it without an import cycle.

``QuadraticParts`` always holds the form in powers of (x − center) when the polynomial has a
center, and in powers of x otherwise, like the polynomial it came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from polyx.expansion.kernel import monomials as sparse
from polyx.expansion.kernel.budget import DEFAULT_MAX_MEMORY, check_quadratic_memory

if TYPE_CHECKING:
    from polyx.converters.ir.chain import DenseLayer, Network
    from polyx.expansion.polynomials.polynomial import Polynomial

__all__ = [
    "QuadraticParts",
    "quadratic_parts",
    "gram_matrices",
    "evaluate_quadratic",
    "shifted",
    "lsq_parts",
    "taylor_parts",
    "uses_quadratic_path",
    "FAST_VARIABLES",
]

FAST_VARIABLES = 64
"""From this many inputs an order-2 expansion takes the matrix path (below it the general kernel
is as fast, and it is the one the small-network anchors exercise)."""

EVALUATION_CHUNK_BYTES = 128 * 2**20
TRIANGLE_BLOCKS = 8


@dataclass(frozen=True)
class QuadraticParts:
    """α (outputs,), β (outputs, n), G (outputs, n, n) symmetric: y_o = α_o + β_oᵀz + zᵀG_o z."""

    alpha: np.ndarray
    beta: np.ndarray
    gram: np.ndarray

    @cached_property
    def stacked(self) -> np.ndarray:
        """G as one (n, outputs·n) matrix, so z ↦ (z G_o)_o is a single product."""
        outputs, n, _ = self.gram.shape
        return np.ascontiguousarray(self.gram.transpose(1, 0, 2).reshape(n, outputs * n))

    @cached_property
    def upper_blocks(self) -> tuple[tuple[int, int, np.ndarray], ...]:
        """G's block upper triangle, one (start, stop, M_a) per band of TRIANGLE_BLOCKS columns.

        zᵀGz = Σ_a z_aᵀ (G_aa z_a + 2 Σ_{b>a} G_ab z_b): band a needs only the columns from its
        start on, so M_a = [G_aa 2G_a,a+1 … 2G_a,k]ᵀ stacked over outputs is (n − start, outputs·w)
        and the products cost (k + 1)/2k of the full z·G (0.56 at k = 8), exactly the same sums.
        """
        outputs, n, _ = self.gram.shape
        edges = np.linspace(0, n, min(TRIANGLE_BLOCKS, max(n, 1)) + 1).astype(int)
        blocks = []
        for start, stop in zip(edges[:-1], edges[1:]):
            band = self.gram[:, start:stop, start:].copy()
            band[:, :, stop - start:] *= 2.0
            blocks.append((int(start), int(stop), np.ascontiguousarray(
                band.transpose(2, 0, 1).reshape(n - start, outputs * (stop - start)))))
        return tuple(blocks)


def uses_quadratic_path(order: int, n_vars: int) -> bool:
    """True when an expansion should take the matrix path: order 2 in at least FAST_VARIABLES inputs."""
    return order == 2 and n_vars >= FAST_VARIABLES


def quadratic_parts(polynomial: "Polynomial") -> QuadraticParts:
    """(α, β, G) of a polynomial of degree ≤ 2, read from its sparse terms without enumerating pairs
    (G_ii = c(x_i²), G_ij = G_ji = c(x_i x_j)/2)."""
    indices, coefficients = polynomial.indices, polynomial.coefficients
    n, outputs = len(polynomial.variables), len(polynomial.outputs)
    degree = sparse.degrees(indices)
    if degree.size and degree.max() > 2:
        raise ValueError("quadratic_parts needs a polynomial of degree ≤ 2")
    alpha = coefficients[:, degree == 0].sum(axis=1)
    beta = np.zeros((outputs, n))
    linear = np.flatnonzero(degree == 1)
    beta[:, indices[linear, 0]] = coefficients[:, linear]
    return QuadraticParts(alpha, beta, gram_matrices(polynomial))


def gram_matrices(polynomial: "Polynomial") -> np.ndarray:
    """G (outputs, n, n) of the polynomial's degree-2 terms (of any polynomial; higher terms are
    ignored): G_ii = c(x_i²), G_ij = G_ji = c(x_i x_j)/2."""
    indices, coefficients = polynomial.indices, polynomial.coefficients
    n = len(polynomial.variables)
    gram = np.zeros((len(polynomial.outputs), n, n))
    pairs = np.flatnonzero(sparse.degrees(indices) == 2)
    i, j = indices[pairs, 0], indices[pairs, 1]
    values = np.where(i == j, 1.0, 0.5) * coefficients[:, pairs]
    gram[:, i, j] = values
    gram[:, j, i] = values
    return gram


def evaluate_quadratic(parts: QuadraticParts, x: np.ndarray, center: np.ndarray | None = None) -> np.ndarray:
    """α + βᵀz + zᵀGz at each row (z = x − center): shape (rows, outputs), in row chunks whose
    band products stay under EVALUATION_CHUNK_BYTES; the quadratic form goes through G's block
    upper triangle (``QuadraticParts.upper_blocks``), about half the work of z·G."""
    outputs, n, _ = parts.gram.shape
    out = np.empty((x.shape[0], outputs))
    chunk = max(1, EVALUATION_CHUNK_BYTES // (8 * max(outputs * n, 1)))
    for first in range(0, x.shape[0], chunk):
        z = x[first : first + chunk]
        if center is not None:
            z = z - center
        rows = z.shape[0]
        total = z @ parts.beta.T + parts.alpha
        for start, stop, band in parts.upper_blocks:
            products = (z[:, start:] @ band).reshape(rows, outputs, stop - start)
            total += np.matmul(products, z[:, start:stop, None])[..., 0]
        out[first : first + chunk] = total
    return out


def shifted(parts: QuadraticParts, center: np.ndarray) -> QuadraticParts:
    """The form in powers of x of α + βᵀ(x − c) + (x − c)ᵀG(x − c)."""
    gc = parts.gram @ center
    alpha = parts.alpha - parts.beta @ center + gc @ center
    return QuadraticParts(alpha, parts.beta - 2.0 * gc, parts.gram)


def lsq_parts(weight: np.ndarray, series: np.ndarray, output: "DenseLayer", max_memory: int = DEFAULT_MAX_MEMORY
              ) -> QuadraticParts:
    """The closed-form least-squares quadratic in z = x − μ of ``output``(Σ_k p_k(w_kᵀz)), where
    neuron k's projection is p_k(t) = series[k, 0] + series[k, 1] t + series[k, 2] t²
    (``hermite_to_power_series`` about its own mean m_k, so t = u_k − m_k = w_kᵀz)."""
    check_quadratic_memory(weight.shape[1], output.out_features, [weight.shape[0]], max_memory)
    mixing = output.weight
    alpha = mixing @ series[:, 0] + output.bias
    beta = (mixing * series[:, 1]) @ weight
    gram = np.empty((mixing.shape[0], weight.shape[1], weight.shape[1]))
    for o in range(mixing.shape[0]):
        scaled = weight * (mixing[o] * series[:, 2])[:, None]
        np.matmul(weight.T, scaled, out=gram[o])
        _symmetrize(gram[o])
    return QuadraticParts(alpha, beta, gram)


def taylor_parts(network: "Network", point: np.ndarray, max_memory: int = DEFAULT_MAX_MEMORY) -> QuadraticParts:
    """The degree-2 Taylor polynomial of the network's logits at ``point``, in powers of (x − x0):
    value, gradient, and ½·Hessian, each exact up to float64 rounding."""
    from polyx.expansion.activations.registry import activation_function, taylor_coefficients

    layers = network.layers
    check_quadratic_memory(network.input_size, layers[-1].out_features, [layer.out_features for layer in layers],
                           max_memory)
    activation = np.asarray(point, dtype=np.float64)
    jacobian: np.ndarray | None = None
    curved: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for layer in layers:
        value = layer.weight @ activation + layer.bias
        z_jacobian = layer.weight if jacobian is None else layer.weight @ jacobian
        if activation_function(layer.activation).identity:
            activation, jacobian = value, z_jacobian
            continue
        series = taylor_coefficients(layer.activation, value, 2)
        activation, jacobian = series[:, 0], series[:, 1][:, None] * z_jacobian
        curved.append((z_jacobian, series[:, 1], 2.0 * series[:, 2]))
    outputs = activation.size
    beta = jacobian if jacobian is not None else np.eye(outputs, network.input_size)
    gram = np.zeros((outputs, network.input_size, network.input_size))
    adjoint = np.eye(outputs)
    position = len(curved) - 1
    for layer in reversed(layers):
        if not activation_function(layer.activation).identity:
            z_jacobian, slope, curvature = curved[position]
            position -= 1
            for o in range(outputs):
                weights = 0.5 * adjoint[o] * curvature
                if np.any(weights):
                    gram[o] += z_jacobian.T @ (weights[:, None] * z_jacobian)
            adjoint = adjoint * slope
        adjoint = adjoint @ layer.weight
    for o in range(outputs):
        _symmetrize(gram[o])
    return QuadraticParts(activation.copy(), np.array(beta, dtype=np.float64), gram)


def _symmetrize(matrix: np.ndarray) -> None:
    """Make a matrix that is symmetric up to rounding exactly symmetric, in place."""
    matrix += matrix.T.copy()
    matrix *= 0.5
