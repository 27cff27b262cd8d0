"""Every real export in sample_models/ loads as the manifest says, and computes what its framework computed.

Two independent oracles per file: onnxruntime on the file itself (random inputs; 1e-5 for
float32 models, 1e-10 for float64, relative to max(1, |y|)) and the exporting framework's own
outputs stored in the manifest ('check': 8 rows, mostly a float64 twin of the model, so agreement
is at float32-weight level: 1e-5 relative to max(1, |y|)). Every file under 'unsupported' must be
refused, naming a node of the op the manifest gives.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from polyx import load_network
from polyx.converters.ir.graph import Graph
from polyx.converters.onnx.runtime import OnnxRunner
from polyx.errors import UnsupportedModelError

SAMPLES = Path(__file__).resolve().parent.parent / "sample_models"
MANIFEST = json.loads((SAMPLES / "manifest.json").read_text())
TOLERANCE = {"float32": 1e-5, "float64": 1e-10}
FRAMEWORK_TOLERANCE = 1e-5


def _scaled_difference(got: np.ndarray, expected: np.ndarray) -> float:
    return float(np.max(np.abs(got - expected) / np.maximum(1.0, np.abs(expected))))


@pytest.mark.parametrize("entry", MANIFEST["models"], ids=[entry["file"] for entry in MANIFEST["models"]])
def test_sample_model_loads_as_its_manifest_says(entry) -> None:
    network = load_network(SAMPLES / entry["file"])
    expected_layers = entry["ir"]["layers"]
    assert [(layer.in_features, layer.out_features, layer.activation.name) for layer in network.layers] == [
        (layer["in"], layer["out"], layer["activation"]) for layer in expected_layers
    ]
    for layer, expected in zip(network.layers, expected_layers):
        assert layer.activation.kwargs == pytest.approx(expected["params"], rel=1e-6)  # float32 attributes
    assert network.output_activation == entry["ir"]["output_activation"]
    assert (network.dtype, list(network.input_shape), network.batch_size) == (
        entry["dtype"], entry["input_shape"], entry["batch"])
    assert (network.input_name, network.output_name) == (entry["input_name"], entry["output_name"])
    assert network.metadata["sha256"] == entry["sha256"]


@pytest.mark.parametrize("entry", MANIFEST["models"], ids=[entry["file"] for entry in MANIFEST["models"]])
def test_sample_model_matches_onnxruntime_and_its_framework(entry) -> None:
    path = SAMPLES / entry["file"]
    network = load_network(path)
    runner = OnnxRunner(path)
    x = np.random.default_rng(11).normal(size=(200, network.input_size)).astype(runner.dtype)
    assert _scaled_difference(network.forward(x.astype(np.float64)), runner.run(x)) <= TOLERANCE[network.dtype]
    framework = np.asarray(entry["check"]["outputs"], dtype=np.float64)
    got = network.forward(np.asarray(entry["check"]["inputs"], dtype=np.float64)).reshape(framework.shape)
    assert _scaled_difference(got, framework) <= FRAMEWORK_TOLERANCE


# Refused while polyx read only dense chains; the graph IR represents them (tests/test_graph_samples.py
# checks their expansions).
NOW_GRAPHS = {"LayerNormalization", "Conv", "Add"}


@pytest.mark.parametrize("entry", [e for e in MANIFEST["unsupported"] if e["refusal"]["op_type"] in NOW_GRAPHS],
                         ids=lambda entry: entry["file"])
def test_former_refusal_now_loads_as_a_graph_matching_onnxruntime(entry) -> None:
    network = load_network(SAMPLES / entry["file"])
    assert isinstance(network, Graph)
    x = np.random.default_rng(0).standard_normal((32, network.input_size))
    expected = OnnxRunner(SAMPLES / entry["file"]).run(x)
    assert _scaled_difference(network.forward(x.astype(np.float32).astype(np.float64)), expected) <= 1e-5


@pytest.mark.parametrize("entry", [e for e in MANIFEST["unsupported"] if e["refusal"]["op_type"] not in NOW_GRAPHS],
                         ids=lambda entry: entry["file"])
def test_unsupported_sample_is_refused_naming_the_node(entry) -> None:
    with pytest.raises(UnsupportedModelError) as caught:
        load_network(SAMPLES / entry["file"])
    assert entry["refusal"]["op_type"] in [node.op_type for node in caught.value.nodes]
    assert all(node.name in str(caught.value) for node in caught.value.nodes)
