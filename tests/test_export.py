"""``polyx export``: the polynomial as an ONNX model, run by onnxruntime.

Oracles: the polynomial written out term by term here (x − center raised to each exponent
row, times the coefficients, in float64 numpy), ``Polynomial.evaluate``, and the original
sample networks under onnxruntime for the input/output contract.

Tolerances are relative to the size of the sum being computed, s = Σ_t |c_t · m_t(x)| per row
and output: float32 rounds each coefficient, each of the ≤ degree products of a monomial and
each of the Gemm's additions by at most 2⁻²⁴ ≈ 6e-8 of that sum, so for the degrees and term
counts here (≤ 5, ≤ 300 terms; typical errors grow like √terms) 1e-6·s holds with margin; in
float64 the same count gives 1e-12·s. Inputs are rounded to the model's dtype before the
reference is computed, and centres are multiples of 1/8, so the input and the centre are
represented exactly on both sides.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oracles import term_by_term
from polyx import expand, load_network, save_polynomial
from polyx.cli.main import cli
from polyx.errors import ArtifactError
from polyx.expansion.writers.onnx_export import export_polynomial, polynomial_to_onnx
from polyx.expansion.polynomials.polynomial import Polynomial

SAMPLES = Path(__file__).resolve().parent.parent / "sample_models"
REGRESSION = SAMPLES / "polynomial4_tanh_l1.onnx"
CLASSIFIER = SAMPLES / "pt_ts17_seq_softmax_4-8-8-3.onnx"
DEEP = SAMPLES / "pt_ts11_seq_tanh_10-16-16-16-16-3.onnx"
FLATTEN = SAMPLES / "pt_ts17_seq_flatten_tanh_2x3-8-1.onnx"
TOLERANCE = {"float32": 1e-6, "float64": 1e-12}
NUMPY = {"float32": np.float32, "float64": np.float64}


def session(model: onnx.ModelProto | Path) -> onnxruntime.InferenceSession:
    source = str(model) if isinstance(model, Path) else model.SerializeToString()
    return onnxruntime.InferenceSession(source, providers=["CPUExecutionProvider"])


def assert_computes(model: onnx.ModelProto, poly: Polynomial, x: np.ndarray, dtype: str) -> np.ndarray:
    """Run the model on x (rounded to dtype) and check it against both oracles; returns its output."""
    onnx.checker.check_model(model, full_check=True)
    feed = x.astype(NUMPY[dtype])
    shape = tuple(poly.provenance.get("input_shape") or [len(poly.variables)])
    run = session(model)
    got = run.run(None, {run.get_inputs()[0].name: feed.reshape((-1, *shape))})[0]
    assert got.dtype == NUMPY[dtype] and got.shape == (x.shape[0], len(poly.outputs))
    exact = feed.astype(np.float64)
    values, scale = term_by_term(poly, exact)
    bound = TOLERANCE[dtype] * np.maximum(scale, np.finfo(np.float64).tiny)
    assert np.all(np.abs(got - values) <= bound)
    assert np.all(np.abs(got - poly.evaluate(exact)) <= bound)
    return got


@pytest.fixture(scope="module")
def regression() -> Polynomial:
    return expand(load_network(REGRESSION), "nn2poly", order=3)


@pytest.fixture(scope="module")
def classifier() -> Polynomial:
    return expand(load_network(CLASSIFIER), "nn2poly", order=2)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nn2poly_polynomial_of_a_sample_model(regression: Polynomial, dtype: str) -> None:
    x = np.random.default_rng(1).uniform(-1, 1, (500, 4))
    assert_computes(polynomial_to_onnx(regression, dtype), regression, x, dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_three_outputs_ten_inputs(dtype: str) -> None:
    """286 terms over 10 inputs and 3 outputs: the top degree is summed through its parents."""
    poly = expand(load_network(DEEP), "nn2poly", order=3)
    x = np.random.default_rng(11).uniform(-1, 1, (300, 10))
    assert_computes(polynomial_to_onnx(poly, dtype), poly, x, dtype)


def test_exported_model_replaces_the_network(regression: Polynomial, tmp_path: Path) -> None:
    """Same input and output names, shapes and dtype as the original file: one feed dict serves both."""
    network = session(REGRESSION)
    replacement = session(polynomial_to_onnx(regression))
    assert [(i.name, i.type) for i in replacement.get_inputs()] == [(i.name, i.type) for i in network.get_inputs()]
    assert [o.name for o in replacement.get_outputs()] == [o.name for o in network.get_outputs()]
    x = np.random.default_rng(2).uniform(-1, 1, (64, 4)).astype(np.float32)
    feed = {network.get_inputs()[0].name: x}
    net, poly = network.run(None, feed)[0], replacement.run(None, feed)[0]
    assert net.shape == poly.shape
    # The order-3 nn2poly polynomial of this l1-constrained network is an approximation (R² ≈ 0.99 on
    # its data), not a copy: the outputs agree to the approximation error, not to rounding.
    assert np.corrcoef(net[:, 0], poly[:, 0])[0, 1] > 0.99


@pytest.mark.parametrize("name", ["pt_ts17_head_squeeze_4-8-1", "pt_ts17_vector_head_4-8-1"])
def test_a_network_returning_batch_shaped_output_is_replaced_by_the_same_shape(name: str) -> None:
    """A head ending in squeeze(-1) (or h @ w with a 1-D w) returns (batch,); so does its polynomial."""
    path = Path(__file__).resolve().parent / "data" / "exports" / f"{name}.onnx"
    poly = expand(load_network(path), "taylor", order=3, at=np.zeros(4))
    assert poly.provenance["output_shape"] == []
    network, replacement = session(path), session(polynomial_to_onnx(poly, "float64"))
    assert replacement.get_outputs()[0].shape == ["batch"] and network.get_outputs()[0].shape[1:] == []
    x = np.random.default_rng(4).uniform(-0.5, 0.5, (32, 4))
    got = replacement.run(None, {"x": x})[0]
    assert got.shape == network.run(None, {network.get_inputs()[0].name: x.astype(np.float32)})[0].shape == (32,)
    values, scale = term_by_term(poly, x)
    assert np.all(np.abs(got - values[:, 0]) <= TOLERANCE["float64"] * scale[:, 0])


def test_log_softmax_network_gets_its_log_softmax_back() -> None:
    """The polynomial of the logits of a LogSoftmax classifier exports as log_softmax(polynomial):
    what the network returns, under its own names."""
    path = Path(__file__).resolve().parent / "data" / "exports" / "pt_ts17_seq_logsoftmax_4-8-3.onnx"
    poly = expand(load_network(path), "nn2poly", order=3)
    model = polynomial_to_onnx(poly, "float64")
    assert [node.op_type for node in model.graph.node][-1] == "LogSoftmax"
    x = np.random.default_rng(6).uniform(-0.5, 0.5, (40, 4))
    run = session(model)
    got = run.run(None, {run.get_inputs()[0].name: x})[0]
    values, scale = term_by_term(poly, x)
    expected = values - np.log(np.exp(values).sum(axis=1, keepdims=True))
    assert np.all(np.abs(got - expected) <= TOLERANCE["float64"] * (1.0 + scale.max(axis=1, keepdims=True)))
    logits = session(polynomial_to_onnx(poly, "float64", logits=True)).run(None, {"x": x})[0]
    assert np.all(np.abs(logits - values) <= TOLERANCE["float64"] * scale)


@pytest.mark.parametrize("batch", [1, 3, 4096])
def test_batch_axis_is_dynamic(regression: Polynomial, batch: int) -> None:
    x = np.random.default_rng(batch).normal(size=(batch, 4))
    assert_computes(polynomial_to_onnx(regression, "float64"), regression, x, "float64")


def test_softmax_network_gets_its_softmax_back(classifier: Polynomial) -> None:
    """The polynomial stands for the logits; the export returns probabilities under the network's output name."""
    x = np.random.default_rng(3).normal(size=(200, 4))
    network = session(CLASSIFIER)
    exported = session(polynomial_to_onnx(classifier, "float64"))
    assert exported.get_outputs()[0].name == network.get_outputs()[0].name
    probabilities = exported.run(None, {exported.get_inputs()[0].name: x})[0]
    logits, _ = term_by_term(classifier, x)
    softmax = np.exp(logits - logits.max(axis=1, keepdims=True))
    softmax /= softmax.sum(axis=1, keepdims=True)
    # Softmax of logits computed to 1e-12 relative of their scale: probabilities agree to about that.
    np.testing.assert_allclose(probabilities, softmax, rtol=0, atol=1e-12)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=0, atol=1e-12)


