"""Var of a gated layer's output and of its projection: the analytic R² of ``gated_lsq``.

Unit h is y_h = g(u_h) t_h = Σ_j Φ_j^h, its Wiener chaos (Hermite) components, with X = ζ_h and
Y = r_h/q_h the two independent unit normals of ``gated_lsq``:

    Φ_j = A_j He_j(X)/√j! + B_j He_{j−1}(X) Y/√(j−1)!,   A_j = a_j/√j!,   B_j = q ĉ_{j−1},

(ĉ_i = c_i/√i!). By the diagram formula for Wick products, with ρ = E[X_h X_k], κ = E[X_h Y_k],
κ' = E[Y_h X_k], λ = E[Y_h Y_k],

    E[Φ_j^h Φ_j^k] = A A' ρ^j + √j ρ^{j−1}(A B' κ + B A' κ') + B B'(ρ^{j−1} λ + (j−1) ρ^{j−2} κ κ'),

and different orders are orthogonal. Var(P_n y)_o sums j = 1 … n: exact, no integral at all.

Var y sums every j. Truncated at J, the error of a pair is at most σ^{J+1} √(τ_h τ_k), σ the
largest singular value of the 2×2 matrix [[ρ, κ], [κ', λ]] (the cosine of the smallest angle
between the two units' planes) and τ = Var y_h − Σ_{j≤J} ‖Φ_j‖² the exactly known tail: Var y_h
itself is a 1-D integral. Since every coefficient of the pair term is at most j|ρ|^{j−2}, the
error is also at most 2 max_{j>J} j|ρ|^{j−2} √(τ_h τ_k); the smaller bound is used. A pair not
certified to PAIR_TOLERANCE of √(Var y_h Var y_k) at J = 16 or 96 (nearly parallel gates; in d ≤ 3,
where every two planes meet, also wide or ReLU gates) is integrated directly: conditioning on
ζ_h, u_k = m_k + s_k ρ ζ_h + σ' W, and the t's are linear, so the inner expectation over W needs
only E[g(u_k) W^a], a ≤ 2, i.e. the gate's Hermite coefficients c_0, c_1, c_2 at (m', σ'). The
outer panel rule is that of ``activation_covariance`` (features of both gates mapped to ζ_h).
"""

from __future__ import annotations

import math

import numpy as np

from polyx.expansion.activations.covariance import PAIR_CHUNK, PAIR_NODES, PAIR_TOLERANCE, SMOOTHED_STEPS, correlations
from polyx.expansion.activations.registry import activation_function
from polyx.expansion.methods.gated_units import GatedUnits, gated_hermite_coefficients
from polyx.expansion.activations.gaussian_moments import (
    feature_points,
    gaussian_integral,
    hermite_coefficients,
    normalised_coefficients,
    quadrature_coefficients,
)

__all__ = ["gated_explained_variance", "gated_covariance", "unit_variances", "chaos_coefficients"]

MEHLER_ORDERS = (16, 96)
COLLINEAR = 1e-12
"""Below this fraction of s_k the part of u_k independent of u_h is treated as zero."""


def _cross_correlations(units: GatedUnits) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ρ, κ, λ) for every pair (h, k): E[X_h X_k], E[X_h Y_k], E[Y_h Y_k]; 0 where s or q is 0."""
    s, q = units.std, units.q
    rho = correlations(units.cov_uu, s)
    kappa = units.cov_ur / np.outer(np.where(s > 0, s, 1.0), np.where(q > 0, q, 1.0))
    kappa = np.where(np.outer(s > 0, q > 0), np.clip(kappa, -1.0, 1.0), 0.0)
    return rho, kappa, correlations(units.cov_rr, q)


def _chaos_sum(a_h, b_h, a_k, b_k, rho, kappa, kappa_t, lam, start: int, stop: int):
    """Σ_{j=start..stop} E[Φ_j^h Φ_j^k] from the normalised chaos coefficients: ``a_h`` … (…, J)
    indexed j − 1 and broadcastable against ρ, κ, κ', λ. Powers of ρ are carried from term to term."""
    mixed = kappa * kappa_t
    before = rho ** (start - 2) if start >= 2 else np.zeros_like(rho)
    power = rho ** (start - 1)
    total = np.zeros(np.broadcast_shapes(rho.shape, a_h[..., 0].shape, a_k[..., 0].shape))
    for j in range(start, stop + 1):
        ah, bh, ak, bk = a_h[..., j - 1], b_h[..., j - 1], a_k[..., j - 1], b_k[..., j - 1]
        total += (ah * ak) * (power * rho) + math.sqrt(j) * power * ((ah * bk) * kappa + (bh * ak) * kappa_t)
        total += (bh * bk) * (lam * power + (j - 1) * before * mixed)
        before, power = power, power * rho
    return total


