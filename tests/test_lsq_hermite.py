"""Hermite coefficients c_j = E[g(m + sZ) He_j(Z)] and activation covariances against independent oracles.

References: ``tests/data/lsq/hermite_references.json``, 30-digit mpmath integrals made by the
script beside it (activations written out in mpmath, tanh-sinh quadrature), plus a few live
mpmath integrals here. The accuracy claim is 1e-10 relative for every coefficient that is not
negligible: |error| ≤ 1e-10·|c_j| + 1e-14·max_i |c_i|. The floor only matters for coefficients that
vanish by symmetry or lie many standard deviations from a kink (c_j ~ 1e-30 beside c_0 ~ 1),
where relative accuracy means nothing for the polynomial.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import mpmath as mp
import numpy as np
import pytest

from polyx.converters.ir.chain import Activation
from polyx.expansion.activations.covariance import activation_covariance
from polyx.expansion.activations.registry import activation_function
from polyx.expansion.activations.gaussian_moments import (
    SPAN,
    gaussian_expectation,
    hermite_coefficients,
    normalised_coefficients,
    quadrature_coefficients,
)

REFERENCES = json.loads((Path(__file__).parent / "data" / "lsq" / "hermite_references.json").read_text())["cases"]
RELATIVE, FLOOR = 1e-10, 1e-14


def _within(ours: np.ndarray, reference: np.ndarray) -> bool:
    return bool(np.all(np.abs(ours - reference) <= RELATIVE * np.abs(reference) + FLOOR * np.abs(reference).max()))


def _case_id(case: dict) -> str:
    return f"{case['activation']}-m{case['mean']}-s{case['std']}"


@pytest.mark.parametrize("case", REFERENCES, ids=_case_id)
def test_coefficients_match_mpmath(case):
    """What the method uses (closed form where there is one, quadrature otherwise), degrees 0–5."""
    reference = np.array([float(value) for value in case["coefficients"]])
    ours = hermite_coefficients(Activation.of(case["activation"]), case["mean"], case["std"], reference.size - 1)
    assert _within(ours, reference), (ours, reference)


def _quadrature_applies(case: dict) -> bool:
    """The panel quadrature integrates over m ± 12s by design, so a ReLU dead for 12 standard
    deviations (coefficients of order φ(12) ≈ 1e-32) comes out 0; the sine's wide cases have
    closed forms only (e^{−s²/2} vanishes far below what any rule resolves relatively)."""
    dead = case["activation"] == "relu" and abs(case["mean"]) >= SPAN * case["std"] * (1 - 1e-9)
    return case["activation"] != "sin" and not dead


@pytest.mark.parametrize("case", [c for c in REFERENCES if _quadrature_applies(c)], ids=_case_id)
def test_the_quadrature_alone_matches_mpmath(case):
    """The panel quadrature for every activation, including those that have closed forms."""
    reference = np.array([float(value) for value in case["coefficients"]])
    spec = Activation.of(case["activation"])
    ours = quadrature_coefficients(spec, np.array([case["mean"]]), np.array([case["std"]]), reference.size - 1)[0]
    assert _within(ours, reference), (ours, reference)


def test_the_references_cover_the_required_widths():
    widths = {case["std"] for case in REFERENCES if case["activation"] == "tanh"}
    assert {0.1, 4.0, 8.0, 64.0} <= widths
    assert {case["activation"] for case in REFERENCES} >= {
        "tanh", "sigmoid", "softplus", "silu", "gelu", "gelu_tanh", "elu", "selu", "sin", "relu", "leaky_relu"}


@pytest.mark.parametrize(("name", "mean", "std"), [("tanh", 0.7, 64.0), ("elu", 0.3, 0.1), ("gelu_tanh", -0.6, 8.0)])
def test_live_mpmath_integrals(name, mean, std):
    """Three coefficients computed here with mpmath (20 digits), so the stored file is not the only oracle."""
    mp.mp.dps = 20
    functions = {"tanh": mp.tanh, "elu": lambda x: x if x > 0 else mp.expm1(x),
                 "gelu_tanh": lambda x: x / 2 * (1 + mp.tanh(mp.sqrt(2 / mp.pi) * (x + mp.mpf("0.044715") * x**3)))}
    g, m, s = functions[name], mp.mpf(mean), mp.mpf(std)
    z0 = -m / s
    points = sorted({mp.mpf(k) for k in range(-12, 13, 3)} | {z0 + mp.mpf(k) / s for k in (-4, -1, 0, 1, 4)})
    hermite = [lambda z: 1, lambda z: z, lambda z: z * z - 1, lambda z: z**3 - 3 * z]
    reference = np.array([float(mp.quad(lambda z, h=h: g(m + s * z) * h(z) * mp.npdf(z), [-mp.inf, *points, mp.inf]))
                          for h in hermite])
    assert _within(hermite_coefficients(Activation.of(name), mean, std, 3), reference)


def test_a_fixed_gauss_hermite_rule_would_not_do():
    """Why panels: 50-node Gauss–Hermite misses E[tanh'] by percents at s = 4 and 8 (methods.md), polyx does not."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(50)
    weights = weights / weights.sum()
    for case in (c for c in REFERENCES if c["activation"] == "tanh" and c["std"] in (4.0, 8.0)):
        exact = float(case["coefficients"][1])
        fixed = weights @ (np.tanh(case["mean"] + case["std"] * nodes) * nodes)
        assert abs(fixed - exact) > 1e-3 * abs(exact)
        assert abs(hermite_coefficients(Activation.of("tanh"), case["mean"], case["std"], 1)[1] - exact) < 1e-12 * abs(exact)


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "gelu", "linear", "sin"])
def test_closed_forms_agree_with_the_quadrature_on_a_grid(name):
    spec = Activation.of(name)
    means = np.tile([-3.0, -0.4, 0.0, 0.9, 6.0], 5)
    stds = np.repeat([0.1, 0.5, 1.0, 2.0, 4.0], 5)
    alive = np.abs(means) < SPAN * stds if name == "relu" else np.ones(means.size, dtype=bool)
    closed = hermite_coefficients(spec, means, stds, 6)[alive]
    numeric = quadrature_coefficients(spec, means[alive], stds[alive], 6)
    for ours, other in zip(closed, numeric):
        assert _within(other, ours)


