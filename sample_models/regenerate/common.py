"""Shared by every regeneration script: paths, seeds, path scrubbing, checks and the manifest.

Only numpy, onnx and onnxruntime are used here, because this module is imported in every
exporter venv (torch, TensorFlow, JAX). The scripts are run as plain files (``python
torch_models.py``), so this folder is on ``sys.path`` and no package is needed.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

__all__ = [
    "SAMPLE_DIR",
    "UNSUPPORTED_DIR",
    "MANIFEST",
    "POLY_CSV",
    "Sample",
    "layer",
    "versions",
    "probe_inputs",
    "polynomial4_data",
    "polynomial4_split",
    "r2_score",
    "scrub_paths",
    "save_model",
    "check_model",
    "update_manifest",
    "write_polynomial4_csv",
    "scratch_dir",
]

REGEN_DIR = Path(__file__).resolve().parent
SAMPLE_DIR = REGEN_DIR.parent
UNSUPPORTED_DIR = SAMPLE_DIR / "unsupported"
MANIFEST = SAMPLE_DIR / "manifest.json"
POLY_CSV = SAMPLE_DIR / "polynomial4.csv"

PROBE_ROWS = 8
POLY_ROWS = 2000
POLY_TRAIN_ROWS = 1500
POLY_SEED = 20240602
POLY_FORMULA = "y = 2 - 2*x1 + 5*x2*x3 + 3*x4, x ~ U[-1, 1]^4"

# Any absolute path of the exporting machine, e.g. /work/venvs/torch/lib/python3.11/site-packages/...
_ABSOLUTE_PATH = re.compile(r"(?<![\w.<>-])/(?:[\w.+@-]+/)+")
_LEFTOVER = re.compile(rb"/(?:work|tmp|root|home|opt|usr|var|private|Users)/")


@dataclass
class Sample:
    """One model file and everything the manifest says about it."""

    file: str
    family: str
    exporter: str
    exporter_call: str
    ir: dict | None
    notes: list[str] = field(default_factory=list)
    inputs: np.ndarray | None = None
    outputs: np.ndarray | None = None
    oracle: str = ""
    extra: dict = field(default_factory=dict)
    refusal: dict | None = None


def layer(n_in: int, n_out: int, activation: str, **params: float) -> dict:
    """One dense layer of the expected IR: sizes, canonical activation name and its parameters."""
    return {"in": n_in, "out": n_out, "activation": activation, "params": {k: float(v) for k, v in params.items()}}


def versions(*distributions: str) -> dict[str, str]:
    """Installed versions read at run time, so the manifest says what really made each file."""
    found = {"python": ".".join(map(str, sys.version_info[:3]))}
    for name in distributions:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def probe_inputs(seed: int, shape: tuple[int, ...], dtype: str = "float32", scale: float = 1.5) -> np.ndarray:
    """The 8 recorded input rows of a model: uniform in [-scale, scale], exactly representable in dtype."""
    rows = np.random.default_rng(seed).uniform(-scale, scale, size=(PROBE_ROWS, *shape))
    return rows.astype(dtype)


def polynomial4_data() -> np.ndarray:
    """The trained models' data set (x1..x4, y): x rounded to 6 decimals so the CSV holds it exactly."""
    rng = np.random.default_rng(POLY_SEED)
    x = np.round(rng.uniform(-1.0, 1.0, size=(POLY_ROWS, 4)), 6)
    y = 2.0 - 2.0 * x[:, 0] + 5.0 * x[:, 1] * x[:, 2] + 3.0 * x[:, 3]
    return np.column_stack([x, y])


