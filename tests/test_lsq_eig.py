"""``polyx show --eig``: the quadratic form G of each output and its eigendecomposition.

Oracles: xᵀGx against the polynomial's own degree-2 terms evaluated term by term (so G's factor of
½ on the cross terms is checked), and numpy.linalg.eigvalsh of a G assembled here from the raw
coefficient list. Tolerances are float64 rounding (1e-12 relative).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

import polyx
from polyx.cli.main import cli
from polyx.errors import DataError
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.expansion.polynomials.quadratic_form import direction_text, quadratic_forms, quadratic_matrices
from polyx.expansion.kernel.space import MonomialSpace


def _random_polynomial(rng: np.random.Generator, n: int = 4, order: int = 3, outputs: int = 2) -> Polynomial:
    exponents = MonomialSpace(n, order).all_exponents()
    return Polynomial(tuple(f"x{i + 1}" for i in range(n)), tuple(f"y{o + 1}" for o in range(outputs)), exponents,
                      rng.normal(size=(outputs, len(exponents))), method={"name": "test"})


def test_the_quadratic_form_is_the_degree_two_part():
    rng = np.random.default_rng(31)
    polynomial = _random_polynomial(rng)
    quadratic = polynomial.exponents.sum(axis=1) == 2
    only_quadratic = polynomial.with_terms(quadratic)
    x = rng.normal(size=(6, 4))
    matrices = quadratic_matrices(polynomial)
    assert np.allclose(np.einsum("ri,oij,rj->ro", x, matrices, x), only_quadratic.evaluate(x), rtol=1e-12)
    assert np.array_equal(matrices, np.transpose(matrices, (0, 2, 1)))


def test_eigenpairs_diagonalise_g_largest_magnitude_first():
    rng = np.random.default_rng(32)
    polynomial = _random_polynomial(rng)
    for form in quadratic_forms(polynomial):
        assert np.allclose(form.matrix @ form.eigenvectors, form.eigenvectors * form.eigenvalues, atol=1e-12)
        assert np.allclose(form.eigenvectors.T @ form.eigenvectors, np.eye(4), atol=1e-12)
        assert np.all(np.diff(np.abs(form.eigenvalues)) <= 1e-15)
        assert np.isclose(form.shares.sum(), 1.0)


def test_direction_text_names_the_largest_loadings():
    assert direction_text(np.array([0.1, -0.8, 0.59, 0.0]), ["a", "b", "c", "d"], loadings=2) == "−0.8·b + 0.59·c + …"


def test_a_polynomial_without_quadratic_terms_is_refused():
    linear = Polynomial(("x1", "x2"), ("y1",), [[0, 0], [1, 0], [0, 1]], [[1.0, 2.0, 3.0]], method={"name": "test"})
    with pytest.raises(DataError, match="no degree-2 terms"):
        quadratic_forms(linear)


@pytest.fixture
def artifact(tmp_path):
    rng = np.random.default_rng(33)
    polynomial = _random_polynomial(rng, n=3, order=2, outputs=1)
    path = tmp_path / "p.json"
    polyx.save_polynomial(polynomial, path)
    return path, polynomial


def _g_from_coefficients(polynomial: Polynomial) -> np.ndarray:
    g = np.zeros((3, 3))
    for exponent, coefficient in zip(polynomial.exponents, polynomial.coefficients[0]):
        if exponent.sum() == 2:
            i, j = np.repeat(np.arange(3), exponent)
            g[i, j] += coefficient / (1 if i == j else 2)
            if i != j:
                g[j, i] += coefficient / 2
    return g


def test_show_eig_table(artifact):
    path, polynomial = artifact
    result = CliRunner().invoke(cli, ["show", str(path), "--eig", "--digits", "8"])
    assert result.exit_code == 0, result.output
    assert "y1: quadratic form xᵀGx, 3 of 3 eigenvalues" in result.output
    for value in np.linalg.eigvalsh(_g_from_coefficients(polynomial)):
        assert f"{value:.8g}" in result.output
    assert "·x1" in result.output and "·x3" in result.output


def test_show_eig_json(artifact):
    path, polynomial = artifact
    result = CliRunner().invoke(cli, ["show", str(path), "--eig", "--format", "json", "--top", "2"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["variables"] == ["x1", "x2", "x3"]
    (output,) = data["outputs"]
    assert np.allclose(output["matrix"], _g_from_coefficients(polynomial), rtol=1e-15)
    expected = np.linalg.eigvalsh(_g_from_coefficients(polynomial))
    assert np.allclose(output["eigenvalues"], sorted(expected, key=abs, reverse=True)[:2], rtol=1e-12)
    assert len(output["eigenvectors"]) == 2 and len(output["eigenvectors"][0]) == 3


def test_show_eig_refuses_latex_and_linear_polynomials(artifact, tmp_path):
    path, _ = artifact
    result = CliRunner().invoke(cli, ["show", str(path), "--eig", "--format", "latex"])
    assert result.exit_code == 2 and "--eig prints a table or JSON" in result.output
    linear = tmp_path / "linear.json"
    polyx.save_polynomial(Polynomial(("x1",), ("y1",), [[0], [1]], [[1.0, 2.0]], method={"name": "test"}), linear)
    result = CliRunner().invoke(cli, ["show", str(linear), "--eig"])
    assert result.exit_code == 2 and "no degree-2 terms" in result.output
