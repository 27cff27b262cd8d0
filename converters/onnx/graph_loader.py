"""Read an ONNX graph that is not a dense chain into a ``Graph`` of primitive nodes.

The walk visits the data nodes in file (topological) order and gives each the first rule that
takes it:

1. a graph op (``graph_ops.GRAPH_OPS``: Conv, pooling, layout, LayerNorm, …);
2. a join of two data tensors (``graph_ops.BINARY_OPS``: Add, Sub, Mul, Div);
3. the dense-chain pattern handlers (Gemm, MatMul + Add, BatchNorm, constant affine ops, Flatten,
   Softmax, …), run on a cursor placed at the node's data input, so every exporter's dense
   patterns are read exactly as for a chain;
4. an elementwise region identified as one activation (SiLU, GELU, … in any decomposition);
5. a single elementwise op (``graph_ops.FALLBACK_OPS``: a lone Sigmoid gate, Pow, Sqrt, …).

Every node no rule takes is collected, so one error names them all. A run of linear maps folds
into one when the product stays small, so a conv → BatchNorm → flatten → Gemm head is one map.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sparse

from polyx.converters.onnx.chain import Activate, Cursor, Dense, OutputSoftmax, Reshape, ScaleShift, Step
from polyx.converters.onnx.elementwise import REGION_OPS, RegionRefusal, identify_region
from polyx.converters.onnx.views import OnnxGraph, OnnxNode
from polyx.converters.ir.graph import Concat, ConvOperator, Elementwise, Input, Linear, MaxPool, Node, Product
from polyx.converters.onnx.graph_ops import BINARY_OPS, FALLBACK_OPS, GRAPH_OPS
from polyx.converters.ir.chain import Activation
from polyx.converters.onnx.patterns import find_pattern
from polyx.converters.onnx.registry import NotThisPattern, Refusal
from polyx.errors import OffendingNode

__all__ = ["Value", "GraphBuilder", "build_graph", "graph_nodes", "fold_linear_runs", "prune"]

_BOUND = object()
"""Default ``output`` of the builder's methods: bind the node's first output tensor."""


@dataclass(frozen=True)
class Value:
    """Where a tensor's values are: the IR node holding them and their feature shape."""

    index: int
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        return math.prod(self.shape)


class _Unavailable(Exception):
    """A node reads a tensor that an unsupported (already reported) node produced."""


def _selection(indices: np.ndarray, width: int) -> sparse.csr_array:
    rows = np.arange(indices.size)
    return sparse.csr_array((np.ones(indices.size), (rows, indices)), shape=(indices.size, width))


