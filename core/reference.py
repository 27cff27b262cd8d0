"""The network side of a verification: the original ONNX file run by onnxruntime.

A softmax classifier's polynomial stands for its logits (issue 4 expands the logits), but the file
outputs probabilities. To compare like with like, the logits are read from the same file: a copy
of its graph whose output is the Softmax node's input, run by onnxruntime too, so no part of the
network is recomputed by polyx itself.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from polyx.converters.runtime import OnnxRunner, require_onnx
from polyx.errors import ModelLoadError

__all__ = ["ReferenceNetwork", "softmax_input_name"]

_PASS_THROUGH = {"Identity", "Cast", "CastLike"}


def softmax_input_name(model: object) -> str | None:
    """Name of the tensor a final Softmax (over the class axis) reads, or None if the output is not one.

    Identity and Cast nodes between the Softmax and the graph output are looked through, as
    exporters add them.
    """
    graph = model.graph  # type: ignore[attr-defined]
    producers = {name: node for node in graph.node for name in node.output}
    tensor = graph.output[0].name
    node = producers.get(tensor)
    while node is not None and node.op_type in _PASS_THROUGH:
        node = producers.get(node.input[0])
    if node is None or node.op_type != "Softmax":
        return None
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 13)  # type: ignore[attr-defined]
    axis = next((a.i for a in node.attribute if a.name == "axis"), -1 if opset >= 13 else 1)
    return node.input[0] if axis in (-1, 1) else None


def _logits_runner(path: Path) -> OnnxRunner | None:
    import onnx
    from onnx import helper

    try:
        model = onnx.load(str(path))
    except Exception as error:  # onnx raises protobuf/decoding errors of several types
        raise ModelLoadError(f"{path}: not a readable ONNX file ({type(error).__name__}); check the path") from None
    logits = softmax_input_name(model)
    if logits is None:
        return None
    output_type = model.graph.output[0].type.tensor_type.elem_type
    del model.graph.output[:]
    model.graph.output.append(helper.make_tensor_value_info(logits, output_type, None))
    with tempfile.TemporaryDirectory(prefix="polyx-logits-") as folder:
        copy = Path(folder) / "logits.onnx"
        copy.write_bytes(model.SerializeToString())
        return OnnxRunner(copy)


class ReferenceNetwork:
    """The model file under onnxruntime: its outputs, and its logits when it ends in a Softmax."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise ModelLoadError(f"{self.path}: no such model file; check the path or pass --model")
        require_onnx(self.path, "checking a polynomial against its network", "pass --model MODEL.onnx")
        self.runner = OnnxRunner(self.path)
        dims = self.runner.feature_shape
        if not all(isinstance(d, int) and d > 0 for d in dims):
            raise ModelLoadError(
                f"{self.path}: input feature shape {list(dims)} is not fixed; only the batch axis may be dynamic"
            )
        self.input_size = int(np.prod(dims)) if dims else 1
        self.output_size = int(self.runner.run(np.zeros((1, self.input_size))).shape[1])
        self.logits_runner = _logits_runner(self.path)

    @property
    def ends_in_softmax(self) -> bool:
        """True when the graph output is a Softmax, so its logits can be read."""
        return self.logits_runner is not None

    @property
    def fixed_batch(self) -> int | None:
        """The batch size the file was exported with, if fixed (rows are fed in batches of it)."""
        return self.runner.fixed_batch

    @property
    def dtype(self) -> str:
        """The numpy dtype name the file computes in."""
        return np.dtype(self.runner.dtype).name

    def outputs(self, x: np.ndarray) -> np.ndarray:
        """The file's own outputs for rows of x, float64 (rows, outputs)."""
        return self.runner.run(x)

    def logits(self, x: np.ndarray) -> np.ndarray:
        """The Softmax's input for rows of x; only when ``ends_in_softmax``."""
        assert self.logits_runner is not None
        return self.logits_runner.run(x)
