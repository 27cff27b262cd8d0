"""Real graph exports (sample_models/graphs: torch TorchScript and dynamo, skl2onnx) end to end.

Oracles: the framework's own float64 outputs stored in the manifest (torch on a float64 copy of
the float32 weights, scikit-learn's predict_proba), onnxruntime on the same file, and one-pixel
perturbations of the digits CNN run by onnxruntime (HOPE's Fig. 7 check of its heat maps).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from polyx import load_network
from polyx.cli.main import cli
from polyx.converters.onnx.runtime import OnnxRunner
from polyx.expansion.methods.expand import expand

GRAPHS = Path(__file__).resolve().parent.parent / "sample_models" / "graphs"
MANIFEST = json.loads((GRAPHS / "manifest.json").read_text())["models"]
DIGITS = np.loadtxt(GRAPHS / "digits.csv", delimiter=",", skiprows=1)


@pytest.mark.parametrize("entry", MANIFEST, ids=lambda entry: entry["file"])
def test_sample_matches_framework_and_onnxruntime(entry) -> None:
    """float32 weights evaluated in float64 on both sides: within 1e-9 of the framework (scaled), or
    1e-5 where the framework itself computed in float32 (Keras); onnxruntime computes in float32:
    within 1e-5."""
    network = load_network(GRAPHS / entry["file"])
    x = np.asarray(entry["check"]["inputs"], dtype=np.float64)
    framework = np.asarray(entry["check"]["outputs"], dtype=np.float64)
    got = network.forward(x).reshape(framework.shape)
    tolerance = 1e-5 if entry.get("oracle_dtype") == "float32" else 1e-9
    assert np.abs(got - framework).max() <= tolerance * max(1.0, np.abs(framework).max())
    ort = OnnxRunner(GRAPHS / entry["file"]).run(x).reshape(framework.shape)
    assert np.abs(got - ort).max() <= 1e-5 * max(1.0, np.abs(ort).max())


PAIRS = sorted({entry["file"].split("_", 2)[2] for entry in MANIFEST if entry["file"].startswith("pt_dyn18")})


@pytest.mark.parametrize("model", PAIRS)
def test_torchscript_and_dynamo_give_the_same_taylor_polynomial(model: str) -> None:
    """Two exporters write the same network in different node patterns; the polynomial must not care
    (both exact to float64 rounding: 1e-12 relative to the largest coefficient)."""
    polynomials = []
    for prefix in ("pt_ts17", "pt_dyn18"):
        network = load_network(GRAPHS / f"{prefix}_{model}")
        point = np.random.default_rng(3).normal(scale=0.3, size=network.input_size)
        terms = "diagonal" if network.input_size > 20 else "all"
        polynomials.append(expand(network, "taylor", 3, at=point, terms=terms, validity_samples=0).coefficients)
    assert np.abs(polynomials[0] - polynomials[1]).max() <= 1e-12 * np.abs(polynomials[0]).max()


def test_taylor_of_a_maxpool_cnn_is_exact_near_the_point() -> None:
    """ReLU + max-pool are piecewise linear: the order-1 polynomial equals the network inside the
    reported kink distance (checked with onnxruntime at points inside it)."""
    path = GRAPHS / "pt_ts17_maxpool_cnn.onnx"
    network = load_network(path)
    point = DIGITS[5, :64]
    polynomial = expand(network, "taylor", 1, at=point, validity_samples=0)
    radius = polynomial.diagnostics["kinks"]["distance"]
    assert polynomial.diagnostics["kinks"]["exact"] and radius > 0
    rng = np.random.default_rng(0)
    directions = rng.normal(size=(20, 64))
    inside = point + 0.9 * radius * directions / np.linalg.norm(directions, axis=1, keepdims=True)
    np.testing.assert_allclose(polynomial.evaluate(inside), network.forward(inside), rtol=0, atol=1e-12)
    np.testing.assert_allclose(polynomial.evaluate(inside), OnnxRunner(path).run(inside), rtol=0, atol=1e-5)


def test_hope_digits_heat_maps_match_one_pixel_perturbations() -> None:
    """HOPE's MNIST experiment on the 8×8 digits CNN: the unmixed order-10 expansion at an image,
    per class. Its per-pixel series Σ_k a_ik δ^k must predict what onnxruntime gives when pixel i
    alone moves by δ (float32 network: within 2e-5 absolute); the first-order heat map ranks the
    pixels as the perturbation does."""
    path = GRAPHS / "pt_ts17_digits_cnn.onnx"
    network = load_network(path)
    image = DIGITS[0, :64]
    polynomial = expand(network, "taylor", 10, at=image, centered=True, terms="diagonal", validity_samples=0)
    terms = polynomial.coefficients[:, 1:].reshape(10, 10, 64)  # (classes, order k, pixel)
    delta = 0.25
    predicted = sum(terms[:, k - 1, :] * delta**k for k in range(1, 11))  # (classes, pixels)
    moved = image[None, :] + delta * np.eye(64)
    runner = OnnxRunner(path)
    actual = (runner.run(moved) - runner.run(image[None, :])).T
    assert np.abs(predicted - actual).max() <= 2e-5
    heat, effect = np.abs(terms[:, 0, :]), np.abs(actual)
    for cls in range(10):
        assert np.corrcoef(heat[cls], effect[cls])[0, 1] > 0.9


def test_cli_convert_verify_and_heatmap_on_the_digits_cnn(tmp_path) -> None:
    runner = CliRunner()
    artifact = tmp_path / "digits.poly.json"
    result = runner.invoke(cli, ["convert", str(GRAPHS / "pt_dyn18_digits_cnn.onnx"), "-m", "taylor", "--terms",
                                 "diagonal", "-q", "6", "--at-row", f"{GRAPHS / 'digits.csv'}:1", "--exclude", "y",
                                 "-o", str(artifact)])
    assert result.exit_code == 0, result.output
    picture = tmp_path / "heat.png"
    result = runner.invoke(cli, ["plot", str(artifact), "--kind", "heatmap", "-o", str(picture)])
    assert result.exit_code == 0, result.output
    assert picture.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("name", ["sk_mlp_clf3.onnx", "sk_mlp_clf3_zipmap.onnx", "sk_mlp_binary.onnx"])
def test_sklearn_classifiers_verify_end_to_end(name: str, tmp_path) -> None:
    """convert (lsq under the data's Gaussian) then verify against onnxruntime's probabilities output."""
    rng = np.random.default_rng(0)
    data = tmp_path / "rows.csv"
    np.savetxt(data, rng.normal(size=(400, 4)), delimiter=",", header="x1,x2,x3,x4", comments="")
    artifact = tmp_path / "clf.poly.json"
    runner = CliRunner()
    result = runner.invoke(cli, ["convert", str(GRAPHS / name), "-m", "taylor", "-q", "3", "--at-mean", str(data),
                                 "-o", str(artifact)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["verify", str(data), "--poly", str(artifact), "--model", str(GRAPHS / name)])
    assert result.exit_code in (0, 1), result.output
    assert "probabilities" in result.output or "rows" in result.output


def test_model_output_picks_one_of_several_outputs_end_to_end(tmp_path) -> None:
    """A file with two float outputs is refused without --model-output; with it, convert expands that
    output and verify compares with the same output of the file (through the artifact's provenance):
    the exact order-1 Taylor polynomial of a linear output matches onnxruntime to float32 rounding."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.normal(size=shape).astype(np.float32), name)
             for name, shape in (("W", (4, 3)), ("b", (4,)), ("W2", (2, 4)), ("b2", (2,)))]
    nodes = [helper.make_node("Gemm", ["x", "W", "b"], ["h"], transB=1), helper.make_node("Tanh", ["h"], ["t"]),
             helper.make_node("Gemm", ["t", "W2", "b2"], ["y"], transB=1)]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2]),
                               helper.make_tensor_value_info("h", TensorProto.FLOAT, ["N", 4])], inits)
    model = tmp_path / "two.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), str(model))
    data = tmp_path / "rows.csv"
    np.savetxt(data, rng.normal(size=(50, 3)), delimiter=",", header="x1,x2,x3", comments="")
    runner = CliRunner()
    refused = runner.invoke(cli, ["inspect", str(model)])
    assert refused.exit_code == 2 and "choose it with --model-output" in refused.stderr
    artifact = tmp_path / "h.poly.json"
    result = runner.invoke(cli, ["convert", str(model), "--model-output", "h", "-m", "taylor", "--at", "0,0,0",
                                 "-q", "1", "-o", str(artifact)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["verify", str(data), "--poly", str(artifact), "--max-abs", "1e-5", "--json"])
    assert result.exit_code == 0, result.output + result.stderr


def test_keep_layers_on_a_graph_matches_the_exposed_onnx_tensor(tmp_path) -> None:
    """--keep-layers on a graph writes one polynomial per hidden non-linear node. A bilinear layer's
    product node is exactly quadratic, so its order-2 Taylor polynomial must equal the ONNX Mul
    output that onnxruntime computes when that tensor is made the model's output (float32: 1e-5)."""
    import onnx
    import onnxruntime

    from polyx.converters.onnx.outputs import restrict_to_output
    from polyx.expansion.methods.hidden_layers import load_layer

    path = GRAPHS / "pt_ts17_bilinear.onnx"
    artifact = tmp_path / "b.poly.json"
    result = CliRunner().invoke(cli, ["convert", str(path), "-m", "taylor", "--at", "0.2,-0.1,0.3", "-q", "2",
                                      "--keep-layers", "-o", str(artifact)])
    assert result.exit_code == 0, result.output
    layers = json.loads((tmp_path / "b.layers.json").read_text())["layers"]
    assert [(layer["activation"].split()[0], layer["neurons"]) for layer in layers] == [("product", 4)]
    model = onnx.load(str(path))
    restrict_to_output(model, next(node for node in model.graph.node if node.op_type == "Mul").output[0])
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32)
    exposed = session.run(None, {session.get_inputs()[0].name: x})[0]
    hidden = load_layer(tmp_path / "b.layers.json", layers[0]["name"]).evaluate(x.astype(np.float64))
    assert np.abs(hidden - exposed).max() <= 1e-5 * max(1.0, np.abs(exposed).max())
