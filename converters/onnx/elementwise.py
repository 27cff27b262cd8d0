"""Identify an elementwise subgraph as one known activation by evaluating it, not by its op pattern.

Exporters decompose SiLU, GELU (exact and tanh) and torch's thresholded softplus into small
subgraphs whose operand order and constant placement vary from file to file, and they write
activations of a scaled or shifted argument: torch's softplus(β) is softplus(β·a)/β, QuickGELU
and swish-β are a·σ(k·a) = silu(k·a)/k, cos(a) is sin(a + π/2), a hand-written ELU has its own α.
Rather than list every variant, polyx takes the elementwise region that hangs off one tensor,
evaluates it in float64 on a grid and fits, for each known activation,

1. ``p·act(t) + q`` with the default parameters (p, q by least squares): the fast path; then, only
   when none of those holds,
2. ``p·act(k·t + s) + q``: the inner scale k and shift s start at the best point of a fixed coarse
   (k, s) grid and are refined by Levenberg–Marquardt, while p, q and the parameters that enter
   linearly (elu's and leaky_relu's alpha; selu is γ·elu, so it is an elu here) are solved by
   least squares for each (k, s) (each activation's registry entry says how: ``inner_fit``,
   ``linear_parameters``, ``positively_homogeneous``). Deterministic, and a few tens of
   milliseconds per region.

A fit is accepted only if it holds pointwise to 1e-9 relative (1e-6 when the region's constants
are stored in float32, whose rounding alone moves values by ~1e-8) on the grid, then on every
0.05 of [-25, 25] and on random points, both in the region's input t and in the activation's
argument u = k·t + s, so a threshold outside the t-range (torch's softplus threshold with a small
β) is still tested. The nearest two candidates, gelu and gelu_tanh, differ by ~5e-4 there, so
whatever is accepted equals the region within the tolerance. torch's softplus(β, threshold)
switches to the identity where β·a > threshold, a jump of log1p(e^-threshold)/β: with the default
threshold 20 that is below the tolerance, with threshold 10 it is 4.5e-6 relative and the region
is refused, naming the closest fit. The largest region that matches wins; k and s fold into the
layer before the activation, p and q into the next layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable

import numpy as np

from polyx.converters.onnx.activations import ONNX_SELU_ALPHA, ONNX_SELU_GAMMA
from polyx.converters.onnx.chain import Activate, Effect, ScaleShift, Step
from polyx.converters.onnx.views import OnnxGraph, OnnxNode
from polyx.converters.ir.chain import Activation
from polyx.converters.onnx.registry import Refusal
from polyx.expansion.activations.registry import ACTIVATIONS, ActivationFunction, activation_function, activation_value

__all__ = ["REGION_OPS", "DECOMPOSITIONS", "CANDIDATES", "RegionRefusal", "identify_region"]

TOLERANCE_FLOAT64 = 1e-9
TOLERANCE_FLOAT32 = 1e-6
GRID = np.concatenate([np.linspace(-6.0, 6.0, 241), [-25.0, -15.0, -10.0, -8.0, 8.0, 10.0, 15.0, 25.0]])
_VERIFY = np.random.default_rng(20240611).uniform(-9.0, 9.0, 257)
# Where a fit must hold: every 0.05 on [-25, 25] and the random points (in t, and in u = k·t + s).
_CHECK = np.concatenate([np.linspace(-25.0, 25.0, 1001), _VERIFY])
# The coarse search for k and s: every third grid point in [-6, 6] plus the far points, scales
# ±2^(j/4) for |k| in [1/8, 8], and the activation's origin -s/k at 25 places in [-6, 6].
_COARSE = np.r_[0:241:3, 241 : GRID.size]
_COARSE_SCALES = np.concatenate([2.0 ** (np.arange(-12, 13) / 4.0), -(2.0 ** (np.arange(-12, 13) / 4.0))])
_COARSE_ORIGINS = np.linspace(-6.0, 6.0, 25)
# A refused region's closest fit is named in the message when it is this close (a near miss).
_NEAR_MISS = 1e-3

# Every activation polyx has a series for, with its default parameters: a new one is recognised too.
CANDIDATES: tuple[Activation, ...] = tuple(
    Activation.of(name, **dict(function.defaults)) for name, function in ACTIVATIONS.items() if function.candidate
)

DECOMPOSITIONS: tuple[tuple[str, str], ...] = (
    ("`Mul(a, Sigmoid(a))` (SiLU/swish, every exporter)", "`silu`"),
    ("`Div(a, √2) → Erf → Add 1 → Mul a → Mul 0.5` in any operand order (torch exact GELU, opset < 20)", "`gelu`"),
    ("`Pow(a, 3)` or `Mul(a, Mul(a, a))`, `·0.044715 + a`, `·√(2/π)`, `Tanh`, `+1`, `·a`, `·0.5`", "`gelu_tanh`"),
    ("`Where(Greater(a, 20), a, Softplus(a))` (torch softplus threshold; with `Mul/Div` by β = 1 too)", "`softplus`"),
    ("`Mul(a, β) → Softplus → Div β`, `Where(Greater(β·a, th), a, ·)` (torch softplus(β, th); refused when the "
     "jump log1p(e^-th)/β at the threshold exceeds the tolerance, e.g. th = 10)", "`softplus` of β·a, times 1/β"),
    ("`Mul(a, k) → Sigmoid → Mul a` (QuickGELU k = 1.702, swish-β)", "`silu` of k·a, times 1/k"),
    ("`Cos(a)`", "`sin` of a + π/2"),
    ("`Where(Greater(a, 0), a, Mul(α, Sub(Exp(a), 1)))` (hand-written ELU)", "`elu(alpha=α)`"),
    ("any other elementwise subgraph equal to `p·act(k·a + s) + q` for a supported activation "
     "(elu/leaky_relu alpha fitted too)", "that activation, k·a + s folded into the layer before"),
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


@dataclass(frozen=True)
class _Family:
    """A candidate for the inner fit: ``act(u)`` is a combination of ``basis(u)``'s columns whose
    weights give p and the linear parameters; ``resolve(weights, k, s)`` reads them back as
    (activation, k, s). A positively homogeneous act (act(c·u) = c·act(u), c > 0) has |k| = 1."""

    basis: Callable[[np.ndarray], np.ndarray]
    resolve: Callable[[np.ndarray, float, float], tuple[Activation, float, float]]
    homogeneous: bool = False


def _family(name: str, function: ActivationFunction) -> _Family:
    """The inner-fit candidate an activation's registry entry describes: its default-parameter values
    as one column, or the basis whose weights give the parameters that enter linearly."""
    homogeneous = function.positively_homogeneous
    fit = function.linear_parameters
    if fit is None:
        spec = Activation.of(name)
        return _Family(lambda u: activation_value(spec, u)[..., None], lambda weights, k, s: (spec, k, s), homogeneous)

    def resolve(weights: np.ndarray, k: float, s: float) -> tuple[Activation, float, float]:
        params, mirrored = fit.read(weights)
        return (Activation.of(name, **params), -k, -s) if mirrored else (Activation.of(name, **params), k, s)

    return _Family(fit.basis, resolve, homogeneous)


# Default-parameter families first, then those fitting parameters (a region that equals both is the simpler).
_FAMILIES: tuple[_Family, ...] = tuple(
    _family(name, function)
    for parametrised in (False, True)
    for name, function in ACTIVATIONS.items()
    if function.inner_fit and (function.linear_parameters is not None) == parametrised
)


@dataclass(frozen=True)
class _Fit:
    """``p·activation(k·t + s) + q`` with its worst relative gap from the region and the t where it is."""

    activation: Activation
    k: float
    s: float
    p: float
    q: float
    gap: float
    at: float

    def formula(self) -> str:
        """The fitted function of t, as the refusal message shows it."""
        inner = "t" if self.k == 1.0 else f"{self.k:.6g}·t"
        if self.s:
            inner += f" {'+' if self.s > 0 else '-'} {abs(self.s):.6g}"
        text = f"{self.activation}({inner})" if self.p == 1.0 else f"{self.p:.6g}·{self.activation}({inner})"
        return text + (f" {'+' if self.q > 0 else '-'} {abs(self.q):.6g}" if self.q else "")


Region = Callable[[np.ndarray], np.ndarray]


def _checked(region: Region, activation: Activation, k: float, s: float, p: float, q: float) -> _Fit:
    """The fit's worst pointwise gap on the check points, in t and in u = k·t + s."""
    points = _CHECK if (k, s) == (1.0, 0.0) else np.concatenate([_CHECK, (_CHECK - s) / k])
    values = region(points)
    with np.errstate(all="ignore"):
        gaps = np.abs(values - (p * activation_value(activation, k * points + s) + q)) / np.maximum(1.0, np.abs(values))
    gaps = np.where(np.isfinite(gaps), gaps, np.inf)
    worst = int(np.argmax(gaps))
    return _Fit(activation, k, s, p, q, float(gaps[worst]), float(points[worst]))


