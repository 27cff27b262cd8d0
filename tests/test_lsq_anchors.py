"""Closed-form least squares against polyapprox's reference cases (tests/data/anchors/polyapprox).

Each case's network is written as a float64 ONNX file here (Gemm with transB=1, the activation,
Gemm), converted through the CLI with --gaussian and through the API, and compared with the
case's ``reference`` block: an independent Hermite implementation (not polyapprox's code, and not
polyx's). Tolerances: alpha, beta and G within 1e-8 relative to the largest |value| of that block
per output (both sides are exact to float64 rounding, observed ≤ 1e-14); R² within 1e-9 absolute
(the reference's Var f is a deterministic integral that agrees with polyx's to ~1e-13).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from click.testing import CliRunner
from onnx import TensorProto, helper, numpy_helper

import polyx
from polyx.cli.main import cli
from polyx.expansion.polynomials.quadratic_form import quadratic_matrices

CASES = Path(__file__).parent / "data" / "anchors" / "polyapprox" / "cases"
MLP_CASES = sorted(path for path in CASES.glob("*.json") if "W1" in json.loads(path.read_text())["network"])
COEFFICIENT_TOLERANCE = 1e-8
R2_TOLERANCE = 1e-9


def test_the_bilinear_case_is_the_only_one_left_out():
    """The GLU case is a gated layer, not an MLP: it is never turned into a model here."""
    left_out = sorted(set(CASES.glob("*.json")) - set(MLP_CASES))
    assert [path.name for path in left_out] == ["case_29_bilinear_d3_h6_o2_gen_quad.json"]
    assert len(MLP_CASES) == 9


def _activation_nodes(name: str, tensor: str) -> tuple[list[onnx.NodeProto], str, int]:
    """The activation as exporters write it; returns nodes, output tensor, opset."""
    if name == "identity":
        return [], tensor, 17
    if name == "swish":
        return [helper.make_node("Sigmoid", [tensor], ["s"]), helper.make_node("Mul", [tensor, "s"], ["h"])], "h", 17
    if name == "gelu":
        return [helper.make_node("Gelu", [tensor], ["h"])], "h", 20
    return [helper.make_node({"relu": "Relu", "sigmoid": "Sigmoid"}[name], [tensor], ["h"])], "h", 17


def build_onnx(case: dict, path: Path) -> Path:
    network = case["network"]
    arrays = {key: np.asarray(network[key], dtype=np.float64) for key in ("W1", "b1", "W2", "b2")}
    activation, hidden, opset = _activation_nodes(network["activation"], "u")
    nodes = [helper.make_node("Gemm", ["x", "W1", "b1"], ["u"], transB=1), *activation,
             helper.make_node("Gemm", [hidden, "W2", "b2"], ["y"], transB=1)]
    graph = helper.make_graph(
        nodes, "mlp",
        [helper.make_tensor_value_info("x", TensorProto.DOUBLE, ["N", arrays["W1"].shape[1]])],
        [helper.make_tensor_value_info("y", TensorProto.DOUBLE, ["N", arrays["W2"].shape[0]])],
        [numpy_helper.from_array(value, key) for key, value in arrays.items()],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=9), path)
    return path


def _blocks(polynomial: polyx.Polynomial) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """alpha (o,), beta (d, o) and G (o, d, d) in the case's convention p = alpha + x·beta + xᵀGx."""
    exponents, coefficients = polynomial.exponents, polynomial.coefficients
    degree = exponents.sum(axis=1)
    alpha = coefficients[:, degree == 0][:, 0]
    beta = np.stack([coefficients[:, (degree == 1) & (exponents[:, i] == 1)][:, 0]
                     for i in range(exponents.shape[1])])
    return alpha, beta, quadratic_matrices(polynomial) if degree.max() >= 2 else None


def _relative(ours: np.ndarray, reference: np.ndarray, axis: tuple[int, ...]) -> float:
    """max |ours − ref| over a block, divided by max |ref| of that block, worst output."""
    return float(np.max(np.max(np.abs(ours - reference), axis=axis) / np.max(np.abs(reference), axis=axis)))


