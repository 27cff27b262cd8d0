"""The exact local Taylor polynomial of a computation graph at x0: the taylor method's graph rules.

Each activation is replaced by its own Taylor series around the feature's value at x0, and every
linear map, sum and product is exact, so the result holds every partial derivative up to the order
for any graph (HOPE's CNNs included). A max-pool selects, at x0, each window's largest input: the
polynomial equals the network as long as no window changes its winner, and the distance to that
change (like a ReLU's sign change) is reported. Both the full expansion (``PolyBatch``) and the
unmixed one (``UnivariateBatch``, HOPE's heat maps at image size) run on the same rules.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from polyx.converters.ir.graph import Concat, Elementwise, Graph, Input, Linear, MaxPool
from polyx.errors import MethodError
from polyx.expansion.activations.registry import activation_function, taylor_coefficients
from polyx.expansion.kernel import monomials as sparse
from polyx.expansion.kernel.batch import PolyBatch
from polyx.expansion.kernel.budget import check_expansion_memory
from polyx.expansion.engine.graph import GraphRules, propagate_graph
from polyx.expansion.diagnostics.kinks import KinkDistance
from polyx.expansion.methods.softmax_series import softmax_of_series
from polyx.expansion.kernel.space import MonomialSpace
from polyx.expansion.engine.unmixed import UnivariateBatch

__all__ = ["taylor_rules", "graph_taylor_all", "graph_taylor_diagonal", "graph_kinks"]

CHUNK_BYTES = 32 * 2**20


def _own_series(order: int):
    """Each feature's Taylor series around its own value, trailing zero columns dropped."""

    def series(index: int, node: Elementwise, values: np.ndarray) -> np.ndarray:
        coefficients = taylor_coefficients(node.activation, values, order)
        used = np.flatnonzero(np.any(coefficients != 0.0, axis=0))
        return coefficients[:, : (used[-1] + 1 if used.size else 1)]

    return series


def _winners(index: int, node: MaxPool, series) -> np.ndarray:
    """Each window's largest input at x0. Inputs tied at the top are a kink unless their series are
    identical (a window of ReLUs all at 0 is 0 near x0, whichever is picked); a real tie is refused."""
    values = series.constant_term()
    best, gap = node.selection(values[None, :])
    best, gap = best[0], gap[0]
    tied = np.flatnonzero(gap == 0.0)
    if tied.size:
        second = _runner_up(node, values)[tied]
        differ = ~series.same_polynomials(best[tied], second)
        if np.any(differ):
            window = int(tied[np.argmax(differ)])
            raise MethodError(
                f"max-pool '{node.label}' has a tie at the reference point (output {window + 1}) between inputs that "
                "change differently: the network is not differentiable there; move the reference point slightly"
            )
    return best


def taylor_rules(order: int) -> GraphRules:
    """The taylor method's choices on a graph: own-value series and the max-pool winners at x0."""
    return GraphRules(series_of=_own_series(order), max_pool=_winners)


def _finish(outputs, softmax: bool):
    return softmax_of_series(outputs) if softmax else outputs


def graph_taylor_all(graph: Graph, point: np.ndarray, order: int, softmax: bool, max_interaction: int | None,
                     max_memory: int) -> tuple[np.ndarray, np.ndarray]:
    """Monomials (the space's index table, marked for ``Polynomial``) and coefficients (outputs, terms)
    in powers of (x − x0), every monomial up to the order."""
    widths = [node.size for node in graph.nodes]
    check_expansion_memory(graph.input_size, order, widths, max_memory, max_interaction)
    space = MonomialSpace(graph.input_size, order, max_interaction)
    start = PolyBatch.affine_inputs(space, np.eye(graph.input_size), point)
    outputs = _finish(propagate_graph(graph, start, taylor_rules(order)), softmax)
    return sparse.marked(outputs.space.monomials()), outputs.to_dense()


