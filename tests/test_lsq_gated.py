"""Closed-form least squares for gated layers and residual blocks (expansion/methods/gated_lsq.py, residual_lsq.py).

Oracles, none of which uses polyx's Hermite machinery:
- the worked references of tests/data/graphs (exact least squares by tensor Gauss–Hermite quadrature in
  float64, converged to ~1e-15, from the framework's weights): coefficients within 1e-9 relative to the
  largest reference coefficient of the same degree (a degree whose references are all rounding noise,
  |c| < 1e-6 of the largest coefficient, is held to 1e-9 of that floor: 1e-15 of the largest), R² within 1e-10;
- polyapprox's bilinear case (an independent Gaussian-averaged Taylor form): 1e-9 relative per block;
- the normal equations E[m_α m_β] c = E[m_α f] solved on a 2-D Gauss–Hermite product rule of 300² nodes
  (smooth gates; accurate to ~1e-12): 1e-9 relative to the largest coefficient, R² to 1e-10;
- Monte-Carlo OLS on 200,000 draws: every coefficient within 5 heteroskedasticity-robust standard errors,
  and Var f, Var P_n f within 5 standard errors of their sample values.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

import polyx
from polyx.converters.ir.chain import Activation, DenseLayer, Network
from polyx.errors import DataError, MethodError
from polyx.expansion.activations.registry import activation_value
from polyx.expansion.methods.gated_covariance import _pair_integrals, gated_covariance, unit_variances
from polyx.expansion.methods.gated_lsq import gated_lsq
from polyx.expansion.methods.gated_units import gated_units
from polyx.expansion.methods.gaussian_input import gaussian_input
from polyx.expansion.polynomials.quadratic_form import quadratic_matrices
from polyx.expansion.methods.residual_lsq import residual_lsq

GRAPHS = Path(__file__).parent / "data" / "graphs"
BILINEAR_CASE = Path(__file__).parent / "data" / "anchors" / "polyapprox" / "cases" / "case_29_bilinear_d3_h6_o2_gen_quad.json"
COEFFICIENT_TOLERANCE = 1e-9
R2_TOLERANCE = 1e-10
NOISE_FLOOR = 1e-6
GATED_ANCHORS = [("glu_2_ts13", "sigmoid"), ("swiglu_0_ts17", "silu"), ("bilinear_1_dyn18", "linear")]


def _initializers(name: str) -> dict[str, np.ndarray]:
    model = onnx.load(GRAPHS / f"{name}.onnx")
    return {tensor.name: numpy_helper.to_array(tensor).astype(np.float64) for tensor in model.graph.initializer}


def _gated_forward(w1, b1, v, c, w2, b2, gate: str, x: np.ndarray) -> np.ndarray:
    """y = W2 (g(V x + c) ⊙ (W1 x + b1)) + b2 in plain numpy (rows of x)."""
    b1 = 0.0 if b1 is None else b1
    c = 0.0 if c is None else c
    b2 = 0.0 if b2 is None else b2
    gated = activation_value(Activation.of(gate), x @ v.T + c) * (x @ w1.T + b1)
    return gated @ w2.T + b2


def _residual_forward(w1, b1, activation, w2, b2, wo, bo, x):
    inner = x + activation_value(Activation.of(activation), x @ w1.T + b1) @ w2.T + b2
    return inner @ wo.T + bo


def _anchor_arguments(name: str) -> tuple:
    w = _initializers(name)
    return w["w1.weight"], w.get("w1.bias"), w["v.weight"], w.get("v.bias"), w["w2.weight"], w.get("w2.bias")


def _reference_error(polynomial: polyx.Polynomial, reference: list) -> float:
    """Worst |ours − ref| over a degree, divided by the largest |ref| of that degree (see the module)."""
    rows = {tuple(int(e) for e in exponent): t for t, exponent in enumerate(polynomial.exponents)}
    worst = 0.0
    for output, terms in enumerate(reference):
        largest = max(abs(value) for _, value in terms)
        assert len(terms) == len(rows)
        for degree in {sum(exponent) for exponent, _ in terms}:
            block = [(tuple(exponent), value) for exponent, value in terms if sum(exponent) == degree]
            scale = max(max(abs(value) for _, value in block), NOISE_FLOOR * largest)
            error = max(abs(polynomial.coefficients[output, rows[exponent]] - value) for exponent, value in block)
            worst = max(worst, error / scale)
    return worst


@pytest.mark.parametrize(("name", "gate"), GATED_ANCHORS)
def test_the_anchor_weights_are_read_as_the_framework_computes_them(name, gate):
    """Guards the reading of the ONNX files (which projection is the gate): float64 numpy on the float32
    weights reproduces the framework's float64 outputs."""
    case = json.loads((GRAPHS / f"{name}.json").read_text())
    probes, expected = np.asarray(case["probes"]), np.asarray(case["framework_float64"])
    ours = _gated_forward(*_anchor_arguments(name), gate, probes)
    assert np.abs(ours - expected.reshape(ours.shape)).max() <= 1e-12 * max(1.0, np.abs(expected).max())


