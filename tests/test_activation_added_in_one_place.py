"""A new activation needs one registry entry and nothing else: nn2poly, taylor and lsq use it.

The entry is a test-only analytic activation, the Gaussian bump g(u) = exp(−u²/2), with its series
f^(k)(c)/k! = (−1)^k He_k(c) e^{−c²/2}/k!, registered by monkeypatching ``ACTIVATIONS`` (no other
module is touched). Oracles are independent of polyx:

- nn2poly: SymPy's own Taylor series of g at 0, composed with the symbolic pre-activations and
  multiplied out (one hidden layer, Taylor order = polynomial order, so nothing is truncated);
  1e-12 of the largest coefficient.
- taylor: SymPy's symbolic derivatives of the network at x0 with 30 digits (``test_taylor_sympy``'s
  oracle, the bump's formula added to its table); 1e-10 of the largest coefficient.
- lsq: the normal equations with every expectation a ``scipy.integrate.quad`` integral (one
  Gaussian input); 1e-9 of the largest coefficient, as in ``test_lsq_closed_form``. R² against the
  same integrals: 1e-9 absolute.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.integrate
import sympy as sp

import polyx
import test_series
from polyx.converters.ir.chain import Activation, DenseLayer, Network
from polyx.errors import MethodError
from polyx.expansion.activations.registry import ACTIVATIONS, ActivationFunction
from test_taylor_sympy import check, point_away_from_kinks, random_network

BUMP = Activation("bump")


def _bump_series(center: np.ndarray, order: int) -> np.ndarray:
    """(−1)^k He_k(c) e^{−c²/2} / k!, the probabilists' Hermite recurrence written out here."""
    center = np.asarray(center, dtype=np.float64)
    hermite = np.empty(center.shape + (order + 1,))
    hermite[..., 0] = 1.0
    if order >= 1:
        hermite[..., 1] = center
    for j in range(1, order):
        hermite[..., j + 1] = center * hermite[..., j] - j * hermite[..., j - 1]
    signs = (-1.0) ** np.arange(order + 1) / np.array([math.factorial(k) for k in range(order + 1)], dtype=np.float64)
    return np.exp(-0.5 * center**2)[..., None] * hermite * signs


@pytest.fixture
def bump(monkeypatch: pytest.MonkeyPatch) -> Activation:
    """The bump registered for one test: the registry entry, plus its formula in the SymPy oracle's table."""
    monkeypatch.setitem(ACTIVATIONS, BUMP.name, ActivationFunction(BUMP.name, lambda x: np.exp(-0.5 * x * x), _bump_series))
    monkeypatch.setitem(test_series.SYMBOLIC, BUMP.name, lambda x: sp.exp(-x**2 / 2))
    return BUMP


def _one_hidden_layer(inputs: int, hidden: int, seed: int) -> Network:
    rng = np.random.default_rng(seed)
    return Network((
        DenseLayer(rng.uniform(-1.2, 1.2, (hidden, inputs)), rng.uniform(-0.5, 0.5, hidden), BUMP),
        DenseLayer(rng.uniform(-1.2, 1.2, (1, hidden)), rng.uniform(-0.5, 0.5, 1), Activation("linear")),
    ))


def test_the_bump_is_unknown_without_its_entry() -> None:
    """The fixture is what makes the activation exist: without it the network cannot run."""
    with pytest.raises(MethodError, match="unknown activation 'bump'"):
        _one_hidden_layer(2, 3, seed=0).forward(np.zeros((1, 2)))


def test_nn2poly_matches_sympys_series_composed(bump: Activation) -> None:
    network, order = _one_hidden_layer(2, 3, seed=1), 4
    polynomial = polyx.expand(network, method="nn2poly", order=order, taylor_orders=order)
    x = sp.symbols("x1:3")
    u = sp.Symbol("u")
    taylor = sp.series(sp.exp(-u**2 / 2), u, 0, order + 1).removeO()
    hidden, output = network.layers
    pre = [sum(sp.Float(float(w), 30) * xi for w, xi in zip(row, x)) + sp.Float(float(b), 30)
           for row, b in zip(hidden.weight, hidden.bias)]
    expression = sum(sp.Float(float(w), 30) * taylor.subs(u, p) for w, p in zip(output.weight[0], pre))
    terms = sp.Poly(sp.expand(expression + sp.Float(float(output.bias[0]), 30)), *x).as_dict()
    expected = np.array([float(terms.get(tuple(int(e) for e in row), 0)) for row in polynomial.exponents])
    assert len(terms) == polynomial.n_terms
    scale = np.abs(expected).max()
    assert np.abs(polynomial.coefficients[0] - expected).max() <= 1e-12 * scale


def test_taylor_matches_sympys_derivatives(bump: Activation) -> None:
    network = random_network([2, 3, 2, 1], [bump, bump, Activation("linear")], seed=7)
    check(network, point_away_from_kinks(network, seed=1), order=3)


def test_lsq_matches_the_normal_equations_by_quad(bump: Activation) -> None:
    network, order, mean, std = _one_hidden_layer(1, 4, seed=5), 4, 0.3, 1.7
    polynomial = polyx.expand(network, method="lsq", order=order, mean=[mean], cov=[[std**2]])

    def f(x: float) -> float:
        return float(network.forward(np.array([[x]]))[0, 0])

    def expectation(function) -> float:
        density = lambda x: math.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))  # noqa: E731
        value, _ = scipy.integrate.quad(lambda x: function(x) * density(x), mean - 14 * std, mean + 14 * std,
                                        limit=400, epsabs=0, epsrel=1e-13)
        return value

    powers = range(order + 1)
    gram = np.array([[expectation(lambda x, a=a, b=b: x ** (a + b)) for b in powers] for a in powers])
    moments = np.array([expectation(lambda x, a=a: x**a * f(x)) for a in powers])
    oracle = np.linalg.solve(gram, moments)
    ours = polynomial.coefficients[0]
    assert np.abs(ours - oracle).max() <= 1e-9 * np.abs(oracle).max()

    mean_f = expectation(f)
    variance = expectation(lambda x: (f(x) - mean_f) ** 2)
    residual = expectation(lambda x: (f(x) - np.polynomial.polynomial.polyval(x, oracle)) ** 2)
    assert abs(polynomial.diagnostics["r2"][0] - (1.0 - residual / variance)) <= 1e-9
