"""Activation patterns: single ONNX ops mapped to polyx's canonical activations, and a final Softmax.

Decomposed activations (SiLU as ``x·Sigmoid(x)``, GELU's Erf and tanh forms, torch's
``Where(Greater(x, 20), x, Softplus(x))``) are not listed op by op: the loader hands any
elementwise subgraph to ``polyx.converters.onnx.elementwise``, which identifies it numerically.
"""

from __future__ import annotations

import numpy as np

from polyx.converters.onnx.chain import Activate, Cursor, OutputSoftmax, ScaleShift, Step, step_of
from polyx.converters.onnx.views import OnnxNode
from polyx.converters.ir.chain import Activation
from polyx.converters.onnx.registry import Handler, Refusal, pattern, refuse

__all__ = ["leaky_relu", "elu", "selu", "gelu", "prelu", "clip", "softmax_v1", "softmax"]

# ONNX's own attribute defaults (float32 values, as onnxruntime applies them).
ONNX_SELU_ALPHA = 1.6732631921768188
ONNX_SELU_GAMMA = 1.0507010221481323


def _activate(node: OnnxNode, name: str, **params: float) -> Step:
    return step_of(node, Activate(Activation.of(name, **params)))


def _fixed(name: str) -> Handler:
    def handler(node: OnnxNode, cursor: Cursor) -> Step:
        return _activate(node, name)

    handler.__doc__ = f"The parameter-free activation {name}."
    return handler


for _op_type, _name, _summary in (
    ("Tanh", "tanh", "activation `tanh`"),
    ("Sigmoid", "sigmoid", "activation `sigmoid` (with a `Mul` by its input: `silu`, see below)"),
    ("Softplus", "softplus", "activation `softplus`"),
    ("Relu", "relu", "activation `relu`"),
    ("Sin", "sin", "activation `sin`"),
):
    pattern(_op_type, _summary)(_fixed(_name))


@pattern("LeakyRelu", "activation `leaky_relu(alpha)` (default 0.01)")
def leaky_relu(node: OnnxNode, cursor: Cursor) -> Step:
    """x for x ≥ 0, alpha·x below."""
    return _activate(node, "leaky_relu", alpha=float(node.attribute("alpha", 0.01)))


@pattern("Elu", "activation `elu(alpha)` (default 1)")
def elu(node: OnnxNode, cursor: Cursor) -> Step:
    """x for x > 0, alpha·(eˣ − 1) below."""
    return _activate(node, "elu", alpha=float(node.attribute("alpha", 1.0)))


@pattern("Selu", "activation `selu(alpha, gamma)` (ONNX defaults when absent)")
def selu(node: OnnxNode, cursor: Cursor) -> Step:
    """gamma·elu(x, alpha)."""
    alpha = float(node.attribute("alpha", ONNX_SELU_ALPHA))
    return _activate(node, "selu", alpha=alpha, gamma=float(node.attribute("gamma", ONNX_SELU_GAMMA)))


@pattern("Gelu", "activation `gelu` (approximate=none) or `gelu_tanh` (approximate=tanh)", since_version=20)
def gelu(node: OnnxNode, cursor: Cursor) -> Step:
    """The opset-20 Gelu op; older files carry a decomposition instead."""
    approximate = node.attribute("approximate", "none")
    if approximate not in ("none", "tanh"):
        raise Refusal(f"Gelu with approximate='{approximate}' is not defined by ONNX")
    return _activate(node, "gelu_tanh" if approximate == "tanh" else "gelu")


@pattern("PRelu", "activation `leaky_relu(alpha)` when the slope is one value for every feature; per-feature slopes refused")
def prelu(node: OnnxNode, cursor: Cursor) -> Step:
    """PReLU with a single learned slope is leaky ReLU; a slope per feature would need an activation
    per neuron, which a layer of the IR does not have."""
    slope = cursor.graph.constant(node.inputs[1]) if len(node.inputs) > 1 else None
    if slope is None:
        raise Refusal("the PRelu slope is not a constant")
    values = np.unique(np.asarray(slope, dtype=np.float64))
    if values.size != 1:
        raise Refusal(f"PRelu with {values.size} different slopes (one per feature); only a single slope "
                      "(torch.nn.PReLU() with num_parameters=1) is supported")
    return _activate(node, "leaky_relu", alpha=float(values[0]))


