"""Adversarial directions of ``polyx show --eig``: the exact trust-region maximiser and the step on the network.

Oracles: brute force over many random unit directions (for the maximiser), and onnxruntime running
the network at the base point and one step away: exactly the quadratic's change for a network that
is itself quadratic (a PyTorch bilinear export), and within O(ε³) of it for a Taylor expansion.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime
import pytest

from polyx.expansion.analysis.adversarial import maximise_on_sphere
from taylor_helpers import mlp_onnx, run_cli

BILINEAR = Path(__file__).parent.parent / "sample_models" / "graphs" / "pt_dyn18_bilinear.onnx"


def _sphere(n: int, count: int, seed: int = 0) -> np.ndarray:
    u = np.random.default_rng(seed).standard_normal((count, n))
    return u / np.linalg.norm(u, axis=1, keepdims=True)


def _objective(a: np.ndarray, matrix: np.ndarray, u: np.ndarray) -> np.ndarray:
    return u @ a + np.einsum("ij,jk,ik->i", u, matrix, u)


@pytest.mark.parametrize("case", ["generic", "hard", "no-gradient", "small-gradient"])
def test_the_maximiser_beats_every_sampled_direction(case: str) -> None:
    rng = np.random.default_rng(3)
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    matrix = q @ np.diag([1.0, -0.5, 0.2]) @ q.T
    a = {"generic": rng.standard_normal(3), "hard": 0.3 * q[:, 1], "no-gradient": np.zeros(3),
         "small-gradient": 1e-3 * rng.standard_normal(3)}[case]
    u = maximise_on_sphere(a, matrix)
    assert np.linalg.norm(u) == pytest.approx(1.0, abs=1e-12)
    best = _objective(a, matrix, u[None, :])[0]
    sampled = _objective(a, matrix, _sphere(3, 400_000))
    assert best >= sampled.max() - 1e-12
    assert best - sampled.max() <= 1e-3  # the samples come close: the maximiser is not off somewhere else


def _show_json(poly: Path, *options: str) -> dict:
    result = run_cli("show", poly, "--eig", "--format", "json", *options)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _network_change(model: Path, point: np.ndarray, step: np.ndarray, dtype: type) -> np.ndarray:
    session = onnxruntime.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    values = session.run(None, {session.get_inputs()[0].name: np.stack([point, point + step]).astype(dtype)})[0]
    return values[1].astype(np.float64) - values[0]


def test_a_quadratic_network_moves_exactly_as_the_quadratic(tmp_path: Path) -> None:
    poly = tmp_path / "bilinear.poly.json"
    assert run_cli("convert", BILINEAR, "-m", "lsq", "-q", 2, "-o", poly).exit_code == 0
    data = _show_json(poly, "--epsilon", "0.7", "--model", BILINEAR)
    steps = data["adversarial"]["steps"]
    assert data["adversarial"]["start"] == "the Gaussian mean" and len(steps) == 2
    for o, step in enumerate(steps):
        u = np.array(list(step["direction"].values()))
        assert np.linalg.norm(u) == pytest.approx(1.0, abs=1e-12)
        point = np.array(step["point"])
        change = _network_change(BILINEAR, point, 0.7 * u, np.float32)[o]
        assert step["network_change"] == pytest.approx(change, abs=1e-6)
        assert step["quadratic_change"] == pytest.approx(change, abs=2e-6)  # float32 network, |Δ| ≈ 0.2
        others = _sphere(3, 20_000, seed=o)
        session = onnxruntime.InferenceSession(str(BILINEAR), providers=["CPUExecutionProvider"])
        rows = np.vstack([point[None, :], point + 0.7 * others]).astype(np.float32)
        values = session.run(None, {session.get_inputs()[0].name: rows})[0][:, o].astype(np.float64)
        assert np.max(np.abs(values[1:] - values[0])) <= abs(change) + 1e-5  # no sampled step moves the network more


def test_a_taylor_step_matches_the_network_to_third_order(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    layers = [(rng.normal(0, 0.8, (6, 3)), rng.normal(0, 0.3, 6), "tanh"), (rng.normal(0, 0.8, (1, 6)), np.zeros(1), "linear")]
    model = mlp_onnx(tmp_path / "net.onnx", layers)
    poly = tmp_path / "net.poly.json"
    assert run_cli("convert", model, "-m", "taylor", "-q", 2, "--at", "0.2,-0.1,0.3", "-o", poly).exit_code == 0
    gaps = []
    for epsilon in (0.1, 0.05):
        step = _show_json(poly, "--epsilon", str(epsilon))["adversarial"]["steps"][0]  # model from the provenance
        u = np.array(list(step["direction"].values()))
        change = _network_change(model, np.array([0.2, -0.1, 0.3]), epsilon * u, np.float64)[0]
        assert step["network_change"] == pytest.approx(change, abs=1e-15)
        gaps.append(abs(step["quadratic_change"] - change))
    assert 5 < gaps[0] / gaps[1] < 11  # the quadratic model's error is O(ε³): halving ε divides it by ≈ 8


def test_without_a_model_the_step_is_shown_and_the_network_column_is_empty(tmp_path: Path) -> None:
    layers = [(np.array([[1.0, 0.5]]), np.zeros(1), "tanh"), (np.array([[1.0]]), np.zeros(1), "linear")]
    model = mlp_onnx(tmp_path / "gone.onnx", layers)
    poly = tmp_path / "p.json"
    assert run_cli("convert", model, "-m", "lsq", "-q", 2, "-o", poly).exit_code == 0
    model.unlink()
    result = run_cli("show", poly, "--eig")
    assert result.exit_code == 0, result.output
    assert "adversarial directions" in result.output and "pass --model" in result.output
    refused = run_cli("show", poly, "--model", tmp_path / "x.onnx")
    assert refused.exit_code == 2 and "add --eig" in refused.output
    bad = run_cli("show", poly, "--eig", "--epsilon", "0")
    assert bad.exit_code == 2 and "--epsilon" in bad.output