@pytest.mark.parametrize(("name", "gate"), GATED_ANCHORS)
def test_gated_anchors_match_the_exact_least_squares_reference(name, gate):
    reference = json.loads((GRAPHS / f"{name}.json").read_text())["lsq"]
    polynomial = gated_lsq(*_anchor_arguments(name), gate, reference["mean"], reference["cov"], reference["order"])
    assert polynomial.center is None
    assert _reference_error(polynomial, reference["coefficients"]) <= COEFFICIENT_TOLERANCE
    assert np.abs(np.array(polynomial.diagnostics["r2"]) - reference["r2"]).max() <= R2_TOLERANCE


def test_residual_anchor_matches_the_exact_least_squares_reference():
    case = json.loads((GRAPHS / "res_0_ts17.json").read_text())
    reference, w = case["lsq"], _initializers("res_0_ts17")
    probes = np.asarray(case["probes"])
    forward = _residual_forward(w["a.weight"], w["a.bias"], "tanh", np.eye(2), 0.0, w["o.weight"], w["o.bias"], probes)
    assert np.abs(forward - np.asarray(case["framework_float64"]).reshape(forward.shape)).max() <= 1e-12
    polynomial = residual_lsq(w["a.weight"], w["a.bias"], "tanh", reference["mean"], reference["cov"],
                              reference["order"], wo=w["o.weight"], bo=w["o.bias"])
    assert _reference_error(polynomial, reference["coefficients"]) <= COEFFICIENT_TOLERANCE
    assert np.abs(np.array(polynomial.diagnostics["r2"]) - reference["r2"]).max() <= R2_TOLERANCE


def test_polyapprox_bilinear_case_matches_its_independent_reference():
    """f = W2 (act(W x + b1) ⊙ (V x + b2)) with act = identity, so polyapprox's W is the gate."""
    case = json.loads(BILINEAR_CASE.read_text())
    network, gaussian, reference = case["network"], case["input_distribution"], case["reference"]
    arrays = {key: np.asarray(network[key]) for key in ("W", "b1", "V", "b2", "W2")}
    polynomial = gated_lsq(arrays["V"], arrays["b2"], arrays["W"], arrays["b1"], arrays["W2"], None, "linear",
                           gaussian["mu"], gaussian["Sigma"], case["order"], centered=False)
    degree = polynomial.exponents.sum(axis=1)
    alpha = polynomial.coefficients[:, degree == 0][:, 0]
    beta = polynomial.coefficients[:, degree == 1].T
    gamma = quadratic_matrices(polynomial)
    for ours, ref in ((alpha, reference["alpha"]), (beta, reference["beta"]), (gamma, reference["gamma_matrix"])):
        ref = np.asarray(ref)
        assert np.abs(ours - ref).max() <= COEFFICIENT_TOLERANCE * np.abs(ref).max()
    assert np.abs(np.array(polynomial.diagnostics["r2"]) - 1.0).max() <= R2_TOLERANCE


