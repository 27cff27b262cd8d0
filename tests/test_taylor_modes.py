"""Unmixed and interaction-limited expansions, kinks and the validity radius.

The restricted modes are checked against the full expansion (itself checked against SymPy and
the HOPE anchors): keeping fewer monomials must not change the ones kept. Tolerances: 1e-12 of
the largest |coefficient| for coefficients that are the same float64 sums in a different
grouping; 1e-10 for evaluations of polynomials in powers of x (re-expansion rounding).
"""

from __future__ import annotations

import numpy as np
import pytest

from polyx.converters.ir.chain import Activation, DenseLayer, Network
from polyx.errors import DataError, MethodError, OrderTooLargeError
from polyx.expansion.methods.expand import expand
from polyx.expansion.diagnostics.validity import VALIDITY_RADII

SAME = 1e-12
EVALUATED = 1e-10


def network(sizes: list[int], activations: list[str], seed: int = 0, softmax: bool = False, scale: float = 1.0) -> Network:
    rng = np.random.default_rng(seed)
    layers = [DenseLayer(scale * rng.normal(size=(n_out, n_in)) / np.sqrt(n_in), 0.3 * rng.normal(size=n_out),
                         Activation(name))
              for n_in, n_out, name in zip(sizes[:-1], sizes[1:], activations)]
    return Network(tuple(layers), output_activation="softmax" if softmax else None)


def interaction(exponents: np.ndarray) -> np.ndarray:
    return np.count_nonzero(exponents, axis=1)


def assert_same(actual: np.ndarray, expected: np.ndarray, relative: float = SAME) -> None:
    assert actual.shape == expected.shape
    assert np.abs(actual - expected).max() <= relative * np.abs(expected).max()


NETWORKS = {
    "sin-tanh": network([5, 6, 4, 2], ["sin", "tanh", "linear"], seed=1),
    "gelu-softmax": network([4, 5, 3], ["gelu", "linear"], seed=2, softmax=True),
}
X0 = {"sin-tanh": np.array([0.3, -0.2, 0.5, 0.1, -0.7]), "gelu-softmax": np.array([0.2, -0.4, 0.6, 0.0])}


@pytest.mark.parametrize("name", NETWORKS)
def test_diagonal_terms_are_the_full_expansions_pure_powers(name: str) -> None:
    net, x0 = NETWORKS[name], X0[name]
    full = expand(net, "taylor", 5, at=x0, centered=True, validity_samples=0)
    diagonal = expand(net, "taylor", 5, at=x0, centered=True, terms="diagonal", validity_samples=0)
    pure = interaction(full.exponents) <= 1
    np.testing.assert_array_equal(diagonal.exponents, full.exponents[pure])
    assert_same(diagonal.coefficients, full.coefficients[:, pure])
    np.testing.assert_array_equal(diagonal.center, x0)


@pytest.mark.parametrize("name", NETWORKS)
def test_diagonal_in_powers_of_x_agrees_with_the_full_polynomial_along_each_axis(name: str) -> None:
    """On x0 + t·e_i the cross terms vanish, so both polynomials must give the same values there."""
    net, x0 = NETWORKS[name], X0[name]
    full = expand(net, "taylor", 5, at=x0, validity_samples=0)
    diagonal = expand(net, "taylor", 5, at=x0, terms="diagonal", validity_samples=0)
    t = np.linspace(-0.5, 0.5, 7)
    points = np.vstack([x0 + np.outer(t, np.eye(x0.size)[i]) for i in range(x0.size)])
    assert_same(diagonal.evaluate(points), full.evaluate(points), EVALUATED)


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_max_interaction_keeps_exactly_the_full_coefficients(limit: int) -> None:
    net, x0 = NETWORKS["sin-tanh"], X0["sin-tanh"]
    full = expand(net, "taylor", 4, at=x0, centered=True, validity_samples=0)
    limited = expand(net, "taylor", 4, at=x0, centered=True, max_interaction=limit, validity_samples=0)
    kept = interaction(full.exponents) <= limit
    np.testing.assert_array_equal(limited.exponents, full.exponents[kept])
    assert_same(limited.coefficients, full.coefficients[:, kept])
    assert limited.method["max_interaction"] == limit


