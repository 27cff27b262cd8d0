"""Activations beyond nn2poly's four, checked against SymPy composing the Taylor polynomials itself.

Oracle: SymPy differentiates each activation's closed form symbolically (no recurrence shared
with polyx), evaluates g^(n)(c)/n! to 40 digits, and composes layer by layer in exact rational
arithmetic with nn2poly's bookkeeping: each neuron's order-q Taylor polynomial at the centre c,
substituted into its pre-activation polynomial, terms above min(degree·q, Q) dropped, a final
linear layer not expanded. The oracle is exact, so the 1e-12 relative tolerance only covers
polyx's float64 rounding (measured ≤ 1e-15).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from polyx import expand
from polyx.converters.ir.chain import Activation, DenseLayer, Network

T = sp.Symbol("t")
X1, X2 = sp.symbols("x1 x2")
ALPHA, SELU_ALPHA, SELU_GAMMA = 1.0, 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
CLOSED_FORMS = {
    "sin": sp.sin(T),
    "silu": T / (1 + sp.exp(-T)),
    "gelu": T / 2 * (1 + sp.erf(T / sp.sqrt(2))),
    "gelu_tanh": T / 2 * (1 + sp.tanh(sp.sqrt(2 / sp.pi) * (T + sp.Rational(44715, 10**6) * T**3))),
    "tanh": sp.tanh(T),
    "sigmoid": 1 / (1 + sp.exp(-T)),
    "softplus": sp.log(1 + sp.exp(T)),
    # Kinked activations on their analytic side of 0 (centre < 0): their negative branch.
    "elu": ALPHA * (sp.exp(T) - 1),
    "selu": sp.Float(SELU_GAMMA, 40) * sp.Float(SELU_ALPHA, 40) * (sp.exp(T) - 1),
    "leaky_relu": sp.Rational(1, 100) * T,
}


def _taylor(name: str, center: float, order: int) -> list[sp.Rational]:
    center_exact = sp.Rational(center)
    form = CLOSED_FORMS[name]
    return [
        sp.Rational(sp.diff(form, T, n).subs(T, center_exact).evalf(40)) / math.factorial(n)
        for n in range(order + 1)
    ]


def _truncate(poly: sp.Poly, degree: int) -> sp.Poly:
    return sp.Poly.from_dict({m: c for m, c in poly.as_dict().items() if sum(m) <= degree}, *poly.gens, domain=sp.QQ)


def _sympy_nn2poly(layers: list[tuple[np.ndarray, np.ndarray, str]], order: int, q: int, center: float) -> dict:
    """nn2poly's algorithm, term by term in exact arithmetic: {exponent tuple: coefficient}."""
    hidden = [sp.Poly(X1, X1, X2, domain=sp.QQ), sp.Poly(X2, X1, X2, domain=sp.QQ)]
    degree = 1
    for weight, bias, name in layers:
        pre = [
            sum((sp.Rational(w) * h for w, h in zip(row, hidden)), sp.Poly(sp.Rational(b), X1, X2, domain=sp.QQ))
            for row, b in zip(weight, bias)
        ]
        if name == "linear":
            hidden = pre
            continue
        degree = min(degree * q, order)
        series = _taylor(name, center, q)
        outputs = []
        for u in pre:
            shifted, power, total = u - sp.Rational(center), sp.Poly(1, X1, X2, domain=sp.QQ), sp.Poly(0, X1, X2, domain=sp.QQ)
            for coefficient in series:
                total += power * coefficient
                power = _truncate(power * shifted, degree)
            outputs.append(_truncate(total, degree))
        hidden = outputs
    return {monomial: float(value) for monomial, value in hidden[0].as_dict().items()}


def _network(rng: np.random.Generator, names: tuple[str, str], scale: float) -> tuple[Network, list]:
    spec = {"leaky_relu": Activation.of("leaky_relu", alpha=0.01), "elu": Activation.of("elu", alpha=ALPHA),
            "selu": Activation.of("selu", alpha=SELU_ALPHA, gamma=SELU_GAMMA)}
    shapes = [(3, 2), (2, 3), (1, 2)]
    layers, raw = [], []
    for (n_out, n_in), name in zip(shapes, (*names, "linear")):
        weight, bias = rng.uniform(-scale, scale, (n_out, n_in)), rng.uniform(-scale, scale, n_out)
        layers.append(DenseLayer(weight, bias, spec.get(name, Activation.of(name))))
        raw.append((weight, bias, name))
    return Network(tuple(layers)), raw


@pytest.mark.parametrize(
    ("names", "center"),
    [
        (("sin", "gelu"), 0.0),
        (("gelu_tanh", "silu"), 0.0),
        (("silu", "sin"), 0.3),
        (("gelu", "gelu_tanh"), -0.4),
        (("tanh", "softplus"), 0.7),
        (("elu", "sigmoid"), -0.5),
        (("selu", "leaky_relu"), -0.6),
    ],
)
def test_two_hidden_layers_match_sympy_composition(names: tuple[str, str], center: float) -> None:
    order, q = 4, 5
    network, raw = _network(np.random.default_rng(len(names[0]) * 7 + len(names[1])), names, 0.6)
    polynomial = expand(network, "nn2poly", order, taylor_orders=q, taylor_center=center)
    expected = _sympy_nn2poly(raw, order, q, center)
    found = {tuple(int(e) for e in row): value for row, value in zip(polynomial.exponents, polynomial.coefficients[0])}
    assert set(expected) <= set(found)
    scale = max(abs(value) for value in expected.values())
    for monomial, value in found.items():
        assert abs(value - expected.get(monomial, 0.0)) <= 1e-12 * scale, monomial


def test_affine_network_at_a_high_order_is_its_affine_map() -> None:
    """Linear layers keep degree 1, so 100 inputs at Q = 6 need 101 terms, not C(106, 6) ≈ 1.7e9.
    Oracle: the product of the weight matrices (numpy); 1e-12 of the largest coefficient."""
    rng = np.random.default_rng(2)
    first = DenseLayer(rng.normal(size=(8, 100)), rng.normal(size=8), Activation("linear"))
    last = DenseLayer(rng.normal(size=(2, 8)), rng.normal(size=2), Activation("linear"))
    polynomial = expand(Network((first, last)), "nn2poly", 6)
    expected = np.hstack([(last.weight @ first.bias + last.bias)[:, None], last.weight @ first.weight])
    assert polynomial.n_terms == 101 and polynomial.method["order"] == 6
    assert np.abs(polynomial.coefficients - expected).max() <= 1e-12 * np.abs(expected).max()
