"""What ``polyx inspect`` reports: per-layer facts about a loaded network, and a check against onnxruntime.

The neuron norms are the ones nn2poly's training constraint bounds: the l1 or l2 norm of each
neuron's incoming weights *including its bias* must be ≤ 1 in every layer but the output layer,
which is what keeps nn2poly's Taylor expansions at 0 accurate. The check reruns the original file
with onnxruntime and compares it with ``Network.forward``, so a user can see that the IR is the
model before trusting any polynomial built from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import scipy.sparse as sparse

from polyx.converters.ir.graph import Concat, ConvOperator, Elementwise, Graph, Input, Linear, Node, Product
from polyx.converters.ir.chain import DenseLayer, Network
from polyx.errors import MethodError, OrderTooLargeError

__all__ = [
    "CONSTRAINT_SLACK",
    "DEFAULT_TOLERANCES",
    "LayerSummary",
    "NetworkSummary",
    "CheckResult",
    "ModelReport",
    "summarize_network",
    "check_against_onnxruntime",
    "inspect_model",
]

# nn2poly rescales a neuron to norm/(norm + 1e-7) and float32 storage rounds it again, so a
# constrained neuron can read as 1 + ~1e-7; anything within this slack counts as ≤ 1.
CONSTRAINT_SLACK = 1e-6
DEFAULT_TOLERANCES = {"float32": 1e-5, "float64": 1e-10}


@dataclass(frozen=True)
class LayerSummary:
    """One layer's sizes, value ranges and per-neuron norms (1-based neuron numbers)."""

    index: int
    layer: DenseLayer
    l1_norms: np.ndarray
    l2_norms: np.ndarray

    @property
    def l1_max(self) -> tuple[float, int]:
        """(largest l1 norm, neuron number)."""
        return float(self.l1_norms.max()), int(self.l1_norms.argmax()) + 1

    @property
    def l2_max(self) -> tuple[float, int]:
        """(largest l2 norm, neuron number)."""
        return float(self.l2_norms.max()), int(self.l2_norms.argmax()) + 1

    def within(self, norm: str) -> bool:
        """True when every neuron's 'l1' or 'l2' norm is ≤ 1 (up to CONSTRAINT_SLACK)."""
        norms = self.l1_norms if norm == "l1" else self.l2_norms
        return bool(np.all(norms <= 1.0 + CONSTRAINT_SLACK))

    def to_dict(self) -> dict[str, Any]:
        """Stable JSON keys for ``inspect --json``."""
        weight, bias = self.layer.weight, self.layer.bias
        return {
            "index": self.index,
            "in_features": self.layer.in_features,
            "out_features": self.layer.out_features,
            "activation": self.layer.activation.name,
            "activation_params": self.layer.activation.kwargs,
            "weight_range": [float(weight.min()), float(weight.max())],
            "bias_range": [float(bias.min()), float(bias.max())],
            "l1_norms": [float(v) for v in self.l1_norms],
            "l2_norms": [float(v) for v in self.l2_norms],
            "l1_max": {"value": self.l1_max[0], "neuron": self.l1_max[1]},
            "l2_max": {"value": self.l2_max[0], "neuron": self.l2_max[1]},
            "l1_within_1": self.within("l1"),
            "l2_within_1": self.within("l2"),
        }


def _operator_text(operator: object) -> str:
    rows, columns = operator.shape
    if isinstance(operator, ConvOperator):
        kernel = operator.weight.shape
        return f"convolution {rows}×{columns} ({kernel[0]} filters of {kernel[1]}×{kernel[2]} taps, {operator.nnz:,} weights used)"
    if sparse.issparse(operator):
        return f"sparse {rows}×{columns} ({operator.nnz:,} nonzeros)"
    return f"dense {rows}×{columns}"


def describe_node(index: int, node: Node) -> dict[str, Any]:
    """One graph node for ``inspect``: its kind, the ONNX node(s) it came from, what it reads and
    what polyx computes there."""
    if isinstance(node, Input):
        becomes = "the input, flattened row-major"
    elif isinstance(node, Linear):
        becomes = f"linear map, {_operator_text(node.operator)}"
    elif isinstance(node, Elementwise):
        becomes = f"{node.activation} elementwise" + (f" (part of {node.origin})" if node.origin else "")
    elif isinstance(node, Product):
        becomes = f"product of nodes {node.left} and {node.right}"
    elif isinstance(node, Concat):
        becomes = "concatenation of nodes " + ", ".join(str(source) for source in node.sources)
    else:
        becomes = f"maximum over windows of {node.windows.shape[1]} inputs"
    return {"index": index, "kind": type(node).__name__, "onnx": node.label, "inputs": list(node.inputs),
            "size": int(node.size), "becomes": becomes}


