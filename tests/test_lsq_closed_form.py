"""Closed-form least squares beyond the anchors: degree 3–4, any Gaussian, network shapes, input models.

Oracles are independent of polyx's Hermite machinery: the least-squares polynomial is solved from
its normal equations E[m_α m_β] c = E[m_α f] with the expectations computed by plain numerical
integration (a 2-D Gauss–Hermite product rule for smooth networks, scipy.integrate.quad with
the kinks as breakpoints in one dimension). Tolerance 1e-9 relative to the largest coefficient:
the oracles are accurate to ~1e-12 and the 10×10 normal equations lose a few digits more.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.integrate
from click.testing import CliRunner

import polyx
from polyx.cli.main import cli
from polyx.converters.ir.chain import Activation, DenseLayer, Network
from polyx.errors import DataError
from polyx.expansion.methods.least_squares import fold_linear_layers, hermite_to_power_series

TOLERANCE = 1e-9


def _network(rng: np.random.Generator, sizes: list[int], activations: list[str], scale: float = 0.8) -> Network:
    layers = [DenseLayer(rng.normal(scale=scale, size=(n_out, n_in)), rng.normal(scale=0.5, size=n_out), Activation.of(a))
              for n_in, n_out, a in zip(sizes[:-1], sizes[1:], activations)]
    return Network(tuple(layers))


def _normal_equations(values_f: np.ndarray, monomials: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Least-squares coefficients (outputs, terms) from a quadrature rule: Gram and moments."""
    gram = np.einsum("n,na,nb->ab", weights, monomials, monomials)
    moments = np.einsum("n,na,no->ao", weights, monomials, values_f)
    return np.linalg.solve(gram, moments).T


def _relative_error(ours: np.ndarray, oracle: np.ndarray) -> float:
    return float(np.abs(ours - oracle).max() / np.abs(oracle).max())


@pytest.mark.parametrize("activation", ["tanh", "gelu", "sigmoid", "softplus"])
def test_degree_three_under_a_correlated_gaussian_matches_the_normal_equations(activation):
    rng = np.random.default_rng(11)
    network = _network(rng, [2, 6, 2], [activation, "linear"])
    mean, cov = np.array([0.4, -0.7]), np.array([[1.3, 0.5], [0.5, 0.8]])
    polynomial = polyx.expand(network, method="lsq", order=3, mean=mean, cov=cov)
    nodes, weights = np.polynomial.hermite_e.hermegauss(120)
    weights = weights / weights.sum()
    z = np.stack(np.meshgrid(nodes, nodes, indexing="ij"), axis=-1).reshape(-1, 2)
    x = mean + z @ np.linalg.cholesky(cov).T
    oracle = _normal_equations(network.forward(x), polynomial.monomials(x), np.outer(weights, weights).ravel())
    assert _relative_error(polynomial.coefficients, oracle) <= TOLERANCE


@pytest.mark.parametrize(("activation", "order"), [("relu", 4), ("elu", 3), ("leaky_relu", 4), ("selu", 3), ("silu", 4)])
def test_one_input_any_degree_matches_adaptive_quadrature(activation, order):
    """One input: every expectation is a 1-D integral; quad with the hidden kinks as breakpoints."""
    rng = np.random.default_rng(5)
    network = _network(rng, [1, 4, 1], [activation, "linear"], scale=1.5)
    mean, std = 0.3, 1.7
    polynomial = polyx.expand(network, method="lsq", order=order, mean=[mean], cov=[[std**2]])
    hidden = network.layers[0]
    kinks = sorted(-hidden.bias / hidden.weight[:, 0])
    density = lambda x: np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * np.sqrt(2 * np.pi))  # noqa: E731

    def expectation(function) -> float:
        value, _ = scipy.integrate.quad(lambda x: function(x) * density(x), mean - 14 * std, mean + 14 * std,
                                        points=kinks, limit=400, epsabs=0, epsrel=1e-13)
        return value

    powers = range(order + 1)
    gram = np.array([[expectation(lambda x, a=a, b=b: x ** (a + b)) for b in powers] for a in powers])
    moments = np.array([expectation(lambda x, a=a: x**a * network.forward(np.array([[x]]))[0, 0]) for a in powers])
    oracle = np.linalg.solve(gram, moments)
    assert _relative_error(polynomial.coefficients[0], oracle) <= TOLERANCE


