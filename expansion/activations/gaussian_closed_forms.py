"""Closed forms of Gaussian expectations of activations, for the registry entries that have them.

For u = m + sZ, Z ~ N(0, 1): the Hermite coefficients c_j = E[g(u) He_j(Z)] of identity, ReLU,
leaky ReLU, sine and exact GELU; E[g(u)] alone for ELU; and Cov(g(u_k), g(u_l)) of jointly Gaussian
pre-activations for identity and sine. Each function is referenced from its activation's entry in
``registry.ACTIVATIONS`` (this module imports nothing of polyx but the series helpers, so the
registry can import it); ``gaussian_moments`` and ``covariance`` use them where an entry has one
and panel quadrature elsewhere.
"""

from __future__ import annotations

import math

import numpy as np
from polyx.expansion.activations.special import erfcx, ndtr

from polyx.expansion.activations.series import hermite_values

__all__ = [
    "identity_coefficients",
    "relu_coefficients",
    "leaky_relu_coefficients",
    "sin_coefficients",
    "gelu_coefficients",
    "elu_expectation",
    "identity_covariance",
    "sin_covariance",
]

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _phi(x: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * x * x) * _INV_SQRT_2PI


def _clip(x: np.ndarray) -> np.ndarray:
    """Arguments of He_j that multiply φ: beyond ±40 φ is exactly 0 in float64, and clipping keeps
    He_j finite so the product is 0 instead of 0·∞."""
    return np.clip(x, -40.0, 40.0)


def relu_coefficients(mean: np.ndarray, std: np.ndarray, degree: int) -> np.ndarray:
    """c_0 = mΦ(m/s) + sφ(m/s), c_1 = sΦ(m/s), c_j = sφ(m/s)He_{j−2}(−m/s) (methods.md).

    For m < 0, c_0 = sφ(x)(1 − x·M(x)) with x = −m/s and the Mills ratio M(x) = Φ(−x)/φ(x) =
    √(π/2)·erfcx(x/√2): the two terms of the textbook form cancel to 1/x² of their size."""
    ratio = mean / std
    out = np.zeros(mean.shape + (degree + 1,))
    x = np.maximum(-ratio, 0.0)
    below = std * _phi(ratio) * (1.0 - x * math.sqrt(math.pi / 2) * erfcx(x / math.sqrt(2.0)))
    out[..., 0] = np.where(ratio < 0, below, mean * ndtr(ratio) + std * _phi(ratio))
    if degree >= 1:
        out[..., 1] = std * ndtr(ratio)
    if degree >= 2:
        out[..., 2:] = (std * _phi(ratio))[..., None] * hermite_values(-_clip(ratio), degree - 2)
    return out


def identity_coefficients(mean: np.ndarray, std: np.ndarray, degree: int) -> np.ndarray:
    """g(u) = u = m + sZ: c_0 = m, c_1 = s and nothing above."""
    out = np.zeros(mean.shape + (degree + 1,))
    out[..., 0] = mean
    if degree >= 1:
        out[..., 1] = std
    return out


def leaky_relu_coefficients(mean: np.ndarray, std: np.ndarray, degree: int, alpha: float = 0.01) -> np.ndarray:
    """leaky_relu = α·u + (1 − α)·relu(u), and the projection is linear in g."""
    return alpha * identity_coefficients(mean, std, degree) + (1.0 - alpha) * relu_coefficients(mean, std, degree)


def sin_coefficients(mean: np.ndarray, std: np.ndarray, degree: int) -> np.ndarray:
    """c_j = s^j E[sin^(j)(u)] = s^j e^{−s²/2} sin(m + jπ/2): exact where quadrature would need a
    panel per period (a wide sine has e^{−s²/2} ≈ 0 coefficients that no rule resolves relatively)."""
    j = np.arange(degree + 1)
    damping = np.exp(-0.5 * std * std)[..., None]
    return std[..., None] ** j * damping * np.sin(mean[..., None] + j * (np.pi / 2))


def gelu_coefficients(mean: np.ndarray, std: np.ndarray, degree: int) -> np.ndarray:
    """GELU = uΦ(u). With r = 1/√(1+s²), A_0 = E[Φ(u)] = Φ(mr) and, differentiating in m,
    A_j = E[Φ(u)He_j(Z)] = (sr)^j Φ^(j)(mr) = (sr)^j (−1)^{j−1} He_{j−1}(mr) φ(mr);
    then zHe_j = He_{j+1} + jHe_{j−1} gives c_j = m A_j + s(A_{j+1} + j A_{j−1})."""
    r = 1.0 / np.sqrt(1.0 + std * std)
    x = mean * r
    a = np.empty(mean.shape + (degree + 2,))
    a[..., 0] = ndtr(x)
    signs = (-1.0) ** np.arange(degree + 1)
    scale = (std * r)[..., None] ** np.arange(1, degree + 2)
    a[..., 1:] = scale * signs * hermite_values(_clip(x), degree) * _phi(x)[..., None]
    j = np.arange(degree + 1)
    below = np.concatenate([np.zeros(mean.shape + (1,)), a[..., :degree]], axis=-1)
    return mean[..., None] * a[..., : degree + 1] + std[..., None] * (a[..., 1:] + j * below)


def elu_expectation(mean: np.ndarray, std: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """E[ELU(u)] = E[relu(u)] + α(E[e^u 1[u<0]] − Φ(a)), a = −m/s. Completing the square,
    E[e^u 1[u<0]] = e^{m+s²/2}Φ(a − s) = √(π/2)·φ(a)·erfcx((s − a)/√2), which cannot overflow.

    Only the expectation: for j ≥ 1 the same route is an alternating sum that loses digits at
    s = 64, so the coefficients come from quadrature."""
    a = -mean / std
    shifted = a - std
    tail = np.empty_like(a)
    left = shifted <= 0
    tail[left] = math.sqrt(math.pi / 2) * _phi(a[left]) * erfcx(-shifted[left] / math.sqrt(2.0))
    tail[~left] = np.exp(mean[~left] + 0.5 * std[~left] ** 2) * ndtr(shifted[~left])
    return relu_coefficients(mean, std, 0)[..., 0] + alpha * (tail - ndtr(a))


def identity_covariance(mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """g(u) = u: the covariance of the pre-activations itself."""
    return cov.copy()


def sin_covariance(mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """sin a sin b = ½(cos(a − b) − cos(a + b)) and E cos N(μ, v) = e^{−v/2} cos μ."""
    var = np.diag(cov)
    difference = np.exp(-0.5 * (var[:, None] + var[None, :] - 2 * cov)) * np.cos(mean[:, None] - mean[None, :])
    total = np.exp(-0.5 * (var[:, None] + var[None, :] + 2 * cov)) * np.cos(mean[:, None] + mean[None, :])
    single = np.exp(-0.5 * var) * np.sin(mean)
    return 0.5 * (difference - total) - np.outer(single, single)
