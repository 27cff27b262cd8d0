"""BatchNorm in every form the exporters write, folded into the neighbouring dense layer.

The five forms: the ``BatchNormalization`` op (TorchScript; dynamo with ``optimize=False``),
already folded into the Gemm (dynamo), tf2onnx's ``Mul+Add``, the Keras torch backend's
``Sub+Mul+Add`` with (1, n) constants, and jax2onnx's constant subgraph then ``Mul+Add``. Only the
first needs a handler here: the others are per-feature affine ops (``polyx.converters.onnx.dense``) once
``polyx.converters.onnx.folding`` has evaluated the constants. Normalisations that look across
features at run time cannot be written as a dense layer and are refused.
"""

from __future__ import annotations

import numpy as np

from polyx.converters.onnx.chain import Cursor, ScaleShift, Step, step_of
from polyx.converters.onnx.views import OnnxNode
from polyx.converters.onnx.registry import Refusal, pattern, refuse

__all__ = ["batch_normalization"]


def _channel_vector(values: np.ndarray, cursor: Cursor, name: str) -> np.ndarray:
    """A per-channel BatchNorm vector spread over the flattened features (channels are axis 1)."""
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if cursor.feature_shape is None:
        return values
    channels = cursor.feature_shape[0]
    if values.size not in (1, channels):
        raise Refusal(f"BatchNorm parameter '{name}' has {values.size} entries for {channels} channels")
    shaped = values.reshape((-1,) + (1,) * (len(cursor.feature_shape) - 1))
    return np.broadcast_to(shaped, cursor.feature_shape).reshape(-1)


@pattern("BatchNormalization", "inference BatchNorm: s = scale/√(var+ε), t = B − mean·s; folded into the layer")
def batch_normalization(node: OnnxNode, cursor: Cursor) -> Step:
    """Fold running statistics into a scale and shift; training mode (batch statistics) is refused."""
    if int(node.attribute("training_mode", 0)) or len([o for o in node.outputs if o]) > 1:
        raise Refusal("BatchNormalization in training mode uses batch statistics; export in eval/inference mode")
    names = tuple(node.inputs[1:5])
    values = [cursor.graph.constant(name) for name in names]
    missing = [name for name, value in zip(names, values) if value is None]
    if len(names) != 4 or missing:
        raise Refusal(f"BatchNorm parameters {missing or 'scale, B, mean, var'} are not constant")
    scale, shift, mean, variance = (_channel_vector(v, cursor, n) for v, n in zip(values, names))
    factor = scale / np.sqrt(variance + float(node.attribute("epsilon", 1e-5)))
    return step_of(node, ScaleShift(factor, shift - mean * factor))


refuse(
    __name__,
    "normalises each sample across its features at run time; it cannot be written as dense layers "
    "plus elementwise activations",
    "LayerNormalization",
    "GroupNormalization",
    "InstanceNormalization",
    "LpNormalization",
    "MeanVarianceNormalization",
    "LRN",
    "RMSNormalization",
    "SimplifiedLayerNormalization",
)
