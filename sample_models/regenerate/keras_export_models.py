"""Regenerate the Keras 3 ``model.export(format="onnx")`` samples for one backend.

The backend is chosen by KERAS_BACKEND, each in its own venv (see sample_models/README.md):

    KERAS_BACKEND=tensorflow /work/venvs/tf/bin/python    sample_models/regenerate/keras_export_models.py
    KERAS_BACKEND=torch      /work/venvs/torch/bin/python sample_models/regenerate/keras_export_models.py
    KERAS_BACKEND=jax        /work/venvs/jax/bin/python   sample_models/regenerate/keras_export_models.py

Keras picks the exporter itself: tf2onnx on TensorFlow, the TorchScript exporter (dynamic batch)
or dynamo (fixed shapes) on torch, jax2onnx on JAX. The oracle is Keras' own forward pass, of a
float64 twin on TensorFlow and torch; on JAX in float32 (float64 would need jax_enable_x64,
which would change the export itself).
"""

from __future__ import annotations

import logging
import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
BACKEND = os.environ.get("KERAS_BACKEND", "")
if BACKEND not in ("tensorflow", "torch", "jax"):
    raise SystemExit("set KERAS_BACKEND to tensorflow, torch or jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from common import SAMPLE_DIR, Sample, probe_inputs, save_model, scratch_dir, update_manifest, versions  # noqa: E402
from keras_build import build, expected_ir, forward, keras_oracle  # noqa: E402

warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)

PREFIX = {"tensorflow": "k3tf_exp", "torch": "k3pt_exp", "jax": "k3jax_exp"}[BACKEND]
FAMILY = f"keras_export_{BACKEND}"
DEFAULT_OPSET = {"tensorflow": 15, "torch": 20, "jax": 23}[BACKEND]
EXPORTERS = {
    "tensorflow": "tf2onnx (via Keras 3 model.export, TensorFlow backend)",
    "torch": "torch.onnx (via Keras 3 model.export, torch backend)",
    "jax": "jax2onnx (via Keras 3 model.export, JAX backend)",
}


def sample(file, sizes, act, seed, *, fixed_batch=None, notes=(), **options) -> Sample:
    """Build a seeded Keras model, call it once (export requires it), export and describe it."""
    keras.utils.set_random_seed(seed)
    args = {"sizes": sizes, "act": act, "seed": seed, **options}
    model = build(keras, **args)
    shape = options.get("flatten") or (sizes[0],)
    model(np.zeros((1, *shape), dtype="float32"))
    raw = scratch_dir() / f"{BACKEND}_{file}"
    call = "model(np.zeros((1, n))); model.export(f, format='onnx', verbose=False"
    kwargs = {"verbose": False}
    if fixed_batch:
        kwargs["input_signature"] = [keras.InputSpec(shape=(fixed_batch, *shape), dtype="float32")]
        call += f", input_signature=[keras.InputSpec(shape=({fixed_batch}, {', '.join(map(str, shape))}))]"
    model.export(str(raw), format="onnx", **kwargs)
    save_model(raw, SAMPLE_DIR / file)
    inputs = probe_inputs(seed, shape)
    if BACKEND == "jax":
        outputs, oracle = forward(keras, model, inputs), "Keras 3 (JAX) forward in float32"
    else:
        outputs, oracle = keras_oracle(keras, model, args, inputs), f"Keras 3 ({BACKEND}) forward of a float64 twin"
    return Sample(
        file=file,
        family=FAMILY,
        exporter=EXPORTERS[BACKEND],
        exporter_call=call + ")",
        ir=expected_ir(sizes, act, options.get("softmax", False)),
        notes=list(notes),
        inputs=inputs,
        outputs=outputs,
        oracle=oracle,
    )


def catalogue() -> list[Sample]:
    p = PREFIX + str(DEFAULT_OPSET)
    if BACKEND == "tensorflow":
        return [
            sample(f"{p}_seq_tanh_4-8-1.onnx", [4, 8, 1], "tanh", 600,
                   notes=["input 'keras_tensor_<n>', output 'Identity:0'"]),
            sample(f"{p}_seq_relu_softmax_4-8-3.onnx", [4, 8, 3], "relu", 601, softmax=True),
            sample(f"{p}_seq_bn_before_sigmoid_3-8-1.onnx", [3, 8, 1], "sigmoid", 602, batchnorm="before",
                   notes=["BatchNormalization before the activation: Mul + Add"]),
            sample(f"{p}_seq_gelu_tanh_2-8-8-1.onnx", [2, 8, 8, 1], "gelu_tanh", 603,
                   notes=["exact GELU would leave a raw Erfc here too (see unsupported/); tanh form only"]),
        ]
    if BACKEND == "torch":
        cast = "Cast[to=FLOAT] noise before almost every op"
        return [
            sample(f"{p}_seq_gelu_4-8-1.onnx", [4, 8, 1], "gelu", 610, notes=["single Gelu[approximate=none]", cast]),
            sample(f"{p}_seq_softplus_3-8-1.onnx", [3, 8, 1], "softplus", 611, notes=[cast]),
            sample(f"{p}_seq_selu_4-8-8-1.onnx", [4, 8, 8, 1], "selu", 612, notes=[cast]),
            sample(f"{p}_seq_elu_3-8-1.onnx", [3, 8, 1], "elu", 613, notes=["Elu[alpha=1]", cast]),
            sample(f"{p}_seq_silu_2-8-2.onnx", [2, 8, 2], "silu", 614, notes=["swish as Sigmoid -> Mul", cast]),
            sample(f"{p}_seq_bn_before_tanh_4-8-8-1.onnx", [4, 8, 8, 1], "tanh", 615, batchnorm="before",
                   notes=["BatchNormalization as Sub(mean) -> Mul(scale) -> Add(beta), constants shaped (1, n)", cast]),
            sample(f"{p}_seq_tanh_softmax_4-8-3.onnx", [4, 8, 3], "tanh", 616, softmax=True, notes=[cast]),
            sample("k3pt_dyn20_seq_gelu_tanh_3-8-2_batch4.onnx", [3, 8, 2], "gelu_tanh", 617, fixed_batch=4,
                   notes=["fixed input_signature (4, 3): Keras picks the dynamo exporter + optimize(); batch fixed "
                          "to 4, input 'input_0', no Casts, single Gelu[approximate=tanh]"]),
        ]
    return [
        sample(f"{p}_seq_gelu_4-8-1.onnx", [4, 8, 1], "gelu", 620, notes=["single Gelu[approximate=none]"]),
        sample(f"{p}_seq_bn_before_relu_4-8-1.onnx", [4, 8, 1], "relu", 621, batchnorm="before",
               notes=["BatchNormalization as an unfolded constant subgraph (Reshape/Add/Sqrt/Div/Neg/Mul) then Mul + Add"]),
        sample(f"{p}_seq_selu_softmax_4-8-3.onnx", [4, 8, 3], "selu", 622, softmax=True,
               notes=["Selu with explicit alpha/gamma, Softmax[axis=1]"]),
        sample(f"{p}_seq_silu_3-8-8-1.onnx", [3, 8, 8, 1], "silu", 623),
        sample(f"{p}_seq_softplus_2-8-1.onnx", [2, 8, 1], "softplus", 624),
    ]


def main() -> None:
    exporter = {"tensorflow": ("tensorflow", "tf2onnx"), "torch": ("torch", "onnxscript"), "jax": ("jax", "jaxlib", "jax2onnx")}
    update_manifest(FAMILY, catalogue(), versions("keras", *exporter[BACKEND], "onnx", "onnxruntime", "numpy"))


if __name__ == "__main__":
    main()
