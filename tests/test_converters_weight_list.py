"""nn2poly's weight-list JSON and the weights .npz, checked against nn2poly's own network outputs.

Oracle: the anchor cases' ``forward_nn``, the network evaluated in R by the nn2poly reference run
(tests/data/converters/nn2poly_case*.json, copied from shared/anchors/nn2poly). Both sides are
float64 with the same weights; only the summation order differs, so 1e-12 relative.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from polyx import load_network

CASES = sorted((Path(__file__).parent / "data" / "converters").glob("nn2poly_case*.json"))


def _case(path: Path) -> dict:
    return json.loads(path.read_text())


@pytest.mark.parametrize("path", CASES, ids=[path.stem for path in CASES])
def test_anchor_case_file_loads_directly(path: Path) -> None:
    case = _case(path)
    network = load_network(path)
    assert [layer.activation.name for layer in network.layers] == case["activations"]
    assert [layer.out_features for layer in network.layers] == case["layer_widths"]
    assert (network.input_size, network.dtype, network.metadata["format"]) == (case["n_inputs"], "float64", "weight-list")
    np.testing.assert_allclose(network.forward(np.array(case["X"])), np.array(case["forward_nn"]), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("path", CASES, ids=[path.stem for path in CASES])
def test_npz_with_the_same_weights_matches(path: Path, tmp_path: Path) -> None:
    case = _case(path)
    arrays = {}
    for index, matrix in enumerate(np.array(m) for m in case["weights"]):
        arrays[f"W{index}"], arrays[f"b{index}"] = matrix[1:].T, matrix[0]
    target = tmp_path / "weights.npz"
    np.savez(target, activations=np.array(case["activations"]), **arrays)
    network = load_network(target)
    assert network.metadata["format"] == "npz"
    np.testing.assert_allclose(network.forward(np.array(case["X"])), np.array(case["forward_nn"]), rtol=1e-12, atol=1e-14)


def test_npz_bias_is_optional_and_float32_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "w.npz"
    weight = np.array([[1.0, -2.0], [0.5, 0.25]], dtype=np.float32)
    np.savez(target, W0=weight, activations=np.array(["relu"]))
    network = load_network(target)
    assert network.dtype == "float32"
    x = np.array([[1.0, 1.0], [2.0, -1.0]])
    np.testing.assert_array_equal(network.forward(x), np.maximum(x @ weight.T.astype(np.float64), 0.0))


def test_activation_parameters_and_final_softmax(tmp_path: Path) -> None:
    weights = [[[0.1, -0.2], [1.0, 0.5], [-0.3, 2.0]], [[0.0, 0.1], [1.0, -1.0], [0.5, 0.5]], [[0.2, 0.0], [1.0, 0.0], [0.0, 1.0]]]
    target = tmp_path / "net.json"
    target.write_text(json.dumps({"weights": weights, "activations": [{"name": "elu", "alpha": 0.7}, "leaky_relu(alpha=0.2)", "softmax"]}))
    network = load_network(target)
    assert [str(layer.activation) for layer in network.layers] == ["elu(alpha=0.7)", "leaky_relu(alpha=0.2)", "linear"]
    assert network.output_activation == "softmax"
    x = np.array([[0.3, -1.2], [-2.0, 0.4]])
    w = [np.array(m) for m in weights]
    h = x @ w[0][1:] + w[0][0]
    h = np.where(h > 0, h, 0.7 * np.expm1(h))
    h = h @ w[1][1:] + w[1][0]
    h = np.where(h >= 0, h, 0.2 * h)
    logits = h @ w[2][1:] + w[2][0]
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(network.forward(x), expected, rtol=1e-14)


def test_format_is_recognised_from_content_not_name(tmp_path: Path) -> None:
    target = tmp_path / "actually_json.onnx"
    target.write_text(json.dumps({"weights": [[[0.5], [2.0]]], "activations": ["tanh"]}))
    network = load_network(target)
    assert network.metadata["format"] == "weight-list"
    np.testing.assert_allclose(network.forward(np.array([[1.0]])), np.tanh([[2.5]]), rtol=1e-15)


def test_weight_list_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    """Windows editors start UTF-8 files with a BOM; the file is still a weight list, not ONNX."""
    target = tmp_path / "net.json"
    target.write_bytes(b"\xef\xbb\xbf" + b'{"weights": [[[0.5, -1.0], [2.0, 0.25]]], "activations": ["linear"]}')
    network = load_network(target)
    assert network.metadata["format"] == "weight-list"
    np.testing.assert_array_equal(network.forward(np.array([[1.0], [-2.0]])), [[2.5, -0.75], [-3.5, -1.5]])
