"""``polyx convert -m taylor --at-points``: local polynomials at several points, compared term by term.

Oracles: SymPy's exact derivatives of the HOPE anchor networks at every point (multiplied out into
powers of x), the anchors' own exact coefficients at their reference point, and a polynomial
network (a PyTorch bilinear export) whose every local polynomial is the network itself, checked
against onnxruntime.
"""

from __future__ import annotations

import json
from math import comb, factorial
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import sympy

from polyx.expansion.writers.artifact import load_polynomial
from taylor_helpers import HOPE_CASES, case_onnx, hope_case, run_cli

BILINEAR = Path(__file__).parent.parent / "sample_models" / "graphs" / "pt_dyn18_bilinear.onnx"
ONE_D = [p for p in HOPE_CASES if hope_case(p)["input_dim"] == 1 and hope_case(p)["width"] <= 8]
SYMPY_ACTIVATIONS = {"tanh": sympy.tanh, "sine": sympy.sin, "sigmoid": lambda u: 1 / (1 + sympy.exp(-u)),
                     "linear": lambda u: u}


def _points_file(path: Path, rows: np.ndarray, names: list[str]) -> Path:
    path.write_text(",".join(names) + "\n" + "\n".join(",".join(repr(float(v)) for v in row) for row in rows) + "\n")
    return path


def _sympy_taylor_in_x(case: dict, point: float, order: int) -> np.ndarray:
    """Coefficients of x^0 … x^order of the order-q Taylor polynomial at ``point``, from SymPy's derivatives."""
    x = sympy.Symbol("x")
    h = [x]
    for layer in case["layers"]:
        act = SYMPY_ACTIVATIONS[layer["activation"]]
        h = [act(sum(sympy.Float(w, 30) * v for w, v in zip(row, h)) + sympy.Float(b, 30))
             for row, b in zip(layer["weight"], layer["bias"])]
    f = h[0]
    derivatives = []
    for k in range(order + 1):
        derivatives.append(float(f.subs(x, sympy.Float(point, 30)).evalf(30)) / factorial(k))
        f = sympy.diff(f, x)
    return np.array([sum(derivatives[k] * comb(k, m) * (-point) ** (k - m) for k in range(m, order + 1))
                     for m in range(order + 1)])


@pytest.mark.parametrize("path", ONE_D, ids=lambda p: p.stem)
def test_each_local_polynomial_is_sympys_taylor_polynomial(path: Path, tmp_path: Path) -> None:
    case = hope_case(path)
    x0 = case["reference_point"][0]
    points = np.array([[x0], [x0 + 0.4], [x0 - 0.7]])
    model = case_onnx(tmp_path / "net.onnx", case)
    out = tmp_path / "net.poly.json"
    result = run_cli("convert", model, "-m", "taylor", "-q", case["order"], "-o", out,
                     "--at-points", _points_file(tmp_path / "points.csv", points, ["x1"]))
    assert result.exit_code == 0, result.output
    artifact = json.loads(out.read_text())
    local = artifact["diagnostics"]["local"]
    exact_at_x0 = np.array([term["coefficient"] for term in case["exact_coefficients_in_x"]])
    got = np.array(local[0]["coefficients"][0])
    assert np.max(np.abs(got - exact_at_x0)) <= 1e-9 * np.max(np.abs(exact_at_x0))  # the anchor's exact oracle
    for point, entry in zip(points[:, 0], local):
        oracle = _sympy_taylor_in_x(case, point, case["order"])
        assert np.max(np.abs(np.array(entry["coefficients"][0]) - oracle)) <= 1e-9 * np.max(np.abs(oracle)), point
    # the report's spreads are the local coefficients' spreads
    stack = np.array([entry["coefficients"][0] for entry in local])
    report = artifact["diagnostics"]["agreement"]["outputs"]["y1"]
    assert [t["max"] - t["min"] for t in report["terms"]] == pytest.approx(np.ptp(stack, axis=0), abs=1e-15)
    assert not report["global"]  # tanh/sine networks are not polynomials: the top degree moves with the point
    assert "local" in result.output and "differ by more than" in result.output
    combined = load_polynomial(out)
    assert np.allclose(combined.coefficients[0], stack.mean(axis=0), rtol=0, atol=1e-15)


def test_the_same_point_repeated_agrees_exactly(tmp_path: Path) -> None:
    case = hope_case(HOPE_CASES[0])
    model = case_onnx(tmp_path / "net.onnx", case)
    points = np.repeat([case["reference_point"]], 3, axis=0)
    out = tmp_path / "p.json"
    result = run_cli("convert", model, "-m", "taylor", "-q", 2, "-o", out,
                     "--at-points", _points_file(tmp_path / "points.csv", points, ["x1"]))
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())["diagnostics"]["agreement"]["outputs"]["y1"]
    assert report["global"] and all(t["relative_spread"] == 0 for t in report["terms"])


@pytest.mark.parametrize("order", [2, 3])
def test_a_polynomial_network_is_the_same_polynomial_at_every_point(order: int, tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    points = rng.normal(0, 2, (4, 3))
    out = tmp_path / "bilinear.poly.json"
    result = run_cli("convert", BILINEAR, "-m", "taylor", "-q", order, "-o", out,
                     "--at-points", _points_file(tmp_path / "points.csv", points, ["a", "b", "c"]),
                     "--agreement-tolerance", "1e-9")
    assert result.exit_code == 0, result.output
    artifact = json.loads(out.read_text())
    for name, report in artifact["diagnostics"]["agreement"]["outputs"].items():
        assert report["global"], name
        assert max(t["relative_spread"] for t in report["terms"]) <= 1e-12
    assert "every term agrees: a global polynomial" in result.output
    assert "a·c" in result.output or "a²" in result.output  # terms named by the file's columns
    poly = load_polynomial(out)
    x = rng.normal(0, 3, (200, 3))
    session = onnxruntime.InferenceSession(str(BILINEAR), providers=["CPUExecutionProvider"])
    y = session.run(None, {session.get_inputs()[0].name: x.astype(np.float32)})[0]
    assert np.max(np.abs(poly.evaluate(x) - y)) <= 1e-5 * max(1.0, np.max(np.abs(y)))  # float32 network


@pytest.mark.parametrize("extra, message", [
    (("--at", "0.1"), "use only one of them"),
    (("--centered",), "drop --centered"),
])
def test_conflicting_options_are_one_line(tmp_path: Path, extra, message) -> None:
    points = _points_file(tmp_path / "points.csv", np.zeros((2, 3)), ["a", "b", "c"])
    result = run_cli("convert", BILINEAR, "-m", "taylor", "-o", tmp_path / "o.json", "--at-points", points, *extra)
    assert result.exit_code == 2 and message in result.output, result.output
    assert not (tmp_path / "o.json").exists()


def test_one_row_and_tolerance_without_points_are_refused(tmp_path: Path) -> None:
    one = _points_file(tmp_path / "one.csv", np.zeros((1, 3)), ["a", "b", "c"])
    result = run_cli("convert", BILINEAR, "-m", "taylor", "-o", tmp_path / "o.json", "--at-points", one)
    assert result.exit_code == 2 and "at least 2 rows" in result.output
    result = run_cli("convert", BILINEAR, "-m", "taylor", "--at", "0,0,0", "-o", tmp_path / "o.json",
                     "--agreement-tolerance", "0.1")
    assert result.exit_code == 2 and "applies to --at-points" in result.output
    assert not (tmp_path / "o.json").exists()
