"""Read an ONNX file into a ``Network``: scan the whole graph, then walk the chain of patterns.

The scan reports every node polyx cannot represent (unknown or refused ops, skip connections,
several inputs or outputs) before any conversion; the walk then follows the data from the input
to the output, asking the pattern registry what each node means. All problems found by either
are raised together as one ``UnsupportedModelError``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from polyx.converters.onnx.chain import ChainBuilder, Cursor, Dense, OutputSoftmax, Reshape, Step
from polyx.converters.onnx.elementwise import REGION_OPS, RegionRefusal, identify_region
from polyx.converters.onnx.views import OnnxGraph, OnnxNode, parse_model
from polyx.converters.ir.graph import Graph, check_graph_finite
from polyx.converters.onnx.graph_loader import build_graph, graph_nodes
from polyx.converters.ir.chain import Network, check_finite
from polyx.converters.onnx.outputs import choose_output, restrict_to_output
from polyx.converters.onnx.patterns import find_pattern
from polyx.converters.onnx.registry import NotThisPattern, Refusal
from polyx.errors import ModelLoadError, OffendingNode, UnsupportedModelError

__all__ = ["network_from_onnx"]

_DTYPES = {1: "float32", 11: "float64"}
_FEATURE_MIXING_OPS = frozenset({"Gemm", "MatMul", "Conv", "ConvTranspose", "Einsum", "MatMulInteger", "QLinearMatMul"})


def _offending(node: OnnxNode, reason: str) -> OffendingNode:
    return OffendingNode(node.label, node.op_type, reason)


def _input_count_reason(graph: OnnxGraph) -> str:
    """Why several inputs (or none) are refused, naming the usual cause: Keras 3's ``model.export`` on
    the TensorFlow backend leaves a Normalization layer's statistics out as extra graph inputs."""
    reason = f"the model has {len(graph.input_specs)} inputs; polyx needs exactly one"
    if any("normalization" in name.lower() for name, _ in graph.input_specs[1:]):
        reason += (" (the extra inputs are a Normalization layer's statistics, which Keras' TensorFlow-backend export "
                   "leaves out of the file: re-export with tf2onnx.convert.from_keras or the Keras torch/JAX backend)")
    return reason


def _scan_interface(graph: OnnxGraph) -> list[OffendingNode]:
    """One input and one output, a float input with a batch axis and fixed feature dimensions."""
    problems = []
    if len(graph.input_specs) != 1:
        names = ", ".join(name for name, _ in graph.input_specs) or "none"
        problems.append(OffendingNode(names, "graph input", _input_count_reason(graph)))
    if len(graph.output_specs) != 1:
        names = ", ".join(name for name, _ in graph.output_specs)
        problems.append(OffendingNode(names, "graph output", f"the model has {len(graph.output_specs)} outputs; polyx needs exactly one"))
    for name, (elem_type, shape) in graph.input_specs[:1] if len(graph.input_specs) == 1 else ():
        if elem_type not in _DTYPES:
            problems.append(OffendingNode(name, "graph input", f"element type {elem_type} is not float32 or float64"))
        if shape is None or len(shape) < 2:
            problems.append(OffendingNode(name, "graph input", f"shape {shape} has no batch axis plus feature axes"))
        elif not all(isinstance(dim, int) and dim > 0 for dim in shape[1:]):
            problems.append(OffendingNode(name, "graph input", f"feature dimensions {list(shape[1:])} are not fixed integers"))
    return problems


def _scan_ops(graph: OnnxGraph) -> list[OffendingNode]:
    """Every data node whose op polyx refuses or does not know."""
    problems = []
    for node in graph.data_nodes:
        entry = find_pattern(node, graph.opset(node.domain))
        if entry is not None and entry.refused:
            problems.append(_offending(node, f"unsupported op '{node.op_type}': {entry.summary}"))
        elif entry is None and not (node.domain == "" and node.op_type in REGION_OPS):
            domain = f" (domain '{node.domain}')" if node.domain else ""
            problems.append(_offending(node, f"unknown op '{node.op_type}'{domain}: polyx cannot represent it as dense layers"))
    return problems


