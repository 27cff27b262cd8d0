"""The global expansion of nn2poly: every activation replaced by its Taylor polynomial at a fixed centre.

Semantics follow the nn2poly R package exactly (``notes/methods.md``): a scalar Taylor order q
applies to every non-linear layer and 1 to linear ones, a list gives one order per layer; the
degree after layer l is min(degree · q_l, Q); the intercept uses every Taylor term up to q; a
final linear layer is not expanded and any other final activation is; a softmax output is
replaced by its logits.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from polyx.converters.ir import DenseLayer, Network
from polyx.errors import MethodError
from polyx.expansion.activations import activation_function, taylor_coefficients
from polyx.expansion.budget import DEFAULT_MAX_MEMORY
from polyx.expansion.polynomial import Polynomial
from polyx.expansion.propagate import Propagation, batch_to_polynomial, propagate
from polyx.expansion.series import shift_series

__all__ = ["DEFAULT_TAYLOR_ORDER", "effective_taylor_orders", "degree_schedule", "expand_global"]

DEFAULT_TAYLOR_ORDER = 8


def effective_taylor_orders(network: Network, taylor_orders: int | Sequence[int]) -> list[int]:
    """nn2poly's per-layer orders: a scalar q for non-linear layers and 1 for linear ones, or a list as given."""
    if isinstance(taylor_orders, (int, np.integer)):
        return [1 if layer.activation.name == "linear" else int(taylor_orders) for layer in network.layers]
    orders = [int(q) for q in taylor_orders]
    if len(orders) != len(network.layers):
        raise MethodError(
            f"--taylor-orders lists {len(orders)} orders but the network has {len(network.layers)} layers "
            "(hidden and output); give one per layer or a single number"
        )
    if any(q < 1 for q in orders):
        raise MethodError(f"--taylor-orders must be ≥ 1, got {orders}")
    return orders


def degree_schedule(orders: Sequence[int], order: int) -> list[int]:
    """Degree reached after each layer: min(previous degree × q_l, Q), starting from degree 1."""
    degrees, degree = [], 1
    for q in orders:
        degree = min(degree * q, order)
        degrees.append(degree)
    return degrees


def _check_analytic(network: Network, center: float, orders: Sequence[int]) -> None:
    for index, (layer, q) in enumerate(zip(network.layers, orders)):
        function = activation_function(layer.activation)
        if q > 1 and center in function.kinks:
            raise MethodError(
                f"layer {index + 1} uses {layer.activation}, which is not analytic at the Taylor centre {center:g}: "
                "nn2poly's Taylor expansion does not exist there; use --fit DATA.csv (a least-squares fit over the "
                "data's range) or --method taylor/lsq"
            )


def expand_global(
    network: Network,
    order: int = 2,
    taylor_orders: int | Sequence[int] = DEFAULT_TAYLOR_ORDER,
    taylor_center: float = 0.0,
    max_memory: int = DEFAULT_MAX_MEMORY,
) -> Polynomial:
    """nn2poly's polynomial of the network: the same monomials and coefficients as the R package."""
    if order < 0:
        raise MethodError(f"--order must be ≥ 0, got {order}")
    orders = effective_taylor_orders(network, taylor_orders)
    _check_analytic(network, float(taylor_center), orders)
    degrees = degree_schedule(orders, order)
    expanded = [not (q == 1 and layer.activation.name == "linear") for layer, q in zip(network.layers, orders)]

    def recentred_taylor(index: int, layer: DenseLayer, values: np.ndarray) -> np.ndarray:
        q = orders[index]
        taylor = taylor_coefficients(layer.activation, np.array([taylor_center]), q)
        return shift_series(taylor, values - taylor_center, min(q, degrees[index]))

    plan = Propagation(order=order, degrees=degrees, expanded=expanded, max_memory=max_memory)
    outputs = propagate(network, plan, recentred_taylor)
    method = {
        "name": "nn2poly",
        "order": order,
        "taylor_orders": orders,
        "taylor_center": float(taylor_center),
    }
    diagnostics: dict = {"degree_after_layer": degrees}
    if network.output_activation == "softmax":
        method["output_space"] = "logits"
        diagnostics["warnings"] = [
            "the network ends in a softmax: the polynomial approximates the logits (its input), as nn2poly does"
        ]
    return batch_to_polynomial(network, outputs, degrees[-1], method, diagnostics)
