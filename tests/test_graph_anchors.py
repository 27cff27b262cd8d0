"""The worked graph references (CNN, residual, gated, LayerNorm, scikit-learn) against polyx.

Each reference in ``tests/data/graphs`` (copied from ``shared/anchors/graphs``, README there) was
computed from the framework's own weights in float64: the load against the framework and against
onnxruntime, the exact Taylor coefficients (nested forward-mode autograd), nn2poly's semantics on
graphs (SymPy, 30 digits) and the least-squares polynomial (tensor Gauss–Hermite quadrature).
Tolerances are the README's: loading ~1e-6 scaled against onnxruntime (float32 files), and
coefficients to 1e-9 relative to the largest reference coefficient of the same degree.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import sympy

from polyx.converters.ir.graph import Graph
from polyx.converters.load import load_network
from polyx.expansion.methods.expand import expand

DATA = Path(__file__).parent / "data" / "graphs"
MODELS = sorted(path.stem for path in DATA.glob("*.onnx"))
COEFFICIENT_TOLERANCE = 1e-9
# The LayerNorm reference's second-order Taylor terms disagree with finite differences of the
# framework's own forward pass (see test_layernorm_taylor_against_sympy); it is checked there instead.
TAYLOR_REFERENCE_SKIP = {"layernorm_ts17"}


def _reference(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text())


def _worst_relative(polynomial, reference: list) -> float:
    """max |polyx − ref| / (largest |ref| of that degree), over every output and reference term;
    terms polyx has beyond the reference must be zero (within 1e-12 absolute)."""
    index = {tuple(row): column for column, row in enumerate(np.asarray(polynomial.exponents).tolist())}
    worst = 0.0
    for output, terms in enumerate(reference):
        expected = {tuple(exponent): value for exponent, value in terms}
        scale: dict[int, float] = {}
        for exponent, value in expected.items():
            scale[sum(exponent)] = max(scale.get(sum(exponent), 0.0), abs(value))
        for exponent, value in expected.items():
            got = polynomial.coefficients[output, index[exponent]] if exponent in index else 0.0
            worst = max(worst, abs(got - value) / max(scale[sum(exponent)], 1e-300))
        for exponent, column in index.items():
            if exponent not in expected:
                assert abs(polynomial.coefficients[output, column]) < 1e-12, exponent
    return worst


@pytest.mark.parametrize("name", MODELS)
def test_load_matches_framework_and_onnxruntime(name: str) -> None:
    reference = _reference(name)
    network = load_network(DATA / f"{name}.onnx")
    probes = np.asarray(reference["probes"], dtype=np.float64)
    framework = np.asarray(reference["framework_float64"], dtype=np.float64)
    got = network.forward(probes)
    # float32 weights evaluated in float64 on both sides: only the float32 constants' rounding differs
    assert np.abs(got - framework).max() <= 1e-6 * max(1.0, np.abs(framework).max())
    session = onnxruntime.InferenceSession(str(DATA / f"{name}.onnx"), providers=["CPUExecutionProvider"])
    output = reference.get("output", {}) if isinstance(reference.get("output"), dict) else {}
    name_out = "probabilities" if reference.get("output") == "probabilities" else session.get_outputs()[0].name
    shaped = probes.astype(np.float32).reshape((-1,) + tuple(reference["input_shape"]))
    ort = session.run([name_out], {session.get_inputs()[0].name: shaped})[0].reshape(got.shape)
    assert np.abs(got - ort).max() <= 1e-5 * max(1.0, np.abs(ort).max()), output


@pytest.mark.parametrize("name", [n for n in MODELS if "taylor" in _reference(n) and n not in TAYLOR_REFERENCE_SKIP])
def test_taylor_matches_reference(name: str) -> None:
    taylor = _reference(name)["taylor"]
    terms = "diagonal" if taylor["terms"] == "unmixed" else "all"
    polynomial = expand(load_network(DATA / f"{name}.onnx"), "taylor", taylor["order"], at=taylor["x0"],
                        centered=True, terms=terms, validity_samples=0)
    assert _worst_relative(polynomial, taylor["coefficients_centered"]) <= COEFFICIENT_TOLERANCE


@pytest.mark.parametrize("name", [n for n in MODELS if "nn2poly" in _reference(n)])
def test_nn2poly_matches_reference(name: str) -> None:
    reference = _reference(name)["nn2poly"]
    polynomial = expand(load_network(DATA / f"{name}.onnx"), "nn2poly", reference["order"],
                        taylor_orders=reference["taylor_orders"])
    assert _worst_relative(polynomial, reference["coefficients"]) <= COEFFICIENT_TOLERANCE


@pytest.mark.parametrize("name", [n for n in MODELS if "lsq" in _reference(n)])
def test_lsq_closed_form_matches_reference(name: str) -> None:
    """The graph's one non-linear stage is recognised (gated or residual) and its closed form equals
    the quadrature reference; degrees the reference holds at ~1e-18 (a bilinear layer's odd terms)
    are compared absolutely, at 1e-15 of the largest coefficient."""
    reference = _reference(name)["lsq"]
    polynomial = expand(load_network(DATA / f"{name}.onnx"), "lsq", reference["order"], mean=reference["mean"],
                        cov=reference["cov"], centered=False)
    assert polynomial.method["solution"] == "closed-form" and polynomial.method["stage"] in ("gated", "residual")
    index = {tuple(row): column for column, row in enumerate(np.asarray(polynomial.exponents).tolist())}
    for output, terms in enumerate(reference["coefficients"]):
        largest = max(abs(value) for _, value in terms)
        for degree in {sum(exponent) for exponent, _ in terms}:
            of_degree = [(tuple(e), v) for e, v in terms if sum(e) == degree]
            scale = max(abs(v) for _, v in of_degree)
            for exponent, value in of_degree:
                gap = abs(polynomial.coefficients[output, index[exponent]] - value)
                assert gap <= (COEFFICIENT_TOLERANCE * scale if scale > 1e-6 * largest else 1e-15 * largest)
    np.testing.assert_allclose(polynomial.diagnostics["r2"], reference["r2"], rtol=0, atol=1e-10)


def test_graphs_load_as_graphs_and_chains_stay_chains() -> None:
    kinds = {name: type(load_network(DATA / f"{name}.onnx")).__name__ for name in MODELS}
    assert kinds.pop("sklearn_clf_tanh") == "Network"  # the label branch is dropped: a softmax chain
    assert set(kinds.values()) == {"Graph"}


def _sympy_layernorm_network(path: Path):
    """The LayerNorm → Gemm → Tanh → Gemm model written in SymPy from the file's own weights,
    independent of polyx's IR: LayerNorm(x) = (x − mean) / sqrt(var + ε) · γ + β."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    weights = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in model.graph.initializer}
    nodes = list(model.graph.node)
    layer_norm = next(n for n in nodes if n.op_type == "LayerNormalization")
    epsilon = next((a.f for a in layer_norm.attribute if a.name == "epsilon"), 1e-5)
    gemms = [n for n in nodes if n.op_type == "Gemm"]
    x = sympy.symbols("x1:4")
    mean = sum(x) / 3
    variance = sum((xi - mean) ** 2 for xi in x) / 3
    gamma, beta = weights[layer_norm.input[1]], weights[layer_norm.input[2]]
    h = [(xi - mean) / sympy.sqrt(variance + sympy.Float(float(epsilon), 30)) * gamma[i] + beta[i]
         for i, xi in enumerate(x)]

    def gemm(node, values):
        w, b = weights[node.input[1]], weights[node.input[2]]
        trans = next((a.i for a in node.attribute if a.name == "transB"), 0)
        w = w if trans else w.T
        return [sum(w[j, i] * values[i] for i in range(len(values))) + b[j] for j in range(w.shape[0])]

    hidden = [sympy.tanh(v) for v in gemm(gemms[0], h)]
    return x, gemm(gemms[1], hidden)[0]


def test_layernorm_taylor_against_sympy() -> None:
    """Every coefficient up to order 3 equals SymPy's derivatives of the model written from its weights."""
    name = "layernorm_ts17"
    taylor = _reference(name)["taylor"]
    polynomial = expand(load_network(DATA / f"{name}.onnx"), "taylor", 3, at=taylor["x0"], centered=True,
                        validity_samples=0)
    x, expression = _sympy_layernorm_network(DATA / f"{name}.onnx")
    point = {xi: sympy.Float(v, 30) for xi, v in zip(x, taylor["x0"])}
    worst = 0.0
    for column, exponent in enumerate(np.asarray(polynomial.exponents).tolist()):
        derivative = expression
        for xi, power in zip(x, exponent):
            if power:
                derivative = sympy.diff(derivative, xi, power)
        expected = float(derivative.evalf(30, subs=point)) / float(np.prod([sympy.factorial(p) for p in exponent]))
        worst = max(worst, abs(polynomial.coefficients[0, column] - expected) / max(1.0, abs(expected)))
    # the file stores γ, β and the weights in float32, used exactly on both sides; ε is float32 too
    assert worst <= 1e-9


def test_layernorm_reference_is_inconsistent_with_its_own_network() -> None:
    """Why the LayerNorm reference's higher Taylor terms are not used: finite differences of the
    framework's forward (matched to 2e-12 by polyx's load) give polyx's value, not the reference's."""
    name = "layernorm_ts17"
    taylor = _reference(name)["taylor"]
    network = load_network(DATA / f"{name}.onnx")
    x0, h = np.asarray(taylor["x0"]), 1e-4
    f = lambda z: network.forward(z[None])[0, 0]  # noqa: E731
    e = np.eye(3) * h
    second = (f(x0 + e[0]) - 2 * f(x0) + f(x0 - e[0])) / h**2 / 2
    reference = dict((tuple(k), v) for k, v in taylor["coefficients_centered"][0])[(2, 0, 0)]
    polynomial = expand(network, "taylor", 2, at=x0, centered=True, validity_samples=0)
    column = [tuple(r) for r in np.asarray(polynomial.exponents).tolist()].index((2, 0, 0))
    assert abs(polynomial.coefficients[0, column] - second) < 1e-6
    assert abs(reference - second) > 1e-2


def test_sklearn_classifier_reads_probabilities() -> None:
    network = load_network(DATA / "sklearn_clf_tanh.onnx")
    assert network.output_name == "probabilities" and network.output_activation == "softmax"


def test_graph_inputs_keep_their_shape() -> None:
    network = load_network(DATA / "cnn2d_0_ts17.onnx")
    assert isinstance(network, Graph) and network.input_shape == (1, 6, 6) and network.input_size == 36
