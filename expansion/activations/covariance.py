"""Cov(g(u_k), g(u_l)) for jointly Gaussian pre-activations: the Var f behind the analytic R².

With correlations ρ_kl and normalised Hermite coefficients ĉ_kj = c_kj/√j!, Mehler's formula gives
Cov = Σ_{j≥1} ĉ_kj ĉ_lj ρ_kl^j. Truncated at J its error is at most |ρ|^{J+1}·√(t_k t_l), where
t_k = Var g(u_k) − Σ_{j≤J} ĉ_kj² is the exactly known tail (Cauchy–Schwarz), so every pair is
either certified to ``PAIR_TOLERANCE`` of √(Var g_k Var g_l) or integrated directly: a pair whose
correlation is too close to ±1 for the series (ReLU tails decay like j^{-5/4}) gets the 2-D
integral E[(g(u_k) − Eg)(S_l(Z1) − Eg)], S_l being the closed-form or quadrature Gaussian smoothing
of g over the part of u_l independent of u_k. An activation whose registry entry has a
``gaussian_covariance`` (identity, sine) gets every pair from that closed form.
"""

from __future__ import annotations

import numpy as np

from polyx.expansion.activations.registry import Activation
from polyx.expansion.activations.registry import activation_function
from polyx.expansion.activations.gaussian_moments import (
    centred_second_moment,
    feature_points,
    gaussian_expectation,
    gaussian_integral,
    normalised_coefficients,
    quadrature_coefficients,
)

__all__ = ["PAIR_TOLERANCE", "correlations", "activation_covariance"]

PAIR_TOLERANCE = 1e-12
MEHLER_ORDERS = (16, 96)
PAIR_CHUNK = 8
PAIR_NODES = 10
SMOOTHED_STEPS = np.array([-4.0, -2.0, -1.0, -0.5, 0.5, 1.0, 2.0, 4.0])
"""Panel ends at u_l = ±t·σ around the transition, σ the smoothing width of a nearly collinear pair."""
PAIR_BLOCK = 8192


def correlations(cov: np.ndarray, std: np.ndarray) -> np.ndarray:
    """ρ_kl = C_kl/(s_k s_l), clipped to [−1, 1]; 0 wherever a neuron is constant (s = 0)."""
    spread = std > 0
    safe = np.where(spread, std, 1.0)
    rho = np.clip(cov / np.outer(safe, safe), -1.0, 1.0)
    return np.where(np.outer(spread, spread), rho, 0.0)


