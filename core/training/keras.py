"""nn2poly's weight constraint for Keras 3: every hidden ``Dense`` neuron's (kernel column, bias) kept
in the l1 or l2 ball of radius 1, through a ``keras.constraints.Constraint``.

    from polyx.training.keras import constrain_model

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(16, "tanh"), keras.layers.Dense(1)])
    constrain_model(model, "l1")          # once the model is built, before fit()
    model.fit(x, y, ...)

Keras hands a constraint one variable, but nn2poly bounds a neuron's weights and bias together, so
``NormConstraint`` sits on the kernel and also rescales the layer's bias. Keras 3 applies
constraints after all of a step's updates (``BaseOptimizer.apply``), so both are final when it
runs. Any backend (TensorFlow, JAX, torch). This module imports keras; polyx never imports it.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

__all__ = ["NORMS", "NormConstraint", "constrain_model", "hidden_norms"]

NORMS = ("l1", "l2")


def _column_norms(kernel: Any, bias: Any, norm: str) -> Any:
    """Each unit's norm of (kernel column, bias): kernels are (inputs, units) in Keras."""
    if norm == "l1":
        total = ops.sum(ops.abs(kernel), axis=0)
        return total if bias is None else total + ops.abs(bias)
    total = ops.sum(ops.square(kernel), axis=0)
    return ops.sqrt(total if bias is None else total + ops.square(bias))


@keras.saving.register_keras_serializable(package="polyx")
class NormConstraint(keras.constraints.Constraint):
    """Scale each unit whose (kernel column, bias) norm exceeds ``radius`` back onto the ball.

    Set it as a Dense layer's ``kernel_constraint`` and ``attach`` the layer (``constrain_model``
    does both); without an attached bias it bounds the kernel columns alone.
    """

    def __init__(self, norm: str = "l1", radius: float = 1.0) -> None:
        if norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
        if not radius > 0:
            raise ValueError(f"radius must be positive, got {radius!r}")
        self.norm, self.radius, self.bias = norm, float(radius), None

    def attach(self, layer: Any) -> "NormConstraint":
        """Bound the layer's bias together with its kernel (the layer must be built)."""
        self.bias = getattr(layer, "bias", None)
        return self

    def __call__(self, kernel: Any) -> Any:
        """The kernel scaled into the ball; the attached bias is scaled by the same factors in place."""
        bias = None if self.bias is None else ops.convert_to_tensor(self.bias)
        norms = _column_norms(kernel, bias, self.norm)
        outside = ops.greater(norms, self.radius)
        scale = ops.where(outside, self.radius / ops.where(outside, norms, ops.ones_like(norms)), ops.ones_like(norms))
        if self.bias is not None:
            self.bias.assign(bias * scale)
        return kernel * scale

    def get_config(self) -> dict:
        """Saved with the model (the bias link is re-made by ``constrain_model`` after loading)."""
        return {"norm": self.norm, "radius": self.radius}


def _dense_layers(model: Any, include_output: bool) -> list[Any]:
    layers = [layer for layer in model._flatten_layers() if isinstance(layer, keras.layers.Dense)]
    return layers if include_output else layers[:-1]


def constrain_model(model: Any, norm: str = "l1", radius: float = 1.0, include_output: bool = False) -> None:
    """Put a ``NormConstraint`` on every hidden Dense layer of a built model and apply it once now,
    so training starts inside the ball (nn2poly's ``add_constraints``)."""
    for layer in _dense_layers(model, include_output):
        constraint = NormConstraint(norm, radius).attach(layer)
        layer.kernel.constraint = constraint
        layer.kernel.assign(constraint(layer.kernel))


def hidden_norms(model: Any, norm: str = "l1", include_output: bool = False) -> list[float]:
    """The largest unit norm of each constrained layer, in float64: ≤ radius (to float32 rounding)."""
    import numpy as np

    found = []
    for layer in _dense_layers(model, include_output):
        kernel = np.asarray(ops.convert_to_numpy(layer.kernel), dtype=np.float64)
        bias = None if layer.bias is None else np.asarray(ops.convert_to_numpy(layer.bias), dtype=np.float64)
        total = np.abs(kernel).sum(axis=0) if norm == "l1" else (kernel**2).sum(axis=0)
        if bias is not None:
            total = total + (np.abs(bias) if norm == "l1" else bias**2)
        found.append(float(total.max() if norm == "l1" else np.sqrt(total).max()))
    return found
