"""Ops that carry the data on unchanged: casts, Identity, inference Dropout, and flattening reshapes.

The Keras torch backend puts a float→float ``Cast`` before almost every op; torch writes
``Flatten[axis=1]``, the dynamo exporter and tf2onnx ``Reshape(x, [-1, n])``, TorchScript and the
Keras torch/JAX backends ``Reshape(x, [Shape(x)[0], -1])``. A flatten keeps the row-major values
and only changes the feature shape, so the IR sees the flattened vector. A one-output head that
ends in ``squeeze(-1)`` or ``view(-1)`` gives (batch,): the same single output.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from polyx.converters.onnx.chain import Cursor, Reshape, Step, step_of
from polyx.converters.onnx.folding import reshape_target
from polyx.converters.onnx.views import OnnxNode
from polyx.converters.onnx.registry import Refusal, pattern, refuse

__all__ = ["identity", "cast", "cast_like", "dropout", "flatten", "reshape", "squeeze"]

_FLOAT_TYPES = {1: "float32", 10: "float16", 11: "float64", 16: "bfloat16"}


@pattern("Identity", "no-op")
def identity(node: OnnxNode, cursor: Cursor) -> Step:
    """Nothing to do."""
    return step_of(node)


@pattern("Cast", "no-op when casting to a float type; other targets refused")
def cast(node: OnnxNode, cursor: Cursor) -> Step:
    """A float→float cast changes precision only; the IR computes in float64 anyway."""
    target = int(node.attribute("to", 0))
    if target not in _FLOAT_TYPES:
        raise Refusal(f"casts the data to a non-float type ({target}); only float→float casts are supported")
    return step_of(node)


@pattern("CastLike", "no-op when the target is a float tensor")
def cast_like(node: OnnxNode, cursor: Cursor) -> Step:
    """Like Cast, with the target type taken from a constant."""
    like = cursor.graph.constant(node.inputs[1]) if len(node.inputs) > 1 else None
    if like is not None and not np.issubdtype(like.dtype, np.floating):
        raise Refusal(f"casts the data to {like.dtype}; only float→float casts are supported")
    return step_of(node)


@pattern("Dropout", "no-op in inference; training_mode=true or a used mask output refused")
def dropout(node: OnnxNode, cursor: Cursor) -> Step:
    """Inference dropout is the identity."""
    training = cursor.graph.constant(node.inputs[2]) if len(node.inputs) > 2 and node.inputs[2] else None
    if training is not None and bool(np.asarray(training).reshape(-1)[0]):
        raise Refusal("Dropout in training mode is random; export the model in eval/inference mode")
    if len(node.outputs) > 1 and node.outputs[1] and cursor.graph.consumers(node.outputs[1]):
        raise Refusal("the dropout mask is used by other nodes; export the model in eval/inference mode")
    return step_of(node)


def _flattened(node: OnnxNode, cursor: Cursor, shape_of: Callable[[tuple[int, ...]], tuple[int, ...]]) -> Step:
    """Accept a reshape whose result is (batch, all features), the flattening every exporter writes,
    or (batch,) for a single feature (a regression head's ``squeeze(-1)`` or ``view(-1)``)."""
    if cursor.feature_shape is None:
        return step_of(node)
    batches = (cursor.batch_size,) if cursor.batch_size else (2, 3)
    width = int(np.prod(cursor.feature_shape))
    results = [tuple(shape_of((batch,) + tuple(cursor.feature_shape))) for batch in batches]
    for batch, result in zip(batches, results):
        if result != (batch, width) and not (width == 1 and result == (batch,)):
            raise Refusal(
                f"reshapes data of feature shape {list(cursor.feature_shape)} to {list(result)} (with batch {batch}); "
                "only flattening to (batch, features), or (batch,) for one feature, is supported"
            )
    return step_of(node, Reshape(results[0][1:]))


@pattern("Flatten", "flattens (batch, d1, d2, …) to (batch, d1·d2·…) row-major; only axis=1")
def flatten(node: OnnxNode, cursor: Cursor) -> Step:
    """Flatten[axis] keeps the batch axis only when axis is 1."""
    axis = int(node.attribute("axis", 1))

    def shape_of(shape: tuple[int, ...]) -> tuple[int, ...]:
        cut = axis % len(shape) if axis < 0 else axis
        return (int(np.prod(shape[:cut])), int(np.prod(shape[cut:])))

    return _flattened(node, cursor, shape_of)


@pattern("Reshape", "Reshape(x, [-1, n]), (x, [0, -1]) or (x, [batch, n]) as a flatten, the target constant or computed "
         "from Shape(x) (x.view(x.size(0), -1)); any other reshape refused", since_version=1)
def reshape(node: OnnxNode, cursor: Cursor) -> Step:
    """A reshape that keeps the batch axis and flattens the features; the target is a constant, or a
    shape computation evaluated for two batch sizes, so a target that depends on the batch only
    through ``Shape`` is accepted exactly when it flattens for every batch."""
    if len(node.inputs) < 2:
        shape = node.attribute("shape")
        target = None if shape is None else np.asarray(shape)
    else:
        target = cursor.graph.constant(node.inputs[1])
    allowzero = bool(node.attribute("allowzero", 0))
    if target is not None:
        return _flattened(node, cursor, lambda shape: reshape_target(shape, target, allowzero))
    if not cursor.graph.is_shape_tensor(node.inputs[1]):
        raise Refusal("the target shape depends on the data's values; only a flattening reshape is supported")

    def shape_of(shape: tuple[int, ...]) -> tuple[int, ...]:
        computed = cursor.graph.shape_value(node.inputs[1], lambda tensor: cursor.full_shape(tensor, shape[0]))
        if computed is None:
            raise Refusal("the target shape is computed from the shape of a tensor off the data path; "
                          "only a flattening reshape is supported")
        return reshape_target(shape, computed, allowzero)

    return _flattened(node, cursor, shape_of)


@pattern("Squeeze", "drops size-1 feature axes: (batch, 1) → (batch,) on a one-output head, (batch, 1, n) → (batch, n)")
def squeeze(node: OnnxNode, cursor: Cursor) -> Step:
    """A squeeze that keeps the batch axis and leaves the features in row-major order (axes from the
    attribute before opset 13, from the second input after)."""
    axes = node.attribute("axes")
    if len(node.inputs) > 1 and node.inputs[1]:
        axes = cursor.graph.constant(node.inputs[1])
        if axes is None:
            raise Refusal("the squeezed axes depend on the data; only constant axes are supported")
    chosen = None if axes is None else tuple(int(axis) for axis in np.asarray(axes).reshape(-1))

    def shape_of(shape: tuple[int, ...]) -> tuple[int, ...]:
        try:
            return np.squeeze(np.empty(shape), axis=chosen).shape
        except ValueError:
            raise Refusal(f"squeezes axes {list(chosen or ())} of data shaped {list(shape)}; only size-1 axes can be squeezed") from None

    return _flattened(node, cursor, shape_of)


refuse(
    __name__,
    "rearranges the data's axes (seen only around convolutions); a dense chain cannot contain it",
    "Transpose",
    "Unsqueeze",
    "Gather",
    "Slice",
    "Split",
    "Concat",
    "Pad",
    "Tile",
    "Expand",
)