def _hermite_projection_oracle(network: Network, mean: np.ndarray, order: int, nodes: int = 120) -> np.ndarray:
    """Coefficients t[a, b] of Σ t_ab He_a(z1) He_b(z2), z = x − mean, under N(mean, I): in this
    orthogonal basis the projection is E[f He_a He_b]/(a! b!), by a 2-D Gauss–Hermite product rule
    (120 nodes agree with 200 to 1e-14 here)."""
    import math

    points, weights = np.polynomial.hermite_e.hermegauss(nodes)
    weights = weights / weights.sum()
    z = np.stack(np.meshgrid(points, points, indexing="ij"), axis=-1).reshape(-1, 2)
    f = network.forward(mean + z)[:, 0] * np.outer(weights, weights).ravel()
    values = [np.polynomial.hermite_e.hermevander(z[:, i], order) for i in range(2)]
    table = np.zeros((order + 1, order + 1))
    for a in range(order + 1):
        for b in range(order + 1 - a):
            table[a, b] = f @ (values[0][:, a] * values[1][:, b]) / (math.factorial(a) * math.factorial(b))
    return table


def test_inputs_far_from_zero_keep_their_digits_by_staying_centred():
    """Inputs 200 and 150 standard deviations from 0 at degree 6: in powers of x ~14 digits would
    cancel. polyx writes the polynomial about the mean and says so; its values match the direct
    Hermite projection to 1e-11 of the largest (the oracle and float64 evaluation, ~1e-14 each).
    Forced into powers of x it warns (and is measured 6e-4 off)."""
    rng = np.random.default_rng(12)
    mean = np.array([200.0, -150.0])
    weight = rng.normal(scale=0.8, size=(6, 2))
    hidden = DenseLayer(weight, -weight @ mean + rng.normal(scale=0.5, size=6), Activation.of("tanh"))
    network = Network((hidden, DenseLayer(rng.normal(size=(1, 6)), rng.normal(size=1))))
    polynomial = polyx.expand(network, method="lsq", order=6, mean=mean, cov=np.eye(2))
    z = rng.normal(size=(500, 2))
    expected = np.polynomial.hermite_e.hermeval2d(z[:, 0], z[:, 1], _hermite_projection_oracle(network, mean, 6))
    assert _relative_error(polynomial.evaluate(mean + z)[:, 0], expected) <= 1e-11
    assert polynomial.method["centered"] is True and polynomial.center.tolist() == mean.tolist()
    assert polynomial.diagnostics["centering"]["mean_over_std"] == 200.0
    forced = polyx.expand(network, method="lsq", order=6, mean=mean, cov=np.eye(2), centered=False)
    assert forced.center is None and forced.method["centered"] is False
    assert "200 standard deviations from 0" in forced.diagnostics["warnings"][-1]


def test_hermite_series_rewritten_around_any_center():
    """Σ (c_j/j!) He_j((u − m)/s) evaluated directly (numpy's hermeval) equals the power series in (u − u0)."""
    rng = np.random.default_rng(2)
    coefficients = rng.normal(size=(5, 5))
    mean, std, center = rng.normal(size=5), np.array([0.1, 0.5, 1.0, 4.0, 0.0]), rng.normal(size=5)
    series = hermite_to_power_series(coefficients, mean, std, center)
    factorials = np.array([1, 1, 2, 6, 24], dtype=float)
    for k in range(4):
        u = center[k] + np.linspace(-1, 1, 7)
        direct = np.polynomial.hermite_e.hermeval((u - mean[k]) / std[k], coefficients[k] / factorials)
        assert np.allclose(np.polynomial.polynomial.polyval(u - center[k], series[k]), direct, rtol=1e-11, atol=1e-11)
    assert series[4].tolist() == [coefficients[4, 0], 0, 0, 0, 0]


def test_linear_layers_are_folded():
    """Linear layers before and after the hidden one give the same polynomial as the folded network."""
    rng = np.random.default_rng(3)
    network = _network(rng, [3, 4, 5, 3, 2], ["linear", "tanh", "linear", "linear"])
    folded = fold_linear_layers(network.layers)
    assert [layer.activation.name for layer in folded] == ["tanh", "linear"]
    direct = Network(tuple(folded))
    x = rng.normal(size=(4, 3))
    assert np.allclose(direct.forward(x), network.forward(x), rtol=1e-13)
    ours = polyx.expand(network, method="lsq", order=2)
    assert ours.method["solution"] == "closed-form"
    assert np.allclose(ours.coefficients, polyx.expand(direct, method="lsq", order=2).coefficients, rtol=1e-12, atol=1e-14)


