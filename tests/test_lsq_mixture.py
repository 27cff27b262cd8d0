"""lsq under a Gaussian mixture (``--gaussian`` with weights/means/covs, ``--data D --mixture k``).

Oracles: Monte-Carlo OLS on draws from the mixture (the least-squares polynomial is what OLS
converges to; each coefficient must lie within 5 heteroscedasticity-robust standard errors of it,
and the single moment-matched Gaussian's polynomial must not, so the check can fail), the
single-Gaussian closed form (a one-component mixture must reproduce it to 1e-10), Gaussian
moments written out by hand (Isserlis), and EM recovering the mixture it was sampled from.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from oracles import one_error_line
from polyx import load_network, load_polynomial
from polyx.cli.main import cli
from polyx.expansion.methods.graph_lsq import expand_lsq_any
from polyx.expansion.methods.least_squares import expand_lsq
from polyx.expansion.methods.mixture import (
    GaussianMixture, fit_mixture, gaussian_monomial_moments, mixture_from_spec, sample_mixture,
)

SAMPLES = Path(__file__).resolve().parent.parent / "sample_models"
ONE_HIDDEN = SAMPLES / "k3_t2o15_seq_tanh_4-8-1.onnx"
SPEC = {
    "weights": [0.3, 0.7],
    "means": [[1.0, -0.5, 0.0, 0.5], [-1.0, 0.5, 0.2, -0.5]],
    "covs": [np.diag([0.3, 0.5, 0.4, 0.2]).tolist(), (0.6 * np.eye(4) + 0.1).tolist()],
}
DRAWS = 200_000


@pytest.fixture(scope="module")
def network():
    return load_network(ONE_HIDDEN)


@pytest.fixture(scope="module")
def mixture(network) -> GaussianMixture:
    return mixture_from_spec(SPEC["weights"], SPEC["means"], SPEC["covs"], network.variable_names, "test")


def robust_z(poly, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(poly's coefficients − OLS coefficients) / robust (HC0) standard errors, in poly's own basis."""
    basis = poly.monomials(x)
    ols, *_ = np.linalg.lstsq(basis, y, rcond=None)
    residual = (y - basis @ ols)[:, 0]
    bread = np.linalg.inv(basis.T @ basis)
    cov = bread @ ((basis * residual[:, None] ** 2).T @ basis) @ bread
    return (poly.coefficients[0] - ols[:, 0]) / np.sqrt(np.diag(cov))


def test_mixture_closed_form_is_the_monte_carlo_ols_limit(network, mixture: GaussianMixture) -> None:
    poly = expand_lsq_any(network, 3, mixture=mixture)
    assert poly.method["solution"] == "closed-form" and poly.method["components"] == 2
    x = sample_mixture(mixture, DRAWS, np.random.default_rng(1))
    y = network.forward(x)
    assert np.abs(robust_z(poly, x, y)).max() < 5
    single = expand_lsq(network, 3, mean=mixture.mean, cov=mixture.cov)  # same mean and covariance, one Gaussian
    assert np.abs(robust_z(single, x, y)).max() > 5
    empirical_r2 = 1 - np.mean((y - poly.evaluate(x)) ** 2) / y.var()
    assert abs(poly.diagnostics["r2"][0] - empirical_r2) < 2e-3


def test_one_component_is_the_gaussian_closed_form(network) -> None:
    mean, cov = np.array([0.3, -0.2, 0.1, 0.0]), 0.5 * np.eye(4) + 0.05
    one = mixture_from_spec([1.0], [mean], [cov], network.variable_names, "test")
    got = expand_lsq_any(network, 3, mixture=one)
    want = expand_lsq(network, 3, mean=mean, cov=cov)
    assert np.array_equal(got.exponents, want.exponents)
    np.testing.assert_allclose(got.coefficients, want.coefficients, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got.diagnostics["r2"], want.diagnostics["r2"], rtol=1e-10)


def test_gaussian_moments_by_hand() -> None:
    mu, s2 = 0.7, 1.3
    moments = gaussian_monomial_moments(np.array([mu]), np.array([[s2]]), 4)
    assert moments[(4,)] == pytest.approx(mu**4 + 6 * mu**2 * s2 + 3 * s2**2, rel=1e-14)
    assert moments[(3,)] == pytest.approx(mu**3 + 3 * mu * s2, rel=1e-14)
    cov = np.array([[1.5, 0.4], [0.4, 0.8]])
    moments = gaussian_monomial_moments(np.zeros(2), cov, 4)
    assert moments[(2, 2)] == pytest.approx(1.5 * 0.8 + 2 * 0.4**2, rel=1e-14)  # Isserlis
    assert moments[(3, 1)] == pytest.approx(3 * 1.5 * 0.4, rel=1e-14)
    assert moments[(1, 2)] == 0.0