def _chaos_from(c_hat: np.ndarray, units: GatedUnits, top: int) -> tuple[np.ndarray, np.ndarray]:
    """Normalised A_j, B_j (H, top) for j = 1 … top from ĉ_0 … ĉ_{top+1}."""
    j = np.arange(1, top + 1)
    a = units.mean_t[:, None] * c_hat[:, 1 : top + 1] + units.p[:, None] * (
        np.sqrt(j + 1.0) * c_hat[:, 2 : top + 2] + np.sqrt(j) * c_hat[:, :top])
    return a, units.q[:, None] * c_hat[:, :top]


def chaos_coefficients(units: GatedUnits, top: int) -> tuple[np.ndarray, np.ndarray]:
    """Normalised chaos coefficients A_j, B_j, j = 1 … top, accurate in absolute terms to high j
    (``normalised_coefficients``: He_j/√j! never overflows); a constant gate has only ĉ_0 = g(m)."""
    spread = units.std > 0
    c_hat = np.zeros((units.std.size, top + 2))
    if spread.any():
        c_hat[spread] = normalised_coefficients(units.gate, units.mean[spread], units.std[spread], top + 1)
    if (~spread).any():
        c_hat[~spread, 0] = activation_function(units.gate).value(units.mean[~spread], **units.gate.kwargs)
    return _chaos_from(c_hat, units, top)


def gated_explained_variance(units: GatedUnits, w2: np.ndarray, order: int) -> np.ndarray:
    """Var(W2 P_n y)_o = Σ_{j=1..n} Σ_{h,k} W2[o,h] W2[o,k] E[Φ_j^h Φ_j^k], from the same exact
    coefficients as the polynomial."""
    total = np.zeros(w2.shape[0])
    if order == 0:
        return total
    a, _, c = gated_hermite_coefficients(units, order)
    factorials = np.array([math.factorial(j) for j in range(order + 1)], dtype=np.float64)
    c_hat = c[:, : order + 1] / np.sqrt(factorials)
    big_a = a[:, 1:] / np.sqrt(factorials[1:])
    big_b = units.q[:, None] * c_hat[:, :order]
    rho, kappa, lam = _cross_correlations(units)
    terms = _chaos_sum(big_a[:, None], big_b[:, None], big_a[None], big_b[None], rho, kappa, kappa.T, lam, 1, order)
    return np.einsum("ok,kl,ol->o", w2, terms, w2)


def unit_variances(units: GatedUnits) -> tuple[np.ndarray, np.ndarray]:
    """(E y_h, Var y_h) per unit: E y = m_t c_0 + p c_1 and, integrating r out,
    Var y = E[(g(u)(m_t + pζ) − E y)²] + q² E[g(u)²], a centred 1-D panel quadrature."""
    function = activation_function(units.gate)
    c = hermite_coefficients(units.gate, units.mean, units.std, 1)
    expected = units.mean_t * c[:, 0] + units.p * c[:, 1]
    m, s, mt, p, q2 = units.mean, units.std, units.mean_t, units.p, units.q**2

    def integrand(z: np.ndarray, rows: slice) -> np.ndarray:
        g = function.value(m[rows, None] + s[rows, None] * z, **units.gate.kwargs)
        return (g * (mt[rows, None] + p[rows, None] * z) - expected[rows, None]) ** 2 + q2[rows, None] * g * g

    return expected, gaussian_integral(integrand, m, s, feature_points(units.gate))


def _largest_singular(rho, kappa, kappa_t, lam) -> np.ndarray:
    """σ_max of [[ρ, κ], [κ', λ]] elementwise (closed form of a 2×2 matrix's singular values)."""
    frobenius = rho**2 + kappa**2 + kappa_t**2 + lam**2
    determinant = rho * lam - kappa * kappa_t
    return np.sqrt(0.5 * (frobenius + np.sqrt(np.maximum(frobenius**2 - 4 * determinant**2, 0.0))))


