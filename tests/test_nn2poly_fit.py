"""``--fit DATA.csv``: every activation replaced by a least-squares polynomial over the data's range.

Oracles, all independent of polyx's fitting code: the fit intervals from a numpy forward pass;
each neuron's least-squares polynomial from ``numpy.linalg.lstsq`` on a power-basis Vandermonde
matrix at the Chebyshev points (polyx uses discrete orthogonality in the Chebyshev basis); the
composition from SymPy expanding Σ_k w_k p_k(w_k·x + b_k) + b exactly; R² from onnxruntime's
outputs. Tolerances are stated where used.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from oracles import artifact_exponents
import pytest
import sympy as sp
from click.testing import CliRunner

from polyx import expand
from polyx.cli.main import cli
from polyx.converters.ir.chain import Activation, DenseLayer, Network
from polyx.errors import DataError, MethodError

SAMPLES = Path(__file__).parents[1] / "sample_models"
MARGIN = 0.05


def _relu_network(rng: np.random.Generator, widths: tuple[int, ...]) -> Network:
    layers = []
    for n_in, n_out in zip(widths[:-2], widths[1:-1]):
        layers.append(DenseLayer(rng.normal(size=(n_out, n_in)), rng.normal(size=n_out), Activation.of("relu")))
    layers.append(DenseLayer(rng.normal(size=(widths[-1], widths[-2])), rng.normal(size=widths[-1])))
    return Network(tuple(layers))


def _chebyshev_points(low: float, high: float, count: int) -> np.ndarray:
    theta = np.pi * (np.arange(count) + 0.5) / count
    return 0.5 * (low + high) + 0.5 * (high - low) * np.cos(theta)


def _lstsq_fit(function, low: float, high: float, degree: int) -> np.ndarray:
    """Power coefficients in s = (u − mid)/half of the least-squares fit at the Chebyshev points."""
    points = _chebyshev_points(low, high, max(64, 4 * (degree + 1)))
    scaled = (points - 0.5 * (low + high)) / (0.5 * (high - low))
    return np.linalg.lstsq(np.vander(scaled, degree + 1, increasing=True), function(points), rcond=None)[0]


def test_one_relu_layer_is_the_sum_of_the_neurons_least_squares_polynomials() -> None:
    """Q = q = 3 and a linear output: nothing is truncated, so the polynomial is exactly
    Σ_k w_k p_k(u_k) + b. SymPy expands that from lstsq fits; both sides are float64 solutions of
    the same least-squares problem by different algorithms, so 1e-10 of the largest coefficient."""
    rng = np.random.default_rng(3)
    network = _relu_network(rng, (2, 5, 1))
    data = rng.uniform(-1.0, 1.0, (400, 2))
    polynomial = expand(network, "nn2poly", 3, fit=data, fit_source="data.csv")
    hidden, output = network.layers
    pre = data @ hidden.weight.T + hidden.bias
    x1, x2 = sp.symbols("x1 x2")
    expected = sp.Float(output.bias[0])
    for k in range(hidden.out_features):
        low, high = pre[:, k].min(), pre[:, k].max()
        low, high = low - MARGIN * (high - low), high + MARGIN * (high - low)
        coefficients = _lstsq_fit(lambda u: np.maximum(u, 0.0), low, high, 3)
        s = (hidden.weight[k, 0] * x1 + hidden.weight[k, 1] * x2 + hidden.bias[k] - (low + high) / 2) / ((high - low) / 2)
        expected += output.weight[0, k] * sum(c * s**j for j, c in enumerate(coefficients))
    expected_terms = sp.Poly(sp.expand(expected), x1, x2).as_dict()
    found = {tuple(row): value for row, value in zip(polynomial.exponents.tolist(), polynomial.coefficients[0])}
    scale = max(abs(float(v)) for v in expected_terms.values())
    assert set(found) == {(a, b) for a in range(4) for b in range(4) if a + b <= 3}
    for monomial, value in found.items():
        assert abs(value - float(expected_terms.get(monomial, 0.0))) <= 1e-10 * scale, monomial


def test_fit_intervals_cover_each_layers_data_range_with_the_margin() -> None:
    rng = np.random.default_rng(5)
    network = _relu_network(rng, (3, 6, 4, 1))
    data = rng.normal(size=(300, 3))
    polynomial = expand(network, "nn2poly", 2, fit=data, fit_source="train.csv")
    h, expected = data, []
    for layer in network.layers[:-1]:
        u = h @ layer.weight.T + layer.bias
        width = u.max(axis=0) - u.min(axis=0)
        expected.append([(u.min(axis=0) - MARGIN * width).min(), (u.max(axis=0) + MARGIN * width).max()])
        h = np.maximum(u, 0.0)
    rows = polynomial.diagnostics["layers"]
    assert [row["layer"] for row in rows] == [1, 2]
    for row, interval in zip(rows, expected):
        np.testing.assert_allclose(row["fit_interval"], interval, rtol=1e-12)
        assert row["fit_outside"] == 0.0
        assert row["taylor_interval"] is None and row["taylor_outside"] is None
        assert "relu is not analytic at the centre 0" in row["taylor_note"]
    assert polynomial.method["fit"] == {
        "data": "train.csv", "rows": 300, "margin": MARGIN,
        "points": "Chebyshev points of the first kind, least squares per neuron",
    }
    assert polynomial.method["taylor_orders"] == [2, 2, 1]
    r2 = polynomial.diagnostics["r2_vs_network"]
    assert r2["taylor"] is None and "not analytic" in r2["taylor_note"]


def test_fit_degree_follows_taylor_orders_when_given() -> None:
    rng = np.random.default_rng(6)
    network = _relu_network(rng, (2, 4, 1))
    polynomial = expand(network, "nn2poly", 3, taylor_orders=6, fit=rng.normal(size=(50, 2)))
    assert polynomial.method["taylor_orders"] == [6, 1]
    assert polynomial.diagnostics["layers"][0]["fit_degree"] == 6


def test_a_constant_neuron_gets_its_constant_value() -> None:
    """Zero incoming weights: the pre-activation is the bias on every row. The fit interval falls
    back to a small one around it, and the neuron contributes w·g(b) exactly (to rounding)."""
    layers = (DenseLayer(np.zeros((1, 2)), np.array([0.7]), Activation.of("tanh")), DenseLayer(np.array([[2.0]]), np.array([0.1])))
    polynomial = expand(Network(layers), "nn2poly", 3, fit=np.random.default_rng(0).normal(size=(20, 2)))
    assert np.isfinite(polynomial.coefficients).all()
    np.testing.assert_allclose(polynomial.coefficients[0, 0], 0.1 + 2.0 * np.tanh(0.7), rtol=1e-13)
    np.testing.assert_allclose(polynomial.coefficients[0, 1:], 0.0, atol=1e-13)


def test_taylor_order_one_on_relu_points_to_fit_and_the_fit_works() -> None:
    """Taylor order 1 still needs ReLU's derivative at 0: refused with the --fit hint; with --fit the
    neurons are fitted lines and the reported R² is the numpy R² against a numpy forward pass
    (same rows, same sums in another order: 1e-12)."""
    rng = np.random.default_rng(8)
    network = _relu_network(rng, (2, 4, 1))
    with pytest.raises(MethodError, match="not analytic at the Taylor centre 0.*`fit`"):
        expand(network, "nn2poly", 2, taylor_orders=1)
    data = rng.uniform(-1.0, 1.0, (300, 2))
    polynomial = expand(network, "nn2poly", 2, taylor_orders=1, fit=data)
    hidden, output = network.layers
    reference = np.maximum(data @ hidden.weight.T + hidden.bias, 0.0) @ output.weight.T + output.bias
    prediction = np.prod(data[:, None, :] ** polynomial.exponents[None], axis=2) @ polynomial.coefficients.T
    r2 = polynomial.diagnostics["r2_vs_network"]
    assert r2["taylor"] is None and "not analytic" in r2["taylor_note"]
    assert abs(r2["fit"][0] - _r2(prediction, reference)) < 1e-12


@pytest.mark.parametrize("bad", [np.zeros((5, 3)), np.array([[0.0, np.nan]]), np.zeros((0, 2))])
def test_bad_fit_rows_are_a_data_error(bad: np.ndarray) -> None:
    network = _relu_network(np.random.default_rng(1), (2, 3, 1))
    with pytest.raises(DataError):
        expand(network, "nn2poly", 2, fit=bad)


def _r2(prediction: np.ndarray, reference: np.ndarray) -> float:
    residual = np.sum((prediction - reference) ** 2)
    return float(1.0 - residual / np.sum((reference - reference.mean()) ** 2))


def test_relu_sample_model_through_the_cli(tmp_path: Path) -> None:
    """A torch ReLU export, fitted on a grid over [-1, 1]²; R² checked against onnxruntime
    (float32 network, so polyx's reported R² agrees to ~1e-6: 1e-5 allowed). A degree-4
    polynomial cannot follow eight ReLU kinks closely: the measured R² is 0.968."""
    import onnxruntime

    model = SAMPLES / "pt_dyn20_seq_relu_2-8-1.onnx"
    grid = np.stack(np.meshgrid(np.linspace(-1, 1, 21), np.linspace(-1, 1, 21)), axis=-1).reshape(-1, 2)
    csv = tmp_path / "grid.csv"
    csv.write_text("x1,x2\n" + "\n".join(f"{a!r},{b!r}" for a, b in grid.tolist()) + "\n")
    out = tmp_path / "relu.poly.json"
    result = CliRunner().invoke(cli, ["convert", str(model), "--order", "4", "--fit", str(csv), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"activations fitted on {csv} (441 rows, margin 5% of each range)" in result.stdout
    assert "no Taylor comparison: layer 1 uses relu, which is not analytic at the Taylor centre 0" in result.stdout
    artifact = json.loads(out.read_text())
    session = onnxruntime.InferenceSession(str(model))
    reference = session.run(None, {session.get_inputs()[0].name: grid.astype(np.float32)})[0].astype(np.float64)
    exponents, coefficients = artifact_exponents(artifact), np.array(artifact["coefficients"])
    prediction = (np.prod(grid[:, None, :] ** exponents[None], axis=2) @ coefficients.T)
    r2 = _r2(prediction, reference)
    assert r2 > 0.95
    assert abs(artifact["diagnostics"]["r2_vs_network"]["fit"][0] - r2) < 1e-5


def test_fit_csv_with_the_wrong_columns_exits_2(tmp_path: Path) -> None:
    csv = tmp_path / "three.csv"
    csv.write_text("a,b,c\n1,2,3\n")
    out = tmp_path / "out.poly.json"
    result = CliRunner().invoke(cli, ["convert", str(SAMPLES / "pt_dyn20_seq_relu_2-8-1.onnx"), "--fit", str(csv), "-o", str(out)])
    assert result.exit_code == 2
    assert "the model expects 2 input columns but found 3" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("separate_data", [False, True])
def test_fit_and_diagnostics_push_each_table_through_the_network_once(separate_data: bool, monkeypatch) -> None:
    """Ranges, shares outside, and the network's outputs for both R² come from one pass per table
    (the first layer sees each row once); the R² it reports still equals the numpy R² of the
    polynomial against a numpy forward pass (1e-12)."""
    rng = np.random.default_rng(9)
    network = Network((DenseLayer(rng.normal(size=(4, 2)), rng.normal(size=4), Activation("tanh")),
                       DenseLayer(rng.normal(size=(1, 4)), rng.normal(size=1))))
    fit_rows, data_rows = rng.uniform(-1, 1, (300, 2)), rng.uniform(-1, 1, (200, 2))
    first = network.layers[0]
    seen = []
    original = DenseLayer.preactivation

    def counting(layer: DenseLayer, h: np.ndarray) -> np.ndarray:
        if layer is first:
            seen.append(h.shape[0])
        return original(layer, h)

    monkeypatch.setattr(DenseLayer, "preactivation", counting)
    polynomial = expand(network, "nn2poly", 3, fit=fit_rows, data=data_rows if separate_data else None)
    monkeypatch.undo()
    checked = data_rows if separate_data else fit_rows
    assert sum(seen) == len(fit_rows) + (len(data_rows) if separate_data else 0)
    reference = np.tanh(checked @ first.weight.T + first.bias) @ network.layers[1].weight.T + network.layers[1].bias
    prediction = np.prod(checked[:, None, :] ** polynomial.exponents[None], axis=2) @ polynomial.coefficients.T
    r2 = polynomial.diagnostics["r2_vs_network"]
    assert abs(r2["fit"][0] - _r2(prediction, reference)) < 1e-12
    assert r2["taylor"] is not None
