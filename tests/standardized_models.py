"""The issue-17 reproduction, built in code: a 4-8-1 tanh network that standardises its own input.

``net((x − μ)/σ)`` with μ = (10, 20, 30, 40) and σ = (2, 3, 4, 5), written as ONNX ``Sub → Div →
Gemm → Tanh → Gemm`` (what ``torch.onnx.export`` writes for a model whose forward standardises),
with the first layer's weights scaled so that the pre-activations on the data stay in
[−1.1, 1.1]. Expanded in powers of the raw x around 0, a degree-3 nn2poly polynomial is
truncated 5 to 8 standard deviations away from the data; expanded in z it is not.
Not a test module itself: tests and the docs' example import it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

MEAN = np.array([10.0, 20.0, 30.0, 40.0])
SCALE = np.array([2.0, 3.0, 4.0, 5.0])


def standardized_rows(rows: int = 2000, seed: int = 0) -> np.ndarray:
    """Raw input rows x ~ N(μ, diag σ²): the data the model was trained on."""
    rng = np.random.default_rng(seed)
    return MEAN + SCALE * rng.standard_normal((rows, MEAN.size))


def standardized_weights(seed: int = 0, reach: float = 1.1) -> dict[str, np.ndarray]:
    """Random 4-8-1 weights whose first-layer pre-activations reach ±``reach`` on ``standardized_rows``."""
    rng = np.random.default_rng(seed + 100)
    w1, b1 = rng.normal(size=(8, 4)), rng.normal(scale=0.1, size=8)
    z = (standardized_rows(seed=seed) - MEAN) / SCALE
    scale = reach / np.abs(z @ w1.T + b1).max()
    w1, b1 = w1 * scale, b1 * scale
    return {"w1": w1, "b1": b1, "w2": rng.normal(size=(1, 8)), "b2": rng.normal(scale=0.1, size=1)}


def standardized_forward(x: np.ndarray, weights: dict[str, np.ndarray]) -> np.ndarray:
    """The network in float64 numpy, written independently of polyx (the test oracle)."""
    z = (np.asarray(x, dtype=np.float64) - MEAN) / SCALE
    return np.tanh(z @ weights["w1"].T + weights["b1"]) @ weights["w2"].T + weights["b2"]


def save_standardized_model(path: Path, weights: dict[str, np.ndarray], dtype: type = np.float64) -> Path:
    """Write ``Sub(μ) → Div(σ) → Gemm → Tanh → Gemm`` as an ONNX file."""
    onnx_type = TensorProto.DOUBLE if np.dtype(dtype) == np.float64 else TensorProto.FLOAT

    def constant(name: str, value: np.ndarray) -> onnx.TensorProto:
        return numpy_helper.from_array(np.asarray(value, dtype=dtype), name)

    nodes = [
        helper.make_node("Sub", ["x", "mu"], ["centred"]),
        helper.make_node("Div", ["centred", "sigma"], ["z"]),
        helper.make_node("Gemm", ["z", "w1", "b1"], ["h"], transB=1),
        helper.make_node("Tanh", ["h"], ["a"]),
        helper.make_node("Gemm", ["a", "w2", "b2"], ["y"], transB=1),
    ]
    initializers = [constant("mu", MEAN[None]), constant("sigma", SCALE[None]), constant("w1", weights["w1"]),
                    constant("b1", weights["b1"]), constant("w2", weights["w2"]), constant("b2", weights["b2"])]
    graph = helper.make_graph(nodes, "standardized", [helper.make_tensor_value_info("x", onnx_type, ["N", 4])],
                              [helper.make_tensor_value_info("y", onnx_type, ["N", 1])], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path = Path(path)
    path.write_bytes(model.SerializeToString())
    return path


def save_rows(path: Path, rows: np.ndarray) -> Path:
    """The rows as a CSV with columns x1 … x4."""
    header = ",".join(f"x{i + 1}" for i in range(rows.shape[1]))
    np.savetxt(path, rows, delimiter=",", header=header, comments="", fmt="%.17g")
    return Path(path)