def assert_matches_reference(polynomial: polyx.Polynomial, case: dict) -> None:
    reference = case["reference"]
    assert polynomial.center is None and polynomial.method["centered"] is False
    alpha, beta, gamma = _blocks(polynomial)
    assert _relative(alpha[None], np.asarray(reference["alpha"])[None], (0,)) <= COEFFICIENT_TOLERANCE
    assert _relative(beta, np.asarray(reference["beta"]), (0,)) <= COEFFICIENT_TOLERANCE
    if case["order"] == 2:
        assert _relative(gamma, np.asarray(reference["gamma_matrix"]), (1, 2)) <= COEFFICIENT_TOLERANCE
    else:
        assert gamma is None
    assert np.allclose(polynomial.diagnostics["r2"], reference["r2_analytic"], rtol=0, atol=R2_TOLERANCE)
    assert np.allclose(polynomial.diagnostics["output_variance"], reference["output_variance"], rtol=1e-10, atol=0)


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[dict, Path, polyx.Polynomial]]:
    """Every MLP case as ONNX, converted once through the CLI."""
    folder = tmp_path_factory.mktemp("polyapprox")
    out = {}
    for path in MLP_CASES:
        case = json.loads(path.read_text())
        model = build_onnx(case, folder / f"{path.stem}.onnx")
        gaussian = folder / f"{path.stem}.gaussian.json"
        gaussian.write_text(json.dumps({"mean": case["input_distribution"]["mu"], "cov": case["input_distribution"]["Sigma"]}))
        artifact = folder / f"{path.stem}.poly.json"
        result = CliRunner().invoke(cli, ["convert", str(model), "--method", "lsq", "--order", str(case["order"]),
                                          "--gaussian", str(gaussian), "-o", str(artifact)])
        assert result.exit_code == 0, result.output
        assert "solution=closed-form" in result.output
        out[path.stem] = (case, model, polyx.load_polynomial(artifact))
    return out


@pytest.mark.parametrize("stem", [path.stem for path in MLP_CASES])
def test_cli_matches_the_reference(converted, stem):
    case, _, polynomial = converted[stem]
    assert polynomial.method["name"] == "lsq" and polynomial.method["solution"] == "closed-form"
    assert_matches_reference(polynomial, case)


@pytest.mark.parametrize("stem", [path.stem for path in MLP_CASES])
def test_api_matches_the_reference(converted, stem):
    case, model, _ = converted[stem]
    distribution = case["input_distribution"]
    polynomial = polyx.expand(polyx.load_network(model), method="lsq", order=case["order"],
                              mean=distribution["mu"], cov=distribution["Sigma"])
    assert_matches_reference(polynomial, case)


def test_standard_normal_is_the_default(converted):
    """Without --gaussian the input model is N(0, I): the std cases match with no Gaussian given."""
    case, model, _ = converted["case_03_relu_d5_h16_o2_std_quad"]
    assert np.array_equal(case["input_distribution"]["Sigma"], np.eye(5))
    polynomial = polyx.expand(polyx.load_network(model), method="lsq", order=2)
    assert polynomial.method["input_model"] == "N(0, I)"
    assert_matches_reference(polynomial, case)


def test_monte_carlo_check_of_the_r2(converted, tmp_path):
    """--check-samples: a seeded Monte-Carlo R² within 5 of its standard errors of the analytic one."""
    case, model, _ = converted["case_10_gelu_d3_h12_o1_gen_quad"]
    gaussian = tmp_path / "g.json"
    gaussian.write_text(json.dumps({"mean": case["input_distribution"]["mu"], "cov": case["input_distribution"]["Sigma"]}))
    args = ["convert", str(model), "-m", "lsq", "--gaussian", str(gaussian), "--check-samples", "20000", "--seed", "7"]
    first = CliRunner().invoke(cli, [*args, "-o", str(tmp_path / "a.json")])
    second = CliRunner().invoke(cli, [*args, "-o", str(tmp_path / "b.json")])
    assert first.exit_code == second.exit_code == 0
    check = polyx.load_polynomial(tmp_path / "a.json").diagnostics["r2_check"]
    assert check == polyx.load_polynomial(tmp_path / "b.json").diagnostics["r2_check"]
    assert check["samples"] == 20000 and check["seed"] == 7
    assert 0 < check["standard_error"][0] < 0.01
    assert abs(check["r2"][0] - case["reference"]["r2_analytic"][0]) < 5 * check["standard_error"][0]
