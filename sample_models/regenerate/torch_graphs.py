"""Regenerate the graph samples (sample_models/graphs/): CNNs, residual, gated and LayerNorm networks
from torch, and scikit-learn MLPs through skl2onnx. Run in the torch venv with scikit-learn and
skl2onnx installed (see sample_models/README.md):

    /work/venvs/torch/bin/python sample_models/regenerate/torch_graphs.py

The digits CNN is HOPE's MNIST experiment at the size of scikit-learn's ``load_digits`` (8×8 images,
shipped as ``digits.csv``, pixels scaled to [0, 1]); it is trained for a few seconds. The other
models keep their seeded random weights. Every entry of ``graphs/manifest.json`` holds 8 probe
inputs and the framework's own outputs for them in float64 (torch on a float64 copy of the
float32 weights; scikit-learn's predict_proba): an oracle independent of onnxruntime and polyx.
"""

from __future__ import annotations

import copy
import importlib.metadata
import json
import logging
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from common import SAMPLE_DIR, save_model, scratch_dir

GRAPH_DIR = SAMPLE_DIR / "graphs"
MANIFEST = GRAPH_DIR / "manifest.json"

warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)
torch.set_num_threads(1)
torch.manual_seed(0)


class Residual(nn.Module):
    """W_o(x + tanh(W x + b)): the residual MLP of the issue."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.inner, self.out = nn.Linear(width, width), nn.Linear(width, 1)

    def forward(self, x):
        return self.out(x + torch.tanh(self.inner(x)))


class Gated(nn.Module):
    """W2 (g(V x) ⊙ (W1 x)) with g = sigmoid (GLU), silu (SwiGLU), tanh-GELU (GEGLU) or none (bilinear)."""

    def __init__(self, d: int, hidden: int, gate: str) -> None:
        super().__init__()
        self.v, self.w1, self.w2 = nn.Linear(d, hidden), nn.Linear(d, hidden), nn.Linear(hidden, 2)
        self.gate = gate

    def forward(self, x):
        u = self.v(x)
        g = {"glu": torch.sigmoid, "swiglu": nn.functional.silu, "bilinear": lambda t: t,
             "geglu": lambda t: nn.functional.gelu(t, approximate="tanh")}[self.gate](u)
        return self.w2(g * self.w1(x))


def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    data = load_digits()
    return (data.data / 16.0).astype(np.float32), data.target.astype(np.int64)


def _digits_cnn() -> nn.Module:
    images, labels = _digits()
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(4, 8, 3), nn.Tanh(),
                          nn.Flatten(), nn.Linear(8 * 2 * 2, 10))
    x, y = torch.from_numpy(images.reshape(-1, 1, 8, 8)), torch.from_numpy(labels)
    optimiser = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(150):
        optimiser.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimiser.step()
    accuracy = float((model(x).argmax(1) == y).float().mean())
    print(f"digits CNN: training accuracy {accuracy:.3f}")
    return model


def _models() -> list[tuple[str, nn.Module, tuple[int, ...], str]]:
    """(name, module, input shape, family)."""
    torch.manual_seed(1)
    return [
        ("digits_cnn", _digits_cnn(), (1, 8, 8), "cnn"),
        ("maxpool_cnn", nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(3 * 3 * 3, 2)),
         (1, 8, 8), "cnn"),
        ("conv1d", nn.Sequential(nn.Conv1d(2, 3, 3, stride=2, padding=1), nn.Sigmoid(), nn.Flatten(), nn.Linear(3 * 5, 1)),
         (2, 10), "cnn"),
        ("residual", Residual(3), (3,), "residual"),
        ("glu", Gated(3, 4, "glu"), (3,), "gated"),
        ("swiglu", Gated(3, 4, "swiglu"), (3,), "gated"),
        ("geglu", Gated(3, 4, "geglu"), (3,), "gated"),
        ("bilinear", Gated(3, 4, "bilinear"), (3,), "gated"),
        ("layernorm", nn.Sequential(nn.LayerNorm(4), nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 1)), (4,), "layernorm"),
    ]


def _export(model: nn.Module, shape: tuple[int, ...], target: Path, dynamo: bool, opset: int) -> str:
    raw = scratch_dir() / target.name
    example = torch.zeros((2,) + shape)
    if dynamo:
        torch.onnx.export(model, (example,), str(raw), dynamo=True, external_data=False, verbose=False,
                          opset_version=opset, input_names=["x"], output_names=["y"],
                          dynamic_shapes=({0: torch.export.Dim("batch")},))
        call = f"torch.onnx.export(model, (x,), f, dynamo=True, opset_version={opset}, dynamic batch)"
    else:
        torch.onnx.export(model, (example,), str(raw), dynamo=False, opset_version=opset, input_names=["x"],
                          output_names=["y"], dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
        call = f"torch.onnx.export(model, (x,), f, dynamo=False, opset_version={opset}, dynamic batch)"
    save_model(raw, target)
    return call


def _framework_outputs(model: nn.Module, inputs: np.ndarray) -> np.ndarray:
    """torch's forward in float64 on a float64 copy of the float32 weights."""
    double = copy.deepcopy(model).double()
    with torch.no_grad():
        out = double(torch.from_numpy(np.asarray(inputs, dtype=np.float64))).numpy()
    return out.reshape(len(inputs), -1)