def _scan_skips(graph: OnnxGraph, start: str) -> list[OffendingNode]:
    """Nodes joining tensors that passed through different numbers of layers: skip/residual connections."""
    depth = {start: 0}
    problems = []
    for node in graph.data_nodes:
        depths = sorted({depth[name] for name in graph.data_inputs(node) if name in depth})
        if not depths:
            continue
        if len(depths) > 1:
            sources = " and ".join("the input" if d == 0 else f"layer {d}" for d in reversed(depths))
            problems.append(
                _offending(node, f"not a feed-forward chain: it joins the outputs of {sources} (a skip/residual connection)")
            )
        for out in node.outputs:
            depth[out] = depths[-1] + (node.op_type in _FEATURE_MIXING_OPS)
    return problems


class _Walk:
    """Follows the data from the input to the output, turning patterns into dense layers."""

    def __init__(self, graph: OnnxGraph, reported: set[str], skips_found: bool) -> None:
        name, (elem_type, shape) = graph.input_specs[0]
        self.reported = reported
        self.skips_found = skips_found
        self.graph = graph
        self.output = graph.output_specs[0][0]
        batch = shape[0] if isinstance(shape[0], int) and shape[0] > 0 else None
        self.cursor = Cursor(graph, name, tuple(int(d) for d in shape[1:]), batch)
        self.cursor.move_to(name)
        self.builder = ChainBuilder(int(np.prod(self.cursor.feature_shape)))
        self.problems: list[OffendingNode] = []
        self.softmax: OnnxNode | None = None
        self.output_activation: str | None = None

    def run(self) -> None:
        """Step from the input until the data path ends; every step consumes a node, so it ends within
        one step per node, or the graph loops back on itself."""
        for _ in range(len(self.graph.data_nodes) + 1):
            consumers = self.graph.consumers(self.cursor.tensor)
            if not consumers:
                if self.cursor.tensor != self.output:
                    self._stop_before_output()
                return
            step = self._next_step(consumers)
            if step is None:
                return
            self._apply(step)
        else:
            raise ModelLoadError(
                f"{self.graph.source}: following the data from the input never reaches the output "
                f"(stopped at '{self.cursor.tensor}'); the graph loops, export it again"
            )

    def _stop_before_output(self) -> None:
        node = self.graph.producer(self.cursor.tensor)
        label = node.label if node else self.cursor.tensor
        self.problems.append(
            OffendingNode(label, node.op_type if node else "graph input",
                          f"the data path ends at '{self.cursor.tensor}' without reaching the output '{self.output}'")
        )

    def _next_step(self, consumers: tuple[OnnxNode, ...]) -> Step | None:
        if len(consumers) == 1:
            node = consumers[0]
            entry = find_pattern(node, self.graph.opset(node.domain))
            if entry is not None and entry.handler is not None:
                try:
                    return entry.handler(node, self.cursor)
                except NotThisPattern:
                    pass
                except Refusal as refusal:
                    self.problems.append(_offending(node, str(refusal)))
                    return self._skip(node)
            elif not (node.domain == "" and node.op_type in REGION_OPS):
                return self._skip(node)  # already reported by the scan
        try:
            return identify_region(self.graph, self.cursor.tensor)
        except RegionRefusal as refusal:
            follows_known_problem = refusal.node.label in self.reported or (refusal.branch and self.skips_found)
            if not follows_known_problem:
                self.problems.append(_offending(refusal.node, str(refusal)))
            return None

    def _skip(self, node: OnnxNode) -> Step | None:
        """Step over a node that cannot be represented, to find later problems too; its shape is unknown."""
        outputs = [out for out in node.outputs if (out and self.graph.consumers(out)) or out == self.output]
        if len(outputs) != 1:
            return None
        self.cursor.feature_shape = None
        return Step((node,), outputs[0])

    def _apply(self, step: Step) -> None:
        if self.softmax is not None and step.effects:
            self.problems.append(
                _offending(self.softmax, f"{self.softmax.op_type} is only supported as the final op over the features; "
                                         f"'{step.nodes[0].label}' ({step.nodes[0].op_type}) follows it")
            )
            self.softmax = None
        for effect in step.effects:
            if isinstance(effect, OutputSoftmax):
                self.softmax, self.output_activation = step.nodes[0], effect.name
            elif isinstance(effect, Reshape):
                self.cursor.feature_shape = effect.feature_shape
            elif self.cursor.feature_shape is not None and not self.problems:
                self.builder.apply(effect)
            if isinstance(effect, Dense):
                self.cursor.feature_shape = (effect.weight.shape[0],)
        self.cursor.move_to(step.output)