class GraphBuilder:
    """The IR nodes made so far and the tensor → value map; graph-op handlers add nodes through it."""

    def __init__(self, graph: OnnxGraph, input_name: str, input_shape: tuple[int, ...], batch: int | None) -> None:
        self.graph = graph
        self.batch = batch
        self.nodes: list[Node] = [Input(math.prod(input_shape), input_name)]
        self.values: dict[str, Value] = {input_name: Value(0, tuple(input_shape))}
        self.softmax: tuple[OnnxNode, str, str] | None = None

    def value(self, tensor: str) -> Value:
        """The value of a data tensor made so far."""
        if tensor not in self.values:
            raise _Unavailable(tensor)
        return self.values[tensor]

    def _bind(self, node: OnnxNode, value: Value, output: object) -> Value:
        name = node.outputs[0] if output is _BOUND else output
        if name:
            self.values[str(name)] = value
        return value

    def add_node(self, node: OnnxNode, ir: Node, shape: tuple[int, ...], output: object = _BOUND) -> Value:
        """Append one IR node and bind ``output`` (the ONNX node's first output by default; None: no tensor)."""
        self.nodes.append(ir)
        return self._bind(node, Value(len(self.nodes) - 1, tuple(shape)), output)

    def linear(self, node: OnnxNode, value: Value, operator: object, bias: np.ndarray, shape: tuple[int, ...],
               output: object = _BOUND) -> Value:
        """A linear map ``A v + b`` of ``value`` with the result's feature shape."""
        return self.add_node(node, Linear(value.index, operator, bias, node.label), shape, output)

    def alias(self, tensor: str, value: Value, shape: tuple[int, ...]) -> None:
        """``tensor`` holds the same values in a new shape (reshape, squeeze)."""
        self.values[tensor] = Value(value.index, tuple(shape))

    def select(self, node: OnnxNode, value: Value, indices: np.ndarray, shape: tuple[int, ...],
               output: object = _BOUND) -> Value:
        """Output j reads input ``indices[j]``; the identity selection adds no node."""
        indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        if indices.size == value.size and np.array_equal(indices, np.arange(value.size)):
            return self._bind(node, Value(value.index, tuple(shape)), output)
        return self.linear(node, value, _selection(indices, value.size), np.zeros(indices.size), shape, output)

    def elementwise(self, node: OnnxNode, value: Value, activation: Activation, origin: str = "",
                    output: object = None) -> Value:
        """``activation`` applied to every feature of ``value``."""
        return self.add_node(node, Elementwise(value.index, activation, value.size, node.label, origin), value.shape,
                             output)

    def broadcast_shape(self, node: OnnxNode, *values: Value) -> tuple[int, ...]:
        """The common feature shape of numpy broadcasting (the batch axes must line up)."""
        ranks = {len(value.shape) for value in values}
        if len(ranks) != 1:
            raise Refusal(f"{node.op_type} of tensors of feature shapes {[list(v.shape) for v in values]}: "
                          "their batch axes do not line up")
        try:
            return tuple(int(d) for d in np.broadcast_shapes(*(value.shape for value in values)))
        except ValueError:
            raise Refusal(f"{node.op_type} of feature shapes {[list(v.shape) for v in values]} does not broadcast") from None

    @staticmethod
    def _spread(value: Value, shape: tuple[int, ...]) -> np.ndarray:
        return np.broadcast_to(np.arange(value.size).reshape(value.shape), shape).reshape(-1)

    def broadcast(self, node: OnnxNode, value: Value, shape: tuple[int, ...]) -> Value:
        """``value`` repeated along its size-1 axes to ``shape`` (a replication map, or nothing)."""
        if tuple(value.shape) == tuple(shape):
            return value
        return self.select(node, value, self._spread(value, shape), shape, output=None)

    def weighted_sum(self, node: OnnxNode, terms: list[tuple[Value, float]], output: object = _BOUND) -> Value:
        """Σ w_i · broadcast(v_i): one linear map of the inputs' concatenation (of the one input if shared)."""
        shape = self.broadcast_shape(node, *(value for value, _ in terms))
        size = math.prod(shape)
        sources = list(dict.fromkeys(value.index for value, _ in terms))
        widths = {value.index: value.size for value, _ in terms}
        offsets = dict(zip(sources, np.cumsum([0] + [widths[s] for s in sources[:-1]])))
        rows, columns, weights = [], [], []
        for value, weight in terms:
            rows.append(np.arange(size))
            columns.append(self._spread(value, shape) + offsets[value.index])
            weights.append(np.full(size, weight))
        width = sum(widths[s] for s in sources)
        operator = sparse.csr_array((np.concatenate(weights), (np.concatenate(rows), np.concatenate(columns))),
                                    shape=(size, width))
        if len(sources) == 1:
            joint = Value(sources[0], (width,))
        else:
            joint = self.add_node(node, Concat(tuple(sources), width, node.label), (width,), output=None)
        return self.linear(node, joint, operator, np.zeros(size), shape, output)

    def reduce(self, node: OnnxNode, value: Value, axes: list[int], keep: bool, mean: bool,
               output: object = _BOUND) -> Value:
        """The mean (or sum) over feature ``axes``: a sparse map with 1/count (or 1) per entry."""
        kept_shape = tuple(1 if axis in axes else d for axis, d in enumerate(value.shape))
        coordinates = np.unravel_index(np.arange(value.size), value.shape)
        target = np.ravel_multi_index(
            tuple(np.zeros_like(c) if axis in axes else c for axis, c in enumerate(coordinates)), kept_shape
        )
        count = math.prod(value.shape[axis] for axis in axes)
        operator = sparse.csr_array((np.full(value.size, 1.0 / count if mean else 1.0), (target, np.arange(value.size))),
                                    shape=(math.prod(kept_shape), value.size))
        shape = kept_shape if keep else tuple(d for axis, d in enumerate(value.shape) if axis not in axes)
        return self.linear(node, value, operator, np.zeros(operator.shape[0]), shape, output)

    def apply_step(self, step: Step, value: Value, output_tensor: str) -> None:
        """The effects of a chain pattern or identified region, as IR nodes from ``value`` on."""
        node = step.nodes[0]
        for effect in step.effects:
            if isinstance(effect, Dense):
                value = self.linear(node, value, effect.weight, effect.bias, (effect.weight.shape[0],), output=None)
            elif isinstance(effect, ScaleShift):
                scale = np.broadcast_to(np.asarray(effect.scale, dtype=np.float64).reshape(-1), (value.size,))
                shift = np.broadcast_to(np.asarray(effect.shift, dtype=np.float64).reshape(-1), (value.size,))
                value = self.linear(node, value, sparse.diags_array(scale).tocsr(), shift, value.shape, output=None)
            elif isinstance(effect, Activate):
                value = self.elementwise(node, value, effect.activation)
            elif isinstance(effect, Reshape):
                value = Value(value.index, tuple(effect.feature_shape))
            elif isinstance(effect, OutputSoftmax):
                if step.output != output_tensor:
                    raise Refusal(f"{node.op_type} is only supported as the final op over the features")
                self.softmax = (node, effect.name, step.output)
        self.values[step.output] = value


