"""Univariate truncated Taylor series, vectorised over a batch of expansion points.

A series is an array whose last axis holds normalised coefficients ``c_k = f^(k)(c) / k!``,
k = 0 … K; every leading axis is a batch (one entry per neuron, say). Each function fills
degree k from the degrees below it, so every coefficient is exact up to float64 rounding at any
expansion point, which is what makes the local (HOPE) expansion exact and lets the global
(nn2poly) one match the R package digit for digit.
"""

from __future__ import annotations

import math

import numpy as np
from polyx.expansion.activations.special import expit, ndtr

__all__ = [
    "cauchy_product",
    "tanh_series",
    "sigmoid_series",
    "softplus_series",
    "sin_series",
    "exp_series",
    "normal_cdf_series",
    "hermite_values",
    "tanh_of_series",
    "shift_series",
]


def cauchy_product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    r"""Truncated product of two series: :math:`(ab)_k = \sum_{j=0}^{k} a_j b_{k-j}`, k ≤ K."""
    order = a.shape[-1] - 1
    out = np.zeros(np.broadcast_shapes(a.shape, b.shape), dtype=np.float64)
    for k in range(order + 1):
        out[..., k] = np.einsum("...j,...j->...", a[..., : k + 1], b[..., k::-1])
    return out


def _riccati(value: np.ndarray, slope: np.ndarray, order: int, linear: float) -> np.ndarray:
    r"""Series of y solving :math:`y' = constant + linear\,y - y^2` around y(0) = value, y'(0) = slope.

    Matching powers of t gives :math:`(k+1) y_{k+1} = linear\,y_k - \sum_{j=0}^{k} y_j y_{k-j}` for
    k ≥ 1. The first derivative is passed in, computed by the caller without the cancellation
    of constant + linear·y0 − y0² (1 − tanh² at a saturated neuron keeps no digits); from there
    on the leading term of the sum is 2·y0·y_k, so each coefficient keeps its relative accuracy.
    """
    value = np.asarray(value, dtype=np.float64)
    out = np.zeros(value.shape + (order + 1,), dtype=np.float64)
    out[..., 0] = value
    if order >= 1:
        out[..., 1] = slope
    for k in range(1, order):
        square = np.einsum("...j,...j->...", out[..., : k + 1], out[..., k::-1])
        out[..., k + 1] = (linear * out[..., k] - square) / (k + 1)
    return out


def tanh_series(center: np.ndarray, order: int) -> np.ndarray:
    r"""tanh(c + t): from :math:`y' = 1 - y^2`, :math:`(k+1) y_{k+1} = - \sum_{j\le k} y_j y_{k-j}`, and
    :math:`y_1 = 1/\cosh^2 c = 4e^{-2|c|}/(1 + e^{-2|c|})^2` (no overflow, no cancellation)."""
    center = np.asarray(center, dtype=np.float64)
    decay = np.exp(-2.0 * np.abs(center))
    return _riccati(np.tanh(center), 4.0 * decay / (1.0 + decay) ** 2, order, linear=0.0)


def sigmoid_series(center: np.ndarray, order: int) -> np.ndarray:
    r"""σ(c + t): from :math:`y' = y - y^2`, :math:`(k+1) y_{k+1} = y_k - \sum_{j\le k} y_j y_{k-j}`, and
    :math:`y_1 = σ(c)σ(-c)`."""
    center = np.asarray(center, dtype=np.float64)
    return _riccati(expit(center), expit(center) * expit(-center), order, linear=1.0)


def softplus_series(center: np.ndarray, order: int) -> np.ndarray:
    r"""log(1 + e^{c+t}): its derivative is σ, so :math:`y_k = σ_{k-1} / k` for k ≥ 1."""
    center = np.asarray(center, dtype=np.float64)
    out = np.zeros(center.shape + (order + 1,), dtype=np.float64)
    out[..., 0] = np.logaddexp(0.0, center)
    if order >= 1:
        sigma = sigmoid_series(center, order - 1)
        out[..., 1:] = sigma / np.arange(1, order + 1)
    return out


def sin_series(center: np.ndarray, order: int) -> np.ndarray:
    r"""sin(c + t): :math:`y_k = \sin(c + kπ/2) / k!`."""
    center = np.asarray(center, dtype=np.float64)
    k = np.arange(order + 1)
    factorials = np.array([math.factorial(int(i)) for i in k], dtype=np.float64)
    return np.sin(center[..., None] + k * (np.pi / 2)) / factorials