def test_max_interaction_one_is_the_diagonal_expansion() -> None:
    net, x0 = NETWORKS["gelu-softmax"], X0["gelu-softmax"]
    limited = expand(net, "taylor", 4, at=x0, max_interaction=1, validity_samples=0)
    diagonal = expand(net, "taylor", 4, at=x0, terms="diagonal", validity_samples=0)
    np.testing.assert_array_equal(limited.exponents, diagonal.exponents)
    assert_same(limited.coefficients, diagonal.coefficients, EVALUATED)


def test_softmax_probabilities_sum_to_one_to_every_order() -> None:
    """Σ_j p_j ≡ 1: the constant term of the sum is 1 and every other coefficient of the sum is 0."""
    net, x0 = NETWORKS["gelu-softmax"], X0["gelu-softmax"]
    for terms in ("all", "diagonal"):
        total = expand(net, "taylor", 5, at=x0, terms=terms, validity_samples=0).coefficients.sum(axis=0)
        assert abs(total[0] - 1.0) <= 1e-14
        assert np.abs(total[1:]).max() <= 1e-14


def test_order_zero_is_the_value_at_x0() -> None:
    net, x0 = NETWORKS["sin-tanh"], X0["sin-tanh"]
    for terms in ("all", "diagonal"):
        polynomial = expand(net, "taylor", 0, at=x0, terms=terms, validity_samples=0)
        assert polynomial.n_terms == 1
        np.testing.assert_allclose(polynomial.coefficients[:, 0], net.forward(x0[None, :])[0], rtol=1e-15)


def relu_network(seed: int) -> tuple[Network, np.ndarray]:
    return network([3, 8, 6, 2], ["relu", "relu", "linear"], seed=seed), np.array([0.4, -0.3, 0.2])


# Seed 4 puts the nearest kink in layer 1, seed 0 in layer 2 (closer than any first-layer kink).
RELU_SEEDS = pytest.mark.parametrize(("seed", "layer"), [(4, 1), (0, 2)])


@RELU_SEEDS
def test_relu_gives_the_local_affine_map_with_the_exact_distance_to_the_nearest_kink(seed: int, layer: int) -> None:
    net, x0 = relu_network(seed)
    polynomial = expand(net, "taylor", 3, at=x0, validity_samples=0)
    assert np.all(polynomial.coefficients[:, polynomial.exponents.sum(axis=1) >= 2] == 0.0)
    kinks = polynomial.diagnostics["kinks"]
    first = net.layers[0]
    first_layer = np.min(np.abs(first.weight @ x0 + first.bias) / np.linalg.norm(first.weight, axis=1))
    assert kinks["first_layer_distance"] == pytest.approx(first_layer, rel=1e-14)
    assert kinks["exact"] is True and kinks["distance"] <= first_layer and kinks["layer"] == layer
    warning = polynomial.diagnostics["warnings"][0]
    assert "relu" in warning and f"{kinks['distance']:.4g}" in warning
    rng = np.random.default_rng(0)
    directions = rng.normal(size=(200, 3))
    inside = x0 + 0.999 * kinks["distance"] * directions / np.linalg.norm(directions, axis=1, keepdims=True)
    assert_same(polynomial.evaluate(inside), net.forward(inside), 1e-12)


