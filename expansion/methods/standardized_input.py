"""A network seen in standardised coordinates z = (x − μ)/σ: the model N(μ + σ z) that a method
expands when the data sits far from the origin (see ``polyx.expansion.polynomials.units``, which
writes the result back in the user's x).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Union

import scipy.sparse as sparse

from polyx.converters.ir.chain import DenseLayer, Network
from polyx.converters.ir.graph import Concat, Elementwise, Graph, Input, Linear, MaxPool, Product
from polyx.errors import DataError
from polyx.expansion.polynomials.units import Standardization

__all__ = ["standardized_network"]

Model = Union[Network, Graph]


def standardized_network(model: Model, standardization: Standardization) -> Model:
    """The same model as a function of z: N(μ + σ z). A chain folds it into its first layer; a graph
    gets one diagonal Linear node after its input (every later node index moves up by one)."""
    mu, sigma = standardization.center, standardization.scale
    if mu.size != model.input_size:
        raise DataError(f"the standardisation has {mu.size} values for a model with {model.input_size} inputs")
    if isinstance(model, Network):
        first = model.layers[0]
        layer = DenseLayer(first.weight * sigma, first.weight @ mu + first.bias, first.activation)
        return replace(model, layers=(layer, *model.layers[1:]))
    diagonal = Linear(0, sparse.diags(sigma, format="csr"), mu, label="standardisation")

    def moved(node: object) -> object:
        if isinstance(node, (Linear, Elementwise, MaxPool)):
            return replace(node, source=node.source + 1)
        if isinstance(node, Product):
            return replace(node, left=node.left + 1, right=node.right + 1)
        if isinstance(node, Concat):
            return replace(node, sources=tuple(source + 1 for source in node.sources))
        raise TypeError(f"unknown graph node {node!r}")

    nodes = [model.nodes[0], diagonal, *(moved(node) for node in model.nodes[1:])]
    assert isinstance(model.nodes[0], Input)
    return replace(model, nodes=tuple(nodes))