def _gate_decay(rho: np.ndarray, top: int) -> np.ndarray:
    """2 max_{j>top} j |ρ|^{j−2}: every coefficient of E[Φ_j^h Φ_j^k] is at most j |ρ|^{j−2} (κ, κ', λ
    are correlations), and Σ_j (|A_j| + |B_j|)(|A'_j| + |B'_j|) ≤ 2 √(τ_h τ_k) over the tail. Sharper
    than σ^{J+1} when the planes meet (σ = 1) but the gates' directions differ (|ρ| < 1)."""
    r = np.minimum(np.abs(rho), 1.0)
    with np.errstate(divide="ignore"):
        peak = np.where(r > 0, -1.0 / np.log(np.where(r > 0, r, 0.5)), 0.0)
    best = np.zeros_like(r)
    for j in (np.full_like(r, top + 1.0), np.maximum(np.floor(peak), top + 1.0), np.maximum(np.ceil(peak), top + 1.0)):
        best = np.maximum(best, j * r ** (j - 2))
    return 2.0 * best


def _series(units: GatedUnits, variance: np.ndarray, rho, kappa, lam) -> tuple[np.ndarray, np.ndarray]:
    """Mehler-type sums for every pair to J = 16, the uncertified pairs to 96; returns the sums
    and the mask of off-diagonal pairs still uncertified. The truncation bound of a pair is
    min(σ^{J+1}, 2 max_{j>J} j|ρ|^{j−2}) √(τ_h τ_k)."""
    low, high = MEHLER_ORDERS
    sigma = _largest_singular(rho, kappa, kappa.T, lam)
    scale = np.sqrt(np.outer(variance, variance))
    off = ~np.eye(variance.size, dtype=bool) & (scale > 0)

    def uncertified(a: np.ndarray, b: np.ndarray, top: int) -> np.ndarray:
        """A unit with a constant gate is linear (its tail is exactly 0, not rounding noise)."""
        tail = np.where(units.std > 0, np.maximum(variance - np.sum(a**2 + b**2, axis=1), 0.0), 0.0)
        factor = np.minimum(sigma ** (top + 1), _gate_decay(rho, top))
        return off & (factor * np.sqrt(np.outer(tail, tail)) > PAIR_TOLERANCE * scale)

    a, b = chaos_coefficients(units, low)
    total = _chaos_sum(a[:, None], b[:, None], a[None], b[None], rho, kappa, kappa.T, lam, 1, low)
    failing = uncertified(a, b, low)
    if failing.any():
        a, b = chaos_coefficients(units, high)
        still = failing & uncertified(a, b, high)
        h, k = np.nonzero(failing & ~still)
        total[h, k] += _chaos_sum(a[h], b[h], a[k], b[k], rho[h, k], kappa[h, k], kappa[k, h], lam[h, k], low + 1, high)
        failing = still
    return total, failing