@RELU_SEEDS
def test_past_the_kink_distance_the_relu_network_leaves_the_affine_map(seed: int, layer: int) -> None:
    """Just beyond the reported distance, towards the neuron that switches, the network bends."""
    net, x0 = relu_network(seed)
    polynomial = expand(net, "taylor", 1, at=x0, validity_samples=0)
    kinks = polynomial.diagnostics["kinks"]
    gradient, value, h = np.eye(3), None, x0
    for dense in net.layers[: kinks["layer"]]:
        gradient = dense.weight @ gradient
        value = dense.weight @ h + dense.bias
        h = np.maximum(value, 0.0)
        if dense is not net.layers[kinks["layer"] - 1]:
            gradient = (value > 0)[:, None] * gradient
    assert kinks["layer"] == layer
    neuron = kinks["neuron"] - 1
    step = -np.sign(value[neuron]) * gradient[neuron] / np.linalg.norm(gradient[neuron])
    assert np.abs(value[neuron]) / np.linalg.norm(gradient[neuron]) == pytest.approx(kinks["distance"], rel=1e-12)
    beyond = x0 + 1.5 * kinks["distance"] * step
    assert np.abs(polynomial.evaluate(beyond[None, :]) - net.forward(beyond[None, :])).max() > 1e-6


def test_relu_after_a_smooth_layer_reports_an_estimate() -> None:
    net = network([2, 5, 5, 1], ["tanh", "relu", "linear"], seed=6)
    polynomial = expand(net, "taylor", 3, at=[0.1, 0.2], validity_samples=0)
    assert polynomial.diagnostics["kinks"]["exact"] is False
    assert polynomial.diagnostics["kinks"]["first_layer_distance"] is None
    assert "first-order estimate" in polynomial.diagnostics["warnings"][0]


@pytest.mark.parametrize("logits", [False, True])
def test_relu_warning_says_affine_only_when_the_expanded_output_is(logits: bool) -> None:
    """A softmax of ReLU logits curves; the logits themselves are piecewise affine. The oracle is a
    central second difference of the network (step 1e-3, inside the kink distance): well above
    1e-6 for the probabilities, rounding-level (below 1e-6) for the logits."""
    net = network([3, 6, 3], ["relu", "linear"], seed=4, softmax=True)
    x0 = np.array([0.4, -0.3, 0.2])
    polynomial = expand(net, "taylor", 2, at=x0, logits=logits, validity_samples=0)
    step = 1e-3
    along = np.array([step, 0.0, 0.0])
    points = np.vstack([x0 + along, x0, x0 - along])
    values = net.forward(points, logits=logits)
    curvature = np.abs(values[0] - 2 * values[1] + values[2]).max() / step**2
    assert polynomial.diagnostics["kinks"]["distance"] > step
    assert (curvature < 1e-6) == logits
    claims_affine = "no terms above degree 1" in polynomial.diagnostics["warnings"][0]
    assert claims_affine == logits


def test_a_neuron_exactly_on_a_kink_is_refused() -> None:
    net = Network((DenseLayer(np.array([[2.0, 0.0]]), np.array([-1.0]), Activation("relu")),
                   DenseLayer(np.array([[1.0]]), np.array([0.0]))))
    with pytest.raises(MethodError, match="neuron 1 of layer 1 .* exactly 0"):
        expand(net, "taylor", 2, at=[0.5, 3.0])


def test_validity_radius_of_an_exact_polynomial_covers_every_radius() -> None:
    net = network([2, 3, 1], ["linear", "linear"], seed=3)
    validity = expand(net, "taylor", 1, at=[0.5, 0.5]).diagnostics["validity"]
    assert validity["radius"] == VALIDITY_RADII[-1] and validity["beyond_tested"] is True
    assert max(validity["max_error"]) <= 1e-12


def test_validity_radius_holds_on_fresh_points_and_fails_just_beyond() -> None:
    net, x0 = NETWORKS["sin-tanh"], X0["sin-tanh"]
    polynomial = expand(net, "taylor", 3, at=x0, seed=5)
    validity = polynomial.diagnostics["validity"]
    assert 0 < validity["radius"] < VALIDITY_RADII[-1]
    assert validity["tolerance"] == 1e-3 and validity["error_at_reference"] <= 1e-14
    limit = validity["tolerance"] * validity["scale"]
    fresh = x0 + validity["radius"] * np.random.default_rng(99).uniform(-0.5, 0.5, size=(500, x0.size))
    assert np.abs(polynomial.evaluate(fresh) - net.forward(fresh)).max() <= limit
    failing = validity["radii"].index(validity["radius"]) + 1
    assert validity["max_error"][failing] > limit


