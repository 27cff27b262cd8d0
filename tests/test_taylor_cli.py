"""``polyx convert --method taylor`` end to end: reference-point options, modes, warnings, and one-line errors.

Coefficient values are proven in test_taylor_anchors/test_taylor_sympy; here the CLI must pass the
options through (x0 from CSV rows/means computed in the test with numpy), write the artifact,
and refuse bad input with exit code 2, one stderr line and no file.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from polyx.expansion.writers.artifact import load_polynomial
from taylor_helpers import mlp_onnx, run_cli

RNG = np.random.default_rng(21)
TANH_LAYERS = [(RNG.normal(size=(4, 3)), RNG.normal(size=4), "tanh"), (RNG.normal(size=(2, 4)), RNG.normal(size=2), "linear")]
ROWS = np.round(RNG.uniform(-1, 1, size=(5, 3)), 6)


@pytest.fixture
def model(tmp_path: Path) -> Path:
    return mlp_onnx(tmp_path / "tanh.onnx", TANH_LAYERS)


@pytest.fixture
def table(tmp_path: Path) -> Path:
    path = tmp_path / "points.csv"
    path.write_text("a,b,c\n" + "".join(",".join(repr(float(v)) for v in row) + "\n" for row in ROWS))
    return path


def convert(model: Path, output: Path, *options: str):
    return run_cli("convert", model, "--method", "taylor", "-o", output, *options)


def test_at_row_and_at_mean_take_x0_from_the_csv_and_its_column_names(model: Path, table: Path, tmp_path: Path) -> None:
    for option, expected, source in (("--at-row", ROWS[2], f"{table} row 3"), ("--at-mean", ROWS.mean(axis=0), f"mean of {table}")):
        output = tmp_path / f"{option}.json"
        value = f"{table}:3" if option == "--at-row" else str(table)
        result = convert(model, output, option, value, "--order", "2", "--centered")
        assert result.exit_code == 0, result.output
        polynomial = load_polynomial(output)
        np.testing.assert_allclose(polynomial.center, expected, rtol=1e-15)
        assert polynomial.variables == ("a", "b", "c")
        assert polynomial.method["at_source"] == source


def test_summary_line_and_artifact_fields(model: Path, tmp_path: Path) -> None:
    output = tmp_path / "p.json"
    result = convert(model, output, "--at=0.1,0.2,-0.3", "--order", "3", "--validity-tolerance", "1e-2", "--seed", "4")
    assert result.exit_code == 0, result.output
    assert "taylor: 3 inputs → 2 outputs, 20 terms up to degree 3" in result.output
    data = json.loads(output.read_text())
    assert data["center"] is None
    assert data["method"]["at"] == [0.1, 0.2, -0.3] and data["method"]["order"] == 3
    validity = data["diagnostics"]["validity"]
    assert validity["tolerance"] == 1e-2 and validity["seed"] == 4 and validity["radius"] > 0
    assert f"validity radius {validity['radius']:.3g}: |network − polynomial| ≤ " in result.output


def test_diagonal_and_max_interaction_through_the_cli(model: Path, tmp_path: Path) -> None:
    result = convert(model, tmp_path / "d.json", "--at=0,0,0", "--order", "4", "--terms", "diagonal")
    assert result.exit_code == 0, result.output
    assert load_polynomial(tmp_path / "d.json").n_terms == 1 + 3 * 4
    result = convert(model, tmp_path / "k.json", "--at=0,0,0", "--order", "4", "--max-interaction", "2")
    assert result.exit_code == 0, result.output
    limited = load_polynomial(tmp_path / "k.json")
    assert limited.method["max_interaction"] == 2
    assert np.count_nonzero(limited.exponents, axis=1).max() == 2


def test_softmax_classifier_probabilities_or_logits(tmp_path: Path) -> None:
    model = mlp_onnx(tmp_path / "softmax.onnx", TANH_LAYERS, softmax=True)
    for flags, space in (((), "probabilities"), (("--logits",), "logits")):
        output = tmp_path / f"{space}.json"
        result = convert(model, output, "--at=0.3,0.1,0.2", *flags)
        assert result.exit_code == 0, result.output
        polynomial = load_polynomial(output)
        assert polynomial.method["output_space"] == space
        value = polynomial.diagnostics["value_at_reference"]
        assert (abs(sum(value) - 1.0) < 1e-12) == (space == "probabilities")


def test_relu_model_warns_with_the_kink_distance(tmp_path: Path) -> None:
    layers = [(RNG.normal(size=(5, 2)), RNG.normal(size=5), "relu"), (RNG.normal(size=(1, 5)), RNG.normal(size=1), "linear")]
    model = mlp_onnx(tmp_path / "relu.onnx", layers)
    result = convert(model, tmp_path / "r.json", "--at=0.2,-0.1", "--order", "3")
    assert result.exit_code == 0, result.output
    kinks = load_polynomial(tmp_path / "r.json").diagnostics["kinks"]
    assert "local affine map" in result.stderr and f"{kinks['distance']:.4g}" in result.stderr


def test_kink_exactly_at_x0_is_refused(tmp_path: Path) -> None:
    layers = [(np.array([[2.0, 0.0]]), np.array([-1.0]), "relu"), (np.array([[1.0]]), np.array([0.0]), "linear")]
    model = mlp_onnx(tmp_path / "kink.onnx", layers)
    assert_refused(convert(model, tmp_path / "out.json", "--at=0.5,3"), "exactly 0", tmp_path / "out.json")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--at=0.1,0.2",), "has 2 values but the model has 3 inputs"),
        (("--at=0.1,abc,3",), "'--at': '0.1,abc,3' is not a comma-separated list of numbers"),
        (("--at-row", "{table}:9"), "the file has 5 data rows; give N from 1 to 5"),
        (("--at-row", "{table}:0"), "must be FILE.csv:N with N ≥ 1"),
        (("--at=1,2,3", "--at-mean", "{table}"), "--at and --at-mean both give the reference point"),
        ((), "none was given; pass --at=0.5,-0.2"),
        (("--at=0,0,0", "--terms", "diagonal", "--max-interaction", "2"), "drop --max-interaction"),
    ],
)
def test_bad_reference_points_exit_2_with_one_line(model: Path, table: Path, tmp_path: Path, options: tuple, message: str) -> None:
    output = tmp_path / "out.json"
    arguments = [option.replace("{table}", str(table)) for option in options]
    assert_refused(convert(model, output, *arguments), message, output)


def assert_refused(result, message: str, output: Path) -> None:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.output
    assert not output.exists()
