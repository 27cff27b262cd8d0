"""The global expansion of nn2poly: every activation replaced by one polynomial in its pre-activation.

Semantics follow the nn2poly R package exactly (``notes/methods.md``): a scalar Taylor order q
applies to every non-linear layer and 1 to linear ones, a list gives one order per layer; the
degree after layer l is min(degree · q_l, Q); the intercept uses every Taylor term up to q; a
final linear layer is not expanded and any other final activation is; a softmax output is
replaced by its logits.

Beyond nn2poly, ``fit`` swaps the Taylor polynomials for per-neuron least-squares fits over the
range the data reaches (``activation_fit``), composed with exactly the same bookkeeping; and
``data`` (or the fit data) adds the diagnostics of ``taylor_diagnostics`` to the polynomial.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from polyx.converters.ir.graph import Graph
from polyx.converters.ir.chain import DenseLayer, Network
from polyx.errors import MethodError
from polyx.expansion.methods.activation_fit import DEFAULT_FIT_MARGIN, LayerFit, as_network_inputs, fit_layers
from polyx.expansion.activations.registry import activation_function, taylor_coefficients
from polyx.expansion.kernel.budget import DEFAULT_MAX_MEMORY
from polyx.expansion.methods.graph_nn2poly import expand_global_graph
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.expansion.engine.chain import NeuronSeries, Propagation, batch_to_polynomial, propagate
from polyx.expansion.activations.series import shift_series
from polyx.expansion.diagnostics.taylor_diagnostics import (
    DataScan,
    coverage_warnings,
    layer_report,
    r2_against_network,
    scan_rows,
    taylor_intervals,
)

__all__ = ["DEFAULT_TAYLOR_ORDER", "effective_taylor_orders", "degree_schedule", "expand_global"]

DEFAULT_TAYLOR_ORDER = 8


def effective_taylor_orders(network: Network, taylor_orders: int | Sequence[int]) -> list[int]:
    """nn2poly's per-layer orders: a scalar q for non-linear layers and 1 for linear ones, or a list as given."""
    if isinstance(taylor_orders, (int, np.integer)):
        if taylor_orders < 1:
            raise MethodError(f"`taylor_orders` must be ≥ 1, got {taylor_orders}")
        return [1 if activation_function(layer.activation).identity else int(taylor_orders) for layer in network.layers]
    orders = [int(q) for q in taylor_orders]
    if len(orders) != len(network.layers):
        raise MethodError(
            f"`taylor_orders` lists {len(orders)} orders but the network has {len(network.layers)} layers "
            "(hidden and output); give one per layer or a single number"
        )
    if any(q < 1 for q in orders):
        raise MethodError(f"`taylor_orders` must be ≥ 1, got {orders}")
    return orders


def degree_schedule(orders: Sequence[int], order: int) -> list[int]:
    """Degree reached after each layer: min(previous degree × q_l, Q), starting from degree 1."""
    degrees, degree = [], 1
    for q in orders:
        degree = min(degree * q, order)
        degrees.append(degree)
    return degrees


def _plan(network: Network, orders: Sequence[int], order: int, max_memory: int) -> Propagation:
    """The space is sized for the last layer's degree, the highest any layer reaches (degrees never
    decrease), not for Q: an affine network at Q = 6 stays at degree 1."""
    degrees = degree_schedule(orders, order)
    expanded = [not (q == 1 and activation_function(layer.activation).identity) for layer, q in zip(network.layers, orders)]
    return Propagation(order=degrees[-1], degrees=degrees, expanded=expanded, max_memory=max_memory)


def _non_analytic_layer(network: Network, center: float) -> str | None:
    """'layer 2 uses relu' for the first layer whose activation has a kink at the centre, else None
    (whatever its Taylor order: even order 1 needs the derivative there)."""
    for index, layer in enumerate(network.layers):
        if center in activation_function(layer.activation).kinks:
            return f"layer {index + 1} uses {layer.activation}, which is not analytic at the Taylor centre {center:g}"
    return None


