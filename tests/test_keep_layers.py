"""Hidden-neuron polynomials (``convert --keep-layers``, ``predict --layer``; issue 17, part 3).

Oracle: onnxruntime on a copy of the ONNX file whose output is the hidden tensor itself
(``restrict_to_output``), never polyx's reading of the network. The hidden layers' polynomials
must match those tensors as closely as the output polynomial matches the output (the layer's pooled
R² within 0.01 of the output's on the same rows, every neuron's R² ≥ 0.95), and the local Taylor polynomial must equal them exactly at the expansion point.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
from click.testing import CliRunner
from onnx import TensorProto, helper, numpy_helper

from polyx.cli.main import cli
from polyx.converters.onnx.outputs import restrict_to_output
from polyx.expansion.writers.artifact import load_polynomial
from polyx.expansion.methods.hidden_layers import load_layer


def _save(path: Path) -> Path:
    rng = np.random.default_rng(4)

    def c(name: str, value: np.ndarray) -> onnx.TensorProto:
        return numpy_helper.from_array(np.asarray(value, dtype=np.float64), name)

    nodes = [helper.make_node("Gemm", ["x", "w1", "b1"], ["h1"], transB=1), helper.make_node("Tanh", ["h1"], ["a1"]),
             helper.make_node("Gemm", ["a1", "w2", "b2"], ["h2"], transB=1), helper.make_node("Tanh", ["h2"], ["a2"]),
             helper.make_node("Gemm", ["a2", "w3", "b3"], ["y"], transB=1)]
    graph = helper.make_graph(nodes, "deep", [helper.make_tensor_value_info("x", TensorProto.DOUBLE, ["N", 3])],
                              [helper.make_tensor_value_info("y", TensorProto.DOUBLE, ["N", 1])],
                              [c("w1", rng.normal(size=(6, 3)) * 0.15), c("b1", rng.normal(size=6) * 0.1),
                               c("w2", rng.normal(size=(5, 6)) * 0.3), c("b2", rng.normal(size=5) * 0.1),
                               c("w3", rng.normal(size=(1, 5))), c("b3", [0.1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path.write_bytes(model.SerializeToString())
    return path


def _tensor(model: Path, name: str, rows: np.ndarray) -> np.ndarray:
    proto = onnx.load(str(model))
    restrict_to_output(proto, name)
    return onnxruntime.InferenceSession(proto.SerializeToString()).run(None, {"x": rows})[0]


def _r2(truth: np.ndarray, estimate: np.ndarray) -> np.ndarray:
    return 1 - ((truth - estimate) ** 2).sum(axis=0) / ((truth - truth.mean(axis=0)) ** 2).sum(axis=0)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("layers")
    rows = np.random.default_rng(5).normal(size=(300, 3))
    data = folder / "rows.csv"
    np.savetxt(data, rows, delimiter=",", header="x1,x2,x3", comments="", fmt="%.17g")
    return {"folder": folder, "model": _save(folder / "deep.onnx"), "data": data, "rows": rows}


def _convert(files: dict, *args: str) -> Path:
    out = files["folder"] / "deep.poly.json"
    result = CliRunner().invoke(cli, ["convert", str(files["model"]), "-o", str(out), "--keep-layers", *args])
    assert result.exit_code == 0, result.output
    assert "deep.layers.json" in result.output
    return out


def _pooled_r2(truth: np.ndarray, estimate: np.ndarray) -> float:
    return float(1 - ((truth - estimate) ** 2).sum() / ((truth - truth.mean(axis=0)) ** 2).sum())


def test_lsq_hidden_polynomials_match_the_hidden_tensors_like_the_output(files: dict) -> None:
    out = _convert(files, "-m", "lsq", "-q", "3", "--data", str(files["data"]))
    rows = files["rows"]
    output_r2 = _r2(_tensor(files["model"], "y", rows), load_polynomial(out).evaluate(rows)).min()
    assert output_r2 > 0.99
    for layer, tensor in (("layer1", "a1"), ("layer2", "a2")):
        hidden = load_layer(files["folder"] / "deep.layers.json", layer)
        truth, estimate = _tensor(files["model"], tensor, rows), hidden.evaluate(rows)
        # the layer as a whole as close as the output (R² within 0.01); every neuron ≥ 0.95 however little it varies
        assert _pooled_r2(truth, estimate) > output_r2 - 0.01 and _r2(truth, estimate).min() > 0.95, layer


def test_nn2poly_hidden_polynomials_are_the_ones_inside_the_output_expansion(files: dict) -> None:
    out = _convert(files, "-q", "4", "--data", str(files["data"]))
    output = load_polynomial(out)
    last = load_layer(out, "layer2")
    proto = onnx.load(str(files["model"]))
    weights = {t.name: numpy_helper.to_array(t) for t in proto.graph.initializer}
    # nn2poly does not expand a final linear layer: the output is w3 · (layer 2's polynomials) + b3, term by term
    np.testing.assert_array_equal(last.exponents, output.exponents)
    composed = weights["w3"] @ last.coefficients
    composed[:, 0] += weights["b3"]
    np.testing.assert_allclose(output.coefficients, composed, rtol=1e-12, atol=1e-14)
    rows = files["rows"]
    for layer, tensor in (("layer1", "a1"), ("layer2", "a2")):
        truth = _tensor(files["model"], tensor, rows)
        assert _pooled_r2(truth, load_layer(out, layer).evaluate(rows)) > 0.97, layer


def test_local_taylor_hidden_polynomials_are_exact_at_the_point(files: dict) -> None:
    out = _convert(files, "-m", "taylor", "-q", "3", "--at", "0.3,-0.2,0.5")
    point = np.array([[0.3, -0.2, 0.5]])
    for layer, tensor in (("layer1", "a1"), ("layer2", "a2")):
        hidden = load_layer(out, layer)  # found beside the artifact
        np.testing.assert_allclose(hidden.evaluate(point), _tensor(files["model"], tensor, point), rtol=0, atol=1e-13)
        near = point + 1e-3
        np.testing.assert_allclose(hidden.evaluate(near), _tensor(files["model"], tensor, near), rtol=0, atol=1e-10)


def test_predict_layer_writes_the_hidden_neurons(files: dict) -> None:
    out = _convert(files, "-q", "3")
    result = CliRunner().invoke(cli, ["predict", str(out), str(files["data"]), "--layer", "layer2"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == ",".join(f"layer2_{j}" for j in range(1, 6))
    expected = load_layer(files["folder"] / "deep.layers.json", "layer2").evaluate(files["rows"][:1])
    np.testing.assert_allclose([float(v) for v in lines[1].split(",")], expected[0], rtol=1e-15)
    layers = json.loads((files["folder"] / "deep.layers.json").read_text())
    assert [block["name"] for block in layers["layers"]] == ["layer1", "layer2"]
    assert [block["neurons"] for block in layers["layers"]] == [6, 5]


def test_unknown_layer_and_single_layer_network_are_one_line_errors(files: dict, tmp_path: Path) -> None:
    out = _convert(files, "-q", "2")
    result = CliRunner().invoke(cli, ["predict", str(out), str(files["data"]), "--layer", "layer7"])
    assert result.exit_code == 2 and "choose one of layer1, layer2" in result.stderr
