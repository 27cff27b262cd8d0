"""Binary classifiers that end in a sigmoid: the probability σ(logit), or the logit itself, expanded.

The loaders read a final ``Sigmoid`` as the last layer's activation (a chain) or a last elementwise
node (a graph). A polynomial of the probability is bounded nowhere and crosses 0 and 1; the logit
is usually far closer to polynomial (it is the network's own linear readout of its features), and
the class is the same: p ≥ t exactly when logit ≥ log(t / (1 − t)). ``--logits`` asks for it.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Union

import numpy as np

from polyx.converters.ir.graph import Elementwise, Graph
from polyx.converters.onnx.graph_loader import prune
from polyx.converters.ir.chain import LINEAR, Network

__all__ = ["ends_in_sigmoid", "without_final_sigmoid", "logit", "sigmoid"]

Model = Union[Network, Graph]


def ends_in_sigmoid(model: Model) -> bool:
    """True for a one-output model whose last operation is a logistic sigmoid."""
    if model.output_size != 1:
        return False
    if isinstance(model, Network):
        return model.layers[-1].activation.name == "sigmoid"
    last = model.nodes[-1]
    return isinstance(last, Elementwise) and last.activation.name == "sigmoid"


def without_final_sigmoid(model: Model) -> Model:
    """The same model up to its final sigmoid: its output is the logit."""
    if isinstance(model, Network):
        layers = (*model.layers[:-1], replace(model.layers[-1], activation=LINEAR))
        return replace(model, layers=layers)
    return replace(model, nodes=tuple(prune(list(model.nodes), model.nodes[-1].source)))


def logit(probability: float) -> float:
    """log(p / (1 − p)): the logit threshold equivalent to a probability threshold."""
    return math.log(probability / (1.0 - probability))


def sigmoid(values: np.ndarray) -> np.ndarray:
    """1 / (1 + e^−v), without overflow for large |v|."""
    values = np.asarray(values, dtype=np.float64)
    out = np.empty_like(values)
    positive = values >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-values[positive]))
    e = np.exp(values[~positive])
    out[~positive] = e / (1.0 + e)
    return out
