"""Which graphs have a closed-form least-squares polynomial, and the call that computes it.

Belrose & Rigg's closed forms hold for one non-linear stage of Gaussian projections of x:

- a hidden layer, ``A g(W1 x + b1) + c``;
- a residual block, ``S x + A g(W1 x + b1) + c`` (the skip read from a Concat of the input and
  the activation, then one linear map);
- a gated layer, ``W2 (g(V x + c) ⊙ (W1 x + b1)) + b2`` (GLU, SwiGLU, GEGLU; bilinear without g).

``closed_form`` recognises these shapes on the folded graph (linear runs already merged by the
loader) and returns the function that computes the polynomial, or None: deeper graphs keep the
labelled Monte-Carlo fit.
"""

from __future__ import annotations

from functools import partial
from typing import Callable

import numpy as np
import scipy.sparse as sparse

from polyx.converters.ir.graph import Concat, ConvOperator, Elementwise, Graph, Input, Linear, Product
from polyx.converters.ir.chain import LINEAR, DenseLayer, Network
from polyx.expansion.kernel.budget import DEFAULT_MAX_MEMORY
from polyx.expansion.methods.gated_lsq import gated_lsq
from polyx.expansion.methods.least_squares import expand_lsq
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.expansion.methods.residual_lsq import skip_lsq

__all__ = ["closed_form", "ClosedForm", "expand_lsq_any"]

ClosedForm = Callable[..., Polynomial]
"""(order, mean, cov, variables, max_memory) -> the closed-form Polynomial in powers of (x − mean)."""


def _dense(operator: object) -> np.ndarray:
    """A map as a dense matrix (a convolution or pooling feeding the one non-linear stage is linear too)."""
    if isinstance(operator, ConvOperator):
        operator = operator.to_sparse()
    return operator.toarray() if sparse.issparse(operator) else np.asarray(operator, dtype=np.float64)


def _projection(graph: Graph, index: int) -> Linear | None:
    """The node when it is a linear map of the input itself."""
    node = graph.nodes[index]
    if isinstance(node, Linear) and isinstance(graph.nodes[node.source], Input):
        return node
    return None


def _activated(graph: Graph, index: int) -> tuple[Elementwise, Linear] | None:
    """(activation, projection) when the node is an activation of a linear map of the input."""
    node = graph.nodes[index]
    if isinstance(node, Elementwise) and not node.origin:
        projection = _projection(graph, node.source)
        if projection is not None:
            return node, projection
    return None


def _output_map(graph: Graph) -> tuple[int, np.ndarray, np.ndarray]:
    """(the node the output map reads, its matrix, its bias); the identity when the last node is no map."""
    last = len(graph.nodes) - 1
    node = graph.nodes[last]
    if isinstance(node, Linear):
        return node.source, _dense(node.operator), node.bias
    return last, np.eye(node.size), np.zeros(node.size)


def _gated(graph: Graph, source: int, weight: np.ndarray, bias: np.ndarray) -> ClosedForm | None:
    product = graph.nodes[source]
    if not isinstance(product, Product):
        return None
    sides = [product.left, product.right]
    for gate_side, linear_side in (sides, sides[::-1]):
        gate, linear = _activated(graph, gate_side), _projection(graph, linear_side)
        if gate is not None and linear is not None:
            activation, projection = gate
            return partial(_gated_call, projection, linear, weight, bias, activation.activation)
    left, right = _projection(graph, sides[0]), _projection(graph, sides[1])
    if left is not None and right is not None:
        return partial(_gated_call, left, right, weight, bias, LINEAR)
    return None


def _gated_call(gate: Linear, linear: Linear, weight: np.ndarray, bias: np.ndarray, activation, order: int,
                mean: np.ndarray, cov: np.ndarray, variables: tuple[str, ...], outputs: tuple[str, ...],
                max_memory: int = DEFAULT_MAX_MEMORY) -> Polynomial:
    return gated_lsq(_dense(linear.operator), linear.bias, _dense(gate.operator), gate.bias, weight, bias, activation,
                     mean, cov, order, variables=variables, outputs=outputs, centered=True, max_memory=max_memory)


def _residual(graph: Graph, source: int, weight: np.ndarray, bias: np.ndarray) -> ClosedForm | None:
    concat = graph.nodes[source]
    if not isinstance(concat, Concat) or len(concat.sources) != 2:
        return None
    widths = [graph.nodes[s].size for s in concat.sources]
    blocks = np.split(weight, np.cumsum(widths)[:-1], axis=1)
    for skip_at, hidden_at in ((0, 1), (1, 0)):
        hidden = _activated(graph, concat.sources[hidden_at])
        if isinstance(graph.nodes[concat.sources[skip_at]], Input) and hidden is not None:
            activation, projection = hidden
            return partial(_skip_call, blocks[skip_at], projection, blocks[hidden_at], bias, activation.activation)
    return None


def _skip_call(skip: np.ndarray, projection: Linear, weight: np.ndarray, bias: np.ndarray, activation, order: int,
               mean: np.ndarray, cov: np.ndarray, variables: tuple[str, ...], outputs: tuple[str, ...],
               max_memory: int = DEFAULT_MAX_MEMORY) -> Polynomial:
    return skip_lsq(skip, _dense(projection.operator), projection.bias, activation, weight, bias, mean, cov, order,
                    variables, outputs, centered=True, max_memory=max_memory)


def _hidden(graph: Graph, source: int, weight: np.ndarray, bias: np.ndarray) -> ClosedForm | None:
    hidden = _activated(graph, source)
    if hidden is None:
        return None
    activation, projection = hidden
    network = Network((DenseLayer(_dense(projection.operator), projection.bias, activation.activation),
                       DenseLayer(weight, bias, LINEAR)), input_shape=(graph.input_size,))
    return partial(_hidden_call, network)


def _hidden_call(network: Network, order: int, mean: np.ndarray, cov: np.ndarray, variables: tuple[str, ...],
                 outputs: tuple[str, ...], max_memory: int = DEFAULT_MAX_MEMORY) -> Polynomial:
    polynomial = expand_lsq(network, order, mean, cov, input_names=variables, centered=True, max_memory=max_memory)
    return polynomial.relabelled(outputs=outputs)


def closed_form(graph: Graph) -> tuple[str, ClosedForm] | None:
    """(the stage's name, the function computing its closed form) for a graph of one non-linear
    stage; None otherwise."""
    source, weight, bias = _output_map(graph)
    for name, shape in (("gated", _gated), ("residual", _residual), ("hidden layer", _hidden)):
        found = shape(graph, source, weight, bias)
        if found is not None:
            return name, found
    return None


def expand_lsq_any(network: Network | Graph, order: int = 2, **parameters: object) -> Polynomial:
    """The lsq method on a chain or a graph: a graph of one non-linear stage gets its closed form,
    any other network the chain's closed form or the labelled Monte-Carlo fit (``expand_lsq``)."""
    stage = closed_form(network) if isinstance(network, Graph) else None
    if parameters.get("mixture") is not None or parameters.get("components") is not None:
        from polyx.expansion.methods.mixture import lsq_with_mixture

        return lsq_with_mixture(network, order, stage=stage, **parameters)
    parameters.pop("mixture", None)
    parameters.pop("components", None)
    return expand_lsq(network, order, stage=stage, **parameters)
