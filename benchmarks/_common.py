"""Helpers the benchmark scripts share (a module, not a benchmark): memory readings, a tanh MLP as
ONNX, and a full exponent table. Scripts run as ``python benchmarks/NAME.py`` import it as
``_common`` (their folder is on sys.path)."""

from __future__ import annotations

import resource
from typing import Sequence

import numpy as np

__all__ = ["memory_kib", "tanh_mlp_onnx", "all_exponents"]


def memory_kib(key: str = "VmHWM") -> int:
    """A memory figure of this process in KiB from /proc/self/status: ``VmHWM`` its own peak
    resident set (getrusage's ru_maxrss would also count the parent's pages held between fork and
    exec), ``VmRSS`` the current one. Without /proc, ru_maxrss (the peak) stands in."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            return next(int(line.split()[1]) for line in status if line.startswith(f"{key}:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def tanh_mlp_onnx(layers: Sequence[tuple[np.ndarray, np.ndarray]], dtype: type = np.float32):
    """An MLP as exporters write it: Gemm (transB=1) + Tanh per hidden layer, a linear last Gemm.

    ``layers`` are (weight (out, in), bias) pairs; input "x" and output "y" with a free batch
    dimension. Returns the onnx.ModelProto (save it, or SerializeToString() for onnxruntime).
    """
    import onnx
    from onnx import helper, numpy_helper

    element = onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    nodes, inits, tensor = [], [], "x"
    for index, (weight, bias) in enumerate(layers):
        inits += [numpy_helper.from_array(np.asarray(weight, dtype=dtype), f"W{index}"),
                  numpy_helper.from_array(np.asarray(bias, dtype=dtype), f"b{index}")]
        last = index == len(layers) - 1
        output = "y" if last else f"z{index}"
        nodes.append(helper.make_node("Gemm", [tensor, f"W{index}", f"b{index}"], [output], transB=1))
        tensor = output
        if not last:
            nodes.append(helper.make_node("Tanh", [tensor], [f"h{index}"]))
            tensor = f"h{index}"
    inputs, outputs = np.shape(layers[0][0])[1], np.shape(layers[-1][0])[0]
    graph = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("x", element, ["N", inputs])],
                              [helper.make_tensor_value_info("y", element, ["N", outputs])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def all_exponents(n_vars: int, order: int) -> np.ndarray:
    """Every monomial up to ``order`` in graded order: the kernel's own table."""
    from polyx.expansion.kernel.space import MonomialSpace

    return MonomialSpace(n_vars, order).all_exponents()
