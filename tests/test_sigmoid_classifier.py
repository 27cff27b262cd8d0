"""Binary classifiers ending in a sigmoid (issue 17, part 4): logit or probability, classes at a threshold.

Oracles: the same network written without its final Sigmoid node (its polynomial must be the
--logits polynomial to the last bit, for nn2poly, taylor and lsq); onnxruntime's own probabilities
and the polynomial's values thresholded in numpy for the class agreement and the accuracy.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
from click.testing import CliRunner
from onnx import TensorProto, helper, numpy_helper

from polyx.cli.main import cli
from polyx.expansion.writers.artifact import load_polynomial


def _save(path: Path, sigmoid: bool) -> Path:
    rng = np.random.default_rng(0)

    def c(name: str, value: np.ndarray) -> onnx.TensorProto:
        return numpy_helper.from_array(np.asarray(value, dtype=np.float32), name)

    nodes = [helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], transB=1), helper.make_node("Tanh", ["h"], ["a"]),
             helper.make_node("Gemm", ["a", "w2", "b2"], ["l" if sigmoid else "p"], transB=1)]
    if sigmoid:
        nodes.append(helper.make_node("Sigmoid", ["l"], ["p"]))
    graph = helper.make_graph(nodes, "binary", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])],
                              [helper.make_tensor_value_info("p", TensorProto.FLOAT, ["N", 1])],
                              [c("w1", rng.normal(size=(8, 3)) * 0.25), c("b1", rng.normal(size=8) * 0.1),
                               c("w2", rng.normal(size=(1, 8)) * 1.5), c("b2", [0.2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path.write_bytes(model.SerializeToString())
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("sigmoid")
    rows = np.random.default_rng(1).normal(size=(400, 3))
    probability = onnxruntime.InferenceSession(str(_save(folder / "clf.onnx", True))).run(
        None, {"x": rows.astype(np.float32)})[0][:, 0].astype(np.float64)
    labels = (np.random.default_rng(2).uniform(size=400) < probability).astype(int)
    data = folder / "rows.csv"
    np.savetxt(data, np.c_[rows, labels], delimiter=",", header="x1,x2,x3,label", comments="", fmt="%.17g")
    return {"folder": folder, "clf": folder / "clf.onnx", "logit_model": _save(folder / "logit.onnx", False),
            "data": data, "rows": rows, "labels": labels, "probability": probability}


def _convert(files: dict, model: Path, name: str, *args: str) -> Path:
    out = files["folder"] / name
    result = CliRunner().invoke(cli, ["convert", str(model), "-o", str(out), *args])
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("method", [("-m", "nn2poly", "-q", "3"), ("-m", "taylor", "-q", "3", "--at", "0.1,0,-0.2"),
                                    ("-m", "lsq", "-q", "2")])
def test_logits_is_the_network_without_its_sigmoid(files: dict, method: tuple) -> None:
    logit = load_polynomial(_convert(files, files["clf"], "logit.json", *method, "--logits"))
    reference = load_polynomial(_convert(files, files["logit_model"], "reference.json", *method))
    np.testing.assert_array_equal(logit.exponents, reference.exponents)
    np.testing.assert_allclose(logit.coefficients, reference.coefficients, rtol=1e-12, atol=1e-14)
    assert logit.method["output_space"] == "logits" and logit.provenance["output_activation"] == "sigmoid"


def test_without_logits_the_probability_is_expanded(files: dict) -> None:
    poly = load_polynomial(_convert(files, files["clf"], "probability.json", "-q", "3"))
    assert poly.method["output_space"] == "probabilities"
    rows = files["rows"][:50] * 0.1  # near 0, where the Taylor polynomial of σ(logit) is accurate
    session = onnxruntime.InferenceSession(str(files["clf"]))
    truth = session.run(None, {"x": rows.astype(np.float32)})[0][:, 0]
    np.testing.assert_allclose(poly.evaluate(rows)[:, 0], truth, atol=1e-3)


@pytest.mark.parametrize("threshold", [0.5, 0.3])
def test_verify_compares_classes_at_the_threshold(files: dict, threshold: float) -> None:
    path = _convert(files, files["clf"], "clf.poly.json", "-q", "3", "--logits")
    poly = load_polynomial(path)
    result = CliRunner().invoke(cli, ["verify", str(files["data"]), "--poly", str(path), "--model", str(files["clf"]),
                                      "--target", "label", "--threshold", str(threshold), "--json", "--no-default-gate"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    network_class = files["probability"] >= threshold
    poly_class = poly.evaluate(files["rows"])[:, 0] >= math.log(threshold / (1 - threshold))
    assert report["classification"]["argmax_agreement"]["agreeing"] == int((network_class == poly_class).sum())
    assert report["compared"] == "logits"
    assert report["target"]["network"]["agreeing"] == int((network_class == files["labels"]).sum())
    assert report["target"]["polynomial"]["agreeing"] == int((poly_class == files["labels"]).sum())
    assert any(f"≥ {threshold:g}" in note for note in report["notes"])


def test_threshold_on_a_model_without_sigmoid_is_refused(files: dict) -> None:
    path = _convert(files, files["logit_model"], "plain.poly.json", "-q", "2")
    result = CliRunner().invoke(cli, ["verify", str(files["data"]), "--poly", str(path), "--model",
                                      str(files["logit_model"]), "--exclude", "label", "--threshold", "0.5"])
    assert result.exit_code == 2 and "--threshold applies to a binary classifier" in result.stderr


def test_threshold_must_be_a_probability(files: dict) -> None:
    result = CliRunner().invoke(cli, ["verify", str(files["data"]), "--threshold", "1"])
    assert result.exit_code == 2 and "--threshold" in result.stderr
