"""The network side of a verification: the original ONNX file run by onnxruntime.

A softmax classifier's polynomial stands for its logits (issue 4 expands the logits), but the file
outputs probabilities (or, after a LogSoftmax, log-probabilities, read back as probabilities). To compare like with like, the logits are read from the same file: a copy
of its graph whose output is the final Softmax node's input, run by onnxruntime too, so no part
of the network is recomputed by polyx itself. Which tensor that is, the ONNX loader says
(``metadata["logits_tensor"]``): the graph is walked in one place only.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from polyx.converters.onnx.outputs import restrict_to_output
from polyx.converters.onnx.runtime import OnnxRunner, require_onnx
from polyx.errors import ModelLoadError, UnsupportedModelError
from polyx.paths import require_input

if TYPE_CHECKING:
    from polyx.verification import ComparisonPlan

__all__ = ["ReferenceNetwork"]


def _final_softmax(path: Path, output: str | None = None) -> tuple[str | None, str | None]:
    """(the input of the file's final Softmax or LogSoftmax, which one) as the loader finds them;
    (None, None) without one.

    A file the loader cannot represent as dense layers (a polynomial exported to ONNX, say) still
    runs under onnxruntime; only its logits are then unknown.
    """
    from polyx.converters.onnx.chain_loader import network_from_onnx

    try:
        network = network_from_onnx(path.read_bytes(), str(path), path.parent, output)
    except UnsupportedModelError:
        return _final_sigmoid(path)
    if network.output_activation is None:
        return _final_sigmoid(path)
    return network.metadata.get("logits_tensor"), network.output_activation


def _ends_in_affine_map(path: Path, output: str | None) -> bool:
    """True when the file's output is certainly made by an affine op (no final Softmax, LogSoftmax
    or Sigmoid), read from the protobuf wire format: spares importing onnx and loading the whole
    network when there are no logits to find. False when unsure or unreadable (the loader decides)."""
    from polyx.converters.onnx.wire import WireError, ends_in_affine_map, read_graph_head

    try:
        return ends_in_affine_map(read_graph_head(path), output)
    except (WireError, UnicodeDecodeError, OSError):
        return False


def _final_sigmoid(path: Path) -> tuple[str | None, str | None]:
    """(the input of a final Sigmoid node, "sigmoid") for a binary classifier's file, else (None, None):
    its logit is then read from the file like a softmax classifier's logits."""
    import onnx

    try:
        graph = onnx.load(str(path)).graph
    except Exception:  # onnx raises protobuf/decoding errors of several types; the runner reports them
        return None, None
    if len(graph.output) != 1:
        return None, None
    producers = [node for node in graph.node if graph.output[0].name in node.output]
    if len(producers) == 1 and producers[0].op_type == "Sigmoid" and producers[0].domain in ("", "ai.onnx"):
        return producers[0].input[0], "sigmoid"
    return None, None


def _logits_runner(path: Path, logits: str) -> OnnxRunner:
    """onnxruntime on a copy of the file whose only output is the ``logits`` tensor."""
    import onnx

    try:
        model = onnx.load(str(path))
    except Exception as error:  # onnx raises protobuf/decoding errors of several types
        raise ModelLoadError(f"{path}: not a readable ONNX file ({type(error).__name__}); check the path") from None
    restrict_to_output(model, logits)
    with tempfile.TemporaryDirectory(prefix="polyx-logits-") as folder:
        copy = Path(folder) / "logits.onnx"
        copy.write_bytes(model.SerializeToString())
        return OnnxRunner(copy)


class ReferenceNetwork:
    """The model file under onnxruntime: its outputs, and its logits when it ends in a Softmax."""

    def __init__(self, path: str | Path, output: str | None = None) -> None:
        """``output``: the ONNX output the polynomial stands for, when the file has several."""
        self.path = Path(path)
        require_input(self.path, "model", error=ModelLoadError)
        if not self.path.is_file():
            raise ModelLoadError(f"{self.path}: no such model file; check the path or pass `model`")
        require_onnx(self.path, "checking a polynomial against its network", "pass `model` MODEL.onnx")
        self.runner = OnnxRunner(self.path, output, lenient=True)
        output = self.runner.output_name if len(self.runner.graph_outputs) > 1 else None
        dims = self.runner.feature_shape
        if not all(isinstance(d, int) and d > 0 for d in dims):
            raise ModelLoadError(
                f"{self.path}: input feature shape {list(dims)} is not fixed; only the batch axis may be dynamic"
            )
        self.input_size = int(np.prod(dims)) if dims else 1
        self.output_size = int(self.runner.run(np.zeros((1, self.input_size))).shape[1])
        logits, self.output_activation = (None, None) if _ends_in_affine_map(self.path, output) else _final_softmax(
            self.path, output)
        if self.output_activation == "sigmoid" and self.output_size != 1:
            logits, self.output_activation = None, None  # an elementwise gate over several outputs, not a classifier
        self.logits_runner = _logits_runner(self.path, logits) if logits is not None else None

    @property
    def ends_in_softmax(self) -> bool:
        """True when the graph output is a Softmax, LogSoftmax or (one output) Sigmoid, so its logits can be read."""
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
        """The file's own outputs for rows of x, float64 (rows, outputs); a final LogSoftmax's
        log-probabilities are returned as probabilities, the space softmax classifiers share."""
        values = self.runner.run(x)
        return np.exp(values) if self.output_activation == "log_softmax" else values

    def logits(self, x: np.ndarray) -> np.ndarray:
        """The Softmax's (or LogSoftmax's) input for rows of x; only when ``ends_in_softmax``."""
        assert self.logits_runner is not None
        return self.logits_runner.run(x)

    def values(self, x: np.ndarray, plan: "ComparisonPlan") -> dict[str, np.ndarray]:
        """What a comparison needs for rows of x: the outputs, plus the logits when the plan compares them."""
        values = {"outputs": self.outputs(x)}
        if "logits" in (plan.compared, plan.secondary):
            values["logits"] = self.logits(x)
        return values
