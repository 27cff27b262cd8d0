"""ONNX ops that need a graph: convolutions, pooling, layout changes, joins of two tensors, normalisations.

Each handler reads one ONNX node and adds primitive nodes (``polyx.converters.ir.graph``) through
the ``GraphBuilder``; it raises ``Refusal`` with the reason the user reads when the node's form
cannot be represented, or ``NotThisPattern`` to let the next rule try. Every structural op becomes
a (usually sparse) linear map over the flattened row-major features:

- ``Conv`` (1-D/2-D/3-D: strides, pads incl. auto_pad, dilations, groups, bias), ``AveragePool``
  (``count_include_pad``), ``GlobalAveragePool``, ``ReduceMean``/``ReduceSum``: sparse weights from
  one table of window taps;
- ``Transpose``, ``Split``, ``Slice``, ``Gather`` (constant indices), ``Concat``: selections;
- ``Reshape`` (any target that keeps the batch), ``Squeeze``/``Unsqueeze``: only the shape changes;
- ``Add``/``Sub`` of two tensors: their concatenation times [B_a, ±B_b] (B broadcasts);
  ``Mul`` of two tensors: a ``Product``; ``Div`` by a tensor: a product with its reciprocal;
- ``MaxPool``/``GlobalMaxPool``: a ``MaxPool`` node over the same window taps;
- ``LayerNormalization``/``RMSNormalization``: centring (linear), square (product), mean (linear),
  (v + ε)^(-1/2) (elementwise power), broadcast (linear) and product, then the affine scale.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Callable

import numpy as np
import scipy.sparse as sparse

from polyx.converters.onnx.views import OnnxNode
from polyx.converters.ir.graph import Concat, ConvOperator, MaxPool, Product
from polyx.converters.ir.chain import Activation
from polyx.converters.onnx.registry import NotThisPattern, Refusal

if TYPE_CHECKING:
    from polyx.converters.onnx.graph_loader import GraphBuilder, Value

__all__ = ["GRAPH_OPS", "BINARY_OPS", "FALLBACK_OPS", "window_taps", "conv_operator"]

GraphHandler = Callable[[OnnxNode, "GraphBuilder"], None]


# ---------------------------------------------------------------- window taps (conv and pooling)

def _pads(node: OnnxNode, spatial: tuple[int, ...], kernel: tuple[int, ...], strides: tuple[int, ...],
          dilations: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(begin, end) padding per spatial axis, from ``pads`` or ``auto_pad``."""
    auto = node.attribute("auto_pad", "NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else str(auto)
    nd = len(spatial)
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        begin, end = [], []
        for d in range(nd):
            out = -(-spatial[d] // strides[d])
            total = max(0, (out - 1) * strides[d] + (kernel[d] - 1) * dilations[d] + 1 - spatial[d])
            small = total // 2
            begin.append(small if auto == "SAME_UPPER" else total - small)
            end.append(total - begin[-1])
        return tuple(begin), tuple(end)
    if auto == "VALID":
        return (0,) * nd, (0,) * nd
    pads = [int(p) for p in node.attribute("pads", [0] * (2 * nd))]
    return tuple(pads[:nd]), tuple(pads[nd:])


def window_taps(node: OnnxNode, spatial: tuple[int, ...], kernel: tuple[int, ...]) -> tuple[tuple[int, ...], np.ndarray]:
    """The output's spatial shape and, per output position and kernel tap, the flat spatial index
    it reads (−1 where the tap falls in the padding): shape (positions, taps).

    Output size per axis: ⌊(n + p_begin + p_end − d·(k − 1) − 1) / s⌋ + 1 (ceil_mode is refused).
    """
    nd = len(spatial)
    strides = tuple(int(s) for s in node.attribute("strides", [1] * nd))
    dilations = tuple(int(d) for d in node.attribute("dilations", [1] * nd))
    if int(node.attribute("ceil_mode", 0)):
        raise Refusal("ceil_mode=1 (windows past the edge) is not supported; export with ceil_mode=False")
    begin, end = _pads(node, spatial, kernel, strides, dilations)
    out = tuple((spatial[d] + begin[d] + end[d] - dilations[d] * (kernel[d] - 1) - 1) // strides[d] + 1
                for d in range(nd))
    if min(out, default=1) < 1:
        raise Refusal(f"the window {list(kernel)} does not fit the input {list(spatial)}")
    grids = np.meshgrid(*[np.arange(o) for o in out], indexing="ij")
    taps = np.meshgrid(*[np.arange(k) for k in kernel], indexing="ij")
    valid = np.ones((math.prod(out), math.prod(kernel)), dtype=bool)
    coordinates = []
    for d in range(nd):
        coordinate = (grids[d].reshape(-1, 1) * strides[d] - begin[d] + taps[d].reshape(1, -1) * dilations[d])
        valid &= (coordinate >= 0) & (coordinate < spatial[d])
        coordinates.append(np.clip(coordinate, 0, spatial[d] - 1))
    flat = np.ravel_multi_index(tuple(coordinates), spatial)
    return out, np.where(valid, flat, -1)


def conv_operator(weight: np.ndarray, in_shape: tuple[int, ...], taps: np.ndarray, group: int) -> ConvOperator:
    """The convolution as a linear map: output (m, p) reads channel g(m)·C/g + c of the input at tap t
    with weight W[m, c, t] (cross-correlation, as ONNX and torch define it)."""
    filters, per_group = weight.shape[:2]
    return ConvOperator(weight.reshape(filters, per_group, -1), taps, in_shape[0], math.prod(in_shape[1:]), group)


def _spatial_input(node: OnnxNode, value: "Value", what: str) -> tuple[int, tuple[int, ...]]:
    if len(value.shape) < 2:
        raise Refusal(f"{what} needs (batch, channels, spatial…) data, got feature shape {list(value.shape)}")
    return value.shape[0], tuple(value.shape[1:])


def conv(node: OnnxNode, builder: "GraphBuilder") -> None:
    """Conv with a constant weight (M, C/g, k…) and optional bias, as a convolution operator (BLAS per group)."""
    value = builder.value(node.inputs[0])
    channels, spatial = _spatial_input(node, value, "Conv")
    weight = builder.graph.constant(node.inputs[1]) if len(node.inputs) > 1 else None
    if weight is None:
        raise Refusal("the convolution weight is not constant; layers need fixed weights")
    weight = np.asarray(weight, dtype=np.float64)
    group = int(node.attribute("group", 1))
    if weight.ndim != len(spatial) + 2 or weight.shape[1] * group != channels or weight.shape[0] % group:
        raise Refusal(f"weight shape {list(weight.shape)} with group {group} does not fit {channels} input channels")
    kernel = tuple(int(k) for k in node.attribute("kernel_shape", weight.shape[2:]))
    out, taps = window_taps(node, spatial, kernel)
    bias = np.zeros(weight.shape[0])
    if len(node.inputs) > 2 and node.inputs[2]:
        constant = builder.graph.constant(node.inputs[2])
        if constant is None:
            raise Refusal("the convolution bias is not constant")
        bias = np.asarray(constant, dtype=np.float64).reshape(-1)
    operator = conv_operator(weight, (channels,) + spatial, taps, group)
    builder.linear(node, value, operator, np.repeat(bias, taps.shape[0]), (weight.shape[0],) + out)


def _pool_kernel(node: OnnxNode, spatial: tuple[int, ...]) -> tuple[int, ...]:
    kernel = node.attribute("kernel_shape")
    if kernel is None or len(kernel) != len(spatial):
        raise Refusal(f"kernel_shape {kernel} does not fit the spatial shape {list(spatial)}")
    return tuple(int(k) for k in kernel)


def _depthwise(channels: int, size: int, taps: np.ndarray, weights: np.ndarray) -> sparse.csr_array:
    """Each channel's windows with per-(position, tap) weights: (C·P, C·S)."""
    positions = taps.shape[0]
    c = np.arange(channels).reshape(-1, 1, 1)
    inputs = c * size + taps[None]
    outputs = np.broadcast_to(c * positions + np.arange(positions).reshape(1, -1, 1), inputs.shape)
    values = np.broadcast_to(weights[None], inputs.shape)
    keep = np.broadcast_to(taps[None] >= 0, inputs.shape)
    return sparse.csr_array((values[keep], (outputs[keep], inputs[keep])), shape=(channels * positions, channels * size))


def average_pool(node: OnnxNode, builder: "GraphBuilder") -> None:
    """The mean over each window; padded taps count only with count_include_pad=1."""
    value = builder.value(node.inputs[0])
    channels, spatial = _spatial_input(node, value, "AveragePool")
    out, taps = window_taps(node, spatial, _pool_kernel(node, spatial))
    if int(node.attribute("count_include_pad", 0)):
        counts = np.full(taps.shape[0], taps.shape[1], dtype=np.float64)
    else:
        counts = (taps >= 0).sum(axis=1).astype(np.float64)
    weights = np.broadcast_to(1.0 / counts[:, None], taps.shape)
    operator = _depthwise(channels, math.prod(spatial), taps, weights)
    builder.linear(node, value, operator, np.zeros(operator.shape[0]), (channels,) + out)


def global_average_pool(node: OnnxNode, builder: "GraphBuilder") -> None:
    """The mean over all spatial positions of each channel: (C, 1, …)."""
    value = builder.value(node.inputs[0])
    channels, spatial = _spatial_input(node, value, "GlobalAveragePool")
    size = math.prod(spatial)
    taps = np.arange(size).reshape(1, -1)
    operator = _depthwise(channels, size, taps, np.full(taps.shape, 1.0 / size))
    builder.linear(node, value, operator, np.zeros(channels), (channels,) + (1,) * len(spatial))


def _max_windows(channels: int, size: int, taps: np.ndarray) -> np.ndarray:
    c = np.arange(channels).reshape(-1, 1, 1)
    return np.where(taps[None] >= 0, c * size + taps[None], -1).reshape(-1, taps.shape[1])


def max_pool(node: OnnxNode, builder: "GraphBuilder") -> None:
    """The maximum over each window (piecewise: exact near a point where no window ties)."""
    if len([out for out in node.outputs if out and builder.graph.consumers(out)]) > 1 or (
            len(node.outputs) > 1 and node.outputs[1] and builder.graph.consumers(node.outputs[1])):
        raise Refusal("MaxPool's Indices output is used; only the pooled values are supported")
    value = builder.value(node.inputs[0])
    channels, spatial = _spatial_input(node, value, "MaxPool")
    if int(node.attribute("storage_order", 0)) and len(node.outputs) > 1 and node.outputs[1]:
        raise Refusal("MaxPool with storage_order=1 indices is not supported")
    out, taps = window_taps(node, spatial, _pool_kernel(node, spatial))
    windows = _max_windows(channels, math.prod(spatial), taps)
    builder.add_node(node, MaxPool(value.index, windows, node.label), (channels,) + out)


def global_max_pool(node: OnnxNode, builder: "GraphBuilder") -> None:
    """The maximum over every spatial position of each channel."""
    value = builder.value(node.inputs[0])
    channels, spatial = _spatial_input(node, value, "GlobalMaxPool")
    size = math.prod(spatial)
    windows = _max_windows(channels, size, np.arange(size).reshape(1, -1))
    builder.add_node(node, MaxPool(value.index, windows, node.label), (channels,) + (1,) * len(spatial))


# ---------------------------------------------------------------- layout: selections and shape changes

def _feature_axis(axis: int, rank: int, node: OnnxNode) -> int:
    """An ONNX axis of a (batch, features…) tensor as a feature axis; the batch axis is refused."""
    full = rank + 1
    axis = axis + full if axis < 0 else axis
    if not 0 < axis < full:
        raise Refusal(f"{node.op_type} along axis {axis} mixes samples of the batch; only feature axes are supported")
    return axis - 1


def _index_grid(shape: tuple[int, ...]) -> np.ndarray:
    return np.arange(math.prod(shape)).reshape(shape)


def transpose(node: OnnxNode, builder: "GraphBuilder") -> None:
    """A permutation of the feature axes (the batch axis must stay first)."""
    value = builder.value(node.inputs[0])
    rank = len(value.shape)
    perm = [int(p) for p in node.attribute("perm", list(range(rank, -1, -1)))]
    if perm[0] != 0:
        raise Refusal(f"Transpose perm {perm} moves the batch axis; only feature axes may be permuted")
    grid = _index_grid(value.shape).transpose([p - 1 for p in perm[1:]])
    builder.select(node, value, grid.reshape(-1), grid.shape)


def _constant_input(node: OnnxNode, builder: "GraphBuilder", position: int, attribute: str | None = None):
    if len(node.inputs) > position and node.inputs[position]:
        constant = builder.graph.constant(node.inputs[position])
        if constant is None:
            raise Refusal(f"input {position + 1} ('{node.inputs[position]}') must be constant")
        return [int(v) for v in np.asarray(constant).reshape(-1)]
    if attribute is not None and node.attribute(attribute) is not None:
        return [int(v) for v in node.attribute(attribute)]
    return None


def reshape_any(node: OnnxNode, builder: "GraphBuilder") -> None:
    """Any reshape that keeps the batch axis: row-major values are unchanged, only the shape is new."""
    from polyx.converters.onnx.folding import reshape_target

    value = builder.value(node.inputs[0])
    target = _constant_input(node, builder, 1, "shape")
    if target is None:
        raise NotThisPattern
    allowzero = bool(node.attribute("allowzero", 0))
    shapes = [reshape_target((batch,) + value.shape, np.asarray(target), allowzero) for batch in (2, 3)]
    if any(shape[0] != batch for shape, batch in zip(shapes, (2, 3))) or math.prod(shapes[0][1:]) != value.size:
        raise Refusal(f"reshapes features {list(value.shape)} to {list(shapes[0])}, which mixes samples of the batch")
    builder.alias(node.outputs[0], value, tuple(shapes[0][1:]))


def squeeze_unsqueeze(node: OnnxNode, builder: "GraphBuilder") -> None:
    """Size-1 feature axes dropped or added: only the shape changes."""
    value = builder.value(node.inputs[0])
    axes = _constant_input(node, builder, 1, "axes")
    shape = list(value.shape)
    if node.op_type == "Unsqueeze":
        rank = len(shape) + 1 + len(axes or ())
        for axis in sorted((a + rank if a < 0 else a) for a in axes or ()):
            if axis == 0:
                raise Refusal("Unsqueeze at axis 0 adds an axis before the batch")
            shape.insert(axis - 1, 1)
    else:
        drop = {_feature_axis(a, len(shape), node) for a in axes} if axes else {i for i, d in enumerate(shape) if d == 1}
        if any(shape[i] != 1 for i in drop):
            raise Refusal(f"Squeeze of axes of size other than 1 in {shape}")
        shape = [d for i, d in enumerate(shape) if i not in drop]
    builder.alias(node.outputs[0], value, tuple(shape))


def concat(node: OnnxNode, builder: "GraphBuilder") -> None:
    """Tensors joined along a feature axis: a Concat of the flat features, then the interleaving."""
    values = [builder.value(name) for name in node.inputs if name]
    constants = [name for name in node.inputs if name and builder.graph.constant(name) is not None]
    if constants:
        raise Refusal("Concat with a constant tensor is not supported")
    rank = len(values[0].shape)
    axis = _feature_axis(int(node.attribute("axis", 1)), rank, node)
    offsets = np.cumsum([0] + [v.size for v in values])
    grids = [_index_grid(v.shape) + offset for v, offset in zip(values, offsets)]
    try:
        joined = np.concatenate(grids, axis=axis)
    except ValueError:
        raise Refusal(f"Concat of feature shapes {[list(v.shape) for v in values]} along axis {axis + 1}") from None
    joint = builder.add_node(node, Concat(tuple(v.index for v in values), int(offsets[-1]), node.label),
                             (int(offsets[-1]),), output=None)
    builder.select(node, joint, joined.reshape(-1), joined.shape)


def split(node: OnnxNode, builder: "GraphBuilder") -> None:
    """Pieces of a feature axis, each a selection."""
    value = builder.value(node.inputs[0])
    axis = _feature_axis(int(node.attribute("axis", 0)), len(value.shape), node)
    outputs = [out for out in node.outputs]
    sizes = _constant_input(node, builder, 1, "split")
    length = value.shape[axis]
    if sizes is None:
        count = int(node.attribute("num_outputs", len(outputs)))
        piece = -(-length // count)
        sizes = [min(piece, length - piece * i) for i in range(count)]
    grid = _index_grid(value.shape)
    start = 0
    for out, size in zip(outputs, sizes):
        part = np.take(grid, np.arange(start, start + size), axis=axis)
        start += size
        if out:
            builder.select(node, value, part.reshape(-1), part.shape, output=out)


def slice_(node: OnnxNode, builder: "GraphBuilder") -> None:
    """A strided slice of feature axes (constant starts/ends/axes/steps)."""
    value = builder.value(node.inputs[0])
    starts = _constant_input(node, builder, 1, "starts")
    ends = _constant_input(node, builder, 2, "ends")
    axes = _constant_input(node, builder, 3, "axes") or list(range(len(starts)))
    steps = _constant_input(node, builder, 4) or [1] * len(starts)
    grid = _index_grid(value.shape)
    index: list[slice] = [slice(None)] * len(value.shape)
    for start, end, axis, step in zip(starts, ends, axes, steps):
        feature = _feature_axis(axis, len(value.shape), node)
        index[feature] = slice(*slice(start, end, step).indices(value.shape[feature]))
    part = grid[tuple(index)]
    builder.select(node, value, part.reshape(-1), part.shape)


def gather(node: OnnxNode, builder: "GraphBuilder") -> None:
    """Gather of constant indices along a feature axis: a selection."""
    value = builder.value(node.inputs[0])
    indices = builder.graph.constant(node.inputs[1])
    if indices is None:
        raise Refusal("Gather with data-dependent indices is not supported")
    axis = _feature_axis(int(node.attribute("axis", 0)), len(value.shape), node)
    part = np.take(_index_grid(value.shape), np.asarray(indices, dtype=np.int64), axis=axis)
    builder.select(node, value, part.reshape(-1), part.shape)


def reduce_mean_sum(node: OnnxNode, builder: "GraphBuilder") -> None:
    """ReduceMean/ReduceSum over feature axes: a sparse averaging (or summing) map."""
    value = builder.value(node.inputs[0])
    axes = _constant_input(node, builder, 1, "axes")
    rank = len(value.shape)
    if axes is None:
        if int(node.attribute("noop_with_empty_axes", 0)):
            builder.alias(node.outputs[0], value, value.shape)
            return
        raise Refusal(f"{node.op_type} over every axis mixes samples of the batch")
    features = sorted({_feature_axis(a, rank, node) for a in axes})
    keep = bool(int(node.attribute("keepdims", 1)))
    builder.reduce(node, value, features, keep, mean=node.op_type == "ReduceMean")


# ---------------------------------------------------------------- joins of two data tensors

def _two_values(node: OnnxNode, builder: "GraphBuilder") -> tuple["Value", "Value"]:
    data = [name for name in node.inputs if name]
    if len(data) != 2 or any(builder.graph.constant(name) is not None for name in data):
        raise NotThisPattern
    return builder.value(data[0]), builder.value(data[1])


def add_sub(node: OnnxNode, builder: "GraphBuilder") -> None:
    """a ± b of two data tensors (residual connections), with numpy broadcasting of feature axes."""
    a, b = _two_values(node, builder)
    sign = -1.0 if node.op_type == "Sub" else 1.0
    builder.weighted_sum(node, [(a, 1.0), (b, sign)])


def mul(node: OnnxNode, builder: "GraphBuilder") -> None:
    """a ⊙ b of two data tensors (gates, squares), broadcast to one shape first."""
    a, b = _two_values(node, builder)
    shape = builder.broadcast_shape(node, a, b)
    left, right = builder.broadcast(node, a, shape), builder.broadcast(node, b, shape)
    builder.add_node(node, Product(left.index, right.index, math.prod(shape), node.label), shape)


def div(node: OnnxNode, builder: "GraphBuilder") -> None:
    """a / b of two data tensors: a times b^(−1) (a normalisation's division by its deviation)."""
    a, b = _two_values(node, builder)
    inverse = builder.elementwise(node, b, Activation.of("power", exponent=-1.0, shift=0.0), origin=node.op_type)
    shape = builder.broadcast_shape(node, a, inverse)
    left, right = builder.broadcast(node, a, shape), builder.broadcast(node, inverse, shape)
    builder.add_node(node, Product(left.index, right.index, math.prod(shape), node.label), shape)


# ---------------------------------------------------------------- normalisations and powers

def _normalisation(node: OnnxNode, builder: "GraphBuilder", centre: bool) -> None:
    """(x − mean) · (var + ε)^(−1/2) · γ + β over the axes from ``axis`` on (RMSNorm: no centring)."""
    value = builder.value(node.inputs[0])
    used = [out for out in node.outputs[1:] if out and builder.graph.consumers(out)]
    if used:
        raise Refusal(f"{node.op_type}'s mean/inverse-deviation outputs are used; only the normalised values are supported")
    rank = len(value.shape)
    first = _feature_axis(int(node.attribute("axis", -1)), rank, node)
    axes = list(range(first, rank))
    epsilon = float(node.attribute("epsilon", 1e-5))
    origin = f"{node.op_type} '{node.label}'"
    centred = value
    if centre:
        mean = builder.reduce(node, value, axes, True, mean=True, output=None)
        centred = builder.weighted_sum(node, [(value, 1.0), (mean, -1.0)], output=None)
    square = builder.add_node(node, Product(centred.index, centred.index, centred.size, node.label, origin),
                              centred.shape, output=None)
    variance = builder.reduce(node, square, axes, True, mean=True, output=None)
    inverse = builder.elementwise(node, variance, Activation.of("power", exponent=-0.5, shift=epsilon), origin=origin)
    spread = builder.broadcast(node, inverse, value.shape)
    normal = builder.add_node(node, Product(centred.index, spread.index, value.size, node.label, origin),
                              value.shape, output=None)
    scale = _affine_parameter(node, builder, 1, value.shape[first:], 1.0)
    shift = _affine_parameter(node, builder, 2, value.shape[first:], 0.0) if centre or len(node.inputs) > 2 else None
    bias = np.zeros(value.size) if shift is None else np.broadcast_to(shift, value.shape).reshape(-1)
    operator = sparse.diags_array(np.broadcast_to(scale, value.shape).reshape(-1)).tocsr()
    builder.linear(node, normal, operator, bias, value.shape)


def _affine_parameter(node: OnnxNode, builder: "GraphBuilder", position: int, shape: tuple[int, ...],
                      default: float) -> np.ndarray:
    if len(node.inputs) <= position or not node.inputs[position]:
        return np.full(shape, default)
    constant = builder.graph.constant(node.inputs[position])
    if constant is None:
        raise Refusal(f"{node.op_type} parameter '{node.inputs[position]}' is not constant")
    try:
        return np.broadcast_to(np.asarray(constant, dtype=np.float64), shape)
    except ValueError:
        raise Refusal(f"{node.op_type} parameter shape {list(np.shape(constant))} does not fit {list(shape)}") from None


def layer_normalization(node: OnnxNode, builder: "GraphBuilder") -> None:
    """LayerNorm (opset 17): centred, divided by √(var + ε), scaled and shifted."""
    _normalisation(node, builder, centre=True)


def rms_normalization(node: OnnxNode, builder: "GraphBuilder") -> None:
    """RMSNorm (opset 23): divided by √(mean(x²) + ε) and scaled."""
    _normalisation(node, builder, centre=False)


def power(node: OnnxNode, builder: "GraphBuilder") -> None:
    """x^p for a constant p: a product for p = 2, the identity for p = 1, else an elementwise power."""
    value = builder.value(node.inputs[0])
    exponent = builder.graph.constant(node.inputs[1]) if len(node.inputs) > 1 else None
    if exponent is None or np.asarray(exponent).size != 1:
        raise Refusal("Pow with a non-constant or per-feature exponent is not supported")
    p = float(np.asarray(exponent).reshape(-1)[0])
    if p == 1.0:
        builder.alias(node.outputs[0], value, value.shape)
    elif p == 2.0:
        builder.add_node(node, Product(value.index, value.index, value.size, node.label), value.shape)
    else:
        builder.elementwise(node, value, Activation.of("power", exponent=p, shift=0.0), output=node.outputs[0])


def _unary_power(exponent: float) -> GraphHandler:
    def handler(node: OnnxNode, builder: "GraphBuilder") -> None:
        value = builder.value(node.inputs[0])
        builder.elementwise(node, value, Activation.of("power", exponent=exponent, shift=0.0), output=node.outputs[0])

    handler.__doc__ = f"x^{exponent:g} elementwise."
    return handler


def _activation(name: str) -> GraphHandler:
    def handler(node: OnnxNode, builder: "GraphBuilder") -> None:
        value = builder.value(node.inputs[0])
        builder.elementwise(node, value, Activation(name), output=node.outputs[0])

    handler.__doc__ = f"``{name}`` elementwise, when it is not part of a larger identified region."
    return handler


GRAPH_OPS: dict[str, GraphHandler] = {
    "Conv": conv,
    "AveragePool": average_pool,
    "GlobalAveragePool": global_average_pool,
    "MaxPool": max_pool,
    "GlobalMaxPool": global_max_pool,
    "Transpose": transpose,
    "Concat": concat,
    "Split": split,
    "Slice": slice_,
    "Gather": gather,
    "ReduceMean": reduce_mean_sum,
    "ReduceSum": reduce_mean_sum,
    "LayerNormalization": layer_normalization,
    "RMSNormalization": rms_normalization,
    "Unsqueeze": squeeze_unsqueeze,
}
"""Ops with a graph rule tried before the chain patterns (these have no chain pattern of their own)."""

BINARY_OPS: dict[str, GraphHandler] = {"Add": add_sub, "Sub": add_sub, "Mul": mul, "Div": div}
"""Ops joining two data tensors."""

FALLBACK_OPS: dict[str, GraphHandler] = {
    "Pow": power,
    "Sqrt": _unary_power(0.5),
    "Reciprocal": _unary_power(-1.0),
    "Tanh": _activation("tanh"),
    "Sigmoid": _activation("sigmoid"),
    "Relu": _activation("relu"),
    "Softplus": _activation("softplus"),
    "Sin": _activation("sin"),
    "Reshape": reshape_any,
    "Squeeze": squeeze_unsqueeze,
}
"""Ops tried when neither a chain pattern nor an identified elementwise region covers the node."""
