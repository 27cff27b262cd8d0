"""Constant folding: evaluate nodes whose inputs are all constants, in numpy, in their own dtype.

Exporters leave small constant subgraphs in the file (jax2onnx computes BatchNorm's scale as
``Reshape → Add ε → Sqrt → Div(1, ·) → Mul``; the dynamo exporter with ``optimize=False`` writes
``Constant → CastLike``). Folding them first means the pattern handlers only ever see plain
constant arrays. Arithmetic stays in the constants' dtype, as onnxruntime would compute it.
"""

from __future__ import annotations

from functools import reduce
from typing import Any, Callable, Mapping

import numpy as np

__all__ = ["FOLDABLE_OPS", "fold_node"]

Arrays = list[np.ndarray]
Attributes = Mapping[str, Any]


def _np_dtype(onnx_type: int) -> np.dtype:
    from onnx.helper import tensor_dtype_to_np_dtype

    return np.dtype(tensor_dtype_to_np_dtype(onnx_type))


def _axes(inputs: Arrays, attributes: Attributes) -> tuple[int, ...] | None:
    """Unsqueeze/Squeeze axes: an attribute before opset 13, the second input from 13 on."""
    if len(inputs) > 1 and inputs[1] is not None:
        return tuple(int(axis) for axis in np.asarray(inputs[1]).reshape(-1))
    if "axes" in attributes:
        return tuple(int(axis) for axis in attributes["axes"])
    return None


def reshape_target(shape: tuple[int, ...], target: np.ndarray, allowzero: bool) -> tuple[int, ...]:
    """The output shape of ONNX Reshape: 0 copies the input dimension (unless allowzero), -1 is inferred."""
    dims = [int(d) for d in np.asarray(target).reshape(-1)]
    if not allowzero:
        dims = [shape[i] if d == 0 and i < len(shape) else d for i, d in enumerate(dims)]
    if dims.count(-1) == 1:
        known = int(np.prod([d for d in dims if d != -1]))
        total = int(np.prod(shape))
        dims[dims.index(-1)] = total // known if known else 0
    return tuple(dims)


def _reshape(inputs: Arrays, attributes: Attributes) -> np.ndarray:
    data = inputs[0]
    return data.reshape(reshape_target(data.shape, inputs[1], bool(attributes.get("allowzero", 0))))


def _unsqueeze(inputs: Arrays, attributes: Attributes) -> np.ndarray:
    data = inputs[0]
    axes = _axes(inputs, attributes) or ()
    rank = data.ndim + len(axes)
    for axis in sorted(axis % rank for axis in axes):
        data = np.expand_dims(data, axis)
    return data


def _squeeze(inputs: Arrays, attributes: Attributes) -> np.ndarray:
    axes = _axes(inputs, attributes)
    return np.squeeze(inputs[0], axis=axes)


def _gather(inputs: Arrays, attributes: Attributes) -> np.ndarray:
    return np.take(inputs[0], np.asarray(inputs[1], dtype=np.int64), axis=int(attributes.get("axis", 0)))


def _slice(inputs: Arrays, attributes: Attributes) -> np.ndarray:
    """Slice: starts, ends, axes and steps as inputs (opset 10 on) or attributes (before)."""
    data = inputs[0]
    given = list(inputs[1:]) + [None] * 4
    starts = given[0] if given[0] is not None else attributes["starts"]
    ends = given[1] if given[1] is not None else attributes["ends"]
    axes = given[2] if given[2] is not None else attributes.get("axes", range(len(starts)))
    steps = given[3] if given[3] is not None else [1] * len(starts)
    index = [slice(None)] * data.ndim
    for start, end, axis, step in zip(*(np.asarray(list(v), dtype=np.int64) for v in (starts, ends, axes, steps))):
        index[int(axis)] = slice(int(start), int(end), int(step))
    return data[tuple(index)]


def _divide(inputs: Arrays, attributes: Attributes) -> np.ndarray:
    a, b = inputs
    if np.issubdtype(a.dtype, np.integer):
        return np.trunc(a / b).astype(a.dtype)
    return np.asarray(a / b, dtype=np.result_type(a, b))


def _cast(inputs: Arrays, attributes: Attributes) -> np.ndarray:
    return inputs[0].astype(_np_dtype(int(attributes["to"])))


def _constant_of_shape(inputs: Arrays, attributes: Attributes) -> np.ndarray:
    value = attributes.get("value")
    fill = np.zeros(1, dtype=np.float32) if value is None else np.asarray(value).reshape(-1)
    return np.full(tuple(int(d) for d in inputs[0]), fill[0], dtype=fill.dtype)


def _same_dtype(function: Callable[..., np.ndarray]) -> Callable[[Arrays, Attributes], np.ndarray]:
    def apply(inputs: Arrays, attributes: Attributes) -> np.ndarray:
        return np.asarray(function(*inputs)).astype(inputs[0].dtype, copy=False)

    return apply


FOLDABLE_OPS: dict[str, Callable[[Arrays, Attributes], np.ndarray]] = {
    "Identity": lambda inputs, attributes: inputs[0],
    "Cast": _cast,
    "CastLike": lambda inputs, attributes: inputs[0].astype(inputs[1].dtype),
    "Reshape": _reshape,
    "Unsqueeze": _unsqueeze,
    "Squeeze": _squeeze,
    "Flatten": lambda inputs, attributes: inputs[0].reshape(
        int(np.prod(inputs[0].shape[: int(attributes.get("axis", 1))])), -1
    ),
    "Transpose": lambda inputs, attributes: np.transpose(inputs[0], attributes.get("perm")),
    "Concat": lambda inputs, attributes: np.concatenate(inputs, axis=int(attributes["axis"])),
    "Gather": _gather,
    "Slice": _slice,
    "Shape": lambda inputs, attributes: np.asarray(inputs[0].shape, dtype=np.int64),
    "Expand": lambda inputs, attributes: inputs[0] * np.ones(tuple(int(d) for d in inputs[1]), inputs[0].dtype),
    "ConstantOfShape": _constant_of_shape,
    "Add": _same_dtype(np.add),
    "Sub": _same_dtype(np.subtract),
    "Mul": _same_dtype(np.multiply),
    "Div": _divide,
    "Pow": _same_dtype(np.power),
    "Neg": _same_dtype(np.negative),
    "Sqrt": _same_dtype(np.sqrt),
    "Reciprocal": _same_dtype(np.reciprocal),
    "Exp": _same_dtype(np.exp),
    "Log": _same_dtype(np.log),
    "Abs": _same_dtype(np.abs),
    "Max": lambda inputs, attributes: reduce(np.maximum, inputs),
    "Min": lambda inputs, attributes: reduce(np.minimum, inputs),
}


def fold_node(op_type: str, inputs: Arrays, attributes: Attributes) -> np.ndarray | None:
    """Value of an all-constant node, or None when polyx does not fold this op (it stays a graph node)."""
    function = FOLDABLE_OPS.get(op_type)
    if function is None:
        return None
    with np.errstate(all="ignore"):
        return np.asarray(function(inputs, attributes))