def test_logits_flag_leaves_the_softmax_off(classifier: Polynomial) -> None:
    x = np.random.default_rng(4).normal(size=(200, 4))
    model = polynomial_to_onnx(classifier, "float32", logits=True)
    assert "Softmax" not in {node.op_type for node in model.graph.node}
    assert_computes(model, classifier, x, "float32")


def test_a_polynomial_of_probabilities_is_not_softmaxed_twice(classifier: Polynomial) -> None:
    declared = Polynomial(classifier.variables, classifier.outputs, classifier.exponents, classifier.coefficients,
                          method={"name": "test", "output_space": "probabilities"}, provenance=classifier.provenance)
    model = polynomial_to_onnx(declared, "float64")
    assert "Softmax" not in {node.op_type for node in model.graph.node}
    assert_computes(model, declared, np.random.default_rng(5).normal(size=(50, 4)), "float64")


def test_multi_axis_input_is_flattened_row_major() -> None:
    """A 2×3 input, as the sample export with a leading Flatten takes it."""
    poly = expand(load_network(FLATTEN), "nn2poly", order=3)
    model = polynomial_to_onnx(poly, "float64")
    assert model.graph.node[0].op_type == "Flatten"
    network = session(FLATTEN)
    assert [d for d in network.get_inputs()[0].shape[1:]] == [2, 3]
    assert_computes(model, poly, np.random.default_rng(6).uniform(-1, 1, (100, 6)), "float64")


