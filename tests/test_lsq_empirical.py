"""Monte-Carlo least squares for networks with two or more non-linear layers.

The oracle is an ordinary least-squares fit of the same rows: numpy.linalg.lstsq on the monomial
design in x. Tolerance 1e-8 relative to the largest coefficient: both solve the same problem, one
through whitened monomials and a streamed QR, the other through an SVD of the raw design (its
condition number here is ~1e3, so each is good to ~1e-12).
"""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

import polyx
from polyx.cli.main import cli
from polyx.converters.ir.chain import Activation, DenseLayer, Network
from polyx.errors import DataError, OrderTooLargeError
from polyx.expansion.methods.gaussian_input import gaussian_input
from polyx.expansion.methods.monte_carlo import HOLDOUT_EVERY, fit_empirical, monomials_to_polynomial
from polyx.expansion.kernel.space import MonomialSpace

TOLERANCE = 1e-8


def _deep(rng: np.random.Generator, inputs: int = 3) -> Network:
    return Network((
        DenseLayer(rng.normal(size=(6, inputs)), rng.normal(size=6), Activation.of("tanh")),
        DenseLayer(rng.normal(size=(5, 6)) / 2, rng.normal(size=5), Activation.of("sigmoid")),
        DenseLayer(rng.normal(size=(2, 5)), rng.normal(size=2)),
    ))


def _ols(polynomial: polyx.Polynomial, network: Network, rows: np.ndarray) -> np.ndarray:
    design = polynomial.monomials(rows)
    solution, *_ = np.linalg.lstsq(design, network.forward(rows), rcond=None)
    return solution.T


@pytest.mark.parametrize("order", [1, 2, 3])
def test_data_rows_fit_equals_ordinary_least_squares(order):
    """Skewed, correlated, non-Gaussian rows: the fit uses every row but each fifth (held out)."""
    rng = np.random.default_rng(21)
    network = _deep(rng)
    rows = np.column_stack([rng.exponential(size=3000), rng.uniform(-2, 2, 3000), rng.normal(size=3000)])
    rows[:, 2] += 0.8 * rows[:, 0]
    polynomial = polyx.expand(network, method="lsq", order=order, data=rows)
    assert polynomial.method["solution"] == "empirical" and polynomial.method["fitted_on"] == "data rows"
    fit_rows = rows[np.arange(len(rows)) % HOLDOUT_EVERY != HOLDOUT_EVERY - 1]
    oracle = _ols(polynomial, network, fit_rows)
    assert np.abs(polynomial.coefficients - oracle).max() <= TOLERANCE * np.abs(oracle).max()
    held = rows[np.arange(len(rows)) % HOLDOUT_EVERY == HOLDOUT_EVERY - 1]
    y, p = network.forward(held), polynomial.evaluate(held)
    r2 = 1 - ((y - p) ** 2).sum(axis=0) / ((y - y.mean(axis=0)) ** 2).sum(axis=0)
    assert np.allclose(polynomial.diagnostics["r2"], r2, rtol=1e-10)
    assert polynomial.diagnostics["r2_kind"] == "held-out" and polynomial.diagnostics["held_out_rows"] == len(held)


def test_data_far_from_zero_is_fitted_about_its_mean():
    """Rows ~300 standard deviations from 0 at degree 4: the fit is written in powers of (x − mean)
    and its values equal ordinary least squares on the centred monomial design (numpy powers) to
    1e-9 of the largest (in powers of x ~10 digits would cancel)."""
    rng = np.random.default_rng(29)
    mean = np.array([300.0, -250.0])
    network = _deep(rng, inputs=2)
    first = network.layers[0]
    network = Network((DenseLayer(first.weight, first.bias - first.weight @ mean, first.activation), *network.layers[1:]))
    rows = mean + rng.normal(size=(4000, 2))
    polynomial = polyx.expand(network, method="lsq", order=4, data=rows)
    assert polynomial.method["centered"] is True
    np.testing.assert_allclose(polynomial.center, rows.mean(axis=0), rtol=1e-15)
    fit = np.arange(len(rows)) % HOLDOUT_EVERY != HOLDOUT_EVERY - 1
    design = np.prod((rows - rows.mean(axis=0))[:, None, :] ** polynomial.exponents[None], axis=2)
    solution, *_ = np.linalg.lstsq(design[fit], network.forward(rows[fit]), rcond=None)
    expected = design[~fit] @ solution
    assert np.abs(polynomial.evaluate(rows[~fit]) - expected).max() <= 1e-9 * np.abs(expected).max()


