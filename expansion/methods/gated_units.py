"""A gated layer's units under a Gaussian input: the moments and 1-D Hermite coefficients that both
its least-squares polynomial (``gated_lsq``) and its analytic R² (``gated_covariance``) are built from.

Unit h is y_h = g(u_h) t_h with u = v_h·x + c_h ~ N(m, s²) and t = w1_h·x + b1_h. Regressing t on
u, t = m_t + p ζ + r with ζ = (u − m)/s, p = Cov(t, u)/s and a residual r independent of u, so
every coefficient is a combination of the gate's c_i = E[g(u) He_i(ζ)] (see ``gated_lsq``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from polyx.converters.ir.chain import Activation
from polyx.expansion.activations.gaussian_moments import hermite_coefficients
from polyx.expansion.methods.gaussian_input import GaussianInput

__all__ = ["GatedUnits", "gated_units", "gated_hermite_coefficients"]


@dataclass(frozen=True)
class GatedUnits:
    """The H gated units under the input Gaussian, everything in centred coordinates (x − μ).

    ``gate_form`` and ``residual_form`` (H, d) are the linear forms u − m and r; ``cov_uu``,
    ``cov_ur``, ``cov_rr`` (H, H) their covariances; ``mean_t`` the means of t; ``p`` = Cov(t, u)/s
    (0 for a constant gate); ``mean``, ``std`` of u.
    """

    gate: Activation
    mean: np.ndarray
    std: np.ndarray
    mean_t: np.ndarray
    p: np.ndarray
    gate_form: np.ndarray
    residual_form: np.ndarray
    cov_uu: np.ndarray
    cov_ur: np.ndarray
    cov_rr: np.ndarray

    @property
    def q(self) -> np.ndarray:
        """Standard deviation of each unit's residual r."""
        return np.sqrt(np.maximum(np.diag(self.cov_rr), 0.0))


def gated_units(gate: Activation, model: GaussianInput, v: np.ndarray, c: np.ndarray, w1: np.ndarray,
                b1: np.ndarray) -> GatedUnits:
    """Moments of the units g(V x + c) ⊙ (W1 x + b1) under ``model`` (V, W1 put on its support).

    The residual form is W1 − slope·V with slope = Cov(t, u)/Var u, computed from the weights, so
    a t nearly collinear with u keeps its digits in the polynomial (only q, for R², cancels)."""
    v, c = model.onto_support(v, c)
    w1, b1 = model.onto_support(w1, b1)
    mean = v @ model.mean + c
    mean_t = w1 @ model.mean + b1
    sigma_v = v @ model.cov
    var_u = np.einsum("hd,hd->h", sigma_v, v)
    cov_ut = np.einsum("hd,hd->h", sigma_v, w1)
    spread = var_u > 0
    std = np.sqrt(np.maximum(var_u, 0.0))
    safe = np.where(spread, var_u, 1.0)
    slope = np.where(spread, cov_ut / safe, 0.0)
    p = np.where(spread, cov_ut / np.where(spread, std, 1.0), 0.0)
    residual = w1 - slope[:, None] * v
    sigma_r = residual @ model.cov
    return GatedUnits(gate, mean, std, mean_t, p, v, residual,
                      sigma_v @ v.T, sigma_v @ residual.T, sigma_r @ residual.T)


def gated_hermite_coefficients(units: GatedUnits, order: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(a, b, c): a (H, n+1) the Hermite coefficients in ζ of E[y | ζ] (the part without r),
    b (H, n) those of the factor of r, both up to the degree they enter P_n, and c (H, n+2) the
    gate's own c_0 … c_{n+1}. a_i = m_t c_i + p (c_{i+1} + i c_{i−1}), b_i = c_i (see the module)."""
    c = hermite_coefficients(units.gate, units.mean, units.std, order + 1)
    index = np.arange(order + 1)
    below = np.concatenate([np.zeros((c.shape[0], 1)), c[:, :order]], axis=1)
    a = units.mean_t[:, None] * c[:, : order + 1] + units.p[:, None] * (c[:, 1:] + index * below)
    return a, c[:, :order].copy(), c