def test_constant_polynomial_fills_every_row() -> None:
    poly = Polynomial(("a", "b"), ("y1", "y2"), np.zeros((1, 2)), [[1.5], [-2.0]], method={"name": "test"})
    for batch in (1, 9):
        got = assert_computes(polynomial_to_onnx(poly, "float64"), poly, np.zeros((batch, 2)), "float64")
        np.testing.assert_array_equal(got, np.tile([1.5, -2.0], (batch, 1)))


def test_diagonal_polynomial_of_an_image() -> None:
    """Pure powers of 784 inputs (the --terms diagonal shape) from a 28×28 input."""
    rng = np.random.default_rng(7)
    exponents = np.concatenate([np.zeros((1, 784), dtype=int)] + [k * np.eye(784, dtype=int) for k in range(1, 5)])
    poly = Polynomial(tuple(f"x{i + 1}" for i in range(784)), ("y1",), exponents, rng.normal(size=(1, exponents.shape[0])),
                      method={"name": "test"}, provenance={"input_shape": [1, 28, 28], "input_name": "img", "output_name": "out"})
    model = polynomial_to_onnx(poly, "float32")
    assert model.graph.input[0].name == "img" and model.graph.output[0].name == "out"
    assert_computes(model, poly, rng.uniform(0, 1, (6, 784)), "float32")