def test_gaussian_samples_reproduce_a_network_that_is_affine_on_its_support():
    """Two ReLU layers that never switch off (biases ≫ spread) make f affine: the fit recovers it exactly."""
    rng = np.random.default_rng(22)
    first, second = rng.normal(size=(4, 3)) * 0.3, rng.normal(size=(3, 4)) * 0.3
    network = Network((DenseLayer(first, np.full(4, 60.0), Activation.of("relu")),
                       DenseLayer(second, np.full(3, 200.0), Activation.of("relu")),
                       DenseLayer(rng.normal(size=(2, 3)), rng.normal(size=2))))
    mean, cov = np.array([1.0, -1.0, 0.5]), np.array([[1.0, 0.6, 0.0], [0.6, 1.0, 0.2], [0.0, 0.2, 0.5]])
    polynomial = polyx.expand(network, method="lsq", order=2, mean=mean, cov=cov, samples=2000, seed=4)
    weight = network.layers[2].weight @ second @ first
    bias = network.forward(np.zeros((1, 3)))[0]
    degree = polynomial.exponents.sum(axis=1)
    assert np.allclose(polynomial.coefficients[:, degree == 0][:, 0], bias, rtol=1e-9)
    assert np.allclose(polynomial.coefficients[:, degree == 1], weight, rtol=1e-9)
    assert np.abs(polynomial.coefficients[:, degree == 2]).max() < 1e-9
    assert np.allclose(polynomial.diagnostics["r2"], 1.0, atol=1e-12)
    assert polynomial.method["samples"] == 2000 and polynomial.method["seed"] == 4


def test_gaussian_fit_converges_to_the_closed_form():
    """On a one-hidden-layer network the Monte-Carlo fit estimates the closed form; with 200k samples its
    statistical error is ~1/√N relative, so the agreement is checked to 3e-2 of the largest coefficient."""
    rng = np.random.default_rng(23)
    network = Network((DenseLayer(rng.normal(size=(5, 2)), rng.normal(size=5), Activation.of("tanh")),
                       DenseLayer(rng.normal(size=(1, 5)), rng.normal(size=1))))
    model = gaussian_input(network.variable_names, [0.3, -0.2], [[1.0, 0.4], [0.4, 0.7]])
    empirical, fit = fit_empirical(network, 2, model, None, 200_000, 0, 2**30)
    closed = polyx.expand(network, method="lsq", order=2, mean=[0.3, -0.2], cov=[[1.0, 0.4], [0.4, 0.7]],
                          centered=True)
    np.testing.assert_array_equal(empirical.center, closed.center)
    assert np.abs(empirical.coefficients - closed.coefficients).max() <= 3e-2 * np.abs(closed.coefficients).max()
    assert abs(empirical.diagnostics["r2"][0] - closed.diagnostics["r2"][0]) < 1e-2
    assert fit["samples"] == 200_000


