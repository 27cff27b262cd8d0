"""Standardised coordinates and the exact change of variables back to raw units (issue 17, part 1).

Oracles: SymPy's expansion of p((x − μ)/σ) for the change of variables (exact rationals turned to
float64, to 1e-12 relative); an independent numpy forward pass of the issue's standardising network
(tests/standardized_models.py, not polyx's loader) for the R² of the raw-unit polynomial; the
network evaluated at μ + σ z for the re-parametrised models.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import sympy
from click.testing import CliRunner

from polyx.cli.main import cli
from polyx.converters.load import load_network
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.expansion.methods.standardized_input import standardized_network
from polyx.expansion.polynomials.units import (
    Standardization, artifact_in_raw_units, raw_to_standardized, standardized_to_raw,
)
from standardized_models import (
    MEAN, SCALE, save_rows, save_standardized_model, standardized_forward, standardized_rows, standardized_weights,
)

GRAPHS = Path(__file__).parent / "data" / "graphs"


def _full_polynomial(n: int, degree: int, seed: int) -> Polynomial:
    exponents = [e for e in np.ndindex(*(degree + 1,) * n) if sum(e) <= degree]
    rng = np.random.default_rng(seed)
    return Polynomial(tuple(f"x{i + 1}" for i in range(n)), ("y",), np.array(exponents), rng.normal(size=(1, len(exponents))))


def _sympy_coefficients(polynomial: Polynomial, substitute: list) -> dict[tuple[int, ...], float]:
    symbols = sympy.symbols(" ".join(polynomial.variables))
    expression = sum(sympy.Rational(float(c)) * sympy.Mul(*[s ** int(k) for s, k in zip(symbols, e)])
                     for c, e in zip(polynomial.coefficients[0], polynomial.exponents))
    expanded = sympy.Poly(sympy.expand(expression.subs(dict(zip(symbols, substitute(symbols))), simultaneous=True)),
                          *symbols)
    return {tuple(monomial): float(value) for monomial, value in zip(expanded.monoms(), expanded.coeffs())}


def _assert_coefficients(polynomial: Polynomial, expected: dict[tuple[int, ...], float]) -> None:
    got = {tuple(int(k) for k in e): float(c) for e, c in zip(polynomial.exponents, polynomial.coefficients[0])}
    scale = max(abs(v) for v in expected.values())
    for monomial in set(got) | set(expected):
        assert got.get(monomial, 0.0) == pytest.approx(expected.get(monomial, 0.0), abs=1e-12 * scale)


def test_standardized_to_raw_is_sympys_substitution() -> None:
    q = _full_polynomial(3, 3, seed=1)
    mu, sigma = [10, -20, 3], [2, 0.5, 4]
    raw = standardized_to_raw(q, Standardization(mu, sigma))
    rational = [sympy.Rational(v) for v in sigma]
    _assert_coefficients(raw, _sympy_coefficients(q, lambda s: [(x - m) / d for x, m, d in zip(s, mu, rational)]))


def test_raw_to_standardized_is_sympys_substitution_and_inverts() -> None:
    p = _full_polynomial(2, 4, seed=2)
    standardization = Standardization([5, -3], [2, 3])
    z = raw_to_standardized(p, standardization)
    _assert_coefficients(z, _sympy_coefficients(p, lambda s: [5 + 2 * s[0], -3 + 3 * s[1]]))
    back = standardized_to_raw(z, standardization)
    np.testing.assert_allclose(back.coefficients, p.coefficients, rtol=0, atol=1e-10)


def test_a_centred_polynomial_is_moved_with_its_centre() -> None:
    p = _full_polynomial(2, 3, seed=3)
    centred = Polynomial(p.variables, p.outputs, p.exponents, p.coefficients, center=np.array([1.5, -2.0]))
    standardization = Standardization([4, 1], [0.5, 2])
    z = raw_to_standardized(centred, standardization)
    rows = np.random.default_rng(0).normal(size=(50, 2))
    np.testing.assert_allclose(z.evaluate(rows), centred.evaluate(np.array([4, 1]) + np.array([0.5, 2]) * rows),
                               rtol=1e-11, atol=1e-11)


def test_a_pruned_polynomial_cannot_be_moved_and_says_why() -> None:
    p = _full_polynomial(2, 2, seed=4).with_terms(np.array([0, 3, 4, 5]))  # no x1, x2 terms
    with pytest.raises(Exception, match="not closed under division"):
        raw_to_standardized(p, Standardization([1, 1], [1, 1]))


@pytest.mark.parametrize("name", ["res_0_ts17", "glu_2_ts13"])
def test_a_graph_in_standardised_coordinates_is_the_graph_at_mu_plus_sigma_z(name: str) -> None:
    graph = load_network(GRAPHS / f"{name}.onnx")
    rng = np.random.default_rng(5)
    mu, sigma = rng.normal(size=graph.input_size), rng.uniform(0.5, 2, graph.input_size)
    z = rng.normal(size=(20, graph.input_size))
    moved = standardized_network(graph, Standardization(mu, sigma))
    np.testing.assert_allclose(moved.forward(z), graph.forward(mu + sigma * z), rtol=1e-12, atol=1e-12)


@pytest.fixture(scope="module")
def reproduction(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("standardized")
    weights = standardized_weights(seed=0)
    return {
        "folder": folder, "weights": weights,
        "model": save_standardized_model(folder / "std.onnx", weights),
        "data": save_rows(folder / "raw.csv", standardized_rows(2000, seed=0)),
        "held": standardized_rows(500, seed=1),
    }


def _convert(reproduction: dict, name: str, *args: str):
    out = reproduction["folder"] / name
    result = CliRunner().invoke(cli, ["convert", str(reproduction["model"]), "-q", "3", "-o", str(out), *args])
    return result, out


def _r2(truth: np.ndarray, estimate: np.ndarray) -> float:
    return float(1 - ((truth - estimate) ** 2).sum() / ((truth - truth.mean()) ** 2).sum())


def test_issue_17_nn2poly_with_data_is_as_good_as_the_fit_and_in_raw_units(reproduction: dict) -> None:
    from polyx.expansion.writers.artifact import load_polynomial

    result, out = _convert(reproduction, "taylor.json", "--data", str(reproduction["data"]))
    assert result.exit_code == 0, result.output
    fitted, fit_out = _convert(reproduction, "fit.json", "--fit", str(reproduction["data"]))
    assert fitted.exit_code == 0, fitted.output
    held = reproduction["held"]
    truth = standardized_forward(held, reproduction["weights"])
    taylor = load_polynomial(out)
    assert taylor.method["units"] == "raw" and taylor.method["expanded_in"] == "standardized"
    r2_taylor = _r2(truth, taylor.evaluate(held))  # the artifact evaluated on raw x, no help from polyx
    r2_fit = _r2(truth, artifact_in_raw_units(load_polynomial(fit_out)).evaluate(held))
    assert r2_taylor > 0.999 and r2_fit > 0.999
    assert abs(r2_taylor - r2_fit) < 1e-3
    reported = json.loads(out.read_text())["diagnostics"]["r2_vs_network"]["taylor"][0]
    assert reported == pytest.approx(_r2(standardized_forward(standardized_rows(2000), reproduction["weights"]),
                                         taylor.evaluate(standardized_rows(2000))), abs=1e-9)


def test_issue_17_raw_expansion_blames_truncation_far_from_the_origin(reproduction: dict) -> None:
    result, out = _convert(reproduction, "raw.json", "--data", str(reproduction["data"]), "--center", "0", "--scale", "1")
    assert result.exit_code == 0, result.output
    artifact = json.loads(out.read_text())
    assert artifact["diagnostics"]["r2_vs_network"]["taylor"][0] < 0
    assert "truncation far from the origin, not the activation region" in result.stderr
    assert artifact["diagnostics"]["origin_distance"]["standard_deviations"] == pytest.approx(
        np.max(np.abs(standardized_rows().mean(0)) / standardized_rows().std(0)))


def test_standardized_units_artifact_predicts_like_the_raw_one(reproduction: dict) -> None:
    from polyx.expansion.writers.artifact import load_polynomial

    _, raw = _convert(reproduction, "r.json", "--data", str(reproduction["data"]))
    result, z = _convert(reproduction, "z.json", "--data", str(reproduction["data"]), "--units", "standardized")
    assert result.exit_code == 0, result.output
    written = load_polynomial(z)
    held = reproduction["held"]
    mu, sigma = np.array(written.method["standardization"]["center"]), np.array(written.method["standardization"]["scale"])
    np.testing.assert_allclose(written.evaluate((held - mu) / sigma), load_polynomial(raw).evaluate(held), rtol=1e-9)
    np.testing.assert_allclose(mu, standardized_rows().mean(0), rtol=1e-15)
    np.testing.assert_allclose(artifact_in_raw_units(written).evaluate(held), load_polynomial(raw).evaluate(held),
                               rtol=1e-9)


def test_given_center_and_scale_are_used_exactly(reproduction: dict) -> None:
    from polyx.expansion.writers.artifact import load_polynomial

    args = ("--center", ",".join(map(str, MEAN)), "--scale", ",".join(map(str, SCALE)), "--units", "standardized")
    result, out = _convert(reproduction, "given.json", *args)
    assert result.exit_code == 0, result.output
    z = load_polynomial(out)
    # in z the model is tanh(W1 z + b1): its nn2poly polynomial is the chain's own, standardisation-free
    rng = np.random.default_rng(3)
    rows = rng.normal(scale=0.3, size=(50, 4))
    truth = standardized_forward(MEAN + SCALE * rows, reproduction["weights"])
    assert _r2(truth, z.evaluate(rows)) > 0.999


def test_no_data_keeps_nn2polys_coefficients(reproduction: dict) -> None:
    result, out = _convert(reproduction, "plain.json", "--taylor-center", "0")
    assert result.exit_code == 0, result.output
    artifact = json.loads(out.read_text())
    assert "standardization" not in artifact["method"] and "units" not in artifact["method"]


@pytest.mark.parametrize(("args", "message"), [
    (("--units", "standardized"), "--units standardized needs the inputs' centre and scale"),
    (("--scale", "0"), "--scale must list positive numbers"),
    (("--center", "1,2"), "--center lists 2 values for a model with 4 inputs"),
])
def test_bad_units_options_are_one_line_errors(reproduction: dict, args: tuple, message: str) -> None:
    result, out = _convert(reproduction, "bad.json", *args)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output
    assert not out.exists()