def test_a_single_nonlinear_layer_is_projected_output_by_output():
    """f = σ(Wx + b) has no output layer: each output is its own neuron's projection."""
    rng = np.random.default_rng(4)
    network = _network(rng, [2, 2], ["sigmoid"])
    two = Network((network.layers[0], DenseLayer(np.eye(2), np.zeros(2))))
    ours = polyx.expand(network, method="lsq", order=3)
    assert np.allclose(ours.coefficients, polyx.expand(two, method="lsq", order=3).coefficients, rtol=1e-13)
    assert 0.9 < min(ours.diagnostics["r2"]) < 1


def test_an_affine_network_is_reproduced_exactly_with_r2_one():
    rng = np.random.default_rng(6)
    network = _network(rng, [3, 4, 2], ["linear", "linear"])
    polynomial = polyx.expand(network, method="lsq", order=2, mean=[1, 2, 3], cov=np.diag([1.0, 2.0, 3.0]))
    x = rng.normal(size=(5, 3))
    assert np.allclose(polynomial.evaluate(x), network.forward(x), rtol=1e-12)
    assert np.allclose(polynomial.diagnostics["r2"], 1.0, atol=1e-12)
    assert not polynomial.coefficients[:, polynomial.exponents.sum(axis=1) == 2].any()


def test_softmax_networks_are_fitted_on_their_logits():
    rng = np.random.default_rng(8)
    base = _network(rng, [2, 5, 3], ["tanh", "linear"])
    classifier = Network(base.layers, output_activation="softmax")
    polynomial = polyx.expand(classifier, method="lsq", order=2)
    assert polynomial.method["output_space"] == "logits"
    assert any("softmax" in warning for warning in polynomial.diagnostics["warnings"])
    assert np.allclose(polynomial.coefficients, polyx.expand(base, method="lsq", order=2).coefficients, rtol=1e-13)


def _reduced_network(network: Network, weight: np.ndarray, bias: np.ndarray) -> Network:
    hidden, output = network.layers
    return Network((DenseLayer(hidden.weight @ weight, hidden.weight @ bias + hidden.bias, hidden.activation), output))


def test_a_constant_column_drops_out():
    """x3 constant at 2: the polynomial has no x3 terms and equals the closed form of the network with x3 = 2."""
    rng = np.random.default_rng(9)
    network = _network(rng, [3, 6, 1], ["relu", "linear"])
    mean = np.array([0.5, -0.3, 2.0])
    cov = np.array([[1.0, 0.3, 0.0], [0.3, 2.0, 0.0], [0.0, 0.0, 0.0]])
    polynomial = polyx.expand(network, method="lsq", order=2, mean=mean, cov=cov)
    assert not polynomial.coefficients[:, polynomial.exponents[:, 2] > 0].any()
    assert any("constant: x3" in warning for warning in polynomial.diagnostics["warnings"])
    embed = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    reduced = polyx.expand(_reduced_network(network, embed, np.array([0, 0, 2.0])), method="lsq", order=2,
                           mean=mean[:2], cov=cov[:2, :2])
    keep = polynomial.exponents[:, 2] == 0
    assert np.allclose(polynomial.coefficients[:, keep], reduced.coefficients, rtol=1e-12, atol=1e-14)
    assert np.allclose(polynomial.diagnostics["r2"], reduced.diagnostics["r2"], rtol=1e-12)


def test_collinear_columns_keep_the_projection_on_the_support():
    """x2 = 2·x1 exactly: on the support the polynomial is the closed form in x1 alone."""
    rng = np.random.default_rng(10)
    network = _network(rng, [2, 5, 1], ["tanh", "linear"])
    direction = np.array([1.0, 2.0])
    cov = 0.7 * np.outer(direction, direction)
    polynomial = polyx.expand(network, method="lsq", order=3, mean=[0.2, 0.4], cov=cov)
    assert any("collinear: x1, x2" in warning for warning in polynomial.diagnostics["warnings"])
    reduced = polyx.expand(_reduced_network(network, direction[:, None], np.zeros(2)), method="lsq", order=3,
                           mean=[0.2], cov=[[0.7]])
    t = np.linspace(-2, 2, 9)
    on_support = np.outer(t, direction)
    assert np.allclose(polynomial.evaluate(on_support), reduced.evaluate(t[:, None]), rtol=1e-10, atol=1e-12)
    assert np.allclose(polynomial.diagnostics["r2"], reduced.diagnostics["r2"], rtol=1e-10)
    shifted = on_support + np.array([2.0, -1.0])
    assert np.allclose(polynomial.evaluate(shifted), polynomial.evaluate(on_support), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("mean", "cov", "message"), [
    ([0, 0], np.eye(3), "the mean has 2 values but the network has 3 inputs"),
    ([0, 0, 0], np.eye(2), "expected 3x3"),
    ([0, 0, 0], [[1, 0.5, 0], [0, 1, 0], [0, 0, 1]], "not symmetric"),
    ([0, 0, 0], [[1, 2, 0], [2, 1, 0], [0, 0, 1]], "not positive semi-definite"),
    ([0, np.nan, 0], np.eye(3), "finite"),
])
def test_bad_gaussians_are_refused(mean, cov, message):
    network = _network(np.random.default_rng(0), [3, 2, 1], ["tanh", "linear"])
    with pytest.raises(DataError, match=message):
        polyx.expand(network, method="lsq", order=2, mean=mean, cov=cov)