def _powers(exponents: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Monomials by numpy powers, no polyx: (rows, terms)."""
    return np.prod(points[:, None, :] ** exponents[None], axis=2)


def test_whitened_monomials_are_rewritten_in_x():
    """Σ γ_α z^α with z = A x + c, evaluated by numpy powers, equals the converted polynomial in x
    evaluated the same way (1e-12: a few roundings of O(1) terms)."""
    rng = np.random.default_rng(24)
    space_z, space_x = MonomialSpace(2, 3), MonomialSpace(3, 3)
    gamma = rng.normal(size=(space_z.n_terms, 2))
    weight, offset = rng.normal(size=(2, 3)), rng.normal(size=2)
    batch = monomials_to_polynomial(space_z, gamma, weight, offset, space_x)
    x = rng.normal(size=(7, 3))
    direct = _powers(space_z.all_exponents(), x @ weight.T + offset) @ gamma
    converted = _powers(space_x.all_exponents(), x) @ batch.to_dense().T
    assert np.allclose(converted, direct, rtol=1e-12, atol=1e-12)


def test_monomial_values_are_numpy_powers():
    """MonomialSpace.values (parent × one variable) against numpy powers, block by block; exact for
    these small integers."""
    space = MonomialSpace(3, 4)
    z = np.random.default_rng(30).integers(-3, 4, size=(3, 5)).astype(float)
    blocks = list(space.values(z))
    for degree, block in enumerate(blocks):
        np.testing.assert_array_equal(block, _powers(space.exponents(degree), z.T).T)


def test_seed_makes_the_fit_reproducible():
    network = _deep(np.random.default_rng(25), inputs=2)
    first, second, other = (polyx.expand(network, method="lsq", order=2, samples=500, seed=s) for s in (1, 1, 2))
    assert np.array_equal(first.coefficients, second.coefficients)
    assert not np.array_equal(first.coefficients, other.coefficients)


def test_a_binary_column_gives_the_minimum_norm_fit():
    """x² = x on a 0/1 column: the design loses rank; the fitted values still equal lstsq's (the
    coefficients are each a minimum-norm solution, but in different bases, so only predictions compare)."""
    rng = np.random.default_rng(26)
    network = _deep(rng, inputs=2)
    rows = np.column_stack([rng.integers(0, 2, 1000).astype(float), rng.normal(size=1000)])
    polynomial = polyx.expand(network, method="lsq", order=2, data=rows)
    assert polynomial.diagnostics["basis_rank"] == polynomial.diagnostics["basis_terms"] - 1
    assert any("rank" in warning for warning in polynomial.diagnostics["warnings"])
    fit_rows = rows[np.arange(len(rows)) % HOLDOUT_EVERY != HOLDOUT_EVERY - 1]
    oracle = polynomial.monomials(fit_rows) @ _ols(polynomial, network, fit_rows).T
    assert np.allclose(polynomial.evaluate(fit_rows), oracle, rtol=1e-8, atol=1e-9)


def test_too_few_rows_and_too_much_memory_are_refused():
    network = _deep(np.random.default_rng(27))
    with pytest.raises(DataError, match="needs at least"):
        polyx.expand(network, method="lsq", order=3, data=np.random.default_rng(0).normal(size=(20, 3)))
    with pytest.raises(DataError, match="below the 20 basis terms"):
        polyx.expand(network, method="lsq", order=3, samples=10)
    with pytest.raises(OrderTooLargeError, match="basis terms and needs about"):
        polyx.expand(network, method="lsq", order=3, max_memory=10_000)


def test_cli_labels_the_fit_empirical(tmp_path):
    rng = np.random.default_rng(28)
    network = _deep(rng, inputs=2)
    arrays = {}
    for index, layer in enumerate(network.layers):
        arrays[f"W{index}"], arrays[f"b{index}"] = layer.weight, layer.bias
    model = tmp_path / "deep.npz"
    np.savez(model, activations=np.array(["tanh", "sigmoid", "linear"]), **arrays)
    result = CliRunner().invoke(cli, ["convert", str(model), "-m", "lsq", "-q", "2", "--samples", "800", "--seed", "3",
                                      "-o", str(tmp_path / "p.json")])
    assert result.exit_code == 0, result.output
    assert "solution=empirical" in result.output
    assert "empirical fit: the network has 2 non-linear layers" in result.output
    written = polyx.load_polynomial(tmp_path / "p.json")
    assert written.method["solution"] == "empirical" and written.method["samples"] == 800
    assert written.diagnostics["r2_kind"] == "held-out"


def test_a_constant_output_gets_an_r2_not_none():
    """An output the network holds constant (zero output weights, bias 0.5 so that its mean is
    exact): R² follows scikit-learn, 1 for an exact match and 0 otherwise, computed here by that
    rule from numpy sums; the varying output gets the plain 1 − SS_res/SS_tot."""
    rng = np.random.default_rng(31)
    network = _deep(rng, inputs=2)
    last = network.layers[-1]
    bias = np.array([last.bias[0], 0.5])
    network = Network((*network.layers[:-1], DenseLayer(np.vstack([last.weight[0], np.zeros(5)]), bias)))
    rows = rng.normal(size=(1000, 2))
    polynomial = polyx.expand(network, method="lsq", order=2, data=rows)
    held = rows[np.arange(len(rows)) % HOLDOUT_EVERY == HOLDOUT_EVERY - 1]
    y, p = network.forward(held), polynomial.evaluate(held)
    residual, spread = ((y - p) ** 2).sum(axis=0), ((y - y.mean(axis=0)) ** 2).sum(axis=0)
    assert spread[1] == 0
    expected = [1 - residual[0] / spread[0], 1.0 if residual[1] == 0 else 0.0]
    assert np.allclose(polynomial.diagnostics["r2"], expected, rtol=1e-10, atol=0)