def _random_gated(rng: np.random.Generator, d: int, hidden: int, outputs: int) -> tuple:
    """Weights with the awkward units too: a constant gate (V row 0) and t collinear with u."""
    w1, v = rng.normal(scale=0.9, size=(hidden, d)), rng.normal(scale=0.9, size=(hidden, d))
    v[0] = 0.0
    w1[1] = -1.5 * v[1]
    return (w1, rng.normal(scale=0.5, size=hidden), v, rng.normal(scale=0.5, size=hidden),
            rng.normal(size=(outputs, hidden)), rng.normal(scale=0.3, size=outputs))


MEAN2, COV2 = np.array([0.3, -0.5]), np.array([[1.2, 0.45], [0.45, 0.7]])


@functools.lru_cache(maxsize=4)
def _hermite_nodes(nodes: int) -> tuple[np.ndarray, np.ndarray]:
    points, weights = np.polynomial.hermite_e.hermegauss(nodes)
    return points, weights / weights.sum()


def _gauss_hermite_rule(mean: np.ndarray, cov: np.ndarray, nodes: int = 300) -> tuple[np.ndarray, np.ndarray]:
    points, weights = _hermite_nodes(nodes)
    z = np.stack(np.meshgrid(points, points, indexing="ij"), axis=-1).reshape(-1, 2)
    return mean + z @ np.linalg.cholesky(cov).T, np.outer(weights, weights).ravel()


def _check_against_normal_equations(polynomial: polyx.Polynomial, f: np.ndarray, x: np.ndarray, weights: np.ndarray):
    monomials = polynomial.monomials(x)
    gram = np.einsum("n,na,nb->ab", weights, monomials, monomials)
    oracle = np.linalg.solve(gram, np.einsum("n,na,no->ao", weights, monomials, f)).T
    assert np.abs(polynomial.coefficients - oracle).max() <= COEFFICIENT_TOLERANCE * np.abs(oracle).max()
    fitted = monomials @ oracle.T
    centred = f - weights @ f
    total = weights @ centred**2
    explained = weights @ (fitted - weights @ fitted) ** 2
    assert np.abs(np.array(polynomial.diagnostics["r2"]) - explained / total).max() <= R2_TOLERANCE


@pytest.mark.parametrize(("gate", "order"), [("sigmoid", 3), ("sigmoid", 6), ("silu", 4), ("gelu", 3), ("gelu_tanh", 3),
                                             ("linear", 2), ("linear", 3), ("sigmoid", 0), ("silu", 1)])
def test_gated_layer_matches_the_normal_equations_under_a_correlated_gaussian(gate, order):
    weights = _random_gated(np.random.default_rng(5), 2, 5, 2)
    polynomial = gated_lsq(*weights, gate, MEAN2, COV2, order)
    x, rule = _gauss_hermite_rule(MEAN2, COV2)
    _check_against_normal_equations(polynomial, _gated_forward(*weights, gate, x), x, rule)


@pytest.mark.parametrize("activation", ["tanh", "gelu", "sigmoid"])
def test_residual_block_matches_the_normal_equations(activation):
    """Pre-activations of width ≤ 1.6: the Gauss–Hermite oracle converges slowly for a wide tanh
    (its poles at ±iπ/2 come close once scaled), not polyx."""
    rng = np.random.default_rng(8)
    w1, b1 = rng.normal(scale=0.6, size=(4, 2)), rng.normal(scale=0.5, size=4)
    w2, b2 = rng.normal(size=(2, 4)), rng.normal(size=2)
    wo, bo = rng.normal(size=(3, 2)), rng.normal(size=3)
    for order in (0, 1, 3):
        polynomial = residual_lsq(w1, b1, activation, MEAN2, COV2, order, w2=w2, b2=b2, wo=wo, bo=bo)
        x, rule = _gauss_hermite_rule(MEAN2, COV2)
        _check_against_normal_equations(polynomial, _residual_forward(w1, b1, activation, w2, b2, wo, bo, x), x, rule)


