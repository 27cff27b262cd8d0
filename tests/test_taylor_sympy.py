"""The local expansion against SymPy's symbolic derivatives of tiny networks, every activation.

The oracle is sympy.diff of the symbolic network. Each neuron is an undefined SymPy function of
its pre-activation, so differentiation applies the chain rule without expanding tanh into huge
trees (sympy.diff of the expanded nested formulas takes minutes); the k-th derivative of the
neuron's activation is SymPy's own symbolic derivative of the real formula, evaluated with 30
digits (mpmath), the float64 weights entering as their exact binary values. Kinked activations
are the branch each neuron sits on at x0 (the function the Taylor polynomial describes there).
The powers-of-x form is SymPy's expansion of Σ c_e (x − x0)^e.
Tolerance: 1e-10 of the largest |coefficient| of each output (the issue's criterion; polyx works
in float64 and rounds near 1e-14 at these orders).
"""

from __future__ import annotations

import itertools
import math
from functools import lru_cache

import mpmath
import numpy as np
import pytest
import sympy as sp
from sympy.core.function import AppliedUndef

from polyx.converters.ir.chain import Activation, DenseLayer, Network
from polyx.expansion.activations.registry import activation_value
from polyx.expansion.methods.expand import expand
from test_series import SELU_ALPHA, SELU_GAMMA, SYMBOLIC

RELATIVE = 1e-10
DIGITS = 30
XI = sp.Symbol("xi")


def branch(activation: Activation, value: float) -> sp.Expr:
    """The activation's formula in XI; for a kinked one, the branch ``value`` lies on."""
    name = activation.name
    params = {key: sp.Float(v, DIGITS) for key, v in activation.params}
    if name in SYMBOLIC:
        return SYMBOLIC[name](XI)
    if value > 0:
        return SELU_GAMMA * XI if name == "selu" else XI
    below = {
        "relu": sp.Integer(0),
        "leaky_relu": params.get("alpha", sp.Float(0.01, DIGITS)) * XI,
        "elu": params.get("alpha", sp.Integer(1)) * (sp.exp(XI) - 1),
        "selu": SELU_GAMMA * SELU_ALPHA * (sp.exp(XI) - 1),
    }
    return below[name]


@lru_cache(maxsize=None)
def derivative_function(formula: sp.Expr, k: int):
    """The k-th derivative of a univariate formula (SymPy differentiates) as an mpmath function."""
    return sp.lambdify(XI, sp.diff(formula, XI, k), modules="mpmath")


def preactivations(network: Network, x0: np.ndarray) -> list[np.ndarray]:
    """Each layer's pre-activations at x0 in float64 (only their signs are used: to pick branches)."""
    h, values = np.asarray(x0, dtype=np.float64), []
    for layer in network.layers:
        values.append(layer.weight @ h + layer.bias)
        h = activation_value(layer.activation, values[-1])
    return values


def graded_exponents(n_vars: int, order: int) -> list[tuple[int, ...]]:
    """All exponents up to ``order``, by degree then descending lexicographic (polyx's order, built here)."""
    rows = []
    for degree in range(order + 1):
        rows += sorted((e for e in itertools.product(range(degree + 1), repeat=n_vars) if sum(e) == degree), reverse=True)
    return rows


