"""The computation-graph form of the IR: a small DAG of primitive nodes, for what is not a dense chain.

A ``Graph`` holds its nodes in topological order. Node 0 is the input (the flattened features,
row-major, as in ``Network``); the last node is the output. Every tensor is a flat vector of
features (NCHW layouts flattened row-major), so every primitive is one of:

- ``Linear``: ``y = A x + b`` with A dense (small maps) or ``scipy.sparse`` (convolutions, pooling,
  broadcasts, selections, sums of branches): a 28×28 convolution is ~9 entries per output, never a
  dense float64 matrix;
- ``Elementwise``: one activation from the registry applied to every feature;
- ``Product``: the elementwise product of two tensors of the same size (gates, squares);
- ``Concat``: several tensors side by side (the features of a branch join; Add is Concat then Linear);
- ``MaxPool``: the maximum over windows of the input (piecewise linear: at a point it selects).

Each node kind gets one rule per expansion method (``polyx.expansion.engine.graph``), the way jax's
``jet`` registers one Taylor rule per primitive. A dense chain is kept as ``Network``: its methods
carry nn2poly's exact bookkeeping, data fits and diagnostics, and every chain result is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

import numpy as np
import scipy.sparse as sparse

from polyx.converters.ir.chain import OUTPUT_ACTIVATIONS, ModelInterface
from polyx.expansion.activations.registry import Activation, activation_value
from polyx.errors import ModelLoadError

__all__ = [
    "Input", "Linear", "Elementwise", "Product", "Concat", "MaxPool", "Node", "Graph", "Operator", "ConvOperator",
    "apply_operator", "is_structured",
    "check_graph", "check_graph_finite",
]

@dataclass(frozen=True)
class ConvOperator:
    """A convolution as a linear map on flattened (C, spatial…) features, applied with BLAS.

    ``weight`` (M, C/g, T) holds each filter's taps, ``taps`` (P, T) the flat spatial input index
    each output position reads at each tap (−1: padding). ``A @ X`` for X (C·S, k) gathers the
    windows once, G[c, t, p, :] = X[c, taps[p, t], :], and multiplies (M, C/g·T) by (C/g·T, P·k) per
    group: the same M·C/g·T·P·k multiply-adds as the sparse matrix, but as one dense product, which
    is what makes a 28×28 CNN's 784 expansion directions fast.
    """

    weight: np.ndarray
    taps: np.ndarray
    channels: int
    spatial: int
    group: int = 1

    @property
    def shape(self) -> tuple[int, int]:
        return (self.weight.shape[0] * self.taps.shape[0], self.channels * self.spatial)

    @property
    def nnz(self) -> int:
        """Stored multiply-adds per input column (the sparse matrix's nonzeros)."""
        return int(self.weight.shape[0] * self.weight.shape[1] * (self.taps >= 0).sum())

    @property
    def size(self) -> int:
        return self.nnz

    def __matmul__(self, columns: np.ndarray) -> np.ndarray:
        columns = np.asarray(columns, dtype=np.float64)
        if columns.ndim == 1:
            return (self @ columns[:, None])[:, 0]
        k = columns.shape[1]
        filters, per_group, count = self.weight.shape
        positions = self.taps.shape[0]
        padded = np.concatenate([columns.reshape(self.channels, self.spatial, k),
                                 np.zeros((self.channels, 1, k))], axis=1)
        index = np.where(self.taps >= 0, self.taps, self.spatial).T  # (T, P)
        out = np.empty((filters, positions, k))
        per_filter = filters // self.group
        for g in range(self.group):
            gathered = padded[g * per_group:(g + 1) * per_group][:, index, :]  # (C/g, T, P, k)
            kernel = self.weight[g * per_filter:(g + 1) * per_filter].reshape(per_filter, per_group * count)
            out[g * per_filter:(g + 1) * per_filter] = (
                kernel @ gathered.reshape(per_group * count, positions * k)).reshape(per_filter, positions, k)
        return out.reshape(filters * positions, k)

    def to_sparse(self) -> sparse.csr_array:
        """The same map as a sparse matrix (for folding and inspection)."""
        filters, per_group, count = self.weight.shape
        positions = self.taps.shape[0]
        m = np.arange(filters).reshape(-1, 1, 1, 1)
        c = np.arange(per_group).reshape(1, -1, 1, 1)
        channel = (m // (filters // self.group)) * per_group + c
        inputs = channel * self.spatial + self.taps[None, None]
        outputs = np.broadcast_to(m * positions + np.arange(positions).reshape(1, 1, -1, 1), inputs.shape)
        values = np.broadcast_to(self.weight.reshape(filters, per_group, 1, count), inputs.shape)
        keep = np.broadcast_to(self.taps[None, None] >= 0, inputs.shape)
        return sparse.csr_array((values[keep], (outputs[keep], inputs[keep])), shape=self.shape)


Operator = Union[np.ndarray, sparse.csr_array, ConvOperator]


def is_structured(operator: object) -> bool:
    """True for a sparse or convolution operator (applied by its own product, never densified)."""
    return sparse.issparse(operator) or isinstance(operator, ConvOperator)


def apply_operator(operator: Operator, rows: np.ndarray) -> np.ndarray:
    """``rows @ Aᵀ`` for (k, in) rows: the same product for a dense, sparse or convolution A."""
    if is_structured(operator):
        return np.asarray((operator @ np.ascontiguousarray(rows.T)).T)
    return rows @ operator.T


@dataclass(frozen=True)
class Input:
    """The graph's input: ``size`` flattened features."""

    size: int
    label: str = "input"

    @property
    def inputs(self) -> tuple[int, ...]:
        return ()


@dataclass(frozen=True)
class Linear:
    """``A x + b`` with A (size, in) dense or sparse; ``label`` names the ONNX node(s) it came from."""

    source: int
    operator: Operator
    bias: np.ndarray
    label: str = ""

    def __post_init__(self) -> None:
        bias = np.array(self.bias, dtype=np.float64).reshape(-1)
        if bias.size == 1 and self.operator.shape[0] != 1:
            bias = np.full(self.operator.shape[0], float(bias[0]))
        bias.setflags(write=False)
        object.__setattr__(self, "bias", bias)
        if isinstance(self.operator, ConvOperator):
            operator = self.operator
        elif sparse.issparse(self.operator):
            operator = sparse.csr_array(self.operator, dtype=np.float64)
        else:
            operator = np.array(self.operator, dtype=np.float64)
        object.__setattr__(self, "operator", operator)

    @property
    def inputs(self) -> tuple[int, ...]:
        return (self.source,)

    @property
    def size(self) -> int:
        return int(self.operator.shape[0])


@dataclass(frozen=True)
class Elementwise:
    """``activation`` applied to every feature of ``source``; ``origin`` marks nodes that stand for
    part of a larger op (a LayerNorm's 1/√(var + ε)), which a method may refuse by name."""

    source: int
    activation: Activation
    size: int
    label: str = ""
    origin: str = ""

    @property
    def inputs(self) -> tuple[int, ...]:
        return (self.source,)


@dataclass(frozen=True)
class Product:
    """The elementwise product of two tensors of one size: a gate, or a square in a normalisation."""

    left: int
    right: int
    size: int
    label: str = ""
    origin: str = ""

    @property
    def inputs(self) -> tuple[int, ...]:
        return (self.left, self.right)


@dataclass(frozen=True)
class Concat:
    """The features of ``sources`` one after another."""

    sources: tuple[int, ...]
    size: int
    label: str = ""

    @property
    def inputs(self) -> tuple[int, ...]:
        return self.sources


@dataclass(frozen=True)
class MaxPool:
    """Output j is the maximum of ``source`` over ``windows[j]`` (flat input indices, -1 = padding)."""

    source: int
    windows: np.ndarray
    label: str = ""

    def __post_init__(self) -> None:
        windows = np.array(self.windows, dtype=np.int64)
        windows.setflags(write=False)
        object.__setattr__(self, "windows", windows)

    @property
    def inputs(self) -> tuple[int, ...]:
        return (self.source,)

    @property
    def size(self) -> int:
        return int(self.windows.shape[0])

    def selection(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For input values (rows, in): the selected flat index per output (rows, size) and the gap
        between each window's largest and second-largest value (rows, size; inf for one-element windows)."""
        padded = np.where(self.windows >= 0, self.windows, 0)
        window_values = np.where(self.windows >= 0, values[:, padded], -np.inf)
        order = np.argsort(-window_values, axis=-1, kind="stable")
        best = np.take_along_axis(padded[None].repeat(values.shape[0], axis=0), order[..., :1], axis=-1)[..., 0]
        top = np.take_along_axis(window_values, order[..., :2], axis=-1)
        gap = top[..., 0] - top[..., 1] if top.shape[-1] > 1 else np.full(best.shape, np.inf)
        return best, gap


Node = Union[Input, Linear, Elementwise, Product, Concat, MaxPool]


def _forward_node(node: Node, values: list[np.ndarray]) -> np.ndarray:
    """One node's values for a batch of rows, in float64: the oracle of every rule."""
    if isinstance(node, Linear):
        return apply_operator(node.operator, values[node.source]) + node.bias
    if isinstance(node, Elementwise):
        return activation_value(node.activation, values[node.source])
    if isinstance(node, Product):
        return values[node.left] * values[node.right]
    if isinstance(node, Concat):
        return np.concatenate([values[s] for s in node.sources], axis=1)
    if isinstance(node, MaxPool):
        best, _ = node.selection(values[node.source])
        return np.take_along_axis(values[node.source], best, axis=1)
    raise TypeError(f"unknown node {node!r}")


@dataclass(frozen=True)
class Graph(ModelInterface):
    """A network as a DAG of primitive nodes, with the same interface as ``Network`` where they meet.

    ``input_shape`` is the input's feature shape (flattened row-major into node 0);
    ``output_activation`` is a final softmax or log-softmax over the last node (its logits).
    """

    nodes: tuple[Node, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "nodes", tuple(self.nodes))
        check_graph(self)
        if not self.input_shape:
            object.__setattr__(self, "input_shape", (self.nodes[0].size,))
        if self.output_shape is None:
            object.__setattr__(self, "output_shape", (self.output_size,))

    @property
    def input_size(self) -> int:
        """Number of scalar inputs."""
        return int(self.nodes[0].size)

    @property
    def output_size(self) -> int:
        """Number of scalar outputs."""
        return int(self.nodes[-1].size)

    @property
    def widths(self) -> list[int]:
        """The size of every node: what memory estimates of an expansion count."""
        return [int(node.size) for node in self.nodes]

    def node_values(self, x: np.ndarray) -> list[np.ndarray]:
        """Every node's values for rows ``x`` (rows, input_size), in float64."""
        values: list[np.ndarray] = [np.asarray(x, dtype=np.float64).reshape(-1, self.input_size)]
        for node in self.nodes[1:]:
            values.append(_forward_node(node, values))
        return values

    def forward(self, x: np.ndarray, logits: bool = False) -> np.ndarray:
        """The network's outputs in float64 numpy (``logits=True`` skips a final softmax)."""
        out = self.node_values(x)[-1]
        if self.output_activation is not None and not logits:
            out = OUTPUT_ACTIVATIONS[self.output_activation](out)
        return out

    def kinds(self) -> dict[str, int]:
        """How many nodes of each kind: what ``inspect`` summarises."""
        counts: dict[str, int] = {}
        for node in self.nodes:
            counts[type(node).__name__] = counts.get(type(node).__name__, 0) + 1
        return counts


def check_graph(graph: Graph) -> None:
    """Raise ModelLoadError unless node 0 is the input, every edge points backwards and sizes agree."""
    nodes = graph.nodes
    if not nodes or not isinstance(nodes[0], Input) or len(nodes) < 2:
        raise ModelLoadError("a graph needs an input node and at least one operation")
    for index, node in enumerate(nodes[1:], start=1):
        if isinstance(node, Input) or any(not 0 <= source < index for source in node.inputs):
            raise ModelLoadError(f"graph node {index} ({node.label}) is not in topological order")
        sizes = [nodes[source].size for source in node.inputs]
        expected = {
            Linear: lambda: [node.operator.shape[1]],
            Elementwise: lambda: [node.size],
            Product: lambda: [node.size, node.size],
            Concat: lambda: sizes if sum(sizes) == node.size else [-1],
            MaxPool: lambda: sizes if node.windows.max(initial=-1) < sizes[0] else [-1],
        }[type(node)]()
        if sizes != list(expected):
            raise ModelLoadError(f"graph node {index} ({node.label}) reads sizes {sizes}, expects {list(expected)}")
    if graph.output_activation is not None and graph.output_activation not in OUTPUT_ACTIVATIONS:
        raise ModelLoadError(f"unknown output activation '{graph.output_activation}'")


def check_graph_finite(nodes: tuple[Node, ...] | list[Node], source: str) -> None:
    """Refuse NaN or infinite weights, naming the node: they would turn every coefficient into NaN."""
    for node in nodes:
        if isinstance(node, Linear):
            operator = node.operator
            values = operator.weight if isinstance(operator, ConvOperator) else (
                operator.data if sparse.issparse(operator) else operator)
            if not (np.isfinite(values).all() and np.isfinite(node.bias).all()):
                raise ModelLoadError(f"{source}: node '{node.label}' has NaN or infinite weights; the export is broken")