@st.composite
def sparse_polynomials(draw: st.DrawFn) -> Polynomial:
    """A few arbitrary terms (parents often missing), several outputs, maybe a centre."""
    n_vars = draw(st.integers(1, 5))
    rows = draw(st.lists(st.lists(st.integers(0, 3), min_size=n_vars, max_size=n_vars), min_size=1, max_size=12,
                         unique_by=tuple))
    outputs = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    center = rng.integers(-8, 9, n_vars) / 8 if draw(st.booleans()) else None
    return Polynomial(tuple(f"v{i}" for i in range(n_vars)), tuple(f"o{k}" for k in range(outputs)), np.array(rows),
                      rng.normal(size=(outputs, len(rows))), center=center, method={"name": "test"})


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(poly=sparse_polynomials(), dtype=st.sampled_from(["float32", "float64"]))
def test_any_polynomial(poly: Polynomial, dtype: str) -> None:
    x = np.random.default_rng(8).uniform(-1.5, 1.5, (40, len(poly.variables)))
    assert_computes(polynomial_to_onnx(poly, dtype), poly, x, dtype)


def test_mismatched_input_shape_is_refused(regression: Polynomial) -> None:
    broken = Polynomial(regression.variables, regression.outputs, regression.exponents, regression.coefficients,
                        method=regression.method, provenance={**regression.provenance, "input_shape": [2, 3]})
    with pytest.raises(ArtifactError, match=r"input_shape \[2, 3\] \(6 values\) but it has 4 variables"):
        polynomial_to_onnx(broken)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, regression: Polynomial) -> Path:
    """A folder with a model and the polynomial ``polyx convert`` would write for it."""
    shutil.copy(REGRESSION, tmp_path / "model.onnx")
    provenance = {**regression.provenance, "source": str(tmp_path / "model.onnx")}
    assert provenance["sha256"] == hashlib.sha256((tmp_path / "model.onnx").read_bytes()).hexdigest()
    poly = Polynomial(regression.variables, regression.outputs, regression.exponents, regression.coefficients,
                      method=regression.method, provenance=provenance)
    save_polynomial(poly, tmp_path / "model.poly.json")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["export", *args])


def test_cli_writes_the_default_file(project: Path, regression: Polynomial) -> None:
    result = run("model.poly.json")
    assert result.exit_code == 0, result.output
    assert "input 'x' [batch, 4] float32 → output 'y' [batch, 1] (outputs)" in result.stdout
    assert "wrote model.poly.onnx" in result.stdout
    x = np.random.default_rng(9).uniform(-1, 1, (30, 4))
    assert_computes(onnx.load(str(project / "model.poly.onnx")), regression, x, "float32")


def test_cli_float64(project: Path, regression: Polynomial) -> None:
    result = run("model.poly.json", "-o", "p64.onnx", "--dtype", "float64")
    assert result.exit_code == 0, result.output
    x = np.random.default_rng(10).normal(size=(30, 4))
    assert_computes(onnx.load(str(project / "p64.onnx")), regression, x, "float64")


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["model.poly.json", "-o", "model.onnx"], "model.onnx: --output names the same file as the network the polynomial was made from model.onnx; choose another output path"),
        (["model.poly.json", "-o", "poly.txt"], "poly.txt: the exported model is ONNX; give a file name ending in .onnx"),
        (["missing.poly.json"], "missing.poly.json: no such polynomial file; give a .json file written by polyx convert"),
        (["model.poly.json", "-o", "nowhere/p.onnx"], "nowhere/p.onnx: cannot write, folder 'nowhere' does not exist"),
    ],
)
def test_cli_bad_input_is_one_line_and_writes_nothing(project: Path, args: list[str], line: str) -> None:
    before = sorted(p.name for p in project.iterdir())
    network = (project / "model.onnx").read_bytes()
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert line in " ".join(result.stderr.split())
    assert len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in project.iterdir()) == before
    assert (project / "model.onnx").read_bytes() == network


def test_library_call_returns_what_was_written(project: Path) -> None:
    result = export_polynomial(project / "model.poly.json", project / "out.onnx", dtype="float64")
    assert (result.input_name, result.output_name, result.input_shape, result.outputs) == ("x", "y", (4,), 1)
    assert result.path == project / "out.onnx"
    run = session(result.path)
    (feed,), (out,) = run.get_inputs(), run.get_outputs()
    assert (feed.name, feed.shape[1:], feed.type) == ("x", [4], "tensor(double)")
    assert (out.name, out.shape[1:], out.type) == ("y", [1], "tensor(double)")