def _save_npz(network: Network, path):
    """The weights .npz format: W0, b0, W1, b1 (each W shaped (out, in)) and the activation names."""
    arrays = {}
    for index, layer in enumerate(network.layers):
        arrays[f"W{index}"], arrays[f"b{index}"] = layer.weight, layer.bias
    np.savez(path, activations=np.array([layer.activation.name for layer in network.layers]), **arrays)
    return path


def test_data_fits_the_gaussian(tmp_path):
    """--data: mean and covariance of the CSV rows (np.cov, unbiased), columns named in the artifact."""
    rng = np.random.default_rng(12)
    network = _network(rng, [2, 4, 1], ["gelu", "linear"])
    rows = rng.normal(size=(50, 2)) @ np.array([[1.0, 0.4], [0.0, 0.6]]) + [1.0, -2.0]
    csv = tmp_path / "data.csv"
    csv.write_text("age,height\n" + "\n".join(f"{float(a)!r},{float(b)!r}" for a, b in rows) + "\n")
    model = _save_npz(network, tmp_path / "model.npz")
    expected = polyx.expand(network, method="lsq", order=2, mean=rows.mean(axis=0), cov=np.cov(rows, rowvar=False))
    result = CliRunner().invoke(cli, ["convert", str(model), "-m", "lsq", "--data", str(csv), "-o", str(tmp_path / "p.json")])
    assert result.exit_code == 0, result.output
    written = polyx.load_polynomial(tmp_path / "p.json")
    assert written.variables == ("age", "height")
    assert written.method["input_model"] == "fitted to data" and written.method["input_source"] == str(csv)
    assert np.allclose(written.coefficients, expected.coefficients, rtol=1e-12)


def test_cli_refuses_two_input_models_and_bad_files(tmp_path):
    network = _network(np.random.default_rng(0), [2, 3, 1], ["tanh", "linear"])
    model = _save_npz(network, tmp_path / "model.npz")
    gaussian, csv, broken = tmp_path / "g.json", tmp_path / "d.csv", tmp_path / "broken.json"
    gaussian.write_text(json.dumps({"mean": [0, 0], "cov": [[1, 0], [0, 1]]}))
    csv.write_text("a,b\n1,2\n3,5\n")
    broken.write_text(json.dumps({"mean": [0, 0]}))
    runs = {
        "both give the input model": ["--gaussian", str(gaussian), "--data", str(csv)],
        "no such Gaussian file": ["--gaussian", str(tmp_path / "missing.json")],
        "not a Gaussian spec": ["--gaussian", str(broken)],
    }
    for message, options in runs.items():
        result = CliRunner().invoke(cli, ["convert", str(model), "-m", "lsq", "-o", str(tmp_path / "p.json"), *options])
        assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
        assert not (tmp_path / "p.json").exists()


def test_singular_covariance_warning_lists_ten_names_then_counts() -> None:
    """An image's blank border is hundreds of constant pixels: the warning names ten and counts the rest."""
    from polyx.expansion.methods.gaussian_input import gaussian_input

    rows = np.random.default_rng(0).normal(size=(200, 40))
    rows[:, 5:35] = 0.0
    model = gaussian_input([f"x{i + 1}" for i in range(40)], None, None, rows, "rows.csv")
    (warning,) = [w for w in model.warnings if "singular" in w]
    assert "constant: x6, x7, x8, x9, x10, x11, x12, x13, x14, x15 and 20 more" in warning
    assert "x16," not in warning
