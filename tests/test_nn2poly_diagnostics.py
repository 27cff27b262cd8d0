"""``--data DATA.csv``: pre-activation ranges against the Taylor validity interval, and R² against the network.

"Within 1%" is |T_q(u) − g(u)| ≤ 0.01 · max(|g(u)|, 1). Oracles: Taylor coefficients from SymPy
derivatives of the closed forms, the interval's end found by scipy's brentq on that definition;
shares outside counted in the test on a one-neuron network whose pre-activation is the input;
R² from onnxruntime's outputs and the artifact's coefficients evaluated by numpy.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from oracles import artifact_exponents
import pytest
import sympy as sp
from click.testing import CliRunner
from scipy.optimize import brentq

from polyx.cli.main import cli
from polyx.converters.ir.chain import Activation
from polyx.expansion.diagnostics.taylor_diagnostics import taylor_validity_interval

SAMPLES = Path(__file__).parents[1] / "sample_models"
T = sp.Symbol("t")
FORMS = {"tanh": sp.tanh(T), "sin": sp.sin(T), "softplus": sp.log(1 + sp.exp(T)), "sigmoid": 1 / (1 + sp.exp(-T))}
NUMPY = {"tanh": np.tanh, "sin": np.sin, "softplus": lambda u: np.logaddexp(0.0, u), "sigmoid": lambda u: 1 / (1 + np.exp(-u))}


def _excess(name: str, center: float, order: int):
    """u ↦ |T_q(u) − g(u)| − 0.01·max(|g(u)|, 1): ≤ 0 exactly where the Taylor polynomial is within 1%."""
    coefficients = [float(sp.diff(FORMS[name], T, n).subs(T, center)) / math.factorial(n) for n in range(order + 1)]
    g = NUMPY[name]
    return lambda u: abs(sum(c * (u - center) ** n for n, c in enumerate(coefficients)) - g(u)) - 0.01 * max(abs(g(u)), 1.0)


def _first_crossing(excess, center: float, direction: float) -> float:
    step = 1e-3 * direction
    u = center
    while excess(u + step) <= 0:
        u += step
    return brentq(excess, u, u + step, xtol=1e-13)


@pytest.mark.parametrize(("name", "center", "order"), [("tanh", 0.0, 8), ("sin", 0.3, 5), ("softplus", 1.0, 4),
                                                       ("sigmoid", -0.5, 3), ("tanh", 0.0, 2)])
def test_validity_interval_ends_where_the_error_reaches_one_percent(name: str, center: float, order: int) -> None:
    """The ends agree with brentq to 1e-9 (the polyx bisection stops at ~1e-12)."""
    excess = _excess(name, center, order)
    low, high = taylor_validity_interval(Activation.of(name), center, order)
    assert low == pytest.approx(_first_crossing(excess, center, -1.0), abs=1e-9)
    assert high == pytest.approx(_first_crossing(excess, center, 1.0), abs=1e-9)


def test_nn2polys_tanh_order_8_is_good_to_about_0_95() -> None:
    """nn2poly's default (tanh, q = 8, centre 0): the error |T_8 − tanh| reaches 0.01 at |u| ≈ 0.949,
    which is why its weight constraint keeps pre-activations within about ±1."""
    low, high = taylor_validity_interval(Activation.of("tanh"), 0.0, 8)
    assert (round(low, 3), round(high, 3)) == (-0.949, 0.949)


def _one_neuron_model(path: Path) -> Path:
    """y = tanh(x): the single pre-activation is the input itself."""
    path.write_text(json.dumps({"weights": [[[0.0], [1.0]], [[0.0], [1.0]]], "activations": ["tanh", "linear"]}))
    return path


def _csv(path: Path, values: np.ndarray) -> Path:
    path.write_text("x1\n" + "\n".join(repr(v) for v in values.tolist()) + "\n")
    return path


def test_share_outside_and_the_warning_above_five_percent(tmp_path: Path) -> None:
    model = _one_neuron_model(tmp_path / "one.json")
    values = np.linspace(-2.0, 2.0, 401)
    data = _csv(tmp_path / "wide.csv", values)
    out = tmp_path / "one.poly.json"
    result = CliRunner().invoke(cli, ["convert", str(model), "--order", "3", "--data", str(data), "-o", str(out)])
    assert result.exit_code == 0, result.output
    row = json.loads(out.read_text())["diagnostics"]["layers"][0]
    bound = _first_crossing(_excess("tanh", 0.0, 8), 0.0, 1.0)
    expected_share = np.count_nonzero(np.abs(values) > bound) / values.size
    assert row["taylor_outside"] == pytest.approx(expected_share, abs=1e-15)
    assert row["preactivation_range"] == [-2.0, 2.0]
    assert f"{expected_share:.1%} of the pre-activations on {data} lie outside [-0.949, 0.949]" in result.stderr
    assert "where the order-8 Taylor polynomial stays within 1% of tanh" in result.stderr
    assert "pre-activations on" in result.stdout and "Taylor 1%" in result.stdout


def test_no_warning_when_the_data_stays_inside(tmp_path: Path) -> None:
    """Inside ±0.94 nothing falls outside; a share of exactly 5% (20 of 400 rows) does not warn either."""
    model = _one_neuron_model(tmp_path / "one.json")
    inside = np.linspace(-0.94, 0.94, 380)
    for name, values in (("inside", inside), ("five_percent", np.concatenate([inside, np.full(20, 1.5)]))):
        data = _csv(tmp_path / f"{name}.csv", values)
        result = CliRunner().invoke(cli, ["convert", str(model), "--data", str(data), "-o", str(tmp_path / "o.json")])
        assert result.exit_code == 0, result.output
        assert "warning" not in result.stderr
    row = json.loads((tmp_path / "o.json").read_text())["diagnostics"]["layers"][0]
    assert row["taylor_outside"] == 0.05


def _onnxruntime_r2(model: Path, artifact: dict, x: np.ndarray) -> float:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(model))
    reference = session.run(None, {session.get_inputs()[0].name: x.astype(np.float32)})[0][:, 0].astype(np.float64)
    exponents, coefficients = artifact_exponents(artifact), np.array(artifact["coefficients"])[0]
    prediction = np.prod(x[:, None, :] ** exponents[None], axis=2) @ coefficients
    return float(1.0 - np.sum((prediction - reference) ** 2) / np.sum((reference - reference.mean()) ** 2))


def test_r2_and_layer_table_on_a_trained_model(tmp_path: Path) -> None:
    """R² agrees with onnxruntime's to 1e-5 (the model is float32: outputs differ by ~1e-6)."""
    model, data = SAMPLES / "polynomial4_tanh2_l1.onnx", SAMPLES / "polynomial4.csv"
    out = tmp_path / "tanh2.poly.json"
    result = CliRunner().invoke(cli, ["convert", str(model), "-q", "4", "--data", str(data), "-o", str(out)])
    assert result.exit_code == 0, result.output
    artifact = json.loads(out.read_text())
    diagnostics = artifact["diagnostics"]
    assert diagnostics["data"] == {"source": str(data), "rows": 2000}
    assert [row["layer"] for row in diagnostics["layers"]] == [1, 2]
    x = np.loadtxt(data, delimiter=",", skiprows=1)[:, :4]
    r2 = _onnxruntime_r2(model, artifact, x)
    assert diagnostics["r2_vs_network"]["taylor"][0] == pytest.approx(r2, abs=1e-5)
    assert f"R² vs the network on {data}: Taylor {diagnostics['r2_vs_network']['taylor'][0]:.6g}" in result.stdout


def test_data_beyond_the_fitted_range_warns(tmp_path: Path) -> None:
    """Fitted on [-1, 1] and checked on [-2, 2]: the rows with |x| > 1.1 (the fitted interval with its
    5% margin) fall outside, 45% of them, counted here."""
    model = _one_neuron_model(tmp_path / "one.json")
    fit = _csv(tmp_path / "fit.csv", np.linspace(-1.0, 1.0, 201))
    values = np.linspace(-2.0, 2.0, 401)
    data = _csv(tmp_path / "check.csv", values)
    out = tmp_path / "one.poly.json"
    result = CliRunner().invoke(cli, ["convert", str(model), "--fit", str(fit), "--data", str(data), "-o", str(out)])
    assert result.exit_code == 0, result.output
    row = json.loads(out.read_text())["diagnostics"]["layers"][0]
    assert row["fit_interval"] == pytest.approx([-1.1, 1.1], abs=1e-12)
    assert row["fit_outside"] == np.count_nonzero(np.abs(values) > 1.1 + 1e-12) / values.size
    assert f"lie outside the intervals fitted on {fit}" in result.stderr
