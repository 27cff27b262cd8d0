"""Regenerate the Keras graph samples of sample_models/graphs/ (Conv2D, Conv1D, MaxPooling2D, Add, Multiply)
through tf2onnx, in the TensorFlow venv (see sample_models/README.md):

    /work/venvs/tf/bin/python sample_models/regenerate/keras_graphs.py

Keras computes in float32, so the oracle stored in graphs/manifest.json is Keras' own float32
forward pass (``oracle_dtype: float32``). Entries of the same file are replaced, others kept.
"""

from __future__ import annotations

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf2onnx  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402

from common import SAMPLE_DIR, save_model, scratch_dir  # noqa: E402

GRAPH_DIR = SAMPLE_DIR / "graphs"
MANIFEST = GRAPH_DIR / "manifest.json"


def _models() -> list[tuple[str, keras.Model, tuple[int, ...], str]]:
    keras.utils.set_random_seed(0)
    residual_in = keras.Input((3,))
    residual = keras.Model(residual_in, layers.Dense(1)(layers.Add()([residual_in, layers.Dense(3, activation="tanh")(residual_in)])))
    glu_in = keras.Input((3,))
    glu = keras.Model(glu_in, layers.Dense(2)(layers.Multiply()([layers.Dense(4, activation="sigmoid")(glu_in),
                                                                  layers.Dense(4)(glu_in)])))
    return [
        ("conv2d", keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(3, 3, activation="tanh"),
                                     layers.AveragePooling2D(2), layers.Flatten(), layers.Dense(2)]), (8, 8, 1), "cnn"),
        ("conv1d", keras.Sequential([keras.Input((10, 2)), layers.Conv1D(3, 3, activation="sigmoid", padding="same"),
                                     layers.Flatten(), layers.Dense(1)]), (10, 2), "cnn"),
        ("maxpool", keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(2, 3, activation="relu"),
                                      layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(2)]), (8, 8, 1), "cnn"),
        ("residual", residual, (3,), "residual"),
        ("glu", glu, (3,), "gated"),
    ]


def main() -> None:
    rng = np.random.default_rng(20261204)
    manifest = json.loads(MANIFEST.read_text())
    entries = {entry["file"]: entry for entry in manifest["models"]}
    for name, model, shape, family in _models():
        model(np.zeros((1,) + shape, np.float32))
        model.output_names = ["output"]  # Keras 3 + tf2onnx workaround (exporters.md §2)
        target = GRAPH_DIR / f"k3_t2o15_{name}.onnx"
        raw = scratch_dir() / target.name
        spec = (tf.TensorSpec((None,) + shape, tf.float32, name="x"),)
        tf2onnx.convert.from_keras(model, input_signature=spec, opset=15, output_path=str(raw))
        save_model(raw, target)
        probes = rng.normal(size=(8,) + shape).astype(np.float32)
        entries[target.name] = {
            "file": target.name, "family": family, "exporter": "tf2onnx.convert.from_keras",
            "exporter_call": "tf2onnx.convert.from_keras(model, input_signature=(TensorSpec((None, *shape)),), opset=15)",
            "input_shape": list(shape), "oracle_dtype": "float32",
            "check": {"inputs": probes.reshape(8, -1).astype(np.float64).tolist(),
                      "outputs": np.asarray(model(probes)).reshape(8, -1).astype(np.float64).tolist()},
        }
    manifest["models"] = list(entries.values())
    manifest.setdefault("versions", {}).update({"tensorflow": tf.__version__, "keras": keras.__version__,
                                                "tf2onnx": tf2onnx.__version__})
    MANIFEST.write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"wrote {len(_models())} Keras models to {GRAPH_DIR}")


if __name__ == "__main__":
    main()