def _covariance_by_rule(gate: str, weights: tuple, nodes: int) -> np.ndarray:
    x, rule = _gauss_hermite_rule(MEAN2, COV2, nodes)
    w1, b1, v, c, _, _ = weights
    y = activation_value(Activation.of(gate), x @ v.T + c) * (x @ w1.T + b1)
    centred = y - rule @ y
    return np.einsum("n,nh,nk->hk", rule, centred, centred)


def _units(gate: str, weights: tuple, mean: np.ndarray, cov: np.ndarray):
    w1, b1, v, c, _, _ = weights
    model = gaussian_input([f"x{i + 1}" for i in range(mean.size)], mean, cov)
    return gated_units(Activation.of(gate), model, v, c, w1, b1)


@pytest.mark.parametrize("gate", ["sigmoid", "gelu_tanh", "silu", "linear"])
def test_unit_covariances_by_series_and_by_2d_quadrature_match_a_tensor_rule(gate):
    """In d = 2 every pair of units shares its plane, so the series is certified only by its tails;
    the 2-D quadrature is run on every pair here as well. Oracle: a 300² Gauss–Hermite product rule,
    checked against 250² (they agree to 1e-12 of the largest entry)."""
    weights = _random_gated(np.random.default_rng(21), 2, 4, 1)
    units = _units(gate, weights, MEAN2, COV2)
    covariance, _ = gated_covariance(units)
    expected, variance = unit_variances(units)
    pairs = np.argwhere(np.triu(np.ones((4, 4), dtype=bool), 1))
    pairs = pairs[units.std[pairs[:, 0]] > 0]
    direct = _pair_integrals(units, expected, pairs)
    oracle, coarser = (_covariance_by_rule(gate, weights, nodes) for nodes in (300, 250))
    scale = np.abs(oracle).max()
    assert np.abs(oracle - coarser).max() <= 1e-12 * scale
    assert np.abs(covariance - oracle).max() <= 1e-10 * scale
    assert np.abs(variance - np.diag(oracle)).max() <= 1e-10 * scale
    assert np.abs(direct - oracle[pairs[:, 0], pairs[:, 1]]).max() <= 1e-10 * scale


MEAN3 = np.array([0.4, -0.2, 0.7])
COV3 = np.array([[1.1, 0.3, -0.2], [0.3, 0.8, 0.25], [-0.2, 0.25, 0.9]])


@pytest.mark.parametrize("gate", ["sigmoid", "relu", "gelu"])
def test_gated_layer_agrees_with_monte_carlo_least_squares(gate):
    """200,000 draws in d = 3: OLS on the same monomials, heteroskedasticity-robust (HC0) standard
    errors. ReGLU's Hermite tails decay too slowly for the series, so it runs the 2-D quadrature."""
    rng = np.random.default_rng(3)
    weights = _random_gated(rng, 3, 6, 2)
    polynomial = gated_lsq(*weights, gate, MEAN3, COV3, 2)
    if gate == "relu":
        assert polynomial.diagnostics["pair_integrals"] > 0
    x = rng.multivariate_normal(MEAN3, COV3, size=200_000)
    _check_against_monte_carlo(polynomial, _gated_forward(*weights, gate, x), x)


def test_residual_block_agrees_with_monte_carlo_least_squares():
    rng = np.random.default_rng(4)
    w1, b1, w2, b2 = rng.normal(size=(5, 3)), rng.normal(size=5), rng.normal(size=(3, 5)), rng.normal(size=3)
    wo, bo = rng.normal(size=(2, 3)), rng.normal(size=2)
    polynomial = residual_lsq(w1, b1, "relu", MEAN3, COV3, 2, w2=w2, b2=b2, wo=wo, bo=bo)
    x = rng.multivariate_normal(MEAN3, COV3, size=200_000)
    _check_against_monte_carlo(polynomial, _residual_forward(w1, b1, "relu", w2, b2, wo, bo, x), x)


