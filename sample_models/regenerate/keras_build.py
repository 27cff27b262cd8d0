"""The Keras MLPs behind every Keras sample, for Keras 3 (any backend) and Keras 2 (tf_keras).

Imported by tf2onnx_models.py and keras_export_models.py; it imports no backend itself, the
Keras module to use is passed in (``keras`` or ``tf_keras``).
"""

from __future__ import annotations

import numpy as np

from common import layer

__all__ = ["ACTS", "build", "expected_ir", "forward", "keras_oracle"]

SELU_PARAMS = {"alpha": 1.6732632423543772, "gamma": 1.0507009873554805}

# Keras activation argument, canonical IR name, IR parameters.
ACTS = {
    "tanh": ("tanh", "tanh", {}),
    "sigmoid": ("sigmoid", "sigmoid", {}),
    "softplus": ("softplus", "softplus", {}),
    "relu": ("relu", "relu", {}),
    "gelu_tanh": (None, "gelu_tanh", {}),
    "gelu": ("gelu", "gelu", {}),
    "silu": ("silu", "silu", {}),
    "elu": ("elu", "elu", {"alpha": 1.0}),
    "selu": ("selu", "selu", SELU_PARAMS),
    "linear": (None, "linear", {}),
}


def keras_activation(lib, name: str):
    """The activation argument for Dense/Activation; tanh-GELU needs approximate=True."""
    if name == "gelu_tanh":
        return lambda x: lib.activations.gelu(x, approximate=True)
    return ACTS[name][0]


def build(
    lib,
    sizes: list[int],
    act: str,
    seed: int,
    dtype: str = "float32",
    *,
    batchnorm: str | None = None,
    dropout: float = 0.0,
    flatten: tuple[int, ...] | None = None,
    softmax: bool = False,
    use_bias: bool = True,
    batch_size: int | None = None,
):
    """A seeded Keras Sequential MLP (lib is keras or tf_keras) with random, non-zero biases.

    batchnorm="before" puts Dense(linear) -> BatchNormalization -> Activation; "after" puts
    Dense(act) -> BatchNormalization, which an importer must fold into the next layer.
    """
    layers = lib.layers
    initial = lambda k: {  # noqa: E731
        "kernel_initializer": lib.initializers.GlorotUniform(seed=seed * 10 + k),
        "bias_initializer": lib.initializers.RandomNormal(stddev=0.3, seed=seed * 10 + k + 5)
        if use_bias
        else "zeros",
        "use_bias": use_bias,
        "dtype": dtype,
    }
    shape = flatten or (sizes[0],)
    stack = [lib.Input(shape=shape, batch_size=batch_size, dtype=dtype)]
    if flatten:
        stack.append(layers.Flatten(dtype=dtype))
    for k, units in enumerate(sizes[1:-1]):
        if batchnorm == "before":
            stack += [layers.Dense(units, **initial(k)), layers.BatchNormalization(dtype=dtype)]
            stack.append(layers.Activation(keras_activation(lib, act), dtype=dtype))
        else:
            stack.append(layers.Dense(units, activation=keras_activation(lib, act), **initial(k)))
            if batchnorm == "after":
                stack.append(layers.BatchNormalization(dtype=dtype))
        if dropout:
            stack.append(layers.Dropout(dropout, dtype=dtype))
    stack.append(layers.Dense(sizes[-1], activation="softmax" if softmax else None, **initial(len(sizes))))
    model = lib.Sequential(stack)
    rng = np.random.default_rng(seed)
    for bn in [l for l in model.layers if isinstance(l, layers.BatchNormalization)]:
        n = bn.get_weights()[0].shape[0]
        bn.set_weights(
            [
                (0.5 + rng.random(n)).astype(dtype),
                (0.3 * rng.standard_normal(n)).astype(dtype),
                (0.3 * rng.standard_normal(n)).astype(dtype),
                (0.5 + 1.5 * rng.random(n)).astype(dtype),
            ]
        )
    return model


def expected_ir(sizes: list[int], act: str, softmax: bool = False) -> dict:
    _, name, params = ACTS[act]
    hidden = [layer(a, b, name, **params) for a, b in zip(sizes[:-2], sizes[1:-1])]
    return {"layers": hidden + [layer(sizes[-2], sizes[-1], "linear")], "output_activation": "softmax" if softmax else None}


def keras_oracle(lib, model, twin_args: dict, inputs: np.ndarray) -> np.ndarray:
    """The model's function evaluated by Keras in float64: a float64 twin with the same weights."""
    twin = build(lib, **{**twin_args, "dtype": "float64", "batch_size": None})
    twin.set_weights([np.asarray(w, dtype=np.float64) for w in model.get_weights()])
    return forward(lib, twin, inputs.astype(np.float64))


def forward(lib, model, inputs: np.ndarray) -> np.ndarray:
    """Call the model directly: predict() would cast float64 inputs to floatx (float32)."""
    outputs = model(inputs, training=False)
    to_numpy = getattr(getattr(lib, "ops", None), "convert_to_numpy", np.asarray)
    return np.asarray(to_numpy(outputs), dtype=np.float64)
