"""Activation Taylor series against SymPy's symbolic derivatives, at 0 and at arbitrary points.

Tolerance: 1e-11 relative to the largest |coefficient| of the series (the recurrences are exact
up to accumulated float64 rounding over at most 10 degrees; SymPy evaluates with 30 digits).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from polyx.converters.ir.chain import Activation
from polyx.errors import MethodError
from polyx.expansion.activations.registry import ACTIVATIONS, activation_value, taylor_coefficients
from polyx.expansion.activations.series import shift_series

t = sp.Symbol("t")
SELU_ALPHA = sp.Float("1.6732632423543772848170429916717", 40)
SELU_GAMMA = sp.Float("1.0507009873554804934193349852946", 40)

SYMBOLIC = {
    "linear": lambda x: x,
    "tanh": sp.tanh,
    "sigmoid": lambda x: 1 / (1 + sp.exp(-x)),
    "softplus": lambda x: sp.log(1 + sp.exp(x)),
    "sin": sp.sin,
    "silu": lambda x: x / (1 + sp.exp(-x)),
    "gelu": lambda x: x * (1 + sp.erf(x / sp.sqrt(2))) / 2,
    "gelu_tanh": lambda x: x * (1 + sp.tanh(sp.sqrt(2 / sp.pi) * (x + sp.Rational(44715, 1000000) * x**3))) / 2,
}
BELOW_ZERO = {
    Activation.of("elu", alpha=0.7): lambda x: sp.Float(0.7) * (sp.exp(x) - 1),
    Activation("selu"): lambda x: SELU_GAMMA * SELU_ALPHA * (sp.exp(x) - 1),
}
ORDER = 9


def _sympy_series(function, center: float, order: int) -> np.ndarray:
    expr = function(t)
    values = []
    for k in range(order + 1):
        values.append(float(expr.subs(t, sp.Float(center, 30)).evalf(30)) / math.factorial(k))
        expr = sp.diff(expr, t)
    return np.array(values)


def _assert_series_close(actual: np.ndarray, expected: np.ndarray) -> None:
    assert np.abs(actual - expected).max() <= 1e-11 * max(1.0, np.abs(expected).max())


@pytest.mark.parametrize("name", sorted(SYMBOLIC))
@pytest.mark.parametrize("center", [0.0, 0.37, -1.9, 3.4])
def test_series_match_sympy_derivatives(name: str, center: float) -> None:
    actual = taylor_coefficients(Activation(name), np.array([center]), ORDER)[0]
    _assert_series_close(actual, _sympy_series(SYMBOLIC[name], center, ORDER))


SATURATING = {
    "tanh": mpmath.tanh,
    "sigmoid": lambda x: 1 / (1 + mpmath.exp(-x)),
    "softplus": lambda x: mpmath.log(1 + mpmath.exp(x)),
    "silu": lambda x: x / (1 + mpmath.exp(-x)),
}


@pytest.mark.parametrize("name", sorted(SATURATING))
@pytest.mark.parametrize("center", [-30.0, -20.0, 20.0, 30.0])
def test_saturated_neurons_keep_every_coefficients_relative_accuracy(name: str, center: float) -> None:
    """Far out, the derivatives are ~e^{-2|c|} next to a value near ±1 (or near c): each must still
    be right relative to itself, not just to the largest coefficient. Oracle: mpmath.taylor at 80
    digits. Tolerance 1e-14 relative per coefficient: the recurrence adds a few ulps per degree
    (measured ≤ 2.2e-15 over these nine)."""
    with mpmath.workdps(80):
        expected = np.array([float(v) for v in mpmath.taylor(SATURATING[name], mpmath.mpf(center), ORDER)])
    actual = taylor_coefficients(Activation(name), np.array([center]), ORDER)[0]
    assert np.all(expected != 0)
    assert np.abs(actual / expected - 1).max() <= 1e-14


@pytest.mark.parametrize("spec", list(BELOW_ZERO), ids=str)
@pytest.mark.parametrize("center", [-0.4, -2.2])
def test_exponential_branch_of_elu_and_selu(spec: Activation, center: float) -> None:
    actual = taylor_coefficients(spec, np.array([center]), ORDER)[0]
    _assert_series_close(actual, _sympy_series(BELOW_ZERO[spec], center, ORDER))


@pytest.mark.parametrize("alpha", [1.0, 0.7])
@pytest.mark.parametrize("center", [-1e-9, -3e-5])
def test_elu_just_below_zero_keeps_its_small_value(alpha: float, center: float) -> None:
    """α(e^c − 1) must not be formed as αe^c − α, which keeps ~7 digits at c = −1e-9. Oracle:
    mpmath at 50 digits; 1e-15 relative per coefficient (one rounding each)."""
    with mpmath.workdps(50):
        expected = np.array([float(v) for v in mpmath.taylor(lambda x: alpha * mpmath.expm1(x), mpmath.mpf(center), ORDER)])
    actual = taylor_coefficients(Activation.of("elu", alpha=alpha), np.array([center]), ORDER)[0]
    assert np.abs(actual / expected - 1).max() <= 1e-15


def test_elu_far_above_zero_is_the_identity_without_overflow() -> None:
    """exp(800) overflows; the positive branch must not compute it (overflow raises here; e^-800
    underflows to 0, which is its correct float64 rounding)."""
    with np.errstate(over="raise", invalid="raise"):
        actual = taylor_coefficients(Activation("elu"), np.array([800.0, -800.0]), 3)
    np.testing.assert_array_equal(actual, [[800.0, 1.0, 0.0, 0.0], [-1.0, 0.0, 0.0, 0.0]])


@pytest.mark.parametrize("name", ["relu", "elu", "selu", "leaky_relu"])
def test_kinks_have_no_series(name: str) -> None:
    with pytest.raises(MethodError, match="not analytic at 0"):
        taylor_coefficients(Activation(name), np.array([0.5, 0.0]), 3)


def test_piecewise_linear_series_are_the_active_branch() -> None:
    series = taylor_coefficients(Activation.of("leaky_relu", alpha=0.1), np.array([2.0, -3.0]), 3)
    assert np.allclose(series, [[2.0, 1.0, 0.0, 0.0], [-0.3, 0.1, 0.0, 0.0]], rtol=1e-15, atol=0)


def test_nn2poly_tanh_coefficients_at_zero() -> None:
    expected = [0, 1, 0, -1 / 3, 0, 2 / 15, 0, -17 / 315, 0]
    assert np.allclose(taylor_coefficients(Activation("tanh"), np.zeros(1), 8)[0], expected, rtol=0, atol=1e-16)


def test_values_match_sympy() -> None:
    points = np.linspace(-4, 4, 17)
    for name, function in SYMBOLIC.items():
        expected = [float(function(sp.Float(p, 30)).evalf(30)) for p in points]
        assert np.allclose(activation_value(Activation(name), points), expected, rtol=1e-13, atol=1e-15), name
    assert set(SYMBOLIC) | {"relu", "leaky_relu", "elu", "selu", "power"} == set(ACTIVATIONS)


@pytest.mark.parametrize("exponent, shift", [(-0.5, 1e-5), (0.5, 0.0), (-1.0, 0.25), (3.0, 0.0), (2.5, 1.0)])
def test_power_series_matches_sympy(exponent: float, shift: float) -> None:
    """(c + s + t)^p: a normalisation's 1/√(var + ε), a square root, a reciprocal, integer and other powers."""
    centers = np.array([0.3, 1.7, 4.0])
    actual = taylor_coefficients(Activation.of("power", exponent=exponent, shift=shift), centers, ORDER)
    p = sp.Rational(str(exponent))
    for row, center in zip(actual, centers):
        expected = _sympy_series(lambda u: (u + sp.Rational(str(shift))) ** p, center, ORDER)
        _assert_series_close(row, expected)


def test_power_series_refuses_a_base_at_or_below_zero() -> None:
    with pytest.raises(MethodError, match="no Taylor series"):
        taylor_coefficients(Activation.of("power", exponent=-0.5, shift=0.0), np.array([0.2, -0.1]), 3)


def test_shift_series_re_expands_exactly() -> None:
    g = np.array([0.5, -1.0, 2.0, 0.25])
    h = shift_series(g, np.array(0.3), 3)
    expr = sum(sp.Rational(str(c)) * (sp.Rational(3, 10) + t) ** n for n, c in enumerate(g))
    expected = [float(sp.Poly(sp.expand(expr), t).coeff_monomial(t**k)) for k in range(4)]
    assert np.allclose(h, expected, rtol=1e-15, atol=0)