def test_em_recovers_the_mixture_it_was_sampled_from(mixture: GaussianMixture) -> None:
    x = sample_mixture(mixture, 5000, np.random.default_rng(3))
    fitted = fit_mixture(x, 2, seed=0, source="rows")
    order = np.argsort(fitted.means[:, 0])[::-1]  # the component with x1 ≈ +1 first, as in SPEC
    np.testing.assert_allclose(fitted.weights[order], SPEC["weights"], atol=0.02)
    np.testing.assert_allclose(fitted.means[order], SPEC["means"], atol=0.06)
    np.testing.assert_allclose(fitted.covs[order], SPEC["covs"], atol=0.06)
    again = fit_mixture(x, 2, seed=0, source="rows")
    assert np.array_equal(again.means, fitted.means)


def test_cli_gaussian_mixture_file_and_fitted_mixture(tmp_path: Path, network, mixture: GaussianMixture) -> None:
    (tmp_path / "mix.json").write_text(json.dumps(SPEC))
    x = sample_mixture(mixture, 4000, np.random.default_rng(4))
    header = ",".join(network.variable_names)
    np.savetxt(tmp_path / "d.csv", x, delimiter=",", header=header, comments="", fmt="%.17g")
    runner = CliRunner()
    result = runner.invoke(cli, ["convert", str(ONE_HIDDEN), "-m", "lsq", "-q", "2", "--gaussian", str(tmp_path / "mix.json"),
                                 "-o", str(tmp_path / "g.json")])
    assert result.exit_code == 0, result.output
    poly = load_polynomial(tmp_path / "g.json")
    assert poly.method["input_model"] == "gaussian mixture" and poly.method["mixture"]["weights"] == SPEC["weights"]
    np.testing.assert_allclose(poly.coefficients, expand_lsq_any(network, 2, mixture=mixture).coefficients, rtol=1e-12)
    result = runner.invoke(cli, ["convert", str(ONE_HIDDEN), "-m", "lsq", "-q", "2", "--data", str(tmp_path / "d.csv"),
                                 "--mixture", "2", "-o", str(tmp_path / "d.json")])
    assert result.exit_code == 0, result.output
    fitted = load_polynomial(tmp_path / "d.json")
    assert fitted.method["components"] == 2 and fitted.method["input_model"] == "gaussian mixture fitted to data"
    # fitted to 4,000 draws, the polynomial is close to the one of the true mixture where the data lives
    gap = np.abs(fitted.evaluate(x) - poly.evaluate(x)).max()
    assert gap < 0.05 * np.abs(network.forward(x)).max()


@pytest.mark.parametrize("args, message", [
    (["--mixture", "2"], "--mixture k fits a k-component Gaussian mixture to --data"),
    (["--mixture", "0"], "'--mixture': 0 is not in the range"),
])
def test_cli_mixture_refusals(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["convert", str(ONE_HIDDEN), "-m", "lsq", *args, "-o", "never.json"])
    assert message in one_error_line(result)
    assert not Path("never.json").exists()


@pytest.mark.parametrize("change, message", [
    ({"weights": [0.3, 0.6]}, "sum to 1"),
    ({"means": [[1.0, 0.0]]}, "'means' is 1x2, expected 2x4"),
    ({"covs": [np.eye(4).tolist(), (-np.eye(4)).tolist()]}, "covs[1] is not positive semi-definite"),
    ({"extra": 1}, "unknown field 'extra'"),
])
def test_bad_mixture_files_are_one_line(tmp_path: Path, change: dict, message: str) -> None:
    (tmp_path / "mix.json").write_text(json.dumps({**SPEC, **change}))
    result = CliRunner().invoke(cli, ["convert", str(ONE_HIDDEN), "-m", "lsq", "--gaussian", str(tmp_path / "mix.json"),
                                      "-o", str(tmp_path / "out.json")])
    assert message in one_error_line(result)
    assert not (tmp_path / "out.json").exists()


def test_a_deeper_network_is_fitted_on_draws_from_the_mixture() -> None:
    deep = load_network(SAMPLES / "k3_t2o15_seq_relu_6-8-8-1.onnx")
    n = deep.input_size
    mixture = mixture_from_spec([0.5, 0.5], [np.full(n, 0.5), np.full(n, -0.5)], [np.eye(n) * 0.3] * 2,
                                deep.variable_names, "test")
    poly = expand_lsq_any(deep, 2, mixture=mixture, samples=20_000, seed=2)
    assert poly.method["solution"] == "empirical" and poly.method["input_model"] == "gaussian mixture"
    assert poly.method["fitted_on"] == "data rows" and poly.diagnostics["r2"][0] > 0.5
