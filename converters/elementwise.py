"""Identify an elementwise subgraph as one known activation by evaluating it, not by its op pattern.

Exporters decompose SiLU, GELU (exact and tanh) and torch's thresholded softplus into small
subgraphs whose operand order and constant placement vary from file to file. Rather than list
every variant, polyx takes the elementwise region that hangs off one tensor, evaluates it in
float64 on a grid, and fits ``p·act(t) + q`` for each known activation. The best fit must hold
pointwise to 1e-9 relative (1e-6 when the region's constants are stored in float32, whose
rounding alone moves values by ~1e-8) on the grid and again on a second, random set of points.
The nearest two candidates, gelu and gelu_tanh, differ by ~5e-4 there, so a wrong identification
cannot pass. The largest region that matches wins; ``p`` and ``q`` fold into the next layer
(they are exactly 1 and 0 whenever the plain activation is within the tolerance).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from polyx.converters.activations import ONNX_SELU_ALPHA, ONNX_SELU_GAMMA
from polyx.converters.chain import Activate, ScaleShift, Step
from polyx.converters.graph import OnnxGraph, OnnxNode
from polyx.converters.ir import Activation
from polyx.converters.registry import Refusal
from polyx.expansion.activations import ACTIVATIONS, activation_value

__all__ = ["REGION_OPS", "DECOMPOSITIONS", "CANDIDATES", "RegionRefusal", "identify_region"]

TOLERANCE_FLOAT64 = 1e-9
TOLERANCE_FLOAT32 = 1e-6
GRID = np.concatenate([np.linspace(-6.0, 6.0, 241), [-25.0, -15.0, -10.0, -8.0, 8.0, 10.0, 15.0, 25.0]])
_VERIFY = np.random.default_rng(20240611).uniform(-9.0, 9.0, 257)

# Every activation polyx has a series for, with its default parameters: a new one is recognised too.
CANDIDATES: tuple[Activation, ...] = tuple(
    Activation.of(name, **dict(function.defaults)) for name, function in ACTIVATIONS.items()
)

DECOMPOSITIONS: tuple[tuple[str, str], ...] = (
    ("`Mul(a, Sigmoid(a))` (SiLU/swish, every exporter)", "`silu`"),
    ("`Div(a, √2) → Erf → Add 1 → Mul a → Mul 0.5` in any operand order (torch exact GELU, opset < 20)", "`gelu`"),
    ("`Pow(a, 3)` or `Mul(a, Mul(a, a))`, `·0.044715 + a`, `·√(2/π)`, `Tanh`, `+1`, `·a`, `·0.5`", "`gelu_tanh`"),
    ("`Where(Greater(a, 20), a, Softplus(a))` (torch softplus threshold; with `Mul/Div` by β = 1 too)", "`softplus`"),
    ("any other elementwise subgraph equal to `p·act(a) + q` for a supported activation", "that activation"),
)


def _unary(function: Callable[[np.ndarray], np.ndarray]) -> Callable[..., np.ndarray]:
    return lambda node, x: function(x)


def _binary(function: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Callable[..., np.ndarray]:
    return lambda node, a, b: function(a, b)


def _cast(node: OnnxNode, x: np.ndarray) -> np.ndarray:
    from onnx.helper import tensor_dtype_to_np_dtype

    target = np.dtype(tensor_dtype_to_np_dtype(int(node.attribute("to", 1))))
    if np.issubdtype(target, np.floating):
        return x.astype(np.float64)
    if target == np.bool_:
        return x != 0
    return np.trunc(x)


def _activation_op(name: str, **defaults: float) -> Callable[..., np.ndarray]:
    def apply(node: OnnxNode, x: np.ndarray) -> np.ndarray:
        params = {key: float(node.attribute(key, value)) for key, value in defaults.items()}
        return activation_value(Activation.of(name, **params), x)

    return apply


def _gelu(node: OnnxNode, x: np.ndarray) -> np.ndarray:
    name = "gelu_tanh" if node.attribute("approximate", "none") == "tanh" else "gelu"
    return activation_value(Activation.of(name), x)


def _special(name: str) -> Callable[..., np.ndarray]:
    def apply(node: OnnxNode, x: np.ndarray) -> np.ndarray:
        import scipy.special

        return getattr(scipy.special, name)(x)

    return apply


_EVALUATORS: dict[str, Callable[..., np.ndarray]] = {
    "Add": _binary(np.add),
    "Sub": _binary(np.subtract),
    "Mul": _binary(np.multiply),
    "Div": _binary(np.divide),
    "Pow": _binary(np.power),
    "Max": _binary(np.maximum),
    "Min": _binary(np.minimum),
    "Greater": _binary(np.greater),
    "Less": _binary(np.less),
    "GreaterOrEqual": _binary(np.greater_equal),
    "LessOrEqual": _binary(np.less_equal),
    "Equal": _binary(np.equal),
    "Where": lambda node, c, a, b: np.where(c, a, b),
    "Neg": _unary(np.negative),
    "Abs": _unary(np.abs),
    "Sqrt": _unary(np.sqrt),
    "Exp": _unary(np.exp),
    "Log": _unary(np.log),
    "Reciprocal": _unary(np.reciprocal),
    "Sin": _unary(np.sin),
    "Cos": _unary(np.cos),
    "Tanh": _unary(np.tanh),
    "Erf": _special("erf"),
    "Sigmoid": _special("expit"),
    "Softplus": _unary(lambda x: np.logaddexp(0.0, x)),
    "Relu": _unary(lambda x: np.maximum(x, 0.0)),
    "LeakyRelu": _activation_op("leaky_relu", alpha=0.01),
    "Elu": _activation_op("elu", alpha=1.0),
    "Selu": _activation_op("selu", alpha=ONNX_SELU_ALPHA, gamma=ONNX_SELU_GAMMA),
    "Gelu": _gelu,
    "Identity": _unary(lambda x: x),
    "Cast": _cast,
    "CastLike": lambda node, x, like: x.astype(np.float64),
    "Dropout": lambda node, x, *rest: x,
}

REGION_OPS = frozenset(_EVALUATORS)


class RegionRefusal(Refusal):
    """A region that cannot be identified, naming the node the user should look at."""

    def __init__(self, node: OnnxNode, reason: str, branch: bool = False) -> None:
        super().__init__(reason)
        self.node = node
        self.branch = branch


@dataclass(frozen=True)
class _Closure:
    """A prefix of the grown region whose only outside-visible tensor is ``output``."""

    size: int
    output: str


def _scalar_constant(graph: OnnxGraph, name: str) -> np.ndarray | None:
    value = graph.constant(name)
    return value if value is not None and value.size == 1 else None


def _grow(graph: OnnxGraph, start: str) -> tuple[list[OnnxNode], list[_Closure], list[OnnxNode]]:
    """Grow the elementwise region off ``start`` in file (topological) order.

    Returns its nodes, every prefix that closes on a single tensor, and the first boundary
    nodes (non-elementwise ops, or ops reading another data tensor or a per-feature constant).
    """
    tensors = {start}
    members: list[OnnxNode] = []
    closures: list[_Closure] = []
    boundary: list[OnnxNode] = []
    graph_outputs = {name for name, _ in graph.output_specs}
    for node in graph.data_nodes:
        data = graph.data_inputs(node)
        if not any(name in tensors for name in data):
            continue
        eligible = (
            node.domain == ""
            and node.op_type in REGION_OPS
            and len([out for out in node.outputs if out]) == 1
            and all(name in tensors for name in data)
            and all(not name or name in tensors or _scalar_constant(graph, name) is not None for name in node.inputs)
        )
        if not eligible:
            boundary.append(node)
            continue
        members.append(node)
        tensors.add(node.outputs[0])
        inside = {m.index for m in members}
        live = {
            name
            for name in tensors
            if name in graph_outputs or any(c.index not in inside for c in graph.consumers(name))
        }
        if len(live) == 1 and start not in live:
            closures.append(_Closure(len(members), next(iter(live))))
    return members, closures, boundary


def _evaluate(graph: OnnxGraph, start: str, nodes: list[OnnxNode], output: str, t: np.ndarray) -> np.ndarray:
    values: dict[str, np.ndarray] = {start: t}
    with np.errstate(all="ignore"):
        for node in nodes:
            args = [
                values[name] if name in values else np.asarray(graph.constant(name), dtype=np.float64).reshape(())
                for name in node.inputs
                if name
            ]
            values[node.outputs[0]] = np.asarray(_EVALUATORS[node.op_type](node, *args), dtype=np.float64)
    return np.broadcast_to(values[output], t.shape)


def _tolerance(graph: OnnxGraph, nodes: list[OnnxNode]) -> float:
    constants = [graph.constant(name) for node in nodes for name in node.inputs if name and graph.constant(name) is not None]
    low_precision = any(c.dtype.kind == "f" and c.dtype.itemsize < 8 for c in constants)
    return TOLERANCE_FLOAT32 if low_precision else TOLERANCE_FLOAT64


def _residual(values: np.ndarray, fitted: np.ndarray) -> float:
    """Largest pointwise gap |value − fit| / max(1, |value|); infinite where values are not finite."""
    with np.errstate(invalid="ignore"):
        gaps = np.abs(values - fitted) / np.maximum(1.0, np.abs(values))
    return float(gaps.max()) if np.all(np.isfinite(gaps)) else float("inf")


def _fit(values: np.ndarray, reference: np.ndarray) -> tuple[float, float, float]:
    """Least-squares (p, q) with values ≈ p·reference + q, and the residual of that fit."""
    if not np.all(np.isfinite(values)):
        return 0.0, 0.0, float("inf")
    design = np.stack([reference, np.ones_like(reference)], axis=1)
    (p, q), *_ = np.linalg.lstsq(design, values, rcond=None)
    return float(p), float(q), _residual(values, p * reference + q)


def _identify(graph: OnnxGraph, start: str, nodes: list[OnnxNode], output: str) -> tuple[Activation, float, float] | None:
    """The best-fitting candidate within tolerance on the grid, confirmed on the random points."""
    tolerance = _tolerance(graph, nodes)
    values = _evaluate(graph, start, nodes, output, GRID)
    fits = sorted(
        (fit[2], index, fit[0], fit[1])
        for index, candidate in enumerate(CANDIDATES)
        for fit in [_fit(values, activation_value(candidate, GRID))]
    )
    residual, index, p, q = fits[0]
    candidate = CANDIDATES[index]
    if residual > tolerance:
        return None
    if _residual(values, activation_value(candidate, GRID)) <= tolerance:
        p, q = 1.0, 0.0  # the fit only absorbed the rounding of float32 constants
    check = _evaluate(graph, start, nodes, output, _VERIFY)
    if _residual(check, p * activation_value(candidate, _VERIFY) + q) > tolerance:
        return None
    return candidate, p, q


def identify_region(graph: OnnxGraph, start: str) -> Step:
    """The step for the largest elementwise region off ``start`` that equals ``p·act + q``.

    Raises RegionRefusal naming the node to blame: the first node outside the chain (a branch
    or skip connection) or the end of a region that is no supported activation.
    """
    members, closures, boundary = _grow(graph, start)
    for closure in reversed(closures):
        nodes = members[: closure.size]
        found = _identify(graph, start, nodes, closure.output)
        if found is None:
            continue
        activation, p, q = found
        if activation.name == "linear":
            effects = (ScaleShift(np.array([p]), np.array([q])),)
        else:
            effects = (Activate(activation),)
            if p != 1.0 or q != 0.0:
                effects += (ScaleShift(np.array([p]), np.array([q])),)
        return Step(tuple(nodes), closure.output, effects)
    if closures:
        last = members[closures[-1].size - 1]
        ops = ", ".join(dict.fromkeys(node.op_type for node in members[: closures[-1].size]))
        supported = ", ".join(candidate.name for candidate in CANDIDATES)
        raise RegionRefusal(
            last,
            f"the elementwise function of '{start}' computed by {ops} is not a supported activation "
            f"(supported: {supported}, softmax as the last op)",
        )
    readers = ", ".join(f"'{node.label}' ({node.op_type})" for node in graph.consumers(start))
    blame = boundary[0] if boundary else graph.consumers(start)[0]
    raise RegionRefusal(
        blame,
        f"tensor '{start}' is read by {readers} and the paths do not rejoin elementwise: the graph branches "
        "here (not a sequential chain of layers)",
        branch=True,
    )
