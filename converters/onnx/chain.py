"""Steps of a dense chain and the builder that turns them into ``DenseLayer`` objects.

Pattern handlers translate ONNX nodes into a few effects: a dense map, a per-feature
scale-and-shift, an activation, a reshape of the features, a final softmax. The builder composes
affine effects exactly (in float64) and closes a layer at every activation, so BatchNorm folds
into the layer before the activation or, when it follows one, forward into the next layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

import numpy as np

from polyx.converters.onnx.views import OnnxGraph, OnnxNode
from polyx.converters.ir.chain import LINEAR, Activation, DenseLayer
from polyx.converters.onnx.registry import NotThisPattern, Refusal

__all__ = [
    "Dense",
    "ScaleShift",
    "Activate",
    "Reshape",
    "OutputSoftmax",
    "Effect",
    "Step",
    "Cursor",
    "ChainBuilder",
    "step_of",
]


@dataclass(frozen=True)
class Dense:
    """``h ↦ W h + b`` with W shaped (out, in)."""

    weight: np.ndarray
    bias: np.ndarray


@dataclass(frozen=True)
class ScaleShift:
    """``h ↦ s ⊙ h + t`` elementwise; s and t are scalars or per-feature vectors."""

    scale: np.ndarray
    shift: np.ndarray


@dataclass(frozen=True)
class Activate:
    """Apply an activation elementwise; closes the current layer."""

    activation: Activation


@dataclass(frozen=True)
class Reshape:
    """The features take a new shape (a Flatten of a multi-axis input, or () for a single output
    squeezed to (batch,)); values are unchanged row-major."""

    feature_shape: tuple[int, ...]


@dataclass(frozen=True)
class OutputSoftmax:
    """A softmax (``name`` "softmax") or log-softmax ("log_softmax") over the features, allowed only
    as the model's last op."""

    name: str = "softmax"


Effect = Union[Dense, ScaleShift, Activate, Reshape, OutputSoftmax]


@dataclass(frozen=True)
class Step:
    """What one pattern consumed (nodes), where the data continues (output) and what it does (effects)."""

    nodes: tuple[OnnxNode, ...]
    output: str
    effects: tuple[Effect, ...] = ()


def step_of(node: OnnxNode, *effects: Effect) -> Step:
    """The step of a single-node pattern whose first output carries the data on."""
    return Step((node,), node.outputs[0], tuple(effects))


@dataclass
class Cursor:
    """Where the walk stands: the current data tensor and its feature shape (None once unknown), and
    the feature shapes of the tensors passed so far.

    Handlers use it to tell the data operand from constant ones and to shape constants.
    """

    graph: OnnxGraph
    tensor: str
    feature_shape: tuple[int, ...] | None
    batch_size: int | None = None
    visited: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def move_to(self, tensor: str) -> None:
        """Continue at ``tensor``, remembering the feature shape of every tensor the data passed."""
        self.tensor = tensor
        if self.feature_shape is not None:
            self.visited[tensor] = self.feature_shape

    def full_shape(self, tensor: str, batch: int) -> tuple[int, ...] | None:
        """The shape (batch first) of a tensor the data passed, for evaluating shape computations."""
        features = self.visited.get(tensor)
        return None if features is None else (batch,) + features

    def constant_operand(self, node: OnnxNode) -> tuple[np.ndarray, int]:
        """For a binary elementwise node: (the constant operand, position of the data operand).

        Raises NotThisPattern unless exactly one operand is the current tensor and the other is constant.
        """
        if len(node.inputs) != 2:
            raise NotThisPattern
        positions = [i for i, name in enumerate(node.inputs) if name == self.tensor]
        other = node.inputs[1 - positions[0]] if len(positions) == 1 else ""
        constant = self.graph.constant(other) if other else None
        if constant is None:
            raise NotThisPattern
        return constant, positions[0]

    def require_matrix_input(self, node: OnnxNode, inputs: int) -> None:
        """Refuse a dense op on multi-axis data, or one whose weight does not match the feature count."""
        if self.feature_shape is None:
            return
        if len(self.feature_shape) != 1:
            raise Refusal(
                f"{node.op_type} applied to data with feature shape {list(self.feature_shape)}; "
                "only (batch, features) data is supported: add a Flatten before the first layer"
            )
        if inputs != self.feature_shape[0]:
            raise Refusal(f"its weight expects {inputs} inputs but the data has {self.feature_shape[0]} features")

    def feature_vector(self, values: np.ndarray, what: str) -> np.ndarray:
        """A scalar or per-feature constant as a float64 vector over the flattened features.

        Accepts shapes that broadcast to (1, *features) without growing it, e.g. (), (n,), (1, n);
        anything else would mix the batch axis in, which a dense chain cannot represent.
        """
        values = np.asarray(values, dtype=np.float64)
        if self.feature_shape is None or values.size == 1:
            return values.reshape(-1)[:1].copy() if values.size == 1 else values.reshape(-1)
        target = (1,) + tuple(self.feature_shape)
        try:
            broadcast = np.broadcast_shapes(values.shape, target)
        except ValueError:
            broadcast = None
        if broadcast != target:
            raise Refusal(
                f"{what} has shape {list(values.shape)}, which does not broadcast per feature over "
                f"data of feature shape {list(self.feature_shape)}"
            )
        return np.broadcast_to(values, target).reshape(-1).copy()


@dataclass
class ChainBuilder:
    """Accumulates affine effects and emits a DenseLayer at each activation (and at the end)."""

    width: int
    layers: list[DenseLayer] = field(default_factory=list)
    _weight: np.ndarray | None = field(default=None, init=False, repr=False)
    _bias: np.ndarray | None = field(default=None, init=False, repr=False)
    _has_dense: bool = field(default=False, init=False, repr=False)

    def apply(self, effect: Effect) -> None:
        """Add one effect to the chain; Reshape and OutputSoftmax are the walker's business."""
        if isinstance(effect, Dense):
            self._dense(effect.weight, effect.bias)
        elif isinstance(effect, ScaleShift):
            self._scale_shift(effect.scale, effect.shift)
        elif isinstance(effect, Activate):
            self._close(effect.activation)

    def _pending(self) -> tuple[np.ndarray, np.ndarray]:
        if self._weight is None or self._bias is None:
            return np.eye(self.width), np.zeros(self.width)
        return self._weight, self._bias

    def _dense(self, weight: np.ndarray, bias: np.ndarray) -> None:
        if self._has_dense:
            self._close(LINEAR)
        if self._weight is None or self._bias is None:
            self._weight, self._bias = np.array(weight, dtype=np.float64), np.array(bias, dtype=np.float64)
        else:
            self._weight, self._bias = weight @ self._weight, weight @ self._bias + bias
        self._has_dense = True
        self.width = self._weight.shape[0]

    def _scale_shift(self, scale: np.ndarray, shift: np.ndarray) -> None:
        scale = np.broadcast_to(np.asarray(scale, dtype=np.float64).reshape(-1), (self.width,))
        shift = np.broadcast_to(np.asarray(shift, dtype=np.float64).reshape(-1), (self.width,))
        weight, bias = self._pending()
        self._weight, self._bias = scale[:, None] * weight, scale * bias + shift

    def _close(self, activation: Activation) -> None:
        weight, bias = self._pending()
        self.layers.append(DenseLayer(weight, bias, activation))
        self._weight, self._bias, self._has_dense = None, None, False

    def finish(self) -> list[DenseLayer]:
        """The layers, with any trailing affine part (or an empty chain) as a final linear layer."""
        if self._weight is not None or not self.layers:
            self._close(LINEAR)
        return self.layers