def polynomial4_split(data: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Train on the first 1500 rows of the CSV, test on the last 500."""
    x, y = data[:, :4], data[:, 4]
    return x[:POLY_TRAIN_ROWS], y[:POLY_TRAIN_ROWS], x[POLY_TRAIN_ROWS:], y[POLY_TRAIN_ROWS:]


def r2_score(y: np.ndarray, prediction: np.ndarray) -> float:
    """Coefficient of determination of a prediction of y."""
    y = np.asarray(y, dtype=np.float64).ravel()
    residual = y - np.asarray(prediction, dtype=np.float64).ravel()
    return float(1.0 - residual @ residual / np.sum((y - y.mean()) ** 2))


def _scrub(text: str) -> str:
    def replace(match: re.Match) -> str:
        path = match.group(0)
        if "site-packages/" in path:
            return "<site-packages>/" + path.split("site-packages/", 1)[1]
        if path.startswith(str(REGEN_DIR) + "/"):
            return "sample_models/regenerate/" + path[len(str(REGEN_DIR)) + 1 :]
        return "<path>/"

    return _ABSOLUTE_PATH.sub(replace, text)


def _scrub_props(props) -> None:
    for prop in props:
        prop.value = _scrub(prop.value)


def _scrub_graph(graph: onnx.GraphProto) -> None:
    graph.doc_string = _scrub(graph.doc_string)
    _scrub_props(graph.metadata_props)
    for node in graph.node:
        node.doc_string = _scrub(node.doc_string)
        _scrub_props(node.metadata_props)
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                _scrub_graph(attribute.g)
    for value in list(graph.input) + list(graph.output) + list(graph.value_info):
        value.doc_string = _scrub(value.doc_string)
        _scrub_props(value.metadata_props)
    for tensor in graph.initializer:
        tensor.doc_string = _scrub(tensor.doc_string)
        _scrub_props(tensor.metadata_props)


def scrub_paths(model: onnx.ModelProto) -> onnx.ModelProto:
    """Rewrite absolute paths of the exporting machine in every free-text field of a model.

    dynamo stores Python stack traces in node metadata_props; site-packages paths become
    ``<site-packages>/…``, this folder becomes ``sample_models/regenerate/…`` and any other
    absolute directory becomes ``<path>/``. Names, weights and ops are untouched.
    """
    model.doc_string = _scrub(model.doc_string)
    model.producer_name = _scrub(model.producer_name)
    model.producer_version = _scrub(model.producer_version)
    _scrub_props(model.metadata_props)
    _scrub_graph(model.graph)
    for function in model.functions:
        function.doc_string = _scrub(function.doc_string)
        for node in function.node:
            node.doc_string = _scrub(node.doc_string)
            _scrub_props(node.metadata_props)
    return model


def save_model(source: Path | str, target: Path) -> None:
    """Load an exporter's raw output, scrub paths, refuse leftovers and write it where it ships."""
    model = scrub_paths(onnx.load(str(source)))
    data = model.SerializeToString()
    leftover = _LEFTOVER.search(data)
    if leftover:
        context = data[max(0, leftover.start() - 60) : leftover.end() + 60]
        raise RuntimeError(f"{target.name}: absolute path left after scrubbing: {context!r}")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def _ort_run(path: Path, inputs: np.ndarray) -> np.ndarray:
    options = ort.SessionOptions()
    options.log_severity_level = 3  # keep_initializers_as_inputs files warn on every run; errors still show
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    (graph_input,) = session.get_inputs()
    batch = graph_input.shape[0] if isinstance(graph_input.shape[0], int) else len(inputs)
    if len(inputs) % batch:
        raise RuntimeError(f"{path.name}: fixed batch {batch} does not divide {len(inputs)} rows")
    chunks = [
        session.run(None, {graph_input.name: inputs[start : start + batch]})[0] for start in range(0, len(inputs), batch)
    ]
    return np.concatenate(chunks).astype(np.float64).reshape(len(inputs), -1)


def _opsets(model: onnx.ModelProto) -> dict[str, int]:
    return {entry.domain or "ai.onnx": int(entry.version) for entry in model.opset_import}


def _dims(value: onnx.ValueInfoProto) -> list:
    return [d.dim_param if d.HasField("dim_param") else int(d.dim_value) for d in value.type.tensor_type.shape.dim]


def check_model(sample: Sample) -> dict:
    """onnx.checker plus onnxruntime against the framework's own outputs; returns manifest facts."""
    path = SAMPLE_DIR / sample.file
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    initializers = {tensor.name for tensor in model.graph.initializer}
    (graph_input,) = [value for value in model.graph.input if value.name not in initializers]
    (graph_output,) = model.graph.output
    input_dims = _dims(graph_input)
    facts = {
        "opset": _opsets(model).get("ai.onnx"),
        "opset_import": _opsets(model),
        "ir_version": int(model.ir_version),
        "producer": f"{model.producer_name} {model.producer_version}".strip(),
        "dtype": onnx.helper.tensor_dtype_to_np_dtype(graph_input.type.tensor_type.elem_type).name,
        "input_name": graph_input.name,
        "output_name": graph_output.name,
        "input_dims": input_dims,
        "input_shape": [int(d) for d in input_dims[1:]],
        "batch": input_dims[0] if isinstance(input_dims[0], int) else None,
        "output_size": int(_dims(graph_output)[-1]),
        "size_bytes": path.stat().st_size,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }
    ort_out = _ort_run(path, sample.inputs)
    expected = np.asarray(sample.outputs, dtype=np.float64).reshape(len(sample.inputs), -1)
    facts["ort_max_abs_diff"] = float(np.max(np.abs(ort_out - expected)))
    limit = 1e-10 if facts["dtype"] == "float64" else 1e-4
    if facts["ort_max_abs_diff"] > limit * max(1.0, float(np.max(np.abs(expected)))):
        raise RuntimeError(f"{sample.file}: onnxruntime differs from the framework by {facts['ort_max_abs_diff']:.3g}")
    return facts


def _refusal_facts(sample: Sample) -> dict:
    path = SAMPLE_DIR / sample.file
    model = onnx.load(str(path))
    return {
        "opset": _opsets(model).get("ai.onnx"),
        "opset_import": _opsets(model),
        "ir_version": int(model.ir_version),
        "producer": f"{model.producer_name} {model.producer_version}".strip(),
        "ops": sorted({node.op_type for node in model.graph.node}),
        "offending_nodes": [node.name for node in model.graph.node if node.op_type == sample.refusal["op_type"]],
        "size_bytes": path.stat().st_size,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }


def _entry(sample: Sample, exporter_versions: dict[str, str]) -> dict:
    entry = {
        "file": sample.file,
        "family": sample.family,
        "exporter": sample.exporter,
        "exporter_call": sample.exporter_call,
        "versions": exporter_versions,
    }
    if sample.refusal is not None:
        entry.update(_refusal_facts(sample))
        entry["refusal"] = sample.refusal
    else:
        entry.update(check_model(sample))
        entry["ir"] = sample.ir
        entry["check"] = {
            "oracle": sample.oracle,
            "inputs": np.asarray(sample.inputs, dtype=np.float64).tolist(),
            "outputs": np.asarray(sample.outputs, dtype=np.float64).reshape(len(sample.inputs), -1).tolist(),
        }
    entry["notes"] = sample.notes
    entry.update(sample.extra)
    return entry


def update_manifest(family: str, samples: list[Sample], exporter_versions: dict[str, str]) -> None:
    """Replace this family's entries in manifest.json, delete its stale files, keep the others'.

    Each script owns one family, so scripts can be rerun alone and in any order (the tf2onnx
    copy of a trained model only needs the torch family's file to exist).
    """
    manifest = json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {}
    kept = {key: [e for e in manifest.get(key, []) if e["family"] != family] for key in ("models", "unsupported")}
    fresh = {sample.file for sample in samples}
    for key in ("models", "unsupported"):
        for old in manifest.get(key, []):
            if old["family"] == family and old["file"] not in fresh:
                (SAMPLE_DIR / old["file"]).unlink(missing_ok=True)
    for sample in samples:
        entry = _entry(sample, exporter_versions)
        kept["unsupported" if sample.refusal is not None else "models"].append(entry)
        status = "refusal" if sample.refusal is not None else f"ort diff {entry['ort_max_abs_diff']:.2e}"
        print(f"  {sample.file:55s} {entry['size_bytes']:7d} B  {status}", flush=True)
    manifest = {
        "description": (
            "Real ONNX exports of small MLPs. 'models' must load; 'ir' is the expected dense chain "
            "(activations named as in polyx.expansion.activations.registry.ACTIVATIONS); 'check' holds 8 input rows "
            "and the exporting framework's own outputs for them (an oracle independent of onnxruntime). "
            "'unsupported' files must be refused for the reason given. Regenerate with "
            "sample_models/regenerate/regenerate.sh."
        ),
        "data": manifest.get("data", {}),
        "models": sorted(kept["models"], key=lambda e: e["file"]),
        "unsupported": sorted(kept["unsupported"], key=lambda e: e["file"]),
    }
    if family == "torch":
        manifest["data"] = {
            "polynomial4.csv": {
                "formula": POLY_FORMULA,
                "rows": POLY_ROWS,
                "columns": ["x1", "x2", "x3", "x4", "y"],
                "seed": POLY_SEED,
                "generator": "numpy.random.default_rng(seed).uniform(-1, 1, (2000, 4))",
                "train_rows": f"1-{POLY_TRAIN_ROWS}",
                "test_rows": f"{POLY_TRAIN_ROWS + 1}-{POLY_ROWS}",
            }
        }
    MANIFEST.write_text(json.dumps(manifest, indent=1) + "\n")


def write_polynomial4_csv() -> np.ndarray:
    """Write the trained models' CSV (shortest exact repr of every value) and return its rows."""
    data = polynomial4_data()
    lines = ["x1,x2,x3,x4,y"] + [",".join(repr(float(v)) for v in row) for row in data]
    POLY_CSV.write_text("\n".join(lines) + "\n")
    return data


def scratch_dir() -> Path:
    """Where exporters write their raw files before scrubbing (outside the repository)."""
    path = Path(os.environ.get("POLYX_REGEN_SCRATCH", "/tmp/polyx_regen"))
    path.mkdir(parents=True, exist_ok=True)
    return path