def exp_series(center: np.ndarray, order: int) -> np.ndarray:
    r"""exp(c + t): :math:`y_k = e^c / k!`."""
    center = np.asarray(center, dtype=np.float64)
    factorials = np.array([math.factorial(i) for i in range(order + 1)], dtype=np.float64)
    return np.exp(center)[..., None] / factorials


def hermite_values(z: np.ndarray, degree: int) -> np.ndarray:
    """He_0(z) … He_degree(z), shape z.shape + (degree + 1,), from He_{j+1} = z He_j − j He_{j−1}:
    the probabilists' Hermite polynomials behind Φ's derivatives and the Gaussian projections."""
    z = np.asarray(z, dtype=np.float64)
    out = np.empty(z.shape + (degree + 1,))
    out[..., 0] = 1.0
    if degree >= 1:
        out[..., 1] = z
    for j in range(1, degree):
        out[..., j + 1] = z * out[..., j] - j * out[..., j - 1]
    return out


def normal_cdf_series(center: np.ndarray, order: int) -> np.ndarray:
    r"""Φ(c + t), the standard normal CDF.

    :math:`Φ^{(k)} = φ^{(k-1)}` and :math:`φ^{(m)}(c) = (-1)^m He_m(c) φ(c)`, so
    :math:`y_k = (-1)^{k-1} He_{k-1}(c) φ(c) / k!`.
    """

    center = np.asarray(center, dtype=np.float64)
    out = np.zeros(center.shape + (order + 1,), dtype=np.float64)
    out[..., 0] = ndtr(center)
    if order >= 1:
        k = np.arange(1, order + 1)
        factorials = np.array([math.factorial(int(i)) for i in k], dtype=np.float64)
        density = np.exp(-0.5 * center**2) / math.sqrt(2.0 * math.pi)
        out[..., 1:] = (-1.0) ** (k - 1) * hermite_values(center, order - 1) * density[..., None] / factorials
    return out


def tanh_of_series(inner: np.ndarray) -> np.ndarray:
    r"""tanh(z(t)) for a series z: from :math:`y' = (1 - y^2) z'`,
    :math:`k\,y_k = \sum_{j=1}^{k} j\,z_j\,[1 - y^2]_{k-j}`."""
    order = inner.shape[-1] - 1
    out = np.zeros_like(inner, dtype=np.float64)
    one_minus_square = np.zeros_like(out)
    out[..., 0] = np.tanh(inner[..., 0])
    one_minus_square[..., 0] = 1.0 - out[..., 0] ** 2
    for k in range(1, order + 1):
        j = np.arange(1, k + 1)
        out[..., k] = np.einsum("...j,...j->...", j * inner[..., 1 : k + 1], one_minus_square[..., k - 1 :: -1]) / k
        square = np.einsum("...j,...j->...", out[..., : k + 1], out[..., k::-1])
        one_minus_square[..., k] = -square
    return out


def shift_series(coefficients: np.ndarray, delta: np.ndarray, order: int) -> np.ndarray:
    r"""Re-expand :math:`\sum_n g_n (d + t)^n` in powers of t, keeping t^0 … t^order.

    :math:`h_k = \sum_{n \ge k} g_n \binom{n}{k} d^{\,n-k}`: every g_n contributes to the constant
    term, which is how nn2poly's intercept uses all Taylor terms up to q.
    """
    coefficients = np.asarray(coefficients, dtype=np.float64)
    delta = np.asarray(delta, dtype=np.float64)
    top = coefficients.shape[-1] - 1
    kept = min(order, top) + 1
    out = np.zeros(np.broadcast_shapes(coefficients.shape[:-1], delta.shape) + (order + 1,))
    gap = np.arange(top + 1)[None, :] - np.arange(kept)[:, None]
    binomials = np.array([[math.comb(n, k) if n >= k else 0 for n in range(top + 1)] for k in range(kept)], dtype=np.float64)
    powers = delta[..., None, None] ** np.maximum(gap, 0)
    out[..., :kept] = np.sum(coefficients[..., None, :] * binomials * powers, axis=-1)
    return out