def _taylor_series(orders: Sequence[int], degrees: Sequence[int], center: float) -> NeuronSeries:
    def recentred_taylor(index: int, layer: DenseLayer, values: np.ndarray) -> np.ndarray:
        q = orders[index]
        taylor = taylor_coefficients(layer.activation, np.array([center]), q)
        return shift_series(taylor, values - center, min(q, degrees[index]))

    return recentred_taylor


def _fitted_series(fits: Sequence[LayerFit | None], orders: Sequence[int], degrees: Sequence[int]) -> NeuronSeries:
    def recentred_fit(index: int, layer: DenseLayer, values: np.ndarray) -> np.ndarray:
        fit = fits[index]
        if fit is None:
            return taylor_coefficients(layer.activation, values, min(orders[index], degrees[index]))
        return fit.series_at(values, min(fit.degree, degrees[index]))

    return recentred_fit


def _softmax_note(network: Network, method: dict, diagnostics: dict) -> None:
    if network.output_activation is not None:
        method["output_space"] = "logits"
        diagnostics.setdefault("warnings", []).append(
            f"the network ends in a {network.output_activation}: the polynomial approximates the logits (its input), "
            "as nn2poly does"
        )


def _taylor_polynomial(network: Network, order: int, orders: list[int], center: float, max_memory: int) -> Polynomial:
    """nn2poly's own polynomial; raises MethodError where a Taylor expansion does not exist."""
    problem = _non_analytic_layer(network, center)
    if problem:
        raise MethodError(
            f"{problem}: nn2poly's Taylor expansion does not exist there; use `fit` DATA.csv "
            "(a least-squares fit over the data's range) or `method` taylor/lsq"
        )
    plan = _plan(network, orders, order, max_memory)
    outputs = propagate(network, plan, _taylor_series(orders, plan.degrees, center))
    method = {"name": "nn2poly", "order": order, "taylor_orders": orders, "taylor_center": center}
    diagnostics: dict = {"degree_after_layer": list(plan.degrees)}
    _softmax_note(network, method, diagnostics)
    return batch_to_polynomial(network, outputs, plan.degrees[-1], method, diagnostics)


def _fitted_polynomial(
    network: Network, order: int, orders: list[int], fits: list[LayerFit | None], fit_record: dict, max_memory: int
) -> Polynomial:
    plan = _plan(network, orders, order, max_memory)
    outputs = propagate(network, plan, _fitted_series(fits, orders, plan.degrees))
    method = {"name": "nn2poly", "order": order, "taylor_orders": orders, "fit": fit_record}
    diagnostics: dict = {"degree_after_layer": list(plan.degrees)}
    _softmax_note(network, method, diagnostics)
    return batch_to_polynomial(network, outputs, plan.degrees[-1], method, diagnostics)


def expand_global(
    network: Network,
    order: int = 2,
    taylor_orders: int | Sequence[int] | None = None,
    taylor_center: float = 0.0,
    fit: np.ndarray | None = None,
    fit_margin: float = DEFAULT_FIT_MARGIN,
    data: np.ndarray | None = None,
    fit_source: str | None = None,
    data_source: str | None = None,
    max_memory: int = DEFAULT_MAX_MEMORY,
) -> Polynomial:
    """nn2poly's polynomial of the network: the same monomials and coefficients as the R package.

    ``taylor_orders`` defaults to nn2poly's 8. With ``fit`` (input rows) each activation becomes
    a least-squares polynomial over the range its neuron reaches on those rows; its degree
    defaults to Q, because a fitted polynomial of higher degree would be cut back at Q to its
    local Taylor part and lose the fit. ``data`` (else the fit rows) adds per-layer validity and
    R² against the network to ``diagnostics``; ``*_source`` names the rows in the artifact.
    """
    if order < 0:
        raise MethodError(f"`order` must be ≥ 0, got {order}")
    center = float(taylor_center)
    if isinstance(network, Graph):
        return _graph_polynomial(network, order, taylor_orders, center, fit, data, data_source, max_memory)
    taylor_orders_used = effective_taylor_orders(
        network, DEFAULT_TAYLOR_ORDER if taylor_orders is None else taylor_orders
    )
    checked = data is not None or fit is not None
    intervals = taylor_intervals(network, taylor_orders_used, center) if checked else None
    scan = None
    if fit is None:
        polynomial = _taylor_polynomial(network, order, taylor_orders_used, center, max_memory)
        fits = None
    else:
        fit_inputs = as_network_inputs(fit, network, fit_source or "fit data")
        fit_orders = effective_taylor_orders(network, max(order, 1) if taylor_orders is None else taylor_orders)
        scan = scan_rows(network, fit_inputs, intervals if data is None else None)
        fits = fit_layers(network, scan.low, scan.high, fit_orders, fit_margin)
        record = {"data": fit_source, "rows": int(fit_inputs.shape[0]), "margin": float(fit_margin),
                  "points": "Chebyshev points of the first kind, least squares per neuron"}
        polynomial = _fitted_polynomial(network, order, fit_orders, fits, record, max_memory)
    if checked:
        source = data_source if data is not None else fit_source
        rows = as_network_inputs(data if data is not None else fit, network, source or "data")
        if data is not None:
            scan = scan_rows(network, rows, intervals, fits)
        # The polynomial is new and unshared: filling its diagnostics in place avoids re-validating
        # every term of a large polynomial just to attach a few numbers.
        polynomial.diagnostics.update(
            _data_diagnostics(network, rows, scan, source or "the data", polynomial, fits, taylor_orders_used,
                              center, order, fit_source, max_memory)
        )
    return polynomial