class _Walk:
    """One pass over the data nodes, each taken by the first rule that applies."""

    def __init__(self, graph: OnnxGraph, builder: GraphBuilder, output: str) -> None:
        self.graph = graph
        self.builder = builder
        self.output = output
        self.consumed: set[int] = set()
        self.regions_tried: set[str] = set()
        self.problems: list[OffendingNode] = []

    def run(self) -> None:
        for node in self.graph.data_nodes:
            if node.index in self.consumed:
                continue
            try:
                self._convert(node)
            except Refusal as refusal:
                blame = refusal.node if isinstance(refusal, RegionRefusal) else node
                self.problems.append(OffendingNode(blame.label, blame.op_type, str(refusal)))
                self._pass_through(node)
            except _Unavailable:
                self._pass_through(node)
            self.consumed.add(node.index)

    def _pass_through(self, node: OnnxNode) -> None:
        """Carry a refused node's input on as its output, so the nodes after it are checked too
        (the graph is not built once a problem is found; only the list of problems is)."""
        data = [name for name in self._data(node) if name in self.builder.values]
        outputs = [out for out in node.outputs if out]
        if data and len(outputs) == 1 and outputs[0] not in self.builder.values:
            self.builder.values[outputs[0]] = self.builder.values[data[0]]

    def _apply(self, step: Step, start: str) -> None:
        self.builder.apply_step(step, self.builder.value(start), self.output)
        self.consumed.update(n.index for n in step.nodes)

    def _region(self, tensor: str) -> RegionRefusal | None:
        """Try the elementwise region off ``tensor`` once; None when it was applied."""
        if tensor in self.regions_tried:
            return RegionRefusal(self.graph.consumers(tensor)[0], "tried")
        self.regions_tried.add(tensor)
        try:
            step = identify_region(self.graph, tensor)
        except RegionRefusal as refusal:
            return refusal
        self._apply(step, tensor)
        return None

    def _chain_pattern(self, node: OnnxNode, tensor: str) -> bool:
        entry = find_pattern(node, self.graph.opset(node.domain))
        if entry is None or entry.handler is None:
            if entry is not None and entry.refused and node.op_type not in REGION_OPS | set(FALLBACK_OPS):
                raise Refusal(f"unsupported op '{node.op_type}': {entry.summary}")
            return False
        value = self.builder.value(tensor)
        cursor = Cursor(self.graph, tensor, value.shape, self.builder.batch)
        cursor.visited.update({name: v.shape for name, v in self.builder.values.items()})
        try:
            step = entry.handler(node, cursor)
        except NotThisPattern:
            return False
        except Refusal:
            if node.op_type in FALLBACK_OPS:
                return False
            raise
        self._apply(step, tensor)
        return True

    def _data(self, node: OnnxNode) -> list[str]:
        """The node's inputs that carry data: neither constant nor computed from shapes (a flatten's target)."""
        return [name for name in self.graph.data_inputs(node) if not self.graph.is_shape_tensor(name)]

    def _convert(self, node: OnnxNode) -> None:
        data = self._data(node)
        distinct = list(dict.fromkeys(data))
        if node.domain == "" and node.op_type in GRAPH_OPS:
            GRAPH_OPS[node.op_type](node, self.builder)
            return
        if len(distinct) >= 2:
            if node.domain == "" and node.op_type in BINARY_OPS:
                BINARY_OPS[node.op_type](node, self.builder)
                return
            raise Refusal(f"{node.op_type} of two data tensors cannot be represented (supported joins: "
                          f"{', '.join(sorted(BINARY_OPS))}, Concat)")
        if not distinct:
            raise Refusal("the node reads no data")
        tensor = distinct[0]
        self.builder.value(tensor)
        fans_out = len(self.graph.consumers(tensor)) > 1
        refusal = None
        if fans_out and any(c.op_type in REGION_OPS for c in self.graph.consumers(tensor)):
            refusal = self._region(tensor)
            if node.index in self.consumed:
                return
        if self._chain_pattern(node, tensor):
            return
        if node.domain == "" and node.op_type in REGION_OPS:
            refusal = self._region(tensor) if tensor not in self.regions_tried else refusal
            if node.index in self.consumed:
                return
        if node.domain == "" and node.op_type in BINARY_OPS and len(data) == 2:
            BINARY_OPS[node.op_type](node, self.builder)
            return
        if node.domain == "" and node.op_type in FALLBACK_OPS:
            try:
                FALLBACK_OPS[node.op_type](node, self.builder)
            except NotThisPattern:
                raise Refusal(f"{node.op_type} in this form (e.g. a target computed from the data) is not "
                              "supported") from None
            return
        if refusal is not None and str(refusal) != "tried":
            raise refusal
        domain = f" (domain '{node.domain}')" if node.domain else ""
        raise Refusal(f"unknown op '{node.op_type}'{domain}: polyx has no graph rule for it")