def _clip_bounds(node: OnnxNode, cursor: Cursor) -> tuple[float | None, float | None]:
    """(min, max) of a Clip, None where absent or infinite: inputs from opset 11, attributes before."""
    if cursor.graph.opset() < 11:
        bounds = [node.attribute("min"), node.attribute("max")]
    else:
        bounds = []
        for name in (tuple(node.inputs[1:3]) + ("", ""))[:2]:
            value = cursor.graph.constant(name) if name else None
            if name and value is None:
                raise Refusal(f"the Clip bound '{name}' is not a constant")
            bounds.append(None if value is None else float(np.asarray(value).reshape(-1)[0]))
    return tuple(None if b is None or not np.isfinite(b) else float(b) for b in bounds)


@pattern("Clip", "one-sided clip as `relu`: max(h, a) = relu(h − a) + a (torch clamp(min=0) is relu), min(h, b) "
         "= b − relu(b − h); two-sided (ReLU6, Hardtanh) refused")
def clip(node: OnnxNode, cursor: Cursor) -> Step:
    """A clip with one bound is a shifted relu, exactly; with both it has two kinks, which no
    supported activation has."""
    low, high = _clip_bounds(node, cursor)
    if low is not None and high is not None:
        raise Refusal(f"clips to [{low:g}, {high:g}] (ReLU6/Hardtanh): two kinks, which no supported activation has")
    if low is None and high is None:
        return step_of(node)
    sign, bound = (1.0, low) if low is not None else (-1.0, high)
    return step_of(
        node,
        ScaleShift(np.array([sign]), np.array([-sign * bound])),
        Activate(Activation.of("relu")),
        ScaleShift(np.array([sign]), np.array([bound])),
    )


def _softmax_step(node: OnnxNode, cursor: Cursor, default_axis: int) -> Step:
    """Softmax or LogSoftmax over the features; the loader allows it only as the last op."""
    axis = int(node.attribute("axis", default_axis))
    if cursor.feature_shape is not None and len(cursor.feature_shape) != 1:
        raise Refusal(f"{node.op_type} over data of feature shape {list(cursor.feature_shape)}; flatten first")
    if axis not in (1, -1):
        raise Refusal(
            f"{node.op_type} over axis {axis} (the batch axis); only a final {node.op_type} over the features "
            "(axis -1 or 1) is supported"
        )
    return step_of(node, OutputSoftmax("log_softmax" if node.op_type == "LogSoftmax" else "softmax"))


def softmax_v1(node: OnnxNode, cursor: Cursor) -> Step:
    """Before opset 13 the default axis is 1, coerced to 2-D: the same as the feature axis for 2-D data."""
    return _softmax_step(node, cursor, 1)


def softmax(node: OnnxNode, cursor: Cursor) -> Step:
    """From opset 13 the default axis is -1."""
    return _softmax_step(node, cursor, -1)


# LogSoftmax ends torch classifiers trained with NLLLoss; for both, the layers before give the logits.
for _op_type, _what in (("Softmax", "softmax"), ("LogSoftmax", "log-softmax")):
    pattern(_op_type, f"output {_what} over the features (axis 1, the default before opset 13); only as the last op")(
        softmax_v1
    )
    pattern(_op_type, f"output {_what} over axis -1 (the default) or 1; only as the last op", since_version=13)(softmax)


refuse(
    __name__,
    "unsupported activation; supported: tanh, sigmoid, softplus, relu, leaky_relu, elu, selu, sin, gelu, "
    "gelu_tanh, silu, linear, softmax (last)",
    "HardSigmoid",
    "HardSwish",
    "Softsign",
    "ThresholdedRelu",
    "Celu",
    "Mish",
    "Shrink",
    "Hardmax",
)
refuse(
    __name__,
    "not valid ONNX: tf2onnx could not convert TensorFlow's exact GELU and left a raw Erfc node that no runtime "
    "can execute; re-export with gelu(approximate=True) or from the Keras torch/JAX backend",
    "Erfc",
)
