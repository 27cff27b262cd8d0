"""Acceptance on the trained sample models (sample_models/polynomial4_*, their CSV of 2000 rows).

Models trained with nn2poly's l1 constraint: nn2poly's polynomial of order 4 reaches R² ≥ 0.99
against the network (measured ≥ 0.9993). At order 2–3 the two-layer model reaches only 0.981: its
quartic terms carry 2.5% of the output's variance and truncation drops them (docs/methods/nn2poly.md).
Unconstrained models: the plain Taylor expansion diverges (pre-activations up to 8, far outside
tanh's and softplus's radius of convergence) and ``--fit`` recovers R² ≥ 0.99.

Oracle for the network: onnxruntime on the float32 files (not polyx's forward pass); the
polynomial is evaluated from the artifact's exponents and coefficients with numpy.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from oracles import artifact_exponents
import pytest
from click.testing import CliRunner

from polyx.cli.main import cli

SAMPLES = Path(__file__).parents[1] / "sample_models"
DATA = SAMPLES / "polynomial4.csv"
ORDER = "4"


@pytest.fixture(scope="module")
def inputs() -> np.ndarray:
    return np.loadtxt(DATA, delimiter=",", skiprows=1)[:, :4]


def _network_outputs(model: Path, x: np.ndarray) -> np.ndarray:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(model))
    return session.run(None, {session.get_inputs()[0].name: x.astype(np.float32)})[0][:, 0].astype(np.float64)


def _polynomial_outputs(artifact: dict, x: np.ndarray) -> np.ndarray:
    exponents, coefficients = artifact_exponents(artifact), np.array(artifact["coefficients"])[0]
    return np.prod(x[:, None, :] ** exponents[None], axis=2) @ coefficients


def _r2(prediction: np.ndarray, reference: np.ndarray) -> float:
    return float(1.0 - np.sum((prediction - reference) ** 2) / np.sum((reference - reference.mean()) ** 2))


def _convert(model: Path, out: Path, *options: str) -> dict:
    result = CliRunner().invoke(cli, ["convert", str(model), "-q", ORDER, "-o", str(out), *options])
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())


@pytest.mark.parametrize("name", ["tanh_l1", "tanh_l1_k3_t2o15", "tanh2_l1", "softplus_l1"])
def test_constrained_models_reach_r2_099_with_nn2polys_expansion(name: str, inputs: np.ndarray, tmp_path: Path) -> None:
    model = SAMPLES / f"polynomial4_{name}.onnx"
    artifact = _convert(model, tmp_path / "model.poly.json", "--data", str(DATA))
    r2 = _r2(_polynomial_outputs(artifact, inputs), _network_outputs(model, inputs))
    assert r2 >= 0.99
    assert artifact["diagnostics"]["r2_vs_network"]["taylor"][0] == pytest.approx(r2, abs=1e-5)
    assert all(row["taylor_outside"] <= 0.05 for row in artifact["diagnostics"]["layers"])


@pytest.mark.parametrize("name", ["tanh_free", "tanh2_free", "softplus_free"])
def test_unconstrained_models_fit_beats_plain_taylor(name: str, inputs: np.ndarray, tmp_path: Path) -> None:
    model = SAMPLES / f"polynomial4_{name}.onnx"
    reference = _network_outputs(model, inputs)
    taylor = _r2(_polynomial_outputs(_convert(model, tmp_path / "taylor.poly.json"), inputs), reference)
    fitted = _convert(model, tmp_path / "fit.poly.json", "--fit", str(DATA))
    fit = _r2(_polynomial_outputs(fitted, inputs), reference)
    assert taylor < 0.6 and fit >= 0.99
    r2 = fitted["diagnostics"]["r2_vs_network"]
    assert r2["fit"][0] == pytest.approx(fit, abs=1e-5)
    assert r2["taylor"][0] == pytest.approx(taylor, rel=1e-5)
