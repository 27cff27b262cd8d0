"""The one engine under every expansion method: push polynomials through the layers.

Each method only decides which univariate polynomial stands in for each neuron's activation
(a Taylor polynomial at a fixed centre, at the neuron's own value, a Hermite projection, a
data fit). This module does the rest, identically for all of them: affine maps, substitution
into those polynomials with truncation, and the contracted last step into the output layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from polyx.converters.ir.chain import DenseLayer, Network
from polyx.expansion.kernel.batch import PolyBatch
from polyx.expansion.kernel.budget import DEFAULT_MAX_MEMORY, check_expansion_memory
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.expansion.kernel.space import MonomialSpace
from polyx.progress import report

__all__ = ["NeuronSeries", "Propagation", "propagate", "batch_to_polynomial"]

NeuronSeries = Callable[[int, DenseLayer, np.ndarray], np.ndarray]
"""(layer index, layer, each neuron's pre-activation at the expansion point u0) -> coefficients
(neurons, K+1) of the neuron's polynomial in powers of (u − u0)."""


@dataclass(frozen=True)
class Propagation:
    """What the engine needs besides the network: how far to expand and around which input.

    ``order`` sizes the monomial space and the memory check, so it should be the highest of
    ``degrees``, not a larger nominal order that no layer reaches.
    """

    order: int
    degrees: Sequence[int]
    expanded: Sequence[bool]
    shift: np.ndarray | None = None
    max_interaction: int | None = None
    max_memory: int = DEFAULT_MAX_MEMORY


def propagate(network: Network, plan: Propagation, neuron_series: NeuronSeries) -> PolyBatch:
    """The network's outputs as polynomials in the inputs (or in x − shift), one per output.

    ``plan.degrees[l]`` caps the degree after layer l; ``plan.expanded[l]`` says whether layer l's
    activation is replaced by ``neuron_series`` (False means it is the identity). When the last
    layer is an unexpanded linear layer, the layer before it is composed and contracted with its
    weights in one step, so the widest polynomial batch of the network is never stored.
    """
    layers = network.layers
    widths = [layer.out_features for layer in layers]
    check_expansion_memory(network.input_size, plan.order, widths, plan.max_memory, plan.max_interaction)
    space = MonomialSpace(network.input_size, plan.order, plan.max_interaction)
    first = layers[0]
    offset = first.bias if plan.shift is None else first.bias + first.weight @ plan.shift
    current = PolyBatch.affine_inputs(space, first.weight, offset).truncated(plan.degrees[0])
    index = 0
    report("layer", 0, len(layers))
    while True:
        layer = layers[index]
        if index > 0:
            current = current.linear_map(layer.weight, layer.bias)
        if not plan.expanded[index]:
            current = current.truncated(plan.degrees[index])
        else:
            series = neuron_series(index, layer, current.constant_term())
            centred = current.without_constant()
            following = layers[index + 1] if index + 1 < len(layers) else None
            if following is not None and index + 1 == len(layers) - 1 and not plan.expanded[index + 1]:
                out = centred.compose_contracted(series, following.weight, plan.degrees[index])
                out.blocks[0] = out.blocks[0] + following.bias[None, :]
                report("layer", len(layers), len(layers))
                return out.truncated(plan.degrees[index + 1])
            current = centred.compose(series, plan.degrees[index])
        index += 1
        report("layer", index, len(layers))
        if index == len(layers):
            return current


def batch_to_polynomial(
    network: Network, batch: PolyBatch, degree: int, method: dict, diagnostics: dict,
    center: np.ndarray | None = None,
) -> Polynomial:
    """Wrap the output batch as a Polynomial listing every monomial up to ``degree``, zeros included."""
    monomials = batch.space.monomials(degree)
    coefficients = batch.to_dense(degree)
    for fresh in (monomials, coefficients):
        fresh.setflags(write=False)
    return Polynomial(
        variables=network.variable_names,
        outputs=network.output_names,
        monomials=monomials,
        coefficients=coefficients,
        center=center,
        method=method,
        diagnostics=diagnostics,
    )