def _check_against_monte_carlo(polynomial: polyx.Polynomial, f: np.ndarray, x: np.ndarray, z: float = 5.0):
    monomials = polynomial.monomials(x)
    inverse = np.linalg.inv(monomials.T @ monomials)
    fitted = inverse @ (monomials.T @ f)
    residual = f - monomials @ fitted
    for output in range(f.shape[1]):
        meat = monomials.T @ (monomials * residual[:, output, None] ** 2)
        error = np.sqrt(np.diag(inverse @ meat @ inverse))
        assert np.all(np.abs(polynomial.coefficients[output] - fitted[:, output]) <= z * error + 1e-12)
    for values, analytic in ((f, polynomial.diagnostics["output_variance"]),
                             (polynomial.evaluate(x), polynomial.diagnostics["explained_variance"])):
        squares = (values - values.mean(axis=0)) ** 2
        error = squares.std(axis=0) / np.sqrt(len(values))
        assert np.all(np.abs(squares.mean(axis=0) - np.asarray(analytic)) <= z * error)


def _support_oracle(function, mean: np.ndarray, basis: np.ndarray, order: int, z: np.ndarray) -> np.ndarray:
    """The least-squares polynomial of f(mean + B w), w ~ N(0, I₂), by 2-D Gauss–Hermite normal equations
    (monomials of w), evaluated at the points z (rows of w)."""
    exponents = np.array([(i, k - i) for k in range(order + 1) for i in range(k, -1, -1)])
    w, rule = _gauss_hermite_rule(np.zeros(2), np.eye(2))
    grid = np.prod(w[:, None, :] ** exponents[None], axis=2)
    gram = np.einsum("n,na,nb->ab", rule, grid, grid)
    solution = np.linalg.solve(gram, np.einsum("n,na,no->ao", rule, grid, function(mean + w @ basis.T)))
    return np.prod(z[:, None, :] ** exponents[None], axis=2) @ solution


def test_a_singular_covariance_gives_the_least_squares_polynomial_on_its_support():
    """x = μ + B w with B of rank 2 in d = 3: Σ = B Bᵀ is singular. On the support the polynomial must
    be the least-squares polynomial in w, and it must say that it ignores the null direction."""
    rng = np.random.default_rng(9)
    basis = rng.normal(scale=0.7, size=(3, 2))
    weights = _random_gated(rng, 3, 4, 2)
    polynomial = gated_lsq(*weights, "silu", MEAN3, basis @ basis.T, 3)
    assert "singular" in polynomial.diagnostics["warnings"][0]
    z = rng.normal(size=(50, 2))
    oracle = _support_oracle(lambda x: _gated_forward(*weights, "silu", x), MEAN3, basis, 3, z)
    ours = polynomial.evaluate(MEAN3 + z @ basis.T)
    assert np.abs(ours - oracle).max() <= 1e-9 * np.abs(oracle).max()
    w1, b1, w2, b2 = rng.normal(scale=0.6, size=(4, 3)), rng.normal(size=4), rng.normal(size=(3, 4)), rng.normal(size=3)
    residual = residual_lsq(w1, b1, "tanh", MEAN3, basis @ basis.T, 2, w2=w2, b2=b2)
    oracle = _support_oracle(lambda x: _residual_forward(w1, b1, "tanh", w2, b2, np.eye(3), 0.0, x), MEAN3, basis, 2, z)
    assert np.abs(residual.evaluate(MEAN3 + z @ basis.T) - oracle).max() <= 1e-9 * np.abs(oracle).max()


