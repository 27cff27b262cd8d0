"""The one intermediate form every loader produces and every expansion method consumes.

A network is a chain of dense layers ``h <- act(W h + b)``, W stored (out, in) in float64,
optionally followed by a softmax over the outputs. Keeping it this small is what lets one
polynomial engine serve every exporter's graph patterns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from polyx.errors import ModelLoadError
from polyx.expansion.activations.registry import Activation, activation_value

__all__ = [
    "Activation", "DenseLayer", "ModelInterface", "Network", "check_network", "check_finite", "softmax_rows", "log_softmax_rows",
    "OUTPUT_ACTIVATIONS", "LINEAR",
]


LINEAR = Activation("linear")


def _frozen_float64(values: np.ndarray, ndim: int, what: str) -> np.ndarray:
    array = np.array(values, dtype=np.float64, copy=True)
    if array.ndim != ndim:
        raise ModelLoadError(f"{what} must have {ndim} dimension(s), got shape {array.shape}")
    array.setflags(write=False)
    return array


@dataclass(frozen=True)
class DenseLayer:
    """One dense layer ``act(W x + b)`` with W shaped (out, in), all float64."""

    weight: np.ndarray
    bias: np.ndarray
    activation: Activation = LINEAR

    def __post_init__(self) -> None:
        object.__setattr__(self, "weight", _frozen_float64(self.weight, 2, "layer weight"))
        object.__setattr__(self, "bias", _frozen_float64(self.bias, 1, "layer bias"))
        if self.bias.shape[0] != self.weight.shape[0]:
            raise ModelLoadError(
                f"layer bias has {self.bias.shape[0]} entries but the weight has {self.weight.shape[0]} rows"
            )

    @property
    def in_features(self) -> int:
        """Number of inputs the layer reads."""
        return int(self.weight.shape[1])

    @property
    def out_features(self) -> int:
        """Number of neurons in the layer."""
        return int(self.weight.shape[0])

    def preactivation(self, h: np.ndarray) -> np.ndarray:
        """``h W^T + b`` for a batch of rows: the values the activation is applied to."""
        return h @ self.weight.T + self.bias


@dataclass(frozen=True, kw_only=True)
class ModelInterface:
    """What every loaded model carries besides its computation: the ONNX names, shapes and dtype,
    a final softmax, a fixed batch size and where it came from. ``Network`` (a dense chain) and
    ``Graph`` (a computation graph) share it, so every command reads either the same way."""

    input_name: str = "x"
    output_name: str = "y"
    input_shape: tuple[int, ...] = ()
    dtype: str = "float64"
    output_activation: str | None = None
    batch_size: int | None = None
    metadata: dict = field(default_factory=dict, compare=False)
    output_shape: tuple[int, ...] | None = None

    @property
    def input_size(self) -> int:  # pragma: no cover - each model kind defines it
        raise NotImplementedError

    @property
    def output_size(self) -> int:  # pragma: no cover - each model kind defines it
        raise NotImplementedError

    @property
    def variable_names(self) -> tuple[str, ...]:
        """Default names of the inputs in polynomials: x1 … xn, as nn2poly numbers them (flattened row-major)."""
        return tuple(f"x{i + 1}" for i in range(self.input_size))

    @property
    def output_names(self) -> tuple[str, ...]:
        """Default names of the outputs in polynomials: y1 … ym."""
        return tuple(f"y{j + 1}" for j in range(self.output_size))


@dataclass(frozen=True)
class Network(ModelInterface):
    """A feed-forward chain of dense layers, as read from a model file.

    ``input_shape`` is the feature shape of the original input (without the batch axis); a
    leading Flatten/Reshape in the file means it can have several axes, flattened row-major.
    ``output_activation`` is ``"softmax"`` (or ``"log_softmax"``) when the model ends in a softmax
    (or its logarithm) over its outputs: the layers compute the logits.
    ``batch_size`` is set when the file fixes the batch dimension (onnxruntime then only runs
    that batch size). ``output_shape`` is the output's feature shape: (outputs,), or () for a
    one-output model that returns shape (batch,) (a regression head's ``squeeze(-1)``).
    """

    layers: tuple[DenseLayer, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", tuple(self.layers))
        if not self.input_shape and self.layers:
            object.__setattr__(self, "input_shape", (self.layers[0].in_features,))
        check_network(self)
        if self.output_shape is None:
            object.__setattr__(self, "output_shape", (self.output_size,))
        elif int(np.prod(self.output_shape)) != self.output_size:
            raise ModelLoadError(f"output shape {list(self.output_shape)} does not hold the {self.output_size} outputs")

    @property
    def input_size(self) -> int:
        """Number of scalar inputs (the product of the feature shape)."""
        return int(np.prod(self.input_shape))

    @property
    def output_size(self) -> int:
        """Number of scalar outputs."""
        return self.layers[-1].out_features

    @property
    def widths(self) -> list[int]:
        """The width of every layer: what memory estimates of an expansion count."""
        return [layer.out_features for layer in self.layers]

    def forward(self, x: np.ndarray, logits: bool = False) -> np.ndarray:
        """Evaluate the network in float64 numpy; the oracle every expansion is checked against.

        ``x`` is (rows, input_size) or (rows, *input_shape); ``logits=True`` skips a final softmax
        (or log-softmax).
        """
        h = np.asarray(x, dtype=np.float64).reshape(-1, self.input_size)
        for layer in self.layers:
            h = activation_value(layer.activation, layer.preactivation(h))
        if self.output_activation is not None and not logits:
            h = OUTPUT_ACTIVATIONS[self.output_activation](h)
        return h


def softmax_rows(values: np.ndarray) -> np.ndarray:
    """Softmax of each row, shifted by the row's maximum so that large logits do not overflow."""
    shifted = np.exp(values - values.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def log_softmax_rows(values: np.ndarray) -> np.ndarray:
    """Log-softmax of each row, z − log Σ exp z, with the row's maximum taken out first."""
    shifted = values - values.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


OUTPUT_ACTIVATIONS = {"softmax": softmax_rows, "log_softmax": log_softmax_rows}


def check_network(network: Network) -> None:
    """Raise ModelLoadError unless the layers chain up (each input size matches the previous output)."""
    if not network.layers:
        raise ModelLoadError("the network has no dense layers")
    expected = int(np.prod(network.input_shape))
    for index, layer in enumerate(network.layers):
        if layer.in_features != expected:
            previous = f"the input has {expected} values" if index == 0 else f"layer {index} has {expected} neurons"
            raise ModelLoadError(f"layer {index + 1} reads {layer.in_features} inputs but {previous}")
        expected = layer.out_features
    if network.output_activation is not None and network.output_activation not in OUTPUT_ACTIVATIONS:
        raise ModelLoadError(f"unknown output activation '{network.output_activation}'")


def check_finite(layers: Sequence[DenseLayer], source: str) -> None:
    """Refuse NaN or infinite weights: every expansion would silently turn them into NaN coefficients,
    and the JSON artifact and ``inspect --json`` cannot even hold them."""
    for index, layer in enumerate(layers, start=1):
        if not (np.isfinite(layer.weight).all() and np.isfinite(layer.bias).all()):
            raise ModelLoadError(f"{source}: layer {index} has NaN or infinite weights; the export is broken")