@dataclass(frozen=True)
class NetworkSummary:
    """The network plus one LayerSummary per layer (a chain) or one description per node (a graph)."""

    network: Network | Graph
    layers: tuple[LayerSummary, ...]
    nodes: tuple[dict[str, Any], ...] = ()

    def constraint_holds(self, norm: str) -> bool:
        """nn2poly's constraint: every layer except the output layer has all neuron norms ≤ 1."""
        return all(layer.within(norm) for layer in self.layers[:-1])

    def to_dict(self) -> dict[str, Any]:
        """Stable JSON keys for ``inspect --json``."""
        network, metadata = self.network, self.network.metadata
        return {
            "source": metadata.get("source"),
            "sha256": metadata.get("sha256"),
            "format": metadata.get("format"),
            "producer": metadata.get("producer"),
            "opset": metadata.get("opset"),
            "dtype": network.dtype,
            "input_name": network.input_name,
            "output_name": network.output_name,
            "input_shape": list(network.input_shape),
            "input_size": network.input_size,
            "output_size": network.output_size,
            "output_shape": list(network.output_shape),
            "batch_size": network.batch_size,
            "output_activation": network.output_activation,
            "layers": [layer.to_dict() for layer in self.layers],
            "graph": list(self.nodes) if self.nodes else None,
            "nn2poly_constraint": None if self.nodes else {"l1": self.constraint_holds("l1"),
                                                            "l2": self.constraint_holds("l2")},
        }


@dataclass(frozen=True)
class CheckResult:
    """onnxruntime vs ``Network.forward`` on seeded standard-normal inputs.

    ``max_scaled_diff`` is max |ir − ort| / max(1, |ort|): absolute for small outputs, relative
    for large ones, so one tolerance fits models of any output scale.
    """

    samples: int
    seed: int
    tolerance: float
    max_abs_diff: float
    max_scaled_diff: float

    @property
    def passed(self) -> bool:
        """True when the largest scaled difference is within the tolerance."""
        return self.max_scaled_diff <= self.tolerance

    def to_dict(self) -> dict[str, Any]:
        """Stable JSON keys for ``inspect --json``."""
        return {
            "samples": self.samples,
            "seed": self.seed,
            "inputs": "standard normal",
            "tolerance": self.tolerance,
            "max_abs_diff": self.max_abs_diff,
            "max_scaled_diff": self.max_scaled_diff,
            "passed": self.passed,
        }


@dataclass(frozen=True)
class ModelReport:
    """Everything ``polyx inspect`` shows: the summary and, if asked for, the check."""

    summary: NetworkSummary
    check: CheckResult | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``inspect --json`` document."""
        return {**self.summary.to_dict(), "check": self.check.to_dict() if self.check else None}


def summarize_network(network: Network) -> NetworkSummary:
    """Per-layer ranges and neuron norms (incoming weights plus bias), as nn2poly constrains them; for a
    graph, one description per node."""
    if isinstance(network, Graph):
        return NetworkSummary(network, (), tuple(describe_node(i, node)
                                                 for i, node in enumerate(network.nodes)))
    layers = []
    for index, layer in enumerate(network.layers, start=1):
        incoming = np.column_stack([layer.bias, layer.weight])
        layers.append(LayerSummary(index, layer, np.abs(incoming).sum(axis=1), np.sqrt((incoming**2).sum(axis=1))))
    return NetworkSummary(network, tuple(layers))


def check_against_onnxruntime(network: Network, samples: int = 1000, seed: int = 0,
                              tolerance: float | None = None, max_memory: int | None = None) -> CheckResult:
    """Run the network's ONNX file and the IR on the same seeded inputs and measure the largest gap.

    Inputs are rounded to the model's dtype first so both sides see identical numbers. All the
    inputs and activations are held at once, so their size is checked first (against half the RAM
    unless ``max_memory`` says otherwise): an image model's inputs grow by input size × samples.
    """
    from polyx.converters.onnx.runtime import OnnxRunner, require_onnx
    from polyx.expansion.kernel.budget import DEFAULT_MAX_MEMORY, format_bytes

    limit_bytes = DEFAULT_MAX_MEMORY if max_memory is None else max_memory
    need = 8 * samples * (3 * network.input_size + 2 * sum(network.widths))
    if need > limit_bytes:
        raise OrderTooLargeError(
            f"`samples` {samples:,} random inputs of {network.input_size} values and their activations need about "
            f"{format_bytes(need)}, over the limit of {format_bytes(limit_bytes)}; use fewer `samples`"
        )

    source = Path(network.metadata["source"])
    require_onnx(source, "`check`", "inspect it without `check`, or export the network to ONNX to check it")
    if samples < 1:
        raise MethodError(f"`samples` must be at least 1, got {samples}")
    runner = OnnxRunner(source, network.output_name if network.metadata.get("format") == "onnx" else None)
    x = np.random.default_rng(seed).standard_normal((samples, network.input_size)).astype(runner.dtype)
    expected = runner.run(x)
    got = network.forward(x.astype(np.float64)).reshape(expected.shape)
    difference = np.abs(got - expected)
    limit = DEFAULT_TOLERANCES.get(network.dtype, 1e-5) if tolerance is None else float(tolerance)
    return CheckResult(samples, seed, limit, float(difference.max()),
                       float((difference / np.maximum(1.0, np.abs(expected))).max()))


def inspect_model(path: str | Path, check: bool = False, samples: int = 1000, seed: int = 0,
                  tolerance: float | None = None, model_output: str | None = None) -> ModelReport:
    """Load a model and summarise it, optionally checking the IR against onnxruntime.

    ``model_output`` names the ONNX output to read when the file has several."""
    from polyx.converters.load import load_network

    summary = summarize_network(load_network(path, model_output))
    result = check_against_onnxruntime(summary.network, samples, seed, tolerance) if check else None
    return ModelReport(summary, result)