def _unique(problems: list[OffendingNode]) -> list[OffendingNode]:
    seen: dict[tuple[str, str], OffendingNode] = {}
    for problem in problems:
        seen.setdefault((problem.name, problem.reason), problem)
    return list(seen.values())


def _load_external_data(model: Any, source: str, folder: Path) -> None:
    from onnx.external_data_helper import load_external_data_for_model, uses_external_data

    if any(uses_external_data(tensor) for tensor in model.graph.initializer):
        try:
            load_external_data_for_model(model, str(folder))
        except Exception as error:  # missing or short external data file
            raise ModelLoadError(
                f"{source}: cannot read its external weight data in {folder} ({error}); keep the data file next to the model"
            ) from None


def _metadata(graph: OnnxGraph, logits_tensor: str | None, output: str) -> dict:
    return {
        "format": "onnx",
        "producer": graph.producer_name,
        "opset": graph.opset(),
        "ir_version": graph.ir_version,
        "logits_tensor": logits_tensor,
        "output_tensor": output,
    }


def _as_graph(graph: OnnxGraph, chain_problems: list[OffendingNode]) -> Graph:
    """The model as a computation graph, or one error naming every node no graph rule takes (in the
    chain walker's words where it reported the same node)."""
    input_name, (elem_type, shape) = graph.input_specs[0]
    batch = shape[0] if isinstance(shape[0], int) and shape[0] > 0 else None
    builder, problems, output = build_graph(graph, input_name, tuple(int(d) for d in shape[1:]), batch)
    if problems or output is None:
        said = {problem.name: problem for problem in chain_problems}
        raise UnsupportedModelError(graph.source, _unique([said.get(p.name, p) for p in problems]))
    nodes = graph_nodes(builder, output)
    check_graph_finite(nodes, graph.source)
    softmax = builder.softmax
    return Graph(
        nodes=tuple(nodes),
        input_name=input_name,
        output_name=graph.output_specs[0][0],
        input_shape=tuple(int(d) for d in shape[1:]),
        dtype=_DTYPES[elem_type],
        output_activation=softmax[1] if softmax else None,
        batch_size=batch,
        output_shape=output.shape,
        metadata=_metadata(graph, softmax[0].inputs[0] if softmax else None, graph.output_specs[0][0]),
    )


def network_from_onnx(data: bytes, source: str, folder: Path, output: str | None = None) -> Network | Graph:
    """Turn ONNX bytes into a Network (a dense chain) or a Graph (anything else polyx represents), or
    raise one error listing every node that cannot be represented.

    ``output`` names the output to read when the file has several (default: the only float one).
    ``metadata["logits_tensor"]`` names the input of a final Softmax (None without one): the
    tensor verification reads from the file to compare a polynomial of the logits with logits.
    """
    model = parse_model(data, source)
    _load_external_data(model, source, folder)
    restrict_to_output(model, choose_output(model, output, source))
    graph = OnnxGraph(model, source)
    interface = _scan_interface(graph)
    problems = interface + _scan_ops(graph)
    walk = None
    if not interface:
        skips = _scan_skips(graph, graph.input_specs[0][0])
        walk = _Walk(graph, reported={p.name for p in problems}, skips_found=bool(skips))
        walk.run()
        problems += skips + walk.problems
    if problems and not interface:
        return _as_graph(graph, _unique(problems))
    if problems:
        raise UnsupportedModelError(source, _unique(problems))
    assert walk is not None
    input_name, (elem_type, shape) = graph.input_specs[0]
    layers = tuple(walk.builder.finish())
    check_finite(layers, source)
    return Network(
        layers=layers,
        input_name=input_name,
        output_name=walk.output,
        input_shape=tuple(int(d) for d in shape[1:]),
        dtype=_DTYPES[elem_type],
        output_activation=walk.output_activation if walk.softmax is not None else None,
        batch_size=walk.cursor.batch_size,
        output_shape=walk.cursor.feature_shape,
        metadata=_metadata(graph, walk.softmax.inputs[0] if walk.softmax is not None else None, walk.output),
    )
