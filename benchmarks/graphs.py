"""Graph expansions at image size: HOPE's unmixed heat maps of a 28×28 CNN, beside plain numpy.

The network is the issue's: conv 1→8 3×3, tanh, average pool 2, conv 8→16 3×3, tanh, flatten,
linear → 10 (random weights, float32, written with onnx.helper). polyx loads it (convolutions as
sparse maps) and expands every class at one image, every pure power up to order 10 along each
of the 784 pixels. The plain-numpy figure is the same math written directly: a jet (truncated
Taylor series in one variable) per pixel direction, pushed through dense im2col matrices with the
tanh recurrence y_k = (1/k) Σ_{j=1..k} j u_j (δ_{k−j,0} − (y²)_{k−j}); it also checks polyx's
coefficients. A second table reruns a few rows of HOPE's depth-10 MLP grid (taylor_grid.py).

    python benchmarks/graphs.py
"""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path

import numpy as np

from _common import memory_kib


def cnn_onnx(seed: int = 0):
    """The issue's 28×28 CNN as an ONNX model (float32)."""
    import onnx
    from onnx import helper, numpy_helper

    rng = np.random.default_rng(seed)
    weights = {
        "c1": rng.normal(scale=0.4, size=(8, 1, 3, 3)), "b1": rng.normal(scale=0.1, size=8),
        "c2": rng.normal(scale=0.15, size=(16, 8, 3, 3)), "b2": rng.normal(scale=0.1, size=16),
        "w": rng.normal(scale=0.05, size=(10, 16 * 11 * 11)), "b": rng.normal(scale=0.1, size=10),
    }
    inits = [numpy_helper.from_array(v.astype(np.float32), k) for k, v in weights.items()]
    nodes = [
        helper.make_node("Conv", ["x", "c1", "b1"], ["h1"]), helper.make_node("Tanh", ["h1"], ["a1"]),
        helper.make_node("AveragePool", ["a1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "c2", "b2"], ["h2"]), helper.make_node("Tanh", ["h2"], ["a2"]),
        helper.make_node("Flatten", ["a2"], ["f"]), helper.make_node("Gemm", ["f", "w", "b"], ["y"], transB=1),
    ]
    graph = helper.make_graph(nodes, "cnn", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["N", 1, 28, 28])],
                              [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["N", 10])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def _tanh_jet(u: np.ndarray) -> np.ndarray:
    """tanh of a jet u (..., Q+1) by the recurrence of y' = (1 − y²) u'."""
    y = np.zeros_like(u)
    square = np.zeros_like(u)
    y[..., 0] = np.tanh(u[..., 0])
    square[..., 0] = y[..., 0] ** 2
    for k in range(1, u.shape[-1]):
        j = np.arange(1, k + 1)
        factor = (j == k) * 1.0 - square[..., k - j]
        y[..., k] = np.sum(j * u[..., j] * factor, axis=-1) / k
        square[..., k] = np.sum(y[..., : k + 1] * y[..., k::-1], axis=-1)
    return y


def numpy_unmixed(network, point: np.ndarray, order: int) -> np.ndarray:
    """The same coefficients by plain numpy jets: (outputs, pixels, order)."""
    from polyx.converters.ir.graph import Elementwise, Linear

    n = network.input_size
    jets = np.zeros((n, order + 1, n))  # (feature, coefficient, direction)
    jets[:, 0, :] = point[:, None]
    jets[np.arange(n), 1, np.arange(n)] = 1.0
    for node in network.nodes[1:]:
        if isinstance(node, Linear):
            operator = node.operator
            matrix = operator.to_sparse().toarray() if hasattr(operator, "to_sparse") else (
                operator.toarray() if hasattr(operator, "toarray") else operator)
            features = jets.shape[0]
            jets = (matrix @ jets.reshape(features, -1)).reshape(matrix.shape[0], order + 1, n)
            jets[:, 0, :] += node.bias[:, None]
        elif isinstance(node, Elementwise):
            jets = _tanh_jet(jets.transpose(0, 2, 1)).transpose(0, 2, 1)
    return jets[:, 1:, :].transpose(0, 2, 1)


def _timed(call, repeats: int = 3):
    best, result = math.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    from polyx.converters.load import load_network
    from polyx.expansion.methods.expand import expand

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cnn28.onnx"
        path.write_bytes(cnn_onnx().SerializeToString())
        load_time, network = _timed(lambda: load_network(path), 1)
        image = np.random.default_rng(1).uniform(0, 1, 784)
        polyx_time, polynomial = _timed(lambda: expand(network, "taylor", 10, at=image, centered=True,
                                                        terms="diagonal", validity_samples=0))
        numpy_time, reference = _timed(lambda: numpy_unmixed(network, image, 10), 1)
    got = polynomial.coefficients[:, 1:].reshape(10, 10, 784).transpose(0, 2, 1)
    gap = np.abs(got - reference).max() / np.abs(reference).max()
    print("28×28 CNN (conv 1→8 3×3, tanh, avgpool 2, conv 8→16 3×3, tanh, flatten, linear → 10), one image")
    print(f"| step | polyx | plain numpy jets | ")
    print(f"|---|---|---|")
    print(f"| load ONNX → graph (sparse convolutions) | {load_time:.3f} s | — |")
    print(f"| unmixed order 10, all 10 classes × 784 pixels | {polyx_time:.3f} s | {numpy_time:.3f} s |")
    print(f"max relative gap polyx vs numpy jets: {gap:.1e}; peak RSS {memory_kib() / 1024:.0f} MB")


if __name__ == "__main__":
    main()