def _sklearn_entries(rng: np.random.Generator) -> list[dict]:
    from skl2onnx import to_onnx
    from sklearn.neural_network import MLPClassifier

    entries = []
    x = rng.normal(size=(300, 4)).astype(np.float32)
    for name, labels, zipmap in (("sk_mlp_clf3", (x[:, 0] + x[:, 1] > 0).astype(int) + (x[:, 2] > 0.5), False),
                                 ("sk_mlp_clf3_zipmap", (x[:, 0] - x[:, 3] > 0).astype(int) + (x[:, 1] > 0.5), True),
                                 ("sk_mlp_binary", (x[:, 0] * x[:, 1] > 0).astype(int), False)):
        classifier = MLPClassifier((6,), activation="tanh", max_iter=400, random_state=0).fit(x, labels)
        options = {id(classifier): {"zipmap": zipmap}}
        onx = to_onnx(classifier, x[:1], options=options, target_opset=17)
        raw = scratch_dir() / f"{name}.onnx"
        raw.write_bytes(onx.SerializeToString())
        save_model(raw, GRAPH_DIR / f"{name}.onnx")
        probes = rng.normal(size=(8, 4)).astype(np.float32)
        entries.append({"file": f"{name}.onnx", "family": "sklearn", "exporter": "skl2onnx.to_onnx",
                        "exporter_call": f"to_onnx(MLPClassifier((6,), activation='tanh'), x, options={{'zipmap': {zipmap}}}, "
                                         "target_opset=17)",
                        "input_shape": [4], "output": "probabilities",
                        "check": {"inputs": probes.astype(np.float64).tolist(),
                                  "outputs": classifier.predict_proba(probes.astype(np.float64)).tolist()}})
    return entries


def _versions() -> dict[str, str]:
    names = ("torch", "onnx", "onnxscript", "scikit-learn", "skl2onnx")
    found = {}
    for name in names:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return found


def main() -> None:
    GRAPH_DIR.mkdir(parents=True, exist_ok=True)
    images, labels = _digits()
    header = ",".join([f"x{i + 1}" for i in range(64)] + ["y"])
    rows = np.column_stack([images.astype(np.float64), labels])
    np.savetxt(GRAPH_DIR / "digits.csv", rows, delimiter=",", header=header, comments="",
               fmt=["%.6g"] * 64 + ["%d"])
    rng = np.random.default_rng(20261204)
    entries = []
    for name, model, shape, family in _models():
        model.eval()
        probes = rng.normal(size=(8,) + shape)
        if name == "digits_cnn":
            probes = images[:8].reshape((8,) + shape).astype(np.float64)
        outputs = _framework_outputs(model, probes)
        for dynamo, opset, prefix in ((False, 17, "pt_ts17"), (True, 18, "pt_dyn18"), (False, 13, "pt_ts13")):
            if prefix == "pt_ts13" and family != "layernorm":
                continue
            target = GRAPH_DIR / f"{prefix}_{name}.onnx"
            call = _export(model, shape, target, dynamo, opset)
            entries.append({"file": target.name, "family": family, "exporter": "torch.onnx.export", "exporter_call": call,
                            "input_shape": list(shape),
                            "check": {"inputs": probes.reshape(8, -1).tolist(), "outputs": outputs.tolist()}})
    entries += _sklearn_entries(rng)
    MANIFEST.write_text(json.dumps({"versions": _versions(), "models": entries}, indent=1) + "\n")
    print(f"wrote {len(entries)} models to {GRAPH_DIR}")


if __name__ == "__main__":
    main()