class SymbolicNetwork:
    """The network's outputs as SymPy expressions of x1 … xn, one undefined function per neuron."""

    def __init__(self, network: Network, x0: np.ndarray, logits: bool = False) -> None:
        self.symbols = list(sp.symbols(f"x1:{network.input_size + 1}"))
        self.x0 = np.asarray(x0, dtype=np.float64)
        self.formulas: dict = {}
        h: list[sp.Expr] = list(self.symbols)
        for index, (layer, values) in enumerate(zip(network.layers, preactivations(network, x0))):
            u = [sum(sp.Float(float(w), DIGITS) * hj for w, hj in zip(row, h)) + sp.Float(float(b), DIGITS)
                 for row, b in zip(layer.weight, layer.bias)]
            if layer.activation.name == "linear":
                h = u
                continue
            h = []
            for neuron, (uk, vk) in enumerate(zip(u, values)):
                function = sp.Function(f"g{index}_{neuron}")
                self.formulas[function] = branch(layer.activation, float(vk))
                h.append(function(uk))
        if network.output_activation == "softmax" and not logits:
            exponentials = [sp.exp(z) for z in h]
            h = [e / sum(exponentials) for e in exponentials]
        self.outputs = h

    def value(self, expression: sp.Expr, memo: dict) -> mpmath.mpf:
        """An expression (an output or one of its derivatives) at x0, with 30 digits."""
        if expression in memo:
            return memo[expression]
        if expression.is_Symbol:
            result = mpmath.mpf(float(self.x0[self.symbols.index(expression)]))
        elif expression.is_Number:
            result = mpmath.mpf(sp.Float(expression, DIGITS)._mpf_)
        elif expression.is_Add:
            result = mpmath.fsum(self.value(arg, memo) for arg in expression.args)
        elif expression.is_Mul:
            result = mpmath.fprod(self.value(arg, memo) for arg in expression.args)
        elif expression.is_Pow:
            result = self.value(expression.base, memo) ** self.value(expression.exp, memo)
        elif isinstance(expression, sp.exp):
            result = mpmath.exp(self.value(expression.args[0], memo))
        elif isinstance(expression, AppliedUndef):
            result = derivative_function(self.formulas[expression.func], 0)(self.value(expression.args[0], memo))
        elif isinstance(expression, sp.Subs):
            derivative, (point,) = expression.expr, expression.point
            formula = self.formulas[derivative.expr.func]
            result = derivative_function(formula, derivative.derivative_count)(self.value(point, memo))
        elif isinstance(expression, sp.Derivative):
            formula = self.formulas[expression.expr.func]
            argument = expression.expr.args[0]
            result = derivative_function(formula, expression.derivative_count)(self.value(argument, memo))
        else:
            raise TypeError(f"the oracle cannot evaluate {type(expression).__name__}")
        memo[expression] = result
        return result

    def taylor(self, order: int, pure_only: bool = False) -> tuple[list[tuple[int, ...]], np.ndarray]:
        """(exponents, coefficients (outputs, terms)): ∂^e f(x0) / e! from sympy.diff, in graded order.

        ``pure_only`` keeps the exponents with at most one variable (their parents are pure too).
        """
        mpmath.mp.dps = DIGITS
        exponents = [e for e in graded_exponents(len(self.symbols), order) if not pure_only or sum(map(bool, e)) <= 1]
        coefficients = np.zeros((len(self.outputs), len(exponents)))
        for output, expression in enumerate(self.outputs):
            derivatives, memo = {exponents[0]: expression}, {}
            for column, exponent in enumerate(exponents):
                if exponent not in derivatives:
                    variable = next(i for i, e in enumerate(exponent) if e > 0)
                    parent = tuple(e - (i == variable) for i, e in enumerate(exponent))
                    derivatives[exponent] = sp.diff(derivatives[parent], self.symbols[variable])
                value = self.value(derivatives[exponent], memo)
                coefficients[output, column] = float(value) / math.prod(math.factorial(e) for e in exponent)
        return exponents, coefficients

    def in_powers_of_x(self, exponents: list, coefficients: np.ndarray) -> np.ndarray:
        """SymPy multiplies Σ c_e (x − x0)^e out; its coefficients on the same exponent list."""
        out = np.zeros_like(coefficients)
        shifted = [s - sp.Float(float(v), DIGITS) for s, v in zip(self.symbols, self.x0)]
        for output, row in enumerate(coefficients):
            polynomial = sum(sp.Float(float(c), DIGITS) * sp.Mul(*[d**e for d, e in zip(shifted, exponent)])
                             for c, exponent in zip(row, exponents))
            terms = sp.Poly(sp.expand(polynomial), *self.symbols).as_dict()
            out[output] = [float(terms.get(exponent, 0)) for exponent in exponents]
        return out


def random_network(sizes: list[int], activations: list[Activation], seed: int, softmax: bool = False) -> Network:
    rng = np.random.default_rng(seed)
    layers = [DenseLayer(rng.uniform(-1.2, 1.2, size=(n_out, n_in)), rng.uniform(-0.5, 0.5, size=n_out), activation)
              for n_in, n_out, activation in zip(sizes[:-1], sizes[1:], activations)]
    return Network(tuple(layers), output_activation="softmax" if softmax else None)


