"""Closed-form least squares for a residual block y = Wo (x + W2 g(W1 x + b1) + b2) + bo.

The block is a hidden layer plus a linear skip, f(x) = S x + W g(W1 x + b1) + b with S = Wo,
W = Wo W2, b = Wo b2 + bo. Projection is linear and S x is already a polynomial of degree 1, so

    P_n f = S x + P_n[W g(W1 x + b1) + b]   (n ≥ 1;   n = 0: the constant E f),

and the hidden-layer part is the existing closed form (``expand_lsq``). The skip only changes the
variances: S x lives in the first Wiener chaos, where by Stein's lemma
Cov(x, g(u_k)) = Σ w1_k E[g'(u_k)] = Σ w1_k c_k1/s_k, so both Var f and Var(P_n f) (n ≥ 1) gain

    diag(S Σ Sᵀ) + 2 diag(S Σ W1ᵀ diag(c_1/s) Wᵀ).
"""

from __future__ import annotations

import numpy as np

from polyx.converters.ir.chain import LINEAR, Activation, DenseLayer, Network
from polyx.errors import DataError
from polyx.expansion.kernel.budget import DEFAULT_MAX_MEMORY
from polyx.expansion.methods.gated_lsq import as_activation, checked_matrix
from polyx.expansion.methods.gaussian_input import gaussian_input
from polyx.expansion.activations.gaussian_moments import hermite_coefficients
from polyx.expansion.methods.least_squares import CENTERING_DIGITS, _multiplied_out, _r_squared, expand_lsq
from polyx.expansion.polynomials.polynomial import Polynomial

__all__ = ["residual_lsq", "skip_lsq", "skip_variance"]


def skip_variance(skip: np.ndarray, w1: np.ndarray, b1: np.ndarray, weight: np.ndarray, activation: Activation,
                  mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Var(S x)_o + 2 Cov(S x, W g(W1 x + b1))_o for x ~ N(mean, cov): what the skip adds to the
    variance of each output (and, from n = 1 on, to the variance of its projection)."""
    m = w1 @ mean + b1
    sigma_w1 = cov @ w1.T
    s = np.sqrt(np.maximum(np.einsum("dh,hd->h", sigma_w1, w1), 0.0))
    slope = np.zeros_like(s)
    spread = s > 0
    slope[spread] = hermite_coefficients(activation, m[spread], s[spread], 1)[:, 1] / s[spread]
    own = np.einsum("od,de,oe->o", skip, cov, skip)
    cross = np.einsum("od,dh,h,oh->o", skip, sigma_w1, slope, weight)
    return own + 2.0 * cross


def residual_lsq(
    w1: object,
    b1: object | None,
    activation: str | Activation,
    mean: object,
    cov: object,
    order: int = 2,
    w2: object | None = None,
    b2: object | None = None,
    wo: object | None = None,
    bo: object | None = None,
    variables: tuple[str, ...] | None = None,
    outputs: tuple[str, ...] | None = None,
    centered: bool | None = None,
    max_memory: int = DEFAULT_MAX_MEMORY,
) -> Polynomial:
    """The least-squares polynomial of degree ≤ ``order`` of y = Wo (x + W2 g(W1 x + b1) + b2) + bo
    under x ~ N(mean, cov), with analytic R²: the closed form of a hidden layer carried over to a
    block with an identity skip (a residual MLP block), so it needs no Monte-Carlo fit.

    ``w1``: (H, d); ``w2``: (d, H), None for the identity (then H = d: x + g(W1 x + b1));
    ``wo``: (o, d), None for the identity; biases (H,), (d,), (o,) or None for zeros. ``activation``
    a registry name or an Activation. Returns a Polynomial like ``gated_lsq`` (graded order, powers
    of x unless ``centered``; ``diagnostics`` r2, output_variance, explained_variance, warnings).
    """
    spec = as_activation(activation)
    w1 = checked_matrix(w1, "W1", (None, None))
    hidden, n_vars = w1.shape
    b1 = np.zeros(hidden) if b1 is None else checked_matrix(b1, "b1", (hidden,))
    if w2 is None and hidden != n_vars:
        raise DataError(f"W2 is the identity only when W1 has as many rows as inputs (W1 is {hidden}x{n_vars}); give W2")
    w2 = np.eye(n_vars) if w2 is None else checked_matrix(w2, "W2", (n_vars, hidden))
    b2 = np.zeros(n_vars) if b2 is None else checked_matrix(b2, "b2", (n_vars,))
    wo = np.eye(n_vars) if wo is None else checked_matrix(wo, "Wo", (None, n_vars))
    bo = np.zeros(wo.shape[0]) if bo is None else checked_matrix(bo, "bo", (wo.shape[0],))
    if order < 0:
        raise DataError(f"order must be ≥ 0, got {order}")
    return skip_lsq(wo, w1, b1, spec, wo @ w2, wo @ b2 + bo, mean, cov, order, variables, outputs, centered, max_memory)


def skip_lsq(skip: np.ndarray, w1: np.ndarray, b1: np.ndarray, spec: Activation, weight: np.ndarray,
             bias: np.ndarray, mean: object, cov: object, order: int, variables: tuple[str, ...] | None = None,
             outputs: tuple[str, ...] | None = None, centered: bool | None = None,
             max_memory: int = DEFAULT_MAX_MEMORY) -> Polynomial:
    """The closed form of f(x) = S x + W g(W1 x + b1) + b, the general shape of a block with a linear
    skip (a residual block read from a graph has any S, not only Wo): the hidden layer's closed form
    plus S x, with the skip's share of the variances (``skip_variance``)."""
    n_vars = w1.shape[1]
    network = Network((DenseLayer(w1, b1, spec), DenseLayer(weight, bias, LINEAR)), input_shape=(n_vars,))
    variables = tuple(variables) if variables else network.variable_names
    outputs = tuple(outputs) if outputs else network.output_names
    hidden_part = expand_lsq(network, order, mean, cov, input_names=variables, centered=True, max_memory=max_memory)
    model = gaussian_input(variables, mean, cov, source="the residual block's Gaussian")
    skip, shift = model.onto_support(skip, np.zeros(skip.shape[0]))
    sw1, sb1 = model.onto_support(w1, b1)
    added = skip_variance(skip, sw1, sb1, weight, spec, model.mean, model.cov)
    diagnostics = dict(hidden_part.diagnostics)
    total = np.asarray(diagnostics["output_variance"]) + added
    explained = np.asarray(diagnostics["explained_variance"]) + (added if order >= 1 else 0.0)
    coefficients = np.array(hidden_part.coefficients)
    monomials = hidden_part.indices
    degree = hidden_part.term_degrees()
    coefficients[:, degree == 0] += (skip @ model.mean + shift)[:, None]
    if order >= 1:
        linear = np.flatnonzero(degree == 1)
        coefficients[:, linear] += skip[:, monomials[linear, 0]]
    diagnostics.update(r2=_r_squared(explained, total), output_variance=total.tolist(),
                       explained_variance=explained.tolist())
    method = {**hidden_part.method, "stage": "residual"}
    digits = diagnostics["centering"]["digits_at_risk"]
    centred = digits > CENTERING_DIGITS if centered is None else bool(centered)
    method["centered"] = centred
    polynomial = Polynomial(variables, outputs, None, coefficients, center=model.mean, method=method, monomials=monomials,
                            diagnostics=diagnostics)
    return polynomial if centred else _multiplied_out(polynomial)