def _readers(nodes: list[Node]) -> list[int]:
    counts = [0] * len(nodes)
    for node in nodes:
        for source in node.inputs:
            counts[source] += 1
    return counts


def _product(second: Linear, first: Linear) -> object | None:
    """A·B of two maps when the result is no larger than what it replaces, else None."""
    a, b = second.operator, first.operator
    a = a.to_sparse() if isinstance(a, ConvOperator) else a
    if isinstance(b, ConvOperator):
        return None  # the convolution stays an operator; a map after it reads its output
    if sparse.issparse(a) and sparse.issparse(b):
        # a pooling folded into the next convolution multiplies its taps: keep the two maps then
        product = sparse.csr_array(a @ b)
        return product if product.nnz <= a.nnz + b.nnz else None
    dense_size = a.shape[0] * b.shape[1]
    replaced = (a.size if not sparse.issparse(a) else a.nnz) + (b.size if not sparse.issparse(b) else b.nnz)
    if dense_size > 2 * replaced:
        return None
    result = a @ b
    return result.toarray() if sparse.issparse(result) else np.asarray(result)


def fold_linear_runs(nodes: list[Node]) -> list[Node]:
    """Replace Linear(Linear(x)) by one Linear where the inner map has no other reader and the
    product stays small (the inner node is then left unread, and dropped by ``prune``)."""
    nodes = list(nodes)
    readers = _readers(nodes)
    for index, node in enumerate(nodes):
        if not isinstance(node, Linear):
            continue
        inner = nodes[node.source]
        if isinstance(inner, Linear) and readers[node.source] == 1:
            operator = _product(node, inner)
            if operator is not None:
                bias = np.asarray(node.operator @ inner.bias).reshape(-1) + node.bias
                label = inner.label if inner.label == node.label else f"{inner.label} + {node.label}"
                nodes[index] = Linear(inner.source, operator, bias, label)
                readers[node.source] -= 1
                readers[inner.source] += 1
    return nodes


def prune(nodes: list[Node], output: int) -> list[Node]:
    """Only the input and the nodes the output depends on, renumbered, the output last."""
    needed = {0, output}
    for index in range(output, 0, -1):
        if index in needed:
            needed.update(nodes[index].inputs)
    order = sorted(needed)
    renumber = {old: new for new, old in enumerate(order)}
    kept = []
    for old in order:
        node = nodes[old]
        if isinstance(node, (Linear, Elementwise, MaxPool)):
            node = dataclasses.replace(node, source=renumber[node.source])
        elif isinstance(node, Product):
            node = dataclasses.replace(node, left=renumber[node.left], right=renumber[node.right])
        elif isinstance(node, Concat):
            node = dataclasses.replace(node, sources=tuple(renumber[s] for s in node.sources))
        kept.append(node)
    return kept


def build_graph(graph: OnnxGraph, input_name: str, input_shape: tuple[int, ...], batch: int | None
                ) -> tuple[GraphBuilder, list[OffendingNode], Value | None]:
    """Walk ``graph`` from its one input to its one output; returns the builder, every problem found,
    and the output's value (None when the data never reaches it)."""
    output = graph.output_specs[0][0]
    builder = GraphBuilder(graph, input_name, input_shape, batch)
    walk = _Walk(graph, builder, output)
    walk.run()
    problems = walk.problems
    value = builder.values.get(output)
    if value is None and not problems:
        producer = graph.producer(output)
        problems.append(OffendingNode(producer.label if producer else output, producer.op_type if producer else "output",
                                      f"the data never reaches the output '{output}'"))
    elif value is not None and value.index == 0 and not problems:
        problems.append(OffendingNode(output, "output", "the output is the input itself: there is nothing to expand"))
    return builder, problems, value


def graph_nodes(builder: GraphBuilder, output: Value) -> list[Node]:
    """The IR nodes the output needs, linear runs folded, output last."""
    nodes = fold_linear_runs(prune(builder.nodes, output.index))
    return prune(nodes, len(nodes) - 1)
