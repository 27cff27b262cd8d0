#!/usr/bin/env bash
# Regenerate every file in sample_models/ (models, polynomial4.csv, manifest.json) with the real
# exporters, each script in its own venv. Create the venvs first with make_venvs.sh.
# POLYX_VENVS (default /work/venvs) is the folder holding the torch, tf and jax venvs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venvs="${POLYX_VENVS:-/work/venvs}"
# tf2onnx shares duplicate constants between layers and picks the survivor by set order, which
# follows Python's string hashing: a fixed seed makes reruns byte-identical.
export PYTHONHASHSEED=0
export POLYX_REGEN_SCRATCH="$(mktemp -d)"
trap 'rm -rf "$POLYX_REGEN_SCRATCH"' EXIT

run() { echo "== $*"; "$@"; }

# torch first: it writes polynomial4.csv and the trained model that tf2onnx_models.py copies.
run "$venvs/torch/bin/python" "$here/torch_models.py"
run "$venvs/tf/bin/python" "$here/tf2onnx_models.py"
KERAS_BACKEND=tensorflow run "$venvs/tf/bin/python" "$here/keras_export_models.py"
KERAS_BACKEND=torch run "$venvs/torch/bin/python" "$here/keras_export_models.py"
if [ -x "$venvs/jax/bin/python" ]; then
    KERAS_BACKEND=jax run "$venvs/jax/bin/python" "$here/keras_export_models.py"
else
    echo "== no JAX venv at $venvs/jax: the k3jax_* samples were left as they are"
fi

cd "$here/.."
if grep -l -a -E '/(work|tmp|root|home|opt|usr)/' ./*.onnx unsupported/*.onnx; then
    echo "absolute paths left in the files above" >&2
    exit 1
fi
echo "== $(ls ./*.onnx | wc -l) models, $(ls unsupported/*.onnx | wc -l) refusal samples, $(du -sh --exclude=regenerate . | cut -f1) in total"