def _inner_coefficients(spec, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """c_0, c_1, c_2 of g(mean + std·W) at every outer node: closed forms where they exist, else the
    panel rule with PAIR_NODES per panel (converged to ~1e-15 for j ≤ 2; 20 nodes gain nothing)."""
    if activation_function(spec).gaussian_coefficients is not None:
        return hermite_coefficients(spec, mean, std, 2)
    shape = mean.shape
    mean, std = mean.ravel(), np.ascontiguousarray(std).ravel()
    out = np.zeros((mean.size, 3))
    spread = std > 0
    out[~spread, 0] = activation_function(spec).value(mean[~spread], **spec.kwargs)
    if spread.any():
        out[spread] = quadrature_coefficients(spec, mean[spread], std[spread], 2, nodes=PAIR_NODES)
    return out.reshape(shape + (3,))


def _pair_integrals(units: GatedUnits, expected: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Cov(y_h, y_k) for each pair (h outer, s_h > 0) by the conditioned 2-D quadrature.

    With Z = ζ_h: t_h = L_h + a_h W + e_h, t_k = L_k + a_k W + e_k (L linear in Z, e independent
    of Z and W), u_k = m' + σ' W. The integrand over Z is then, with c_j the gate's coefficients
    at (m', σ') and K = Cov(t_h, t_k | Z),

        (g_h L_h − E y_h)(L_k c_0 + a_k c_1 − E y_k) + g_h (a_h L_k c_1 + a_h a_k c_2 + K c_0),

    where a c_1 = Cov(t, u_k | Z)·c_1/σ' and a a' c_2 = Cov·Cov'·c_2/σ'², both finite as σ' → 0
    (the narrow coefficients are s^j E[g^(j)], see ``gaussian_moments``)."""
    function = activation_function(units.gate)
    spec = units.gate
    h, k = pairs[:, 0], pairs[:, 1]
    s_h, s_k, m_h, m_k = units.std[h], units.std[k], units.mean[h], units.mean[k]
    # Covariances of the t's: t = m_t + slope (u − m) + r, with slope = p/s.
    slope = np.where(units.std > 0, units.p / np.where(units.std > 0, units.std, 1.0), 0.0)
    cuu, cur, crr = units.cov_uu, units.cov_ur, units.cov_rr
    cov_ut = cuu * slope[None, :] + cur            # Cov(u_a, t_b)
    cov_tt = (slope[:, None] * cuu * slope[None, :] + slope[:, None] * cur + cur.T * slope[None, :] + crr)
    rho = np.where(s_k > 0, np.clip(cuu[h, k] / (s_h * np.where(s_k > 0, s_k, 1.0)), -1.0, 1.0), 0.0)
    inner_std = s_k * np.sqrt(np.maximum(1.0 - rho * rho, 0.0))
    beta = cuu[h, k] / s_h                           # u_k − m_k = beta Z + ũ_k
    p_hh, p_hk = cov_ut[h, h] / s_h, cov_ut[h, k] / s_h
    conditional = cov_tt[h, k] - p_hh * p_hk
    cov_h = cov_ut[k, h] - beta * p_hh              # Cov(t_h, ũ_k)
    cov_k = cov_ut[k, k] - beta * p_hk              # Cov(t_k, ũ_k)
    free = inner_std > COLLINEAR * s_k
    safe_std = np.where(free, inner_std, 1.0)
    cov_h, cov_k = np.where(free, cov_h, 0.0), np.where(free, cov_k, 0.0)
    features = feature_points(spec)
    steps = np.concatenate([features[None, :].repeat(len(pairs), axis=0), inner_std[:, None] * SMOOTHED_STEPS], axis=1)
    lean = np.where(beta != 0, beta, 1.0)
    mapped = m_h[:, None] + s_h[:, None] * (steps - m_k[:, None]) / lean[:, None]
    all_features = np.concatenate([np.broadcast_to(features, (len(pairs), features.size)), mapped], axis=1)
    mt_h, mt_k, e_h, e_k = units.mean_t[h], units.mean_t[k], expected[h], expected[k]

    def integrand(z: np.ndarray, rows: slice) -> np.ndarray:
        col = lambda values: values[rows, None]  # noqa: E731
        g_h = function.value(col(m_h) + col(s_h) * z, **spec.kwargs)
        inner_mean = col(m_k) + col(beta) * z
        std = np.broadcast_to(col(np.where(free, inner_std, 0.0)), z.shape)
        c = _inner_coefficients(spec, inner_mean, std)
        d1, d2 = c[..., 1] / col(safe_std), c[..., 2] / col(safe_std) ** 2
        l_h, l_k = col(mt_h) + col(p_hh) * z, col(mt_k) + col(p_hk) * z
        outer = (g_h * l_h - col(e_h)) * (l_k * c[..., 0] + col(cov_k) * d1 - col(e_k))
        return outer + g_h * (col(cov_h) * l_k * d1 + col(cov_h) * col(cov_k) * d2 + col(conditional) * c[..., 0])

    parts = [
        gaussian_integral(lambda z, rows, s=start: integrand(z, slice(s + rows.start, s + rows.stop)),
                          m_h[start:start + PAIR_CHUNK], s_h[start:start + PAIR_CHUNK],
                          all_features[start:start + PAIR_CHUNK], nodes=PAIR_NODES)
        for start in range(0, len(pairs), PAIR_CHUNK)
    ]
    return np.concatenate(parts) if parts else np.zeros(0)


def gated_covariance(units: GatedUnits) -> tuple[np.ndarray, int]:
    """Cov(y_h, y_k) (H, H), each entry to about PAIR_TOLERANCE of √(Var y_h Var y_k), and the
    number of pairs that needed the 2-D quadrature."""
    expected, variance = unit_variances(units)
    rho, kappa, lam = _cross_correlations(units)
    result, failing = _series(units, variance, rho, kappa, lam)
    np.fill_diagonal(result, variance)
    pairs = np.argwhere(np.triu(failing | failing.T, 1))
    if pairs.size:
        swap = units.std[pairs[:, 0]] <= 0
        pairs[swap] = pairs[swap][:, ::-1]
        pairs = pairs[units.std[pairs[:, 0]] > 0]
        values = _pair_integrals(units, expected, pairs)
        result[pairs[:, 0], pairs[:, 1]] = values
        result[pairs[:, 1], pairs[:, 0]] = values
    return result, len(pairs)
