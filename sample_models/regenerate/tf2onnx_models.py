"""Regenerate the tf2onnx samples, from Keras 3 and from Keras 2 (tf_keras) models, plus the
Keras copy of a trained torch model and the invalid exact-GELU file. Run in the TensorFlow venv
after torch_models.py (see sample_models/README.md):

    /work/venvs/tf/bin/python sample_models/regenerate/tf2onnx_models.py

The oracle stored in the manifest is Keras' own forward pass of a float64 twin of each model
(same architecture built with dtype float64, same weights).
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import onnx  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf2onnx  # noqa: E402
import tf_keras  # noqa: E402
from onnx import numpy_helper  # noqa: E402

from common import (  # noqa: E402
    POLY_CSV,
    SAMPLE_DIR,
    Sample,
    polynomial4_split,
    probe_inputs,
    r2_score,
    save_model,
    scratch_dir,
    update_manifest,
    versions,
)
from keras_build import build, expected_ir, keras_oracle  # noqa: E402

FAMILY = "tf2onnx"
def export(lib, model, file: str, shape: tuple[int, ...], dtype: str, opset: int, batch: int | None) -> str:
    """tf2onnx.convert.from_keras with the Keras 3 output_names workaround; returns the call."""
    raw = scratch_dir() / file.replace("/", "_")
    tf_dtype = tf.float64 if dtype == "float64" else tf.float32
    spec = [tf.TensorSpec((batch, *shape), tf_dtype, name="x")]
    call = f"tf2onnx.convert.from_keras(model, input_signature=[tf.TensorSpec(({batch}, {', '.join(map(str, shape))}), tf.{dtype}, name='x')], opset={opset})"
    if lib is keras:
        model.output_names = ["y"]
        call = "model.output_names = ['y']  # Keras 3 workaround, onnx/tensorflow-onnx#2448; " + call
    tf2onnx.convert.from_keras(model, input_signature=spec, opset=opset, output_path=str(raw))
    save_model(raw, SAMPLE_DIR / file)
    return call


def sample(lib, file, sizes, act, seed, *, opset=15, dtype="float32", batch=None, notes=(), **options) -> Sample:
    """Build, export and describe one Keras model."""
    args = {"sizes": sizes, "act": act, "seed": seed, **options}
    model = build(lib, dtype=dtype, batch_size=batch, **args)
    shape = options.get("flatten") or (sizes[0],)
    call = export(lib, model, file, shape, dtype, opset, batch)
    inputs = probe_inputs(seed, shape, dtype)
    which = "Keras 3" if lib is keras else "Keras 2 (tf_keras)"
    return Sample(
        file=file,
        family=FAMILY,
        exporter=f"tf2onnx from {which}",
        exporter_call=call,
        ir=expected_ir(sizes, act, options.get("softmax", False)),
        notes=list(notes),
        inputs=inputs,
        outputs=keras_oracle(lib, model, args, inputs),
        oracle=f"{which} forward of a float64 twin",
    )


def catalogue() -> list[Sample]:
    k3 = lambda file, *a, **k: sample(keras, "k3_t2o" + file, *a, **k)  # noqa: E731
    k2 = lambda file, *a, **k: sample(tf_keras, "k2_t2o" + file, *a, **k)  # noqa: E731
    samples = [
        k3("15_seq_tanh_4-8-1.onnx", [4, 8, 1], "tanh", 500),
        k3("15_seq_sigmoid_3-8-8-2.onnx", [3, 8, 8, 2], "sigmoid", 501),
        k3("15_seq_softplus_2-8-1.onnx", [2, 8, 1], "softplus", 502),
        k3("15_seq_relu_6-8-8-1.onnx", [6, 8, 8, 1], "relu", 503),
        k3("15_seq_gelu_tanh_4-8-1.onnx", [4, 8, 1], "gelu_tanh", 504,
           notes=["gelu(approximate=True): Mul/Pow/Add/Tanh decomposition with initializer scalars"]),
        k3("15_seq_silu_3-8-1.onnx", [3, 8, 1], "silu", 505, notes=["silu/swish as Sigmoid -> Mul"]),
        k3("15_seq_elu_4-8-1.onnx", [4, 8, 1], "elu", 506, notes=["bare Elu, alpha attribute absent (1.0)"]),
        k3("15_seq_selu_5-8-8-1.onnx", [5, 8, 8, 1], "selu", 507, notes=["bare Selu with ONNX default constants"]),
        k3("15_seq_linear_3-4-4-2.onnx", [3, 4, 4, 2], "linear", 508,
           notes=["three Dense layers without activation: may be merged into one linear layer"]),
        k3("15_seq_softmax_4-8-8-3.onnx", [4, 8, 8, 3], "tanh", 509, softmax=True,
           notes=["tanh classifier ending in Softmax (no axis attribute: default -1)"]),
        k3("15_seq_bn_after_relu_4-8-8-1.onnx", [4, 8, 8, 1], "relu", 510, batchnorm="after",
           notes=["Dense(relu) -> BatchNormalization: Mul + Add AFTER the activation, fold into the next layer"]),
        k3("15_seq_bn_before_softplus_4-8-1.onnx", [4, 8, 1], "softplus", 511, batchnorm="before",
           notes=["Dense -> BatchNormalization -> Activation(softplus): Mul + Add BEFORE the activation"]),
        k3("15_seq_dropout_tanh_4-8-8-1.onnx", [4, 8, 8, 1], "tanh", 512, dropout=0.25,
           notes=["Dropout(0.25) after each hidden layer: removed"]),
        k3("15_seq_flatten_tanh_2x3-8-1.onnx", [6, 8, 1], "tanh", 513, flatten=(2, 3),
           notes=["leading Flatten: Reshape(x, [-1, 6]) on input (batch, 2, 3), row-major"]),
        k3("13_seq_float64_tanh_3-8-1.onnx", [3, 8, 1], "tanh", 514, opset=13, dtype="float64",
           notes=["float64 weights and input"]),
        k3("15_seq_tanh_4-8-1_batch1.onnx", [4, 8, 1], "tanh", 515, batch=1,
           notes=["TensorSpec((1, 4)): batch fixed to 1, so tf2onnx fuses MatMul+Add into Gemm[transB=0] with W (in, out)"]),
        k3("15_seq_tanh_4-8-1_nobias.onnx", [4, 8, 1], "tanh", 516, use_bias=False,
           notes=["use_bias=False: MatMul -> Tanh -> MatMul, no Add at all (zero biases)"]),
        k3("18_seq_relu_softmax_3-8-2.onnx", [3, 8, 2], "relu", 517, opset=18, softmax=True,
           notes=["opset 18, the highest tf2onnx 1.17 supports"]),
        k2("15_seq_tanh_4-8-1.onnx", [4, 8, 1], "tanh", 520, notes=["output named after the last Dense layer"]),
        k2("15_seq_relu_softmax_5-8-3.onnx", [5, 8, 3], "relu", 521, softmax=True),
        k2("15_seq_bn_after_sigmoid_3-8-8-1.onnx", [3, 8, 8, 1], "sigmoid", 522, batchnorm="after",
           notes=["Dense(sigmoid) -> BatchNormalization: Mul + Add after the activation"]),
        k2("15_seq_gelu_tanh_3-8-1.onnx", [3, 8, 1], "gelu_tanh", 523, notes=["tf_keras gelu(approximate=True)"]),
        k2("15_seq_selu_4-8-8-2.onnx", [4, 8, 8, 2], "selu", 524),
    ]
    return samples


def refusals() -> list[Sample]:
    """Exact GELU through TensorFlow: tf2onnx leaves a raw Erfc node that onnxruntime rejects."""
    file = "unsupported/k3_t2o15_seq_gelu_4-8-1.onnx"
    model = build(keras, [4, 8, 1], "gelu", 530)
    call = export(keras, model, file, (4,), "float32", 15, None)
    return [
        Sample(
            file=file,
            family=FAMILY,
            exporter="tf2onnx from Keras 3",
            exporter_call=call,
            ir=None,
            notes=["tf2onnx logs 'Tensorflow op [.../Gelu/Erfc: Erfc] is not supported' and writes the file anyway"],
            refusal={
                "op_type": "Erfc",
                "reason": "invalid ONNX: exact GELU from TensorFlow leaves a raw Erfc node (no such ONNX op); "
                "re-export with gelu(approximate=True) or from the Keras torch/JAX backend",
            },
        )
    ]


def trained_copy() -> list[Sample]:
    """polynomial4_tanh_l1 rebuilt in Keras 3 from the torch file's weights and exported by tf2onnx."""
    source = onnx.load(str(SAMPLE_DIR / "polynomial4_tanh_l1.onnx"))
    weights = {t.name: numpy_helper.to_array(t) for t in source.graph.initializer}
    gemms = [node for node in source.graph.node if node.op_type == "Gemm"]
    kernels = []
    for node in gemms:  # torch Gemm: transB=1, W (out, in); Keras kernels are (in, out)
        kernels += [weights[node.input[1]].T.copy(), weights[node.input[2]].copy()]
    args = {"sizes": [4, 16, 1], "act": "tanh", "seed": 540}
    model = build(keras, **args)
    model.set_weights(kernels)
    file = "polynomial4_tanh_l1_k3_t2o15.onnx"
    call = export(keras, model, file, (4,), "float32", 15, None)
    data = np.loadtxt(POLY_CSV, delimiter=",", skiprows=1)
    x_train, y_train, x_test, y_test = polynomial4_split(data)
    predict = lambda x: keras_oracle(keras, model, args, x).ravel()  # noqa: E731
    twin = build(keras, **{**args, "dtype": "float64"})
    twin.set_weights([np.asarray(w, dtype=np.float64) for w in model.get_weights()])
    hidden = np.asarray(twin.layers[0].kernel), np.asarray(twin.layers[0].bias)
    preactivation = data[:, :4] @ hidden[0] + hidden[1]
    inputs = probe_inputs(540, (4,), scale=1.0)
    return [
        Sample(
            file=file,
            family=FAMILY,
            exporter="tf2onnx from Keras 3",
            exporter_call=call,
            ir=expected_ir([4, 16, 1], "tanh"),
            notes=["weights copied from polynomial4_tanh_l1.onnx (torch, trained with nn2poly's l1 constraint) into Keras 3"],
            inputs=inputs,
            outputs=keras_oracle(keras, model, args, inputs),
            oracle="Keras 3 forward of a float64 twin",
            extra={
                "training": {
                    "data": "polynomial4.csv",
                    "weights_from": "polynomial4_tanh_l1.onnx",
                    "constraint": "l1_norm <= 1 on every hidden neuron's incoming weights including its bias (nn2poly)",
                    "r2_train": round(r2_score(y_train, predict(x_train)), 6),
                    "r2_test": round(r2_score(y_test, predict(x_test)), 6),
                    "hidden_max_l1_norm": [round(float(np.max(np.abs(hidden[0]).sum(0) + np.abs(hidden[1]))), 9)],
                    "max_abs_preactivation": [round(float(np.max(np.abs(preactivation))), 6)],
                }
            },
        )
    ]


def main() -> None:
    keras.utils.set_random_seed(5)
    samples = catalogue() + trained_copy() + refusals()
    update_manifest(
        FAMILY,
        samples,
        versions("tensorflow", "tensorflow-cpu", "keras", "tf-keras", "tf2onnx", "onnx", "onnxruntime", "numpy", "protobuf"),
    )


if __name__ == "__main__":
    main()
