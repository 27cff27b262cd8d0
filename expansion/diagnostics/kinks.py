"""How far a local expansion can be trusted when the network has kinks (ReLU, LeakyReLU, ELU, SELU).

These activations are analytic everywhere but at 0. At a reference point where no pre-activation
is 0 the Taylor polynomial exists and is exact, but each neuron is expanded on the branch it sits
on, so the polynomial follows the network only until some pre-activation changes sign. The
distance to that sign change is |u_k(x0)| / ‖∇u_k(x0)‖ for an affine pre-activation; it is exact
when every layer before the neuron's is piecewise linear (the pre-activation is then affine on
the whole region where no earlier neuron switches), and a first-order estimate otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from polyx.converters.ir.chain import Network
from polyx.errors import MethodError
from polyx.expansion.methods.activation_fit import preactivation_chunks
from polyx.expansion.activations.registry import activation_function, taylor_coefficients

__all__ = ["KinkDistance", "preactivations_at", "refuse_kinks", "nearest_kink"]

@dataclass(frozen=True)
class KinkDistance:
    """The nearest kink found: its Euclidean distance from x0, where (1-based layer and neuron), and how sure.

    ``exact`` is True when the distance is the true radius of the ball where no neuron changes
    branch; ``first_layer`` is the distance to the nearest first-layer kink (always exact), if any.
    """

    distance: float
    layer: int
    neuron: int
    exact: bool
    first_layer: float | None
    activations: tuple[str, ...]

    def to_json(self) -> dict:
        """The diagnostics entry written into the artifact."""
        return {
            "distance": self.distance if np.isfinite(self.distance) else None,
            "layer": self.layer,
            "neuron": self.neuron,
            "exact": self.exact,
            "first_layer_distance": self.first_layer,
            "activations": list(self.activations),
            "norm": "euclidean",
        }


def preactivations_at(network: Network, point: np.ndarray) -> list[np.ndarray]:
    """Every layer's pre-activations at one input, in float64 (the data scan's forward pass)."""
    chunk = next(preactivation_chunks(network, np.asarray(point, dtype=np.float64).reshape(1, -1)))
    return [values[0] for values in chunk]


def refuse_kinks(network: Network, preactivations: list[np.ndarray]) -> None:
    """Raise MethodError naming the first neuron whose pre-activation sits exactly on a kink."""
    for index, (layer, values) in enumerate(zip(network.layers, preactivations)):
        for kink in activation_function(layer.activation).kinks:
            hits = np.flatnonzero(values == kink)
            if hits.size:
                raise MethodError(
                    f"neuron {hits[0] + 1} of layer {index + 1} ({layer.activation}) has pre-activation exactly "
                    f"{kink:g} at the reference point, where the activation has no derivative and the Taylor "
                    "polynomial does not exist; move the point slightly (e.g. change one coordinate by 1e-6)"
                )


def nearest_kink(network: Network, point: np.ndarray, preactivations: list[np.ndarray]) -> KinkDistance | None:
    """The kink nearest to ``point`` over every neuron whose activation has one, or None without kinks.

    Carries the Jacobian of each layer with respect to the inputs (forward mode) up to the last
    layer with a kink; each pre-activation's distance is its value over its gradient norm.
    """
    layers = network.layers
    kinked = [index for index, layer in enumerate(layers) if activation_function(layer.activation).kinks]
    if not kinked:
        return None
    best = (np.inf, 0, 0)
    first_layer = None
    jacobian = np.eye(network.input_size)
    for index in range(kinked[-1] + 1):
        layer, values = layers[index], preactivations[index]
        gradient = layer.weight @ jacobian
        if index in kinked:
            kink = activation_function(layer.activation).kinks[0]
            norms = np.linalg.norm(gradient, axis=1)
            with np.errstate(divide="ignore"):
                distances = np.where(norms > 0, np.abs(values - kink) / norms, np.inf)
            neuron = int(np.argmin(distances))
            if index == 0:
                first_layer = float(distances[neuron])
            if distances[neuron] < best[0]:
                best = (float(distances[neuron]), index + 1, neuron + 1)
        slopes = taylor_coefficients(layer.activation, values, 1)[:, 1]
        jacobian = slopes[:, None] * gradient
    names = tuple(sorted({str(layers[index].activation) for index in kinked}))
    exact = all(activation_function(layer.activation).piecewise_linear for layer in layers[: kinked[-1]])
    return KinkDistance(best[0], best[1], best[2], exact, first_layer, names)