def test_a_gated_layer_with_a_constant_linear_branch_is_the_hidden_layer_closed_form():
    """W1 = 0, b1 = 1 makes y = W2 g(V x + c) + b2: the existing hidden-layer closed form, by another route."""
    rng = np.random.default_rng(12)
    v, c, w2, b2 = rng.normal(size=(5, 3)), rng.normal(size=5), rng.normal(size=(2, 5)), rng.normal(size=2)
    gated = gated_lsq(np.zeros((5, 3)), np.ones(5), v, c, w2, b2, "gelu_tanh", MEAN3, COV3, 4)
    network = Network((DenseLayer(v, c, Activation.of("gelu_tanh")), DenseLayer(w2, b2, Activation.of("linear"))))
    hidden = polyx.expand(network, method="lsq", order=4, mean=MEAN3, cov=COV3)
    assert np.abs(gated.coefficients - hidden.coefficients).max() <= 1e-12 * np.abs(hidden.coefficients).max()
    assert np.abs(np.array(gated.diagnostics["r2"]) - hidden.diagnostics["r2"]).max() <= 1e-12


def test_centered_output_is_the_same_polynomial_in_powers_of_x_minus_the_mean():
    weights = _random_gated(np.random.default_rng(2), 3, 4, 1)
    plain = gated_lsq(*weights, "sigmoid", MEAN3, COV3, 3)
    centred = gated_lsq(*weights, "sigmoid", MEAN3, COV3, 3, centered=True)
    assert plain.center is None and np.array_equal(centred.center, MEAN3)
    x = np.random.default_rng(0).multivariate_normal(MEAN3, COV3, size=20)
    assert np.abs(plain.evaluate(x) - centred.evaluate(x)).max() <= 1e-12 * np.abs(plain.evaluate(x)).max()


@pytest.mark.parametrize(("change", "message"), [
    ({"v": np.zeros((4, 2))}, "V (the gate's weight) has shape 4x2, expected 4x3"),
    ({"w2": np.zeros((1, 3))}, "W2 has shape 1x3, expected ?x4"),
    ({"b1": np.full(4, np.nan)}, "b1 holds a NaN or infinite value"),
    ({"gate": "swish"}, "unknown activation 'swish'; polyx knows:"),
    ({"order": -1}, "order must be ≥ 0, got -1"),
    ({"cov": -np.eye(3)}, "negative variance"),
    ({"mean": np.zeros(2)}, "the mean has 2 values but the network has 3 inputs"),
])
def test_bad_arguments_are_refused_with_one_clear_line(change, message):
    w1, b1, v, c, w2, b2 = _random_gated(np.random.default_rng(1), 3, 4, 1)
    arguments = dict(w1=w1, b1=b1, v=v, c=c, w2=w2, b2=b2, gate="sigmoid", mean=MEAN3, cov=COV3, order=2)
    arguments.update(change)
    with pytest.raises((DataError, MethodError)) as error:
        gated_lsq(**arguments)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_residual_block_without_w2_needs_as_many_units_as_inputs():
    with pytest.raises(DataError, match="W2 is the identity only when W1 has as many rows as inputs"):
        residual_lsq(np.ones((4, 3)), None, "tanh", MEAN3, COV3, 2)


def _polar_rule(mean: np.ndarray, cov: np.ndarray, normals: np.ndarray, offsets: np.ndarray, nodes: int = 80
                ) -> tuple[np.ndarray, np.ndarray]:
    """A rule for E[F(x)], x ~ N(mean, cov) in d = 2, exact to ~1e-13 for F smooth off the two lines
    normals[i]·x + offsets[i] = 0: polar coordinates about the lines' crossing in whitened
    coordinates, Gauss–Legendre in the angle within each of the four sectors (where F is smooth)
    and in the radius on unit panels out to 14 beyond the crossing."""
    root = np.linalg.cholesky(cov)
    a, b = normals @ root, offsets + normals @ mean          # the lines in whitened z: a z + b = 0
    crossing = np.linalg.solve(a, -b)
    directions = np.sort(np.concatenate([np.arctan2(-a[:, 0], a[:, 1]) + shift for shift in (0.0, np.pi)]) % (2 * np.pi))
    ends = np.concatenate([directions, [directions[0] + 2 * np.pi]])
    points, weights = np.polynomial.legendre.leggauss(nodes)
    radius_points, radius_weights = np.polynomial.legendre.leggauss(20)
    outer = np.linalg.norm(crossing) + 14.0
    edges = np.arange(0.0, outer + 1.0)
    radii = (edges[:-1, None] + 0.5 * (radius_points[None, :] + 1.0)).ravel()
    radius_w = np.tile(0.5 * radius_weights, edges.size - 1) * radii
    zs, ws = [], []
    for start, stop in zip(ends[:-1], ends[1:]):
        half = 0.5 * (stop - start)
        angles = start + half * (points + 1.0)
        unit = np.stack([np.cos(angles), np.sin(angles)], axis=1)
        z = crossing + radii[None, :, None] * unit[:, None, :]
        density = np.exp(-0.5 * (z**2).sum(axis=2)) / (2 * np.pi)
        zs.append(z.reshape(-1, 2))
        ws.append(((half * weights)[:, None] * radius_w[None, :] * density).ravel())
    return mean + np.vstack(zs) @ root.T, np.concatenate(ws)


