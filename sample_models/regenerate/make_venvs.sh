#!/usr/bin/env bash
# Create the three exporter venvs used by regenerate.sh (outside the repository), as recorded in
# sample_models/README.md. Only the regeneration scripts use them; polyx never imports these packages.
set -euo pipefail
venvs="${POLYX_VENVS:-/work/venvs}"
python="${PYTHON:-python3.11}"
mkdir -p "$venvs"

"$python" -m venv "$venvs/torch"
"$venvs/torch/bin/pip" install torch==2.13.0 onnx onnxruntime onnxscript numpy
"$venvs/torch/bin/pip" install keras==3.15.1

"$python" -m venv "$venvs/tf"
"$venvs/tf/bin/pip" install tensorflow-cpu tf2onnx onnx onnxruntime numpy
"$venvs/tf/bin/pip" install tf-keras==2.21.0

"$python" -m venv "$venvs/jax"
"$venvs/jax/bin/pip" install jax jax2onnx keras==3.15.1 onnxruntime