def graph_taylor_diagonal(graph: Graph, point: np.ndarray, order: int, softmax: bool) -> tuple[np.ndarray, np.ndarray]:
    """f(x0) and the per-axis coefficients (outputs, inputs, Q) of the pure powers of (x − x0).

    The input directions go through the graph in chunks sized so that the widest node's series
    stay within CHUNK_BYTES; every chunk shares the constant terms. Chunks are independent, and
    numpy and BLAS release the GIL on arrays this size, so they run on one thread per core.
    """
    widest = max(node.size for node in graph.nodes)
    chunk = max(1, CHUNK_BYTES // (8 * max(order, 1) * widest))
    rules = taylor_rules(order)

    def directions(begin: int) -> tuple[np.ndarray, np.ndarray]:
        end = min(begin + chunk, graph.input_size)
        axes = np.zeros((graph.input_size, 1, end - begin))
        axes[np.arange(begin, end), 0, np.arange(end - begin)] = 1.0
        outputs = _finish(propagate_graph(graph, UnivariateBatch(point.copy(), axes, order), rules), softmax)
        return outputs.constant, outputs.by_axis(order)

    starts = range(0, graph.input_size, chunk)
    workers = min(len(starts), os.cpu_count() or 1)
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(directions, starts))
    else:
        results = [directions(begin) for begin in starts]
    return results[-1][0], np.concatenate([terms for _, terms in results], axis=1)


def graph_kinks(graph: Graph, point: np.ndarray) -> KinkDistance | None:
    """The nearest point where an activation crosses a kink or a max-pool window changes winner,
    to first order: |u(x0) − kink| / ‖∇u(x0)‖ (a window's gap over the gradient of the difference).

    Exact when every node is piecewise linear (the features are then affine until the first switch);
    a first-order estimate otherwise. None when the graph has neither kinks nor max-pools.
    """
    readers: dict[int, list[int]] = {}
    for index, node in enumerate(graph.nodes):
        if (isinstance(node, Elementwise) and activation_function(node.activation).kinks) or isinstance(node, MaxPool):
            readers.setdefault(node.inputs[0], []).append(index)
    if not readers:
        return None
    found: list[tuple[float, int, int]] = []
    names: set[str] = set()

    def measure(source: int, series: PolyBatch) -> None:
        value = series.constant_term()
        gradient = series.blocks[1] if series.blocks[1] is not None else np.zeros((graph.input_size, series.batch))
        for index in readers.get(source, ()):
            node = graph.nodes[index]
            if isinstance(node, MaxPool):
                best, gap = node.selection(value[None, :])
                direction = gradient[:, best[0]] - gradient[:, _runner_up(node, value)]
                norm = np.linalg.norm(direction, axis=0)
                # identical tied inputs (a window of ReLUs at 0) never switch: no kink there
                distances = np.where(norm > 0, gap[0] / np.where(norm > 0, norm, 1.0), np.inf)
                names.add("max-pool")
            else:
                kinks = np.array(activation_function(node.activation).kinks)
                offsets = np.min(np.abs(value[:, None] - kinks[None, :]), axis=1)
                distances = offsets / np.maximum(np.linalg.norm(gradient, axis=0), 1e-300)
                names.add(str(node.activation))
            feature = int(np.argmin(distances))
            found.append((float(distances[feature]), index, feature + 1))

    start = PolyBatch.affine_inputs(MonomialSpace(graph.input_size, 1), np.eye(graph.input_size), point)
    measure(0, start)
    propagate_graph(graph, start, taylor_rules(1), observe=measure)
    distance, index, feature = min(found)
    exact = all(isinstance(node, (Input, Linear, Concat, MaxPool))
                or (isinstance(node, Elementwise) and activation_function(node.activation).piecewise_linear)
                for node in graph.nodes)
    return KinkDistance(distance, index, feature, exact, None, tuple(sorted(names)))


def _runner_up(node: MaxPool, value: np.ndarray) -> np.ndarray:
    """Each window's second-largest input (its own winner for a one-element window)."""
    padded = np.where(node.windows >= 0, node.windows, 0)
    window_values = np.where(node.windows >= 0, value[padded], -np.inf)
    order = np.argsort(-window_values, axis=1, kind="stable")
    column = min(1, node.windows.shape[1] - 1)
    return padded[np.arange(node.size), order[:, column]]
