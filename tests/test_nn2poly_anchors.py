"""``polyx convert --method nn2poly`` gives nn2poly's own polynomials, from ONNX files and weight lists.

Oracle: the nn2poly R package's output for 12 networks (tests/data/anchors/nn2poly/cases, copied
from shared/anchors/nn2poly): labels in nn2poly's order and coefficients per output. They cover
tanh/sigmoid/softplus/linear layers, one to four hidden layers, a final tanh and sigmoid, a linear
hidden layer, a Taylor centre of 0.5 and per-layer Taylor orders.

Criterion (the issue's): the same monomials in the same order, and every coefficient within 1e-10
of the largest |coefficient| of its output. A float64 ONNX file built here from the weights holds
them bit for bit, as does the weight-list JSON, so the only differences are summation order.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from oracles import artifact_exponents
import pytest
from click.testing import CliRunner

from nn2poly_helpers import ANCHORS, assert_matches_nn2poly, convert, onnx_from_weights
from polyx import expand, load_network
from polyx.cli.main import cli

CASES = sorted(ANCHORS.glob("case*.json"))
IDS = [path.stem for path in CASES]
RELATIVE = 1e-10


def _case(path: Path) -> dict:
    return json.loads(path.read_text())


def _options(case: dict) -> list[str]:
    args = case["nn2poly_args"]
    options = ["--order", str(args["max_order"]), "--taylor-center", str(args["taylor_center"])]
    if not args["taylor_orders_is_default"]:
        orders = args["taylor_orders"]
        options += ["--taylor-orders", ",".join(map(str, orders)) if isinstance(orders, list) else str(orders)]
    return options


def _api_parameters(case: dict) -> dict:
    args = case["nn2poly_args"]
    parameters = {"order": args["max_order"], "taylor_center": args["taylor_center"]}
    if not args["taylor_orders_is_default"]:
        parameters["taylor_orders"] = args["taylor_orders"]
    return parameters


@pytest.mark.parametrize("pattern", ["gemm", "matmul_add"])
@pytest.mark.parametrize("path", CASES, ids=IDS)
def test_float64_onnx_through_the_cli_matches_nn2poly(path: Path, pattern: str, tmp_path: Path) -> None:
    case = _case(path)
    model = onnx_from_weights(case, tmp_path / "net.onnx", np.float64, pattern)
    artifact = convert(model, tmp_path / "net.poly.json", *_options(case))
    assert artifact["method"]["name"] == "nn2poly"
    assert artifact["method"]["taylor_center"] == case["nn2poly_args"]["taylor_center"]
    assert_matches_nn2poly(artifact_exponents(artifact), artifact["coefficients"], case, RELATIVE)


@pytest.mark.parametrize("path", CASES, ids=IDS)
def test_float32_onnx_matches_nn2poly_to_float32_rounding(path: Path, tmp_path: Path) -> None:
    """float32 weights differ from the anchors' by up to 2⁻²⁴ ≈ 6e-8 relative each, and a coefficient
    is a polynomial in the weights, so it moves by a small multiple of that: the worst measured over
    the 12 cases is 5.2e-8 of the largest coefficient. 1e-6 leaves a factor 20 and still catches
    any real error (a wrong term is off by far more than a millionth of the largest one)."""
    case = _case(path)
    model = onnx_from_weights(case, tmp_path / "net32.onnx", np.float32, "gemm")
    artifact = convert(model, tmp_path / "net32.poly.json", *_options(case))
    assert_matches_nn2poly(artifact_exponents(artifact), artifact["coefficients"], case, 1e-6)


@pytest.mark.parametrize("path", CASES, ids=IDS)
def test_weight_list_through_the_api_matches_nn2poly(path: Path) -> None:
    case = _case(path)
    polynomial = expand(load_network(path), "nn2poly", **_api_parameters(case))
    assert_matches_nn2poly(polynomial.exponents, polynomial.coefficients, case, RELATIVE)
    assert polynomial.method["taylor_orders"] == case["taylor_orders_effective"]


@pytest.mark.parametrize("path", CASES[:3], ids=IDS[:3])
def test_weight_list_through_the_cli_matches_nn2poly(path: Path, tmp_path: Path) -> None:
    case = _case(path)
    artifact = convert(path, tmp_path / "case.poly.json", *_options(case))
    assert_matches_nn2poly(artifact_exponents(artifact), artifact["coefficients"], case, RELATIVE)


def test_default_output_is_model_poly_json_in_the_current_directory(tmp_path: Path, monkeypatch) -> None:
    case = _case(ANCHORS / "case05.json")
    model = onnx_from_weights(case, tmp_path / "model.onnx", np.float64, "gemm")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["convert", str(model), "--order", "3"])
    assert result.exit_code == 0, result.output
    artifact = json.loads((tmp_path / "model.poly.json").read_text())
    assert artifact["method"] == {"name": "nn2poly", "order": 3, "taylor_center": 0.0, "taylor_orders": [8, 8, 1]}
    assert_matches_nn2poly(artifact_exponents(artifact), artifact["coefficients"], case, RELATIVE)
