"""Push truncated series through a computation graph: one rule per primitive node kind.

The rules are the same for every method and for both series types (the multivariate
``PolyBatch`` of a full expansion and the per-axis ``UnivariateBatch`` of an unmixed one):

- ``Linear``: ``A s + b`` (dense or sparse A), exact;
- ``Product``: the truncated product of the two series, exact up to the degree cap;
- ``Concat``: the series side by side;
- ``Elementwise``: the method's univariate series of the activation around each feature's value
  u0 (the constant term), composed with the centred series s − u0 (truncated Horner);
- ``MaxPool``: the method's selection (at a point: the window's largest input, exact near it).

A method supplies only the last two (``GraphRules``), the way jax's ``jet`` keeps one Taylor rule
per primitive and lets the caller choose the series. Series are freed as soon as their last reader
has run, so memory follows the widest cut of the graph, not its size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol, Sequence, TypeVar

import numpy as np
import scipy.sparse as sparse

from polyx.converters.ir.graph import Concat, Elementwise, Graph, Input, Linear, MaxPool, Node, Product
from polyx.errors import MethodError

__all__ = ["Series", "GraphRules", "SeriesOf", "propagate_graph", "selection_operator", "degree_schedule_graph",
           "last_readers"]


class Series(Protocol):
    """What the rules need of a batch of truncated series (``PolyBatch`` and ``UnivariateBatch`` have it)."""

    def constant_term(self) -> np.ndarray: ...
    def without_constant(self) -> "Series": ...
    def linear_map(self, weight: object, bias: np.ndarray | None = None) -> "Series": ...
    def same_polynomials(self, first: np.ndarray, second: np.ndarray) -> np.ndarray: ...
    def times(self, other: "Series", max_degree: int | None = None) -> "Series": ...
    def compose(self, coefficients: np.ndarray, max_degree: int | None = None) -> "Series": ...


S = TypeVar("S")

SeriesOf = Callable[[int, Elementwise, np.ndarray], np.ndarray]
"""(node index, node, each feature's value u0) -> (features, K+1) coefficients in powers of (u − u0)."""


@dataclass(frozen=True)
class GraphRules:
    """What a method decides: the activation's series, and what a max-pool selects.

    ``series_of`` is the method's univariate polynomial per feature. ``max_pool`` gets the node
    and the input's series and returns the flat input index chosen per output, or raises
    MethodError when the method has no rule for a max (nn2poly: no series at 0).
    ``degrees[i]`` caps node i's degree (None: the series type's own order).
    """

    series_of: SeriesOf
    max_pool: Callable[[int, MaxPool, object], np.ndarray]
    degrees: Sequence[int] | None = None


def selection_operator(chosen: np.ndarray, width: int) -> sparse.csr_array:
    """The 0/1 matrix that reads input ``chosen[j]`` into output j."""
    rows = np.arange(chosen.size)
    return sparse.csr_array((np.ones(chosen.size), (rows, chosen)), shape=(chosen.size, width))


def last_readers(graph: Graph) -> list[int]:
    """For each node, the index of the last node that reads it (the output reads itself)."""
    last = list(range(len(graph.nodes)))
    for index, node in enumerate(graph.nodes):
        for source in node.inputs:
            last[source] = max(last[source], index)
    last[-1] = len(graph.nodes)
    return last


def concat_series(parts: list[S]) -> S:
    """Several batches of series side by side; each series type implements ``concatenated``."""
    return type(parts[0]).concatenated(parts)  # type: ignore[attr-defined]


def _cap(degrees: Sequence[int] | None, index: int) -> int | None:
    return None if degrees is None else int(degrees[index])


def _apply(index: int, node: Node, values: list, rules: GraphRules) -> object:
    """The rule of one node kind, given the series of the nodes it reads."""
    cap = _cap(rules.degrees, index)
    if isinstance(node, Linear):
        return values[node.source].linear_map(node.operator, node.bias)
    if isinstance(node, Product):
        return values[node.left].times(values[node.right], cap)
    if isinstance(node, Concat):
        return concat_series([values[source] for source in node.sources])
    if isinstance(node, Elementwise):
        source = values[node.source]
        series = rules.series_of(index, node, source.constant_term())
        return source.without_constant().compose(series, cap)
    if isinstance(node, MaxPool):
        source = values[node.source]
        chosen = rules.max_pool(index, node, source)
        return source.linear_map(selection_operator(chosen, source.batch), None)
    raise MethodError(f"no rule for graph node {node!r}")


def propagate_graph(graph: Graph, start: S, rules: GraphRules, observe: Callable[[int, S], None] | None = None) -> S:
    """The output node's series, given the input's series ``start`` (the input as a series in the
    expansion variables). ``observe(index, series)`` sees every node's series as it is made."""
    values: list = [None] * len(graph.nodes)
    values[0] = start
    last = last_readers(graph)
    for index, node in enumerate(graph.nodes[1:], start=1):
        values[index] = _apply(index, node, values, rules)
        if observe is not None:
            observe(index, values[index])
        for source in node.inputs:
            if last[source] == index:
                values[source] = None
    return values[-1]


def degree_schedule_graph(graph: Graph, series_degree: Callable[[int, Elementwise], int], order: int) -> list[int]:
    """Each node's highest degree, capped at ``order``: linear maps and selections keep it, an
    activation of series degree k multiplies it by k, a product adds, a concat takes the largest."""
    degrees: list[int] = []
    for index, node in enumerate(graph.nodes):
        if isinstance(node, Input):
            degree = 1
        elif isinstance(node, Elementwise):
            degree = degrees[node.source] * series_degree(index, node)
        elif isinstance(node, Product):
            degree = degrees[node.left] + degrees[node.right]
        else:
            degree = max(degrees[source] for source in node.inputs)
        degrees.append(min(degree, order))
    return degrees
