"""Gaussian expectations of activations: the Hermite coefficients behind closed-form least squares.

For a pre-activation u = m + sZ with Z ~ N(0, 1), the least-squares projection of g(u) onto
polynomials of degree ≤ n is Σ_j (c_j / j!) He_j(Z) with c_j = E[g(m + sZ) He_j(Z)]
(probabilists' Hermite polynomials). ``hermite_coefficients`` returns c_0 … c_n for every neuron.

Closed forms where they exist (identity, ReLU, leaky ReLU, sin, exact GELU; E[g] also for ELU and
SELU); otherwise a panel Gauss–Legendre quadrature on Z ∈ [−12, 12] whose breakpoints follow both
the Gaussian (unit steps in Z) and the activation (its kink and a geometric grid ±2^k around its
transition at u = 0), so a wide pre-activation (s = 64) still gets nodes where tanh turns. A
fixed 50-node Gauss–Hermite rule has no such nodes (4.6 % off for E[tanh'] at s = 4). For a narrow pre-activation (s ≤ 1/2) the
coefficient is computed as c_j = s^j E[g^(j)(u)] from the activation's Taylor series at the
nodes, which keeps its relative accuracy where ∫ g He_j φ would cancel down to s^j.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Callable

import numpy as np
from scipy.special import erfcx, ndtr

from polyx.converters.ir.chain import Activation
from polyx.expansion.activations.registry import SELU_ALPHA, SELU_GAMMA, activation_function
from polyx.expansion.activations.series import hermite_values

__all__ = [
    "SPAN",
    "hermite_coefficients",
    "gaussian_expectation",
    "gaussian_integral",
    "feature_points",
    "quadrature_coefficients",
    "normalised_coefficients",
    "centred_second_moment",
]

SPAN = 12.0
"""Half-width of the integration range in standard deviations: the mass beyond is below 4e-33."""

GAUSS_LEGENDRE_NODES = 20
DERIVATIVE_FORM_MAX_STD = 0.5
CHUNK_NODES = 1 << 17
_GAUSSIAN_BREAKS = np.concatenate([[-SPAN], np.arange(-8.0, 9.0), [SPAN]])
_TRANSITION_GRID = np.concatenate([[0.0], 2.0 ** np.arange(-2, 12), -(2.0 ** np.arange(-2, 12))])
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


@lru_cache(maxsize=4)
def _legendre(nodes: int) -> tuple[np.ndarray, np.ndarray]:
    points, weights = np.polynomial.legendre.leggauss(nodes)
    return points, weights


def feature_points(spec: Activation) -> np.ndarray:
    """The u-values where ``spec`` changes character: its kinks and a geometric grid around 0.

    Every registered activation does its non-polynomial work near u = 0 (tanh's turn, softplus's
    bend, ELU's kink); beyond |u| ≈ 2^k the corrections are analytic on the scale of |u|, so
    panels growing geometrically keep Gauss–Legendre converging.
    """
    kinks = np.asarray(activation_function(spec).kinks, dtype=np.float64)
    return np.unique(np.concatenate([_TRANSITION_GRID, kinks]))


def _breakpoints(mean: np.ndarray, std: np.ndarray, features: np.ndarray) -> np.ndarray:
    """Sorted panel ends in Z for each (mean, std): unit steps of the Gaussian (one panel for each
    tail beyond 8, where φ < 1e-14) plus the features mapped to Z = (p − m)/s inside ±SPAN.

    Features outside the range are dropped; rows with fewer ends repeat their last one (empty
    panels), so the chunk is only as wide as its busiest row.
    """
    safe = np.where(std > 0, std, 1.0)
    mapped = (np.atleast_2d(features) - mean[:, None]) / safe[:, None]
    mapped = np.where((std[:, None] > 0) & (np.abs(mapped) < SPAN), mapped, SPAN)
    breaks = np.sort(np.concatenate([np.broadcast_to(_GAUSSIAN_BREAKS, (mean.size, _GAUSSIAN_BREAKS.size)), mapped],
                                    axis=1), axis=1)
    keep = np.diff(breaks, axis=1, prepend=-np.inf) > 0
    position = np.cumsum(keep, axis=1) - 1
    out = np.full((mean.size, int(position[:, -1].max()) + 1), SPAN)
    rows = np.broadcast_to(np.arange(mean.size)[:, None], breaks.shape)
    out[rows[keep], position[keep]] = breaks[keep]
    return out


def _rule(breaks: np.ndarray, nodes: int = GAUSS_LEGENDRE_NODES) -> tuple[np.ndarray, np.ndarray]:
    """Nodes z (rows, panels·nodes) and weights w·φ(z) of the composite Gauss–Legendre rule."""
    points, weights = _legendre(nodes)
    left, right = breaks[:, :-1, None], breaks[:, 1:, None]
    half = 0.5 * (right - left)
    z = (left + half * (points + 1.0)).reshape(breaks.shape[0], -1)
    w = (half * weights).reshape(breaks.shape[0], -1) * np.exp(-0.5 * z * z) * _INV_SQRT_2PI
    return z, w


def _hermite_projection(weighted: np.ndarray, z: np.ndarray, degree: int, normalised: bool) -> np.ndarray:
    """Σ_n weighted·He_j(z_n) for j ≤ degree, running the recurrence node-wise instead of storing
    every He_j (the Mehler series goes to j = 96). Normalised, ψ_j = He_j/√j! follows
    ψ_{j+1} = (z ψ_j − √j ψ_{j−1})/√(j+1) and stays below about e^{z²/4}, so it never overflows."""
    out = np.empty((z.shape[0], degree + 1))
    previous, current = np.ones_like(z), z
    out[:, 0] = weighted.sum(axis=1)
    if degree >= 1:
        out[:, 1] = np.einsum("rn,rn->r", weighted, z)
    for j in range(1, degree):
        if normalised:
            previous, current = current, (z * current - math.sqrt(j) * previous) / math.sqrt(j + 1)
        else:
            previous, current = current, z * current - j * previous
        out[:, j + 1] = np.einsum("rn,rn->r", weighted, current)
    return out


def gaussian_integral(
    integrand: Callable[[np.ndarray, slice], np.ndarray], mean: np.ndarray, std: np.ndarray, features: np.ndarray,
    hermite_degree: int | None = None, normalised: bool = False, nodes: int = GAUSS_LEGENDRE_NODES,
) -> np.ndarray:
    """E[F(Z)] for each row: ``integrand(z, rows)`` gets the nodes z (chunk, nodes) of the rows
    ``rows`` (a slice) and returns values (chunk, nodes[, k]).

    ``features`` (F,) or (rows, F) are the u-points (u = m + s z) where F changes character;
    they become panel ends. Rows are processed in chunks of about CHUNK_NODES nodes. With
    ``hermite_degree`` the integrand returns (chunk, nodes) and the result is E[F(Z) He_j(Z)],
    j ≤ degree (He_j/√j! when ``normalised``). ``nodes`` Gauss–Legendre nodes per panel.
    """
    mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
    std = np.atleast_1d(np.asarray(std, dtype=np.float64))
    features = np.atleast_2d(features)
    parts = []
    step = max(1, CHUNK_NODES // ((_GAUSSIAN_BREAKS.size + features.shape[1]) * nodes))
    for start in range(0, mean.size, step):
        rows = slice(start, min(start + step, mean.size))
        z, w = _rule(_breakpoints(mean[rows], std[rows], features[rows] if features.shape[0] > 1 else features), nodes)
        values = integrand(z, rows)
        if hermite_degree is None:
            parts.append(np.einsum("rn,rn...->r...", w, values))
        else:
            parts.append(_hermite_projection(w * values, z, hermite_degree, normalised))
    return np.concatenate(parts) if parts else np.zeros((0,))


def quadrature_coefficients(spec: Activation, mean: np.ndarray, std: np.ndarray, degree: int,
                            nodes: int = GAUSS_LEGENDRE_NODES) -> np.ndarray:
    """c_0 … c_degree by panel quadrature, for any activation (the closed forms are checked against it).

    Narrow pre-activations whose range holds no kink use c_j = s^j E[g^(j)(u)]; the rest integrate
    g(m + sz) He_j(z) directly. ``nodes`` per panel: 20 keeps 1e-10 relative up to j ≈ 10; a plain
    expectation (j = 0) of these analytic pieces is converged at 10.
    """
    function = activation_function(spec)
    mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
    std = np.atleast_1d(np.asarray(std, dtype=np.float64))
    features = feature_points(spec)
    kinks = np.asarray(function.kinks, dtype=np.float64)
    near_kink = np.zeros(mean.shape, dtype=bool)
    for kink in kinks:
        near_kink |= np.abs(kink - mean) <= SPAN * std
    derivative = (std <= DERIVATIVE_FORM_MAX_STD) & ~near_kink
    out = np.empty(mean.shape + (degree + 1,))
    rows = np.flatnonzero(derivative)
    if rows.size:
        m, s = mean[rows], std[rows]
        moments = gaussian_integral(
            lambda z, r: function.series(m[r, None] + s[r, None] * z, degree, **spec.kwargs), m, s, features,
            nodes=nodes,
        )
        powers = s[:, None] ** np.arange(degree + 1)
        factorials = np.array([math.factorial(j) for j in range(degree + 1)], dtype=np.float64)
        out[rows] = moments * powers * factorials
    rows = np.flatnonzero(~derivative)
    if rows.size:
        m, s = mean[rows], std[rows]
        out[rows] = gaussian_integral(
            lambda z, r: function.value(m[r, None] + s[r, None] * z, **spec.kwargs), m, s, features, degree,
            nodes=nodes,
        )
    return out


def _phi(x: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * x * x) * _INV_SQRT_2PI


def _clip(x: np.ndarray) -> np.ndarray:
    """Arguments of He_j that multiply φ: beyond ±40 φ is exactly 0 in float64, and clipping keeps
    He_j finite so the product is 0 instead of 0·∞."""
    return np.clip(x, -40.0, 40.0)


def _relu_coefficients(mean: np.ndarray, std: np.ndarray, degree: int) -> np.ndarray:
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


def _identity_coefficients(mean: np.ndarray, std: np.ndarray, degree: int) -> np.ndarray:
    out = np.zeros(mean.shape + (degree + 1,))
    out[..., 0] = mean
    if degree >= 1:
        out[..., 1] = std
    return out


def _leaky_relu_coefficients(mean: np.ndarray, std: np.ndarray, degree: int, alpha: float = 0.01) -> np.ndarray:
    """leaky_relu = α·u + (1 − α)·relu(u), and the projection is linear in g."""
    return alpha * _identity_coefficients(mean, std, degree) + (1.0 - alpha) * _relu_coefficients(mean, std, degree)


def _sin_coefficients(mean: np.ndarray, std: np.ndarray, degree: int) -> np.ndarray:
    """c_j = s^j E[sin^(j)(u)] = s^j e^{−s²/2} sin(m + jπ/2): exact where quadrature would need a
    panel per period (a wide sine has e^{−s²/2} ≈ 0 coefficients that no rule resolves relatively)."""
    j = np.arange(degree + 1)
    damping = np.exp(-0.5 * std * std)[..., None]
    return std[..., None] ** j * damping * np.sin(mean[..., None] + j * (np.pi / 2))


def _gelu_coefficients(mean: np.ndarray, std: np.ndarray, degree: int) -> np.ndarray:
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


def _elu_expectation(mean: np.ndarray, std: np.ndarray, alpha: float = 1.0) -> np.ndarray:
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
    return _relu_coefficients(mean, std, 0)[..., 0] + alpha * (tail - ndtr(a))


def _selu_expectation(mean: np.ndarray, std: np.ndarray, alpha: float = SELU_ALPHA, gamma: float = SELU_GAMMA
                      ) -> np.ndarray:
    return gamma * _elu_expectation(mean, std, alpha)


CLOSED_FORMS: dict[str, Callable[..., np.ndarray]] = {
    "linear": _identity_coefficients,
    "relu": _relu_coefficients,
    "leaky_relu": _leaky_relu_coefficients,
    "sin": _sin_coefficients,
    "gelu": _gelu_coefficients,
}
"""Activations whose every Hermite coefficient has a closed form."""

CLOSED_EXPECTATIONS: dict[str, Callable[..., np.ndarray]] = {"elu": _elu_expectation, "selu": _selu_expectation}
"""Activations with a closed-form E[g(u)] only (the inner integral of a pair covariance)."""


def hermite_coefficients(spec: Activation, mean: np.ndarray, std: np.ndarray, degree: int) -> np.ndarray:
    """c_0 … c_degree of each pre-activation N(mean, std²), shape mean.shape + (degree + 1,).

    A zero standard deviation is a constant pre-activation: c_0 = g(m) and nothing else.
    """
    mean, std = np.broadcast_arrays(np.asarray(mean, dtype=np.float64), np.asarray(std, dtype=np.float64))
    shape = mean.shape
    mean, std = mean.ravel(), std.ravel()
    out = np.zeros((mean.size, degree + 1))
    constant = std <= 0
    out[constant, 0] = activation_function(spec).value(mean[constant], **spec.kwargs)
    spread = ~constant
    if spread.any():
        closed = CLOSED_FORMS.get(spec.name)
        if closed is not None:
            out[spread] = closed(mean[spread], std[spread], degree, **spec.kwargs)
        else:
            out[spread] = quadrature_coefficients(spec, mean[spread], std[spread], degree)
    return out.reshape(shape + (degree + 1,))


def gaussian_expectation(spec: Activation, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """E[g(mean + std·Z)] elementwise: the Gaussian smoothing of the activation (c_0)."""
    closed = CLOSED_EXPECTATIONS.get(spec.name)
    if closed is None:
        return hermite_coefficients(spec, mean, std, 0)[..., 0]
    mean, std = np.broadcast_arrays(np.asarray(mean, dtype=np.float64), np.asarray(std, dtype=np.float64))
    out = activation_function(spec).value(mean, **spec.kwargs).astype(np.float64)
    spread = std > 0
    out[spread] = closed(mean[spread], std[spread], **spec.kwargs)
    return out


def normalised_coefficients(spec: Activation, mean: np.ndarray, std: np.ndarray, degree: int) -> np.ndarray:
    """ĉ_j = c_j / √j!, j ≤ degree: from the closed forms, else by quadrature against ψ_j = He_j/√j!.

    What the Mehler series Cov(g(u_k), g(u_l)) = Σ_{j≥1} ĉ_kj ĉ_lj ρ^j needs: accurate in absolute
    terms (to about 1e-16 of the neuron's spread) up to high orders, where He_j itself overflows.
    """
    mean, std = np.atleast_1d(mean).astype(np.float64), np.atleast_1d(std).astype(np.float64)
    if spec.name in CLOSED_FORMS:
        roots = np.sqrt([float(math.factorial(j)) for j in range(degree + 1)])
        return hermite_coefficients(spec, mean, std, degree) / roots
    function = activation_function(spec)
    return gaussian_integral(
        lambda z, r: function.value(mean[r, None] + std[r, None] * z, **spec.kwargs), mean, std, feature_points(spec),
        degree, normalised=True,
    )


def centred_second_moment(spec: Activation, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Var g(u) = E[(g(u) − E g(u))²], integrated centred so that a nearly constant g keeps its digits."""
    function = activation_function(spec)
    mean, std = np.atleast_1d(mean).astype(np.float64), np.atleast_1d(std).astype(np.float64)
    centre = gaussian_expectation(spec, mean, std)
    return gaussian_integral(
        lambda z, r: (function.value(mean[r, None] + std[r, None] * z, **spec.kwargs) - centre[r, None]) ** 2,
        mean, std, feature_points(spec),
    )
