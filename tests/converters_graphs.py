"""Tiny ONNX graphs built in code for the loader tests (not a test module itself).

``GraphBuilder`` writes the same node patterns the real exporters write (exporters.md §3), with
random weights, so each pattern can be checked against onnxruntime running the very same file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

_ONNX_TYPES = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float64): TensorProto.DOUBLE}


class GraphBuilder:
    """Accumulates nodes and initializers; every helper returns the name of the tensor it produced."""

    def __init__(self, dtype: type = np.float32, opset: int = 17, seed: int = 0) -> None:
        self.dtype = np.dtype(dtype)
        self.opset = opset
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0

    def _name(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}_{self._count}"

    def value(self, array: np.ndarray | float, dtype: type | None = None) -> str:
        """An initializer holding ``array`` (in the model dtype unless told otherwise)."""
        name = self._name("c")
        self.initializers.append(numpy_helper.from_array(np.asarray(array, dtype=dtype or self.dtype), name))
        return name

    def random(self, *shape: int, scale: float = 0.6) -> str:
        """An initializer of random normal weights."""
        return self.value(self.rng.normal(scale=scale, size=shape))

    def constant(self, array: np.ndarray | float, dtype: type | None = None) -> str:
        """A ``Constant`` node holding ``array`` as a tensor (TorchScript's way of storing scalars)."""
        out = self._name("k")
        tensor = numpy_helper.from_array(np.asarray(array, dtype=dtype or self.dtype), out + "_v")
        self.nodes.append(helper.make_node("Constant", [], [out], value=tensor, name=out))
        return out

    def constant_attribute(self, **attribute: object) -> str:
        """A ``Constant`` node holding its value in a plain attribute (``value_float=1.5``, ``value_floats=[...]``)."""
        out = self._name("kf")
        self.nodes.append(helper.make_node("Constant", [], [out], name=out, **attribute))
        return out

    def op(self, op_type: str, *inputs: str, outputs: int = 1, **attributes: object) -> str:
        """A node; returns its first output."""
        name = self._name(op_type.lower())
        names = [f"{name}_out{i}" if i else f"{name}_out" for i in range(outputs)]
        self.nodes.append(helper.make_node(op_type, list(inputs), names, name=name, **attributes))
        return names[0]

    def gemm(self, x: str, n_in: int, n_out: int, **attributes: object) -> str:
        """torch's Linear: Gemm(x, W(out, in), b; transB=1)."""
        return self.op("Gemm", x, self.random(n_out, n_in), self.random(n_out), transB=1, **attributes)

    def matmul_add(self, x: str, n_in: int, n_out: int, bias_first: bool = False) -> str:
        """Keras's Dense as tf2onnx writes it: MatMul(x, W(in, out)) then Add of the bias."""
        product = self.op("MatMul", x, self.random(n_in, n_out))
        bias = self.random(n_out)
        return self.op("Add", bias, product) if bias_first else self.op("Add", product, bias)

    def model(self, output: str, input_shape: tuple, input_name: str = "x", batch: object = "N",
              extra_inputs: tuple = (), extra_outputs: tuple = (), output_width: object = None,
              initializers_as_inputs: bool = False) -> onnx.ModelProto:
        """The ModelProto (ir_version 8 so that onnxruntime runs it)."""
        elem = _ONNX_TYPES[self.dtype]
        inputs = [helper.make_tensor_value_info(input_name, elem, [batch, *input_shape])]
        inputs += [helper.make_tensor_value_info(name, elem, [batch, *shape]) for name, shape in extra_inputs]
        if initializers_as_inputs:
            inputs += [helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in self.initializers]
        outputs = [helper.make_tensor_value_info(name, elem, None) for name in (output, *extra_outputs)]
        graph = helper.make_graph(self.nodes, "g", inputs, outputs, initializer=self.initializers)
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)], ir_version=8,
                                 producer_name="polyx-tests")

    def save(self, folder: Path, name: str, output: str, input_shape: tuple, **options: object) -> Path:
        """Write the model to ``folder/name.onnx`` and return the path."""
        path = Path(folder) / f"{name}.onnx"
        onnx.save(self.model(output, input_shape, **options), str(path))
        return path