@pytest.mark.parametrize("name", ["elu", "selu"])
def test_closed_form_expectations_agree_with_the_quadrature(name):
    spec = Activation.of(name)
    means = np.tile([-30.0, -3.0, -0.4, 0.9, 6.0, 30.0], 5)
    stds = np.repeat([0.1, 0.5, 1.0, 8.0, 64.0], 6)
    closed = gaussian_expectation(spec, means, stds)
    numeric = quadrature_coefficients(spec, means, stds, 0)[:, 0]
    assert np.allclose(closed, numeric, rtol=1e-12, atol=1e-13)


def test_a_constant_preactivation_is_its_value():
    coefficients = hermite_coefficients(Activation.of("tanh"), [0.5, 0.5], [0.0, 1e-300], 3)
    assert coefficients[0].tolist() == [math.tanh(0.5), 0, 0, 0]
    assert abs(coefficients[1, 0] - math.tanh(0.5)) < 1e-15


def _relu_arc_cosine(rho: np.ndarray) -> np.ndarray:
    """Cov(relu(u), relu(v)) for standard u, v with correlation ρ (Cho & Saul's arc-cosine kernel)."""
    second = (np.sqrt(1 - rho**2) + rho * (np.pi - np.arccos(rho))) / (2 * np.pi)
    return second - 1 / (2 * np.pi)


def test_relu_covariance_matches_the_arc_cosine_kernel():
    """Zero means, unit variances, correlations from 0 to exactly ±1 (where the Mehler series fails)."""
    rho = np.array([0.0, 0.3, -0.6, 0.95, 0.999, -0.9999, 1.0])
    pairs = len(rho)
    cov = np.eye(2 * pairs)
    for k, r in enumerate(rho):
        cov[2 * k, 2 * k + 1] = cov[2 * k + 1, 2 * k] = r
    scale = np.repeat(np.linspace(0.5, 3.0, pairs), 2)
    result = activation_covariance(Activation.of("relu"), np.zeros(2 * pairs), cov * np.outer(scale, scale))
    expected = _relu_arc_cosine(rho) * scale[::2] ** 2
    variance = (0.5 - 1 / (2 * np.pi)) * scale**2
    assert np.allclose(result[np.arange(0, 2 * pairs, 2), np.arange(1, 2 * pairs, 2)], expected, rtol=0, atol=1e-12 * scale[::2] ** 2)
    assert np.allclose(np.diag(result), variance, rtol=1e-12)


def _box_rule(panels: int = 80, nodes: int = 10, half_width: float = 10.0) -> tuple[np.ndarray, np.ndarray]:
    """Composite Gauss–Legendre on [−10, 10] with the normal density folded into the weights."""
    points, weights = np.polynomial.legendre.leggauss(nodes)
    edges = np.linspace(-half_width, half_width, panels + 1)
    half = np.diff(edges)[:, None] / 2
    z = (edges[:-1, None] + half * (points + 1)).ravel()
    w = (half * weights).ravel() * np.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    return z, w


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "silu", "sin"])
def test_smooth_covariances_match_a_dense_two_dimensional_rule(name):
    """Smooth activations, unit-order spreads, correlations up to 0.999: an 800×800 composite
    Gauss–Legendre product rule on [−10, 10]² converges to ~1e-15 for these analytic integrands."""
    spec = Activation.of(name)
    mean = np.array([0.3, -0.5, 0.8, 0.1])
    std = np.array([1.0, 1.5, 0.7, 1.2])
    rho = np.array([[1, 0.2, 0.99, -0.999], [0.2, 1, -0.5, 0.0], [0.99, -0.5, 1, -0.98], [-0.999, 0.0, -0.98, 1]])
    result = activation_covariance(spec, mean, rho * np.outer(std, std))
    z, w = _box_rule()
    function = activation_function(spec).value
    for k in range(4):
        for l in range(4):
            r = rho[k, l]
            first = function(mean[k] + std[k] * z)
            second = function(mean[l] + std[l] * (r * z[:, None] + math.sqrt(max(1 - r * r, 0.0)) * z[None, :]))
            expected = w @ (first[:, None] * second) @ w - (w @ first) * (w @ function(mean[l] + std[l] * z))
            assert abs(result[k, l] - expected) <= 1e-11 * math.sqrt(result[k, k] * result[l, l]), (k, l)


def test_normalised_coefficients_of_closed_forms_stay_finite_at_high_order():
    values = normalised_coefficients(Activation.of("relu"), np.array([0.0, 500.0, -500.0]), np.array([1.0, 1e-3, 1e-3]), 96)
    assert np.all(np.isfinite(values))
    assert np.all(values[2] == 0)