def _mehler(spec: Activation, mean: np.ndarray, std: np.ndarray, rho: np.ndarray, variance: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """The Mehler sums for every pair, and the mask of off-diagonal pairs they cannot certify.

    Every pair gets the terms up to the first order; only pairs that order cannot certify get the
    higher terms (computed pair by pair, so a few correlated neurons do not cost H²·J)."""
    scale = np.sqrt(np.outer(variance, variance))
    low, high = MEHLER_ORDERS
    coefficients = normalised_coefficients(spec, mean, std, low)[:, 1:]
    failing = _uncertified(coefficients, variance, rho, scale)
    total = np.zeros_like(rho)
    power = np.ones_like(rho)
    for j in range(coefficients.shape[1]):
        power = power * rho
        total += np.outer(coefficients[:, j], coefficients[:, j]) * power
    if failing.any():
        more = normalised_coefficients(spec, mean, std, high)[:, 1:]
        still = failing & _uncertified(more, variance, rho, scale)
        pairs = np.argwhere(failing & ~still)
        for start in range(0, len(pairs), PAIR_BLOCK):
            k, l = pairs[start : start + PAIR_BLOCK].T
            r = rho[k, l]
            powers = np.cumprod(np.repeat(r[:, None], high - low, axis=1), axis=1) * (r**low)[:, None]
            total[k, l] += np.sum(more[k, low:] * more[l, low:] * powers, axis=1)
        failing = still
    return total, failing


def _uncertified(coefficients: np.ndarray, variance: np.ndarray, rho: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Off-diagonal pairs whose truncation bound |ρ|^{J+1}√(t_k t_l) exceeds PAIR_TOLERANCE·√(v_k v_l)."""
    order = coefficients.shape[1]
    tail = np.maximum(variance - np.sum(coefficients**2, axis=1), 0.0)
    bound = np.abs(rho) ** (order + 1) * np.sqrt(np.outer(tail, tail))
    off = ~np.eye(variance.size, dtype=bool) & (scale > 0)
    return off & (bound > PAIR_TOLERANCE * scale)


def _smoothing(spec: Activation, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """E[g(mean + std·W)] at every outer node: closed form where there is one, else the panel rule
    with PAIR_NODES per panel (an expectation of analytic pieces converges there already)."""
    function = activation_function(spec)
    if function.gaussian_coefficients is not None or function.gaussian_expectation is not None:
        return gaussian_expectation(spec, mean, std)
    shape = mean.shape
    mean, std = mean.ravel(), np.ascontiguousarray(std).ravel()
    out = function.value(mean, **spec.kwargs).astype(np.float64)
    spread = std > 0
    out[spread] = quadrature_coefficients(spec, mean[spread], std[spread], 0, nodes=PAIR_NODES)[:, 0]
    return out.reshape(shape)


def _pair_integrals(spec: Activation, mean: np.ndarray, std: np.ndarray, rho: np.ndarray,
                    centre: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """E[(g(u_k) − Eg_k)(g(u_l) − Eg_l)] for each (k, l) by conditioning u_l on u_k's Z1:
    u_l = m_l + s_l ρ Z1 + s_l √(1 − ρ²) W, and the W-integral is the Gaussian smoothing of g.

    The outer panels end at u_k's features and at u_l's features mapped to Z1, plus steps of the
    smoothing width around u_l = 0: for ρ → ±1 the smoothed kink or turn is that narrow."""
    function = activation_function(spec)
    k, l = pairs[:, 0], pairs[:, 1]
    r = rho[k, l]
    inner_std = std[l] * np.sqrt(np.maximum(1.0 - r * r, 0.0))
    features = feature_points(spec)
    slope = np.where(r != 0, std[l] * r, 1.0)
    smoothed = np.concatenate([features[None, :].repeat(len(pairs), axis=0), inner_std[:, None] * SMOOTHED_STEPS], axis=1)
    mapped = mean[k, None] + std[k, None] * (smoothed - mean[l, None]) / slope[:, None]
    all_features = np.concatenate([np.broadcast_to(features, (len(pairs), features.size)), mapped], axis=1)

    def integrand(z: np.ndarray, rows: slice) -> np.ndarray:
        kk, ll = k[rows], l[rows]
        outer = function.value(mean[kk, None] + std[kk, None] * z, **spec.kwargs) - centre[kk, None]
        smoothed = _smoothing(spec, mean[ll, None] + std[ll, None] * r[rows, None] * z,
                              np.broadcast_to(inner_std[rows, None], z.shape))
        return outer * (smoothed - centre[ll, None])

    parts = [
        gaussian_integral(lambda z, rows, s=start: integrand(z, slice(s + rows.start, s + rows.stop)),
                          mean[k[start:start + PAIR_CHUNK]], std[k[start:start + PAIR_CHUNK]],
                          all_features[start:start + PAIR_CHUNK], nodes=PAIR_NODES)
        for start in range(0, len(pairs), PAIR_CHUNK)
    ]
    return np.concatenate(parts) if parts else np.zeros(0)


def activation_covariance(spec: Activation, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """The (H, H) covariance of g(u) for u ~ N(mean, cov), each entry to PAIR_TOLERANCE relative to
    √(Var g_k Var g_l) (the quadrature itself is good to about 1e-13)."""
    mean = np.asarray(mean, dtype=np.float64)
    cov = np.asarray(cov, dtype=np.float64)
    closed = activation_function(spec).gaussian_covariance
    if closed is not None:
        return closed(mean, cov, **spec.kwargs)
    std = np.sqrt(np.maximum(np.diag(cov), 0.0))
    rho = correlations(cov, std)
    variance = np.zeros(mean.size)
    spread = std > 0
    variance[spread] = centred_second_moment(spec, mean[spread], std[spread])
    result, failing = _mehler(spec, mean, std, rho, variance)
    np.fill_diagonal(result, variance)
    pairs = np.argwhere(np.triu(failing, 1))
    if pairs.size:
        centre = gaussian_expectation(spec, mean, std)
        values = _pair_integrals(spec, mean, std, rho, centre, pairs)
        result[pairs[:, 0], pairs[:, 1]] = values
        result[pairs[:, 1], pairs[:, 0]] = values
    return result