def test_relu_gated_pairs_by_2d_quadrature_match_a_polar_rule():
    """ReGLU in d = 2: the series cannot certify these pairs, so gated_covariance integrates them in 2-D.
    Oracle per pair: a polar product rule about the crossing of the two kink lines (no kink inside a cell),
    checked against a rule with 1.5× the angular nodes."""
    weights = _random_gated(np.random.default_rng(21), 2, 4, 1)
    units = _units("relu", weights, MEAN2, COV2)
    covariance, integrated = gated_covariance(units)
    assert integrated == 3 and np.all(np.isfinite(covariance))
    w1, b1, v, c, _, _ = weights
    checked = 0
    for h in range(4):
        for k in range(h + 1, 4):
            if not (np.any(v[h]) and np.any(v[k])):
                continue
            values = []
            for nodes in (80, 120):
                x, rule = _polar_rule(MEAN2, COV2, v[[h, k]], c[[h, k]], nodes)
                y = np.maximum(x @ v[[h, k]].T + c[[h, k]], 0.0) * (x @ w1[[h, k]].T + b1[[h, k]])
                centred = y - rule @ y
                values.append(np.array([rule @ centred[:, 0] ** 2, rule @ centred[:, 1] ** 2, rule @ (centred[:, 0] * centred[:, 1])]))
            scale = np.sqrt(values[0][0] * values[0][1])
            assert np.abs(values[0] - values[1]).max() <= 1e-12 * scale
            ours = np.array([covariance[h, h], covariance[k, k], covariance[h, k]])
            assert np.abs(ours - values[0]).max() <= 1e-10 * scale, (h, k, ours - values[0])
            checked += 1
    assert checked == 3


@pytest.mark.parametrize(("gate", "d"), [("silu", 2), ("sigmoid", 3), ("relu", 3)])
def test_the_certified_series_and_the_2d_quadrature_agree_on_every_pair_of_wide_gates(gate, d):
    """Wide gates (s ≈ 3) in d ≤ 3: every two planes meet (σ = 1), so pairs are certified by the |ρ| bound
    or integrated. Forcing every pair through the 2-D quadrature must give the same covariances to
    1e-12 of √(Var y_h Var y_k), and some pairs must have taken each route."""
    rng = np.random.default_rng(0)
    hidden = 10
    weights = (rng.normal(size=(hidden, d)), np.zeros(hidden), 2.0 * rng.normal(size=(hidden, d)), rng.normal(size=hidden),
               None, None)
    units = _units(gate, weights, np.zeros(d), np.eye(d))
    covariance, integrated = gated_covariance(units)
    assert 0 < integrated < hidden * (hidden - 1) // 2
    expected, variance = unit_variances(units)
    pairs = np.argwhere(np.triu(np.ones((hidden, hidden), dtype=bool), 1))
    direct = _pair_integrals(units, expected, pairs)
    scale = np.sqrt(variance[pairs[:, 0]] * variance[pairs[:, 1]])
    assert np.max(np.abs(direct - covariance[pairs[:, 0], pairs[:, 1]]) / scale) <= 1e-12