def test_validity_is_seeded_and_a_looser_tolerance_gives_a_larger_radius() -> None:
    net, x0 = NETWORKS["sin-tanh"], X0["sin-tanh"]
    first = expand(net, "taylor", 2, at=x0).diagnostics["validity"]
    again = expand(net, "taylor", 2, at=x0).diagnostics["validity"]
    loose = expand(net, "taylor", 2, at=x0, validity_tolerance=1e-1).diagnostics["validity"]
    assert first == again
    assert loose["radius"] > first["radius"] and loose["tolerance"] == 1e-1


def test_restricted_modes_measure_validity_where_they_are_taylor_polynomials() -> None:
    net, x0 = NETWORKS["sin-tanh"], X0["sin-tanh"]
    diagonal = expand(net, "taylor", 3, at=x0, terms="diagonal").diagnostics["validity"]
    pairs = expand(net, "taylor", 3, at=x0, max_interaction=2).diagnostics["validity"]
    assert diagonal["region"].startswith("segments along each axis") and diagonal["radius"] > 0
    assert pairs["region"].startswith("boxes in 2 random coordinates") and pairs["radius"] > 0


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({}, MethodError, "reference point x0 and none was given"),
        ({"at": [0.1, 0.2]}, DataError, "has 2 values but the model has 5 inputs"),
        ({"at": ["a", "b", "c", "d", "e"]}, DataError, "not a list of numbers"),
        ({"at": [0.1, np.nan, 0, 0, 0]}, DataError, "NaN or infinity"),
        ({"at": [0.0] * 5, "terms": "diagonal", "max_interaction": 2}, MethodError, "drop `max_interaction`"),
        ({"at": [0.0] * 5, "terms": "cross"}, MethodError, "`terms` of the taylor method must be one of all, diagonal, got 'cross'"),
        ({"at": [0.0] * 5, "order": -1}, MethodError, "`order` must be ≥ 0"),
    ],
)
def test_bad_options_are_one_clear_error(options: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        expand(NETWORKS["sin-tanh"], "taylor", **{"order": 2, **options})


def test_a_log_softmax_network_is_expanded_in_its_logits() -> None:
    """The same layers with a final log-softmax: the polynomial is the logits' (the expansion with
    --logits of the softmax network, term for term), declared so, with a note saying why."""
    softmax = NETWORKS["gelu-softmax"]
    log_softmax = Network(softmax.layers, output_activation="log_softmax")
    x0 = X0["gelu-softmax"]
    polynomial = expand(log_softmax, "taylor", 4, at=x0, validity_samples=0)
    logits = expand(softmax, "taylor", 4, at=x0, logits=True, validity_samples=0)
    np.testing.assert_array_equal(polynomial.coefficients, logits.coefficients)
    assert polynomial.method["output_space"] == "logits"
    assert any("log_softmax" in warning for warning in polynomial.diagnostics["warnings"])


def test_logits_on_a_network_without_softmax_warns() -> None:
    polynomial = expand(NETWORKS["sin-tanh"], "taylor", 1, at=X0["sin-tanh"], logits=True, validity_samples=0)
    assert "no softmax" in polynomial.diagnostics["warnings"][0]
    assert "output_space" not in polynomial.method


def test_too_many_mixed_terms_points_to_the_diagonal_mode() -> None:
    net = network([60, 4, 1], ["tanh", "linear"], seed=8)
    with pytest.raises(OrderTooLargeError, match="`terms` diagonal keeps only the pure powers"):
        expand(net, "taylor", 8, at=np.zeros(60), max_memory=10**8)
    assert expand(net, "taylor", 8, at=np.zeros(60), terms="diagonal", max_memory=10**8).n_terms == 1 + 60 * 8
