"""nn2poly's global expansion carried to computation graphs: the nn2poly method's graph rules.

Every activation is replaced by its Taylor polynomial of order k at the centre (Maclaurin for the
default centre 0), linear maps, sums and products are exact, and every intermediate is truncated
at total degree Q. On a dense chain this is exactly the R package's algorithm; on a residual or
gated block it is the same semantics applied node by node. A max-pool has no series at 0 (it is
not differentiable where its inputs tie), and a normalisation divides by √(variance + ε), whose
expansion in powers of x at the origin is not what the user's network computes away from it:
both are refused with the method that handles them.
"""

from __future__ import annotations

import numpy as np

from polyx.converters.ir.graph import Elementwise, Graph, MaxPool
from polyx.errors import MethodError
from polyx.expansion.activations.registry import activation_function, taylor_coefficients
from polyx.expansion.kernel.batch import PolyBatch
from polyx.expansion.kernel.budget import check_expansion_memory
from polyx.expansion.engine.graph import GraphRules, degree_schedule_graph, propagate_graph
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.expansion.engine.chain import batch_to_polynomial
from polyx.expansion.activations.series import shift_series
from polyx.expansion.kernel.space import MonomialSpace

__all__ = ["expand_global_graph"]


def _refuse_unsupported(graph: Graph, center: float) -> None:
    """One error naming every node nn2poly has no series for."""
    problems = []
    for index, node in enumerate(graph.nodes):
        if isinstance(node, MaxPool):
            problems.append(f"max-pool '{node.label}' (a maximum has no Taylor series where its inputs tie)")
        elif isinstance(node, Elementwise) and node.origin:
            problems.append(f"{node.origin} (a normalisation: it divides by √(variance + ε))")
        elif isinstance(node, Elementwise) and center in activation_function(node.activation).kinks:
            problems.append(f"'{node.label}' uses {node.activation}, which is not analytic at the Taylor centre {center:g}")
    if problems:
        raise MethodError(
            "nn2poly's global expansion cannot represent " + "; ".join(dict.fromkeys(problems))
            + ": use `method` taylor (exact at a point) or `method` lsq (least squares)"
        )


def _rules(k: int, center: float, degrees: list[int]) -> GraphRules:
    """Each activation's order-k Taylor polynomial at the centre, re-expanded around the feature's
    value so that it composes with the centred series (exact: it is a polynomial)."""

    def series(index: int, node: Elementwise, values: np.ndarray) -> np.ndarray:
        taylor = taylor_coefficients(node.activation, np.array([center]), k)
        return shift_series(taylor, values - center, min(k, degrees[index]))

    def no_max(index: int, node: MaxPool, values: np.ndarray) -> np.ndarray:
        raise MethodError(f"nn2poly has no rule for max-pool '{node.label}'")

    return GraphRules(series_of=series, max_pool=no_max, degrees=degrees)


def expand_global_graph(graph: Graph, order: int, taylor_order: int, center: float, max_memory: int) -> Polynomial:
    """The nn2poly polynomial of a graph in powers of x, every monomial up to the degree reached.

    ``taylor_order`` k is the order of every activation's Taylor polynomial; the degree after each
    node follows the graph (an activation multiplies it by k, a product adds), capped at ``order``.
    """
    _refuse_unsupported(graph, center)
    degrees = degree_schedule_graph(graph, lambda index, node: taylor_order, order)
    top = max(degrees)
    check_expansion_memory(graph.input_size, top, [node.size for node in graph.nodes], max_memory, None)
    space = MonomialSpace(graph.input_size, top)
    start = PolyBatch.affine_inputs(space, np.eye(graph.input_size), np.zeros(graph.input_size))
    outputs = propagate_graph(graph, start, _rules(taylor_order, center, degrees))
    method = {"name": "nn2poly", "order": order, "taylor_orders": taylor_order, "taylor_center": center}
    diagnostics: dict = {"degree_after_node": degrees}
    if graph.output_activation is not None:
        method["output_space"] = "logits"
        diagnostics["warnings"] = [f"the network ends in a {graph.output_activation}: the polynomial approximates "
                                   "the logits (its input), as nn2poly does"]
    return batch_to_polynomial(graph, outputs, degrees[-1], method, diagnostics)
