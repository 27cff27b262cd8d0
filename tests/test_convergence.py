"""Convergence diagnostics of a Taylor expansion (HOPE Table II), against derivatives worked out by hand.

f(x) = a·tanh(w·x): its partial derivative ∂^α f = a·w^α·tanh^(k)(w·x) with k = |α|, and tanh's
derivatives in t = tanh(u) are 1 − t², −2t(1 − t²), −2(1 − t²)(1 − 3t²), … (at u = 0: 1, 0, −2, 0, 16).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from polyx.expansion.writers.artifact import load_polynomial
from polyx.expansion.diagnostics.convergence import derivative_ratios
from taylor_helpers import mlp_onnx, run_cli


def _tanh_unit(path: Path, weight: list[float], scale: float) -> Path:
    return mlp_onnx(path, [(np.array([weight]), np.zeros(1), "tanh"), (np.array([[scale]]), np.zeros(1), "linear")])


def _tanh_derivatives(u: float) -> list[float]:
    t = np.tanh(u)
    return [1 - t**2, -2 * t * (1 - t**2), -2 * (1 - t**2) * (1 - 3 * t**2)]


def test_tanh_at_zero_grows_and_warns(tmp_path: Path) -> None:
    model = _tanh_unit(tmp_path / "tanh.onnx", [1.0], 1.0)
    out = tmp_path / "t.json"
    result = run_cli("convert", model, "-m", "taylor", "-q", 5, "--at", "0", "-o", out)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())["diagnostics"]["convergence"]
    assert report["orders"] == [1, 2, 3, 4, 5]
    assert report["largest_derivative"]["y1"] == pytest.approx([1, 0, 2, 0, 16], abs=1e-12)
    assert report["ratio_to_first"]["y1"] == pytest.approx([1, 0, 2, 0, 16], abs=1e-12)
    assert report["growing"] == ["y1"]
    assert "still growing" in result.output
    shown = run_cli("show", out)
    assert shown.exit_code == 0 and "convergence" in shown.output and "still growing" in shown.output
    assert "16" in shown.output


@pytest.mark.parametrize("centered", [False, True])
def test_two_inputs_use_the_partial_derivatives(tmp_path: Path, centered: bool) -> None:
    model = _tanh_unit(tmp_path / "tanh2.onnx", [1.0, 2.0], 3.0)
    out = tmp_path / "t.json"
    result = run_cli("convert", model, "-m", "taylor", "-q", 3, "--at", "0.1,0.2", "-o", out,
                     *(["--centered"] if centered else []))
    assert result.exit_code == 0, result.output
    u = 0.1 + 2 * 0.2
    expected = [3 * 2**k * abs(d) for k, d in zip((1, 2, 3), _tanh_derivatives(u))]  # the x2^k term is the largest
    report = derivative_ratios(load_polynomial(out))
    assert report["largest_derivative"]["y1"] == pytest.approx(expected, rel=1e-10)
    assert report["ratio_to_first"]["y1"] == pytest.approx([e / expected[0] for e in expected], rel=1e-10)
    assert report["growing"] == ["y1"]  # ratios 1, 1.85, 2.87
    assert json.loads(out.read_text())["diagnostics"]["convergence"]["largest_derivative"]["y1"] == \
        pytest.approx(expected, rel=1e-10)


def test_other_methods_have_no_convergence_table(tmp_path: Path) -> None:
    model = _tanh_unit(tmp_path / "tanh.onnx", [1.0], 1.0)
    out = tmp_path / "l.json"
    assert run_cli("convert", model, "-m", "lsq", "-q", 3, "-o", out).exit_code == 0
    assert derivative_ratios(load_polynomial(out)) is None
    assert "convergence" not in run_cli("show", out).output


def test_a_small_weight_converges_without_warning(tmp_path: Path) -> None:
    model = _tanh_unit(tmp_path / "tanh.onnx", [0.3], 1.0)
    out = tmp_path / "t.json"
    result = run_cli("convert", model, "-m", "taylor", "-q", 3, "--at", "0", "-o", out)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())["diagnostics"]["convergence"]
    assert report["largest_derivative"]["y1"] == pytest.approx([0.3, 0, 2 * 0.3**3], abs=1e-14)
    assert report["ratio_to_first"]["y1"] == pytest.approx([1, 0, 2 * 0.3**2], abs=1e-14)
    assert report["growing"] == [] and "still growing" not in result.output