def _plain_fit(region: Region, values: np.ndarray, tolerance: float) -> _Fit | None:
    """The fast path: the best ``p·act(t) + q`` over the default-parameter candidates, if it holds on the grid."""
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
    return _checked(region, candidate, 1.0, 0.0, p, q)


def _solve(columns: np.ndarray, values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted least-squares coefficients of the columns (grid × m), then of the constant q."""
    design = np.concatenate([columns, np.ones((columns.shape[0], 1))], axis=1)
    solution, *_ = np.linalg.lstsq(design * weights[:, None], values * weights, rcond=None)
    return solution


def _misfit(family: _Family, values: np.ndarray, weights: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Relative residuals at (k, s) = x once the linear coefficients are solved (variable projection)."""
    columns = family.basis(x[0] * GRID + x[1])
    if not np.all(np.isfinite(columns)):
        return np.full(GRID.size, 1e3)
    solution = _solve(columns, values, weights)
    return weights * (values - columns @ solution[:-1] - solution[-1])


def _coarse_start(family: _Family, values: np.ndarray, weights: np.ndarray) -> tuple[float, float, float]:
    """(RMS relative misfit, k, s) at the best point of the coarse grid, all pairs solved at once."""
    k = np.repeat(_COARSE_SCALES, _COARSE_ORIGINS.size)
    s = -k * np.tile(_COARSE_ORIGINS, _COARSE_SCALES.size)
    columns = family.basis(k[:, None] * GRID[_COARSE][None, :] + s[:, None])
    share = weights[_COARSE] ** 2 / np.sum(weights[_COARSE] ** 2)
    target = values[_COARSE] - share @ values[_COARSE]
    centred = columns - np.einsum("n,pnm->pm", share, columns)[:, None, :]
    gram = np.einsum("n,pna,pnb->pab", share, centred, centred)
    ridge = (1e-12 * np.trace(gram, axis1=1, axis2=2) + 1e-300)[:, None, None] * np.eye(gram.shape[-1])
    solution = np.linalg.solve(gram + ridge, np.einsum("n,pna,n->pa", share, centred, target)[..., None])[..., 0]
    misfit = target - np.einsum("pna,pa->pn", centred, solution)
    score = np.sqrt(misfit**2 @ share)
    best = int(np.argmin(np.where(np.isfinite(score), score, np.inf)))
    return float(score[best]), float(k[best]), float(s[best])


def _refine(family: _Family, values: np.ndarray, weights: np.ndarray, k: float, s: float) -> tuple[float, float]:
    """Levenberg–Marquardt on (k, s) from the coarse start; exact fits converge to rounding level."""
    from scipy.optimize import least_squares

    result = least_squares(
        partial(_misfit, family, values, weights), np.array([k, s]), method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15
    )
    return (float(result.x[0]), float(result.x[1])) if np.all(np.isfinite(result.x)) and result.x[0] else (k, s)


def _tidy(value: float) -> float:
    """The number a fit stands for when it is within rounding of it: 0, a float32 constant, or a short decimal."""
    value = float(value)
    if abs(value) < 1e-12:
        return 0.0
    single = float(np.float32(value))
    if abs(single - value) <= 1e-12 * abs(value):
        return single
    short = float(f"{value:.12g}")
    return short if abs(short - value) <= 1e-15 * abs(value) else value


def _inner_parameters(
    family: _Family, values: np.ndarray, weights: np.ndarray, k: float, s: float, tidy: bool
) -> tuple[Activation, float, float, float, float]:
    """(activation, k, s, p, q) at the refined (k, s); with ``tidy`` every number snapped by ``_tidy``."""
    clean = _tidy if tidy else float
    if family.homogeneous:
        k, s = k / abs(k), s / abs(k)  # |k| moves into p exactly
    k, s = clean(k), clean(s)
    activation, k, s = family.resolve(_solve(family.basis(k * GRID + s), values, weights), k, s)
    activation = Activation.of(activation.name, **{key: clean(value) for key, value in activation.params})
    p, q = _solve(activation_value(activation, k * GRID + s)[:, None], values, weights)
    return activation, k, s, clean(p), clean(q)


def _inner_fit(region: Region, values: np.ndarray, tolerance: float) -> _Fit:
    """The first ``p·act(k·t + s) + q`` that holds, families tried from the best coarse start; else the closest."""
    weights = 1.0 / np.maximum(1.0, np.abs(values))
    starts = sorted(
        (max(score, tolerance), index, k, s)
        for index, family in enumerate(_FAMILIES)
        for score, k, s in [_coarse_start(family, values, weights)]
    )
    closest: _Fit | None = None
    for _, index, k, s in starts:
        family = _FAMILIES[index]
        k, s = _refine(family, values, weights, k, s)
        for tidy in (True, False):
            fit = _checked(region, *_inner_parameters(family, values, weights, k, s, tidy))
            if fit.gap <= tolerance:
                return fit
            if closest is None or fit.gap < closest.gap:
                closest = fit
    assert closest is not None
    return closest


def _identify(region: Region, tolerance: float) -> _Fit | None:
    """The fit for the region: the plain one if it holds, else the inner one (holding or closest); None if not finite."""
    values = region(GRID)
    if not np.all(np.isfinite(values)):
        return None
    plain = _plain_fit(region, values, tolerance)
    if plain is not None and plain.gap <= tolerance:
        return plain
    return _inner_fit(region, values, tolerance)


def _effects(fit: _Fit) -> tuple[Effect, ...]:
    """ScaleShift(k, s) into the layer before, the activation, ScaleShift(p, q) into the next layer."""
    if activation_function(fit.activation).identity:
        return (ScaleShift(np.array([fit.p]), np.array([fit.q])),)
    effects: tuple[Effect, ...] = ()
    if (fit.k, fit.s) != (1.0, 0.0):
        effects += (ScaleShift(np.array([fit.k]), np.array([fit.s])),)
    effects += (Activate(fit.activation),)
    if (fit.p, fit.q) != (1.0, 0.0):
        effects += (ScaleShift(np.array([fit.p]), np.array([fit.q])),)
    return effects


def identify_region(graph: OnnxGraph, start: str) -> Step:
    """The step for the largest elementwise region off ``start`` that equals ``p·act(k·t + s) + q``.

    Raises RegionRefusal naming the node to blame: the first node outside the chain (a branch
    or skip connection) or the end of a region that is no supported activation.
    """
    members, closures, boundary = _grow(graph, start)
    closest: _Fit | None = None
    for closure in reversed(closures):
        nodes = members[: closure.size]
        tolerance = _tolerance(graph, nodes)
        fit = _identify(partial(_evaluate, graph, start, nodes, closure.output), tolerance)
        if fit is not None and fit.gap <= tolerance:
            return Step(tuple(nodes), closure.output, _effects(fit))
        closest = fit if closure is closures[-1] else closest
    if closures:
        last = members[closures[-1].size - 1]
        ops = ", ".join(dict.fromkeys(node.op_type for node in members[: closures[-1].size]))
        supported = ", ".join(candidate.name for candidate in CANDIDATES)
        near = ""
        if closest is not None and closest.gap <= _NEAR_MISS:
            near = (
                f"; the closest is {closest.formula()} with t = '{start}', off by {closest.gap:.2g} (relative) "
                f"at t = {closest.at:.4g}, beyond the tolerance {_tolerance(graph, members[: closures[-1].size]):g}"
            )
        raise RegionRefusal(
            last,
            f"the elementwise function of '{start}' computed by {ops} is not a supported activation "
            f"(supported: p·act(k·t + s) + q for act in {supported}; softmax as the last op){near}",
        )
    readers = ", ".join(f"'{node.label}' ({node.op_type})" for node in graph.consumers(start))
    blame = boundary[0] if boundary else graph.consumers(start)[0]
    raise RegionRefusal(
        blame,
        f"tensor '{start}' is read by {readers} and the paths do not rejoin elementwise: the graph branches "
        "here (not a sequential chain of layers)",
        branch=True,
    )
