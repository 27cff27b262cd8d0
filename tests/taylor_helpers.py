"""Shared by the taylor tests (not a test module): float64 ONNX MLPs written with onnx.helper, and the CLI runner."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
from click.testing import CliRunner
from onnx import TensorProto, helper, numpy_helper

from polyx.cli.main import cli

__all__ = ["HOPE_CASES", "hope_case", "mlp_onnx", "case_onnx", "run_cli"]

HOPE_CASES = sorted((Path(__file__).parent / "data" / "anchors" / "hope" / "cases").glob("*.json"))
ONNX_OPS = {"tanh": "Tanh", "sine": "Sin", "sin": "Sin", "sigmoid": "Sigmoid", "relu": "Relu", "softplus": "Softplus",
            "linear": None}


def hope_case(path: Path) -> dict:
    """One HOPE anchor case (weights as [out][in], the last layer linear)."""
    return json.loads(Path(path).read_text())


def mlp_onnx(path: Path, layers: list[tuple[np.ndarray, np.ndarray, str]], softmax: bool = False) -> Path:
    """h = act(W h + b) per layer as Gemm(transB=1) + activation node, float64 throughout."""
    nodes, initializers, tensor = [], [], "x"
    for index, (weight, bias, activation) in enumerate(layers):
        initializers += [numpy_helper.from_array(np.asarray(weight, dtype=np.float64), f"W{index}"),
                         numpy_helper.from_array(np.asarray(bias, dtype=np.float64), f"b{index}")]
        nodes.append(helper.make_node("Gemm", [tensor, f"W{index}", f"b{index}"], [f"z{index}"], transB=1))
        tensor = f"z{index}"
        if ONNX_OPS[activation]:
            nodes.append(helper.make_node(ONNX_OPS[activation], [tensor], [f"h{index}"]))
            tensor = f"h{index}"
    if softmax:
        nodes.append(helper.make_node("Softmax", [tensor], ["probabilities"], axis=-1))
        tensor = "probabilities"
    n_in, n_out = np.shape(layers[0][0])[1], np.shape(layers[-1][0])[0]
    graph = helper.make_graph(
        nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.DOUBLE, ["N", n_in])],
        [helper.make_tensor_value_info(tensor, TensorProto.DOUBLE, ["N", n_out])], initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return Path(path)


def case_onnx(path: Path, case: dict) -> Path:
    """A HOPE anchor case's network as a float64 ONNX file."""
    return mlp_onnx(path, [(layer["weight"], layer["bias"], layer["activation"]) for layer in case["layers"]])


def run_cli(*arguments: str):
    """``polyx ARGS`` in-process; returns click's Result."""
    return CliRunner().invoke(cli, [str(argument) for argument in arguments])
