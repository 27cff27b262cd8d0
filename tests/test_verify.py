"""``polyx.verification``: the network (onnxruntime) against a polynomial on a CSV, as a library.

Oracles: onnxruntime run directly on the whole array (not through polyx), polynomials evaluated
by an explicit product over exponents written here, and numpy metrics on the whole arrays.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper

from oracles import explicit_values
from polyx.errors import ArtifactError, DataError, ModelLoadError
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.gates import Gate
from polyx.reference import ReferenceNetwork
from polyx.verification import find_polynomial, resolve_model, verify_polynomial
from test_verify_metrics import RELATIVE, numpy_metrics

SAMPLES = Path(__file__).resolve().parent.parent / "sample_models"
# Both sides are float64 sums of the same values in different orders (see test_verify_metrics.py).
STREAMED = RELATIVE


def mlp_onnx(
    path: Path,
    layers: list[tuple[np.ndarray, np.ndarray, str | None]],
    *,
    softmax: bool | str = False,
    batch: int | str = "N",
    dtype: int = TensorProto.FLOAT,
    opset: int = 13,
) -> Path:
    """A Gemm/activation chain (optionally ending in Softmax, or the op ``softmax`` names) written with onnx.helper."""
    numpy_type = np.float32 if dtype == TensorProto.FLOAT else np.float64
    nodes, inits, tensor = [], [], "x"
    for index, (weight, bias, activation) in enumerate(layers):
        inits += [numpy_helper.from_array(weight.astype(numpy_type), f"W{index}"),
                  numpy_helper.from_array(bias.astype(numpy_type), f"b{index}")]
        nodes.append(helper.make_node("Gemm", [tensor, f"W{index}", f"b{index}"], [f"z{index}"], transB=1))
        tensor = f"z{index}"
        if activation:
            nodes.append(helper.make_node(activation, [tensor], [f"h{index}"]))
            tensor = f"h{index}"
    if softmax:
        nodes.append(helper.make_node("Softmax" if softmax is True else softmax, [tensor], ["probs"]))
        tensor = "probs"
    nodes.append(helper.make_node("Identity", [tensor], ["y"]))
    inputs = [helper.make_tensor_value_info("x", dtype, [batch, layers[0][0].shape[1]])]
    outputs = [helper.make_tensor_value_info("y", dtype, [batch, layers[-1][0].shape[0]])]
    graph = helper.make_graph(nodes, "mlp", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def ort_outputs(path: Path, x: np.ndarray) -> np.ndarray:
    """onnxruntime on the whole array at once: the oracle for the network side."""
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feed = session.get_inputs()[0]
    dtype = np.float64 if feed.type == "tensor(double)" else np.float32
    return np.asarray(session.run(None, {feed.name: x.astype(dtype)})[0], dtype=np.float64)


def graded_exponents(n_vars: int, degree: int) -> np.ndarray:
    """Every exponent vector up to total degree ``degree`` (order does not matter to the oracle)."""
    rows = [e for d in range(degree + 1) for e in itertools.product(range(d + 1), repeat=n_vars) if sum(e) == d]
    return np.array(rows, dtype=np.int64)


def least_squares_polynomial(x: np.ndarray, y: np.ndarray, degree: int, **fields: dict) -> Polynomial:
    """The degree-``degree`` least-squares fit of y on x: a good, inexact polynomial for a network."""
    exponents = graded_exponents(x.shape[1], degree)
    design = np.prod(x[:, None, :] ** exponents[None, :, :], axis=2)
    coefficients = np.linalg.lstsq(design, y, rcond=None)[0].T
    names = tuple(f"x{i + 1}" for i in range(x.shape[1]))
    return Polynomial(names, tuple(f"y{j + 1}" for j in range(y.shape[1])), exponents, coefficients, **fields)


def write_csv(path: Path, header: list[str], rows: np.ndarray) -> Path:
    np.savetxt(path, rows, delimiter=",", header=",".join(header), comments="", fmt="%.17g")
    return path


def assert_metrics_equal(report_outputs: list, expected: dict[str, np.ndarray]) -> None:
    for k, metrics in enumerate(report_outputs):
        for name, values in expected.items():
            assert getattr(metrics, name) == pytest.approx(values[k], rel=STREAMED), (metrics.name, name)


@pytest.fixture
def tanh_network(tmp_path: Path) -> tuple[Path, np.ndarray]:
    rng = np.random.default_rng(7)
    layers = [(rng.normal(scale=0.5, size=(6, 3)), rng.normal(scale=0.1, size=6), "Tanh"),
              (rng.normal(scale=0.5, size=(2, 6)), rng.normal(scale=0.1, size=2), None)]
    x = rng.uniform(-1, 1, size=(1500, 3))
    return mlp_onnx(tmp_path / "tanh.onnx", layers), x


def test_report_equals_numpy_on_whole_arrays_for_many_small_chunks(tanh_network, tmp_path: Path) -> None:
    model, x = tanh_network
    network = ort_outputs(model, x)
    poly = least_squares_polynomial(x, network, 3)
    data = write_csv(tmp_path / "d.csv", ["x1", "x2", "x3"], x)
    report = verify_polynomial(poly, model, data, chunk_rows=97)
    expected_poly = explicit_values(poly.exponents, poly.coefficients, np.loadtxt(data, delimiter=",", skiprows=1))
    assert report.compared == "outputs"
    assert report.data["rows"] == 1500
    assert_metrics_equal(report.outputs, numpy_metrics(expected_poly, network))
    worst = np.abs(expected_poly - network).argmax(axis=0)
    assert [m.worst_line for m in report.outputs] == list(worst + 2)


def test_exact_linear_polynomial_passes_and_truncated_one_fails(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    weight, bias = rng.normal(size=(1, 4)), rng.normal(size=1)
    model = mlp_onnx(tmp_path / "lin.onnx", [(weight, bias, None)], dtype=TensorProto.DOUBLE)
    data = write_csv(tmp_path / "d.csv", ["a", "b", "c", "d"], rng.normal(size=(300, 4)))
    exponents = np.vstack([np.zeros(4, dtype=int), np.eye(4, dtype=int)])
    exact = Polynomial(("a", "b", "c", "d"), ("y",), exponents, np.concatenate([bias, weight[0]]))
    gates = [Gate("max_abs", 1e-12), Gate("r2", 0.999999)]
    # float64 model: ONNX Runtime's Gemm and the polynomial differ only by rounding (~1e-15).
    assert verify_polynomial(exact, model, data, gates=gates).passed
    truncated = exact.with_terms(np.array([True, True, True, False, False]))
    report = verify_polynomial(truncated, model, data, gates=gates)
    assert not report.passed
    assert {(g.metric, g.passed) for g in report.gates} == {("nonfinite_rows", True), ("max_abs", False), ("r2", False)}


def test_softmax_classifier_compares_logits_then_probabilities(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    layers = [(rng.normal(size=(5, 2)), rng.normal(size=5), "Tanh"), (rng.normal(size=(3, 5)), rng.normal(size=3), None)]
    model = mlp_onnx(tmp_path / "clf.onnx", layers, softmax=True)
    logits_model = mlp_onnx(tmp_path / "logits.onnx", layers)
    x = rng.uniform(-1, 1, size=(800, 2))
    labels = ort_outputs(model, x).argmax(axis=1)
    labels[:40] = (labels[:40] + 1) % 3  # a truth column the network gets 95% right
    data = write_csv(tmp_path / "d.csv", ["x1", "x2", "label"], np.column_stack([x, labels]))
    logits = ort_outputs(logits_model, x)
    poly = least_squares_polynomial(x, logits, 2)
    report = verify_polynomial(poly, model, data, target="label", gates=[Gate("argmax_agreement", 0.5)])
    values = explicit_values(poly.exponents, poly.coefficients, x)
    probabilities = np.exp(values) / np.exp(values).sum(axis=1, keepdims=True)
    assert report.compared == "logits"
    assert_metrics_equal(report.outputs, numpy_metrics(values, logits))
    secondary = numpy_metrics(probabilities, ort_outputs(model, x))
    for k, block in enumerate(report.secondary["outputs"]):
        assert block["rmse"] == pytest.approx(secondary["rmse"][k], rel=STREAMED)
    agreement = np.mean(values.argmax(axis=1) == ort_outputs(model, x).argmax(axis=1))
    assert report.classification["argmax_agreement"]["rate"] == pytest.approx(agreement, rel=STREAMED)
    assert report.target["network"]["rate"] == pytest.approx(0.95, rel=STREAMED)
    assert report.target["polynomial"]["rate"] == pytest.approx(np.mean(values.argmax(axis=1) == labels), rel=STREAMED)
    gated = verify_polynomial(poly, model, data, exclude=["label"], compare="probabilities")
    assert gated.compared == "probabilities" and gated.secondary["compared"] == "logits"
    assert gated.outputs[0].rmse == pytest.approx(secondary["rmse"][0], rel=STREAMED)


def test_log_softmax_classifier_compares_logits_then_probabilities(tmp_path: Path) -> None:
    """A network ending in LogSoftmax (torch's NLLLoss classifiers): its logits are read from the file,
    and its log-probabilities, exponentiated, are the probabilities the softmax of the polynomial meets."""
    rng = np.random.default_rng(5)
    layers = [(rng.normal(size=(6, 3)), rng.normal(size=6), "Tanh"), (rng.normal(size=(4, 6)), rng.normal(size=4), None)]
    model = mlp_onnx(tmp_path / "nll.onnx", layers, softmax="LogSoftmax")
    logits_model = mlp_onnx(tmp_path / "logits.onnx", layers)
    x = rng.uniform(-1, 1, size=(600, 3))
    data = write_csv(tmp_path / "d.csv", ["x1", "x2", "x3"], x)
    logits = ort_outputs(logits_model, x)
    poly = least_squares_polynomial(x, logits, 2)
    report = verify_polynomial(poly, model, data)
    values = explicit_values(poly.exponents, poly.coefficients, x)
    probabilities = np.exp(values) / np.exp(values).sum(axis=1, keepdims=True)
    assert report.compared == "logits" and report.secondary["compared"] == "probabilities"
    assert_metrics_equal(report.outputs, numpy_metrics(values, logits))
    secondary = numpy_metrics(probabilities, np.exp(ort_outputs(model, x)))
    for k, block in enumerate(report.secondary["outputs"]):
        assert block["rmse"] == pytest.approx(secondary["rmse"][k], rel=STREAMED)


def test_classifier_target_must_hold_class_numbers(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    layers = [(rng.normal(size=(3, 2)), rng.normal(size=3), None)]
    model = mlp_onnx(tmp_path / "clf.onnx", layers, softmax=True)
    rows = np.column_stack([rng.normal(size=(5, 2)), [0, 1, 2, 1.5, 0]])
    data = write_csv(tmp_path / "d.csv", ["x1", "x2", "label"], rows)
    poly = least_squares_polynomial(rows[:, :2], rows[:, :2] @ layers[0][0].T, 1)
    with pytest.raises(DataError, match=r"line 5, column 'label': 1.5 is not a class index 0..2"):
        verify_polynomial(poly, model, data, target="label")


def test_regression_target_scores_both_models(tanh_network, tmp_path: Path) -> None:
    model, x = tanh_network
    rng = np.random.default_rng(5)
    weight, bias = rng.normal(size=(1, 3)), rng.normal(size=1)
    single = mlp_onnx(tmp_path / "one.onnx", [(weight, bias, "Tanh")])
    truth = np.tanh(x @ weight.T + bias)[:, 0] + rng.normal(scale=0.01, size=x.shape[0])
    data = write_csv(tmp_path / "d.csv", ["x1", "x2", "x3", "y"], np.column_stack([x, truth]))
    network = ort_outputs(single, x)
    poly = least_squares_polynomial(x, network, 3)
    report = verify_polynomial(poly, single, data, target="y", chunk_rows=256)
    expected_network = numpy_metrics(network, truth[:, None])
    expected_poly = numpy_metrics(explicit_values(poly.exponents, poly.coefficients, x), truth[:, None])
    for name in ("mae", "rmse", "r2"):
        assert report.target["network"][name] == pytest.approx(expected_network[name][0], rel=STREAMED)
        assert report.target["polynomial"][name] == pytest.approx(expected_poly[name][0], rel=STREAMED)
    with pytest.raises(DataError, match="one truth column cannot score 2 regression outputs"):
        verify_polynomial(least_squares_polynomial(x, ort_outputs(model, x), 1), model, data, target="y")


def test_fixed_batch_model_gives_the_same_report_as_a_dynamic_one(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    layers = [(rng.normal(size=(4, 3)), rng.normal(size=4), "Sigmoid"), (rng.normal(size=(1, 4)), rng.normal(size=1), None)]
    dynamic = mlp_onnx(tmp_path / "dyn.onnx", layers)
    fixed = mlp_onnx(tmp_path / "fixed.onnx", layers, batch=4)
    x = rng.normal(size=(103, 3))  # not a multiple of 4: the last batch is padded
    data = write_csv(tmp_path / "d.csv", ["x1", "x2", "x3"], x)
    poly = least_squares_polynomial(x, ort_outputs(dynamic, x), 2)
    padded = np.vstack([x, np.zeros((1, 3))])  # the oracle feeds onnxruntime the batches of 4 the file requires
    network = np.concatenate([ort_outputs(fixed, padded[i : i + 4]) for i in range(0, 104, 4)])[:103]
    report = verify_polynomial(poly, fixed, data, chunk_rows=10)
    assert report.model["fixed_batch"] == 4
    assert_metrics_equal(report.outputs, numpy_metrics(explicit_values(poly.exponents, poly.coefficients, x), network))
    assert any("fixed batch size of 4" in note for note in report.notes)


def test_real_fixed_batch_sample(tmp_path: Path) -> None:
    model = SAMPLES / "pt_dyn20_default_seq_relu_4-8-8-1_batch2.onnx"
    x = np.random.default_rng(8).uniform(-1, 1, size=(51, 4))
    data = write_csv(tmp_path / "d.csv", ["x1", "x2", "x3", "x4"], x)
    padded = np.vstack([x, np.zeros((1, 4))])  # the oracle feeds onnxruntime the batches of 2 it requires
    network = np.concatenate([ort_outputs(model, padded[i : i + 2]) for i in range(0, 52, 2)])[:51]
    poly = least_squares_polynomial(x, network, 2)
    report = verify_polynomial(poly, model, data, chunk_rows=5)
    assert report.model["fixed_batch"] == 2 and report.data["rows"] == 51
    assert_metrics_equal(report.outputs, numpy_metrics(explicit_values(poly.exponents, poly.coefficients, x), network))


@pytest.mark.parametrize("opset", [11, 13])
def test_softmax_found_through_identity_at_every_opset(tmp_path: Path, opset: int) -> None:
    rng = np.random.default_rng(opset)
    layers = [(rng.normal(size=(3, 2)), rng.normal(size=3), None)]
    network = ReferenceNetwork(mlp_onnx(tmp_path / "m.onnx", layers, softmax=True, opset=opset))
    x = rng.normal(size=(9, 2))
    assert network.ends_in_softmax
    np.testing.assert_allclose(network.logits(x), x @ layers[0][0].T + layers[0][1], rtol=1e-5, atol=1e-5)
    assert not ReferenceNetwork(mlp_onnx(tmp_path / "r.onnx", layers)).ends_in_softmax


@pytest.mark.parametrize("name", ["pt_ts17_seq_softmax_4-8-8-3.onnx", "k3tf_exp15_seq_relu_softmax_4-8-3.onnx",
                                  "k3_t2o15_seq_tanh_4-8-1.onnx"])
def test_loader_names_the_softmax_input_as_the_file_has_it(name: str) -> None:
    """Oracle: the protobuf itself, the input of its (only) Softmax node."""
    from polyx import load_network

    path = SAMPLES / name
    softmax = [node.input[0] for node in onnx.load(str(path)).graph.node if node.op_type == "Softmax"]
    assert load_network(path).metadata["logits_tensor"] == (softmax[0] if softmax else None)


def test_a_file_the_loader_cannot_represent_still_runs_without_logits(tmp_path: Path) -> None:
    """An exported polynomial (Gather/Mul graph) is no dense chain, yet onnxruntime runs it for verification."""
    from polyx.expansion.writers.onnx_export import export_polynomial
    from polyx.expansion.writers.artifact import save_polynomial

    poly = Polynomial(("x1", "x2"), ("y1",), [[0, 0], [1, 0], [1, 1]], [[1.0, 2.0, -3.0]], method={"name": "manual"},
                      provenance={"input_name": "x", "output_name": "y", "input_shape": [2]})
    exported = export_polynomial(save_polynomial(poly, tmp_path / "p.json"), tmp_path / "p.onnx", dtype="float64")
    network = ReferenceNetwork(exported.path)
    x = np.array([[0.5, -1.0], [2.0, 3.0]])
    assert not network.ends_in_softmax
    np.testing.assert_allclose(network.outputs(x)[:, 0], 1 + 2 * x[:, 0] - 3 * x[:, 0] * x[:, 1], rtol=1e-15)


def test_shape_mismatch_between_polynomial_and_model(tanh_network, tmp_path: Path) -> None:
    model, x = tanh_network
    data = write_csv(tmp_path / "d.csv", ["x1", "x2", "x3"], x)
    poly = least_squares_polynomial(x, ort_outputs(model, x)[:, :1], 1)
    with pytest.raises(ArtifactError, match="maps 3 inputs to 1 outputs but .* maps 3 to 2"):
        verify_polynomial(poly, model, data)


def test_polynomial_candidates(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match=r"no \*.poly.json file in"):
        find_polynomial(tmp_path)
    (tmp_path / "a.poly.json").write_text("{}")
    assert find_polynomial(tmp_path) == tmp_path / "a.poly.json"
    (tmp_path / "b.poly.json").write_text("{}")
    with pytest.raises(ArtifactError, match=r"several polynomials in .* \(a.poly.json, b.poly.json\); choose one with `poly`"):
        find_polynomial(tmp_path)


def test_model_is_found_beside_the_polynomial_and_checked_by_sha256(tmp_path: Path) -> None:
    import hashlib

    folder = tmp_path / "artifacts"
    folder.mkdir()
    model = folder / "m.onnx"
    model.write_bytes(b"model bytes")
    digest = hashlib.sha256(b"model bytes").hexdigest()
    poly_path = folder / "m.poly.json"
    assert resolve_model({"source": "m.onnx", "sha256": digest}, poly_path, None) == (model, digest)
    with pytest.raises(ModelLoadError, match="changed since m.poly.json was made"):
        resolve_model({"source": "m.onnx", "sha256": "0" * 64}, poly_path, None)
    assert resolve_model({"source": "m.onnx", "sha256": "0" * 64}, poly_path, model) == (model, "0" * 64)
    with pytest.raises(ModelLoadError, match="source model 'gone.onnx' is not at"):
        resolve_model({"source": "gone.onnx"}, poly_path, None)
    with pytest.raises(ArtifactError, match="names no source model; pass `model`"):
        resolve_model({}, poly_path, None)


def test_the_model_is_hashed_once_per_verify_and_again_when_it_changes(tanh_linear_fit, monkeypatch) -> None:
    import hashlib

    from polyx import files
    from polyx.expansion.writers.artifact import save_polynomial
    from polyx.verification import verify

    model, data, fit = tanh_linear_fit
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    poly = Polynomial(fit.variables, fit.outputs, fit.exponents, fit.coefficients, method={"name": "fit"},
                      provenance={"source": str(model), "sha256": digest})
    poly_path = save_polynomial(poly, data.parent / "m.poly.json")
    calls: list[int] = []
    sha256 = hashlib.sha256
    monkeypatch.setattr(files.hashlib, "sha256", lambda: calls.append(1) or sha256())
    files._sha256.cache_clear()
    report = verify(data, poly_path)
    assert len(calls) == 1 and report.model["sha256"] == digest and report.model["sha256_matches"]
    model.write_bytes(model.read_bytes() + b"\0")
    assert files.file_sha256(model) == hashlib.new("sha256", model.read_bytes()).hexdigest() and len(calls) == 2


def test_overflowing_polynomial_fails_the_finite_gate_and_the_report_stays_valid_json(tmp_path: Path) -> None:
    import json

    rng = np.random.default_rng(9)
    model = mlp_onnx(tmp_path / "lin.onnx", [(rng.normal(size=(1, 2)), rng.normal(size=1), None)])
    x = np.array([[0.5, 0.5], [10.0, 0.0], [0.1, 0.2]])
    data = write_csv(tmp_path / "d.csv", ["x1", "x2"], x)
    # 1e308·x1³ overflows to inf at x1 = 10 only: one row of three.
    poly = Polynomial(("x1", "x2"), ("y",), [[0, 0], [3, 0]], [[0.0, 1e308]])
    report = verify_polynomial(poly, model, data, gates=[Gate("max_abs", 1e308)])
    assert report.outputs[0].nonfinite_rows == 1 and report.outputs[0].rows == 2
    assert report.outputs[0].max_abs == pytest.approx(1.25e307, rel=1e-12)
    assert report.outputs[0].rmse is None  # (1.25e307)² overflows: undefined, not inf
    assert [(g.metric, g.passed) for g in report.gates] == [("nonfinite_rows", False), ("max_abs", True)]
    assert json.loads(report.to_json())["passed"] is False


def test_declared_probability_polynomial_is_compared_without_softmax(tmp_path: Path) -> None:
    rng = np.random.default_rng(10)
    layers = [(rng.normal(size=(3, 2)), rng.normal(size=3), None)]
    model = mlp_onnx(tmp_path / "clf.onnx", layers, softmax=True)
    x = rng.uniform(-1, 1, size=(400, 2))
    data = write_csv(tmp_path / "d.csv", ["x1", "x2"], x)
    probabilities = ort_outputs(model, x)
    poly = least_squares_polynomial(x, probabilities, 2, method={"name": "fit", "output_space": "probabilities"})
    report = verify_polynomial(poly, model, data)
    assert (report.compared, report.secondary) == ("probabilities", None)
    assert_metrics_equal(report.outputs, numpy_metrics(explicit_values(poly.exponents, poly.coefficients, x), probabilities))
    with pytest.raises(DataError, match="`compare` logits: the polynomial stands for probabilities"):
        verify_polynomial(poly, model, data, compare="logits")


@pytest.fixture
def tanh_linear_fit(tanh_network, tmp_path: Path) -> tuple[Path, Path, Polynomial]:
    """(model, CSV, degree-1 fit): a quick, inexact polynomial for checks that need any."""
    model, x = tanh_network
    data = write_csv(tmp_path / "d.csv", ["x1", "x2", "x3"], x)
    return model, data, least_squares_polynomial(x, ort_outputs(model, x), 1)


def test_compare_applies_only_to_softmax_networks(tanh_linear_fit) -> None:
    model, data, poly = tanh_linear_fit
    with pytest.raises(DataError, match="does not end in softmax; drop `compare`"):
        verify_polynomial(poly, model, data, compare="probabilities")


def test_progress_reaches_the_file_size(tanh_linear_fit) -> None:
    model, data, poly = tanh_linear_fit
    seen: list[tuple[int, int]] = []
    verify_polynomial(poly, model, data, chunk_rows=500, progress=lambda done, total: seen.append((done, total)))
    size = data.stat().st_size
    assert len(seen) == 3 and seen[-1] == (size, size)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_progress_counts_bytes_of_non_ascii_text(tanh_linear_fit) -> None:
    """A BOM and a non-ASCII header make bytes outnumber characters; the bar still ends at the file size."""
    model, data, poly = tanh_linear_fit
    lines = data.read_bytes().splitlines(keepends=True)
    lines[0] = "\ufefftempérature,x²,x3\n".encode("utf-8")
    data.write_bytes(b"".join(lines))
    seen: list[tuple[int, int]] = []
    verify_polynomial(poly, model, data, chunk_rows=500, progress=lambda done, total: seen.append((done, total)))
    size = data.stat().st_size
    assert seen == [(len(b"".join(lines[: 1 + rows])), size) for rows in (500, 1000)] + [(size, size)]


def test_report_files_are_checked_before_anything_is_read_and_written_together(tanh_linear_fit) -> None:
    import json

    from polyx.verification import verify

    model, data, fit = tanh_linear_fit
    with pytest.raises(ArtifactError, match="nowhere/r.json: cannot write, folder '.*nowhere' does not exist"):
        verify(data.parent / "missing.csv", data.parent / "missing.poly.json", report=data.parent / "nowhere" / "r.json")
    from polyx.expansion.writers.artifact import save_polynomial

    named = Polynomial(fit.variables, fit.outputs, fit.exponents, fit.coefficients, method={"name": "fit"})
    poly_path = save_polynomial(named, data.parent / "fit.poly.json")
    result = verify(data, poly_path, model, report=data.parent / "r.json", junit=data.parent / "r.xml")
    assert json.loads((data.parent / "r.json").read_text()) == json.loads(result.to_json())
    assert (data.parent / "r.xml").read_text().startswith("<?xml")