def _graph_polynomial(graph: Graph, order: int, taylor_orders: int | Sequence[int] | None, center: float,
                      fit: np.ndarray | None, data: np.ndarray | None, data_source: str | None,
                      max_memory: int) -> Polynomial:
    """nn2poly on a computation graph: one Taylor order for every activation; ``data`` adds R²."""
    if fit is not None:
        raise MethodError("the per-neuron fit is defined for dense chains; for this graph use the least-squares "
                          "method (lsq) with the data, or the exact local expansion (taylor)")
    k = DEFAULT_TAYLOR_ORDER if taylor_orders is None else taylor_orders
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise MethodError(f"a graph takes one Taylor order (≥ 1) for all its activations, got {k}")
    polynomial = expand_global_graph(graph, order, int(k), center, max_memory)
    if data is not None:
        rows = as_network_inputs(data, graph, data_source or "data")
        polynomial.diagnostics["data"] = {"source": data_source or "the data", "rows": int(rows.shape[0])}
        polynomial.diagnostics["r2_vs_network"] = {"outputs": list(polynomial.outputs),
                                                   "taylor": r2_against_network(graph, rows, polynomial)}
    return polynomial


def _data_diagnostics(
    network: Network, rows: np.ndarray, scan: DataScan, source: str, polynomial: Polynomial,
    fits: list[LayerFit | None] | None, taylor_orders: list[int], center: float, order: int,
    fit_source: str | None, max_memory: int,
) -> dict:
    """Per-layer coverage, R² against the network for the Taylor polynomial (and the fit), warnings;
    all from one ``scan`` of the rows (the fit's own scan when the rows are the fit rows)."""
    layers = layer_report(network, rows, taylor_orders, center, fits, scan)
    r2: dict = {"outputs": list(polynomial.outputs)}
    if fits is None:
        r2["taylor"] = r2_against_network(network, rows, polynomial, scan.outputs)
    else:
        r2["fit"] = r2_against_network(network, rows, polynomial, scan.outputs)
        problem = _non_analytic_layer(network, center)
        if problem:
            r2["taylor"] = None
            r2["taylor_note"] = f"{problem}: nn2poly's Taylor expansion does not exist"
        else:
            taylor = _taylor_polynomial(network, order, taylor_orders, center, max_memory)
            r2["taylor"] = r2_against_network(network, rows, taylor, scan.outputs)
            r2["taylor_orders"] = taylor_orders
    warnings = list(polynomial.diagnostics.get("warnings", []))
    warnings += coverage_warnings(layers, source, fitted=fits is not None, fit_data=fit_source or "the fit data")
    return {
        "data": {"source": source, "rows": int(rows.shape[0])},
        "layers": layers,
        "r2_vs_network": r2,
        "warnings": warnings,
    }
