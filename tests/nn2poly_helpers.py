"""Shared by the nn2poly tests (not a test module): anchor cases as ONNX files, and the match criterion."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from converters_graphs import GraphBuilder
from polyx.cli.main import cli

__all__ = ["ANCHORS", "anchor_case", "expected_exponents", "assert_matches_nn2poly", "onnx_from_weights", "convert"]

ANCHORS = Path(__file__).parent / "data" / "anchors" / "nn2poly" / "cases"
ONNX_OPS = {"tanh": "Tanh", "sigmoid": "Sigmoid", "softplus": "Softplus", "relu": "Relu", "elu": "Elu",
            "selu": "Selu", "sin": "Sin"}


def anchor_case(name: str) -> dict:
    """One nn2poly reference case by its id (e.g. 'case05')."""
    return json.loads((ANCHORS / f"{name}.json").read_text())


def expected_exponents(case: dict) -> np.ndarray:
    """nn2poly's multiset labels as exponent rows, counted here (not with polyx's converter)."""
    n_vars = case["n_inputs"]
    return np.array([[label.count(i + 1) for i in range(n_vars)] for label in case["output"]["labels"]])


def assert_matches_nn2poly(exponents: np.ndarray, coefficients: np.ndarray, case: dict, relative: float) -> None:
    """nn2poly's monomials in nn2poly's order, each coefficient within ``relative`` × its output's largest."""
    np.testing.assert_array_equal(np.asarray(exponents), expected_exponents(case))
    expected = np.array(case["output"]["values"])
    coefficients = np.asarray(coefficients)
    assert coefficients.shape == expected.shape
    for output, reference in zip(coefficients, expected):
        scale = np.abs(reference).max()
        assert np.abs(output - reference).max() <= relative * scale, (np.abs(output - reference).max(), scale)


def onnx_from_weights(case: dict, path: Path, dtype: type = np.float64, pattern: str = "gemm", softmax: bool = False
                      ) -> Path:
    """The case's network as an ONNX file: Gemm (torch's Linear) or MatMul + Add (Keras's Dense),
    optionally ending in a Softmax over the outputs."""
    import onnx

    builder = GraphBuilder(dtype=dtype)
    tensor = "x"
    for matrix, activation in zip(case["weights"], case["activations"]):
        matrix = np.array(matrix)
        weight, bias = matrix[1:], matrix[0]
        if pattern == "gemm":
            tensor = builder.op("Gemm", tensor, builder.value(weight.T), builder.value(bias), transB=1)
        else:
            tensor = builder.op("Add", builder.op("MatMul", tensor, builder.value(weight)), builder.value(bias))
        if activation != "linear":
            tensor = builder.op(ONNX_OPS[activation], tensor)
    if softmax:
        tensor = builder.op("Softmax", tensor, axis=-1)
    onnx.save(builder.model(tensor, (case["n_inputs"],)), path)
    return path


def convert(model: Path, out: Path, *options: str) -> dict:
    """Run ``polyx convert`` in-process and return the artifact it wrote."""
    result = CliRunner().invoke(cli, ["convert", str(model), "-o", str(out), *options])
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())