def point_away_from_kinks(network: Network, seed: int, margin: float = 0.05) -> np.ndarray:
    """A reference point where every pre-activation is at least ``margin`` from 0 (kinked branches stay put)."""
    rng = np.random.default_rng(seed)
    for _ in range(1000):
        x0 = rng.uniform(-1, 1, size=network.input_size)
        if all(np.abs(values).min() >= margin for values in preactivations(network, x0)):
            return x0
    raise AssertionError("no reference point away from the kinks")


def assert_close(actual: np.ndarray, expected: np.ndarray) -> None:
    assert actual.shape == expected.shape
    for got, want in zip(actual, expected):
        scale = np.abs(want).max()
        assert scale > 0
        assert np.abs(got - want).max() <= RELATIVE * scale, (np.abs(got - want).max(), scale)


def check(network: Network, x0: np.ndarray, order: int, logits: bool = False) -> None:
    oracle = SymbolicNetwork(network, x0, logits)
    exponents, expected = oracle.taylor(order)
    centred = expand(network, "taylor", order, at=x0, centered=True, logits=logits, validity_samples=0)
    np.testing.assert_array_equal(centred.exponents, np.array(exponents))
    assert_close(centred.coefficients, expected)
    multiplied = expand(network, "taylor", order, at=x0, logits=logits, validity_samples=0)
    assert_close(multiplied.coefficients, oracle.in_powers_of_x(exponents, expected))


ACTIVATIONS = [Activation(name) for name in ("tanh", "sigmoid", "softplus", "sin", "gelu", "gelu_tanh", "silu")]
ACTIVATIONS += [Activation.of("elu", alpha=0.7), Activation("selu"), Activation("relu"), Activation.of("leaky_relu", alpha=0.1)]


@pytest.mark.parametrize("activation", ACTIVATIONS, ids=str)
def test_every_activation_two_hidden_layers(activation: Activation) -> None:
    network = random_network([2, 3, 2, 1], [activation, activation, Activation("linear")], seed=7)
    check(network, point_away_from_kinks(network, seed=1), order=3)


@pytest.mark.parametrize(
    ("sizes", "activations", "order"),
    [
        ([1, 3, 3, 2, 1], ["tanh", "sin", "sigmoid", "linear"], 5),
        ([3, 3, 1], ["gelu", "linear"], 3),
        ([2, 2, 2, 2, 2], ["silu", "softplus", "tanh", "sigmoid"], 3),
    ],
    ids=["1in-3hidden-q5", "3in-1hidden-q3", "2in-3hidden-sigmoid-output"],
)
def test_depths_and_input_counts(sizes: list[int], activations: list[str], order: int) -> None:
    network = random_network(sizes, [Activation(name) for name in activations], seed=11)
    check(network, point_away_from_kinks(network, seed=2), order=order)


def test_softmax_output_probabilities_and_logits() -> None:
    network = random_network([2, 3, 3], [Activation("tanh"), Activation("linear")], seed=5, softmax=True)
    x0 = point_away_from_kinks(network, seed=3)
    check(network, x0, order=3)
    check(network, x0, order=3, logits=True)


@pytest.mark.parametrize(
    ("sizes", "activations", "softmax"),
    [
        ([3, 3, 2, 2], ["sin", "tanh", "linear"], True),
        ([3, 5, 4, 1], ["tanh", "relu", "linear"], False),
        ([3, 4, 3, 1], ["sin", "elu", "linear"], False),
    ],
    ids=["sin-tanh-softmax", "tanh-relu", "sin-elu"],
)
def test_unmixed_mode_matches_pure_derivatives(sizes: list[int], activations: list[str], softmax: bool) -> None:
    """A kinked activation after a smooth layer has a short series of its own (ReLU's stops at
    degree 1) but composes with a full-degree series, so its output still has every degree."""
    network = random_network(sizes, [Activation(name) for name in activations], seed=13, softmax=softmax)
    x0 = point_away_from_kinks(network, seed=4)
    exponents, expected = SymbolicNetwork(network, x0).taylor(3, pure_only=True)
    polynomial = expand(network, "taylor", 3, at=x0, terms="diagonal", centered=True, validity_samples=0)
    np.testing.assert_array_equal(polynomial.exponents, np.array(exponents))
    assert_close(polynomial.coefficients, expected)
